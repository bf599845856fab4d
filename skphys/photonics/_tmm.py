"""Batched transfer-matrix method for planar multilayers at normal incidence (PyTorch)."""

import math

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["layer_indices", "make_thin_film_spectra", "transfer_matrix"]


def transfer_matrix(thicknesses, indices, wavelengths, *, n_incident=1.0, n_substrate=1.52):
    """Reflectance and transmittance of planar multilayers (differentiable, batched).

    Characteristic-matrix method at normal incidence: layer ``j`` of index ``n_j`` and
    thickness ``d_j`` has ``M_j = [[cos d, -i sin d / n_j], [-i n_j sin d, cos d]]`` with
    ``d = 2 pi n_j d_j / lambda``; the stack ``M = M_1 ... M_L`` gives
    ``[B, C] = M [1, n_s]``, ``r = (n_0 B - C) / (n_0 B + C)`` and
    ``T = 4 n_0 Re(n_s) / |n_0 B + C|^2``. Layers of zero thickness do nothing, so stacks of
    different lengths can share one zero-padded array.

    Parameters
    ----------
    thicknesses : array-like or tensor of shape (n_stacks, n_layers)
        Layer thicknesses, in the unit of ``wavelengths``; gradients flow through a tensor.
    indices : array-like of shape (n_layers,) or (n_stacks, n_layers)
        Refractive indices (complex for absorbing layers), from the incident side.
    wavelengths : array-like of shape (n_wavelengths,)
        Free-space wavelengths.
    n_incident, n_substrate : float, default=1.0, 1.52
        Indices of the incident medium and of the substrate (lossless).

    Returns
    -------
    R, T : torch.Tensor of shape (n_stacks, n_wavelengths)
        Reflectance and transmittance (``R + T = 1`` for lossless layers).

    Examples
    --------
    >>> from skphys.photonics import transfer_matrix
    >>> R, T = transfer_matrix([[0.1]], [1.38], [0.55])  # MgF2 quarter-wave coating on glass
    >>> round(float(R[0, 0]), 4), round(float(R[0, 0] + T[0, 0]), 6)
    (0.0126, 1.0)
    """
    d = torch.as_tensor(thicknesses)
    if not d.is_floating_point():
        d = d.to(torch.float64)
    if d.ndim == 1:
        d = d[None]
    real = d.dtype
    cdtype = torch.complex128 if real == torch.float64 else torch.complex64
    n = torch.as_tensor(np.asarray(indices), device=d.device).to(cdtype)
    if n.ndim == 1:
        n = n[None].expand(d.shape[0], -1)
    lam = torch.as_tensor(np.asarray(wavelengths, dtype=float), device=d.device).to(real)
    n0 = complex(n_incident)
    ns = complex(n_substrate)
    # phase thickness of each layer at each wavelength: (n_stacks, n_wavelengths, n_layers)
    delta = 2 * math.pi * n[:, None, :] * d[:, None, :].to(cdtype) / lam[None, :, None]
    c, s = torch.cos(delta), torch.sin(delta)
    nn_ = n[:, None, :].expand_as(delta)
    m11 = m22 = torch.ones(delta.shape[:2], dtype=cdtype, device=d.device)
    m12 = m21 = torch.zeros_like(m11)
    for j in range(delta.shape[2]):
        a11, a12 = c[..., j], -1j * s[..., j] / nn_[..., j]
        a21, a22 = -1j * nn_[..., j] * s[..., j], c[..., j]
        m11, m12, m21, m22 = (m11 * a11 + m12 * a21, m11 * a12 + m12 * a22,
                              m21 * a11 + m22 * a21, m21 * a12 + m22 * a22)
    B = m11 + m12 * ns
    C = m21 + m22 * ns
    denom = n0 * B + C
    r = (n0 * B - C) / denom
    R = (r.abs() ** 2).to(real)
    T = (4 * n0.real * ns.real / denom.abs() ** 2).to(real)
    return R, T


def make_thin_film_spectra(n_samples=5000, *, n_layers=(5, 10), thickness=(30.0, 70.0),
                           indices=(2.35, 1.45), wavelengths=None, n_incident=1.0,
                           n_substrate=1.52, random_state=None):
    """Random alternating-index stacks and their reflectance spectra (a surrogate data set).

    Each stack has a random number of layers in ``n_layers`` (inclusive), alternating the two
    ``indices`` from the incident side (TiO2 / SiO2 by default), with thicknesses drawn
    uniformly in ``thickness`` (nm); absent layers have thickness 0.

    Parameters
    ----------
    n_samples : int, default=5000
        Number of stacks.
    n_layers : (int, int), default=(5, 10)
        Smallest and largest number of layers.
    thickness : (float, float), default=(30.0, 70.0)
        Range of layer thicknesses (nm).
    indices : (float, float), default=(2.35, 1.45)
        Refractive indices of the odd and even layers.
    wavelengths : array-like or None, default=None
        Wavelengths (nm); None is 64 points from 400 to 800 nm.
    n_incident, n_substrate : float, default=1.0, 1.52
        Indices of the incident medium and of the substrate.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_layers[1])
        Thicknesses (nm), zero beyond each stack's last layer.
    Y : ndarray of shape (n_samples, n_wavelengths)
        Reflectance.

    Examples
    --------
    >>> from skphys.photonics import make_thin_film_spectra
    >>> X, Y = make_thin_film_spectra(10, random_state=0)
    >>> X.shape, Y.shape, bool((Y >= 0).all() and (Y <= 1).all())
    ((10, 10), (10, 64), True)
    """
    rng = check_random_state(random_state)
    lo, hi = n_layers
    counts = rng.randint(lo, hi + 1, size=n_samples)
    X = rng.uniform(thickness[0], thickness[1], size=(n_samples, hi))
    X[np.arange(hi)[None, :] >= counts[:, None]] = 0.0
    if wavelengths is None:
        wavelengths = np.linspace(400.0, 800.0, 64)
    R, _ = transfer_matrix(X, layer_indices(hi, indices), wavelengths,
                           n_incident=n_incident, n_substrate=n_substrate)
    return X, R.numpy()


def layer_indices(n_layers, indices=(2.35, 1.45)):
    """Alternating refractive indices ``indices[0], indices[1], ...`` for ``n_layers``."""
    return np.array([indices[j % 2] for j in range(n_layers)], dtype=float)

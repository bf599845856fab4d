"""InverseDeviceDesigner: adjoint topology optimisation of a 2-D photonic device."""

import math
import sys
import time
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import DivergenceError
from ..utils._torch import draw_seed
from ._fdfd import FDFD, solve_ez

#: largest block-diagonal system (unknowns) factorised at once: small grids batch many
#: wavelengths, large ones solve one or two at a time (the LU memory grows with the block)
_BLOCK_UNKNOWNS = 50_000

__all__ = ["InverseDeviceDesigner"]


def _pair(value):
    if isinstance(value, Real):
        return float(value), float(value)
    a, b = value
    return float(a), float(b)


class _Geometry:
    """Cells of the simulation: PML | margin | design region | margin | PML along x and y.

    One input waveguide enters the design region from the left at mid-height; ``n_ports``
    output waveguides leave it on the right, evenly spaced about mid-height.
    """

    def __init__(self, est, n_ports):
        dl = float(est.grid_spacing)
        self.dl = dl
        dx, dy = (max(1, round(v / dl)) for v in _pair(est.design_size))
        mx, my = (max(2, round(v / dl)) for v in _pair(est.margin))
        npml = max(1, round(est.pml_thickness / dl))
        self.npml = npml
        self.design_shape = (dx, dy)
        self.shape = (dx + 2 * (mx + npml), dy + 2 * (my + npml))
        ny = self.shape[1]
        self.x0, self.y0 = mx + npml, my + npml  # lower corner of the design region
        w = max(1, round(est.waveguide_width / dl))
        self.width = w
        centre = ny // 2
        spacing = (_pair(est.design_size)[1] / n_ports if est.port_spacing is None
                   else float(est.port_spacing))
        self.port_centres = [centre + round((k - (n_ports - 1) / 2) * spacing / dl)
                             for k in range(n_ports)]
        self.input_centre = centre
        eps = np.full(self.shape, float(est.eps_clad))
        core = float(est.eps_core)
        lo = centre - w // 2
        eps[: self.x0, lo : lo + w] = core
        for c in self.port_centres:
            lo_k = c - w // 2
            eps[self.x0 + dx :, max(lo_k, 0) : max(lo_k + w, 0)] = core
        self.background = eps
        self.line = np.full(ny, float(est.eps_clad))  # an isolated guide's cross-section
        self.line[lo : lo + w] = core
        # source half-way through the left margin, port monitors half-way through the right
        self.source_x = npml + max(1, mx // 2) - 1
        self.monitor_x = self.x0 + dx + mx // 2

    def shifted(self, psi, centre):
        """``psi`` (computed for a guide at ``input_centre``) moved to ``centre``."""
        out = np.zeros_like(psi)
        s = centre - self.input_centre
        if s >= 0:
            out[s:] = psi[: len(psi) - s]
        else:
            out[:s] = psi[-s:]
        return out


def _cone_kernel(radius_cells):
    r = math.floor(radius_cells)
    if radius_cells <= 1 or r < 1:
        return None
    ax = np.arange(-r, r + 1)
    d = np.hypot(ax[:, None], ax[None, :])
    w = np.maximum(0.0, 1.0 - d / radius_cells)
    return torch.from_numpy(w / w.sum())[None, None]


class InverseDeviceDesigner(ClassifierMixin, BaseEstimator):
    """Fit a 2-D photonic device that routes each wavelength to its output port.

    Topology optimisation with adjoint gradients: the design region's permittivity is a
    density in [0, 1], smoothed by a cone filter of radius ``filter_radius`` (the minimum
    feature size), pushed towards 0/1 by a tanh projection whose sharpness ``beta`` grows
    geometrically from 1 to ``beta_max`` over the iterations, and binarised at the end. Each
    iteration solves the 2-D Ez (TM) Maxwell problem by FDFD once per wavelength (one sparse
    LU factorisation, reused for the adjoint solve) and takes an Adam step on the density.

    ``fit(X, y)`` designs the device: each row of ``X`` is a channel, its columns are free-space
    wavelengths (µm) sampled in that channel (one column for single wavelengths), and ``y``
    is the output port the channel must reach; the distinct labels of ``y`` are the ports,
    bottom to top. The defaults are the 1300/1550 nm demultiplexer of Piggott et al. (2015):
    a 2.8 x 2.8 µm silicon (eps = 12.25) design region in silica (eps = 2.25), 400 nm
    waveguides, on a 40 nm grid.

    The simulation is 2-D (an infinitely tall slab, Ez polarisation): the right model for
    studying the method, not a substitute for a 3-D simulation of a real chip, which needs an
    iterative or GPU solver.

    Parameters
    ----------
    design_size : float or (float, float), default=(2.8, 2.8)
        Size (µm) of the design region along x (propagation) and y.
    grid_spacing : float, default=0.04
        Cell size (µm).
    waveguide_width : float, default=0.4
        Width (µm) of the input and output waveguides.
    port_spacing : float or None, default=None
        Centre-to-centre distance (µm) of the output waveguides; None is the design height
        divided by the number of ports.
    margin : float or (float, float), default=(1.2, 0.9)
        Space (µm) between the design region and the PML along x and y; the source and the
        port monitors sit half-way through the x margins.
    pml_thickness : float, default=0.4
        Thickness (µm) of the perfectly matched layer on every edge.
    eps_core, eps_clad : float, default=12.25, 2.25
        Relative permittivities of the waveguide/device material (Si) and the cladding (SiO2).
    filter_radius : float, default=0.1
        Radius (µm) of the cone filter applied to the density (minimum feature size).
    beta_max : float, default=64.0
        Final sharpness of the tanh projection.
    max_iter : int, default=60
        Number of optimisation iterations.
    learning_rate : float, default=0.1
        Adam step size on the density.
    crosstalk_weight : float, default=0.3
        Weight of the power in the wrong ports in the objective
        ``mean(-log T_target + crosstalk_weight * log(1 + 100 * sum T_wrong))``.
    random_state : int, RandomState instance or None, default=None
        Seeds the small random perturbation of the initial (grey) density.
    verbose : bool or int, default=False
        Print one line per iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_ports,)
        Port labels, bottom to top.
    n_features_in_ : int
        Number of wavelengths per channel (columns of ``X``).
    density_ : ndarray of shape (nx_design, ny_design)
        Filtered and projected density of the last iteration (before binarisation).
    permittivity_ : ndarray of shape (nx_design, ny_design)
        Binarised permittivity of the design region (the fitted device).
    structure_ : ndarray of shape (nx, ny)
        Permittivity of the whole simulation grid with the fitted device.
    loss_curve_ : list of float
        Objective at each iteration.
    n_iter_ : int
        Number of iterations run.
    transmission_ : ndarray of shape (n_samples, n_ports)
        Power transmission of the binarised device into each port for the training channels
        (mean over each channel's wavelengths), normalised to a straight waveguide.
    insertion_loss_ : ndarray of shape (n_samples,)
        ``10 log10`` of the transmission into the target port (dB, 0 is lossless).
    crosstalk_ : ndarray of shape (n_samples,)
        ``10 log10`` of the strongest wrong port relative to the target port (dB).
    wavelengths_ : ndarray of shape (n_wavelengths,)
        The distinct training wavelengths (µm).
    grid_shape_ : tuple of int
        Size ``(nx, ny)`` of the simulation grid.

    See Also
    --------
    skphys.photonics.FDFD : The differentiable solver.
    skphys.plotting.DeviceDisplay : Permittivity, fields and spectra of a fitted device.

    Notes
    -----
    A zero wavelength (infinite frequency) is the limit in which the discretised device
    carries no wave: it transmits nothing, and ``predict_proba`` gives equal port fractions.
    Transmissions are the power in the fundamental mode of each port's waveguide relative to
    the power launched into the input waveguide's fundamental mode, which is what a straight
    waveguide transmits (checked by the tests). Only the magnitude of a wavelength matters:
    the response at -lambda (negative frequency) is the complex conjugate of that at lambda.

    References
    ----------
    A. Y. Piggott et al., "Inverse design and demonstration of a compact and broadband
    on-chip wavelength demultiplexer", Nature Photonics 9, 374 (2015).

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.photonics import InverseDeviceDesigner
    >>> X, y = np.array([[1.55], [1.30]]), np.array([0, 1])
    >>> demux = InverseDeviceDesigner(design_size=1.2, grid_spacing=0.08, margin=0.5,
    ...                               pml_thickness=0.4, max_iter=3, random_state=0)
    >>> demux.fit(X, y).predict_proba(X).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "design_size": [Interval(Real, 0, None, closed="neither"), tuple, list],
        "grid_spacing": [Interval(Real, 0, None, closed="neither")],
        "waveguide_width": [Interval(Real, 0, None, closed="neither")],
        "port_spacing": [Interval(Real, 0, None, closed="neither"), None],
        "margin": [Interval(Real, 0, None, closed="neither"), tuple, list],
        "pml_thickness": [Interval(Real, 0, None, closed="neither")],
        "eps_core": [Interval(Real, 0, None, closed="neither")],
        "eps_clad": [Interval(Real, 0, None, closed="neither")],
        "filter_radius": [Interval(Real, 0, None, closed="left")],
        "beta_max": [Interval(Real, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "crosstalk_weight": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        design_size=(2.8, 2.8),
        *,
        grid_spacing=0.04,
        waveguide_width=0.4,
        port_spacing=None,
        margin=(1.2, 0.9),
        pml_thickness=0.4,
        eps_core=12.25,
        eps_clad=2.25,
        filter_radius=0.1,
        beta_max=64.0,
        max_iter=60,
        learning_rate=0.1,
        crosstalk_weight=0.3,
        random_state=None,
        verbose=False,
    ):
        self.design_size = design_size
        self.grid_spacing = grid_spacing
        self.waveguide_width = waveguide_width
        self.port_spacing = port_spacing
        self.margin = margin
        self.pml_thickness = pml_thickness
        self.eps_core = eps_core
        self.eps_clad = eps_clad
        self.filter_radius = filter_radius
        self.beta_max = beta_max
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.crosstalk_weight = crosstalk_weight
        self.random_state = random_state
        self.verbose = verbose

    # ---- simulation ---------------------------------------------------------------------
    def _setup(self, n_ports):
        self._geom = _Geometry(self, n_ports)
        self._fdfd = FDFD(self._geom.shape, self._geom.dl, self._geom.npml)
        self._kernel = _cone_kernel(self.filter_radius / self._geom.dl)

    def _structure(self, rho_projected):
        """Full-grid permittivity (torch, float64) with the design region filled in."""
        g = self._geom
        eps = torch.from_numpy(g.background.copy())
        dx, dy = g.design_shape
        region = self.eps_clad + rho_projected * (self.eps_core - self.eps_clad)
        eps = eps.index_put((torch.arange(g.x0, g.x0 + dx)[:, None],
                             torch.arange(g.y0, g.y0 + dy)[None, :]), region)
        return eps

    def _transmissions(self, eps, wavelengths, fields=False):
        """Port transmissions, shape (n_wavelengths, n_ports), for the permittivity ``eps``.

        ``eps`` a tensor that requires grad: a differentiable torch result (adjoint solves in
        the backward pass); otherwise numpy. Wavelengths are solved in blocks of up to
        ``_BLOCK_UNKNOWNS`` unknowns, one factorisation per block. A zero wavelength (infinite
        frequency, the limit in which the discretised device carries no wave) transmits
        nothing.
        """
        g, fd = self._geom, self._fdfd
        grad = isinstance(eps, torch.Tensor) and eps.requires_grad
        lams = np.abs(np.asarray(wavelengths, dtype=float)).ravel()
        n_ports = len(g.port_centres)
        ref = g.dl**2  # amplitude a straight guide carries for this source (see mode_source)
        live = np.flatnonzero(lams > 0)
        chunk = max(1, _BLOCK_UNKNOWNS // (g.shape[0] * g.shape[1]))
        parts, kept = [], []
        for start in range(0, live.size, chunk):
            sel = lams[live[start : start + chunk]]
            sources, ports = [], []
            for lam, psi, beta in zip(sel, *fd.modes(g.line, sel)):
                sources.append(fd.mode_source(psi, beta, g.source_x, slice(None)))
                ports.append(np.stack([g.shifted(psi, c) for c in g.port_centres]))
            ports = np.stack(ports)  # (n_lambda, n_ports, ny)
            if grad:
                e = solve_ez(fd, eps, sel, np.stack(sources))
                amps = torch.einsum("ly,lpy->lp", e[:, g.monitor_x],
                                    torch.from_numpy(ports).to(e.dtype)) * g.dl
                parts.append((amps.abs() / ref) ** 2)
            else:
                e = fd.factorize(eps, sel).solve(np.stack(sources)).reshape((len(sel),) + g.shape)
                amps = np.einsum("ly,lpy->lp", e[:, g.monitor_x], ports) * g.dl
                parts.append((np.abs(amps) / ref) ** 2)
                if fields:
                    kept.extend(e)
        if grad:
            T = torch.zeros((lams.size, n_ports), dtype=torch.float64)
            if parts:
                T = T.index_put((torch.from_numpy(live),), torch.cat(parts))
        else:
            T = np.zeros((lams.size, n_ports))
            if parts:
                T[live] = np.concatenate(parts)
        if fields:
            out = [np.zeros(g.shape, dtype=complex) for _ in lams]
            for i, e in zip(live, kept):
                out[i] = e
            return T, out
        return T

    def _project(self, rho, beta):
        x = rho[None, None]
        if self._kernel is not None:
            r = self._kernel.shape[-1] // 2
            ones = torch.ones_like(x)
            x = (torch.nn.functional.conv2d(torch.nn.functional.pad(x, (r, r, r, r)), self._kernel)
                 / torch.nn.functional.conv2d(torch.nn.functional.pad(ones, (r, r, r, r)),
                                              self._kernel))
        x = x[0, 0]
        eta = 0.5
        t = math.tanh(beta * eta)
        return (t + torch.tanh(beta * (x - eta))) / (t + math.tanh(beta * (1 - eta)))

    # ---- validation ---------------------------------------------------------------------
    def _validate_X(self, X, reset):
        return validate_data(self, X, reset=reset, dtype=np.float64)

    # ---- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Design the device.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Free-space wavelengths (µm); each row is a channel sampled at ``n_features``
            wavelengths.
        y : array-like of shape (n_samples,)
            Output port of each channel.

        Returns
        -------
        self : object
            The fitted designer.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        n_ports = len(self.classes_)
        self._setup(n_ports)
        g = self._geom
        self.grid_shape_ = g.shape
        lams, inverse = np.unique(np.abs(X), return_inverse=True)
        self.wavelengths_ = lams
        inverse = torch.from_numpy(inverse.reshape(X.shape))
        tgt = torch.from_numpy(target)
        wrong = torch.ones(len(y), n_ports, dtype=torch.float64)
        wrong[torch.arange(len(y)), tgt] = 0.0

        rng = np.random.RandomState(draw_seed(self.random_state))
        rho = torch.from_numpy(0.5 + 0.01 * rng.standard_normal(g.design_shape))
        rho.requires_grad_(True)
        opt = torch.optim.Adam([rho], lr=self.learning_rate)
        n = self.max_iter
        self.loss_curve_ = []
        for it in range(n):
            t0 = time.perf_counter()
            beta = self.beta_max ** (it / max(n - 1, 1))
            opt.zero_grad()
            T = self._transmissions(self._structure(self._project(rho, beta)), lams)
            Ts = T[inverse]  # (n_samples, n_features, n_ports)
            t_target = Ts.gather(2, tgt[:, None, None].expand(-1, X.shape[1], 1))[..., 0]
            t_wrong = (Ts * wrong[:, None, :]).sum(2)
            loss = (-torch.log(t_target + 1e-9)
                    + self.crosstalk_weight * torch.log1p(100 * t_wrong)).mean()
            value = loss.item()
            if not math.isfinite(value):
                raise DivergenceError(
                    f"The objective became {value} at iteration {it + 1}; the density is left "
                    "at its last finite state. Lower learning_rate."
                )
            self.loss_curve_.append(value)
            loss.backward()
            opt.step()
            with torch.no_grad():
                rho.clamp_(0.0, 1.0)
            if self.verbose:
                print(f"Iteration {it + 1:>4d}/{n}  loss = {value:.6f}  beta = {beta:.3g}  "
                      f"{time.perf_counter() - t0:.2f}s", file=sys.stdout, flush=True)
        self.n_iter_ = n
        with torch.no_grad():
            projected = self._project(rho.detach(), self.beta_max)
        self.density_ = projected.numpy()
        binary = torch.from_numpy((self.density_ > 0.5).astype(np.float64))
        self.permittivity_ = (self.eps_clad + binary * (self.eps_core - self.eps_clad)).numpy()
        self.structure_ = self._structure(binary).numpy()
        T = self._port_transmissions(X)
        self.transmission_ = T
        t_target = T[np.arange(len(y)), target]
        self.insertion_loss_ = 10 * np.log10(np.maximum(t_target, 1e-300))
        others = np.where(wrong.numpy() > 0, T, 0.0).max(1) if n_ports > 1 else np.zeros(len(y))
        self.crosstalk_ = 10 * np.log10(np.maximum(others, 1e-300) / np.maximum(t_target, 1e-300))
        return self

    # ---- prediction ---------------------------------------------------------------------
    def _port_transmissions(self, X):
        lams, inverse = np.unique(np.abs(X), return_inverse=True)
        T = self._transmissions(self.structure_, lams)
        return T[inverse.reshape(X.shape)].mean(1)

    def transmission(self, X):
        """Power transmission of the fitted device into each port.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm); each row is averaged over its columns.

        Returns
        -------
        T : ndarray of shape (n_samples, n_ports)
            Transmission into each port (columns ordered as ``classes_``), normalised to a
            straight waveguide.
        """
        check_is_fitted(self)
        return self._port_transmissions(self._validate_X(X, reset=False))

    def spectrum(self, wavelengths):
        """Transmission spectrum of the fitted device.

        Parameters
        ----------
        wavelengths : array-like of shape (n_wavelengths,)
            Free-space wavelengths (µm).

        Returns
        -------
        T : ndarray of shape (n_wavelengths, n_ports)
            Transmission into each port at each wavelength.
        """
        check_is_fitted(self)
        lams = np.asarray(wavelengths, dtype=np.float64).ravel()
        if not np.all(np.isfinite(lams) & (lams != 0)):
            raise ValueError("Wavelengths must be finite and nonzero.")
        return self._transmissions(self.structure_, np.abs(lams))

    def fields(self, wavelength):
        """Complex Ez on the simulation grid at ``wavelength`` (µm), shape ``grid_shape_``."""
        check_is_fitted(self)
        _, kept = self._transmissions(self.structure_, [float(wavelength)], fields=True)
        return kept[0]

    def predict_proba(self, X):
        """Fraction of the transmitted power that reaches each port.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_ports)
            ``T / T.sum(1)``, columns ordered as ``classes_``.
        """
        T = self.transmission(X)
        total = T.sum(1, keepdims=True)
        return np.where(total > 0, T / np.where(total > 0, total, 1.0), 1.0 / T.shape[1])

    def predict(self, X):
        """The port that receives the most power.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm).

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Port labels.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.transmission(X), axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean transmission into the target port (1 is a lossless, crosstalk-free device).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm).
        y : array-like of shape (n_samples,)
            Target ports.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Weighted mean of the target-port transmission.
        """
        T = self.transmission(X)
        y = np.asarray(y).ravel()
        cols = np.searchsorted(self.classes_, y)
        cols = np.clip(cols, 0, len(self.classes_) - 1)
        ok = self.classes_[cols] == y
        t = np.where(ok, T[np.arange(len(y)), cols], 0.0)
        return float(np.average(t, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # a device routes physical wavelengths; random blobs are not separable by one
        tags.classifier_tags.poor_score = True
        return tags

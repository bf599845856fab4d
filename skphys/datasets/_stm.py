"""Generated STM images of competing electronic orders on a square lattice.

For the task of Zhang et al. (Nature 570, 484 (2019)): atomic-resolution scanning tunnelling
maps are searched for order that breaks the crystal's symmetries, and the networks are trained
on *generated* images of the competing hypotheses. Each image is a square lattice of atoms
with, on top, a density wave of one hypothesis (none, unidirectional stripes along x or y, a
checkerboard), commensurate with the lattice or not, with topological defects (dislocations:
the wave's phase winds by 2 pi around them), phase domains, impurity ripples, scanner drift,
white and 1/f noise. A second regime, after Goetz, Zhang and Lawler (SciPost Phys. 8, 087
(2020), arXiv:1901.11042), has no Bragg peak at all: the local density of states of a
disordered metal, C4-symmetric or with short-range nematic order.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._torch import draw_seed

__all__ = ["STM_ORDERS", "make_stm_images"]

#: The hypotheses :func:`make_stm_images` can draw, in the order of their labels when all
#: are asked for. The first four live on a visible lattice with Bragg peaks; the last two are
#: the disordered metals without Bragg peaks (Goetz et al.).
STM_ORDERS = ("none", "stripe_x", "stripe_y", "checkerboard", "c4_disorder",
              "nematic_disorder")
_LATTICE_ORDERS = ("none", "stripe_x", "stripe_y", "checkerboard")
#: density-wave amplitude along (x, y) of each lattice hypothesis
_COMPONENTS = {"none": (0, 0), "stripe_x": (1, 0), "stripe_y": (0, 1), "checkerboard": (1, 1)}


def _pixel_grid(size):
    """Column (x) and row (y) coordinates of the pixels, float32, shape (size, size)."""
    r = np.arange(size, dtype=np.float32)
    return np.meshgrid(r, r, indexing="xy")


def _raster_pink_noise(n, size, rng):
    """1/f noise in the time of the raster scan, unit variance: (n, size, size).

    The tip records the pixels one after the other (rows, fast axis along x), so noise
    that is 1/f in time becomes streaks and line-to-line offsets in the image.
    """
    m = size * size
    f = np.fft.rfftfreq(m)
    amp = np.zeros_like(f)
    amp[1:] = f[1:] ** -0.5
    spec = amp * (rng.standard_normal((n, len(f))) + 1j * rng.standard_normal((n, len(f))))
    x = np.fft.irfft(spec, n=m, axis=1)
    x /= x.std(axis=1, keepdims=True)
    return x.reshape(n, size, size).astype(np.float32)


def _winding_phase(X, Y, n_defects, size, rng):
    """Phase fields of random dislocations: sum of +-atan2 around each core.

    Returns the phase (n, H, W), the amplitude suppression near the cores (the order
    parameter vanishes at a core) and the defects (list of (k, 3) arrays: row, col, charge).
    """
    n = len(X)
    phase = np.zeros_like(X)
    envelope = np.ones_like(X)
    cores = [np.zeros((0, 3)) for _ in range(n)]
    for j in range(int(n_defects.max(initial=0))):
        on = n_defects > j
        idx = np.flatnonzero(on)
        row = rng.uniform(0.15 * size, 0.85 * size, len(idx)).astype(np.float32)
        col = rng.uniform(0.15 * size, 0.85 * size, len(idx)).astype(np.float32)
        charge = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), len(idx))
        dx = X[idx] - col[:, None, None]
        dy = Y[idx] - row[:, None, None]
        phase[idx] += charge[:, None, None] * np.arctan2(dy, dx)
        envelope[idx] *= np.tanh(np.sqrt(dx * dx + dy * dy) / 1.5)
        for i, r, c, q in zip(idx, row, col, charge):
            cores[i] = np.vstack([cores[i], [r, c, q]])
    return phase, envelope, cores


def _domain_phase(X, Y, max_domains, size, rng):
    """Phase offsets of up to ``max_domains`` domains separated by straight walls.

    Each of up to ``max_domains - 1`` random lines (discommensurations) shifts the phase on
    one side by a random amount: (n, H, W).
    """
    n = len(X)
    k = rng.integers(1, max_domains + 1, n)
    out = np.zeros_like(X)
    for j in range(max_domains - 1):
        idx = np.flatnonzero(k > j + 1)
        p = rng.uniform(0.2 * size, 0.8 * size, (len(idx), 2)).astype(np.float32)
        ang = rng.uniform(0, np.pi, len(idx)).astype(np.float32)
        side = ((X[idx] - p[:, 0, None, None]) * np.cos(ang)[:, None, None]
                + (Y[idx] - p[:, 1, None, None]) * np.sin(ang)[:, None, None]) > 0
        jump = rng.uniform(0.5, 2 * np.pi - 0.5, len(idx)).astype(np.float32)
        out[idx] += side * jump[:, None, None]
    return out


def _lattice_images(codes, orders, size, a, wavevector, commensurate, period, amplitude,
                    dislocations, domains, impurities, drift, rng):
    """Noise-free images of the lattice hypotheses, their wavevectors and defects."""
    n = len(codes)
    x, y = _pixel_grid(size)
    # scanner drift: a small random affine distortion plus creep along the slow (y) axis
    e = rng.uniform(-drift, drift, (n, 2, 2)).astype(np.float32)
    creep = (rng.uniform(-drift, drift, n) * size / 2).astype(np.float32)
    X = (x * (1 + e[:, 0, 0, None, None]) + y * e[:, 0, 1, None, None]
         + creep[:, None, None] * np.exp(-y / (0.2 * size)))
    Y = x * e[:, 1, 0, None, None] + y * (1 + e[:, 1, 1, None, None])
    k_lat = np.float32(2 * np.pi / a)
    off = rng.uniform(0, 2 * np.pi, (n, 2)).astype(np.float32)
    img = np.cos(k_lat * X + off[:, 0, None, None]) + np.cos(k_lat * Y + off[:, 1, None, None])

    comp = np.array([_COMPONENTS[orders[c]] for c in codes], dtype=np.float32)  # (n, 2)
    locked = rng.random(n) < commensurate
    q = np.where(locked, 1.0 / period, rng.uniform(*wavevector, n)).astype(np.float32)
    q[comp.sum(axis=1) == 0] = 0.0
    amp = rng.uniform(*amplitude, n).astype(np.float32)
    defects = [[np.zeros((0, 4))] * n, [np.zeros((0, 4))] * n]
    for axis, coord in ((0, X), (1, Y)):
        on = np.flatnonzero(comp[:, axis] > 0)
        Xo, Yo = X[on], Y[on]
        wind, envelope, cores = _winding_phase(Xo, Yo, rng.poisson(dislocations, len(on)),
                                               size, rng)
        phi = (wind + _domain_phase(Xo, Yo, domains, size, rng)
               + rng.uniform(0, 2 * np.pi, len(on)).astype(np.float32)[:, None, None])
        k = (2 * np.pi * q[on] / a)[:, None, None]
        img[on] += amp[on, None, None] * envelope * np.cos(k * coord[on] + phi)
        for i, c in zip(on, cores):
            defects[axis][i] = np.column_stack([c, np.full(len(c), axis)])
    # impurity ripples: isotropic Friedel oscillations and a bump at each impurity
    n_imp = rng.poisson(impurities, n)
    for j in range(int(n_imp.max(initial=0))):
        idx = np.flatnonzero(n_imp > j)
        m = len(idx)
        r0 = rng.uniform(0, size, (m, 2)).astype(np.float32)
        r = np.sqrt((X[idx] - r0[:, 0, None, None]) ** 2 + (Y[idx] - r0[:, 1, None, None]) ** 2)
        k_f = rng.uniform(0.15, 0.4, m).astype(np.float32)[:, None, None] * np.float32(2 * np.pi)
        strength = rng.uniform(0.5, 1.5, m).astype(np.float32)[:, None, None]
        ripple = np.cos(k_f * r + rng.uniform(0, 2 * np.pi, m).astype(np.float32)[:, None, None])
        img[idx] += strength * (ripple * np.exp(-r / 8.0) / np.sqrt(1 + r)
                                + np.exp(-r * r / 4.0))
    Q = comp * q[:, None]
    cores = [np.vstack([defects[0][i], defects[1][i]]) for i in range(n)]
    return img, Q, locked & (q > 0), cores


def _periodic_radius(size):
    """Minimum-image distance and angle of each pixel from pixel (0, 0)."""
    d = np.fft.fftfreq(size, 1.0 / size).astype(np.float32)  # 0, 1, ..., -1
    dx, dy = np.meshgrid(d, d, indexing="xy")
    return np.hypot(dx, dy), np.arctan2(dy, dx)


def _friedel_kernel(size, k_mean, anisotropy, director, mean_free_path):
    """Friedel ripple around one scatterer of a band with an elliptical Fermi contour.

    ``k(theta) = k_mean (1 + anisotropy cos 2 (theta - director))``: the ripple
    ``cos(2 k(theta) r)`` has its longest wavelength across the director. It decays as
    ``exp(-r / l) / (1 + r)`` (2-D local density of states, damped by the disorder's mean
    free path ``l``). Shape (n, size, size), centred on pixel (0, 0), periodic.
    """
    r, theta = _periodic_radius(size)
    k = k_mean[:, None, None] * (1 + anisotropy * np.cos(2 * (theta[None] - director)))
    return (np.cos(2 * k * r[None]) * np.exp(-r[None] / mean_free_path)
            / (1.0 + r[None])).astype(np.float32)


def _smooth_field(n, size, length, rng):
    """Gaussian random fields of correlation length ``length`` (unit variance, periodic)."""
    kx = np.fft.fftfreq(size)
    k2 = kx[:, None] ** 2 + np.fft.rfftfreq(size)[None, :] ** 2
    filt = np.exp(-2 * (np.pi * length) ** 2 * k2)
    noise = np.fft.rfft2(rng.standard_normal((n, size, size)))
    field = np.fft.irfft2(noise * filt, s=(size, size))
    field /= field.std(axis=(1, 2), keepdims=True)
    return field.astype(np.float32)


def _disordered_images(nematic, size, anisotropy, correlation_length, mean_free_path, rng):
    """LDOS maps of disordered two-orbital metals: C4-symmetric (False) or nematic (True).

    The metal has two bands related by the 90 degree rotation (like the d_xz and d_yz
    orbitals of the iron pnictides): elliptical Fermi contours elongated along x and along
    y. Random on-site disorder (an independent Gaussian potential on every site for each
    band) makes each band's LDOS a sum of damped Friedel ripples: a Gaussian random field
    ``rho_x`` or ``rho_y``. The C4-symmetric metal shows both equally,
    ``(rho_x + rho_y) / sqrt(2)``; the nematic one is orbitally polarised,
    ``sqrt(w) rho_x + sqrt(1 - w) rho_y``, with ``w(r)`` near 0 or 1 in Ising-nematic domains
    of size ``correlation_length`` (one director per image if None). The local variance is
    the same in both classes, and so is the power spectrum averaged over domains: no lattice,
    no Bragg peak, and a Fourier transform that hardly tells them apart; the difference is
    the local symmetry.
    """
    n = len(nematic)
    k_mean = rng.uniform(0.12, 0.22, n).astype(np.float32) * np.float32(2 * np.pi)
    bands = []
    for director in (0.0, np.pi / 2):
        kernel = _friedel_kernel(size, k_mean, anisotropy, director, mean_free_path)
        disorder = rng.standard_normal((n, size, size), dtype=np.float32)
        bands.append(np.fft.irfft2(np.fft.rfft2(disorder) * np.fft.rfft2(kernel),
                                   s=(size, size)).astype(np.float32))
    w = np.full((n, size, size), 0.5, dtype=np.float32)
    if nematic.any():
        m = int(nematic.sum())
        if correlation_length is None:  # long-range nematic: one director per image
            w[nematic] = (rng.random(m) < 0.5).astype(np.float32)[:, None, None]
        else:
            w[nematic] = 0.5 * (1 + np.tanh(3 * _smooth_field(m, size, correlation_length,
                                                                rng)))
    return np.sqrt(w) * bands[0] + np.sqrt(1 - w) * bands[1]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "size": [Interval(Integral, 8, None, closed="left")],
        "orders": [list, tuple, None],
        "lattice_constant": [Interval(Real, 2, None, closed="left")],
        "wavevector": [tuple, list],
        "commensurate": [Interval(Real, 0, 1, closed="both")],
        "commensurate_period": [Interval(Integral, 2, None, closed="left")],
        "amplitude": [tuple, list],
        "dislocations": [Interval(Real, 0, None, closed="left")],
        "domains": [Interval(Integral, 1, None, closed="left")],
        "impurities": [Interval(Real, 0, None, closed="left")],
        "drift": [Interval(Real, 0, 0.2, closed="both")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "pink_noise": [Interval(Real, 0, None, closed="left")],
        "nematic_anisotropy": [Interval(Real, 0, 1, closed="left")],
        "nematic_correlation_length": [Interval(Real, 0, None, closed="neither"), None],
        "mean_free_path": [Interval(Real, 0, None, closed="neither")],
        "target": [StrOptions({"order", "wavevector"})],
        "return_info": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_stm_images(n_samples=1000, *, size=64, orders=None, lattice_constant=4.0,
                    wavevector=(0.15, 0.35), commensurate=0.5, commensurate_period=4,
                    amplitude=(0.25, 0.6), dislocations=1.0, domains=2, impurities=3.0,
                    drift=0.02, noise=1.0, pink_noise=0.3, nematic_anisotropy=0.4,
                    nematic_correlation_length=4.0, mean_free_path=4.0, target="order",
                    return_info=False, shuffle=True, random_state=None):
    """Generated STM maps of competing electronic orders, labelled by hypothesis.

    Each image is a ``size`` x ``size`` map of a square lattice (lattice constant ``a0`` =
    ``lattice_constant`` pixels, one ``cos`` per axis: Bragg peaks at ``2 pi / a0``) with a
    density wave of one hypothesis on top:

    - ``"none"``: the lattice alone;
    - ``"stripe_x"`` / ``"stripe_y"``: a unidirectional density wave ``A cos(Q . r + phi)``
      with ``Q = (q, 0)`` or ``(0, q)`` (stripes running along y or x): breaks C4 (nematic)
      and translation symmetry;
    - ``"checkerboard"``: both at once, ``A [cos(q x + phi_1) + cos(q y + phi_2)]``: breaks
      translation symmetry only, C4-symmetric;
    - ``"c4_disorder"`` / ``"nematic_disorder"``: no lattice and no density wave: the local
      density of states of a disordered two-band metal whose elliptical Fermi contours are
      related by the 90 degree rotation (the d_xz / d_yz pockets of the iron pnictides),
      both bands seen equally (C4) or one of them in short-range Ising-nematic domains
      (after Goetz, Zhang & Lawler). The Fourier transform has no Bragg peak, and its
      average over the nematic domains is that of the C4 metal.

    A density wave is commensurate (``q = 1 / commensurate_period`` in units of
    ``2 pi / a0``, the period-4 order of the cuprates) with probability ``commensurate``,
    else incommensurate with ``q`` uniform in ``wavevector``. Its phase ``phi(r)`` winds by
    ``+-2 pi`` around each dislocation (a Poisson number with mean ``dislocations`` per wave
    component; the amplitude vanishes at the core) and jumps between up to ``domains``
    Voronoi phase domains. Every image of the lattice regime also has impurities (isotropic
    Friedel ripples and a bump, a Poisson number with mean ``impurities``) and scanner
    drift (a random affine distortion of up to ``drift`` and creep along the slow axis).
    All images get white noise (standard deviation ``noise`` relative to the lattice
    amplitude) and 1/f noise in the time of the raster scan (``pink_noise``: streaks along
    the fast axis), and are then standardised (zero mean, unit variance per image).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images; the hypotheses come in equal numbers.
    size : int, default=64
        Side of the images in pixels.
    orders : list of str or None, default=None
        Hypotheses to draw, names from :data:`STM_ORDERS`; ``y`` indexes this list. None:
        the four lattice hypotheses ``("none", "stripe_x", "stripe_y", "checkerboard")``.
    lattice_constant : float, default=4.0
        Lattice constant ``a0`` in pixels.
    wavevector : (float, float), default=(0.15, 0.35)
        Range of the incommensurate wavevectors ``q``, in units of ``2 pi / a0``.
    commensurate : float, default=0.5
        Probability that a density wave is commensurate.
    commensurate_period : int, default=4
        Period of the commensurate waves, in lattice constants.
    amplitude : (float, float), default=(0.25, 0.6)
        Range of the density-wave amplitude ``A`` relative to the lattice's.
    dislocations : float, default=1.0
        Mean number of dislocations of each density-wave component.
    domains : int, default=2
        Largest number of phase domains of a density wave (1: no domain walls).
    impurities : float, default=3.0
        Mean number of impurities (lattice hypotheses).
    drift : float, default=0.02
        Largest strain of the drift distortion (0 to 0.2).
    noise : float, default=1.0
        White noise, standard deviation relative to the lattice amplitude.
    pink_noise : float, default=0.3
        1/f (raster-time) noise, standard deviation relative to the lattice amplitude.
    nematic_anisotropy : float, default=0.4
        ``eta``: each band's Fermi wavevector is ``k (1 + eta cos 2 (theta - theta_d))``
        (disordered metals).
    nematic_correlation_length : float or None, default=4.0
        Size (pixels) of the nematic domains of ``"nematic_disorder"``; None: one director
        per image (long-range nematic order).
    mean_free_path : float, default=4.0
        Decay length (pixels) of the Friedel ripples of the disordered metals.
    target : {"order", "wavevector"}, default="order"
        ``y``: the index of the hypothesis in ``orders``, or the wavevector ``(q_x, q_y)``
        in units of ``2 pi / a0`` (both components ``q`` for a checkerboard, zeros without
        density wave).
    return_info : bool, default=False
        Also return a Bunch describing the samples.
    shuffle : bool, default=True
        Shuffle the samples (else grouped by hypothesis).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, size, size), float32
        The maps, standardised per image; rows are y, columns x.
    y : ndarray of shape (n_samples,) or (n_samples, 2)
        The labels chosen by ``target``.
    info : Bunch, only if ``return_info``
        ``target_names`` (``orders``), ``order`` (name per sample), ``wavevector``
        (n_samples, 2), ``commensurate`` (bool per sample), ``defects`` (per sample an array
        of rows ``(row, col, charge, axis)`` of its dislocations: position in pixels,
        winding number, and 0 for the wave along x, 1 along y) and ``lattice_constant``.

    See Also
    --------
    make_flake_images : Optical micrographs of exfoliated 2-D flakes.

    References
    ----------
    Y. Zhang, A. Mesaros, K. Fujita, S. D. Edkins, M. H. Hamidian, K. Ch'ng, H. Eisaki,
    S. Uchida, J. C. S. Davis, E. Khatami and E.-A. Kim, "Machine learning in electronic-
    quantum-matter imaging experiments", Nature 570, 484 (2019).

    J. B. Goetz, Y. Zhang and M. J. Lawler, "Detecting nematic order in STM/STS data with
    artificial intelligence", SciPost Phys. 8, 087 (2020), arXiv:1901.11042.

    Examples
    --------
    >>> from skphys.datasets import make_stm_images
    >>> X, y, info = make_stm_images(8, size=32, return_info=True, random_state=0)
    >>> X.shape, info.target_names
    ((8, 32, 32), ['none', 'stripe_x', 'stripe_y', 'checkerboard'])
    >>> sorted(y.tolist())
    [0, 0, 1, 1, 2, 2, 3, 3]
    """
    orders = list(_LATTICE_ORDERS if orders is None else orders)
    unknown = set(orders) - set(STM_ORDERS)
    if unknown or not orders or len(set(orders)) != len(orders):
        raise ValueError(f"orders must be distinct names from {STM_ORDERS}, got {orders}.")
    for name, rng_ in (("wavevector", wavevector), ("amplitude", amplitude)):
        if len(rng_) != 2 or not 0 <= rng_[0] <= rng_[1]:
            raise ValueError(f"{name} must be a range (low, high) with 0 <= low <= high, "
                             f"got {rng_}.")
    if wavevector[1] >= 0.5:
        raise ValueError(f"wavevector must stay below 0.5 (the zone boundary), got "
                         f"{wavevector}.")
    rng = np.random.default_rng(draw_seed(random_state))
    codes = np.arange(n_samples) % len(orders)
    names = np.array(orders)[codes]
    X = np.empty((n_samples, size, size), dtype=np.float32)
    Q = np.zeros((n_samples, 2), dtype=np.float32)
    locked = np.zeros(n_samples, dtype=bool)
    defects = [np.zeros((0, 4)) for _ in range(n_samples)]
    lattice = np.isin(names, _LATTICE_ORDERS)
    if lattice.any():
        idx = np.flatnonzero(lattice)
        img, Q[idx], locked[idx], cores = _lattice_images(
            codes[idx], orders, size, float(lattice_constant), wavevector, commensurate,
            commensurate_period, amplitude, dislocations, domains, impurities, drift, rng)
        X[idx] = img
        for i, c in zip(idx, cores):
            defects[i] = c
    if not lattice.all():
        idx = np.flatnonzero(~lattice)
        img = _disordered_images(names[idx] == "nematic_disorder", size, nematic_anisotropy,
                                 nematic_correlation_length, mean_free_path, rng)
        # the metal's signal is scaled like a lattice image's, so ``noise`` means the same
        X[idx] = img * (np.sqrt(2.0) / img.std(axis=(1, 2), keepdims=True))
    X += np.float32(noise) * rng.standard_normal(X.shape, dtype=np.float32)
    if pink_noise > 0:
        X += np.float32(pink_noise) * _raster_pink_noise(n_samples, size, rng)
    X -= X.mean(axis=(1, 2), keepdims=True)
    X /= np.maximum(X.std(axis=(1, 2), keepdims=True), np.float32(1e-12))
    info = Bunch(target_names=orders, order=names, wavevector=Q, commensurate=locked,
                 defects=defects, lattice_constant=float(lattice_constant))
    y = codes if target == "order" else Q
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
        for k in ("order", "wavevector", "commensurate"):
            info[k] = info[k][perm]
        info.defects = [defects[i] for i in perm]
    return (X, y, info) if return_info else (X, y)


def fourier_peak_features(X):
    """The Fourier-peak baseline of the no-Bragg-peak test: what a Fourier analysis reads off.

    For each map (``X`` of shape ``(n, L, L)``): the log-ratio of the power at its strongest
    Fourier component (the mean left out) to the power at that wavevector rotated by 90
    degrees, and its magnitude, as two features for a linear classifier. Used by the tests,
    the tour and ``benchmarks/bench_images.py`` (not public API).
    """
    X = np.asarray(X, dtype=float)
    P = np.abs(np.fft.fft2(X)) ** 2
    P[:, 0, 0] = 0
    n = X.shape[-1]
    flat = P.reshape(len(X), -1)
    r, c = np.unravel_index(flat.argmax(axis=1), (n, n))
    ratio = np.log(flat.max(axis=1) / P[np.arange(len(X)), c, (-r) % n])
    return np.c_[ratio, np.abs(ratio)]

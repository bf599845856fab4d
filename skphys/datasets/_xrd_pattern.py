"""Powder diffraction physics shared by the XRD generators and :func:`xrd_pattern`.

Bragg reflections of a crystal (reciprocal lattice, structure factors with atomic form
factors, multiplicities from the Laue group, Lorentz-polarisation and Debye-Waller factors)
and a fast renderer of peak profiles for many patterns at once.

Form factors: the Waasmaier-Kirfel fits (Acta Cryst. A51, 416 (1995); five Gaussians and a
constant, for neutral atoms and ions, valid to sin(theta)/lambda = 6 per angstrom) as shipped by
the ``periodictable`` package (the ``xrd`` extra); they are the International Tables (Vol. C)
values that pymatgen, GSAS-II and xraylib also build on. A simple Gaussian electron cloud
(:func:`gaussian_form_factor`) serves the holohedral generator, which needs no extra.
"""

from functools import cache

import numpy as np
from sklearn.utils import Bunch


def _require(module):
    """Import an optional dependency of the ``xrd`` extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            f"This XRD feature needs the optional dependency {module!r}: install skphys's "
            "'xrd' extra (pip install 'skphys[xrd]')."
        ) from exc


# ----------------------------------------------------------------------------- form factors
@cache
def _wk_table():
    """Waasmaier-Kirfel coefficients of the neutral atoms Z = 1..98: a (99, 5), b (99, 5), c (99,)."""
    pt = _require("periodictable")
    cm = _require("periodictable.cromermann")
    a, b, c = np.zeros((99, 5)), np.zeros((99, 5)), np.zeros(99)
    for Z in range(1, 99):
        f = cm.getCMformula(pt.elements[Z].symbol)
        a[Z], b[Z], c[Z] = f.a, f.b, f.c
    return a, b, c


def waasmaier_kirfel_form_factor(species, s):
    """Atomic form factors ``f(s)`` of ``species`` at ``s = sin(theta) / lambda``.

    Parameters
    ----------
    species : array-like of int or str, shape (n_species,)
        Atomic numbers of neutral atoms, or symbols of atoms and ions (``"Si"``, ``"O2-"``,
        ``"Na+"``).
    s : array-like of float, shape (n_s,)
        ``sin(theta) / lambda`` in inverse angstrom.

    Returns
    -------
    f : ndarray of shape (n_s, n_species)
    """
    s2 = np.asarray(s, dtype=float)[:, None, None] ** 2
    arr = np.asarray(species)
    if arr.dtype.kind in "iu" and arr.ndim == 1 and arr.min() >= 1 and arr.max() <= 98:
        a, b, c = (t[arr] for t in _wk_table())  # atomic numbers: the fast path
        return np.sum(a * np.exp(-b * s2), axis=2) + c
    species = [int(z) if isinstance(z, (int, np.integer)) or str(z).isdigit() else str(z)
               for z in np.atleast_1d(np.asarray(species, dtype=object))]
    if all(isinstance(z, int) for z in species):
        if min(species) < 1 or max(species) > 98:
            raise ValueError(f"No X-ray form factor for atomic numbers outside 1-98: {species}.")
        a, b, c = (t[np.asarray(species, dtype=int)] for t in _wk_table())
    else:
        a, b, c = _wk_coefficients([_symbol(z) if isinstance(z, int) else z for z in species])
    return np.sum(a * np.exp(-b * s2), axis=2) + c


def _symbol(Z):
    return _require("periodictable").elements[Z].symbol


def _wk_coefficients(symbols):
    cm = _require("periodictable.cromermann")
    coeffs = []
    for sym in symbols:
        key = sym
        if sym[-1:] in "+-" and not sym[-2:-1].isdigit():
            key = sym[:-1] + "1" + sym[-1:]  # Na+ -> Na1+
        try:
            f = cm.getCMformula(key)
        except KeyError:
            raise ValueError(f"No X-ray form factor for species {sym!r}.") from None
        coeffs.append((f.a, f.b, f.c))
    a, b, c = (np.array(v) for v in zip(*coeffs))
    return a, b, c


def gaussian_form_factor(species, s):
    """A simple form factor: ``Z`` electrons in a Gaussian cloud, ``f(s) = Z exp(-b s^2)``.

    ``b = 2.5 Z^(-1/3) + 0.5`` angstrom^2 (heavier atoms keep relatively more electrons close
    to the nucleus), ``f(0) = Z``. Used by the holohedral generator, which needs no extra.
    """
    Z = np.asarray(species, dtype=float)
    b = 2.5 * Z ** (-1.0 / 3.0) + 0.5
    return Z * np.exp(-np.multiply.outer(np.asarray(s, dtype=float) ** 2, b))


# ----------------------------------------------------------------------------- lattices
def cell_matrix(a, b, c, alpha, beta, gamma):
    """Rows: the cell vectors in Cartesian coordinates (angstrom), angles in degrees."""
    al, be, ga = np.radians([alpha, beta, gamma])
    cx = np.cos(be)
    cy = (np.cos(al) - np.cos(be) * np.cos(ga)) / np.sin(ga)
    cz2 = 1.0 - cx ** 2 - cy ** 2
    if cz2 <= 0:
        raise ValueError("These cell angles do not make a cell.")
    return np.array([[a, 0, 0], [b * np.cos(ga), b * np.sin(ga), 0], [c * cx, c * cy,
                                                                     c * np.sqrt(cz2)]])


def cell_parameters(lattice):
    """(a, b, c, alpha, beta, gamma) of a (3, 3) matrix whose rows are the cell vectors."""
    lattice = np.asarray(lattice, dtype=float)
    lengths = np.linalg.norm(lattice, axis=1)
    cos = [lattice[1] @ lattice[2] / (lengths[1] * lengths[2]),
           lattice[0] @ lattice[2] / (lengths[0] * lengths[2]),
           lattice[0] @ lattice[1] / (lengths[0] * lengths[1])]
    return (*lengths, *np.degrees(np.arccos(np.clip(cos, -1, 1))))


# ----------------------------------------------------------------------------- reflections
def group_closure(generators, start):
    """The group that integer 3x3 matrices ``generators`` generate from the elements
    ``start``: every product, as a sorted int array (n, 3, 3) without repeats."""
    ops = {tuple(np.asarray(op, dtype=int).ravel()) for op in start}
    gens = [np.array(g).reshape(3, 3)
            for g in {tuple(np.asarray(g, dtype=int).ravel()) for g in generators}]
    frontier = list(ops)
    while frontier:
        new = []
        for op in frontier:
            M = np.array(op).reshape(3, 3)
            for g in gens:
                key = tuple((g @ M).ravel())
                if key not in ops:
                    ops.add(key)
                    new.append(key)
        frontier = new
    return np.array(sorted(ops)).reshape(-1, 3, 3)


def laue_group(rotations):
    """The Laue group of a set of rotations (fractional coordinates): the group they and the
    inversion generate, as an int array (n, 3, 3) without repeats."""
    identity = np.eye(3, dtype=int)
    return group_closure(np.asarray(rotations, dtype=int).reshape(-1, 3, 3),
                         [identity, -identity])


@cache
def _orbit_table(laue_key, H):  # laue_key: the Laue rotations as int64 bytes
    """Representatives and multiplicities of the hkl orbits of a Laue group in a box.

    Every ``hkl`` with ``|h|, |k|, |l| <= H`` (not 0 0 0) is grouped with its images
    ``M^T hkl`` (``|F|`` is equal on an orbit); the representative is the image with the
    largest code. Images may leave the box (hexagonal axes), so codes use a wider base.
    Returns ``reps`` (n, 3) int, ``mult`` (n,) and ``images`` (n, n_ops, 3) of each
    representative (for preferred orientation).
    """
    ops = np.frombuffer(laue_key, dtype=np.int64).reshape(-1, 3, 3)
    r = np.arange(-H, H + 1)
    hkl = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    hkl = hkl[np.any(hkl != 0, axis=1)]
    K = 3 * H
    base = 2 * K + 1
    w = np.array([base * base, base, 1], dtype=np.int64)
    codes = np.einsum("nj,gjk,k->ng", hkl, ops, w)  # code of M^T h = h . (M w)
    canon = codes.max(axis=1)
    _, first = np.unique(canon, return_index=True)
    best = np.argmax(codes[first], axis=1)
    images = np.einsum("gji,nj->ngi", ops, hkl[first])  # (n, n_ops, 3): M^T h
    reps = images[np.arange(len(first)), best]
    images = np.einsum("gji,nj->ngi", ops, reps)
    mult = np.array([len(np.unique(im @ w)) for im in images])
    return reps.astype(float), mult, images


def reflections(lattice, positions, species, *, laue, wavelength=1.5406, two_theta_max=90.0,
                B_iso=0.0, form_factor=None, centring=None, preferred_orientation=None,
                H=None):
    """Bragg reflections of a crystal.

    Parameters
    ----------
    lattice : ndarray of shape (3, 3)
        Rows: the cell vectors (angstrom).
    positions : ndarray of shape (n_atoms, 3)
        Fractional positions of all atoms of the cell.
    species : ndarray of shape (n_atoms,)
        Atomic numbers (or symbols, with the Waasmaier-Kirfel form factors).
    laue : ndarray of shape (n_ops, 3, 3)
        Laue group (rotations on fractional coordinates, inversion included); ``{1, -1}``
        for a structure of unknown symmetry.
    wavelength, two_theta_max : float
        Wavelength (angstrom) and largest 2theta (degrees).
    B_iso : float
        Isotropic Debye-Waller factor (angstrom^2): intensities times ``exp(-2 B s^2)``.
    form_factor : callable or None
        ``f(species, s) -> (n_s, n_species)``; None: Waasmaier-Kirfel.
    centring : ndarray of shape (n_c, 3) or None
        Centring translations that ``positions`` omit (the structure is ``positions`` plus
        each of them); None: ``positions`` are the whole cell.
    preferred_orientation : (float, ndarray of shape (3,)) or None
        March-Dollase ratio ``r`` and the preferred reciprocal direction ``hkl``.
    H : int or None
        Largest ``|h|, |k|, |l|`` of the search box (at least the one the cell needs);
        a generator passes one value so that its orbit tables are built once.

    Returns
    -------
    Bunch with ``two_theta`` (degrees), ``intensity`` (``m |F|^2 LP exp(-2 B s^2) P``),
    ``hkl`` (a representative), ``multiplicity``, ``d`` (angstrom) and ``F2``, sorted by
    angle; systematic absences (``|F|^2`` below 1e-8 of the largest) are dropped.
    """
    form_factor = waasmaier_kirfel_form_factor if form_factor is None else form_factor
    A = np.asarray(lattice, dtype=float)
    recip = np.linalg.inv(A).T  # rows a*, b*, c* (no 2 pi)
    d_min = wavelength / (2.0 * np.sin(np.radians(min(two_theta_max, 179.9)) / 2.0))
    H_cell = int(np.ceil(np.linalg.norm(A, axis=1).max() / d_min))
    H = H_cell if H is None else max(int(H), H_cell)
    laue = np.ascontiguousarray(laue, dtype=np.int64)
    reps, mult, images = _orbit_table(laue.tobytes(), H)
    g2 = np.sum((reps @ recip) ** 2, axis=1)
    keep = g2 <= (1.0 + 1e-9) / d_min ** 2
    hkl, g2, mult = reps[keep], g2[keep], mult[keep]
    hkl_int = hkl.astype(np.int64)
    F_scale = 1.0
    if centring is not None and len(centring) > 1:
        C = np.exp(2j * np.pi * hkl @ np.asarray(centring, dtype=float).T).sum(axis=1)
        on = np.abs(C) > 1e-6
        hkl, g2, mult, keep_idx = hkl[on], g2[on], mult[on], np.flatnonzero(keep)[on]
        hkl_int = hkl_int[on]
        F_scale = np.abs(C[on]) ** 2
    else:
        keep_idx = np.flatnonzero(keep)
    s = np.sqrt(g2) / 2.0  # sin(theta) / lambda = 1 / (2 d)
    uniq, inv = np.unique(np.asarray(species), return_inverse=True)
    onehot = np.zeros((len(inv), len(uniq)))
    onehot[np.arange(len(inv)), inv] = 1.0
    arg = 2 * np.pi * (hkl @ np.asarray(positions, dtype=float).T)
    f = form_factor(uniq, s)  # (n_refl, n_species)
    re = np.sum((np.cos(arg) @ onehot) * f, axis=1)
    im = np.sum((np.sin(arg) @ onehot) * f, axis=1)
    F2 = (re ** 2 + im ** 2) * F_scale
    present = F2 > 1e-8 * max(F2.max(initial=0.0), 1e-300)
    theta = np.arcsin(np.clip(wavelength * s, 0, 1))
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    intensity = mult * F2 * lp * np.exp(-2.0 * B_iso * s ** 2)
    if preferred_orientation is not None:
        r, direction = preferred_orientation
        g_pref = np.asarray(direction, dtype=float) @ recip
        g_pref /= np.linalg.norm(g_pref)
        gi = images[keep_idx] @ recip  # (n, n_ops, 3) every member of the orbit
        cos2 = (gi @ g_pref) ** 2 / np.maximum(np.sum(gi ** 2, axis=2), 1e-300)
        intensity = intensity * np.mean((r ** 2 * cos2 + (1 - cos2) / r) ** -1.5, axis=1)
    order = np.argsort(theta[present], kind="stable")
    sel = np.flatnonzero(present)[order]
    return Bunch(two_theta=np.degrees(2 * theta[sel]), intensity=intensity[sel], hkl=hkl_int[sel],
                 multiplicity=mult[sel], d=1.0 / np.sqrt(g2[sel]), F2=F2[sel])


# ----------------------------------------------------------------------------- profiles
class ProfileRenderer:
    """Pseudo-Voigt peaks of width ``w0 (1 + tan theta)`` for many patterns at once.

    In the variable ``u(2theta) = integral d(2theta) / (1 + tan theta)`` every peak of a pattern
    has the same width ``w0``, so a pattern is one convolution: the peaks are binned on a fine
    even ``u`` grid (each split between its two nearest points, which keeps its centre), all
    patterns are convolved at once by FFT with the closed-form Fourier transform of their
    pseudo-Voigt profile, and the result is interpolated back to the 2theta grid. Peaks are
    unit-area in 2theta (times their intensity).
    """

    def __init__(self, grid, *, max_fwhm=0.6, oversample=4):
        self.grid = np.asarray(grid, dtype=float)
        lo, hi = self.grid[0], self.grid[-1]
        step = (hi - lo) / max(len(self.grid) - 1, 1)
        pad = 10.0 * max_fwhm
        tt = np.linspace(max(lo - pad, 1e-3), min(hi + pad, 179.0), 20001)
        dudt = 1.0 / (1.0 + np.tan(np.radians(tt / 2.0)))
        u = np.concatenate([[0.0], np.cumsum(0.5 * (dudt[1:] + dudt[:-1]) * np.diff(tt))])
        du = step / oversample * dudt.min()
        n = int(np.ceil((u[-1] - u[0]) / du)) + 1
        from scipy.fft import next_fast_len

        self._n = next_fast_len(n, real=True)
        self._du = du
        self._tt, self._u = tt, u
        self._gi, self._gw = self._split(np.interp(self.grid, tt, u) / du)
        self._freq = np.fft.rfftfreq(self._n, d=du).astype(np.float32)

    @staticmethod
    def _split(x):
        i = np.floor(x).astype(np.int64)
        return i, x - i

    def render(self, centres, intensities, w0, eta):
        """Patterns (n, n_points) of peaks at ``centres[j]`` (degrees) with ``intensities[j]``.

        ``w0`` (n,): FWHM in degrees at 2theta -> 0; ``eta`` (n,): Lorentzian fraction.
        """
        from scipy import fft

        n_pat = len(centres)
        sticks = np.zeros((n_pat, self._n))
        lens = np.array([len(c) for c in centres])
        if lens.sum():
            c = np.concatenate(centres)
            inten = np.concatenate(intensities)
            row = np.repeat(np.arange(n_pat), lens)
            inside = (c > self._tt[0]) & (c < self._tt[-1])
            c, inten, row = c[inside], inten[inside], row[inside]
            pos = np.interp(c, self._tt, self._u) / self._du
            i, w = self._split(pos)
            flat = row * self._n + i
            size = n_pat * self._n
            sticks = (np.bincount(flat, weights=inten * (1 - w), minlength=size)
                      + np.bincount(flat + 1, weights=inten * w, minlength=size + 1)[:size])
            sticks = sticks.reshape(n_pat, self._n)
        # single precision: the patterns are float32 in the end, and the FFTs twice as fast
        spec = fft.rfft(sticks.astype(np.float32), axis=1, workers=1)
        x = np.float32(np.pi) * np.asarray(w0, dtype=np.float32)[:, None] * self._freq[None, :]
        eta = np.asarray(eta, dtype=np.float32)[:, None]
        spec *= eta * np.exp(-x) + (1 - eta) * np.exp(-x * x / np.float32(4 * np.log(2)))
        out = fft.irfft(spec, n=self._n, axis=1, workers=1)
        # back to 2theta: a peak of unit area in u has area (du/d2theta) in 2theta
        vals = out[:, self._gi] * (1 - self._gw) + out[:, self._gi + 1] * self._gw
        dudt = 1.0 / (1.0 + np.tan(np.radians(self.grid / 2.0)))
        return vals * dudt / self._du


# ----------------------------------------------------------------------------- public
def _as_lattice(lattice):
    lat = np.asarray(lattice, dtype=float)
    if lat.shape == (6,):
        return cell_matrix(*lat)
    if lat.shape != (3, 3):
        raise ValueError("lattice must be a (3, 3) matrix of cell vectors (rows) or the six "
                         f"cell parameters (a, b, c, alpha, beta, gamma), got shape {lat.shape}.")
    if abs(np.linalg.det(lat)) < 1e-8:
        raise ValueError("lattice has (nearly) zero volume.")
    return lat


def xrd_pattern(lattice, positions, species, *, wavelength=1.5406,
                two_theta_range=(5.0, 90.0), n_points=1701, peak_width=0.1,
                lorentz_fraction=0.5, B_iso=0.0, tolerance=1e-4):
    """Powder X-ray diffraction pattern of a crystal you give.

    Computes the Bragg reflections of the structure (all ``hkl`` of the reciprocal lattice
    inside the limiting sphere, structure factors with the Waasmaier-Kirfel atomic form
    factors, Lorentz-polarisation factor ``(1 + cos^2 2theta) / (sin^2 theta cos theta)``,
    isotropic Debye-Waller factor), merges reflections at the same angle (symmetry-
    equivalent ``hkl`` and accidental coincidences such as 333/511 of a cubic cell) and draws
    them as pseudo-Voigt peaks of width ``peak_width (1 + tan theta)`` on the 2theta grid of
    :func:`make_xrd_patterns`, so a classifier trained on generated patterns can classify
    it. No symmetry is assumed: the multiplicities come from counting the reflections.

    Parameters
    ----------
    lattice : array-like of shape (3, 3) or (6,)
        Cell vectors as rows (angstrom), or ``(a, b, c, alpha, beta, gamma)`` (angstrom,
        degrees).
    positions : array-like of shape (n_atoms, 3)
        Fractional coordinates of every atom of the cell.
    species : array-like of shape (n_atoms,)
        Atomic numbers, or element and ion symbols (``"Si"``, ``"O2-"``, ``"Na+"``).
    wavelength : float, default=1.5406
        X-ray wavelength in angstrom (Cu K-alpha1).
    two_theta_range : (float, float), default=(5.0, 90.0)
        The 2theta range in degrees.
    n_points : int, default=1701
        Points of the 2theta grid.
    peak_width : float, default=0.1
        FWHM of the peaks in degrees at low angle.
    lorentz_fraction : float, default=0.5
        Lorentzian fraction of the pseudo-Voigt peaks.
    B_iso : float, default=0.0
        Isotropic Debye-Waller factor in angstrom^2.
    tolerance : float, default=1e-4
        Reflections closer than this (degrees 2theta) make one peak.

    Returns
    -------
    result : Bunch
        ``two_theta`` (the grid), ``pattern`` (n_points,) scaled to a maximum of 1, and
        ``peaks``: a Bunch of ``two_theta``, ``intensity`` (the strongest is 100), ``d``
        (angstrom), ``hkl`` (a representative, the largest in lexicographic order) and
        ``multiplicity`` (the number of ``hkl`` in the peak) of every peak inside the range.

    See Also
    --------
    make_xrd_patterns : Patterns of random crystals for training.
    load_xrd_prototypes : Patterns of real structure types.

    Examples
    --------
    Rock salt, NaCl: the face-centred lattice leaves only unmixed ``hkl``.

    >>> from skphys.datasets import xrd_pattern
    >>> na, cl = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0)], [(.5, .5, .5),
    ...     (.5, 0, 0), (0, .5, 0), (0, 0, .5)]
    >>> res = xrd_pattern((5.64, 5.64, 5.64, 90, 90, 90), na + cl, ["Na"] * 4 + ["Cl"] * 4)
    >>> [tuple(map(int, h)) for h in res.peaks.hkl[:4]]
    [(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1)]
    >>> res.peaks.two_theta[:2].round(2).tolist(), res.peaks.intensity[1].round()
    ([27.37, 31.7], np.float64(100.0))
    """
    A = _as_lattice(lattice)
    positions = np.atleast_2d(np.asarray(positions, dtype=float))
    species = np.asarray(species)
    if positions.shape[1] != 3 or len(positions) != len(species) or len(species) == 0:
        raise ValueError("positions must be (n_atoms, 3) and species (n_atoms,), with "
                         f"n_atoms >= 1; got {positions.shape} and {species.shape}.")
    lo, hi = (float(v) for v in two_theta_range)
    if not 0 < lo < hi < 180:
        raise ValueError(f"two_theta_range must satisfy 0 < low < high < 180, got "
                         f"{two_theta_range}.")
    if species.dtype.kind in "iu":
        species = species.astype(int)
    friedel = np.array([np.eye(3, dtype=int), -np.eye(3, dtype=int)])
    refl = reflections(A, positions, species, laue=friedel, wavelength=wavelength,
                       two_theta_max=min(hi + 2.0, 179.0), B_iso=B_iso)
    # merge reflections at the same angle (refl is sorted by angle)
    new = np.concatenate([[True], np.diff(refl.two_theta) > tolerance])
    group = np.cumsum(new) - 1
    n = group[-1] + 1 if len(group) else 0
    intensity = np.bincount(group, weights=refl.intensity, minlength=n)
    mult = np.bincount(group, weights=refl.multiplicity, minlength=n).astype(int)
    two_theta = np.bincount(group, weights=refl.two_theta * refl.intensity, minlength=n)
    two_theta = two_theta / np.maximum(intensity, 1e-300)
    hkl = np.empty((n, 3), dtype=int)
    for k in range(n):
        members = refl.hkl[group == k]
        members = np.concatenate([members, -members])
        hkl[k] = members[np.lexsort(members.T[::-1])[-1]]
    d = np.bincount(group, weights=refl.d, minlength=n) / np.maximum(np.bincount(group), 1)
    grid = np.linspace(lo, hi, n_points)
    renderer = ProfileRenderer(grid, max_fwhm=2 * peak_width)
    pattern = renderer.render([refl.two_theta], [refl.intensity], [peak_width],
                              [lorentz_fraction])[0]
    pattern /= max(pattern.max(), 1e-300)
    inside = (two_theta >= lo) & (two_theta <= hi)
    scale = 100.0 / max(intensity[inside].max(initial=0.0), 1e-300)
    peaks = Bunch(two_theta=two_theta[inside], intensity=intensity[inside] * scale,
                  d=d[inside], hkl=hkl[inside], multiplicity=mult[inside])
    return Bunch(two_theta=grid, pattern=pattern, peaks=peaks)


def resample_log_d(X, two_theta, *, n_points=None):
    """Powder patterns resampled onto an even grid in ``ln d`` (``d`` the lattice spacing).

    Bragg's law puts a reflection at ``d = lambda / (2 sin theta)``; scaling the cell by a
    factor moves every peak by the same amount in ``ln d``. On this grid a change of the
    cell's size is a shift, which convolutional networks handle by construction, and the
    ratios of the spacings (what tells a cubic from a tetragonal cell) become fixed
    distances. Use it in a pipeline:
    ``FunctionTransformer(resample_log_d, kw_args={"two_theta": grid})``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_angles)
        Patterns on the 2theta grid ``two_theta``.
    two_theta : array-like of shape (n_angles,)
        The increasing 2theta grid of ``X`` (degrees).
    n_points : int or None, default=None
        Points of the new grid (None: as many as ``two_theta``), from the largest ``d`` of
        the grid (lowest angle) to the smallest; linear interpolation.

    Returns
    -------
    X_new : ndarray of shape (n_samples, n_points), float32

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.datasets import make_xrd_patterns, resample_log_d
    >>> X, y, info = make_xrd_patterns(4, n_points=851, return_info=True, random_state=0)
    >>> resample_log_d(X, info.two_theta).shape
    (4, 851)
    """
    X = np.asarray(X, dtype=np.float32)
    two_theta = np.asarray(two_theta, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(two_theta) or np.any(np.diff(two_theta) <= 0):
        raise ValueError("X must be (n_samples, n_angles) on an increasing grid two_theta of "
                         f"n_angles points; got X {X.shape} and two_theta {two_theta.shape}.")
    u = np.log(np.sin(np.radians(two_theta / 2.0)))  # -ln d + const, increasing
    grid = np.linspace(u[0], u[-1], len(u) if n_points is None else int(n_points))
    idx = np.clip(np.searchsorted(u, grid) - 1, 0, len(u) - 2)
    w = ((grid - u[idx]) / (u[idx + 1] - u[idx])).astype(np.float32)
    return X[:, idx] * (1 - w) + X[:, idx + 1] * w


def log_d_autocorrelation(X, two_theta, *, n_lags=600):
    """The autocorrelation of each powder pattern on the ``ln d`` grid: features that do not
    depend on the cell's size.

    On an even ``ln d`` grid (:func:`resample_log_d`) scaling a cell shifts its whole
    pattern; the autocorrelation over shifts keeps how far apart in ``ln d`` the peaks lie
    (the ratios of the lattice spacings, which tell the crystal system) and drops where they
    lie. It is what a physicist indexing a pattern looks at, and a dense network learns the
    crystal system from it better than from the pattern itself (``benchmarks/bench_xrd.py``).
    Use it in a pipeline:
    ``FunctionTransformer(log_d_autocorrelation, kw_args={"two_theta": grid})``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_angles)
        Patterns on the 2theta grid ``two_theta``.
    two_theta : array-like of shape (n_angles,)
        The increasing 2theta grid of ``X`` (degrees).
    n_lags : int, default=600
        Number of shifts kept, from 0 up, in steps of the ``ln d`` grid (as many points as
        ``two_theta``); at most ``n_angles``.

    Returns
    -------
    A : ndarray of shape (n_samples, n_lags), float32
        The autocorrelation of the mean-free pattern, divided by its value at shift 0
        (so ``A[:, 0] == 1``; a flat pattern gives zeros).

    Examples
    --------
    A cubic cell, the same cell 5% larger, and a tetragonal one (c/a = 1.1): the patterns of
    the two cubic cells do not overlap, their autocorrelations nearly coincide (the peaks
    leaving the angle range and the widths set in 2theta keep them from being identical):

    >>> import numpy as np
    >>> from skphys.datasets import log_d_autocorrelation, resample_log_d, xrd_pattern
    >>> cells = [np.diag([4.0, 4.0, 4.0]), np.diag([4.2, 4.2, 4.2]), np.diag([4.0, 4.0, 4.4])]
    >>> X = [xrd_pattern(c, [[0, 0, 0]], ["Cu"], n_points=851).pattern for c in cells]
    >>> grid = np.linspace(5.0, 90.0, 851)
    >>> A = log_d_autocorrelation(X, grid, n_lags=300)
    >>> A.shape
    (3, 300)
    >>> def r(a, b):
    ...     return round(float(np.corrcoef(a, b)[0, 1]), 2)
    >>> r(*resample_log_d(X[:2], grid)), r(A[0], A[1]), r(A[0], A[2])
    (-0.01, 0.99, 0.77)
    """
    L = resample_log_d(X, two_theta).astype(np.float64)
    n_lags = int(n_lags)
    if not 1 <= n_lags <= L.shape[1]:
        raise ValueError(f"n_lags must be in [1, {L.shape[1]}] (the number of angles); "
                         f"got {n_lags}.")
    L -= L.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(L, n=2 * L.shape[1], axis=1)  # zero-padded: no wrap-around
    A = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :n_lags]
    zero = A[:, :1]
    return np.divide(A, zero, out=np.zeros_like(A), where=zero > 0).astype(np.float32)

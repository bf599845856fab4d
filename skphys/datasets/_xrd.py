"""Synthetic powder X-ray diffraction patterns of random crystals, labelled by symmetry.

For the task of Vecsei et al. (2019): tell the crystal system (or Bravais lattice, or space
group) from a 1-D powder pattern. Each sample is a random crystal of one of the 14 Bravais
lattices: a random cell of the lattice's metric, a few random atoms symmetrised by the
lattice's holohedral point group and repeated by its centring translations, so that the
structure has the symmorphic holohedral space group of the lattice (P-1, P2/m, C2/m, Pmmm,
..., Fm-3m). Its pattern is computed from first principles: the reciprocal lattice gives the
Bragg angles (``lambda = 2 d sin theta``), the structure factor ``F(hkl)`` with simple
atomic form factors gives the intensities, multiplied by the multiplicity of each reflection,
the Lorentz-polarisation factor and a Debye-Waller factor; pseudo-Voigt peaks, a smooth
background and noise make it look measured.
"""

from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._torch import draw_seed

__all__ = ["BRAVAIS_LATTICES", "CRYSTAL_SYSTEMS", "make_xrd_patterns"]

CRYSTAL_SYSTEMS = ("triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal",
                   "hexagonal", "cubic")

#: Bravais lattice -> (crystal system, centring, space group number, Hermann-Mauguin symbol)
#: of the symmorphic space group with the lattice's full (holohedral) point symmetry.
#: Trigonal has two: the rhombohedral lattice (R-3m) and the hexagonal one (P-3m1).
BRAVAIS_LATTICES = {
    "aP": ("triclinic", "P", 2, "P-1"),
    "mP": ("monoclinic", "P", 10, "P2/m"),
    "mC": ("monoclinic", "C", 12, "C2/m"),
    "oP": ("orthorhombic", "P", 47, "Pmmm"),
    "oC": ("orthorhombic", "C", 65, "Cmmm"),
    "oF": ("orthorhombic", "F", 69, "Fmmm"),
    "oI": ("orthorhombic", "I", 71, "Immm"),
    "tP": ("tetragonal", "P", 123, "P4/mmm"),
    "tI": ("tetragonal", "I", 139, "I4/mmm"),
    "hP-3m1": ("trigonal", "P", 164, "P-3m1"),
    "hR": ("trigonal", "R", 166, "R-3m"),
    "hP": ("hexagonal", "P", 191, "P6/mmm"),
    "cP": ("cubic", "P", 221, "Pm-3m"),
    "cF": ("cubic", "F", 225, "Fm-3m"),
    "cI": ("cubic", "I", 229, "Im-3m"),
}

_CENTRING = {
    "P": [(0, 0, 0)],
    "C": [(0, 0, 0), (0.5, 0.5, 0)],
    "I": [(0, 0, 0), (0.5, 0.5, 0.5)],
    "F": [(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)],
    "R": [(0, 0, 0), (2 / 3, 1 / 3, 1 / 3), (1 / 3, 2 / 3, 2 / 3)],  # obverse, hexagonal axes
}

# generators of the holohedral point groups, acting on fractional coordinates (x' = M x)
_INV = -np.eye(3, dtype=int)
_GENERATORS = {
    "triclinic": [_INV],
    "monoclinic": [np.diag([-1, 1, -1]), _INV],  # 2-fold axis along b
    "orthorhombic": [np.diag([-1, -1, 1]), np.diag([1, -1, -1]), _INV],
    "tetragonal": [np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]]), np.diag([1, -1, -1]), _INV],
    "trigonal": [np.array([[0, -1, 0], [1, -1, 0], [0, 0, 1]]),
                 np.array([[1, -1, 0], [0, -1, 0], [0, 0, -1]]), _INV],
    "hexagonal": [np.array([[1, -1, 0], [1, 0, 0], [0, 0, 1]]),
                  np.array([[1, -1, 0], [0, -1, 0], [0, 0, -1]]), _INV],
    "cubic": [np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]]),
              np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]]), _INV],
}

#: Elements the random atoms are drawn from (atomic numbers, H and noble gases left out).
_ELEMENTS = np.array([3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 20, 22, 24, 25, 26,
                      27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 38, 39, 40, 41, 42, 47, 48, 49,
                      50, 51, 52, 53, 55, 56, 57, 58, 72, 73, 74, 78, 79, 80, 81, 82, 83])
#: Special positions an atom may sit on (kept when the symmetry maps them to themselves).
_SPECIAL = np.array([(0, 0, 0), (0.5, 0.5, 0.5), (0, 0, 0.5), (0.5, 0, 0), (0, 0.5, 0),
                     (0.5, 0.5, 0), (1 / 3, 2 / 3, 0), (1 / 3, 2 / 3, 0.5), (0.25, 0.25, 0.25)])


@cache
def point_group(system):
    """The holohedral point group of a crystal system: int array (n_ops, 3, 3)."""
    ops = {tuple(np.eye(3, dtype=int).ravel())}
    frontier = list(ops)
    gens = _GENERATORS[system]
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


def _random_cell(system, centring, rng):
    """Random cell parameters (a, b, c, alpha, beta, gamma) of a crystal system.

    Lengths in [3, 10] angstrom; parameters that the system leaves free are kept at least 4%
    (lengths) or 4 degrees (angles) away from the values of a higher symmetry.
    """
    def lengths(n):
        while True:
            x = rng.uniform(3.0, 10.0, n)
            ratios = np.abs(np.log(x[:, None] / x[None, :]))[~np.eye(n, dtype=bool)]
            if n == 1 or ratios.min() > 0.04:
                return x

    def angle(lo, hi):
        while True:
            x = rng.uniform(lo, hi)
            if abs(x - 90) > 4 and abs(x - 60) > 4 and abs(x - 120) > 4:
                return x

    if system == "cubic":
        a = lengths(1)[0]
        return a, a, a, 90.0, 90.0, 90.0
    if system == "tetragonal":
        a, c = lengths(2)
        return a, a, c, 90.0, 90.0, 90.0
    if system == "orthorhombic":
        a, b, c = lengths(3)
        return a, b, c, 90.0, 90.0, 90.0
    if system in ("hexagonal", "trigonal"):
        while True:
            a, c = lengths(2)
            # the rhombohedral cell is cubic (P, F or I) for c/a = sqrt(3/2), sqrt(6), sqrt(3/8)
            cubic = np.sqrt([1.5, 6.0, 0.375])
            if centring != "R" or np.abs(np.log(c / a / cubic)).min() > 0.04:
                return a, a, c, 90.0, 90.0, 120.0
    if system == "monoclinic":
        a, b, c = lengths(3)
        return a, b, c, 90.0, angle(92.0, 125.0), 90.0
    while True:  # triclinic
        a, b, c = lengths(3)
        angles = [angle(65.0, 115.0) for _ in range(3)]
        try:
            cell_matrix(a, b, c, *angles)
        except ValueError:
            continue
        return (a, b, c, *angles)


def _structure(system, centring, n_atoms, rng):
    """Fractional positions (n, 3) and atomic numbers (n,) of a random symmetric structure."""
    ops = point_group(system)
    shifts = np.array(_CENTRING[centring])
    positions, numbers = [], []
    for _ in range(n_atoms):
        Z = rng.choice(_ELEMENTS)
        if rng.random() < 0.3:
            # a special position: only those that the symmetry keeps on a small orbit
            x = _SPECIAL[rng.integers(len(_SPECIAL))]
        else:
            x = rng.random(3)
        orbit = ((ops @ x)[:, None, :] + shifts[None, :, :]).reshape(-1, 3)
        orbit = _distinct(orbit % 1.0)
        positions.append(orbit)
        numbers.append(np.full(len(orbit), Z))
    return np.concatenate(positions), np.concatenate(numbers)


def _distinct(points, tol=1e-6):
    """Fractional positions without repeats (mod 1, to ``tol``)."""
    diff = points[:, None, :] - points[None, :, :]
    close = np.all(np.abs(diff - np.round(diff)) < tol, axis=2)
    return points[~np.triu(close, 1).any(axis=0)]  # drop a point equal to an earlier one


def _form_factor(Z, s):
    """A simple atomic form factor: ``Z`` electrons in a Gaussian cloud, s = sin(theta)/lambda.

    ``f(s) = Z exp(-b s^2)`` with ``b = 2.5 Z^(-1/3) + 0.5`` angstrom^2 (heavier atoms have
    relatively more of their electrons close to the nucleus), ``f(0) = Z``.
    """
    b = 2.5 * np.asarray(Z, dtype=float) ** (-1.0 / 3.0) + 0.5
    return Z * np.exp(-np.multiply.outer(s ** 2, b))


def _reflections(cell, system, centring, positions, numbers, wavelength, two_theta_max,
                 B_iso=0.0):
    """Bragg reflections: 2theta (deg), intensity, one representative hkl and multiplicity.

    All ``hkl`` inside the limiting sphere are grouped in orbits of the Laue group (their
    ``|F|^2`` are equal), ``F`` is computed once per orbit, and the intensity is
    ``m |F|^2 LP(theta) exp(-2 B s^2)``; reflections with ``|F|^2`` below 1e-8 of the largest
    (systematic absences) are dropped.
    """
    A = cell_matrix(*cell)
    recip = np.linalg.inv(A).T  # rows: reciprocal vectors a*, b*, c* (no 2 pi)
    d_min = wavelength / (2.0 * np.sin(np.radians(two_theta_max) / 2.0))
    H = np.ceil(np.linalg.norm(A, axis=1) / d_min).astype(int)
    grids = np.meshgrid(*[np.arange(-h, h + 1) for h in H], indexing="ij")
    hkl = np.stack([g.ravel() for g in grids], axis=1)
    g2 = np.sum((hkl @ recip) ** 2, axis=1)
    keep = (g2 > 0) & (g2 <= 1.0 / d_min ** 2 * (1 + 1e-9))
    hkl, g2 = hkl[keep], g2[keep]
    # Laue-group orbits: F(h) for the structure {M x} equals F(M^T h)
    ops = point_group(system)
    # key(h') = w . h' for the images h' = M^T h (a one-to-one code inside the box), so the
    # keys of all images are hkl @ (M w) for every operation M
    span = 2 * H + 1
    w = np.array([span[1] * span[2], span[2], 1], dtype=np.float64)
    keys = hkl.astype(np.float64) @ (ops @ w).T  # (n, n_ops), exact integers
    canon = keys.max(axis=1)
    _, first, mult = np.unique(canon, return_index=True, return_counts=True)
    hkl, g2 = hkl[first], g2[first]
    s = np.sqrt(g2) / 2.0  # sin(theta) / lambda = 1 / (2d)
    phase = np.exp(2j * np.pi * hkl @ positions.T)  # (n_refl, n_atoms)
    F = np.sum(_form_factor(numbers, s) * phase, axis=1)
    F2 = np.abs(F) ** 2
    present = F2 > 1e-8 * max(F2.max(), 1e-300)
    theta = np.arcsin(np.clip(wavelength * s, 0, 1))
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    intensity = mult * F2 * lp * np.exp(-2.0 * B_iso * s ** 2)
    order = np.argsort(theta[present])
    return Bunch(two_theta=np.degrees(2 * theta[present])[order],
                 intensity=intensity[present][order], hkl=hkl[present][order],
                 multiplicity=mult[present][order], F2=F2[present][order])


def _pseudo_voigt(x, fwhm, eta):
    """Unit-area pseudo-Voigt profile of offsets ``x`` (same units as ``fwhm``)."""
    g = np.sqrt(4 * np.log(2) / np.pi) / fwhm * np.exp(-4 * np.log(2) * (x / fwhm) ** 2)
    lorentz = 2 / (np.pi * fwhm) / (1 + 4 * (x / fwhm) ** 2)
    return eta * lorentz + (1 - eta) * g


def _profile(grid, centres, fwhm, eta, intensity, reach=20.0):
    """Sum of pseudo-Voigt peaks on an even grid, each evaluated within ``reach`` FWHM."""
    step = grid[1] - grid[0]
    half = int(np.ceil(reach * fwhm.max() / step)) if len(centres) else 0
    idx = np.rint((centres - grid[0]) / step).astype(int)[:, None] + np.arange(-half, half + 1)
    inside = (idx >= 0) & (idx < len(grid))
    x = grid[np.clip(idx, 0, len(grid) - 1)] - centres[:, None]
    w = _pseudo_voigt(x, fwhm[:, None], eta) * intensity[:, None]
    return np.bincount(idx[inside], weights=w[inside], minlength=len(grid))


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "crystal_systems": [list, tuple, None],
        "two_theta_range": [tuple, list],
        "n_points": [Interval(Integral, 16, None, closed="left")],
        "wavelength": [Interval(Real, 0, None, closed="neither")],
        "max_atoms": [Interval(Integral, 1, None, closed="left")],
        "peak_width": [tuple, list, Interval(Real, 0, None, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "background": [Interval(Real, 0, None, closed="left")],
        "target": [StrOptions({"crystal_system", "bravais_lattice", "space_group"})],
        "return_info": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_xrd_patterns(n_samples=700, *, crystal_systems=None, two_theta_range=(5.0, 90.0),
                      n_points=1701, wavelength=1.5406, max_atoms=3, peak_width=(0.05, 0.25),
                      noise=0.01, background=0.05, target="crystal_system",
                      return_info=False, shuffle=True, random_state=None):
    """Powder X-ray diffraction patterns of random crystals, labelled by their symmetry.

    Every sample is a random crystal of one of the 14 Bravais lattices (the crystal systems
    in equal numbers, the lattices of a system at random): a random cell with the lattice's
    metric, 1 to ``max_atoms`` random atoms (some on special positions) made symmetric by
    the lattice's holohedral point group and centring, so that its space group is the
    symmorphic one of the lattice (``P-1``, ``P2/m``, ``C2/m``, ``Pmmm``, ..., ``Im-3m``).
    The pattern on a 2theta grid: Bragg peaks of the reciprocal lattice, intensities
    ``m |F(hkl)|^2 LP(theta) exp(-2B s^2)`` (multiplicity, structure factor with simple
    Gaussian atomic form factors, Lorentz-polarisation factor ``(1 + cos^2 2theta) /
    (sin^2 theta cos theta)``, a random Debye-Waller factor), pseudo-Voigt peaks whose width
    grows with ``tan theta``, a small zero shift, a decaying background and Gaussian noise.
    Each pattern is scaled to a maximum of 1.

    Parameters
    ----------
    n_samples : int, default=700
        Number of patterns.
    crystal_systems : list of str or None, default=None
        The crystal systems to draw from (names in :data:`CRYSTAL_SYSTEMS`); None: all 7.
    two_theta_range : (float, float), default=(5.0, 90.0)
        The 2theta range of the pattern in degrees.
    n_points : int, default=1701
        Points of the 2theta grid (1701 over 5-90 degrees: a 0.05 degree step).
    wavelength : float, default=1.5406
        X-ray wavelength in angstrom (Cu K-alpha1).
    max_atoms : int, default=3
        Largest number of symmetry-independent atoms of a structure.
    peak_width : (float, float) or float, default=(0.05, 0.25)
        Range of the peak width (FWHM in degrees at low angle) drawn per pattern.
    noise : float, default=0.01
        Standard deviation of the Gaussian noise relative to the strongest peak.
    background : float, default=0.05
        Largest height of the decaying background, relative to the strongest peak.
    target : {"crystal_system", "bravais_lattice", "space_group"}, default="crystal_system"
        What ``y`` holds: the crystal system as an index into :data:`CRYSTAL_SYSTEMS`
        (0 triclinic ... 6 cubic), the Bravais lattice symbol (``"cF"``, ``"hR"``, ...), or
        the space-group number.
    return_info : bool, default=False
        Also return a Bunch describing the samples (see below).
    shuffle : bool, default=True
        Shuffle the samples (else they come grouped by crystal system).
    random_state : int, RandomState instance or None, default=None
        Seed of the random crystals and patterns.

    Returns
    -------
    X : ndarray of shape (n_samples, n_points), float32
        The patterns.
    y : ndarray of shape (n_samples,)
        The labels chosen by ``target``.
    info : Bunch, only if ``return_info``
        ``two_theta`` (the grid), ``crystal_system``, ``bravais_lattice``, ``space_group``
        (number) and ``space_group_symbol`` per sample, ``cell`` (n_samples, 6: a, b, c in
        angstrom and alpha, beta, gamma in degrees), ``n_atoms`` (atoms in the cell),
        ``target_names`` (:data:`CRYSTAL_SYSTEMS` for ``target="crystal_system"``).

    References
    ----------
    P. M. Vecsei, K. Choo, J. Chang and T. Neupert, "Neural network based classification of
    crystal symmetries from x-ray diffraction patterns", Phys. Rev. B 99, 245120 (2019).

    Examples
    --------
    >>> from skphys.datasets import make_xrd_patterns
    >>> X, y = make_xrd_patterns(14, n_points=500, random_state=0)
    >>> X.shape, sorted(set(y.tolist())) == list(range(7))
    ((14, 500), True)
    """
    systems = list(CRYSTAL_SYSTEMS if crystal_systems is None else crystal_systems)
    unknown = set(systems) - set(CRYSTAL_SYSTEMS)
    if unknown or not systems:
        raise ValueError(f"crystal_systems must be names from {CRYSTAL_SYSTEMS}, got "
                         f"{sorted(unknown) or systems}.")
    lo, hi = (float(v) for v in two_theta_range)
    if not 0 < lo < hi < 180:
        raise ValueError("two_theta_range must satisfy 0 < low < high < 180, got "
                         f"{two_theta_range}.")
    w_lo, w_hi = (peak_width, peak_width) if np.isscalar(peak_width) else peak_width
    rng = np.random.default_rng(draw_seed(random_state))
    grid = np.linspace(lo, hi, n_points)
    lattices = {s: [k for k, v in BRAVAIS_LATTICES.items() if v[0] == s] for s in systems}
    system_of = np.array(systems)[np.arange(n_samples) % len(systems)]
    X = np.empty((n_samples, n_points), dtype=np.float32)
    bravais, cells, n_atoms = [], np.empty((n_samples, 6)), np.empty(n_samples, int)
    for i, system in enumerate(system_of):
        key = lattices[system][rng.integers(len(lattices[system]))]
        _, centring, _, _ = BRAVAIS_LATTICES[key]
        cell = _random_cell(system, centring, rng)
        positions, numbers = _structure(system, centring, rng.integers(1, max_atoms + 1), rng)
        refl = _reflections(cell, system, centring, positions, numbers, wavelength,
                            min(hi + 2.0, 179.0), B_iso=rng.uniform(0.2, 1.5))
        width0 = rng.uniform(w_lo, w_hi)
        eta = rng.uniform(0.0, 1.0)
        shift = rng.normal(0.0, 0.02)
        tth = refl.two_theta + shift
        fwhm = width0 * (1.0 + np.tan(np.radians(tth / 2.0)))
        pattern = _profile(grid, tth, fwhm, eta, refl.intensity)
        pattern /= max(pattern.max(), 1e-300)
        pattern += rng.uniform(0, background) * np.exp(-(grid - lo) / rng.uniform(5, 30))
        pattern += noise * rng.standard_normal(n_points)
        X[i] = pattern / pattern.max()
        bravais.append(key)
        cells[i] = cell
        n_atoms[i] = len(numbers)
    bravais = np.array(bravais)
    info = Bunch(
        two_theta=grid,
        crystal_system=system_of,
        bravais_lattice=np.array([k.split("-")[0] for k in bravais]),
        space_group=np.array([BRAVAIS_LATTICES[k][2] for k in bravais]),
        space_group_symbol=np.array([BRAVAIS_LATTICES[k][3] for k in bravais]),
        cell=cells,
        n_atoms=n_atoms,
    )
    if target == "crystal_system":
        y = np.array([CRYSTAL_SYSTEMS.index(s) for s in system_of])
        info.target_names = list(CRYSTAL_SYSTEMS)
    elif target == "bravais_lattice":
        y = info.bravais_lattice
        info.target_names = sorted({k.split("-")[0] for k in BRAVAIS_LATTICES})
    else:
        y = info.space_group
        info.target_names = sorted(v[2] for v in BRAVAIS_LATTICES.values())
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
        for k in ("crystal_system", "bravais_lattice", "space_group", "space_group_symbol",
                  "cell", "n_atoms"):
            info[k] = info[k][perm]
    return (X, y, info) if return_info else (X, y)

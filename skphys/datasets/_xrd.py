"""Synthetic powder X-ray diffraction patterns of random crystals, labelled by their symmetry.

For the task of Vecsei et al. (2019): tell the crystal system, Bravais lattice or space group
from a 1-D powder pattern. Two kinds of random crystals:

* ``space_groups="all"`` (or a list of numbers): crystals of any of the 230 space groups, built
  from the group's operations (spglib) with two or more symmetry-independent sites of distinct
  elements (see :mod:`._xrd_spacegroups`), real (Waasmaier-Kirfel) atomic form factors.
* ``space_groups="holohedral"``: the 15 symmorphic holohedral groups of the Bravais lattices
  (``P-1, P2/m, C2/m, Pmmm, ..., Im-3m``): a few random atoms symmetrised by the lattice's
  holohedral point group and centring, simple Gaussian form factors; needs no extra.

Each pattern is computed from first principles (:mod:`._xrd_pattern`): the reciprocal lattice
gives the Bragg angles (``lambda = 2 d sin theta``), the structure factor ``F(hkl)`` the
intensities, times the multiplicity of each reflection, the Lorentz-polarisation factor, a
Debye-Waller factor and optionally March-Dollase preferred orientation; pseudo-Voigt peaks,
a zero shift, a smooth background and noise make it look measured.
"""

from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed

from ..utils._torch import draw_seed
from ._xrd_pattern import (
    ProfileRenderer,
    cell_matrix,
    gaussian_form_factor,
    group_closure,
    reflections,
)

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
    return group_closure(_GENERATORS[system], [np.eye(3, dtype=int)])


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
    """The holohedral generator's simple form factor (see :func:`gaussian_form_factor`)."""
    return gaussian_form_factor(Z, s)


def _reflections(cell, system, centring, positions, numbers, wavelength, two_theta_max,
                 B_iso=0.0):
    """Bragg reflections of a holohedral crystal (all atoms in ``positions``), simple form
    factors: 2theta (deg), intensity, one representative hkl and multiplicity per orbit of
    the lattice's Laue group (see :func:`._xrd_pattern.reflections`)."""
    return reflections(cell_matrix(*cell), positions, numbers, laue=point_group(system),
                       wavelength=wavelength, two_theta_max=two_theta_max, B_iso=B_iso,
                       form_factor=gaussian_form_factor)


#: reciprocal directions a preferred orientation is drawn from (platelets, needles, ...)
_PREFERRED = np.array([(0, 0, 1), (1, 0, 0), (0, 1, 0), (1, 1, 0), (1, 1, 1)])


@cache
def _holohedral_groups():
    """The holohedral "groups" as light records with the attributes the generator uses."""
    out = []
    for key, (system, centring, number, symbol) in BRAVAIS_LATTICES.items():
        out.append(Bunch(number=number, symbol=symbol, crystal_system=system,
                         centring=centring, bravais_lattice=key.split("-")[0], key=key))
    return tuple(out)


def _candidate_groups(space_groups, systems):
    if isinstance(space_groups, str) and space_groups == "holohedral":
        groups = _holohedral_groups()
    else:
        from ._xrd_spacegroups import space_group

        numbers = (range(1, 231) if isinstance(space_groups, str)
                   else np.unique(np.asarray(space_groups).ravel()))
        try:
            numbers = [int(n) for n in numbers]
        except (TypeError, ValueError):
            raise ValueError("space_groups must be 'all', 'holohedral' or space-group numbers "
                             f"(1-230), got {space_groups!r}.") from None
        if not numbers or min(numbers) < 1 or max(numbers) > 230:
            raise ValueError("space_groups must be 'all', 'holohedral' or space-group numbers "
                             f"(1-230), got {space_groups!r}.")
        groups = tuple(space_group(n) for n in numbers)
    groups = [g for g in groups if g.crystal_system in systems]
    if not groups:
        raise ValueError(f"No space group of {space_groups!r} belongs to the crystal systems "
                         f"{systems}.")
    return groups


def _group_probabilities(weights, groups):
    """The probability of each of ``groups`` from ``space_group_weights`` (None: None)."""
    if weights is None:
        return None
    from ._xrd_spacegroups import _group_weights

    w = _group_weights(weights)
    p = np.array([w[g.number] for g in groups])
    if not p.sum() > 0:
        raise ValueError("space_group_weights gives no weight to the groups drawn from "
                         f"({[g.number for g in groups][:10]}...).")
    return p / p.sum()


def _range(value, name):
    lo, hi = (value, value) if np.isscalar(value) else (float(v) for v in value)
    if not 0 <= lo <= hi:
        raise ValueError(f"{name} must be a number or a (low, high) pair with 0 <= low <= "
                         f"high, got {value!r}.")
    return lo, hi


#: samples per chunk of make_xrd_patterns (the unit that n_jobs spreads over workers)
_CHUNK = 512


def _xrd_chunk(start, stop, rng, s):
    """Samples ``start:stop`` of make_xrd_patterns from the stream ``rng``.

    Returns the patterns, the groups, cells and atom counts, and ``rng`` where it stopped.
    """
    n = stop - start
    classes, members, grid = s["classes"], s["members"], s["grid"]
    lo = grid[0]
    renderer = ProfileRenderer(grid, max_fwhm=2 * s["w_range"][1])
    if not s["holohedral"]:
        from ._xrd_spacegroups import random_structure, spglib_number
    chosen, cells, n_atoms = [], np.empty((n, 6)), np.empty(n, int)
    centres, intensities = [], []
    for i in range(n):
        if s["p_groups"] is None:  # the classes in turn, a group of the class at random
            cls = classes[(start + i) % len(classes)]
            g = members[cls][rng.integers(len(members[cls]))]
        else:
            g = s["groups"][rng.choice(len(s["groups"]), p=s["p_groups"])]
        if s["holohedral"]:
            cell = _random_cell(g.crystal_system, g.centring, rng)
            A = cell_matrix(*cell)
            pos, Z = _structure(g.crystal_system, g.centring,
                                rng.integers(1, s["max_atoms"] + 1), rng)
            kw = {"laue": point_group(g.crystal_system), "form_factor": gaussian_form_factor}
            n_cell = len(Z)
        else:
            for _ in range(20):
                cell = _random_cell(g.crystal_system, g.centring, rng)
                A = cell_matrix(*cell)
                pos, Z = random_structure(g, A, int(rng.integers(2, s["n_sites_max"] + 1)),
                                          _ELEMENTS, rng)
                if not s["verify"] or spglib_number(A, pos, Z, g) == g.number:
                    break
            else:  # pragma: no cover - never seen
                raise RuntimeError(f"No crystal of space group {g.number} passed spglib.")
            kw = {"laue": g.laue, "centring": g.centring_vectors}
            n_cell = len(Z) * len(g.centring_vectors)
        po = None
        if s["preferred_orientation"] is not None:
            po = (rng.uniform(*s["r_range"]), _PREFERRED[rng.integers(len(_PREFERRED))])
        refl = reflections(A, pos, Z, wavelength=s["wavelength"], two_theta_max=s["hi"] + 2.0,
                           B_iso=rng.uniform(*s["b_range"]), preferred_orientation=po,
                           H=s["H"], **kw)
        centres.append(refl.two_theta + rng.normal(0.0, s["zero_shift"]))
        intensities.append(refl.intensity)
        chosen.append(g)
        cells[i] = cell
        n_atoms[i] = n_cell
    width0 = rng.uniform(*s["w_range"], n)
    eta = rng.uniform(*s["eta_range"], n)
    X = np.empty((n, len(grid)), dtype=np.float32)
    for a in range(0, n, 256):
        sl = slice(a, a + 256)
        pattern = renderer.render(centres[sl], intensities[sl], width0[sl], eta[sl])
        m = len(pattern)
        pattern /= np.maximum(pattern.max(axis=1, keepdims=True), 1e-300)
        pattern += (rng.uniform(0, s["background"], (m, 1))
                    * np.exp(-(grid - lo) / rng.uniform(5, 30, (m, 1))))
        pattern += s["noise"] * rng.standard_normal((m, len(grid)))
        X[sl] = pattern / pattern.max(axis=1, keepdims=True)
    return X, chosen, cells, n_atoms, rng


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "space_groups": [StrOptions({"all", "holohedral"}), "array-like"],
        "space_group_weights": [StrOptions({"materials_project"}), "array-like", None],
        "crystal_systems": [list, tuple, None],
        "target": [StrOptions({"crystal_system", "bravais_lattice", "space_group"})],
        "two_theta_range": [tuple, list],
        "n_points": [Interval(Integral, 16, None, closed="left")],
        "wavelength": [Interval(Real, 0, None, closed="neither")],
        "max_atoms": [Interval(Integral, 1, None, closed="left")],
        "peak_width": [tuple, list, Interval(Real, 0, None, closed="neither")],
        "lorentz_fraction": [tuple, list, Interval(Real, 0, 1, closed="both")],
        "debye_waller": [tuple, list, Interval(Real, 0, None, closed="left")],
        "zero_shift": [Interval(Real, 0, None, closed="left")],
        "preferred_orientation": [tuple, list, Interval(Real, 0, 1, closed="right"), None],
        "noise": [Interval(Real, 0, None, closed="left")],
        "background": [Interval(Real, 0, None, closed="left")],
        "verify": ["boolean"],
        "return_info": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def make_xrd_patterns(n_samples=700, *, space_groups="all", space_group_weights=None,
                      crystal_systems=None, target="crystal_system",
                      two_theta_range=(5.0, 90.0), n_points=1701, wavelength=1.5406,
                      max_atoms=3, peak_width=(0.05, 0.25),
                      lorentz_fraction=(0.0, 1.0), debye_waller=(0.2, 1.5), zero_shift=0.02,
                      preferred_orientation=None, noise=0.01, background=0.05, verify=False,
                      return_info=False, shuffle=True, random_state=None, n_jobs=None):
    """Powder X-ray diffraction patterns of random crystals, labelled by their symmetry.

    Every sample is a random crystal whose pattern is computed from first principles. With
    ``space_groups="all"`` (the default) the crystals belong to any of the 230 space groups:
    the group's operations (from spglib, standard settings) expand 2 to ``max_atoms``
    symmetry-independent sites, each of a different element, the first on the general
    position and the others on the general or a special position, in a random cell with
    the metric of the crystal system (lengths 3-10 angstrom; free parameters kept at least
    4% or 4 degrees away from a higher symmetry). A list of numbers restricts the groups;
    ``space_groups="holohedral"`` draws the 15 symmorphic holohedral groups of the Bravais
    lattices (``P-1, P2/m, C2/m, Pmmm, ..., Im-3m``) with simple Gaussian form factors (no
    extra needed). The classes of ``target`` come in equal numbers, the groups of a class
    at random; with ``space_group_weights`` each crystal's group is drawn with those weights
    instead (``"materials_project"``: as often as among real crystals).

    The pattern on a 2theta grid: Bragg peaks of the reciprocal lattice, intensities
    ``m |F(hkl)|^2 LP(theta) exp(-2B s^2) P(hkl)`` (multiplicity from the Laue group,
    structure factor with Waasmaier-Kirfel atomic form factors, Lorentz-polarisation
    ``(1 + cos^2 2theta) / (sin^2 theta cos theta)``, a random Debye-Waller factor ``B``,
    optional March-Dollase preferred orientation ``P``), pseudo-Voigt peaks of width
    ``w (1 + tan theta)``, a zero shift, a decaying background and Gaussian noise. Each
    pattern is scaled to a maximum of 1. About 1,000 patterns per CPU second on one core, some
    100 times pyxtal + pymatgen (``benchmarks/bench_xrd.py``).

    Parameters
    ----------
    n_samples : int, default=700
        Number of patterns.
    space_groups : "all", "holohedral" or array-like of int, default="all"
        The space groups to draw from: all 230 (needs the ``xrd`` extra: spglib and
        periodictable), the 15 holohedral groups of the Bravais lattices, or the given
        numbers (1-230).
    space_group_weights : "materials_project", array-like of shape (230,) or None, \
            default=None
        How often each group is drawn (weights of the groups 1-230, those outside
        ``space_groups`` and ``crystal_systems`` ignored); the classes of ``target`` then
        come in the proportions the weights give. ``"materials_project"``: the number of
        Materials Project structures in each group (88,678 structures, 225 groups; P-1,
        P2_1/c and Fm-3m the most frequent, no P1), as shipped with pyxtal, so that the
        groups come as often as among real crystals (the setting of Vecsei et al., who drew
        their crystals from the ICSD). None: the classes of ``target`` in equal numbers.
    crystal_systems : list of str or None, default=None
        Keep only groups of these crystal systems (names in :data:`CRYSTAL_SYSTEMS`).
    target : {"crystal_system", "bravais_lattice", "space_group"}, default="crystal_system"
        What ``y`` holds: the crystal system as an index into :data:`CRYSTAL_SYSTEMS`
        (0 triclinic ... 6 cubic), the Bravais lattice symbol (``"cF"``, ``"hR"``, ...), or
        the space-group number. Its classes come in equal numbers.
    two_theta_range : (float, float), default=(5.0, 90.0)
        The 2theta range of the pattern in degrees (that of Vecsei et al.).
    n_points : int, default=1701
        Points of the 2theta grid (1701 over 5-90 degrees: a 0.05 degree step).
    wavelength : float, default=1.5406
        X-ray wavelength in angstrom (Cu K-alpha1).
    max_atoms : int, default=3
        Largest number of symmetry-independent sites (at least 2 with ``"all"``).
    peak_width : (float, float) or float, default=(0.05, 0.25)
        Range of the peak width (FWHM in degrees at low angle) drawn per pattern.
    lorentz_fraction : (float, float) or float, default=(0.0, 1.0)
        Range of the Lorentzian fraction ``eta`` of the pseudo-Voigt peaks.
    debye_waller : (float, float) or float, default=(0.2, 1.5)
        Range of the isotropic Debye-Waller factor ``B`` (angstrom^2).
    zero_shift : float, default=0.02
        Standard deviation (degrees) of a random shift of the whole pattern.
    preferred_orientation : (float, float), float or None, default=None
        Range of the March-Dollase ratio ``r`` (1: none; below 1: platelets along a random
        low-index direction); None: no preferred orientation.
    noise : float, default=0.01
        Standard deviation of the Gaussian noise relative to the strongest peak.
    background : float, default=0.05
        Largest height of the decaying background, relative to the strongest peak.
    verify : bool, default=False
        Check every crystal's space group with spglib and draw again on a mismatch (about
        1 ms per crystal; not for ``"holohedral"``). The construction gives the right group
        without it: the tests check it for every group.
    return_info : bool, default=False
        Also return a Bunch describing the samples (see below).
    shuffle : bool, default=True
        Shuffle the samples (else they come grouped by class).
    random_state : int, RandomState instance or None, default=None
        Seed of the random crystals and patterns.
    n_jobs : int or None, default=None
        Workers that generate chunks of 512 patterns in parallel, through joblib (so
        ``with joblib.parallel_backend("dask"):`` spreads them over a cluster). None means 1
        unless in a :func:`joblib.parallel_backend` context; -1 all cores. Each chunk has its
        own random stream derived from ``random_state``, so the result does not depend on
        ``n_jobs``.

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
        ``target_names`` (the class labels of ``target``; for ``"crystal_system"`` the
        names, :data:`CRYSTAL_SYSTEMS`).

    See Also
    --------
    xrd_pattern : The pattern of a crystal you give.
    load_xrd_prototypes : Patterns of real structure types.

    Notes
    -----
    The sites are random points: nothing keeps atoms of different sites apart, and the
    cell's volume does not grow with the number of atoms. The label is the group that built the crystal; a
    generic first site on the general position and distinct elements make it the crystal's
    exact symmetry (``verify=True`` checks it with spglib).

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
    >>> X, y = make_xrd_patterns(460, target="space_group", random_state=0)
    >>> len(set(y.tolist()))
    230
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
    w_lo, w_hi = _range(peak_width, "peak_width")
    if w_lo <= 0:
        raise ValueError(f"peak_width must be positive, got {peak_width!r}.")
    eta_lo, eta_hi = _range(lorentz_fraction, "lorentz_fraction")
    if eta_hi > 1:
        raise ValueError(f"lorentz_fraction must lie in [0, 1], got {lorentz_fraction!r}.")
    b_lo, b_hi = _range(debye_waller, "debye_waller")
    if preferred_orientation is not None:
        r_lo, r_hi = _range(preferred_orientation, "preferred_orientation")
        if r_lo <= 0 or r_hi > 1:
            raise ValueError("preferred_orientation must lie in (0, 1], got "
                             f"{preferred_orientation!r}.")
    holohedral = isinstance(space_groups, str) and space_groups == "holohedral"
    groups = _candidate_groups(space_groups, systems)
    p_groups = _group_probabilities(space_group_weights, groups)
    n_sites_max = max_atoms if holohedral else max(2, max_atoms)

    def label(g):
        if target == "crystal_system":
            return CRYSTAL_SYSTEMS.index(g.crystal_system)
        return g.bravais_lattice if target == "bravais_lattice" else g.number

    classes = sorted({label(g) for g in groups})
    members = {c: [g for g in groups if label(g) == c] for c in classes}
    seed = draw_seed(random_state)
    grid = np.linspace(lo, hi, n_points)
    d_min = wavelength / (2.0 * np.sin(np.radians(min(hi + 2.0, 179.0)) / 2.0))
    H = int(np.ceil(10.0 / d_min))  # the longest cell vector the generator draws: 10 A
    settings = {
        "classes": classes, "members": members, "holohedral": holohedral,
        "groups": groups, "p_groups": p_groups,
        "max_atoms": max_atoms, "n_sites_max": n_sites_max, "verify": verify,
        "preferred_orientation": preferred_orientation,
        "r_range": (r_lo, r_hi) if preferred_orientation is not None else None,
        "b_range": (b_lo, b_hi), "w_range": (w_lo, w_hi), "eta_range": (eta_lo, eta_hi),
        "wavelength": wavelength, "hi": hi, "H": H, "zero_shift": zero_shift, "grid": grid,
        "background": background, "noise": noise}
    # chunks of _CHUNK samples, each with its own random stream: the first continues into
    # the shuffle (so up to _CHUNK samples are what one stream always gave), the others are
    # spawned from the seed. They depend on n_samples and the seed, never on n_jobs.
    starts = range(0, n_samples, _CHUNK)
    rngs = [np.random.default_rng(seed)] + [
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
        for k in range(1, len(starts))]
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_xrd_chunk)(a, min(a + _CHUNK, n_samples), r, settings)
        for a, r in zip(starts, rngs))
    X = np.concatenate([p[0] for p in parts])
    chosen = [g for p in parts for g in p[1]]
    cells = np.concatenate([p[2] for p in parts])
    n_atoms = np.concatenate([p[3] for p in parts])
    rng = parts[0][4]  # the first chunk's stream, where it stopped
    info = Bunch(
        two_theta=grid,
        crystal_system=np.array([g.crystal_system for g in chosen]),
        bravais_lattice=np.array([g.bravais_lattice for g in chosen]),
        space_group=np.array([g.number for g in chosen]),
        space_group_symbol=np.array([g.symbol for g in chosen]),
        cell=cells,
        n_atoms=n_atoms,
    )
    y = np.array([label(g) for g in chosen])
    info.target_names = list(CRYSTAL_SYSTEMS) if target == "crystal_system" else classes
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
        for k in ("crystal_system", "bravais_lattice", "space_group", "space_group_symbol",
                  "cell", "n_atoms"):
            info[k] = info[k][perm]
    return (X, y, info) if return_info else (X, y)

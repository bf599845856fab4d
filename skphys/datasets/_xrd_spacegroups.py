"""The 230 space groups (operations from spglib) and random crystals of any of them.

For each space-group number the standard setting of spglib's database is used (its first
Hall setting: unique axis b for monoclinic groups, origin choice 1 where there are two,
hexagonal axes for the rhombohedral groups). A random crystal has 2 or more symmetry-
independent sites, each of a different element: the first on the general position, the
others on the general position or on a special one (a random point projected onto the
fixed-point set of one or two random operations of the group), each expanded into its
orbit by the group's operations. A generic orbit of the general position and sites of
distinct species leave the crystal with exactly the group's symmetry (the floating origin
of polar groups, which lets a single orbit gain an inversion centre, is pinned by the
second site); ``tests/datasets/test_xrd_space_groups.py`` checks this with spglib for every
group.
"""

import warnings
from contextlib import contextmanager
from functools import cache

import numpy as np

from ._xrd_pattern import _require, laue_group

CRYSTAL_SYSTEM_RANGES = (
    ("triclinic", 1, 2), ("monoclinic", 3, 15), ("orthorhombic", 16, 74),
    ("tetragonal", 75, 142), ("trigonal", 143, 167), ("hexagonal", 168, 194),
    ("cubic", 195, 230),
)
_SYSTEM_LETTER = {"triclinic": "a", "monoclinic": "m", "orthorhombic": "o", "tetragonal": "t",
                  "trigonal": "h", "hexagonal": "h", "cubic": "c"}


def crystal_system_of(number):
    """Crystal system of a space-group number (1-230)."""
    for name, lo, hi in CRYSTAL_SYSTEM_RANGES:
        if lo <= number <= hi:
            return name
    raise ValueError(f"Space-group numbers run from 1 to 230, got {number}.")


@contextmanager
def _quiet_spglib():
    """spglib 2.x warns about its error-handling mode on every call; we check results."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="spglib")
        yield


class SpaceGroup:
    """Operations and labels of one space group in spglib's standard setting.

    Attributes: ``number``, ``symbol`` (Hermann-Mauguin, short), ``hall_number``,
    ``crystal_system``, ``centring`` (``P, A, B, C, I, F, R``), ``bravais_lattice``
    (``aP, mP, mC, oP, oC, oF, oI, tP, tI, hP, hR, cP, cF, cI``), ``rotations`` (n, 3, 3)
    and ``translations`` (n, 3) of all operations, ``coset_rotations`` /
    ``coset_translations`` (one operation per rotation: the group modulo its centring),
    ``centring_vectors`` (n_c, 3) and ``laue`` (the Laue group's rotations).
    """

    def __init__(self, hall_number):
        spglib = _require("spglib")
        with _quiet_spglib():
            kind = spglib.get_spacegroup_type(hall_number)
            ops = spglib.get_symmetry_from_database(hall_number)
        self.number = int(kind.number)
        self.symbol = kind.international_short
        self.hall_number = int(hall_number)
        self.crystal_system = crystal_system_of(self.number)
        self.centring = self.symbol[0]
        letter = {"A": "C", "B": "C", "C": "C"}.get(self.centring, self.centring)
        self.bravais_lattice = _SYSTEM_LETTER[self.crystal_system] + letter
        self.rotations = np.asarray(ops["rotations"], dtype=np.int64)
        self.translations = np.asarray(ops["translations"], dtype=float) % 1.0
        identity = np.all(self.rotations == np.eye(3, dtype=int), axis=(1, 2))
        centring = self.translations[identity]
        self.centring_vectors = centring[np.argsort(np.sum(centring, axis=1), kind="stable")]
        _, first = np.unique(self.rotations.reshape(len(self.rotations), -1), axis=0,
                             return_index=True)
        first = np.sort(first)
        self.coset_rotations = self.rotations[first]
        self.coset_translations = self.translations[first]
        self.laue = laue_group(self.rotations)
        nonid = ~identity
        self._special_ops = (self.rotations[nonid], self.translations[nonid])

    def __repr__(self):
        return f"SpaceGroup({self.number}, {self.symbol!r})"

    # ------------------------------------------------------------------ positions
    def orbit(self, x, tol_digits=5):
        """Distinct images of the point ``x`` modulo the centring (the primitive orbit)."""
        pts = (self.coset_rotations @ np.asarray(x, dtype=float) + self.coset_translations) % 1.0
        return pts[_distinct_mod(pts, self.centring_vectors, tol_digits)]

    def full_orbit(self, x):
        """All images of ``x`` in the conventional cell (centring included)."""
        pts = self.orbit(x)
        return (pts[:, None, :] + self.centring_vectors[None]).reshape(-1, 3) % 1.0

    def special_position(self, x, rng, n_ops=1):
        """``x`` moved to the nearest point fixed by ``n_ops`` random operations, or None.

        Solves ``(R - 1) x' + t = L`` (``L`` integer, rounded at ``x``) for the stacked
        operations in the least-squares sense; None when they have no common fixed point
        (screw axes, glide planes).
        """
        R, t = self._special_ops
        if len(R) == 0:
            return None
        pick = rng.choice(len(R), size=min(n_ops, len(R)), replace=False)
        M = (R[pick] - np.eye(3)).reshape(-1, 3)
        tt = t[pick].reshape(-1)
        L = np.round(M @ x + tt)
        target = L - tt
        xp = x - np.linalg.lstsq(M, M @ x - target, rcond=None)[0]
        if np.abs(M @ xp - target).max() > 1e-8:
            return None
        return xp % 1.0


def _distinct_mod(points, shifts, tol_digits=5):
    """Indices of the points that differ modulo 1 and modulo the ``shifts`` (first kept)."""
    scale = 10 ** tol_digits
    cand = (points[:, None, :] + shifts[None]) % 1.0
    q = np.rint(cand * scale).astype(np.int64) % scale
    base = np.int64(scale)
    codes = (q[..., 0] * base + q[..., 1]) * base + q[..., 2]
    canon = codes.min(axis=1)
    _, first = np.unique(canon, return_index=True)
    return np.sort(first)


@cache
def _hall_numbers():
    spglib = _require("spglib")
    first = {}
    with _quiet_spglib():
        for hall in range(1, 531):
            first.setdefault(spglib.get_spacegroup_type(hall).number, hall)
    return first


@cache
def space_group(number):
    """The :class:`SpaceGroup` of a number (1-230) in spglib's standard setting (cached)."""
    number = int(number)
    if not 1 <= number <= 230:
        raise ValueError(f"Space-group numbers run from 1 to 230, got {number}.")
    return SpaceGroup(_hall_numbers()[number])


def random_structure(group, lattice, n_sites, elements, rng, p_special=0.5, min_distance=0.5):
    """A random crystal of ``group``: primitive-orbit positions and atomic numbers.

    ``n_sites`` (>= 2) independent sites of distinct elements drawn from ``elements``; the
    first on the general position, each other one on a special position with probability
    ``p_special``. A site is drawn again (up to 20 times) when two atoms of its orbit come
    closer than ``min_distance`` angstrom in the cell ``lattice`` (a point next to a
    symmetry element: its orbit would look like a special one) or when it sits on a site
    already taken. Returns ``(positions (n, 3), numbers (n,))`` of the orbits modulo the
    centring (add ``group.centring_vectors`` for the whole conventional cell).
    """
    species = rng.choice(elements, size=n_sites, replace=False)
    lattice = np.asarray(lattice, dtype=float)
    R, t, shifts = group.coset_rotations, group.coset_translations, group.centring_vectors
    positions, taken = [], []
    for j in range(n_sites):
        for _ in range(20):
            x = rng.random(3)
            special = j > 0 and rng.random() < p_special
            if special:
                xs = group.special_position(x, rng, n_ops=int(rng.integers(1, 3)))
                special = xs is not None
                x = xs if special else x
            pts = (R @ x + t) % 1.0  # pts[0] = x: the identity comes first
            # the group acts on the orbit by isometries, so the distances from x to the
            # other images are all the orbit's distances
            d = (pts[:, None, :] - x + shifts[None]).reshape(-1, 3)
            d = np.sqrt(np.sum(((d - np.round(d)) @ lattice) ** 2, axis=1))
            if special:
                pts = pts[_distinct_mod(pts, shifts)]
                d = d[d > 1e-3]  # x's own copies
                if any(_overlaps(pts, other, shifts) for other in taken):
                    continue  # a site must not sit on another one
            else:
                d = d[1:]
            if len(d) == 0 or d.min() >= min_distance:
                break
        if special:
            taken.append(pts)
        positions.append(pts)
    numbers = np.repeat(species, [len(p) for p in positions])
    return np.concatenate(positions), numbers


def _overlaps(a, b, shifts, tol=1e-4):
    d = a[:, None, None, :] - b[None, :, None, :] - shifts[None, None]
    return bool(np.any(np.all(np.abs(d - np.round(d)) < tol, axis=-1)))


def spglib_number(lattice, positions, numbers, group=None, symprec=1e-3):
    """Space-group number spglib finds for a structure (``group``: add its centring)."""
    spglib = _require("spglib")
    if group is not None and len(group.centring_vectors) > 1:
        positions = (positions[:, None, :] + group.centring_vectors[None]).reshape(-1, 3) % 1
        numbers = np.repeat(numbers, len(group.centring_vectors))
    with _quiet_spglib():
        ds = spglib.get_symmetry_dataset((np.asarray(lattice), positions, numbers),
                                         symprec=symprec)
    return 0 if ds is None else int(ds.number)


#: crystal system -> the lattice family whose metric sets the peak positions
_METRIC_FAMILY = {"triclinic": "triclinic", "monoclinic": "monoclinic",
                  "orthorhombic": "orthorhombic", "tetragonal": "tetragonal",
                  "trigonal": "hexagonal", "hexagonal": "hexagonal", "cubic": "cubic"}


#: the axis permutations of an orthorhombic cell (the generator draws a, b, c alike, so a
#: group's peaks in the cell (a, b, c) are another group's peaks in a permuted cell)
_PERMUTATIONS = np.array([np.eye(3, dtype=int)[list(p)] for p in
                          ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))])


@cache
def powder_classes(box=6, settings=True):
    """Space groups whose powder patterns put peaks at the same angles, for any cell.

    A powder pattern sees the cell's metric and which reflections are systematically
    absent; reflections that the metric's holohedry makes equivalent fall on one peak.
    Two groups with the same lattice family (trigonal and hexagonal share one, the
    rhombohedral centring being an extinction on hexagonal axes) and the same set of
    peaks that survive their extinctions (``|h|, |k|, |l| <= box``) cannot be told apart by
    peak positions; only intensities could (enantiomorphs such as P4_1 / P4_3 not even
    those). A reflection ``h`` is systematically absent when an operation ``(R, t)`` has
    ``R^T h = h`` and ``h . t`` not an integer. With ``settings`` (the default), an
    orthorhombic group's set of peaks is also compared after permuting the axes: the cell's
    lengths come in any order, so Pmc2_1 in the cell (a, b, c) and Pma2 in (c, b, a) give the
    same peaks (the orthorhombic diffraction symbols of the International Tables, Vol. A,
    Table 3.2.3.1, which list every setting); the other families have no such freedom
    left once the metric's holohedry is taken into account.

    Returns
    -------
    classes : list of tuple of int
        The space-group numbers of each class, sorted.
    """
    from ._xrd import point_group

    r = np.arange(-box, box + 1)
    hkl = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    hkl = hkl[np.any(hkl != 0, axis=1)]
    base = 2 * box + 1
    w = np.array([base * base, base, 1])
    signatures = {}
    for number in range(1, 231):
        g = space_group(number)
        family = _METRIC_FAMILY[g.crystal_system]
        fixed = np.all(np.einsum("gji,nj->gni", g.rotations, hkl) == hkl, axis=2)  # R^T h = h
        phase = (g.translations @ hkl.T) % 1.0  # (n_ops, n_hkl)
        allowed = hkl[~np.any(fixed & (np.minimum(phase, 1 - phase) > 1e-6), axis=0)]
        # peaks: orbits of the metric's holohedry, keyed by their largest code
        ops = point_group(family)
        perms = _PERMUTATIONS if settings and family == "orthorhombic" else _PERMUTATIONS[:1]
        keys = []
        for P in perms:
            codes = (np.einsum("gji,nj->ngi", ops, allowed @ P.T) + box) @ w
            keys.append(tuple(np.unique(codes.max(axis=1)).tolist()))
        signatures.setdefault((family, min(keys)), []).append(number)
    return sorted(tuple(v) for v in signatures.values())


@cache
def _space_group_counts():
    """Crystal structures per space group among real crystals: an int array of shape (231,),
    index the group's number (index 0 unused). The counts of Materials Project structures
    that pyxtal ships (``pyxtal/database/spg_num_wps_mp.csv``, summed over its Wyckoff
    combinations; ``skphys/datasets/data/space_group_counts.csv``)."""
    from importlib import resources

    text = resources.files("skphys.datasets").joinpath("data", "space_group_counts.csv")
    with text.open() as f:
        table = np.loadtxt(f, delimiter=",", comments="#", skiprows=5, dtype=np.int64)
    counts = np.zeros(231, dtype=np.int64)
    counts[table[:, 0]] = table[:, 1]
    return counts


def _group_weights(weights):
    """``space_group_weights`` of make_xrd_patterns as a float array of shape (231,) indexed
    by the group's number (index 0: 0): ``"materials_project"`` or 230 weights."""
    if isinstance(weights, str):  # "materials_project" (checked by validate_params)
        return _space_group_counts().astype(float)
    w = np.asarray(weights, dtype=float)
    if w.shape != (230,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("space_group_weights must be 'materials_project' or 230 finite, "
                         f"non-negative weights (groups 1-230), got shape {w.shape}.")
    return np.concatenate([[0.0], w])


def xrd_extinction_classes(space_group_weights=None):
    """The space groups that powder diffraction cannot tell apart, and the best accuracies.

    A powder pattern's peak positions depend on the cell's metric and on which reflections
    are systematically absent; reflections that the metric makes equivalent (``hk0`` and
    ``kh0`` in any tetragonal cell, whatever the Laue class) merge into one peak. Groups of
    one lattice family with the same surviving reflections, the orthorhombic ones in any
    order of the axes, are therefore indistinguishable from peak positions for every cell
    (their powder "diffraction symbol" is the same): P222, Pmm2 and Pmmm; Pna2_1 and Pnma;
    the five F-cubic groups without glides; P3 and P6/mmm. The classes come from spglib's
    operations of each group in its standard setting (``R^T h = h`` with ``h . t`` not an
    integer: ``h`` absent), over ``|h|, |k|, |l| <= 6``.

    From the classes follow the best accuracies that any classifier reading peak positions
    can reach on :func:`make_xrd_patterns` data, whose labels are balanced: with the groups
    drawn uniformly (``target="space_group"``) it is the number of classes over 230 (one
    guess per class); with the crystal systems balanced (``target="crystal_system"``, the
    groups of a system uniform) it is the sum over classes of the largest share of one
    system in the class (only trigonal and hexagonal groups on the hexagonal lattice share
    classes; ``crystal_system_bound_uniform_groups`` is the same bound when the groups, not
    the systems, are drawn uniformly, as ``target="space_group"`` does). With
    ``space_group_weights`` (as in :func:`make_xrd_patterns`: the groups drawn with these
    weights) the same two bounds for that draw come as ``space_group_bound_weighted``
    (the sum over classes of the largest probability of one group in the class) and
    ``crystal_system_bound_weighted``. Intensities could
    lift these bounds a little (centric and acentric intensity
    statistics differ), never above what the structure factors can tell.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``classes`` (list of tuples of space-group numbers, sorted), ``labels`` (int ndarray
        of shape (231,): ``labels[g]`` is the index in ``classes`` of group ``g``;
        ``labels[0] = -1``), ``space_group_bound`` and ``crystal_system_bound`` (float),
        the best accuracies with balanced labels, and ``crystal_system_bound_uniform_groups``;
        with ``space_group_weights`` also ``space_group_bound_weighted`` and
        ``crystal_system_bound_weighted``.

    Parameters
    ----------
    space_group_weights : "materials_project", array-like of shape (230,) or None, \
            default=None
        How often each group is drawn (see :func:`make_xrd_patterns`); None: no weighted
        bounds.

    See Also
    --------
    make_xrd_patterns : Patterns of random crystals of the 230 groups.

    Examples
    --------
    >>> from skphys.datasets import xrd_extinction_classes
    >>> ext = xrd_extinction_classes()
    >>> len(ext.classes), round(ext.space_group_bound, 3), round(ext.crystal_system_bound, 3)
    (97, 0.422, 0.914)
    >>> round(ext.crystal_system_bound_uniform_groups, 3)
    0.93
    >>> [ext.classes[ext.labels[g]] for g in (47, 62)]  # Pmmm; Pnma
    [(16, 25, 47), (33, 62)]
    >>> real = xrd_extinction_classes(space_group_weights="materials_project")
    >>> round(real.space_group_bound_weighted, 3), round(real.crystal_system_bound_weighted, 3)
    (0.691, 0.97)
    """
    from sklearn.utils import Bunch

    classes = powder_classes()
    labels = np.full(231, -1)
    for k, members in enumerate(classes):
        labels[list(members)] = k
    systems = [name for name, _, _ in CRYSTAL_SYSTEM_RANGES]
    size = {name: hi - lo + 1 for name, lo, hi in CRYSTAL_SYSTEM_RANGES}
    best, best_uniform = 0.0, 0.0
    for members in classes:
        mass, count = {}, {}
        for g in members:
            s = crystal_system_of(g)
            mass[s] = mass.get(s, 0.0) + 1.0 / (len(systems) * size[s])
            count[s] = count.get(s, 0) + 1
        best += max(mass.values())
        best_uniform += max(count.values()) / 230
    out = Bunch(classes=classes, labels=labels, space_group_bound=len(classes) / 230,
                crystal_system_bound=float(best),
                crystal_system_bound_uniform_groups=float(best_uniform))
    if space_group_weights is not None:
        p = _group_weights(space_group_weights)
        p /= p.sum()
        out.space_group_bound_weighted = float(sum(p[list(m)].max() for m in classes))
        by_system = [{} for _ in classes]
        for k, members in enumerate(classes):
            for g in members:
                s = crystal_system_of(g)
                by_system[k][s] = by_system[k].get(s, 0.0) + p[g]
        out.crystal_system_bound_weighted = float(sum(max(d.values()) for d in by_system))
    return out

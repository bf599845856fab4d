"""Reflection conditions of the powder extinction classes, read off an indexed pattern.

Once a pattern is indexed in a crystal system, the space group shows in which of the
cell's reflections are systematically absent (lattice centring, screw axes, glide planes).
For every class of space groups whose powder peaks coincide for any cell
(:func:`~skphys.datasets.xrd_extinction_classes`, 96 classes outside the triclinic system)
and the fitted cell of its lattice family, two numbers say how well the class's surviving
reflections account for the pattern:

* ``unexplained``: the prominence-weighted share of the picked peaks that some reflection
  of the cell indexes within the tolerance but no reflection the class allows does (a
  peak that a glide plane forbids rules the glide out);
* ``absent``: of the lines the class allows up to the last picked peak, weighted by their
  expected height (the number of reflections the class allows in the line, times the
  Lorentz-polarisation factor and a mean Wilson fall-off ``exp(-3 s^2)``), the share on
  lines without signal (above 2 noise units within the tolerance window): an extinction
  the class does not have leaves lines empty that it predicts.

The reflections are those with ``|h|, |k|, |l| <= 10`` (cells of up to ~10 angstrom to
90 degrees 2theta with Cu K-alpha); a class's allowed set comes from spglib's operations
of its first group in the standard setting (``R^T h = h`` with ``h . t`` not an integer:
``h`` absent), on hexagonal axes for the trigonal and rhombohedral groups. The fitted
orthorhombic cell's axes come sorted by length, so every orthorhombic class is tried in the
six orders of its axes, a monoclinic class in its three cell choices (C, A, I centring; c,
n, a glides) with ``a`` and ``c`` swapped or not, and the setting that explains the most
peaks (then leaves the fewest lines empty) gives the class's pair.
"""

from functools import cache

import numpy as np

__all__ = []

FAMILIES = ("cubic", "tetragonal", "hexagonal", "orthorhombic", "monoclinic")
_BOX = 10
_R = np.arange(-_BOX, _BOX + 1)
_HKL = np.stack(np.meshgrid(_R, _R, _R, indexing="ij"), -1).reshape(-1, 3)
_HKL = _HKL[np.any(_HKL != 0, axis=1)]


def _allowed(number, hkl):
    """Whether each reflection survives the space group's systematic absences."""
    from skphys.datasets._xrd_spacegroups import space_group

    g = space_group(number)
    # the operations with rotation R are (R, t + c) for the centring vectors c
    fixed = np.all(np.einsum("gji,nj->gni", g.coset_rotations, hkl) == hkl, axis=2)
    absent = np.zeros(len(hkl), dtype=bool)
    for c in g.centring_vectors:
        phase = ((g.coset_translations + c) @ hkl.T) % 1.0
        absent |= np.any(fixed & (np.minimum(phase, 1 - phase) > 1e-6), axis=0)
    return ~absent


#: the three cell choices of a monoclinic lattice (unique axis b: a' = c, c' = -a - c, the
#: centring C -> A -> I, the glide c -> n -> a), each with a and c swapped, as the matrices
#: taking a reflection's indices in the fitted cell to those in the standard one
_CHOICE = np.array([[0, 0, -1], [0, 1, 0], [1, 0, -1]])
_SWAP = np.eye(3, dtype=int)[[2, 1, 0]]
_MONOCLINIC_SETTINGS = [np.linalg.matrix_power(_CHOICE, n) @ S
                        for S in (np.eye(3, dtype=int), _SWAP) for n in range(3)]


@cache
def extinction_tables():
    """Per lattice family: the classes (tuples of group numbers) and their allowed tables.

    Returns a dict family -> (classes, tables) with ``tables`` a bool array
    (n_classes, n_settings, n_hkl) over ``_HKL``.
    """
    from skphys.datasets._xrd_spacegroups import (
        _METRIC_FAMILY,
        _PERMUTATIONS,
        crystal_system_of,
        powder_classes,
    )

    out = {}
    for family in FAMILIES:
        classes = [c for c in powder_classes()
                   if _METRIC_FAMILY[crystal_system_of(c[0])] == family]
        if family == "orthorhombic":  # indices in the fitted cell -> the standard cell's
            settings = [P.T for P in _PERMUTATIONS]
        elif family == "monoclinic":
            settings = _MONOCLINIC_SETTINGS
        else:
            settings = [np.eye(3, dtype=int)]
        tables = np.stack([np.stack([_allowed(c[0], _HKL @ M) for M in settings])
                           for c in classes])
        out[family] = (classes, tables)
    return out


@cache
def _names():
    from skphys.datasets._xrd_spacegroups import space_group

    names = []
    for family, (classes, _) in extinction_tables().items():
        for c in classes:
            sym = space_group(c[0]).symbol
            names += [f"ext_{family}_{sym}_unexplained", f"ext_{family}_{sym}_absent"]
    return tuple(names)


def feature_names():
    """``ext_<family>_<symbol>_unexplained`` and ``_absent`` of every class (``<symbol>``:
    the class's first group), in the order of ``extinction_features``."""
    return list(_names())


def window_max(signal, two_theta, tolerance):
    """The largest ``signal`` within ``tolerance`` plus 1.5 grid steps of each point of the
    even grid ``two_theta`` (a line's height where the fit's zero shift is not known)."""
    from scipy.ndimage import maximum_filter1d

    step = two_theta[1] - two_theta[0]
    half = max(round((tolerance + 1.5 * step) / step), 1)
    return maximum_filter1d(np.asarray(signal, dtype=float), 2 * half + 1, mode="constant",
                            cval=-np.inf)


def _q_hkl(family, cell):
    """Q = 1/d^2 of every reflection of ``_HKL`` in the fitted cell."""
    h, k, l = _HKL.T.astype(float)
    if family == "cubic":
        (a,) = cell
        return (h * h + k * k + l * l) / a ** 2
    if family == "tetragonal":
        a, c = cell
        return (h * h + k * k) / a ** 2 + l * l / c ** 2
    if family == "hexagonal":
        a, c = cell
        return 4 / (3 * a * a) * (h * h + h * k + k * k) + l * l / c ** 2
    if family == "orthorhombic":
        a, b, c = cell
        return h * h / a ** 2 + k * k / b ** 2 + l * l / c ** 2
    a, b, c, beta = cell
    cb, s2 = np.cos(np.radians(beta)), np.sin(np.radians(beta)) ** 2
    return (h * h / a ** 2 + l * l / c ** 2 - 2 * h * l * cb / (a * c)) / s2 + k * k / b ** 2


def extinction_features(peaks_tt, prominence, signal, two_theta, wavelength, tolerance,
                        cells):
    """The ``(unexplained, absent)`` pair of every class of every family, flattened.

    ``peaks_tt`` / ``prominence``: the picked peaks; ``signal``: the pattern less its
    baseline in noise units on ``two_theta``; ``cells``: family -> cell parameters
    (angstrom, degrees) or None. A family without a cell gets ``(1, 1)`` for its classes.
    """
    out = []
    tt = np.asarray(peaks_tt, dtype=float)
    w = np.asarray(prominence, dtype=float)
    w = w / max(w.sum(), 1e-300)
    theta = np.radians(tt) / 2
    q_obs = (2 * np.sin(theta) / wavelength) ** 2
    tol_q = 2 * np.sin(2 * theta) / wavelength ** 2 * np.radians(tolerance)
    step = two_theta[1] - two_theta[0]
    local = window_max(signal, two_theta, tolerance)
    for family, (classes, tables) in extinction_tables().items():
        cell = cells.get(family)
        n_c = len(classes)
        if cell is None or len(tt) == 0 or not np.all(np.isfinite(cell)) \
                or min(cell[:3] if family != "cubic" else cell) <= 0:
            out.append(np.ones((n_c, 2)))
            continue
        q = _q_hkl(family, np.asarray(cell, dtype=float))
        keep = (q > 0) & (q <= q_obs[-1] + tol_q[-1])
        q, tab = q[keep], tables[:, :, keep]
        if len(q) == 0:
            out.append(np.ones((n_c, 2)))
            continue
        # peaks x reflections within tolerance; reflections grouped into lines
        near = np.abs(q_obs[:, None] - q[None]) <= tol_q[:, None]
        any_hkl = near.any(axis=1)
        # (n_peaks, n_classes * n_settings): some allowed reflection within tolerance
        explained = (near.astype(float) @ tab.reshape(-1, len(q)).T.astype(float)) > 0
        unexplained = ((any_hkl[:, None] & ~explained) * w[:, None]).sum(axis=0)
        # lines: reflections of one Q (to 1e-6 relative), in order of Q
        key = np.rint(np.log(q) * 1e6).astype(np.int64)
        order = np.argsort(key, kind="stable")
        key = key[order]
        start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        uniq = key[start]
        # reflections of each line the class allows (its multiplicity in the class)
        count = np.add.reduceat(tab.reshape(-1, len(q))[:, order].astype(np.int32), start,
                                axis=1)  # (n_c * n_settings, n_lines)
        q_line = np.exp(uniq / 1e6)
        sin_t = np.minimum(np.sqrt(q_line) * wavelength / 2, 1.0)
        two = 2 * np.degrees(np.arcsin(sin_t))
        j = np.clip(np.rint((two - two_theta[0]) / step).astype(int), 0, len(signal) - 1)
        empty = local[j] <= 2
        # a line's expected height: multiplicity x Lorentz-polarisation x a mean Wilson
        # fall-off (an empty line where a strong one is expected counts most)
        cos2t = 1 - 2 * sin_t ** 2
        lp = (1 + cos2t ** 2) / (sin_t ** 2 * np.sqrt(np.maximum(1 - sin_t ** 2, 1e-12)))
        expect = count * (lp * np.exp(-0.75 * q_line))[None]
        total = expect.sum(axis=1)
        absent = np.where(total > 0, (expect * empty[None]).sum(axis=1)
                          / np.maximum(total, 1e-300), 1.0)
        unexplained = unexplained.reshape(n_c, -1)
        absent = absent.reshape(n_c, -1)
        best = np.argmin(unexplained + 1e-3 * absent, axis=1)
        rows = np.arange(n_c)
        out.append(np.stack([unexplained[rows, best], absent[rows, best]], axis=1))
    return np.concatenate(out).ravel()

"""Line intensities of an indexed powder pattern, in every lattice family.

Space groups of one powder class put their peaks at the same angles (F-43m and Fm-3m,
C2, Cm and C2/m, P4mm and P4/mmm, ...); what can tell them apart is how the intensity is
spread over the lines. Wilson's ``epsilon``: a symmetry operation that fixes a reflection
multiplies its mean intensity (h00 of a cubic crystal by 8 under m-3m's 4mm stabiliser, by
4 under -43m's mm2), and a centrosymmetric zone's intensities scatter more than an
acentric one's (``<I^2> / <I>^2`` 3 against 2); atoms on special positions make whole
families of lines strong or weak together (rock salt's all-odd lines ``(f1 - f2)^2``, zinc
blende's ``f1^2 + f2^2``). ``line_intensity_features`` reads the pattern at every line of
the cell fitted in each family (cubic, tetragonal, orthorhombic, monoclinic; the hexagonal
family has its own ``hexagonal_I_*`` features among the indexing ones) that no other line
overlaps, in the way of ``_xrd_indexing._hexagonal_intensities``: the largest signal within
the peak window, times the profile's width ``1 + tan theta``, over the Lorentz-polarisation
factor and the number of ``(h, k, l)`` in the line, over a Wilson-plot fit in ``s^2`` of
the strong ones (form factors, Debye-Waller), so that a random crystal's lines average 1.
Per family: the mean ratio over each zone (lines all of whose reflections lie in it), the
second moment ``<r^2> / <r>^2``, the shares of weak (< 0.2) and strong (> 3) lines; for
the cubic cell also the ratio of each line ``N = h^2 + k^2 + l^2 <= 24``, for the tetragonal
one of its lowest lines by ``(h^2 + k^2, l)``. ``-1``: no clean line.
"""

from functools import cache

import numpy as np

from ._xrd_extinction import _HKL, _q_hkl, window_max
from ._xrd_indexing import _wilson_ratios

__all__ = []

FAMILIES = ("cubic", "tetragonal", "orthorhombic", "monoclinic")


def _zones_cubic(a):
    s = -np.sort(-a, axis=1)  # |h| >= |k| >= |l|
    h, k, l = s.T
    return {"h00": (k == 0), "hh0": (h == k) & (l == 0) & (k > 0),
            "hhh": (h == k) & (k == l) & (l > 0), "hk0": (l == 0) & (k > 0) & (h != k),
            "hhl": (l > 0) & ((h == k) ^ (k == l)), "hkl": (l > 0) & (h != k) & (k != l)}


def _zones_tetragonal(a):
    hk = np.sort(a[:, :2], axis=1)
    lo, hi, l = hk[:, 0], hk[:, 1], a[:, 2]
    return {"00l": hi == 0, "h00": (lo == 0) & (hi > 0) & (l == 0),
            "hh0": (lo == hi) & (lo > 0) & (l == 0), "hk0": (l == 0) & (lo > 0) & (lo != hi),
            "h0l": (lo == 0) & (hi > 0) & (l > 0), "hhl": (lo == hi) & (lo > 0) & (l > 0),
            "hkl": (l > 0) & (lo > 0) & (lo != hi)}


def _zones_orthorhombic(a):
    z = a == 0
    h, k, l = z.T
    return {"h00": k & l & ~h, "0k0": h & l & ~k, "00l": h & k & ~l, "hk0": l & ~h & ~k,
            "h0l": k & ~h & ~l, "0kl": h & ~k & ~l, "hkl": ~(h | k | l)}


def _zones_monoclinic(a):
    h, k, l = a.T
    return {"0k0": (h == 0) & (l == 0), "h0l": k == 0, "hk0": (k > 0) & (l == 0) & (h > 0),
            "0kl": (k > 0) & (h == 0) & (l > 0), "hkl": (h > 0) & (k > 0) & (l > 0)}


_ZONES = {"cubic": _zones_cubic, "tetragonal": _zones_tetragonal,
          "orthorhombic": _zones_orthorhombic, "monoclinic": _zones_monoclinic}
_ZONE_NAMES = {f: list(z(np.zeros((1, 3), dtype=int))) for f, z in _ZONES.items()}


@cache
def _zone_table(family):
    """The zone masks of every reflection of ``_HKL`` (they do not depend on the cell)."""
    return _ZONES[family](np.abs(_HKL))
_STATS = ["m2", "weak", "strong", "n_clean"]
#: the cubic lines N = h^2 + k^2 + l^2 whose ratios are features (7, 15, 23: no line)
_CUBIC_N = [n for n in range(1, 25) if n not in (7, 15, 23)]
#: the tetragonal lines (h^2 + k^2, l) whose ratios are features
_TET_LINES = ([(0, l) for l in range(1, 5)] + [(1, l) for l in range(4)]
              + [(2, l) for l in range(4)] + [(4, l) for l in range(3)]
              + [(5, l) for l in range(3)] + [(8, 0)])
#: family -> the lines whose ratios are features, and each line's label from its cell and
#: its first reflection (|h|, |k|, |l|)
_PER_LINE = {
    "cubic": (_CUBIC_N, lambda cell, q, hkl: np.rint(q * cell[0] ** 2).astype(int).tolist()),
    "tetragonal": (_TET_LINES, lambda cell, q, hkl: list(zip(
        (hkl[:, 0] ** 2 + hkl[:, 1] ** 2).tolist(), hkl[:, 2].tolist()))),
}


@cache
def _names():
    names = []
    for f in FAMILIES:
        names += [f"{f}_L_{z}" for z in _ZONE_NAMES[f]] + [f"{f}_L_{s}" for s in _STATS]
    names += [f"cubic_L_N{n}" for n in _CUBIC_N]
    names += [f"tetragonal_L_{m}_{l}" for m, l in _TET_LINES]
    return tuple(names)


def line_feature_names():
    """Names of ``line_intensity_features``' numbers, in order."""
    return list(_names())


def _family_lines(family, cell, signal, two_theta, wavelength, local, separation):
    """Ratios of the clean lines of one family's cell and what the features need of them:
    (ratio, clean, zone masks per line, Q of each line, first reflection of each line)."""
    q = _q_hkl(family, np.asarray(cell, dtype=float))
    lo_t, hi_t = two_theta[0] + 0.3, two_theta[-1] - 0.3
    q_lo, q_hi = ((2 * np.sin(np.radians(t) / 2) / wavelength) ** 2 for t in (lo_t, hi_t))
    keep = np.flatnonzero((q >= q_lo) & (q <= q_hi))
    if len(keep) < 3:
        return None
    q = q[keep]
    key = np.rint(np.log(q) * 1e6).astype(np.int64)
    order = np.argsort(key, kind="stable")
    key, q, rows = key[order], q[order], keep[order]
    start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    mult = np.diff(np.concatenate([start, [len(key)]]))
    q_line = q[start]
    # a line belongs to a zone when all its reflections do
    pure = {z: np.add.reduceat(m[rows].astype(np.int32), start) == mult
            for z, m in _zone_table(family).items()}
    sin_t = np.minimum(np.sqrt(q_line) * wavelength / 2, 1.0)
    theta = np.arcsin(sin_t)
    tt = 2 * np.degrees(theta)
    gap = np.diff(tt) > separation
    clean = np.concatenate([[True], gap]) & np.concatenate([gap, [True]])
    step = two_theta[1] - two_theta[0]
    j = np.clip(np.rint((tt - two_theta[0]) / step).astype(int), 0, len(signal) - 1)
    height = local[j].clip(0.0)
    lp = (1 + np.cos(2 * theta) ** 2) / (sin_t ** 2 * np.cos(theta))
    per_hkl = height * (1 + np.tan(theta)) / (lp * mult)
    ratio = _wilson_ratios(per_hkl, q_line, clean & (height > 3))
    if ratio is None:
        return None
    ratio = np.nan_to_num(ratio, nan=0.0)
    return ratio, clean, pure, q_line, np.abs(_HKL[rows[start]])


def line_intensity_features(signal, two_theta, cells, wavelength=1.5406, tolerance=0.08,
                            separation=0.25):
    """The line-intensity features of one pattern (``line_feature_names`` order).

    ``signal``: the pattern less its baseline in noise units on ``two_theta``
    (``_xrd_indexing._signal``); ``cells``: family -> fitted cell (angstrom, degrees) or
    None (``_xrd_indexing._cells_of_row``). A line's height is the largest signal within
    ``tolerance`` plus 1.5 grid steps of it (the fit's zero shift is not stored; it stays
    within that window); a line is clean when no other line of the cell lies within
    ``separation`` degrees.
    """
    local = window_max(signal, two_theta, tolerance)
    out = []
    per_line = {f: np.full(len(lines), -1.0) for f, (lines, _) in _PER_LINE.items()}
    for f in FAMILIES:
        cell = cells.get(f)
        width = len(_ZONE_NAMES[f]) + len(_STATS)
        res = None
        if cell is not None and np.all(np.isfinite(cell)) and min(cell[:3]) > 0:
            res = _family_lines(f, cell, signal, two_theta, wavelength, local, separation)
        if res is None:
            out += [-1.0] * width
            continue
        ratio, clean, pure, q_line, first = res
        r = ratio[clean]
        out += [float(ratio[w & clean].mean()) if (w & clean).any() else -1.0
                for w in pure.values()]
        mean = r.mean() if len(r) else 0.0
        out += [float(np.mean(r ** 2) / mean ** 2) if mean > 0 else -1.0,
                float(np.mean(r < 0.2)) if len(r) else -1.0,
                float(np.mean(r > 3)) if len(r) else -1.0, float(np.log1p(len(r)))]
        if f in _PER_LINE:
            lines, label = _PER_LINE[f]
            where = {lab: i for i, lab in enumerate(label(cell, q_line, first))}
            for c, lab in enumerate(lines):
                i = where.get(lab)
                if i is not None and clean[i]:
                    per_line[f][c] = ratio[i]
    return np.concatenate([np.asarray(out, dtype=float), *per_line.values()])

"""XRDIndexingFeatures: index a powder pattern in each crystal system, figures of merit as features.

What a crystallographer does before assigning a space group: pick the peaks, convert their
positions to ``Q = 1/d^2``, and look for the cell of each crystal system whose reflections
``Q(hkl)`` account for the lowest peaks:

* cubic ``Q = A (h^2 + k^2 + l^2)``,
* tetragonal ``Q = A (h^2 + k^2) + C l^2``,
* hexagonal (and trigonal, rhombohedral on hexagonal axes) ``Q = A (h^2 + hk + k^2) + C l^2``,
* orthorhombic ``Q = A h^2 + B k^2 + C l^2``,
* monoclinic (unique axis b) ``Q = A h^2 + B k^2 + C l^2 + D h l``.

Trial cells come from assigning low indices to a few of the lowest peaks (``h00`` and
``0k0``, their second orders, ``hk0`` and ``00l`` of the first peaks, then one of the
peaks the trial leaves unexplained as ``hkl`` with ``l = 1, 2``) and solving for the
parameters; every trial is scored against all picked peaks at once (numpy arrays over
trials x peaks x the enumerated leading indices, the last index solved for and rounded to
an allowed value), the best ones refined by least squares on the peaks they index and
scored again. A trial's score is the number of the lowest ``n_peaks`` peaks it indexes
within ``tolerance`` (degrees 2theta), ties going to the cell with fewer calculated lines
(de Wolff's idea: a larger cell indexes anything).

The hexagonal search also tries the lowest lines of a rhombohedral lattice (012, 104,
113) on the first peaks; the orthorhombic one takes its axial pairs from the 8 lowest
peaks and adds the tetragonal and (orthohexagonal) hexagonal cells found as trials; the
monoclinic one starts from the 16 best orthorhombic trials. As TREOR does, the
orthorhombic and monoclinic searches also assign the lowest lines of any centring (100,
010, 001, 110, 101, 011, 111, 200, 020, 002; monoclinic also -101 and -111) to every
choice of 3 (orthorhombic) or 4 (monoclinic) of the 6 lowest peaks and solve for the
parameters: one matrix inverse a class of assignments that give the same cell (the axes
relabelled), precomputed, so the thousands of trials cost a product of arrays; a first
pass on the 5 lowest peaks with indices up to 3 keeps 256 of them (monoclinic 512), ties
broken by the lines the centring that every indexed peak obeys allows. Trials are pruned in
two passes (the 5, then the 8 lowest peaks), the orthorhombic pruning shared with the
monoclinic search. The best trials on all peaks and on the lowest 8 are refined (twice:
a trial a little off indexes only the low peaks at first), and the best cell's sub-cells
(an axis halved or divided by 3; the tetragonal a by sqrt 2, the hexagonal one by
sqrt 3), refined, replace it where they index as many peaks with fewer lines.
"""

from functools import cache
from itertools import combinations, permutations
from numbers import Integral, Real

import numpy as np
from scipy.signal import find_peaks
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["XRDIndexingFeatures"]

SYSTEMS = ("cubic", "tetragonal", "hexagonal", "orthorhombic", "monoclinic")
_NMAX = 4096  # largest index sum the lookup tables hold


def _tables():
    """For each quadratic form of one free index pair: sorted allowed values, and for every
    integer n the largest allowed value <= n (lo) and the smallest >= n (hi)."""
    r = np.arange(0, 65)
    h, k, l = np.meshgrid(r, r, r, indexing="ij")
    forms = {
        "cubic": np.unique(h * h + k * k + l * l),
        "tetragonal": np.unique(h[..., 0] ** 2 + k[..., 0] ** 2),
        "hexagonal": np.unique(h[..., 0] ** 2 + h[..., 0] * k[..., 0] + k[..., 0] ** 2),
    }
    out = {}
    n = np.arange(_NMAX + 1)
    for name, vals in forms.items():
        vals = vals[vals <= _NMAX]
        i = np.searchsorted(vals, n, side="right") - 1
        lo = vals[np.maximum(i, 0)]
        j = np.minimum(np.searchsorted(vals, n, side="left"), len(vals) - 1)
        hi = vals[j]
        count = np.searchsorted(vals, n, side="right")  # allowed values <= n, 0 included
        out[name] = (lo.astype(float), hi.astype(float), count)
    return out


_TABLES = _tables()


def _nearest_allowed(x, table):
    """The allowed value nearest to each real x >= 0 (array ops only)."""
    lo, hi, _ = table
    x = np.clip(x, 0.0, _NMAX - 1)
    f = np.floor(x).astype(np.int64)
    a, b = lo[f], hi[f + 1]
    return np.where(x - a <= b - x, a, b)


def _nearest_square_err(r, c):
    """The square ``k2`` nearest to each ``r / c`` (0 for negative ones) and ``|r - c k2|``,
    in place on two arrays of ``r``'s shape (the matching's largest arrays)."""
    k2 = np.divide(r, c)
    np.maximum(k2, 0.0, out=k2)
    np.sqrt(k2, out=k2)
    np.rint(k2, out=k2)
    np.square(k2, out=k2)
    err = np.multiply(c, k2)
    np.subtract(r, err, out=err)
    np.abs(err, out=err)
    return k2, err


# --------------------------------------------------------------------------- per system
# Each system: a function returning, for trial parameters P (n_t, d) and observed Q
# (n_o,), the error (n_t, n_o) of the nearest calculated line, the basis vector phi
# (n_t, n_o, d) of that line (Q = phi . p) and the number of calculated lines up to a Q.

_L = np.arange(0, 13)  # enumerated l (tetragonal, hexagonal)
_HK = np.array([(h, k) for h in range(9) for k in range(9)])  # orthorhombic
_HL = np.array([(h, l) for h in range(-8, 9) for l in range(9)])  # monoclinic


def _cap(q_max, coef, limit, factor=1.0):
    """Largest index worth enumerating: ``coef * n^2 <= q_max`` for the smallest coef."""
    return int(min(limit, np.floor(factor * np.sqrt(q_max / max(coef.min(), 1e-12)))))


_CHUNK = 2500  # trial x peak pairs matched at once: arrays that stay in the CPU's cache


def _match(system, P, q, small=False):
    """``small``: enumerate indices up to 3 only (a first pass on the lowest peaks).

    Thousands of orthorhombic or monoclinic trials on one set of peaks are matched in
    chunks of trials, with the index ranges of them all: the same values, elementwise."""
    q = np.atleast_2d(q)  # (1 or n_t, n_o)
    step = max(1, _CHUNK // q.shape[1])
    if len(q) == 1 and len(P) > 2 * step and system in ("orthorhombic", "monoclinic"):
        low = P.min(axis=0, keepdims=True)
        parts = [_match_chunk(system, P[i:i + step], q, small, low)
                 for i in range(0, len(P), step)]
        return tuple(np.concatenate(x) for x in zip(*parts))
    return _match_chunk(system, P, q, small, P)


def _match_chunk(system, P, q, small, low):
    """``_match`` on one array of trials; ``low``'s smallest parameters set the ranges."""
    q_max = 1.001 * q.max()
    if system == "cubic":
        x = q / P[:, :1]
        v = _nearest_allowed(x, _TABLES["cubic"])
        err = np.abs(q - v * P[:, :1])
        return err, v[..., None]
    if system in ("tetragonal", "hexagonal"):
        A, C = P[:, 0, None, None], P[:, 1, None, None]
        L = _L[:_cap(q_max, P[:, 1], 12) + 1]
        l2 = (L ** 2)[None, None, :]
        r = q[:, :, None] - C * l2
        m = _nearest_allowed(r / A, _TABLES[system])
        err = np.abs(r - A * m)
        best = np.argmin(err, axis=2)
        take = np.take_along_axis
        m = take(m, best[..., None], 2)[..., 0]
        phi = np.stack([m, (L ** 2)[best].astype(float)], axis=-1)
        return take(err, best[..., None], 2)[..., 0], phi
    if system == "orthorhombic":
        A, B, C = (P[:, j, None, None] for j in range(3))
        lim = 3 if small else 8
        HK = _HK[(_HK[:, 0] <= _cap(q_max, low[:, 0], lim))
                 & (_HK[:, 1] <= _cap(q_max, low[:, 1], lim))]
        h2, k2 = (HK[:, 0] ** 2)[None, None], (HK[:, 1] ** 2)[None, None]
        r = q[:, :, None] - A * h2
        r -= B * k2
        l2, err = _nearest_square_err(r, C)
        best = np.argmin(err, axis=2)
        l2 = np.take_along_axis(l2, best[..., None], 2)[..., 0]
        phi = np.stack([(HK[best, 0] ** 2).astype(float), (HK[best, 1] ** 2).astype(float),
                        l2], axis=-1)
        return np.take_along_axis(err, best[..., None], 2)[..., 0], phi
    # monoclinic
    A, B, C, D = (P[:, j, None, None] for j in range(4))
    lim = 3 if small else 8
    HL = _HL[(np.abs(_HL[:, 0]) <= _cap(q_max, low[:, 0], lim, 2.0))
             & (_HL[:, 1] <= _cap(q_max, low[:, 2], lim, 2.0))]
    h, l = HL[:, 0][None, None], HL[:, 1][None, None]
    r = q[:, :, None] - A * h * h
    r -= C * l * l
    r -= D * h * l
    k2, err = _nearest_square_err(r, B)
    best = np.argmin(err, axis=2)
    k2 = np.take_along_axis(k2, best[..., None], 2)[..., 0]
    hb, lb = HL[best, 0].astype(float), HL[best, 1].astype(float)
    phi = np.stack([hb * hb, k2, lb * lb, hb * lb], axis=-1)
    return np.take_along_axis(err, best[..., None], 2)[..., 0], phi


def _n_lines(system, P, q_max):
    """Number of calculated lines (distinct index combinations, 000 left out) up to q_max."""
    if system == "cubic":
        cnt = _TABLES["cubic"][2]
        return cnt[np.clip(np.floor(q_max / P[:, 0]), 0, _NMAX).astype(int)] - 1
    if system in ("tetragonal", "hexagonal"):
        cnt = _TABLES[system][2]
        x = (q_max - P[:, 1, None] * (_L ** 2)[None]) / P[:, 0, None]
        n = np.where(x >= 0, cnt[np.clip(np.floor(x), 0, _NMAX).astype(int)], 0)
        return n.sum(axis=1) - 1
    if system == "orthorhombic":
        x = (q_max - P[:, 0, None] * _HK[:, 0] ** 2 - P[:, 1, None] * _HK[:, 1] ** 2)
        n = np.where(x >= 0, np.floor(np.sqrt(np.maximum(x, 0) / P[:, 2, None])) + 1, 0)
        return n.sum(axis=1) - 1
    h, l = _HL[:, 0], _HL[:, 1]
    keep = (l > 0) | (h >= 0)  # (h, l) and (-h, -l) are one line
    x = q_max - P[:, 0, None] * h * h - P[:, 2, None] * l * l - P[:, 3, None] * h * l
    n = np.where((x >= 0) & keep, np.floor(np.sqrt(np.maximum(x, 0) / P[:, 1, None])) + 1, 0)
    return n.sum(axis=1) - 1


def _n_lines_estimate(system, P, q_max):
    """The number of calculated lines up to ``q_max`` from the cell's volume: the points of
    the reciprocal lattice in the sphere of radius ``sqrt(q_max)`` over the lines' share of
    them (a first pass's tie-break, where counting costs too much)."""
    if system in ("cubic", "tetragonal", "hexagonal"):
        return _n_lines(system, P, q_max)
    if system == "orthorhombic":
        v_star, share = np.sqrt(np.abs(P[:, 0] * P[:, 1] * P[:, 2])), 8.0
    else:
        v_star = np.sqrt(np.abs(P[:, 1] * (P[:, 0] * P[:, 2] - P[:, 3] ** 2 / 4)))
        share = 4.0
    return 4 * np.pi / 3 * q_max ** 1.5 / np.maximum(v_star, 1e-12) / share


def _trials(system, q, n_first):
    """Trial parameters from low-index assignments of the lowest peaks."""
    q0 = q[:n_first]
    if system == "cubic":
        N = np.array([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12])
        return (q0[:, None] / N[None]).reshape(-1, 1)
    i, j = np.triu_indices(len(q0), 1)
    if system == "orthorhombic":  # a = b: h00 and 0k0 on one peak
        i, j = np.triu_indices(len(q0), 0)
    if system in ("tetragonal", "hexagonal"):
        ms = [1, 2, 4] if system == "tetragonal" else [1, 3, 4]
        basis = [(m, 0) for m in ms] + [(0, 1), (0, 4), (0, 9), (0, 16), (0, 36)] + \
                [(m, 1) for m in ms[:2]]
        if system == "hexagonal":  # the lowest lines of a rhombohedral lattice: 012, 104, 113
            basis += [(1, 4), (1, 16), (3, 9)]
        basis = np.array(basis, dtype=float)
        a, b = np.meshgrid(np.arange(len(basis)), np.arange(len(basis)), indexing="ij")
        a, b = a.ravel(), b.ravel()
        M = np.stack([np.broadcast_to(basis[a][None], (len(i), len(a), 2)),
                      np.broadcast_to(basis[b][None], (len(i), len(a), 2))], axis=2)
        rhs = np.stack([np.broadcast_to(q0[i][:, None], (len(i), len(a))),
                        np.broadcast_to(q0[j][:, None], (len(i), len(a)))], axis=-1)
        M, rhs = M.reshape(-1, 2, 2), rhs.reshape(-1, 2)
        det = M[:, 0, 0] * M[:, 1, 1] - M[:, 0, 1] * M[:, 1, 0]
        ok = np.abs(det) > 1e-9
        M, rhs, det = M[ok], rhs[ok], det[ok]
        A = (rhs[:, 0] * M[:, 1, 1] - rhs[:, 1] * M[:, 0, 1]) / det
        C = (M[:, 0, 0] * rhs[:, 1] - M[:, 1, 0] * rhs[:, 0]) / det
        return np.stack([A, C], axis=1)
    # orthorhombic / monoclinic: two axial orders (n00, 0k0 with n, k in 1, 2) from the
    # lowest peaks, the third axis from peaks that these two leave unexplained
    n2 = np.array([1.0, 4.0])
    a, b = np.meshgrid(n2, n2, indexing="ij")
    AB = np.stack([(q0[i][:, None] / a.ravel()[None]).ravel(),
                   (q0[j][:, None] / b.ravel()[None]).ravel()], axis=1)
    return AB


def _assignment_inverses(rows, variants):
    """Inverses of the matrices that assign low-index lines to ``n`` peaks (TREOR's step).

    ``rows`` (n_rows, n): the basis vector of each line (``Q = row . p``); every ordered
    choice of ``n`` distinct rows is a matrix ``M`` whose solution ``p = M^-1 q`` is a trial
    cell for ``n`` peaks ``q``. ``variants`` maps a matrix to those that give the same cell
    up to a relabelling of the axes; one matrix of each class is kept, singular ones left
    out.
    """
    rows = np.asarray(rows, dtype=float)
    n = rows.shape[1]
    seen, out = set(), []
    for pick in permutations(range(len(rows)), n):
        M = rows[list(pick)]
        if abs(np.linalg.det(M)) < 1e-9:
            continue
        key = min(tuple(v.ravel()) for v in variants(M))
        if key not in seen:
            seen.add(key)
            out.append(np.linalg.inv(M))
    return np.array(out)


def _ortho_variants(M):
    return [M[:, list(p)] for p in permutations(range(3))]


def _mono_variants(M):
    swap = M[:, [2, 1, 0, 3]]  # a and c exchanged
    flip = M * np.array([1, 1, 1, -1])  # h -> -h
    return [M, swap, flip, swap * np.array([1, 1, 1, -1])]


# the lowest lines of an orthorhombic cell (any centring, any axis order) and of a
# monoclinic one (unique axis b, h of either sign), as basis vectors
_ORTHO_LINES = [(h * h, k * k, l * l) for h, k, l in
                [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1),
                 (2, 0, 0), (0, 2, 0), (0, 0, 2)]]
_MONO_LINES = [(h * h, k * k, l * l, h * l) for h, k, l in
               [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (0, 1, 1), (1, 0, 1), (-1, 0, 1),
                (1, 1, 1), (-1, 1, 1), (2, 0, 0), (0, 0, 2), (0, 2, 0)]]


@cache
def _inverses(system):
    if system == "orthorhombic":
        return _assignment_inverses(_ORTHO_LINES, _ortho_variants)
    return _assignment_inverses(_MONO_LINES, _mono_variants)


def _assigned_trials(system, q, n_first):
    """Trial cells from every assignment of the low-index lines to every choice of 3
    (orthorhombic) or 4 (monoclinic) of the lowest ``n_first`` peaks: ``p = M^-1 q``."""
    inv = _inverses(system)
    n = inv.shape[1]
    pick = np.array(list(combinations(range(min(n_first, len(q))), n)), dtype=int)
    if len(pick) == 0:
        return np.empty((0, n))
    P = np.einsum("mij,cj->cmi", inv, q[pick]).reshape(-1, n)
    return P[_valid(P, system)]


def _valid(P, system):
    """Positive metric within 2-40 angstrom; the monoclinic angle from 90 to 150 deg."""
    lo, hi = 1 / 40.0 ** 2, 1 / 2.0 ** 2
    diag = P[:, :3] if system in ("orthorhombic", "monoclinic") else P[:, :2]
    ok = np.all((diag > lo) & (diag < hi), axis=1)
    if system == "monoclinic":
        cosb = P[:, 3] / (2 * np.sqrt(np.abs(P[:, 0] * P[:, 2])) + 1e-300)
        ok &= (np.abs(cosb) < np.cos(np.radians(30))) & (np.abs(cosb) > 1e-3)
    return ok


def _score(system, P, q, tol_q):
    err, phi = _match(system, P, q)
    hit = err <= tol_q[None]
    n_hit = hit.sum(axis=1)
    n_calc = _n_lines(system, P, np.atleast_2d(q)[0, -1] * (1 + 1e-9))
    return n_hit, n_calc, err, phi, hit


def _lattice_share(system, phi, hit):
    """The share of a trial's calculated lines that its lattice keeps: the smallest share
    (I, A, B, C centring 1/2, F 1/4) among the centrings that every indexed peak obeys,
    else 1 (tetragonal I, orthorhombic, monoclinic C, A, I). A centred cell's absent lines
    are no evidence against it: ties between cells that index as many peaks go to the one
    with fewer *allowed* lines (the true I- or C-centred cell over a smaller wrong one
    that happens to index them). Not for cubic and hexagonal cells: counted as distinct
    ``h^2 + k^2 + l^2`` (``h^2 + hk + k^2``) their lines do not halve with the centring,
    and a supercell (c tripled) would tie with the true cell; measured there, the
    discount found fewer generating cells."""
    phi, hit = np.asarray(phi), np.asarray(hit, dtype=bool)
    share = np.ones(phi.shape[0])
    enough = hit.sum(axis=1) >= 2

    def obeys(cond):  # every indexed peak obeys the condition
        return np.all(cond | ~hit, axis=1) & enough

    # parities from the squared indices in phi (n^2 and n are even or odd together)
    if system == "tetragonal":
        m, l2 = (np.rint(phi[..., j]).astype(np.int64) for j in range(2))
        return np.where(obeys((m + l2) % 2 == 0), 0.5, share)
    if system not in ("orthorhombic", "monoclinic"):
        return share
    h, k, l = (np.rint(np.abs(phi[..., j])).astype(np.int64) % 2 for j in range(3))
    conds = [(h + k + l) % 2 == 0, (k + l) % 2 == 0, (h + k) % 2 == 0]
    if system == "orthorhombic":  # B; on a monoclinic cell (unique axis b) B is primitive
        conds.append((h + l) % 2 == 0)
    for cond in conds:
        share = np.where(obeys(cond), 0.5, share)
    if system == "orthorhombic":
        share = np.where(obeys((h == k) & (k == l)), 0.25, share)
    return share


def _key(system, n_hit, n_calc, phi, hit):
    """Trials ranked by the peaks they index, ties by their allowed lines."""
    return n_hit - 1e-4 * np.minimum(n_calc * _lattice_share(system, phi, hit), 9999)


def _distinct(P):
    """The trials that differ (to 0.1% in some parameter), in their order."""
    key = np.rint(np.log(np.abs(P) + 1e-12) * 1000).astype(np.int64)
    # one 64-bit key a row (the 0.1% steps of log 1e-12..1 need 15 bits a parameter)
    key = (key + 30000) @ (np.int64(1) << (16 * np.arange(P.shape[1], dtype=np.int64)))
    _, first = np.unique(key, return_index=True)
    return P[np.sort(first)]


def _prune(system, P, q, tol_q, n_pre=8, n_keep=48, n_first_pass=None, fast=False):
    """Distinct trials (to 0.1%), the ``n_keep`` best on the lowest ``n_pre`` peaks.

    With more than ``n_first_pass`` trials, a first pass on the lowest ``n_pre - 3``
    peaks keeps the ``n_first_pass`` best (the costly matching runs on fewer trials);
    ``fast``: that pass enumerates indices up to 3 only and breaks ties by the number of
    lines estimated from the cell's volume (thousands of assigned trials).
    """
    if len(P) == 0:
        return P
    n_first_pass = n_first_pass or N_FIRST_PASS.get(system, 256)
    P = _distinct(P)
    if len(P) <= n_keep:
        return P
    if len(P) > n_first_pass and len(q) > n_pre - 3 >= 3:
        m = n_pre - 3
        err, phi = _match(system, P, q[:m], small=fast)
        hit = err <= tol_q[None, :m]
        n_calc = (_n_lines_estimate if fast else _n_lines)(system, P, q[m - 1] * (1 + 1e-9))
        P = P[np.argsort(-_key(system, hit.sum(axis=1), n_calc, phi, hit),
                         kind="stable")[:n_first_pass]]
    m = min(n_pre, len(q))
    err, phi = _match(system, P, q[:m])
    hit = err <= tol_q[None, :m]
    n_calc = _n_lines(system, P, q[m - 1] * (1 + 1e-9))
    return P[np.argsort(-_key(system, hit.sum(axis=1), n_calc, phi, hit),
                        kind="stable")[:n_keep]]


def _refine(phi, w, q, grad, tol_q, max_shift):
    """Least-squares parameters and zero shift from the peaks ``w`` indexed with basis
    vectors ``phi``; None with too few peaks."""
    d = phi.shape[1]
    if w.sum() < d + 2:
        return None
    M = np.concatenate([phi[w], grad[w, None]], axis=1) / tol_q[w, None]
    sol, *_ = np.linalg.lstsq(M, q[w] / tol_q[w], rcond=None)
    z = sol[-1] if abs(sol[-1]) <= max_shift else 0.0
    if z == 0.0:
        sol, *_ = np.linalg.lstsq(phi[w] / tol_q[w, None], q[w] / tol_q[w], rcond=None)
    return sol[:d], z


def _best(system, P, q, tol_q, grad, n_refine=4, max_shift=0.1):
    """Index the peaks q with the trials P: the best trial refined, with its statistics.

    The refinement fits the parameters and a zero shift ``z`` (degrees; ``grad`` is
    ``dQ/d2theta`` of each peak, ``|z| <= max_shift``) to the peaks each top trial indexes
    by least squares; the refined trials are scored on the shifted peaks. The top trials
    are the ``n_refine`` best on all peaks and the ``n_refine`` best on the lowest 8 (a
    trial a little off the right cell indexes the low peaks only: refined on them, then
    once more on what it then indexes, it indexes them all).
    """
    P = _prune(system, P[_valid(P, system)], q, tol_q)
    if len(P) == 0:
        return None
    n_hit, n_calc, err, phi, hit = _score(system, P, q, tol_q)
    key = _key(system, n_hit, n_calc, phi, hit)
    top = np.argsort(-key, kind="stable")[:n_refine]
    top = np.concatenate([top, np.setdiff1d(np.arange(min(n_refine, len(P))), top)])
    trials, shifted = [P[top]], [np.broadcast_to(q, (len(top), len(q)))]
    zs = [np.zeros(len(top))]
    for t in top:
        r = _refine(phi[t], hit[t], q, grad, tol_q, max_shift)
        if r is None:
            continue
        sol, z = r
        if _valid(sol[None], system)[0]:  # a second round on the peaks it now indexes
            e2, f2 = _match(system, sol[None], q - grad * z)
            r2 = _refine(f2[0], e2[0] <= tol_q, q, grad, tol_q, max_shift)
            if r2 is not None and (e2[0] <= tol_q).sum() > hit[t].sum():
                sol, z = r2
        trials.append(sol[None])
        shifted.append((q - grad * z)[None])
        zs.append(np.array([z]))
    R, Q, Z = np.concatenate(trials), np.concatenate(shifted), np.concatenate(zs)
    ok = _valid(R, system)
    R, Q, Z = R[ok], Q[ok], Z[ok]
    if len(R) == 0:
        return None
    n_hit, n_calc, err, phi, hit = _score(system, R, Q, tol_q)
    keys = _key(system, n_hit, n_calc, phi, hit)
    t = int(np.argmax(keys))
    # a supercell indexes whatever its sub-cell does, with more lines: the best cell's
    # sub-cells (an axis halved or divided by 3, the tetragonal a by sqrt 2, the hexagonal
    # one by sqrt 3) replace it where they index as many peaks (twice: c / 4, c / 6)
    for _ in range(2 if system in _SUBCELLS else 0):
        S = R[t] * _SUBCELLS[system]
        S = S[_valid(S, system)]
        if len(S) == 0:
            break
        s_hit, s_calc, s_err, s_phi, s_ok = _score(system, S, Q[t], tol_q)
        # each refined on the peaks it indexes (a supercell's fit drifts within the
        # tolerance; its sub-cell may then miss a peak that it indexes once refined)
        for j in range(len(S)):
            w = s_ok[j]
            if w.sum() >= S.shape[1] + 1:
                S[j], *_ = np.linalg.lstsq(s_phi[j][w] / tol_q[w, None],
                                           Q[t][w] / tol_q[w], rcond=None)
        S = S[_valid(S, system)]
        if len(S) == 0:
            break
        s_hit, s_calc, s_err, s_phi, s_ok = _score(system, S, Q[t], tol_q)
        key = _key(system, s_hit, s_calc, s_phi, s_ok)
        u = int(np.argmax(key))
        if key[u] <= keys[t]:
            break
        R, Q, Z, keys = S[u:u + 1], Q[t:t + 1], Z[t:t + 1], key[u:u + 1]
        n_hit, n_calc, err, phi, hit = (x[u:u + 1] for x in (s_hit, s_calc, s_err, s_phi, s_ok))
        t = 0
    return R[t], n_hit[t], n_calc[t], err[t], phi[t], hit[t], Z[t]


# factors of the quadratic form's parameters that give a sub-cell
_SUBCELLS = {
    "tetragonal": np.array([(1, 4), (1, 9), (2, 1), (4, 1)], dtype=float),
    "hexagonal": np.array([(1, 4), (1, 9), (3, 1), (4, 1)], dtype=float),
    "orthorhombic": np.array([(4, 1, 1), (1, 4, 1), (1, 1, 4), (9, 1, 1), (1, 9, 1),
                              (1, 1, 9)], dtype=float),
    "monoclinic": np.array([(4, 1, 1, 2), (1, 4, 1, 1), (1, 1, 4, 2), (9, 1, 1, 3),
                            (1, 9, 1, 1), (1, 1, 9, 3)], dtype=float),
}


def _third_axis(AB, q, tol_q):
    """Complete (A, B) trials with C: the lowest two peaks that the hk0 zone of (A, B)
    leaves unexplained, each taken as 00l, h0l, 0kl or hkl of low order."""
    err = _match_zone(AB, q)
    unexplained = err > tol_q[None]
    # the first two unexplained peaks of each trial
    order = np.where(unexplained, np.arange(len(q))[None], len(q) + 1)
    first = np.sort(order, axis=1)[:, :2]
    out = []
    for c in range(first.shape[1]):
        idx = first[:, c]
        ok = idx < len(q)
        qq = q[np.minimum(idx, len(q) - 1)]
        for h, k, l in [(0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1), (0, 0, 2), (2, 0, 1),
                        (0, 2, 1), (1, 0, 2), (0, 1, 2)]:
            C = (qq - AB[:, 0] * h * h - AB[:, 1] * k * k) / (l * l)
            out.append(np.concatenate([AB, C[:, None]], axis=1)[ok])
    return np.concatenate(out) if out else np.empty((0, 3))


def _match_zone(AB, q):
    """Error of the nearest hk0 line of the (A, B) zone (orthorhombic metric)."""
    A, B = AB[:, 0, None, None], AB[:, 1, None, None]
    h = np.arange(0, 9)[None, None]
    r = q[None, :, None] - A * h * h
    return _nearest_square_err(r, B)[1].min(axis=2)


def _monoclinic_trials(T, q, tol_q, n_top=16):
    """Monoclinic trials from orthorhombic ones: each axis in turn unique (b), the angle's
    term D from the lowest peaks the orthorhombic trial leaves unexplained as h0l."""
    T = _prune("orthorhombic", T, q, tol_q, n_keep=n_top)
    out = []
    for u in range(3):
        rest = [j for j in range(3) if j != u]
        A, B, C = T[:, rest[0]], T[:, u], T[:, rest[1]]
        P3 = np.stack([A, B, C], axis=1)
        e, *_ = _match("orthorhombic", P3, q)
        order = np.where(e > tol_q[None], np.arange(len(q))[None], len(q) + 1)
        first = np.sort(order, axis=1)[:, :3]
        for c in range(first.shape[1]):
            idx = first[:, c]
            ok = idx < len(q)
            qq = q[np.minimum(idx, len(q) - 1)]
            for h, k, l in [(1, 0, 1), (1, 1, 1), (2, 0, 1), (1, 0, 2), (2, 1, 1), (1, 1, 2)]:
                D = (qq - A * h * h - B * k * k - C * l * l) / (h * l)
                out.append(np.stack([A, B, C, D], axis=1)[ok])
    return np.concatenate(out) if out else np.empty((0, 4))


# the lowest this many peaks give the assigned trials (3 of them orthorhombic, 4 monoclinic)
N_ASSIGN = {"orthorhombic": 6, "monoclinic": 6}
# trials a pruning's first pass keeps (monoclinic: more; on 300 monoclinic patterns of
# Materials Project frequencies, 4 of the lowest 6 peaks and 512 kept found the generating
# lattice for 0.570 of them, against 0.513 with 4 of 5 and 256; orthorhombic unchanged)
N_FIRST_PASS = {"monoclinic": 512}


def index_peaks(two_theta, *, wavelength=1.5406, tolerance=0.05, n_first=6):
    """Index peak positions (degrees 2theta, ascending) in each crystal system.

    Returns a dict system -> None or (params, n_indexed, n_calc, err_q, phi, hit,
    zero_shift); zero_shift in degrees, subtracted from the peaks before indexing.
    """
    tt = np.sort(np.asarray(two_theta, dtype=float))
    theta = np.radians(tt) / 2
    q = (2 * np.sin(theta) / wavelength) ** 2
    grad = 2 * np.sin(2 * theta) / wavelength ** 2 * np.radians(1.0)  # dQ / d2theta (deg)
    tol_q = grad * tolerance
    out = {}
    for system in ("cubic", "tetragonal", "hexagonal"):
        out[system] = _best(system, _trials(system, q, n_first), q, tol_q, grad)
    AB = _trials("orthorhombic", q, n_first + 2)
    T = _third_axis(AB, q, tol_q)
    # the higher-symmetry cells found are orthorhombic trials too (a = b; the orthohexagonal
    # cell a, a sqrt 3): a cell that only just misses tetragonal is found from them
    seeds = [np.array([r[0][0], r[0][0], r[0][1]]) for r in (out["tetragonal"],) if r]
    seeds += [np.array([0.75 * r[0][0], 0.25 * r[0][0], r[0][1]])
              for r in (out["hexagonal"],) if r]
    if seeds:
        T = np.concatenate([np.array(seeds), T])
    T = np.concatenate([T, _prune("orthorhombic", _assigned_trials(
        "orthorhombic", q, N_ASSIGN["orthorhombic"]), q, tol_q, fast=True)])
    T = _prune("orthorhombic", T[_valid(T, "orthorhombic")], q, tol_q)  # once for both
    out["orthorhombic"] = _best("orthorhombic", T, q, tol_q, grad) if len(T) else None
    M = _monoclinic_trials(T[:16], q, tol_q) if len(T) else np.empty((0, 4))
    M = np.concatenate([M, _prune("monoclinic", _assigned_trials(
        "monoclinic", q, N_ASSIGN["monoclinic"]), q, tol_q, fast=True)])
    out["monoclinic"] = _best("monoclinic", M, q, tol_q, grad) if len(M) else None
    return out


def pick_peaks(pattern, two_theta, *, prominence=0.04, n_peaks=20, smooth=1.0,
               return_prominence=False):
    """Positions (degrees 2theta) of the lowest ``n_peaks`` peaks of one pattern.

    The pattern (scaled to a maximum of 1) is smoothed by a Gaussian of ``smooth`` grid
    points; ``scipy.signal.find_peaks`` keeps the maxima whose prominence exceeds
    ``prominence`` and five times the noise (estimated from the differences of
    neighbouring points, median absolute deviation); each maximum is refined by the parabola
    through it and its neighbours. With ``return_prominence`` the peaks' prominences
    (fractions of the pattern's maximum) come second.
    """
    from scipy.ndimage import gaussian_filter1d

    x = np.asarray(pattern, dtype=float)
    x = x / max(np.abs(x).max(), 1e-300)
    sigma = 1.4826 * np.median(np.abs(np.diff(x) - np.median(np.diff(x)))) / np.sqrt(2)
    if smooth > 0:
        x = gaussian_filter1d(x, smooth, mode="nearest")
        sigma = sigma / np.sqrt(2 * np.sqrt(np.pi) * smooth)
    idx, props = find_peaks(x, prominence=max(prominence, 5 * sigma))
    inside = (idx > 0) & (idx < len(x) - 1)
    idx, prom = idx[inside][:n_peaks], props["prominences"][inside][:n_peaks]
    y0, y1, y2 = x[idx - 1], x[idx], x[idx + 1]
    den = y0 - 2 * y1 + y2
    shift = np.where(np.abs(den) > 1e-12, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    step = two_theta[1] - two_theta[0]
    tt = two_theta[idx] + np.clip(shift, -0.5, 0.5) * step
    return (tt, prom) if return_prominence else tt


# --------------------------------------------------------------------------- features
def _lines(system, p, q_max, cap=24):
    """Q of every calculated line of the cell ``p`` up to ``q_max`` (000 left out)."""
    def n_of(coef):
        return int(min(cap, np.floor(np.sqrt(q_max / max(coef, 1e-12)))))

    if system == "cubic":
        lo = _TABLES["cubic"][0]
        m = np.unique(lo[:int(min(_NMAX, q_max / p[0])) + 1])
        return p[0] * m[m > 0]
    if system in ("tetragonal", "hexagonal"):
        lo = _TABLES[system][0]
        m = np.unique(lo[:int(min(_NMAX, q_max / p[0])) + 1])
        l2 = np.arange(n_of(p[1]) + 1) ** 2
        q = (p[0] * m[:, None] + p[1] * l2[None]).ravel()
    elif system == "orthorhombic":
        h, k, l = (np.arange(n_of(c) + 1) ** 2 for c in p)
        q = (p[0] * h[:, None, None] + p[1] * k[None, :, None] + p[2] * l[None, None]).ravel()
    else:
        A, B, C, D = p
        sin2 = max(1 - D * D / (4 * A * C), 1e-3)  # reciprocal a*, c* include 1/sin^2
        nh, nl = n_of(A * sin2), n_of(C * sin2)
        h = np.arange(-nh, nh + 1)[:, None]
        l = np.arange(nl + 1)[None]
        hl = (A * h * h + C * l * l + D * h * l)[(l > 0) | (h >= 0)]
        k2 = np.arange(n_of(B) + 1) ** 2
        q = (hl[:, None] + B * k2[None]).ravel()
    return q[(q > 1e-12) & (q <= q_max)]


def _whole_pattern(system, r, two_theta, signal, wavelength, window):
    """How the fitted cell's lines over the whole grid meet the pattern's signal.

    ``signal`` is the smoothed pattern above its baseline in units of its noise. Returns
    the share of the significant signal (> 3 noise) farther than ``window`` degrees from
    every calculated line (peaks the cell cannot explain, weak ones included), the largest
    such signal over the largest signal, and the share of calculated lines with signal
    (> 2 noise) within ``window`` (a cell too large predicts lines where nothing is).
    """
    p, z = r[0], r[6]
    q_max = (2 * np.sin(np.radians(two_theta[-1] - z) / 2) / wavelength) ** 2
    q = _lines(system, p, q_max * 1.0001)
    if len(q) == 0:
        return [1.0, 1.0, 0.0]
    tt = np.sort(2 * np.degrees(np.arcsin(np.minimum(np.sqrt(q) * wavelength / 2, 1.0)))) + z
    i = np.searchsorted(tt, two_theta)
    near = np.minimum(np.abs(two_theta - tt[np.maximum(i - 1, 0)]),
                      np.abs(two_theta - tt[np.minimum(i, len(tt) - 1)])) <= window
    big = signal > 3
    total = float(np.sum(signal[big] ** 2))
    unexplained = float(np.sum(signal[big & ~near] ** 2)) / total if total > 0 else 0.0
    worst = float(signal[~near].max() / max(signal.max(), 1e-12)) if (~near).any() else 0.0
    step = two_theta[1] - two_theta[0]
    j = np.clip(np.rint((tt - two_theta[0]) / step).astype(int), 0, len(two_theta) - 1)
    w = max(round(window / step), 1)
    pad = np.concatenate([np.full(w, -np.inf), signal, np.full(w, -np.inf)])
    local = np.max(np.stack([pad[j + w + o] for o in range(-w, w + 1)]), axis=0)
    support = float(np.mean(local > 2))
    return [unexplained, worst, support]


def _signal(pattern, smooth=1.0):
    """The pattern smoothed, less a baseline (a running median over 41 points), in noise
    units."""
    from scipy.ndimage import gaussian_filter1d, median_filter

    x = np.asarray(pattern, dtype=float)
    x = x / max(np.abs(x).max(), 1e-300)
    d = np.diff(x)
    sigma = 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2)
    xs = gaussian_filter1d(x, smooth, mode="nearest")
    sigma_s = max(sigma / np.sqrt(2 * np.sqrt(np.pi) * smooth), 2e-3)  # 0.2% at least
    base = median_filter(xs, 41, mode="nearest")
    return (xs - base) / sigma_s


def _cell(system, p):
    """Cell parameters (angstrom, degrees) of a fitted quadratic form."""
    if system == "cubic":
        return [1 / np.sqrt(p[0])]
    if system == "tetragonal":
        return [1 / np.sqrt(p[0]), 1 / np.sqrt(p[1])]
    if system == "hexagonal":
        return [np.sqrt(4 / (3 * p[0])), 1 / np.sqrt(p[1])]
    if system == "orthorhombic":
        return sorted(1 / np.sqrt(p))
    A, B, C, D = p
    cosb = -abs(D) / (2 * np.sqrt(A * C))
    sin2 = 1 - cosb ** 2
    return [1 / np.sqrt(A * sin2), 1 / np.sqrt(B), 1 / np.sqrt(C * sin2),
            np.degrees(np.arccos(cosb))]


def _parities(system, phi, hit):
    """Shares of the indexed peaks that obey centring conditions (I, C, F)."""
    if hit.sum() == 0:
        return [0.0] * _N_PARITY[system]
    f = phi[hit]
    if system == "cubic":
        N = np.rint(f[:, 0]).astype(int)
        return [np.mean(N % 2 == 0), np.mean((N % 8 == 3) | (N % 4 == 0))]
    if system in ("tetragonal", "hexagonal"):
        m, l = np.rint(f[:, 0]).astype(int), np.rint(np.sqrt(f[:, 1])).astype(int)
        return [np.mean((m + l) % 2 == 0)] if system == "tetragonal" else [np.mean(l % 2 == 0)]
    if system == "orthorhombic":
        h, k, l = (np.rint(np.sqrt(f[:, j])).astype(int) % 2 for j in range(3))
        faces = max(np.mean(h == k), np.mean(k == l), np.mean(h == l))
        return [np.mean((h + k + l) % 2 == 0), faces, np.mean((h == k) & (k == l))]
    h = np.rint(np.sqrt(f[:, 0])).astype(int) % 2
    k = np.rint(np.sqrt(f[:, 1])).astype(int) % 2
    return [np.mean(h == k)]


_N_PARITY = {"cubic": 2, "tetragonal": 1, "hexagonal": 1, "orthorhombic": 3, "monoclinic": 1}
_CELL_NAMES = {"cubic": ["a"], "tetragonal": ["a", "c"], "hexagonal": ["a", "c"],
               "orthorhombic": ["a", "b", "c"], "monoclinic": ["a", "b", "c", "beta"]}
_PARITY_NAMES = {"cubic": ["I_share", "F_share"], "tetragonal": ["I_share"],
                 "hexagonal": ["l_even_share"], "orthorhombic": ["I_share", "face_share",
                                                                  "F_share"],
                 "monoclinic": ["C_share"]}


_FIT_NAMES = ["resid", "tight", "first_miss", "absent", "indexed_intensity", "worst_miss",
              "unexplained_signal", "worst_unexplained", "line_support"]


@cache
def _columns():
    return {n: i for i, n in enumerate(_feature_names())}


def _feature_names():
    names = ["n_peaks", "d_first"]
    for s in SYSTEMS:
        names += [f"{s}_{n}" for n in ["indexed", "log_M", "completeness"]
                  + _CELL_NAMES[s] + _PARITY_NAMES[s]]
    for s in SYSTEMS:
        names += [f"{s}_{n}" for n in _FIT_NAMES]
    names += ["hexagonal_R_share", "hexagonal_00l_min_l", "hexagonal_l3_share",
              "hexagonal_hhl_odd", "hexagonal_h0l_odd", "hexagonal_hhl_even",
              "hexagonal_h0l_even"]
    return names + _HEX_INTENSITY_NAMES


def _rhombohedral_table():
    """For each m = h^2 + hk + k^2: the residues (k - h) mod 3 of its (h, k), as bits."""
    r = np.arange(-64, 65)
    h, k = np.meshgrid(r, r, indexing="ij")
    m = (h * h + h * k + k * k).ravel()
    keep = m <= _NMAX
    bits = np.zeros(_NMAX + 1, dtype=np.int64)
    np.bitwise_or.at(bits, m[keep], 1 << ((k - h).ravel()[keep] % 3))
    return bits


_R_BITS = _rhombohedral_table()


def _hexagonal_zones(phi, hit):
    """Screw axes and glides on hexagonal axes, from the indexed peaks: the lowest l of an
    00l line (0: none seen; 2, 3, 6 for 6_3, 3_1 / 6_2, 6_1 when lower orders are absent),
    the share with l = 3n, and how many indexed hhl lines (m = 3 h^2) and h0l lines
    (m = h^2) have l odd and l even (c-glides remove the odd ones)."""
    if hit.sum() == 0:
        return [0.0] * 6
    m = np.rint(phi[hit, 0]).astype(int)
    l = np.rint(np.sqrt(phi[hit, 1])).astype(int)
    zero = (m == 0) & (l > 0)
    root3 = np.sqrt(m / 3.0)
    hhl = (m > 0) & (m % 3 == 0) & (np.abs(root3 - np.rint(root3)) < 1e-9)
    root = np.sqrt(m)
    h0l = (m > 0) & (np.abs(root - np.rint(root)) < 1e-9)
    odd = l % 2 == 1
    return [float(l[zero].min()) if zero.any() else 0.0, float(np.mean(l % 3 == 0)),
            float(np.sum(hhl & odd)), float(np.sum(h0l & odd)),
            float(np.sum(hhl & ~odd & (l > 0))), float(np.sum(h0l & ~odd & (l > 0)))]


def _hexagonal_counts():
    """For each m = h^2 + hk + k^2: the number of integer pairs (h, k) that give it."""
    r = np.arange(-70, 71)
    h, k = np.meshgrid(r, r, indexing="ij")
    m = (h * h + h * k + k * k).ravel()
    return np.bincount(m[m <= _NMAX], minlength=_NMAX + 1)


_HEX_COUNT = _hexagonal_counts()
_HEX_M = np.flatnonzero(_HEX_COUNT)  # the allowed m, 0 first
_IS_H00 = np.isin(np.arange(_NMAX + 1), np.arange(1, 65) ** 2)  # m of h00 (and 0k0, hh0 of -h)
_IS_HH0 = np.isin(np.arange(_NMAX + 1), 3 * np.arange(1, 37) ** 2)  # m of hh0
#: the hexagonal lines whose intensities are features, as (m = h^2 + hk + k^2, l): the
#: lowest of each hk (00, 10, 11, 20, 21, 30, 22); more lines added nothing measurable
_HEX_LINES = ([(0, l) for l in range(1, 5)] + [(1, l) for l in range(5)]
              + [(3, l) for l in range(4)] + [(m, l) for m in (4, 7) for l in range(3)]
              + [(9, 0), (9, 1), (12, 0)])
_HEX_HK = {0: "00", 1: "10", 3: "11", 4: "20", 7: "21", 9: "30", 12: "22"}
_HEX_ZONES = ["00l", "hk0", "h00", "hh0", "h0l", "hhl", "hkl", "hkl_3n", "hkl_not_3n",
              "hkl_l_odd", "hkl_l_even"]
_HEX_INTENSITY_NAMES = ([f"hexagonal_I_{z}" for z in _HEX_ZONES]
                        + ["hexagonal_I_00l_odd_share", "hexagonal_I_hhl_odd_share"]
                        + [f"hexagonal_I_{_HEX_HK[m]}{l}" for m, l in _HEX_LINES])


def _wilson_ratios(per_hkl, Q, strong):
    """Each line's intensity per reflection ``per_hkl`` (at ``Q = 1/d^2``) over a Wilson-plot
    fit, ``exp(a + b s^2)`` with ``s^2 = Q / 4``, of the ``strong`` lines' logarithms (form
    factors, Debye-Waller), capped at 50: a random crystal's lines average 1. With fewer
    than 3 strong lines, over their mean; None without any."""
    if strong.sum() >= 3:
        slope, icpt = np.polyfit(Q[strong] / 4, np.log(per_hkl[strong]), 1)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            # strong lines bunched in s^2 can give a steep fit: a line without signal
            # stays 0 where the fit underflows, one with signal is capped below
            ratio = np.where(per_hkl > 0, per_hkl / np.exp(icpt + slope * Q / 4), 0.0)
    elif strong.any():
        ratio = per_hkl / per_hkl[strong].mean()
    else:
        return None
    return np.minimum(ratio, 50.0)


def _hexagonal_intensities(signal, two_theta, r, wavelength, separation=0.25):
    """Intensities of the lines of the fitted hexagonal cell, relative to a random crystal's.

    Trigonal and hexagonal groups of one powder class put their peaks at the same angles;
    what can differ is how the intensity is spread over the lines. A symmetry operation that
    fixes a reflection multiplies its mean intensity (the ``epsilon`` factor of Wilson
    statistics: 00l by 3 for a 3-fold axis, by 6 for a 6-fold one, doubled again by vertical
    mirrors; hk0 by 2 for the horizontal mirror only hexagonal groups have), and the special
    positions (1/3, 2/3, z) or z = 1/4 weigh lines by h - k mod 3 and by the parity of l.
    Each line of the cell (2theta within the grid, no other line within ``separation``
    degrees) gets its height in the signal times ``1 + tan theta`` (the profile's width),
    over its Lorentz-polarisation factor and the number of (h, k, l) it holds; a straight
    line in ``s^2`` fitted to the logarithms of the significant ones (Wilson's plot: form
    factors and Debye-Waller) is divided out. Returns the mean of these ratios over each
    zone (``-1``: no clean line), the share of the 00l and hhl intensity in odd l, and the
    ratio of each of the ``_HEX_LINES`` (``-1``: outside the grid or overlapped).
    """
    out = np.full(len(_HEX_INTENSITY_NAMES), -1.0)
    if r is None:
        return out
    (A, C), z = r[0], r[6]
    q_max = (2 * np.sin(np.radians(two_theta[-1] - z) / 2) / wavelength) ** 2
    m = _HEX_M[_HEX_M <= min(q_max / A, _NMAX)]
    M, L = (v.ravel() for v in np.meshgrid(m, np.arange(int(np.sqrt(q_max / C)) + 1),
                                           indexing="ij"))
    Q = A * M + C * L ** 2
    theta = np.arcsin(np.minimum(np.sqrt(np.maximum(Q, 0)) * wavelength / 2, 1.0))
    tt = np.degrees(2 * theta) + z
    keep = (Q > 0) & (tt > two_theta[0] + 0.3) & (tt < two_theta[-1] - 0.3)
    order = np.argsort(tt[keep], kind="stable")
    M, L, Q, theta, tt = (v[keep][order] for v in (M, L, Q, theta, tt))
    if len(tt) < 3:
        return out
    gap = np.diff(tt) > separation
    clean = np.concatenate([[True], gap]) & np.concatenate([gap, [True]])
    step = two_theta[1] - two_theta[0]
    j = np.clip(np.rint((tt - two_theta[0]) / step).astype(int), 1, len(two_theta) - 2)
    height = np.maximum(np.maximum(signal[j - 1], signal[j]), signal[j + 1]).clip(0.0)
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    per_hkl = height * (1 + np.tan(theta)) / (lp * _HEX_COUNT[M] * np.where(L > 0, 2, 1))
    ratio = _wilson_ratios(per_hkl, Q, clean & (height > 3))
    if ratio is None:
        return out
    general = (M > 0) & (L > 0) & ~_IS_H00[M] & ~_IS_HH0[M]
    zones = [M == 0, L == 0, (L == 0) & _IS_H00[M], (L == 0) & _IS_HH0[M],
             (L > 0) & _IS_H00[M], (L > 0) & _IS_HH0[M], general, general & (M % 3 == 0),
             general & (M % 3 != 0), general & (L % 2 == 1), general & (L % 2 == 0)]
    vals = [ratio[w & clean].mean() if (w & clean).any() else -1.0 for w in zones]
    for w in (zones[0], zones[5]):
        total = ratio[w & clean].sum()
        vals.append(ratio[w & clean & (L % 2 == 1)].sum() / total if total > 0 else -1.0)
    where = {(a, b): i for i, (a, b) in enumerate(zip(M.tolist(), L.tolist()))}
    for ml in _HEX_LINES:
        i = where.get(ml)
        vals.append(ratio[i] if i is not None and clean[i] else -1.0)
    out[:] = vals
    return out


def _rhombohedral_share(phi, hit):
    """Share of the indexed (hexagonal axes) peaks with an (h, k) of ``-h + k + l = 3n``:
    all of them for a rhombohedral lattice (obverse setting; l and -l are one line)."""
    if hit.sum() == 0:
        return 0.0
    m = np.clip(np.rint(phi[hit, 0]).astype(int), 0, _NMAX)
    l = np.rint(np.sqrt(phi[hit, 1])).astype(int)
    return float(np.mean((_R_BITS[m] >> ((-l) % 3)) & 1))


def _features(pattern, two_theta, wavelength, n_peaks, prominence, tolerance,
              reflection_conditions=False, line_intensities=False):
    row = _indexing_features(pattern, two_theta, wavelength, n_peaks, prominence, tolerance)
    extra = []
    if reflection_conditions:
        extra += list(reflection_condition_features(pattern, row, two_theta, wavelength,
                                                    n_peaks, prominence, tolerance))
    if line_intensities:
        from ._xrd_lines import line_intensity_features

        extra += list(line_intensity_features(_signal(pattern), two_theta, _cells_of_row(row),
                                              wavelength, tolerance))
    return row + extra


def _cells_of_row(row):
    """Family -> fitted cell (angstrom, degrees) read from a row of the 124 features; None
    where the system was not indexed."""
    col = _columns()
    cells = {}
    for s in SYSTEMS:
        c = np.array([row[col[f"{s}_{n}"]] for n in _CELL_NAMES[s]], dtype=float)
        cells[s] = c if c[0] > 0 else None
    return cells


def reflection_condition_features(pattern, row, two_theta, wavelength=1.5406, n_peaks=20,
                                  prominence=0.04, tolerance=0.08):
    """The 192 reflection-condition features of one pattern, given its 124 indexing
    features ``row`` (the fitted cells are read from it, so that features computed and
    stored earlier can be extended without indexing again)."""
    from ._xrd_extinction import extinction_features

    tt, prom = pick_peaks(pattern, two_theta, prominence=prominence, n_peaks=n_peaks,
                          return_prominence=True)
    keep = (tt > 0) & (tt < 180)
    return extinction_features(tt[keep], prom[keep], _signal(pattern), two_theta, wavelength,
                               tolerance, _cells_of_row(row))


def _indexing_features(pattern, two_theta, wavelength, n_peaks, prominence, tolerance):
    tt, prom = pick_peaks(pattern, two_theta, prominence=prominence, n_peaks=n_peaks,
                          return_prominence=True)
    keep = (tt > 0) & (tt < 180)
    tt, prom = tt[keep], prom[keep]
    w = prom / max(prom.sum(), 1e-300)
    signal = _signal(pattern)
    n = len(tt)
    out = [float(n), wavelength / (2 * np.sin(np.radians(tt[0]) / 2)) if n else 0.0]
    res = index_peaks(tt, wavelength=wavelength, tolerance=tolerance) if n >= 2 else {}
    q_n = (2 * np.sin(np.radians(tt[-1]) / 2) / wavelength) ** 2 if n else 0.0
    grad = 2 * np.sin(np.radians(tt)) / wavelength ** 2 * np.radians(1.0)  # dQ/d2theta
    fit = []
    for s in SYSTEMS:
        r = res.get(s)
        width = 3 + len(_CELL_NAMES[s]) + _N_PARITY[s]
        if r is None:
            out += [0.0] * width
            fit += [tolerance, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
            continue
        # the fit's residuals in degrees 2theta: a lower-symmetry cell that is the right
        # one lands its lines within the peak-position noise, a higher-symmetry cell that
        # only just indexes the peaks (split lines merged) lands them near the tolerance
        dev = r[3] / grad
        hit = r[5]
        miss = np.flatnonzero(~hit)
        fit += [float(np.sqrt(np.mean(dev[hit] ** 2))) if hit.any() else tolerance,
                float(np.mean(dev <= tolerance / 4)),
                (miss[0] if len(miss) else n) / max(n, 1),
                float(np.log1p(max(r[2] - r[1], 0))),
                # a weak unindexed peak may be noise, a strong one rules the cell out
                float(w[hit].sum()),
                float(prom[~hit].max() / prom.max()) if len(miss) else 0.0]
        fit += _whole_pattern(s, r, two_theta, signal, wavelength,
                              tolerance + 1.5 * (two_theta[1] - two_theta[0]))
        p, n_hit, n_calc, err, phi, hit = r[:6]
        eps = max(float(np.mean(err[hit])) if n_hit else 1.0, 1e-6 * q_n)
        # de Wolff's M_N = Q_N / (2 <eps> N_calc) over the indexed peaks
        out += [n_hit / n, np.log(q_n / (2 * eps * max(n_calc, 1))),
                min(n_hit / max(n_calc, 1), 1.0)]
        out += list(_cell(s, p)) + list(_parities(s, phi, hit))
    r = res.get("hexagonal")
    return (out + fit + ([_rhombohedral_share(r[4], r[5])] + _hexagonal_zones(r[4], r[5])
                         if r is not None else [0.0] * 7)
            + list(_hexagonal_intensities(signal, two_theta, r, wavelength)))


class XRDIndexingFeatures(TransformerMixin, BaseEstimator):
    """Powder patterns to indexing features: how well each crystal system's cell fits the peaks.

    The step a crystallographer takes before assigning a space group. For each pattern:
    the lowest ``n_peaks`` peaks are picked (``scipy.signal.find_peaks`` on the smoothed
    pattern, positions refined by a parabola), converted to ``Q = 1/d^2``, and indexed in
    each of five crystal systems: cubic (one parameter), tetragonal and hexagonal (two; the
    trigonal groups index on hexagonal axes, the rhombohedral ones with an extinction),
    orthorhombic (three) and monoclinic (four); triclinic is what none of them fits. Trial
    cells come from low-index assignments of the lowest peaks; every trial is scored on all
    peaks at once in numpy, the best ones refined by least squares (see the module's
    notes). Per system the features are the share of the picked peaks indexed within
    ``tolerance``, de Wolff's figure of merit ``log M_N = log(Q_N / (2 <eps> N_calc))``
    (``<eps>`` the mean ``Q`` error of the indexed peaks, ``N_calc`` the calculated lines up
    to the last peak ``Q_N``), the completeness ``n_indexed / N_calc`` (a centred lattice
    indexed on a primitive cell leaves half or three quarters of its lines absent), the
    fitted cell (angstrom, degrees) and the shares of indexed peaks that obey centring
    conditions (``h + k + l`` even: I; unmixed parities: F, ...). A higher-symmetry
    system that indexes as many peaks as a lower one, with a good figure of merit, is the
    crystallographer's answer; a classifier on these features learns that rule and its
    exceptions.

    A higher-symmetry cell can index a lower-symmetry pattern within the tolerance (an
    orthorhombic cell with ``a`` close to ``b`` whose split lines merge, or a larger cell
    with many lines): what tells them apart is how *well* and how *economically* each fit
    explains the data, so every system also gets (after the cell blocks above)
    ``<system>_resid`` (RMS deviation of the indexed peaks, degrees 2theta), ``_tight``
    (share of peaks within a quarter of ``tolerance``), ``_first_miss`` (rank of the lowest
    unindexed peak over the number of peaks; 1 when all are indexed), ``_absent``
    (``log(1 + N_calc - n_indexed)``: calculated lines without a peak),
    ``_indexed_intensity`` (the prominence-weighted share indexed: a weak unindexed peak
    may be noise) and ``_worst_miss`` (the largest unindexed prominence over the largest),
    and three whole-pattern checks of the fitted cell against the smoothed pattern less its
    baseline in noise units over the full grid, weak peaks below the picking threshold
    included: ``_unexplained_signal`` (share of the signal above 3 noise farther than
    ``tolerance`` plus 1.5 grid steps from every calculated line), ``_worst_unexplained``
    and ``_line_support`` (share of calculated lines with signal above 2 noise within that
    window). Last, ``hexagonal_R_share``: the share of peaks indexed on hexagonal axes that
    obey the rhombohedral condition ``-h + k + l = 3n``, and the zones that tell screw
    axes and glides (trigonal from hexagonal groups, where positions can): the lowest
    ``l`` of an ``00l`` line, the share of ``l = 3n``, and the numbers of indexed ``hhl``
    and ``h0l`` lines with ``l`` odd and even.

    Where positions cannot tell trigonal from hexagonal groups (P3 and P6 put their peaks
    at the same angles), intensities can, on average: a symmetry operation that fixes a
    reflection multiplies its expected intensity (Wilson's ``epsilon``: 00l by 3 under a
    3-fold axis, by 6 under a 6-fold one, twice that with vertical mirrors; hk0 by 2 under
    the horizontal mirror that only hexagonal groups have). The last 35 features
    (``hexagonal_I_*``) read the pattern at every line of the fitted hexagonal cell that no
    other line overlaps: the height times the profile's width ``1 + tan theta``, over the
    Lorentz-polarisation factor and the number of ``(h, k, l)`` in the line, over a
    Wilson-plot fit in ``s^2`` (form factors, Debye-Waller), so that a random crystal's
    lines average 1. They are the means over the zones 00l, hk0, h00, hh0, h0l, hhl and the
    general hkl (also split by ``h - k = 3n``, where sites at (1/3, 2/3, z) add, and by the
    parity of ``l``), the share of the 00l and hhl intensity in odd ``l``, and the ratios of
    22 low lines (``hexagonal_I_001`` ... ``hexagonal_I_220``, named by ``hk`` and ``l``);
    ``-1`` where a zone or line has no clean line in the grid. Gradient boosting on 8,000
    trigonal and hexagonal patterns gets 0.649 of them right without these and 0.690 with
    them (peak positions alone allow 0.692; ``benchmarks/bench_xrd_trigonal.py``).

    The transformer learns nothing: ``fit`` checks the input and records the grid.

    Parameters
    ----------
    two_theta_range : (float, float), default=(5.0, 90.0)
        2theta (degrees) of the first and last column of ``X``, an even grid (that of
        :func:`~skphys.datasets.make_xrd_patterns`).
    wavelength : float, default=1.5406
        X-ray wavelength in angstrom (Cu K-alpha1).
    n_peaks : int, default=20
        Index the lowest this many peaks (de Wolff's 20).
    prominence : float, default=0.04
        Smallest prominence of a peak relative to the pattern's maximum (and at least five
        times the noise estimated from the pattern); lower values pick bumps of
        :func:`~skphys.datasets.make_xrd_patterns`' default noise as peaks.
    tolerance : float, default=0.08
        Largest difference (degrees 2theta) between a peak and a calculated line for the
        peak to count as indexed.
    reflection_conditions : bool, default=False
        Append 192 features of the space group's systematic absences: for each of the 96
        classes of space groups whose powder peaks coincide for any cell (the triclinic
        class left out; :func:`~skphys.datasets.xrd_extinction_classes`) and the cell
        fitted in its lattice family, ``ext_<family>_<symbol>_unexplained`` (the
        prominence-weighted share of the picked peaks that the cell indexes but none of the
        reflections the class allows does: a glide plane forbids them) and
        ``ext_<family>_<symbol>_absent`` (the share of the lines the class allows up to the
        last picked peak that have no signal, each line weighted by its expected height:
        the reflections the class allows in it, Lorentz-polarisation, a mean Wilson
        fall-off). ``<symbol>`` is the class's first group; an
        orthorhombic class is tried in the six orders of the axes, a monoclinic one in its
        three cell choices with ``a`` and ``c`` swapped or not, the setting that explains
        the most peaks kept.
    line_intensities : bool, default=False
        Append 81 features of how the intensity is spread over the lines of the cells
        fitted in the cubic, tetragonal, orthorhombic and monoclinic families (the
        hexagonal family has its ``hexagonal_I_*`` among the indexing features), read as
        the ``hexagonal_I_*`` are: each line that no other line overlaps, its largest
        signal within the peak window, times ``1 + tan theta``, over the
        Lorentz-polarisation factor and the number of ``(h, k, l)`` in the line, over a
        Wilson-plot fit of the strong lines. Per family ``<family>_L_<zone>`` (the mean
        over the lines of a zone: cubic h00, hh0, hhh, hk0, hhl, hkl; tetragonal 00l, h00,
        hh0, hk0, h0l, hhl, hkl; orthorhombic h00, 0k0, 00l, hk0, h0l, 0kl, hkl on the
        fitted axes sorted by length; monoclinic 0k0, h0l, hk0, 0kl, hkl), ``_L_m2``
        (``<r^2> / <r>^2``: a centrosymmetric crystal's intensities scatter more),
        ``_L_weak`` and ``_L_strong`` (shares below 0.2 and above 3) and ``_L_n_clean``
        (``log(1 + n)`` of the clean lines), then ``cubic_L_N<N>`` (the line
        ``h^2 + k^2 + l^2 = N``, ``N <= 24``) and ``tetragonal_L_<h^2 + k^2>_<l>`` (its
        lowest lines); ``-1`` where there is no clean line. Groups of one powder class put
        their peaks at the same angles (F-43m and Fm-3m; C2, Cm and C2/m) and differ only
        here: on the 30,000 + 6,000 patterns of ``benchmarks/bench_xrd.py``'s table, the
        table's best network reads the right group of the right powder class for 0.745 of
        the test patterns without them and 0.760 with them (space group 0.515 -> 0.526;
        the means of five seeds each, trained on a GPU; on one CPU thread, seed 0: 0.5175
        -> 0.5248; ``benchmarks/bench_xrd_line_intensities.py``).
    n_jobs : int, default=None
        Patterns featurised in parallel by joblib (None: one process).

    Attributes
    ----------
    n_features_in_ : int
        Points of the patterns' grid.
    two_theta_ : ndarray of shape (n_points,)
        The grid.

    See Also
    --------
    skphys.datasets.make_xrd_patterns : Patterns of random crystals of the 230 groups.
    skphys.datasets.xrd_extinction_classes : The groups peak positions cannot tell apart.

    Notes
    -----
    Real indexing programs (ITO, TREOR, DICVOL) search more trial cells; this one is built
    to featurise tens of thousands of generated patterns. Its orthorhombic and monoclinic
    trials include TREOR's: the lowest lines assigned to three or four of the lowest peaks,
    the parameters solved for (see the module's notes). On 100 orthorhombic and 100
    monoclinic generated patterns on a 0.1-degree grid the cell fitted in the pattern's own
    system is the generator's (within 1%) for 0.47 and 0.17 of them (0.43 and 0.05 without
    those trials; another cell choice of the same monoclinic lattice counts as a miss), on
    the generator's default 0.05-degree grid for 0.56 and 0.27 (sharper peak positions: give
    it patterns sampled at least that finely);
    ``tests/feature_extraction/test_xrd_indexing.py`` checks that, the textbook cells and
    the indexing of generated patterns, ``benchmarks/bench_xrd_errors.py`` the recovery in
    every system.

    References
    ----------
    P. M. de Wolff, "A simplified criterion for the reliability of a powder pattern
    indexing", J. Appl. Cryst. 1, 108 (1968).

    Examples
    --------
    Rock salt indexes as cubic with a = 5.64 angstrom, every peak accounted for:

    >>> from skphys.datasets import xrd_pattern
    >>> from skphys.feature_extraction import XRDIndexingFeatures
    >>> na, cl = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0)], [(.5, .5, .5),
    ...     (.5, 0, 0), (0, .5, 0), (0, 0, .5)]
    >>> res = xrd_pattern((5.64, 5.64, 5.64, 90, 90, 90), na + cl, ["Na"] * 4 + ["Cl"] * 4)
    >>> index = XRDIndexingFeatures().set_output(transform="pandas")
    >>> f = index.fit_transform(res.pattern[None])
    >>> f[["cubic_indexed", "cubic_a", "cubic_F_share"]].round(2).values.tolist()
    [[1.0, 5.64, 1.0]]
    """

    _parameter_constraints = {
        "two_theta_range": [tuple, list],
        "wavelength": [Interval(Real, 0, None, closed="neither")],
        "n_peaks": [Interval(Integral, 2, None, closed="left")],
        "prominence": [Interval(Real, 0, 1, closed="both")],
        "tolerance": [Interval(Real, 0, None, closed="neither")],
        "reflection_conditions": ["boolean"],
        "line_intensities": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, two_theta_range=(5.0, 90.0), *, wavelength=1.5406, n_peaks=20,
                 prominence=0.04, tolerance=0.08, reflection_conditions=False,
                 line_intensities=False, n_jobs=None):
        self.two_theta_range = two_theta_range
        self.wavelength = wavelength
        self.n_peaks = n_peaks
        self.prominence = prominence
        self.tolerance = tolerance
        self.reflection_conditions = reflection_conditions
        self.line_intensities = line_intensities
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the patterns and record their 2theta grid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Powder patterns on an even 2theta grid spanning ``two_theta_range``.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X)
        try:
            lo, hi = (float(v) for v in self.two_theta_range)
        except (TypeError, ValueError):
            lo, hi = np.nan, np.nan
        if not 0 < lo < hi < 180:
            raise ValueError("two_theta_range must be (low, high) with 0 < low < high < 180, "
                             f"got {self.two_theta_range!r}.")
        self.two_theta_ = np.linspace(lo, hi, X.shape[1])
        return self

    def transform(self, X):
        """Index each pattern in the five crystal systems.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Powder patterns on the grid seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
            See ``get_feature_names_out`` for the columns: 124, then 192 with
            ``reflection_conditions=True``, then 81 with ``line_intensities=True``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        args = (self.two_theta_, self.wavelength, self.n_peaks, self.prominence,
                self.tolerance, self.reflection_conditions, self.line_intensities)
        if self.n_jobs in (None, 1) or len(X) < 2:
            rows = [_features(x, *args) for x in X]
        else:
            from joblib import Parallel, delayed

            chunks = np.array_split(np.arange(len(X)), min(len(X), 8 * abs(self.n_jobs)))
            parts = Parallel(n_jobs=self.n_jobs)(
                delayed(lambda idx: [_features(X[i], *args) for i in idx])(c)
                for c in chunks)
            rows = [r for part in parts for r in part]
        return np.asarray(rows, dtype=float).reshape(len(X), len(self._names()))

    def get_feature_names_out(self, input_features=None):
        """Names of the features: ``n_peaks``, ``d_first``, then ``<system>_<feature>``
        (and ``ext_<family>_<symbol>_unexplained`` / ``_absent`` with
        ``reflection_conditions=True``, then ``<family>_L_*`` with
        ``line_intensities=True``).

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        return np.asarray(self._names(), dtype=object)

    def _names(self):
        names = _feature_names()
        if self.reflection_conditions:
            from ._xrd_extinction import feature_names

            names = names + feature_names()
        if self.line_intensities:
            from ._xrd_lines import line_feature_names

            names = names + line_feature_names()
        return names

"""Trigonal vs hexagonal powder patterns: what peak positions allow, what intensities add.

Protocol (one thread). ``--n`` patterns of the 52 trigonal and hexagonal groups (groups
uniform, ``make_xrd_patterns(crystal_systems=["trigonal", "hexagonal"])``, the bench's
851-point grid, seed 0), featurised once by ``XRDIndexingFeatures``. The target is the crystal
system (trigonal or hexagonal). Rows:

* the bound from peak positions: groups whose peaks sit at the same angles for every cell
  (``powder_classes``) cannot be told apart by positions; the best classifier predicts each
  class's majority system (16 of the 52 groups lost, 0.692 with the groups uniform);
* gradient boosting (``HistGradientBoostingClassifier(max_iter=300)``, 5-fold CV, every
  pattern predicted once) on the positional features (the 89 before the line
  intensities), on them plus the zone means and odd-l shares (``hexagonal_I_00l`` ...
  ``hexagonal_I_hhl_odd_share``), plus the 22 line ratios, plus both (all 124);
* the same with the intensity features computed on the true cell (no indexing error):
  what the intensities could give with a perfect search;
* per pair of groups of one powder class (a trigonal and a hexagonal one whose patterns
  differ only in intensities), positional vs all features.

The ``epsilon`` rows give the median ``hexagonal_I_00l`` and ``hexagonal_I_hk0`` of the
groups with a 3-fold axis (P3), 6-fold axis (P6), horizontal mirror (P-6) and 6mm (P6mm).

    python benchmarks/bench_xrd_trigonal.py [--n 8000]
"""

import argparse
import time

import numpy as np
from _common import report
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from skphys.datasets import make_xrd_patterns
from skphys.datasets._xrd_spacegroups import powder_classes
from skphys.feature_extraction import XRDIndexingFeatures
from skphys.feature_extraction._xrd_indexing import (
    _HEX_INTENSITY_NAMES,
    _hexagonal_intensities,
    _signal,
)

PAIRS = [(143, 168), (143, 183), (147, 175), (164, 191), (149, 177), (156, 183), (162, 191),
         (150, 189), (158, 185), (159, 186), (151, 171)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000)
    args = parser.parse_args()
    X, _, info = make_xrd_patterns(args.n, target="space_group",
                                   crystal_systems=["trigonal", "hexagonal"], n_points=851,
                                   return_info=True, random_state=0)
    t0 = time.perf_counter()
    index = XRDIndexingFeatures().fit(X)
    F = index.transform(X)
    t_feat = time.perf_counter() - t0
    names = list(index.get_feature_names_out())
    y = (info.crystal_system == "hexagonal").astype(int)
    sg = info.space_group
    n_pos = names.index(_HEX_INTENSITY_NAMES[0])
    zones = slice(n_pos, n_pos + 13)
    true_cell = np.array([
        _hexagonal_intensities(_signal(x), info.two_theta,
                               (np.array([4 / (3 * c[0] ** 2), 1 / c[2] ** 2]),) + (None,) * 5
                               + (0.0,), 1.5406) for x, c in zip(X, info.cell)])
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def accuracy(Z, target=y, mask=slice(None), max_iter=300):
        clf = HistGradientBoostingClassifier(max_iter=max_iter, random_state=0)
        return float(np.mean(cross_val_predict(clf, Z[mask], target[mask], cv=cv)
                             == target[mask]))

    cls = {g: k for k, members in enumerate(powder_classes()) for g in members}
    k = np.array([cls[g] for g in sg])
    bound = sum(max(np.sum(y[k == c]), np.sum(1 - y[k == c])) for c in np.unique(k)) / len(y)
    rows = [{"features": "peak positions alone (bound)", "accuracy": bound,
             "note": "each powder class's majority system"}]
    old = F[:, :n_pos]
    for label, Z in [
            ("positional (89)", old),
            ("+ zone means, odd-l shares (13)", np.hstack([old, F[:, zones]])),
            ("+ line ratios (22)", np.hstack([old, F[:, n_pos + 13:]])),
            ("all (124)", F),
            ("positional + intensities on the true cell", np.hstack([old, true_cell])),
            ("positional + true powder class", np.hstack([old, k[:, None]]))]:
        rows.append({"features": label, "accuracy": accuracy(Z), "note": f"{len(y)} patterns, "
                     "5-fold CV, trigonal vs hexagonal"})
        print(rows[-1], flush=True)
    for a, b in PAIRS:
        w = np.isin(sg, [a, b])
        t = (sg == b).astype(int)
        rows.append({"features": f"pair {a} vs {b}: positional / all",
                     "accuracy": accuracy(F, t, w, 100),
                     "positional only": accuracy(old, t, w, 100),
                     "note": f"{w.sum()} patterns, one powder class: positions give 0.5"})
        print(rows[-1], flush=True)
    for g, what in [(143, "P3"), (168, "P6"), (174, "P-6"), (183, "P6mm")]:
        w = sg == g
        med = {z: float(np.median(true_cell[w, j][true_cell[w, j] >= 0]))
               for j, z in enumerate(_HEX_INTENSITY_NAMES[:2])}
        rows.append({"features": f"epsilon {what} ({g}): median I_00l, I_hk0 (true cell)",
                     "accuracy": None, "I_00l": med["hexagonal_I_00l"],
                     "I_hk0": med["hexagonal_I_hk0"], "note": f"{w.sum()} patterns"})
    report("bench_xrd_trigonal", rows, ["features", "accuracy", "positional only", "I_00l",
                                        "I_hk0", "note"],
           {"protocol": __doc__, "n": args.n, "featurise_s": t_feat})


if __name__ == "__main__":
    main()

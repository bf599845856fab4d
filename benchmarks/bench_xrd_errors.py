"""Powder XRD: where the crystal-system errors of the indexing classifiers fall.

Protocol (one thread): ``--n`` generated patterns (``make_xrd_patterns``, groups uniform over
the 230 or, with ``--space-group-weights materials_project``, as often as among real
crystals; on ``--n-points`` points from 5 to 90 degrees: 851, the 0.1-degree grid of
``bench_xrd.py``'s tables before 2026-11-26, or 1701, the generator's 0.05-degree default
that ``bench_xrd.py`` now indexes; ``random_state=0``), featurised by
``XRDIndexingFeatures(reflection_conditions=True)`` (``--feature-cache`` to store them),
the first 75% for training, the rest for testing. Two classifiers of the crystal system:
gradient boosting on the 124 indexing features (``bench_xrd.py``'s first indexing row) and
the tuned boosting on them plus the reflection-condition features and the systems' contrasts
(``bench_xrd.py``'s). For each, the confusion matrix and, for every error, whether the
search found the generating cell: the cell fitted in the true system's lattice family
equals the generating one within 1% in every length (orthorhombic and monoclinic lengths
compared sorted) and 1 degree in the monoclinic angle. A sub-cell, a supercell or another
cell choice of the same lattice counts as not found; a last row gives the monoclinic share
again with both cells reduced (any cell choice of the lattice). No peer: this is a
diagnosis.

    python benchmarks/bench_xrd_errors.py [--n 4000] [--feature-cache F.npz] [--n-points 851]
                                          [--space-group-weights materials_project]
                                          [--name bench_xrd_errors]
"""

import argparse
import os
import time
from collections import Counter

import numpy as np
from _common import report
from bench_xrd import indexing_contrasts, tuned_boosting
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skphys.datasets import CRYSTAL_SYSTEMS, make_xrd_patterns
from skphys.feature_extraction import XRDIndexingFeatures


def reduced_monoclinic(a, b, c, beta):
    """The monoclinic cell with the shortest a, c of its lattice (Gauss reduction of the ac
    plane), beta obtuse: the same for every cell choice of one lattice."""
    if min(a, b, c) <= 0:  # no cell fitted
        return a, b, c, beta
    u = np.array([a, 0.0])
    v = c * np.array([np.cos(np.radians(beta)), np.sin(np.radians(beta))])
    for _ in range(50):
        if u @ u > v @ v:
            u, v = v, u
        n = np.rint((u @ v) / (u @ u))
        if n == 0:
            break
        v = v - n * u
    cosb = abs(u @ v) / np.sqrt((u @ u) * (v @ v))
    return np.sqrt(u @ u), b, np.sqrt(v @ v), np.degrees(np.arccos(-cosb))


#: the parameters ``XRDIndexingFeatures`` fits in each lattice family (its ``<family>_<name>``)
_CELL_PARAMETERS = {"cubic": ("a",), "tetragonal": ("a", "c"), "hexagonal": ("a", "c"),
                    "orthorhombic": ("a", "b", "c"), "monoclinic": ("a", "b", "c", "beta")}


def same_cell(fit, system, cell, any_choice=False):
    """Whether ``fit``, the cell fitted in ``system``'s lattice family (its parameters in
    ``_CELL_PARAMETERS``' order; None: no cell), is the generating ``cell`` (with
    ``any_choice``, monoclinic cells are compared reduced: any cell of the lattice)."""
    if fit is None:
        return False

    def ok(x, t):
        return abs(x / t - 1) < 0.01

    a, b, c, _, beta, _ = cell
    if system == "cubic":
        return ok(fit[0], a)
    if system in ("tetragonal", "trigonal", "hexagonal"):
        return ok(fit[0], a) and ok(fit[1], c)
    if system == "orthorhombic":
        return all(ok(x, t) for x, t in zip(sorted(fit), sorted((a, b, c))))
    if system == "monoclinic":
        fit, true = list(fit), [a, b, c, beta]
        if any_choice:
            fit, true = reduced_monoclinic(*fit), reduced_monoclinic(*true)
        return (all(ok(x, t) for x, t in zip(sorted(fit[:3]), sorted(true[:3])))
                and abs(fit[3] - true[3]) < 1)
    return False  # triclinic: no cell is fitted


def cell_found(F, names, system, cell, any_choice=False):
    """``same_cell`` with the fitted cell read from a row ``F`` of indexing features."""
    family = "hexagonal" if system == "trigonal" else system
    if family not in _CELL_PARAMETERS:
        return False
    col = {n: i for i, n in enumerate(names)}
    return same_cell([F[col[f"{family}_{k}"]] for k in _CELL_PARAMETERS[family]], system,
                     cell, any_choice)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--feature-cache", default=None)
    parser.add_argument("--n-points", type=int, default=851)
    parser.add_argument("--space-group-weights", default=None, choices=["materials_project"])
    parser.add_argument("--name", default="bench_xrd_errors")
    args = parser.parse_args()
    X, _, info = make_xrd_patterns(args.n, target="space_group", n_points=args.n_points,
                                   space_group_weights=args.space_group_weights,
                                   return_info=True, random_state=0)
    index = XRDIndexingFeatures((info.two_theta[0], info.two_theta[-1]),
                                reflection_conditions=True).fit(X)
    names = list(index.get_feature_names_out())
    t0 = time.perf_counter()
    path = args.feature_cache
    if path and os.path.exists(path) and np.load(path)["F"].shape == (len(X), len(names)):
        F = np.load(path)["F"]
    else:
        F = index.transform(X)
        if path:
            np.savez(path, F=F)
    t_feat = time.perf_counter() - t0
    y = np.array([CRYSTAL_SYSTEMS.index(s) for s in info.crystal_system])
    n = int(0.75 * len(y))
    found = np.array([cell_found(F[i], names, info.crystal_system[i], info.cell[i])
                      for i in range(len(y))])
    rows = []
    models = {
        "indexing features, gradient boosting": (
            HistGradientBoostingClassifier(max_iter=300, random_state=0), 124),
        "indexing + reflection conditions + contrasts, gradient boosting (tuned)": (
            make_pipeline(FunctionTransformer(indexing_contrasts), tuned_boosting()),
            F.shape[1]),
    }
    for name, (model, width) in models.items():
        model.fit(F[:n, :width], y[:n])
        pred = model.predict(F[n:, :width])
        err = pred != y[n:]
        cm = confusion_matrix(y[n:], pred, labels=range(len(CRYSTAL_SYSTEMS)))
        pairs = Counter((CRYSTAL_SYSTEMS[a], CRYSTAL_SYSTEMS[b], bool(f))
                        for a, b, f in zip(y[n:][err], pred[err], found[n:][err]))
        rows.append({
            "what": name, "train / test patterns": f"{n} / {len(y) - n}",
            "test accuracy": float(np.mean(~err)),
            "errors": int(err.sum()),
            "errors with the true cell found": int(np.sum(found[n:][err])),
            "trigonal <-> hexagonal errors (true cell found)": int(sum(
                v for (a, b, f), v in pairs.items()
                if {a, b} == {"trigonal", "hexagonal"} and f)),
            "largest errors (true, predicted, cell found: count)": "; ".join(
                f"{a[:5]} -> {b[:5]}, {'found' if f else 'not found'}: {v}"
                for (a, b, f), v in pairs.most_common(8)),
            "confusion (rows true, columns predicted; " + ", ".join(
                s[:5] for s in CRYSTAL_SYSTEMS) + ")": cm.tolist(),
        })
        print(rows[-1], flush=True)
    rows.append({"what": "true cell found, share of each system's patterns (all)",
                 "note": ", ".join(f"{s} {np.mean(found[info.crystal_system == s]):.3f}"
                                   for s in CRYSTAL_SYSTEMS[1:])})
    mono = info.crystal_system == "monoclinic"
    rows.append({"what": "monoclinic lattice found (any cell choice: both cells reduced)",
                 "note": f"{np.mean([cell_found(F[i], names, 'monoclinic', info.cell[i], True) for i in np.flatnonzero(mono)]):.3f} of {mono.sum()}"})
    report(args.name, rows, list(dict.fromkeys(k for r in rows for k in r)),
           {"protocol": __doc__, "n": args.n, "featurise_s": t_feat, "n_points": args.n_points,
            "space_group_weights": args.space_group_weights})


if __name__ == "__main__":
    main()

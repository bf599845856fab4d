"""Phase transitions of the 2-D Ising model: supervised crossing and learning by confusion.

For L = 16, 24, 32 (``--sizes``): Monte Carlo data from ``skphys.datasets.make_ising`` at 23
temperatures in [1.2, 3.4] (22 proposed boundaries), then

* the supervised crossing (Carrasquilla & Melko): a small CNN whose 4 filters are averaged over
  the whole lattice (translation invariance built in) trained on 60% of the samples labelled by
  Onsager's T_c, ``phase_crossing`` on the other 40%;
* the confusion peak by the per-boundary scan (22 boundaries x 3 folds = 66 fits), timed
  sequentially, with ``n_jobs=2`` (loky) and on a dask ``LocalCluster`` (2 workers, one
  thread each, loopback) -- all three at the largest L, ``n_jobs=2`` only at the others unless
  ``--all-backends``;
* the confusion peak by the multi-task strategy (3 fits, one network per fold), with the
  scan's MLP (for the speed-up) and with the CNN (an MLP on raw spins estimates the
  magnetisation noisily, which pushes its peaks and crossings above T_c by a few 0.01);
* the peer: the loop one writes today (scikit-learn's ``MLPClassifier`` with the same
  architecture and epochs, ``cross_val_score`` per boundary), sequential, at the largest L;
* finite-size extrapolation (nu = 1) of the supervised crossings and of the confusion peaks.

Targets (issue 7): |T_c - 2.2692| <= 0.05 at L=32 for both methods; the whole L=32 confusion
scan (>= 21 boundaries, 3 folds) under 180 s with data generation; multi-task >= 10x faster than
the per-boundary scan, with T_c within the same tolerance.

Run: ``.venv/bin/python benchmarks/bench_phases.py`` (about 5-10 minutes on 2 cores).
"""

import argparse
import time
import warnings

import _common  # noqa: F401  (pins threads before torch is imported)
import joblib
import numpy as np
from _common import report
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from skphys.datasets import make_ising
from skphys.neural_network import CNNClassifier, MLPClassifier
from skphys.phases import ConfusionPhaseFinder, finite_size_extrapolation, phase_crossing

TC = 2.0 / np.log1p(np.sqrt(2.0))  # 2.269185
T_GRID = np.linspace(1.2, 3.4, 23)
NET = dict(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.003, batch_size=128,
           alpha=1.0)


def cnn(L, **kw):
    """4 filters 3x3, averaged over the L x L lattice, a dense layer of 8: ~100 weights."""
    return CNNClassifier(filters=(4,), kernel_size=3, pooling="avg", pool_size=L,
                         hidden_layer_sizes=(8,), input_shape=(L, L), max_iter=20,
                         learning_rate_init=0.01, batch_size=64, **kw)


def confusion(X, y, strategy="scan", n_jobs=None, backend=None, seed=0, estimator=None):
    estimator = MLPClassifier(**NET) if estimator is None else estimator
    finder = ConfusionPhaseFinder(estimator, strategy=strategy, cv=3, n_jobs=n_jobs,
                                  refit=False, random_state=seed)
    t0 = time.perf_counter()
    if backend == "dask":
        import distributed

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster):
            t0 = time.perf_counter()  # the cluster's start-up is not the scan's
            with joblib.parallel_backend("dask"):
                finder.fit(X, y)
            seconds = time.perf_counter() - t0
    else:
        finder.fit(X, y)
        seconds = time.perf_counter() - t0
    return finder, seconds


def peer_scan(X, y, boundaries, seed=0):
    """The hand loop: scikit-learn's MLP and cross_val_score at every boundary."""
    skl = SkMLPClassifier(**NET, random_state=seed)
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    codes = np.unique(y, return_inverse=True)[1]
    splits = list(cv.split(X, codes))
    t0 = time.perf_counter()
    scores = np.array([cross_val_score(skl, X, (y > b).astype(int), cv=splits).mean()
                       for b in boundaries])
    seconds = time.perf_counter() - t0
    i = 1 + int(np.argmax(scores[1:-1]))  # the interior maximum, no refinement
    return boundaries[i], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 24, 32])
    parser.add_argument("--n-samples", type=int, default=100, help="per temperature")
    parser.add_argument("--all-backends", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows, sup, conf = [], [], []
    largest = max(args.sizes)
    for L in args.sizes:
        t0 = time.perf_counter()
        X, y = make_ising(T_GRID, args.n_samples, L=L, random_state=L)
        gen = time.perf_counter() - t0
        rows.append(dict(L=L, method="data (make_ising)", seconds=gen, n=len(X)))

        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
        t0 = time.perf_counter()
        clf = cnn(L, random_state=0).fit(Xtr, (ytr > TC).astype(int))
        res = phase_crossing(clf, Xte, yte, random_state=0)
        sec = time.perf_counter() - t0
        sup.append((L, res.critical_point, res.std))
        rows.append(dict(L=L, method="supervised crossing", Tc=res.critical_point,
                         std=res.std, error=res.critical_point - TC, seconds=sec, n=len(X)))

        backends = [("n_jobs=2", 2, None)]
        if L == largest or args.all_backends:
            backends = [("sequential", None, None)] + backends + [("dask 2 workers", None, "dask")]
        scan_seconds = {}
        for name, n_jobs, backend in backends:
            finder, sec = confusion(X, y, "scan", n_jobs, backend)
            scan_seconds[name] = sec
            rows.append(dict(L=L, method=f"confusion scan, {name}", Tc=finder.critical_point_,
                             error=finder.critical_point_ - TC, seconds=sec,
                             fits=len(finder.boundaries_) * finder.n_splits_,
                             with_data=sec + gen))
        conf.append((L, finder.critical_point_))
        boundaries = finder.boundaries_

        mt, sec = confusion(X, y, "multitask")
        ref = scan_seconds.get("sequential", scan_seconds["n_jobs=2"])
        rows.append(dict(L=L, method="confusion multitask (MLP)", Tc=mt.critical_point_,
                         error=mt.critical_point_ - TC, seconds=sec, fits=mt.n_splits_,
                         with_data=sec + gen, speedup=ref / sec))
        mt, sec = confusion(X, y, "multitask", estimator=cnn(L))
        rows.append(dict(L=L, method="confusion multitask (CNN)", Tc=mt.critical_point_,
                         error=mt.critical_point_ - TC, seconds=sec, fits=mt.n_splits_,
                         with_data=sec + gen))
        if L == largest and not args.no_peer:
            tc, sec = peer_scan(X, y, boundaries)
            rows.append(dict(L=L, method="peer: sklearn MLP loop, sequential", Tc=tc,
                             error=tc - TC, seconds=sec, fits=3 * len(boundaries),
                             with_data=sec + gen,
                             speedup=sec / scan_seconds["sequential"]))
        print(f"L={L} done", flush=True)

    if len(sup) >= 2:
        Ls, tcs, stds = map(np.array, zip(*sup))
        fss = finite_size_extrapolation(Ls, tcs, std=stds)
        rows.append(dict(L="inf", method="supervised, FSS (nu=1)", Tc=fss.critical_point,
                         std=fss.std, error=fss.critical_point - TC))
        Lc, tcc = map(np.array, zip(*conf))
        fssc = finite_size_extrapolation(Lc, tcc)
        rows.append(dict(L="inf", method="confusion scan, FSS (nu=1)", Tc=fssc.critical_point,
                         std=fssc.std, error=fssc.critical_point - TC))
    print()
    report("bench_phases", rows,
           ["L", "method", "Tc", "std", "error", "seconds", "with_data", "fits", "speedup", "n"],
           meta=dict(exact_Tc=TC, temperatures=T_GRID.tolist(), n_per_temperature=args.n_samples,
                     network=NET, cv=3,
                     note="speedup: multitask row = scan seconds / multitask seconds; peer row "
                          "= peer seconds / skphys sequential scan seconds"))


if __name__ == "__main__":
    main()

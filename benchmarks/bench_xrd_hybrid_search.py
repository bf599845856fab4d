"""Powder XRD: a search over variants of the table's hybrid network, on a validation split.

Protocol: the table's patterns (``bench_xrd.py`` with the groups as among real crystals:
``make_xrd_patterns(space_group_weights="materials_project", random_state=0)``, 30,000
training + 6,000 test patterns on the 1701-point grid, the networks reading every other
point) and their indexing + reflection-condition features from ``--feature-cache`` (the
table's cache written by ``bench_xrd.py --feature-cache``, or a copy holding its arrays
``F`` and ``E`` in a smaller precision, and the labels ``y``; three rows are recomputed and
checked). Search: each variant of ``bench_xrd.hybrid_cnn`` in ``VARIANTS`` (label
smoothing, epochs, dense head, dropout, filters, batch size, learning rate, weight decay,
spline knots, seed) is trained on the first 24,000 training patterns and scored on the last
6,000 of them (validation: the test patterns are not looked at). Test: the table's recipe
and the ``--top`` variants of best validation space-group accuracy are refitted on all
30,000 and scored on the 6,000 test patterns, as is the best one with ``--seeds`` more
seeds, and the soft votes of these networks. With ``--fusion-betas``, each fit of both
stages is also pooled with ``SpaceGroupRanker`` fitted on the same patterns
(``bench_xrd.PowderClassFusion``, one row an exponent; the ranker alone has its row): the
table's fusion exponent is chosen here, on validation. Scores: space group, right powder class
(``powder_classes``), crystal system (from the predicted group). ``--n-jobs`` processes at
a time, one thread each, on the estimator's ``device="auto"`` (one GPU, when there is one,
shared by them); ``--budget`` seconds for the search and ``--deadline`` seconds in all
(from the start), after which the fits not finished are dropped from the search or the test.
The issue's bar (space group >= 0.57 with <= 30,000 training patterns) is for the 2-core
CPU: a variant picked here has to be confirmed there, in the table.

    python benchmarks/bench_xrd_hybrid_search.py --feature-cache F.npz [--n-jobs 12]
                                                 [--top 3] [--budget 300] [--quick]
                                                 [--fusion-betas 0.25 0.5 0.75]

Recorded run: ``--n-jobs 2 --top 1 --seeds 0 --name bench_xrd_hybrid_search_cpu --variants``
with nine of the variants, on this 2-core CPU (the best, label smoothing 0.1 with a
2048-1024 head and dropout 0.5: validation 0.505 against the recipe's 0.494, test 0.503
against 0.496). ``--n-jobs 2 --top 1 --seeds 1 --variants "ls 0.1" "ls 0.1, class scorer"
--fusion-betas 0.25 0.5 0.75 --name bench_xrd_hybrid_search_class_scorer``: the powder-class
scorer, validation 0.5077 against 0.4975, test 0.5093 (0.5142 fused, beta 0.5). On a GPU the
processes share the one device: time one fit alone before choosing ``--n-jobs``.
"""

import argparse
import concurrent.futures as futures
import multiprocessing
import os
import tempfile
import time

import numpy as np
from _common import report
from bench_xrd import (
    N_INDEX,
    N_REFLECT,
    SpaceGroupRanker,
    _device,
    _every,
    _powder_class_of,
    generate,
    hybrid_cnn,
    pool_powder_classes,
)

from skphys.datasets._xrd_spacegroups import crystal_system_of
from skphys.feature_extraction import XRDIndexingFeatures

N_TRAIN, N_TEST, N_VALIDATION = 30000, 6000, 6000

#: name -> changes to the table's recipe (``hybrid_cnn``: batch 128, 30 epochs, seed 0,
#: head 1024-512, dropout 0.4, filters 16-32-64 of kernel 7, Adam 1e-3 cosine, alpha 1e-4,
#: 6 spline knots, the default cross-entropy); ``ls``: label smoothing
VARIANTS = {
    "table recipe": {},
    "seed 1": {"seed": 1},
    "ls 0.1": {"ls": 0.1},
    "ls 0.1, seed 1": {"ls": 0.1, "seed": 1},
    "ls 0.2": {"ls": 0.2},
    "ls 0.1, 60 epochs": {"ls": 0.1, "epochs": 60},
    "ls 0.1, 100 epochs, dropout 0.5": {"ls": 0.1, "epochs": 100, "module__dropout": 0.5},
    "ls 0.1, head 2048-1024, dropout 0.5": {
        "ls": 0.1, "module__hidden_layer_sizes": (2048, 1024), "module__dropout": 0.5},
    "ls 0.1, head 2048-1024, dropout 0.5, 60 epochs": {
        "ls": 0.1, "module__hidden_layer_sizes": (2048, 1024), "module__dropout": 0.5,
        "epochs": 60},
    "ls 0.1, head 1024-1024-512": {"ls": 0.1, "module__hidden_layer_sizes": (1024, 1024, 512)},
    "ls 0.1, filters 32-64-128": {"ls": 0.1, "module__filters": (32, 64, 128)},
    "ls 0.1, filters 64-128-256, kernel 9": {
        "ls": 0.1, "module__filters": (64, 128, 256), "module__kernel_size": 9},
    "ls 0.1, flattened maps": {"ls": 0.1, "module__global_pooling": False},
    "ls 0.1, dropout 0.3": {"ls": 0.1, "module__dropout": 0.3},
    "ls 0.1, dropout 0.5": {"ls": 0.1, "module__dropout": 0.5},
    "ls 0.1, batch 256, lr 2e-3": {"ls": 0.1, "batch": 256, "learning_rate_init": 2e-3},
    "ls 0.1, batch 64, lr 5e-4": {"ls": 0.1, "batch": 64, "learning_rate_init": 5e-4},
    "ls 0.1, lr 2e-3": {"ls": 0.1, "learning_rate_init": 2e-3},
    "ls 0.1, lr 5e-4": {"ls": 0.1, "learning_rate_init": 5e-4},
    "ls 0.1, alpha 1e-3": {"ls": 0.1, "alpha": 1e-3},
    "ls 0.1, alpha 1e-2": {"ls": 0.1, "alpha": 1e-2},
    "ls 0.1, 10 knots": {"ls": 0.1, "knots": 10},
    "ls 0.1, 4 knots": {"ls": 0.1, "knots": 4},
    "ls 0.1, head 2048-1024, dropout 0.5, filters 32-64-128, 60 epochs": {
        "ls": 0.1, "module__hidden_layer_sizes": (2048, 1024), "module__dropout": 0.5,
        "module__filters": (32, 64, 128), "epochs": 60},
    "ls 0.2, head 2048-1024, dropout 0.5, 60 epochs": {
        "ls": 0.2, "module__hidden_layer_sizes": (2048, 1024), "module__dropout": 0.5,
        "epochs": 60},
    # the powder-class scorer (bench_xrd.ClassScoredHybrid)
    "ls 0.1, class scorer": {"ls": 0.1, "class_scorer": True},
}


def variant_pipeline(batch=128, epochs=30, seed=0, ls=0.0, knots=6, class_scorer=False,
                     **net_params):
    """``bench_xrd.hybrid_cnn`` with the changes of a ``VARIANTS`` entry."""
    model = hybrid_cnn(batch, epochs=epochs, random_state=seed, class_scorer=class_scorer,
                       label_smoothing=ls)
    pipe = model.estimator if class_scorer else model  # PowderClassScored wraps the pipeline
    pipe.set_params(columntransformer__features__splinetransformer__n_knots=knots)
    pipe.steps[-1][1].set_params(**net_params)
    return model


def _network(model):
    """The ``TorchClassifier`` of a fitted variant."""
    return (model.estimator_ if hasattr(model, "estimator_") else model).steps[-1][1]


def fused(P, R, beta):
    """``bench_xrd.PowderClassFusion``'s pooling of stored network probabilities ``P`` and
    ranker probabilities ``R`` (both ``(n, 231)``, columns: groups 0..230, 0 unused)."""
    out = np.zeros_like(P)
    groups = np.arange(1, 231)
    out[:, 1:] = pool_powder_classes(P[:, 1:], groups, R[:, 1:], groups, beta)
    return out


def ranker_probabilities(data, train, scored, columns=None):
    """``SpaceGroupRanker`` fitted on rows ``train`` of the saved data's indexing and
    reflection-condition columns (``columns``; default the last ones); its probabilities on
    rows ``scored``, ``(n, 231)``."""
    A, y = np.load(data + "_A.npy", mmap_mode="r"), np.load(data + "_y.npy")
    columns = slice(-(N_INDEX + N_REFLECT), None) if columns is None else columns
    F = np.asarray(A[:, columns], dtype=float)
    ranker = SpaceGroupRanker().fit(F[train[0]:train[1]], y[train[0]:train[1]])
    R = np.zeros((scored[1] - scored[0], 231))
    R[:, ranker.classes_] = ranker.predict_proba(F[scored[0]:scored[1]])
    return R


def _fit_score(name, variant, data, train, scored, proba_path):
    """Fit a variant on rows ``train`` of the saved data, save the group probabilities of
    rows ``scored`` (columns: groups 1..230) and return the fit's seconds and device."""
    import warnings

    import torch
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the cosine schedule's end
    torch.set_num_threads(1)
    A, y = np.load(data + "_A.npy", mmap_mode="r"), np.load(data + "_y.npy")
    pipe = variant_pipeline(**variant)
    t0 = time.perf_counter()
    pipe.fit(A[train[0]:train[1]], y[train[0]:train[1]])
    fit_s = time.perf_counter() - t0
    P = np.zeros((scored[1] - scored[0], 231), dtype=np.float32)
    P[:, pipe.classes_] = pipe.predict_proba(A[scored[0]:scored[1]])
    np.save(proba_path, P)
    return name, fit_s, str(_network(pipe).device_)


def scores(P, y):
    """Space group, right powder class and crystal system of the most probable groups."""
    pred = P.argmax(axis=1)
    pc = _powder_class_of()
    system = np.array([""] + [crystal_system_of(g) for g in range(1, 231)])
    return {"space group": float(np.mean(pred == y)),
            "right powder class": float(np.mean(pc[pred] == pc[y])),
            "crystal system": float(np.mean(system[pred] == system[y]))}


def _run(jobs, n_jobs, budget=None):
    """Run ``jobs`` (name -> arguments of ``_fit_score``) ``n_jobs`` at a time; return the
    finished ones (name -> (seconds, device)); after ``budget`` seconds the others are
    dropped (those running are not waited for)."""
    done = {}
    pool = futures.ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn"))
    pending = [pool.submit(_fit_score, name, *args) for name, args in jobs.items()]
    try:
        for f in futures.as_completed(pending, timeout=budget):
            name, fit_s, device = f.result()
            done[name] = fit_s, device
            print(f"  fitted {name!r}: {fit_s:.0f} s on {device}", flush=True)
    except futures.TimeoutError:
        print(f"  budget spent: {len(jobs) - len(done)} variants left out", flush=True)
    pool.shutdown(wait=False, cancel_futures=True)
    return done


def fused_rows(betas, stage, done, proba, data, train, scored, y):
    """Rows of the fits ``done`` of a stage pooled with ``SpaceGroupRanker`` (fitted on the
    same rows ``train``) for each exponent in ``betas``; none without ``betas``."""
    if not betas or not done:
        return []
    t0 = time.perf_counter()
    R = ranker_probabilities(data, train, scored)
    ranker_s = time.perf_counter() - t0
    rows = [{"stage": stage, "variant": "SpaceGroupRanker alone", "train patterns": train[1],
             "scored on": "validation" if stage == "search" else "test",
             **scores(R, y[scored[0]:scored[1]]), "fit s": ranker_s}]
    for k in done:
        for beta in betas:
            rows.append({**rows[0], "variant": f"{k}; fused with the class ranker (beta {beta})",
                         **scores(fused(np.load(proba(stage, k)), R, beta),
                                  y[scored[0]:scored[1]]), "fit s": None})
    for row in rows:
        print(row, flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feature-cache", required=True)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=4,
                        help="more seeds of the best variant in the test")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds for the search")
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds from the start after which the test fits still running "
                             "are dropped and the table is written")
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 2 epochs, the patterns cut to a tenth")
    parser.add_argument("--fusion-betas", type=float, nargs="*", default=[],
                        help="also score each fit pooled with SpaceGroupRanker "
                             "(bench_xrd.PowderClassFusion) with these exponents")
    parser.add_argument("--name", default="bench_xrd_hybrid_search")
    args = parser.parse_args()
    t_start = time.perf_counter()
    Xf, info = generate(N_TRAIN + N_TEST, 1701, 1, "materials_project")
    tt, y = info.two_theta, info.space_group
    cache = np.load(args.feature_cache)
    F, E = cache["F"].astype(float), cache["E"].astype(float)
    if "y" in cache.files and not np.array_equal(cache["y"], y):
        raise RuntimeError(f"{args.feature_cache} holds the labels of other patterns")
    rows = np.linspace(0, len(Xf) - 1, 3).astype(int)
    index = XRDIndexingFeatures((tt[0], tt[-1])).fit(Xf[:1])
    # on another machine (numpy, BLAS) the patterns differ in the last digits, and an
    # indexing feature can follow a peak found or not: most features must agree
    agree = np.mean(np.isclose(index.transform(Xf[rows]), F[rows], rtol=1e-3, atol=1e-6))
    print(f"features of 3 patterns recomputed: {agree:.3f} of them agree", flush=True)
    if agree < 0.8:
        raise RuntimeError(f"{args.feature_cache} holds the features of other patterns")
    A = np.hstack([_every(Xf, 2), F, E])
    del Xf
    generate_s = time.perf_counter() - t_start
    print(f"patterns and features: {A.shape}, {generate_s:.0f} s", flush=True)
    n_train, n_val, n_all = N_TRAIN - N_VALIDATION, N_TRAIN, N_TRAIN + N_TEST
    variants = {k: VARIANTS[k] for k in (args.variants or VARIANTS)}
    if args.quick:  # every 10th pattern, two epochs
        A, y = A[::10], y[::10]
        n_train, n_val, n_all = n_train // 10, n_val // 10, n_all // 10
        variants = {k: {**v, "epochs": 2} for k, v in variants.items()}
    tmpdir = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)  # removed at the end
    tmp = tmpdir.name
    data = os.path.join(tmp, "table")
    np.save(data + "_A.npy", A)
    np.save(data + "_y.npy", y)
    del A

    paths = {}

    def proba(stage, name):  # where a fit's probabilities go
        return paths.setdefault((stage, name), os.path.join(tmp, f"{stage}_{len(paths)}.npy"))

    # the search: first 24,000 training patterns, scored on the last 6,000 of the training set
    # (the longest fits first, so that the budget cuts short ones)
    order = sorted(variants, key=lambda k: -variants[k].get("epochs", 30))
    t0 = time.perf_counter()
    done = _run({k: (variants[k], data, (0, n_train), (n_train, n_val), proba("search", k))
                 for k in order}, args.n_jobs, args.budget)
    search_s = time.perf_counter() - t0
    out = []
    for k in variants:
        if k in done:
            row = {"stage": "search", "variant": k, "train patterns": n_train,
                   "scored on": "validation",
                   **scores(np.load(proba("search", k)), y[n_train:n_val]),
                   "fit s": done[k][0], "device": done[k][1]}
            out.append(row)
            print(row, flush=True)
    ranked = sorted((r for r in out if r["variant"] != "table recipe"),
                    key=lambda r: -r["space group"])
    out += fused_rows(args.fusion_betas, "search", done, proba, data, (0, n_train),
                      (n_train, n_val), y)
    top = [r["variant"] for r in ranked[:args.top]]
    # the test: the table's recipe and the best variants on all 30,000, the best with more seeds
    best = variants[top[0]] if top else {}
    tests = {k: variants[k] for k in ["table recipe", *top] if k in variants}
    for seed in range(1, args.seeds + 1):
        tests[f"{top[0] if top else 'table recipe'}, seed {seed} (test)"] = {**best, "seed": seed}
    t0 = time.perf_counter()
    left = None if args.deadline is None else max(1.0, args.deadline - (time.perf_counter()
                                                                          - t_start))
    done = _run({k: (v, data, (0, n_val), (n_val, n_all), proba("test", k))
                 for k, v in tests.items()}, args.n_jobs, left)
    test_s = time.perf_counter() - t0
    yt = y[n_val:n_all]
    P = {k: np.load(proba("test", k)) for k in tests if k in done}
    for k in P:
        row = {"stage": "test", "variant": k, "train patterns": n_val, "scored on": "test",
               **scores(P[k], yt), "fit s": done[k][0], "device": done[k][1]}
        out.append(row)
        print(row, flush=True)
    votes = {f"soft vote of the table recipe and the {len(top)} best": ["table recipe", *top],
             f"soft vote of the {len(top)} best": top,
             f"soft vote of the best, {1 + args.seeds} seeds": [
                 k for k in P if k == (top[0] if top else None) or k.endswith("(test)")]}
    for label, members in votes.items():
        members = [k for k in members if k in P]
        if len(members) > 1:
            row = {"stage": "test", "variant": label, "train patterns": n_val,
                   "scored on": "test", **scores(sum(P[k] for k in members), yt)}
            out.append(row)
            print(row, flush=True)
    out += fused_rows(args.fusion_betas, "test", P, proba, data, (0, n_val), (n_val, n_all), y)
    if not out:
        raise SystemExit("no fit finished: nothing to report")
    report(args.name, out, ["stage", "variant", "train patterns", "scored on", "space group",
                            "right powder class", "crystal system", "fit s", "device"],
           {"protocol": __doc__, "variants": {k: {a: list(b) if isinstance(b, tuple) else b
                                                   for a, b in v.items()}
                                               for k, v in variants.items()},
            "quick": args.quick, "seeds": args.seeds, "n_jobs": args.n_jobs,
            "budget": args.budget,
            "deadline": args.deadline, "generate s": generate_s, "search s": search_s,
            "test s": test_s,
            "threads per process": 1, "device": _device()})
    tmpdir.cleanup()


if __name__ == "__main__":
    main()
    os._exit(0)  # fits dropped at the deadline are not waited for

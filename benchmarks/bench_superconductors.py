"""Superconductor T_c from composition: skphys beside scikit-learn, and the family hold-out.

Protocol. Data: Stanev et al.'s SuperCon extract (``fetch_superconductivity(source=
"stanev")``, 16,414 formulas, T_c = 0 where none was reported) when it is in the data home,
else the 68 superconductors shipped with skphys (a warning line says so; numbers on 68
materials are rough). Features: ``CompositionFeaturizer("magpie")`` (108 Magpie statistics
from mendeleev's elemental data); the peer featurizer is matminer's ElementProperty "magpie"
preset when it is installed (matminer 0.10 needs pandas < 3 and pymatgen; without it a
"peer ran: no" row). Models, all behind a StandardScaler except the forest:
skphys ``MLPClassifier``/``MLPRegressor`` (128, 64), alpha 1e-3, Adam 1e-3, early stopping,
at most 200 epochs; scikit-learn's MLP with the same parameters; a random forest (100 trees;
regression: max_features 0.3), as Stanev et al. One stratified 80/20 split (random_state 0)
on the full data, 5-fold cross validation on the sample. Tasks: T_c above 10 K (accuracy;
Stanev et al.: ~0.92); log10 T_c of the compounds above 10 K (R^2); the same regression with
one family (cuprates, iron-based) left out of training and predicted (MAE of log10 T_c on
that family, against the MAE of the random split on the same compounds). One thread.

    python benchmarks/bench_superconductors.py [--data-home PATH]
"""

import argparse
import time
import warnings

import numpy as np
from _common import report
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import fetch_superconductivity, load_superconductors
from skphys.feature_extraction import CompositionFeaturizer
from skphys.neural_network import MLPClassifier, MLPRegressor

MLP = dict(hidden_layer_sizes=(128, 64), alpha=1e-3, learning_rate_init=1e-3, max_iter=200,
           early_stopping=True, random_state=0)


def models(task, full):
    mlp = dict(MLP, early_stopping=full) if full else dict(MLP, alpha=1.0, max_iter=300,
                                                           early_stopping=False)
    if task == "classification":
        return {"skphys MLP": make_pipeline(StandardScaler(), MLPClassifier(**mlp)),
                "sklearn MLP": make_pipeline(StandardScaler(), SkMLPClassifier(**mlp)),
                "random forest": RandomForestClassifier(100, random_state=0, n_jobs=1)}
    return {"skphys MLP": make_pipeline(StandardScaler(), MLPRegressor(**mlp)),
            "sklearn MLP": make_pipeline(StandardScaler(), SkMLPRegressor(**mlp)),
            "random forest": RandomForestRegressor(100, max_features=0.3, random_state=0,
                                                   n_jobs=1)}


def splits(y, full, stratify):
    idx = np.arange(len(y))
    if full:
        return [train_test_split(idx, test_size=0.2, random_state=0,
                                 stratify=y if stratify else None)]
    cv = (StratifiedKFold if stratify else KFold)(5, shuffle=True, random_state=0)
    return list(cv.split(idx, y))


def out_of_sample(model, X, y, folds):
    """Predictions on the test rows of every fold (rows, predictions, fit seconds)."""
    rows, pred, seconds = [], [], 0.0
    for train, test in folds:
        t0 = time.perf_counter()
        model.fit(X[train], y[train])
        seconds += time.perf_counter() - t0
        rows.append(test)
        pred.append(model.predict(X[test]))
    return np.concatenate(rows), np.concatenate(pred), seconds


def matminer_peer(formulas, ours):
    try:
        from matminer.featurizers.composition import ElementProperty
        from pymatgen.core import Composition
    except ImportError as exc:
        print(f"WARNING: peer matminer not run ({exc}); matminer 0.10 needs pandas < 3 and "
              "pymatgen")
        return {"task": "featurize (magpie)", "model": "matminer ElementProperty",
                "peer ran": "no"}
    ep = ElementProperty.from_preset("magpie")
    t0 = time.perf_counter()
    theirs = np.array([ep.featurize(Composition(f)) for f in formulas], dtype=float)
    seconds = time.perf_counter() - t0
    return {"task": "featurize (magpie)", "model": "matminer ElementProperty",
            "peer ran": "yes", "seconds": seconds,
            "value": float(np.nanmean(np.isclose(theirs[:, :ours.shape[1]], ours))),
            "metric": "share of equal values (first columns)"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    try:
        data = fetch_superconductivity(source="stanev", data_home=args.data_home,
                                       download_if_missing=False)
        dataset = "Stanev et al. SuperCon extract"
    except FileNotFoundError:
        print("WARNING: Stanev's data not in the data home; using the 68 shipped "
              "superconductors (fetch_superconductivity(source='stanev') downloads it)")
        data = load_superconductors()
        dataset = "skphys sample (68)"
    formulas, tc, family = data.data, data.target, data.family
    full = len(tc) > 1000
    rows = []

    t0 = time.perf_counter()
    X = CompositionFeaturizer("magpie").fit_transform(formulas)
    rows.append({"task": "featurize (magpie)", "model": "skphys CompositionFeaturizer",
                 "peer ran": "-", "seconds": time.perf_counter() - t0,
                 "metric": f"{X.shape[0]} formulas x {X.shape[1]} features"})
    rows.append(matminer_peer(formulas[:2000], X[:2000]))

    above = tc > 10
    folds = splits(above, full, stratify=True)
    for name, model in models("classification", full).items():
        r, p, s = out_of_sample(model, X, above, folds)
        rows.append({"task": "T_c > 10 K", "model": name, "peer ran": "yes",
                     "metric": "accuracy", "value": accuracy_score(above[r], p),
                     "seconds": s, "reference": "Stanev 2018: ~0.92"})

    keep = above if full else tc > 0
    Xr, yr, fr = X[keep], np.log10(tc[keep]), family[keep]
    folds = splits(yr, full, stratify=False)
    random_pred = {}
    for name, model in models("regression", full).items():
        r, p, s = out_of_sample(model, Xr, yr, folds)
        random_pred[name] = dict(zip(r, p))
        rows.append({"task": "log10 T_c", "model": name, "peer ran": "yes", "metric": "R^2",
                     "value": r2_score(yr[r], p), "seconds": s})

    for held in ("cuprate", "iron-based"):
        test = np.flatnonzero(fr == held)
        train = np.flatnonzero(fr != held)
        for name, model in models("regression", full).items():
            if name == "sklearn MLP":
                continue
            _, p, s = out_of_sample(model, Xr, yr, [(train, test)])
            seen = [k for k in test if k in random_pred[name]]
            base = mean_absolute_error(yr[seen], [random_pred[name][k] for k in seen])
            rows.append({"task": f"log10 T_c, {held} held out", "model": name,
                         "peer ran": "yes", "metric": "MAE held out / MAE random split",
                         "value": mean_absolute_error(yr[test], p), "baseline": base,
                         "seconds": s, "reference": "the lecture: cannot extrapolate"})

    report("superconductors", rows,
           ["task", "model", "peer ran", "metric", "value", "baseline", "seconds",
            "reference"],
           {"dataset": dataset, "n": int(len(tc)), "split": "80/20" if full else "5-fold"})


if __name__ == "__main__":
    main()

"""Dimensionality reduction on digits: PCA, BernoulliRBM, and skphys's AE and VAE.

Protocol (printed with the table):

* data: load_digits scaled to [0, 1], split 75/25 (random_state=0); every method is fitted on
  the same training part and scored on the same held-out part, for latent sizes k = 2, 10, 32;
* methods: scikit-learn's PCA (deterministic: one fit) and BernoulliRBM (learning rate 0.05,
  30 iterations; reconstructs by its mean field ``sigmoid(W p(h|v) + b)``), run in this same
  process; skphys's AutoencoderTransformer 64-128-k-128-64, plain and variational (Adam
  3e-3, batch 64, 150 epochs);
* scores: squared reconstruction error per test image (summed over the 64 pixels), and the
  test accuracy of a logistic regression trained on the k standardised features (how useful
  the codes are downstream);
* the stochastic methods (RBM, AE, VAE) are fitted with ``--seeds`` seeds (random_state 0, 1,
  ...): mean and range over the seeds;
* timing: one warm-up fit of each method first (torch's lazy initialisation, imports; not
  timed), then the fits interleaved (PCA, RBM, AE, VAE, PCA, RBM, ...); the fit time is the
  median over the seeds (PCA: over as many repeats), with its range; wall time, one thread;
* published (ANCHORS.md, another split of load_digits): test squared error PCA 3.38 / 1.26 /
  0.168 and AE 64-128-k 2.36 / 0.61 / 0.170 at k = 2 / 10 / 32.

    python benchmarks/bench_autoencoder.py [--seeds 3]
"""

import argparse
import statistics
import time
import warnings

import _common  # noqa: F401  (pins threads before numpy and torch are imported)
import numpy as np
from _common import report
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.preprocessing import StandardScaler

from skphys.decomposition import AutoencoderTransformer

PROTOCOL = __doc__.split("Protocol (printed with the table):")[1].split("    python ")[0].strip()
KS = (2, 10, 32)
AE_PARAMS = {"hidden_layer_sizes": (128,), "batch_size": 64, "learning_rate_init": 3e-3,
             "max_iter": 150}


def data():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0)


def rbm_reconstruct(rbm, X):
    return expit(rbm.transform(X) @ rbm.components_ + rbm.intercept_visible_)


def _round_trip(m, X):
    return m.inverse_transform(m.transform(X))


#: name -> (factory(k, seed), reconstruct(model, X), stochastic)
METHODS = {
    "PCA": (lambda k, seed: PCA(k), _round_trip, False),
    "BernoulliRBM": (lambda k, seed: BernoulliRBM(k, learning_rate=0.05, n_iter=30,
                                                  random_state=seed), rbm_reconstruct, True),
    "skphys AE": (lambda k, seed: AutoencoderTransformer(k, random_state=seed, **AE_PARAMS),
                  _round_trip, True),
    "skphys VAE": (lambda k, seed: AutoencoderTransformer(k, variational=True,
                                                          random_state=seed, **AE_PARAMS),
                   _round_trip, True),
}


def evaluate(model, reconstruct, Xtr, Xte, ytr, yte):
    err = float(np.square(reconstruct(model, Xte) - Xte).sum(1).mean())
    Ztr, Zte = model.transform(Xtr), model.transform(Xte)
    scaler = StandardScaler().fit(Ztr)
    clf = LogisticRegression(max_iter=2000).fit(scaler.transform(Ztr), ytr)
    return err, float(clf.score(scaler.transform(Zte), yte))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("Protocol:\n" + PROTOCOL + "\n", flush=True)
    Xtr, Xte, ytr, yte = data()
    for make, *_ in METHODS.values():  # warm-up: lazy imports and initialisation
        model = make(2, 0)
        if isinstance(model, AutoencoderTransformer):
            model.set_params(max_iter=1)
        model.fit(Xtr[:200])
    rows = []
    for k in KS:
        fits = {name: [] for name in METHODS}
        scores = {name: [] for name in METHODS}
        for seed in range(args.seeds):  # interleaved: PCA, RBM, AE, VAE, PCA, ...
            for name, (make, reconstruct, stochastic) in METHODS.items():
                t0 = time.perf_counter()
                model = make(k, seed).fit(Xtr)
                fits[name].append(time.perf_counter() - t0)
                if stochastic or seed == 0:
                    scores[name].append(evaluate(model, reconstruct, Xtr, Xte, ytr, yte))
        pca_time = statistics.median(fits["PCA"])
        pca_err = scores["PCA"][0][0]
        for name, (_, _, stochastic) in METHODS.items():
            err = [s[0] for s in scores[name]]
            acc = [s[1] for s in scores[name]]
            fit = statistics.median(fits[name])
            rows.append({
                "k": k, "method": name, "seeds": len(err) if stochastic else "deterministic",
                "fit_s": fit, "fit_min_s": min(fits[name]), "fit_max_s": max(fits[name]),
                "time_vs_pca": fit / pca_time,
                "test_sq_error": float(np.mean(err)), "error_min": min(err),
                "error_max": max(err), "error_vs_pca": float(np.mean(err)) / pca_err,
                "logreg_accuracy": float(np.mean(acc)), "accuracy_min": min(acc),
                "accuracy_max": max(acc), "peer ran": "yes",
            })
        print(f"  done: k={k}", flush=True)
    print()
    report("bench_autoencoder", rows,
           ["k", "method", "seeds", "fit_s", "fit_min_s", "fit_max_s", "time_vs_pca",
            "test_sq_error", "error_min", "error_max", "error_vs_pca", "logreg_accuracy",
            "accuracy_min", "accuracy_max", "peer ran"],
           {"protocol": PROTOCOL, "seeds": args.seeds, "data": "load_digits / 16, 75/25 split",
            "ae": {**AE_PARAMS, "hidden_layer_sizes": [128]}})


if __name__ == "__main__":
    _t0 = time.perf_counter()
    main()
    print(f"total run time: {time.perf_counter() - _t0:.0f} s")

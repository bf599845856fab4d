"""Dimensionality reduction on digits: PCA, BernoulliRBM, and skphys's AE and VAE.

Digits scaled to [0, 1], split 75/25 (random_state=0). For each latent size k in {2, 10, 32}
each method is fitted on the training part (timed, median of ``--repeats``) and scored on the
held-out part: squared reconstruction error per image (summed over the 64 pixels; the RBM
reconstructs by its mean field, ``sigmoid(W p(h|v) + b)``), and the accuracy of a logistic
regression trained on the k features (how useful the codes are downstream).

    python benchmarks/bench_autoencoder.py [--repeats 1]

ANCHORS.md: PCA 3.38 / 1.26 / 0.168 and AE 64-128-k 2.36 / 0.61 / 0.170 at k = 2 / 10 / 32.
"""

import argparse
import warnings

from _common import report, timed

import numpy as np
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.preprocessing import StandardScaler

from skphys.decomposition import AutoencoderTransformer

KS = (2, 10, 32)
AE_PARAMS = dict(hidden_layer_sizes=(128,), batch_size=64, learning_rate_init=3e-3,
                 max_iter=150, random_state=0)


def data():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0)


def rbm_reconstruct(rbm, X):
    return expit(rbm.transform(X) @ rbm.components_ + rbm.intercept_visible_)


METHODS = {
    "PCA": (lambda k: PCA(k, random_state=0), lambda m, X: m.inverse_transform(m.transform(X))),
    "BernoulliRBM": (lambda k: BernoulliRBM(k, learning_rate=0.05, n_iter=30, random_state=0),
                     rbm_reconstruct),
    "skphys AE": (lambda k: AutoencoderTransformer(k, **AE_PARAMS),
                  lambda m, X: m.inverse_transform(m.transform(X))),
    "skphys VAE": (lambda k: AutoencoderTransformer(k, variational=True, **AE_PARAMS),
                   lambda m, X: m.inverse_transform(m.transform(X))),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    Xtr, Xte, ytr, yte = data()
    rows = []
    for k in KS:
        pca_time = pca_err = None
        for name, (make, reconstruct) in METHODS.items():
            seconds, _, model = timed(lambda: make(k).fit(Xtr), args.repeats)
            err = float(np.square(reconstruct(model, Xte) - Xte).sum(1).mean())
            scaler = StandardScaler().fit(model.transform(Xtr))
            clf = LogisticRegression(max_iter=2000).fit(scaler.transform(model.transform(Xtr)), ytr)
            acc = clf.score(scaler.transform(model.transform(Xte)), yte)
            if name == "PCA":
                pca_time, pca_err = seconds, err
            rows.append({"k": k, "method": name, "fit_s": seconds, "test_sq_error": err,
                         "error_vs_pca": err / pca_err, "time_vs_pca": seconds / pca_time,
                         "logreg_accuracy": acc})
    report("bench_autoencoder", rows,
           ["k", "method", "fit_s", "time_vs_pca", "test_sq_error", "error_vs_pca",
            "logreg_accuracy"],
           {"data": "load_digits / 16, 75/25 split", "ae": {**AE_PARAMS, "hidden_layer_sizes": [128]},
            "repeats": args.repeats})


if __name__ == "__main__":
    main()

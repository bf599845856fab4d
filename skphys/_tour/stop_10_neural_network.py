"""Tour stop: the neural-network estimators against scikit-learn and a linear baseline."""

import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP

from skphys.datasets import load_mnist
from skphys.neural_network import CNNClassifier, MLPClassifier, RNNRegressor

from ._plot import pyplot

TITLE = "Neural networks (MLP, CNN, RNN)"


def _mnist():
    here = Path(__file__).resolve()
    for home in [None, Path.cwd().parent / "shared" / "data", here.parents[3] / "shared" / "data"]:
        try:
            X, y = load_mnist(subset="test", data_home=home, normalize=True, return_X_y=True)
        except (FileNotFoundError, OSError):
            continue
        return X.reshape(-1, 28, 28), y
    return None


def run(out_dir, quick):
    rows = []
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)
    for name, cls in [("sklearn", SklearnMLP), ("skphys", MLPClassifier)]:
        t0 = time.perf_counter()
        clf = cls((128,), max_iter=60, random_state=0).fit(Xtr, ytr)
        rows.append({"result": f"digits MLP 64-128-10 ({name}) test accuracy",
                     "value": f"{clf.score(Xte, yte):.3f} in {time.perf_counter() - t0:.1f} s",
                     "reference": "issue bar >= 0.95"})

    curves = {}
    for loss in ["log_loss", "squared_error"]:
        clf = MLPClassifier((64,), loss=loss, solver="sgd", learning_rate_init=0.05, momentum=0.0,
                            random_state=0)
        clf.partial_fit(Xtr, ytr, classes=np.arange(10))
        import torch

        with torch.no_grad():
            clf.net_.module_.linears[-1].weight.mul_(20.0)
        curves[loss] = [clf.score(Xte, yte)]
        for _ in range(10 if quick else 30):
            curves[loss].append(clf.partial_fit(Xtr, ytr).score(Xte, yte))
    rows.append({"result": "saturated start, accuracy after 10 epochs: cross-entropy / quadratic",
                 "value": f"{curves['log_loss'][10]:.3f} / {curves['squared_error'][10]:.3f}",
                 "reference": "quadratic cost learns slowly when wrong"})
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for loss, acc in curves.items():
            ax.plot(acc, label=loss)
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy")
        ax.legend()
        fig.savefig(out_dir / "quadratic_vs_cross_entropy.png", dpi=100, bbox_inches="tight")
        plt.close(fig)

    mnist = _mnist()
    if mnist is not None:
        Xm, ym = mnist
        n = 3000 if quick else 8000
        t0 = time.perf_counter()
        cnn = CNNClassifier((16, 32), hidden_layer_sizes=(64,), batch_size=64,
                            learning_rate_init=2e-3, max_iter=2 if quick else 5, random_state=0)
        cnn.fit(Xm[:n], ym[:n])
        rows.append({"result": f"MNIST-10k CNN ({n} train / 2000 test) accuracy",
                     "value": f"{cnn.score(Xm[8000:], ym[8000:]):.4f} in "
                              f"{time.perf_counter() - t0:.1f} s",
                     "reference": "ANCHORS: small CNN >= 0.975 in <= 5 CPU epochs"})
    else:
        rows.append({"result": "MNIST-10k CNN", "value": "skipped (../shared/data/mnist absent)",
                     "reference": ""})

    rng = np.random.RandomState(0)
    n, T, h = 2000, 30, 8
    w, g = rng.uniform(1, 4, n), rng.uniform(0.05, 0.5, n)
    A, phi = rng.uniform(0.5, 1.5, n), rng.uniform(0, 2 * np.pi, n)
    t = np.arange(T + h) * 0.1
    x = A[:, None] * np.exp(-g[:, None] * t) * np.cos(w[:, None] * t + phi[:, None])
    Xs, ys = x[:, :T] + 0.05 * rng.randn(n, T), x[:, T + h - 1]
    cut = int(0.75 * n)
    ridge = RidgeCV(alphas=np.logspace(-4, 2, 13)).fit(Xs[:cut], ys[:cut])
    rnn = RNNRegressor(24, "gru", max_iter=30, learning_rate_init=0.01,
                       random_state=0).fit(Xs[:cut], ys[:cut])
    mse = [np.mean((m.predict(Xs[cut:]) - ys[cut:]) ** 2) for m in (ridge, rnn)]
    rows.append({"result": "damped oscillators, 8-step forecast MSE: lagged Ridge / GRU",
                 "value": f"{mse[0]:.4f} / {mse[1]:.4f}", "reference": "RNN must beat Ridge"})
    return rows

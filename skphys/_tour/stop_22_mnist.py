"""Tour stop: the MNIST benchmark table on the 10k MNIST test set, cross-validated."""

import warnings
from pathlib import Path

import numpy as np

from . import say
from ._plot import Heartbeat, chance

TITLE = "MNIST benchmark (fetch_mnist)"


def _mnist():
    """The MNIST test set from the data home, or from ../shared/data beside a checkout."""
    from ..datasets import fetch_mnist, load_mnist

    try:
        return load_mnist(subset="test", normalize=True, return_X_y=True)
    except FileNotFoundError:
        pass
    import skphys

    for home in (Path.cwd().parent / "shared" / "data",
                 Path(skphys.__file__).resolve().parents[2] / "shared" / "data"):
        if (home / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
            return load_mnist(subset="test", data_home=home, normalize=True,
                              return_X_y=True)
    # download, or say which files are missing
    return fetch_mnist(subset="test", normalize=True, return_X_y=True)


def run(out_dir, quick):
    from sklearn.decomposition import PCA
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    from ..neural_network import CNNClassifier, MLPClassifier

    try:
        X, y = _mnist()
    except FileNotFoundError as err:
        return [{"result": "skipped", "value": "MNIST files not found",
                 "reference": str(err).splitlines()[0], "ok": None}]
    if quick:
        X, y = X[:2000], y[:2000]
    models = {
        "PCA(50) + SVC": make_pipeline(PCA(50, random_state=0), SVC()),
        "sklearn MLPClassifier (128)": SklearnMLP((128,), max_iter=20, random_state=0),
        "skphys MLPClassifier (128)": MLPClassifier((128,), max_iter=20, random_state=0,
                                                    device="cpu",
                                                    callbacks=[Heartbeat("skphys MLP, CV")]),
        "skphys CNNClassifier (8, 16)": CNNClassifier(
            (8, 16), input_shape=(28, 28), hidden_layer_sizes=(64,), max_iter=5,
            batch_size=32, learning_rate_init=2e-3, random_state=0, device="cpu",
            callbacks=[Heartbeat("CNN, CV")]),
    }
    # ANCHORS' protocol: 8k training / 2k test digits of MNIST-10k, the CNN in <= 5 epochs; the
    # folds here are that split five times over. A quick run (2000 digits) is not checked.
    bar = {"PCA(50) + SVC": None, "sklearn MLPClassifier (128)": 0.95,
           "skphys MLPClassifier (128)": 0.95, "skphys CNNClassifier (8, 16)": 0.975}
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, model in models.items():
            say(f"{name}: 5-fold CV on {len(X)} digits")
            s = cross_validate(model, X, y, cv=cv)
            acc = np.mean(s["test_score"])
            if bar[name] is None:
                reference, ok = "baseline, no bar", None
            else:
                reference = f"ANCHORS (8k/2k split) >= {bar[name]}" + (
                    " in <= 5 epochs" if "CNN" in name else "")
                ok = None if quick else bool(acc >= bar[name])
                reference += "; quick: not checked" if quick else ""
            rows.append({"result": f"{name}, 5-fold CV accuracy on {len(X)}",
                         "value": f"{acc:.4f} ({np.mean(s['fit_time']):.1f} s/fit)",
                         "reference": reference, "ok": ok, "chance": chance(y)})
    return rows

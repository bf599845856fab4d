"""Tour stop: crystal systems from generated powder XRD patterns, dense vs convolutional."""

import warnings

import numpy as np

from ._plot import pyplot

TITLE = "Crystal systems from powder XRD (make_xrd_patterns)"


def run(out_dir, quick):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    from ..datasets import CRYSTAL_SYSTEMS, make_xrd_patterns
    from ..neural_network import CNNClassifier, MLPClassifier

    n = 1400 if quick else 6000
    X, y = make_xrd_patterns(n, n_points=850, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    models = {
        "dense": MLPClassifier((256, 128), max_iter=60, batch_size=64, random_state=0,
                               device="cpu"),
        "convolutional": CNNClassifier((8, 16, 16), kernel_size=7, pool_size=4,
                                       hidden_layer_sizes=(64,), max_iter=30, batch_size=64,
                                       learning_rate_init=2e-3, random_state=0, device="cpu"),
    }
    rows, per_system = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, model in models.items():
            pred = model.fit(X_train, y_train).predict(X_test)
            per_system[name] = [accuracy_score(y_test[y_test == k], pred[y_test == k])
                                for k in range(len(CRYSTAL_SYSTEMS))]
            rows.append({"result": f"{name} network, test accuracy (7 crystal systems)",
                         "value": f"{accuracy_score(y_test, pred):.3f}",
                         "reference": "Vecsei et al. 2019: convolutional > dense"})
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for j, (name, acc) in enumerate(per_system.items()):
            ax.bar(np.arange(7) + (j - 0.5) * 0.4, acc, 0.4, label=name)
        ax.set_xticks(range(7), CRYSTAL_SYSTEMS, rotation=20)
        ax.set(ylabel="test accuracy", ylim=(0, 1), title="Crystal system from XRD")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "xrd_per_system.png", dpi=100)
        plt.close(fig)
    return rows

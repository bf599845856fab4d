"""Tour stop: crystal symmetry from powder XRD of the 230 space groups, dense vs convolutional,
tested on generated patterns and on real structure types, with refusal."""

import warnings

import numpy as np

from ._plot import pyplot

TITLE = "Crystal symmetry from powder XRD (230 space groups, prototypes, refusal)"


def _models(two_theta, quick):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from ..datasets import resample_log_d
    from ..neural_network import CNNClassifier, MLPClassifier

    def log_d():
        return FunctionTransformer(resample_log_d, kw_args={"two_theta": two_theta})

    return {
        "dense": make_pipeline(log_d(), MLPClassifier(
            (512, 256), dropout=0.2, batch_size=128, max_iter=10 if quick else 30,
            random_state=0, device="cpu")),
        "convolutional": make_pipeline(log_d(), CNNClassifier(
            (16, 32, 64, 128), kernel_size=7, pool_size=3, hidden_layer_sizes=(512,),
            dropout=0.3, batch_size=128, max_iter=4 if quick else 12, random_state=0,
            device="cpu")),
    }


def run(out_dir, quick):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.frozen import FrozenEstimator

    from ..datasets import CRYSTAL_SYSTEMS, load_xrd_prototypes, make_xrd_patterns
    from ..model_selection import ConfidenceThresholdClassifier
    from ..plotting import CoverageAccuracyDisplay

    n_train, n_test = (1500, 500) if quick else (6000, 2000)
    X, _, info = make_xrd_patterns(n_train + n_test, target="space_group", n_points=851,
                                   return_info=True, random_state=0)
    protos = load_xrd_prototypes(n_points=851)
    tasks = {
        "crystal system": (np.array([CRYSTAL_SYSTEMS.index(s) for s in info.crystal_system]),
                           np.array([CRYSTAL_SYSTEMS.index(s) for s in protos.crystal_system])),
        "space group": (info.space_group, protos.space_group),
    }
    paper = {("convolutional", "crystal system"): "85%", ("dense", "crystal system"): "73%",
             ("convolutional", "space group"): "76%", ("dense", "space group"): "57%"}
    rows, curves = [], {}
    for task, (y, y_proto) in tasks.items():
        for name, model in _models(info.two_theta, quick).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[:n_train], y[:n_train])
            X_test, y_test = X[n_train:], y[n_train:]
            acc = np.mean(model.predict(X_test) == y_test)
            acc_proto = np.mean(model.predict(protos.data) == y_proto)
            rows.append({"result": f"{name}, {task}: generated test / prototypes accuracy",
                         "value": f"{acc:.2f} / {acc_proto:.2f}",
                         "reference": f"Vecsei et al. 2019 (computed, ~1e5 patterns): "
                                      f"{paper[name, task]}"})
            if name == "convolutional":
                half = n_test // 2
                refuse = ConfidenceThresholdClassifier(FrozenEstimator(model), coverage=0.5)
                refuse.fit(X_test[:half], y_test[:half])
                r = refuse.selective_report(X_test[half:], y_test[half:])
                rows.append({"result": f"{name}, {task}: answering half (refusal)",
                             "value": f"{r.selective_accuracy:.2f} at coverage {r.coverage:.2f}"
                                      f" (all: {r.accuracy:.2f})",
                             "reference": "Vecsei: 54% -> 82% at about half coverage"})
                curves[task] = (refuse, X_test[half:], y_test[half:])
    rows.append({"result": "full run (30,000 patterns)", "value": "benchmarks/bench_xrd.py",
                 "reference": "see its table"})
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        for task, (refuse, Xt, yt) in curves.items():
            CoverageAccuracyDisplay.from_estimator(refuse, Xt, yt, name=f"CNN, {task}", ax=ax)
        ax.set_title("Refusal: accuracy of the answers given")
        fig.tight_layout()
        fig.savefig(out_dir / "xrd_refusal.png", dpi=100)
        plt.close(fig)
    return rows

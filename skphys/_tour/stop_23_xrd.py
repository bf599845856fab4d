"""Tour stop: crystal symmetry from powder XRD of the 230 space groups, dense vs convolutional,
tested on generated patterns and on real structure types, with refusal."""

import warnings

import numpy as np

from . import say
from ._plot import Heartbeat, chance, pyplot

TITLE = "Crystal symmetry from powder XRD (230 space groups, prototypes, refusal)"


def _models(two_theta, quick):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from ..datasets import log_d_autocorrelation, resample_log_d
    from ..neural_network import CNNClassifier, MLPClassifier

    def log_d():
        return FunctionTransformer(resample_log_d, kw_args={"two_theta": two_theta})

    return {
        "dense": make_pipeline(log_d(), MLPClassifier(
            (512, 256), dropout=0.2, batch_size=128, max_iter=10 if quick else 30,
            random_state=0, device="cpu", callbacks=[Heartbeat("dense network")])),
        # dense on the autocorrelation over ln d: the cell's size drops out
        "autocorrelation": make_pipeline(
            FunctionTransformer(log_d_autocorrelation, kw_args={"two_theta": two_theta}),
            MLPClassifier((512, 256), dropout=0.2, batch_size=128,
                          max_iter=10 if quick else 30, random_state=0, device="cpu",
                          callbacks=[Heartbeat("dense network on the autocorrelation")])),
        "convolutional": make_pipeline(log_d(), CNNClassifier(
            (16, 32, 64, 128), kernel_size=7, pool_size=3, hidden_layer_sizes=(512,),
            dropout=0.3, batch_size=128, max_iter=4 if quick else 12, random_state=0,
            device="cpu", callbacks=[Heartbeat("convolutional network")])),
    }


def _indexing_rows(X, tasks, protos, n_train, quick, two_theta):
    """What indexing the patterns gives, and what peak positions allow at best."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..datasets import resample_log_d, xrd_extinction_classes
    from ..feature_extraction import XRDIndexingFeatures
    from ..neural_network import TorchClassifier
    from ..nn import HybridCNN

    n = 1200 if quick else len(X)  # the indexing search costs some 40 ms a pattern
    n_fit = min(n_train, int(0.75 * n))
    say(f"XRDIndexingFeatures: indexing {n} patterns and the prototypes in five systems")
    index = XRDIndexingFeatures().fit(X[:n])
    F, F_proto = index.transform(X[:n]), index.transform(protos.data)
    y, y_proto = tasks["crystal system"]
    clf = HistGradientBoostingClassifier(max_iter=200, random_state=0)
    clf.fit(F[:n_fit], y[:n_fit])
    acc, acc_proto = clf.score(F[n_fit:], y[n_fit:n]), clf.score(F_proto, y_proto)
    # the hybrid CNN: the pattern on the ln d grid through convolutions, the maxima of its
    # feature maps concatenated with the standardised indexing features (bench_xrd.py's
    # hybrid, trained there on 30,000 patterns and the space groups, also reads the
    # reflection-condition features)
    L, L_proto = resample_log_d(X[:n], two_theta), resample_log_d(protos.data, two_theta)
    say(f"hybrid CNN (pattern + indexing features), crystal system: {n_fit} patterns")
    hybrid = make_pipeline(
        ColumnTransformer([("pattern", "passthrough", slice(0, L.shape[1])),
                           ("features", StandardScaler(), slice(L.shape[1], None))]),
        TorchClassifier(HybridCNN, module__n_pattern=L.shape[1], module__dropout=0.2,
                        batch_size=128, max_iter=20, random_state=0, device="cpu",
                        callbacks=[Heartbeat("hybrid CNN")]))
    # float32: the network trains in its input's precision
    LF = np.hstack([L, F]).astype(np.float32)
    LF_proto = np.hstack([L_proto, F_proto]).astype(np.float32)
    with warnings.catch_warnings():  # 20 epochs, by design
        warnings.simplefilter("ignore", ConvergenceWarning)
        hybrid.fit(LF[:n_fit], y[:n_fit])
    acc_h, acc_h_proto = hybrid.score(LF[n_fit:], y[n_fit:n]), hybrid.score(LF_proto, y_proto)
    ext = xrd_extinction_classes()
    return [
        {"result": "indexing features + gradient boosting, crystal system: generated test / "
                   "prototypes accuracy",
         "value": f"{acc:.2f} / {acc_proto:.2f} ({n_fit} training patterns)",
         "reference": "issue 16: >= 0.80 on generated", "ok": bool(acc >= 0.80),
         "chance": f"{chance(y[n_fit:n], y[:n_fit])} / {chance(y_proto, y[:n_fit])}"},
        {"result": "hybrid CNN (pattern + indexing features), crystal system: generated test"
                   " / prototypes accuracy",
         "value": f"{acc_h:.2f} / {acc_h_proto:.2f} ({n_fit} training patterns)",
         "reference": "issue 16: CNN >= 0.80 on generated (0.85 at 30,000: bench_xrd)",
         "ok": bool(acc_h >= 0.80),
         "chance": f"{chance(y[n_fit:n], y[:n_fit])} / {chance(y_proto, y[:n_fit])}"},
        {"result": "best accuracy from peak positions (groups uniform): crystal system / "
                   "space group",
         "value": f"{ext.crystal_system_bound_uniform_groups:.3f} / "
                  f"{ext.space_group_bound:.3f} ({len(ext.classes)} classes)",
         "reference": "xrd_extinction_classes; the space-group bar 0.57 lies above it",
         "ok": None},
    ]


def run(out_dir, quick):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.frozen import FrozenEstimator

    from ..datasets import CRYSTAL_SYSTEMS, load_xrd_prototypes, make_xrd_patterns
    from ..model_selection import ConfidenceThresholdClassifier
    from ..plotting import CoverageAccuracyDisplay

    n_train, n_test = (1500, 500) if quick else (6000, 2000)
    say(f"make_xrd_patterns: {n_train + n_test} patterns of the 230 space groups")
    X, _, info = make_xrd_patterns(n_train + n_test, target="space_group", n_points=851,
                                   return_info=True, random_state=0)
    protos = load_xrd_prototypes(n_points=851)
    tasks = {
        "crystal system": (np.array([CRYSTAL_SYSTEMS.index(s) for s in info.crystal_system]),
                           np.array([CRYSTAL_SYSTEMS.index(s) for s in protos.crystal_system])),
        "space group": (info.space_group, protos.space_group),
    }
    # Vecsei et al. 2019 on ~1e5 computed patterns; issue 16's bars on generated test data
    # (<= 30,000 training patterns): CNN >= 0.80 (paper 0.85) and >= 0.57 (the paper's dense
    # figure). The dense rows get the same rule as the CNN's crystal system: the paper - 0.05.
    paper = {("convolutional", "crystal system"): 0.85, ("dense", "crystal system"): 0.73,
             ("convolutional", "space group"): 0.76, ("dense", "space group"): 0.57}
    bar = {("convolutional", "crystal system"): 0.80, ("dense", "crystal system"): 0.68,
           ("convolutional", "space group"): 0.57, ("dense", "space group"): 0.52}
    rows, curves = [], {}
    for task, (y, y_proto) in tasks.items():
        X_test, y_test = X[n_train:], y[n_train:]
        for name, model in _models(info.two_theta, quick).items():
            say(f"{name} network, {task}: {n_train} training patterns")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[:n_train], y[:n_train])
            acc = np.mean(model.predict(X_test) == y_test)
            acc_proto = np.mean(model.predict(protos.data) == y_proto)
            kind = "convolutional" if name == "convolutional" else "dense"
            source = "issue 16" if name == "convolutional" else "paper - 0.05"
            short = {"convolutional": "CNN", "autocorrelation": "dense on autocorr."}.get(
                name, name)
            rows.append({"result": f"{short}, {task}: generated test / prototypes accuracy",
                         "value": f"{acc:.2f} / {acc_proto:.2f}",
                         "reference": f"Vecsei 2019: {paper[kind, task]:.2f}; bar on generated "
                                      f">= {bar[kind, task]:.2f} ({source}); prototypes: no bar",
                         "ok": bool(acc >= bar[kind, task]),
                         "chance": f"{chance(y_test, y[:n_train])} / "
                                   f"{chance(y_proto, y[:n_train])}"})
            if name == "convolutional":
                half = n_test // 2
                refuse = ConfidenceThresholdClassifier(FrozenEstimator(model), coverage=0.5)
                with warnings.catch_warnings():  # few samples per space group: sklearn warns
                    warnings.filterwarnings("ignore", message=".*number of unique classes")
                    refuse.fit(X_test[:half], y_test[:half])
                r = refuse.selective_report(X_test[half:], y_test[half:])
                # the paper's refusal took 0.54 to 0.82 (+0.28) at about half coverage;
                # meeting it here: at least half that gain
                gain = r.selective_accuracy - r.accuracy
                rows.append({"result": f"CNN, {task}, refusal: accuracy answering about half",
                             "value": f"{r.selective_accuracy:.2f} at coverage {r.coverage:.2f}"
                                      f" (all: {r.accuracy:.2f})",
                             "reference": "Vecsei: 0.54 -> 0.82 at ~half coverage (meet: gain "
                                          ">= +0.14)", "ok": bool(gain >= 0.14),
                             "chance": chance(y_test[half:], y[:n_train])})
                curves[task] = (refuse, X_test[half:], y_test[half:])
    rows += _indexing_rows(X, tasks, protos, n_train, quick, info.two_theta)
    rows.append({"result": "full run (30,000 patterns)", "value": "benchmarks/bench_xrd.py",
                 "reference": "pointer: see its table", "ok": None})
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        for k, (task, (refuse, Xt, yt)) in enumerate(curves.items()):
            CoverageAccuracyDisplay.from_estimator(refuse, Xt, yt, name=f"CNN, {task}", ax=ax)
            ax.axhline(float(chance(yt, tasks[task][0][:n_train])), color=f"C{k}", ls=":",
                       lw=1, label=f"chance, {task}")
        ax.set_ylim(-0.03, 1.03)  # a curve at zero accuracy stays visible
        ax.legend(fontsize=8)
        ax.set_title(f"Refusal, CNN on {n_train} generated patterns\n"
                     "dots: threshold tuned for half coverage", fontsize=10)
        fig.tight_layout()
        fig.savefig(out_dir / "xrd_refusal.png", dpi=100)
        plt.close(fig)
    return rows

"""Tour stop: the 2-D Ising transition found by learning by confusion and by supervised crossings."""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._plot import pyplot

TITLE = "Phases: learning by confusion and supervised T_c (2-D Ising)"

_NET = dict(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.003, batch_size=128,
            alpha=1.0)


def _cnn(L, seed=0):
    # 4 filters averaged over the lattice: translation invariance built in, ~100 weights
    from skphys.neural_network import CNNClassifier

    return CNNClassifier(filters=(4,), pooling="avg", pool_size=L, hidden_layer_sizes=(8,),
                         input_shape=(L, L), max_iter=20, learning_rate_init=0.01,
                         batch_size=64, random_state=seed)


def run(out_dir, quick):
    try:
        from skphys.datasets import make_ising
    except ImportError:  # pragma: no cover - until the datasets issue lands
        return [{"result": "2-D Ising phases", "value": "skipped: make_ising not available",
                 "reference": ""}]
    from skphys.neural_network import MLPClassifier
    from skphys.phases import ConfusionPhaseFinder, finite_size_extrapolation, phase_crossing
    from skphys.plotting import ConfusionCurveDisplay

    warnings.simplefilter("ignore", ConvergenceWarning)
    tc = 2.0 / np.log1p(np.sqrt(2.0))
    onsager = f"Onsager {tc:.4f}; bar +-0.05 (bench_phases)"

    def within(value):  # the bar of bench_phases (100 samples a temperature); quick uses 60
        return None if quick else bool(abs(value - tc) <= 0.05)

    temperatures = np.linspace(1.2, 3.4, 23)
    sizes = [16] if quick else [16, 24, 32]
    n = 60 if quick else 100
    rows, crossings, stds, finder = [], [], [], None
    for L in sizes:
        X, y = make_ising(temperatures, n, L=L, random_state=L)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
        # networks trained from other seeds scatter more than the bootstrap error of one:
        # average the crossings of a few, with the error of that mean
        found = []
        for seed in range(1 if quick else 3):
            clf = _cnn(L, seed).fit(Xtr, (ytr > tc).astype(int))
            res = phase_crossing(clf, Xte, yte, random_state=seed)
            found.append(res.critical_point)
        err = np.std(found, ddof=1) / np.sqrt(len(found)) if len(found) > 1 else res.std
        crossings.append(float(np.mean(found)))
        stds.append(max(err, res.std))
        rows.append({"result": f"L={L} supervised crossing T_c (CNN, {len(found)} seeds)",
                     "value": f"{crossings[-1]:.3f} +- {stds[-1]:.3f}", "reference": onsager,
                     "ok": within(crossings[-1])})
        t0 = time.perf_counter()
        finder = ConfusionPhaseFinder(MLPClassifier(**_NET), strategy="multitask",
                                      random_state=0).fit(X, y)
        rows.append({"result": f"L={L} confusion peak T_c (multi-task MLP, "
                               f"{len(finder.boundaries_)} boundaries)",
                     "value": f"{finder.critical_point_:.3f} in "
                              f"{time.perf_counter() - t0:.1f} s",
                     "reference": onsager, "ok": within(finder.critical_point_)})
    if len(sizes) > 2:
        fss = finite_size_extrapolation(sizes, crossings, std=stds)
        rows.append({"result": f"supervised T_c, L -> inf (nu=1, L={sizes})",
                     "value": f"{fss.critical_point:.3f} +- {fss.std:.3f}",
                     "reference": f"{onsager}; Carrasquilla & Melko 2.266 +- 0.002",
                     "ok": within(fss.critical_point)})
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        ConfusionCurveDisplay.from_estimator(finder, ax=ax, reference=tc, parameter_name="T")
        ax.set_title(f"Learning by confusion, 2-D Ising, L = {sizes[-1]}")
        fig.savefig(out_dir / "phases_confusion_ising.png", dpi=120, bbox_inches="tight")
        plt.close(fig)
    return rows

"""Tour stop: dreams of a digit classifier, its fragility, and adversarial training."""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from skphys.adversarial import AdversarialPerturber, AdversarialTrainingClassifier
from skphys.inspection import DreamExplainer
from skphys.neural_network import MLPClassifier

from ._plot import pyplot

TITLE = "Inspection and vulnerability (dreams, FGSM/PGD/DeepFool, adversarial training)"


def run(out_dir, quick):
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows = []
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    epochs = 20 if quick else 60
    mlp = MLPClassifier((64, 128, 64), batch_size=64, max_iter=epochs, tol=0,
                        n_iter_no_change="inf", random_state=0)
    t0 = time.perf_counter()
    plain = MLPClassifier(**mlp.get_params()).fit(Xtr, ytr)
    robust = AdversarialTrainingClassifier(mlp, attack="pgd", eps=0.1, max_iter=7).fit(Xtr, ytr)
    noisy = AdversarialTrainingClassifier(mlp, attack="noise", eps=0.1).fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0

    models = {"clean training": plain, "noise training": noisy, "PGD-7 training": robust}
    eps = np.array([0, 0.05, 0.1, 0.15, 0.2])
    curves = {}
    for name, model in models.items():
        attack = AdversarialPerturber(FrozenEstimator(model), attack="pgd", eps=0.1,
                                      clip_values=(0, 1)).fit(Xtr)
        curves[name] = attack.robustness_curve(Xte, yte, eps=eps)
    ref = {"clean training": "ANCHORS 0.976 / 0.396 / 0.352",
           "PGD-7 training": "ANCHORS 0.981 / 0.835 / 0.820; bar PGD >= 0.80, clean >= 0.97",
           "noise training": "lecture: noise helps little"}
    for name, model in models.items():
        fgsm = AdversarialPerturber(FrozenEstimator(model), attack="fgsm", eps=0.1,
                                    clip_values=(0, 1)).fit(Xtr).score(Xte, yte)
        rows.append({"result": f"digits MLP, {name}: clean / FGSM .1 / PGD-10 .1 accuracy",
                     "value": f"{curves[name].accuracy[0]:.3f} / {fgsm:.3f} / "
                              f"{curves[name].accuracy[2]:.3f}",
                     "reference": ref[name] + ("" if not quick else " (quick: fewer epochs)")})
    rows.append({"result": "training time, 3 models", "value": f"{fit_s:.1f} s",
                 "reference": "PGD-7 costs ~8 passes per batch"})

    deep = AdversarialPerturber(FrozenEstimator(plain), attack="deepfool", max_iter=50).fit(Xtr)
    X_df = deep.transform(Xte)
    flipped = np.mean(plain.predict(X_df) != plain.predict(Xte))
    rel = np.median(np.linalg.norm(X_df - Xte, axis=1) / np.linalg.norm(Xte, axis=1))
    rows.append({"result": "DeepFool: predictions flipped, median ||delta||/||x||",
                 "value": f"{flipped:.3f}, {rel:.3f}",
                 "reference": "ART 0.11; bars >= 0.95, < 0.3"})

    explainer = DreamExplainer(FrozenEstimator(plain), init="class_mean").fit(Xtr, ytr)
    dreams = explainer.dream_classes()
    noise = explainer.set_params(init="noise", random_state=0).dream_classes()
    rows.append({"result": "dreams from class means: min p, LogisticRegression agrees",
                 "value": f"{dreams.proba.min():.3f}, {int(dreams.reference_agrees.sum())}/10",
                 "reference": "bars p >= 0.99, >= 8/10"})
    rows.append({"result": "dream distance to nearest digit / typical (class mean vs noise seed)",
                 "value": f"{np.median(dreams.nearest_distance_ratio):.2f} vs "
                          f"{np.median(noise.nearest_distance_ratio):.2f}",
                 "reference": "noise-seeded dreams: certain yet unlike any digit"})

    plt = pyplot()
    if plt is not None:
        from skphys.plotting import DreamDisplay, RobustnessCurveDisplay

        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name, c in curves.items():
            RobustnessCurveDisplay(c.eps, c.accuracy, name=name, attack="PGD-10",
                                   norm="inf").plot(ax=ax)
        fig.savefig(out_dir / "robustness_curves.png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        for tag, report in [("class_mean", dreams), ("noise", noise)]:
            disp = DreamDisplay.from_report(report, image_shape=(8, 8))
            disp.figure_.savefig(out_dir / f"digit_dreams_{tag}.png", dpi=100,
                                 bbox_inches="tight")
            plt.close(disp.figure_)
    return rows

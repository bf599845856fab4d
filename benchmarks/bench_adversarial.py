"""Adversarial attacks: skphys against torchattacks and ART on the same weights.

The ANCHORS.md protocol: load_digits / 16, 70/30 stratified split (random_state=0); MLP
64-128-64-10 ReLU, Adam 1e-3, batch 64, exactly 60 epochs (skphys MLPClassifier); L∞,
untargeted, true labels, clip to [0, 1]; FGSM and PGD-10 (step eps/4, no random start) at
eps 0.05 / 0.1 / 0.2. A second model is trained with skphys's PGD-7 adversarial training
(AdversarialTrainingClassifier, eps 0.1). Both models are attacked by skphys, torchattacks
and ART in this one run, with the same weights; accuracies and the time per 1000 samples
(median of ``--repeats``) are printed side by side, then DeepFool's median ‖δ‖₂/‖x‖.

The peers are optional. Run it with an interpreter that has them, e.g. a separate venv
whose site-packages also sees skphys's (nothing is installed into skphys's venv)::

    python3 -m venv /work/peers/adv
    /work/peers/adv/bin/pip install --no-deps torchattacks adversarial-robustness-toolbox
    /work/peers/adv/bin/pip install six tqdm
    echo /work/main/.venv/lib/python3.11/site-packages \
        > /work/peers/adv/lib/python3.11/site-packages/_main_venv.pth
    /work/peers/adv/bin/python benchmarks/bench_adversarial.py

Without them the ANCHORS.md figures are printed in the peers' columns.
"""

import argparse
import warnings

from _common import report, timed

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from skphys.adversarial import (
    AdversarialPerturber,
    AdversarialTrainingClassifier,
    deepfool,
    fgsm,
    pgd,
)
from skphys.neural_network import MLPClassifier

EPS = (0.05, 0.1, 0.2)
#: ANCHORS.md: (model, attack, eps) -> accuracy (ART and torchattacks agree to 1e-4)
ANCHORS = {
    ("MLP", "clean", 0): 0.976,
    ("MLP", "FGSM", 0.05): 0.820, ("MLP", "FGSM", 0.1): 0.396, ("MLP", "FGSM", 0.2): 0.011,
    ("MLP", "PGD-10", 0.05): 0.813, ("MLP", "PGD-10", 0.1): 0.352, ("MLP", "PGD-10", 0.2): 0.002,
    ("MLP+PGD-7 AT", "clean", 0): 0.981,
    ("MLP+PGD-7 AT", "FGSM", 0.05): 0.939, ("MLP+PGD-7 AT", "FGSM", 0.1): 0.835,
    ("MLP+PGD-7 AT", "FGSM", 0.2): 0.383,
    ("MLP+PGD-7 AT", "PGD-10", 0.05): 0.937, ("MLP+PGD-7 AT", "PGD-10", 0.1): 0.820,
    ("MLP+PGD-7 AT", "PGD-10", 0.2): 0.246,
}
#: ANCHORS.md: time per 1000 samples (ms)
ANCHOR_MS = {("torchattacks", "FGSM"): 1.4, ("torchattacks", "PGD-10"): 12.5,
             ("ART", "FGSM"): 10.0, ("ART", "PGD-10"): 100.0}


def data():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def protocol_mlp():
    return MLPClassifier((64, 128, 64), batch_size=64, learning_rate_init=1e-3, max_iter=60,
                         tol=0, n_iter_no_change="inf", random_state=0, device="cpu")


def accuracy(module, x, y):
    with torch.no_grad():
        return float((module(x).argmax(1) == y).float().mean())


# ---- the attackers: each returns adversarial examples as a tensor ------------------------
def skphys_attack(module, x, y, attack, eps):
    if attack == "FGSM":
        return fgsm(module, x, y, eps=eps, clip_values=(0, 1))
    return pgd(module, x, y, eps=eps, eps_step=eps / 4, max_iter=10, clip_values=(0, 1))


def make_torchattacks(ta):
    def run(module, x, y, attack, eps):
        if attack == "FGSM":
            return ta.FGSM(module, eps=eps)(x, y)
        return ta.PGD(module, eps=eps, alpha=eps / 4, steps=10, random_start=False)(x, y)

    return run


def make_art(art_classifier, art_attacks):
    cache = {}

    def run(module, x, y, attack, eps):
        key = id(module)
        if key not in cache:
            cache[key] = art_classifier(model=module, loss=torch.nn.CrossEntropyLoss(),
                                        input_shape=(64,), nb_classes=10, clip_values=(0, 1),
                                        device_type="cpu")
        clf = cache[key]
        if attack == "FGSM":
            atk = art_attacks.FastGradientMethod(clf, norm=np.inf, eps=eps, batch_size=len(x))
        else:
            atk = art_attacks.ProjectedGradientDescent(
                clf, norm=np.inf, eps=eps, eps_step=eps / 4, max_iter=10, num_random_init=0,
                batch_size=len(x), verbose=False)
        return torch.from_numpy(atk.generate(x.numpy(), y=y.numpy()))

    return run


def peers():
    found = {}
    try:
        import torchattacks as ta

        found["torchattacks"] = make_torchattacks(ta)
    except ImportError:
        pass
    try:
        from art.attacks import evasion
        from art.estimators.classification import PyTorchClassifier

        found["ART"] = make_art(PyTorchClassifier, evasion)
    except ImportError:
        pass
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    Xtr, Xte, ytr, yte = data()
    x, y = torch.from_numpy(Xte), torch.from_numpy(yte).long()
    attackers = {"skphys": skphys_attack, **peers()}
    missing = [p for p in ("torchattacks", "ART") if p not in attackers]
    if missing:
        print(f"peers not installed ({', '.join(missing)}): their columns show ANCHORS.md\n")

    models = {}
    (fit_plain, _, plain) = timed(lambda: protocol_mlp().fit(Xtr, ytr), 1)
    models["MLP"] = plain
    (fit_at, _, robust) = timed(lambda: AdversarialTrainingClassifier(
        protocol_mlp(), attack="pgd", eps=0.1, max_iter=7).fit(Xtr, ytr), 1)
    models["MLP+PGD-7 AT"] = robust
    print(f"training: MLP {fit_plain:.1f} s, MLP + PGD-7 adversarial training {fit_at:.1f} s\n")

    rows = []
    for name, est in models.items():
        inner = est.estimator_ if hasattr(est, "estimator_") else est
        module = inner.net_.module_.eval()
        rows.append({"model": name, "attack": "clean", "eps": 0.0,
                     "skphys": accuracy(module, x, y),
                     "anchor": ANCHORS[(name, "clean", 0)]})
        for attack in ("FGSM", "PGD-10"):
            for eps in EPS:
                row = {"model": name, "attack": attack, "eps": eps,
                       "anchor": ANCHORS[(name, attack, eps)]}
                # interleaved repeats (one call of each peer per round), so that a busy
                # machine slows every peer alike; median per peer
                times = {peer: [] for peer in attackers}
                for _ in range(args.repeats):
                    for peer, run in attackers.items():
                        sec, _, x_adv = timed(lambda: run(module, x, y, attack, eps), 1)
                        times[peer].append(sec)
                        row[peer] = accuracy(module, x_adv, y)
                for peer in attackers:
                    row[f"{peer} ms/1k"] = 1000 * float(np.median(times[peer])) / len(x) * 1000
                    if peer != "skphys":
                        row[f"|skphys-{peer}|"] = abs(row["skphys"] - row[peer])
                for peer in ("torchattacks", "ART"):
                    if peer not in attackers:
                        row[peer] = row["anchor"]
                        row[f"{peer} ms/1k"] = ANCHOR_MS[(peer, attack)]
                row["time ratio skphys/torchattacks"] = (row["skphys ms/1k"]
                                                         / row["torchattacks ms/1k"])
                # the sklearn-level path: validation, numpy in and out, prediction
                perturber = AdversarialPerturber(
                    FrozenEstimator(est), attack="fgsm" if attack == "FGSM" else "bim",
                    eps=eps, max_iter=10, clip_values=(0, 1)).fit(Xtr)
                med, _, score = timed(lambda: perturber.score(Xte, yte), args.repeats)
                row["AdversarialPerturber.score"] = score
                row["perturber ms/1k"] = 1000 * med / len(x) * 1000
                rows.append(row)

    columns = ["model", "attack", "eps", "skphys", "torchattacks", "ART", "anchor",
               "|skphys-torchattacks|", "|skphys-ART|", "AdversarialPerturber.score",
               "skphys ms/1k", "torchattacks ms/1k", "ART ms/1k", "perturber ms/1k",
               "time ratio skphys/torchattacks"]
    # DeepFool: median relative L2 size of the minimal perturbation
    module = plain.net_.module_.eval()
    med, _, x_df = timed(lambda: deepfool(module, x, max_iter=100, overshoot=0.02), 3)
    with torch.no_grad():
        flipped = float((module(x_df).argmax(1) != module(x).argmax(1)).float().mean())
    rel = float(((x_df - x).norm(dim=1) / x.norm(dim=1)).median())
    df_row = {"model": "MLP", "attack": "DeepFool", "skphys": rel,
              "anchor": 0.11, "skphys ms/1k": 1000 * med / len(x) * 1000}
    if "ART" in attackers:
        from art.attacks.evasion import DeepFool
        from art.estimators.classification import PyTorchClassifier

        art_clf = PyTorchClassifier(model=module, loss=torch.nn.CrossEntropyLoss(),
                                    input_shape=(64,), nb_classes=10, clip_values=(0, 1),
                                    device_type="cpu")
        atk = DeepFool(art_clf, max_iter=100, epsilon=0.02, nb_grads=10, batch_size=len(x),
                       verbose=False)
        med_art, _, x_art = timed(lambda: atk.generate(Xte), 3)
        df_row["ART"] = float(np.median(np.linalg.norm(x_art - Xte, axis=1)
                                        / np.linalg.norm(Xte, axis=1)))
        df_row["ART ms/1k"] = 1000 * med_art / len(x) * 1000
    rows.append(df_row)
    print(f"DeepFool flips {flipped:.3f} of the predictions; the DeepFool row gives the "
          "median ||delta||_2/||x|| (not an accuracy).\n")
    report("adversarial", rows, columns, {
        "protocol": "digits/16, 70/30 split rs=0, MLP 64-128-64-10, Adam 1e-3, batch 64, "
                    "60 epochs; Linf untargeted true labels clip [0,1]; PGD-10 step eps/4",
        "peers": sorted(p for p in attackers if p != "skphys"),
        "repeats": args.repeats,
    })


if __name__ == "__main__":
    main()

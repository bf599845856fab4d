"""Adversarial attacks: skphys against torchattacks and ART on the same weights.

Protocol (printed with the table):

* data and models (ANCHORS.md): load_digits / 16, 70/30 stratified split (random_state=0);
  MLP 64-128-64-10 ReLU, Adam 1e-3, batch 64, exactly 60 epochs (skphys MLPClassifier);
  a second model trained with skphys's PGD-7 adversarial training (eps 0.1,
  AdversarialTrainingClassifier); both trained for ``--seeds`` seeds (training is the only
  stochastic part: accuracies are given as the mean and range over the seeds);
* attacks, the same settings for every library: L-inf, untargeted, true labels, clip to
  [0, 1]; FGSM and PGD-10 (step eps/4, no random start) at eps 0.05 / 0.1 / 0.2; every
  library attacks the same weights (the fitted torch module, in eval mode) and the same 540
  test images in one batch; DeepFool (max 100 steps, overshoot 0.02, 10 candidate
  classes) on the plain model: median ||delta||_2 / ||x||;
* timing: each library's first call per model is a warm-up (not timed); then ``--repeats``
  rounds, interleaved (skphys, torchattacks, ART, skphys's AdversarialPerturber, ... in
  turn); the time per 1000 samples is the median over all rounds and seeds, with its range;
  process CPU time and wall time both recorded (ratios from wall time);
* the AdversarialPerturber row is the scikit-learn-level path on the same fitted model
  (numpy in, validation, prediction and scoring included), PGD as its "bim" attack;
* the peers are optional: a peer that is not installed gets ``peer ran = no``, empty
  columns and a WARNING line; its published figures are never printed in its place;
* published (ANCHORS.md, one training run, other weights; torchattacks and ART agree to
  1e-4): MLP clean 0.976, FGSM 0.820 / 0.396 / 0.011, PGD-10 0.813 / 0.352 / 0.002; MLP +
  PGD-7 AT clean 0.981, FGSM 0.939 / 0.835 / 0.383, PGD-10 0.937 / 0.820 / 0.246;
  DeepFool (ART) 0.11; time per 1000 samples torchattacks FGSM 1.4 ms, PGD-10 12.5 ms, ART
  10 / 100 ms.

The peers run from a separate venv whose site-packages also sees skphys's (nothing is
installed into skphys's venv; never an unpinned torch)::

    python3 -m venv /work/peers/adv
    /work/peers/adv/bin/pip install --no-deps torchattacks adversarial-robustness-toolbox
    /work/peers/adv/bin/pip install six tqdm
    echo /work/main/.venv/lib/python3.11/site-packages \
        > /work/peers/adv/lib/python3.11/site-packages/_main_venv.pth
    /work/peers/adv/bin/python benchmarks/bench_adversarial.py [--seeds 3] [--repeats 5]
"""

import argparse
import statistics
import time
import warnings

import _common  # noqa: F401  (pins threads before numpy and torch are imported)
import numpy as np
import torch
from _common import report
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

PROTOCOL = __doc__.split("Protocol (printed with the table):")[1].split("The peers run")[0].strip()
EPS = (0.05, 0.1, 0.2)
ATTACKS = [("clean", 0.0)] + [(a, e) for a in ("FGSM", "PGD-10") for e in EPS]
PEERS = ("torchattacks", "ART")
PERTURBER = "skphys AdversarialPerturber"


def data():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def protocol_mlp(seed):
    return MLPClassifier((64, 128, 64), batch_size=64, learning_rate_init=1e-3, max_iter=60,
                         tol=0, n_iter_no_change="inf", random_state=seed, device="cpu")


def accuracy(module, x, y):
    with torch.no_grad():
        return float((module(x).argmax(1) == y).double().mean())


# ---- the attackers: (module, estimator, x, y, attack, eps) -> accuracy -------------------
def skphys_attack(module, est, x, y, attack, eps):
    if attack == "clean":
        return accuracy(module, x, y)
    if attack == "FGSM":
        x_adv = fgsm(module, x, y, eps=eps, clip_values=(0, 1))
    else:
        x_adv = pgd(module, x, y, eps=eps, eps_step=eps / 4, max_iter=10, clip_values=(0, 1))
    return accuracy(module, x_adv, y)


def make_perturber():
    cache = {}

    def run(module, est, x, y, attack, eps):
        if attack == "clean":
            return float(est.score(x.numpy(), y.numpy()))
        key = (id(est), attack, eps)
        if key not in cache:
            cache[key] = AdversarialPerturber(
                FrozenEstimator(est), attack="fgsm" if attack == "FGSM" else "bim", eps=eps,
                eps_step=eps / 4, max_iter=10, clip_values=(0, 1)).fit(x.numpy())
        return cache[key].score(x.numpy(), y.numpy())

    return run


def make_torchattacks(ta):
    def run(module, est, x, y, attack, eps):
        if attack == "clean":
            return accuracy(module, x, y)
        if attack == "FGSM":
            x_adv = ta.FGSM(module, eps=eps)(x, y)
        else:
            x_adv = ta.PGD(module, eps=eps, alpha=eps / 4, steps=10, random_start=False)(x, y)
        return accuracy(module, x_adv, y)

    return run


def make_art(art_classifier, art_attacks):
    cache = {}

    def classifier(module):
        if id(module) not in cache:
            cache[id(module)] = art_classifier(
                model=module, loss=torch.nn.CrossEntropyLoss(), input_shape=(64,),
                nb_classes=10, clip_values=(0, 1), device_type="cpu")
        return cache[id(module)]

    def run(module, est, x, y, attack, eps):
        clf = classifier(module)
        if attack == "clean":
            return float((clf.predict(x.numpy()).argmax(1) == y.numpy()).mean())
        if attack == "FGSM":
            atk = art_attacks.FastGradientMethod(clf, norm=np.inf, eps=eps, batch_size=len(x))
        else:
            atk = art_attacks.ProjectedGradientDescent(
                clf, norm=np.inf, eps=eps, eps_step=eps / 4, max_iter=10, num_random_init=0,
                batch_size=len(x), verbose=False)
        return accuracy(module, torch.from_numpy(atk.generate(x.numpy(), y=y.numpy())), y)

    run.classifier = classifier
    return run


def peers():
    found, missing = {}, {}
    try:
        import torchattacks as ta

        found["torchattacks"] = make_torchattacks(ta)
    except ImportError as exc:
        missing["torchattacks"] = str(exc)
    try:
        from art.attacks import evasion
        from art.estimators.classification import PyTorchClassifier

        found["ART"] = make_art(PyTorchClassifier, evasion)
    except ImportError as exc:
        missing["ART"] = str(exc)
    return found, missing


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("Protocol:\n" + PROTOCOL + "\n", flush=True)
    Xtr, Xte, ytr, yte = data()
    x, y = torch.from_numpy(Xte), torch.from_numpy(yte).long()
    found, missing = peers()
    for peer, why in missing.items():
        print(f"WARNING: {peer} not installed ({why}): its rows show peer ran = no and no "
              "figures; see the module docstring to install it.", flush=True)
    attackers = {"skphys": skphys_attack, **found, PERTURBER: make_perturber()}

    acc = {}  # (model, attack, eps, method) -> [accuracy per seed]
    wall, cpu = {}, {}  # (model, attack, eps, method) -> [seconds per call]
    df = {"skphys": [], "ART": []}
    df_time = {"skphys": [], "ART": []}
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        plain = protocol_mlp(seed).fit(Xtr, ytr)
        robust = AdversarialTrainingClassifier(protocol_mlp(seed), attack="pgd", eps=0.1,
                                               max_iter=7).fit(Xtr, ytr)
        print(f"seed {seed}: trained both models in {time.perf_counter() - t0:.1f} s",
              flush=True)
        for model, est in (("MLP", plain), ("MLP+PGD-7 AT", robust)):
            inner = est.estimator_ if hasattr(est, "estimator_") else est
            module = inner.net_.module_.eval()
            for attack, eps in ATTACKS:
                for method, run in attackers.items():  # warm-up, and the accuracy
                    acc.setdefault((model, attack, eps, method), []).append(
                        run(module, est, x, y, attack, eps))
                if attack == "clean":
                    continue
                for _ in range(args.repeats):  # interleaved: A B C D A B C D ...
                    for method, run in attackers.items():
                        _, w, c = _timed(lambda r=run, m=module, e=est, a=attack, ep=eps:
                                         r(m, e, x, y, a, ep))
                        wall.setdefault((model, attack, eps, method), []).append(w)
                        cpu.setdefault((model, attack, eps, method), []).append(c)
        # DeepFool on the plain model: median relative L2 size of the perturbation
        module = plain.net_.module_.eval()
        x_norm = x.norm(dim=1)
        runs = {"skphys": lambda m=module: deepfool(m, x, max_iter=100, overshoot=0.02)}
        if "ART" in found:
            from art.attacks.evasion import DeepFool

            atk = DeepFool(found["ART"].classifier(module), max_iter=100, epsilon=0.02,
                           nb_grads=10, batch_size=len(x), verbose=False)
            runs["ART"] = lambda atk=atk: torch.from_numpy(atk.generate(Xte))
        for name, fn in runs.items():
            fn()  # warm-up
        for _ in range(args.repeats):
            for name, fn in runs.items():
                x_df, w, _ = _timed(fn)
                df_time[name].append(w)
        for name, fn in runs.items():
            x_df = fn()
            df[name].append(float(((x_df - x).norm(dim=1) / x_norm).median()))

    rows = []
    per_1k = 1e6 / len(x)  # seconds per call -> ms per 1000 samples
    for model in ("MLP", "MLP+PGD-7 AT"):
        for attack, eps in ATTACKS:
            ref = acc[(model, attack, eps, "skphys")]
            for method in ("skphys", *PEERS, PERTURBER):
                row = {"model": model, "attack": attack, "eps": eps, "method": method,
                       "peer ran": "no" if method in missing else "yes"}
                if method not in missing:
                    a = acc[(model, attack, eps, method)]
                    row.update(accuracy=float(np.mean(a)), acc_min=min(a), acc_max=max(a),
                               max_abs_diff_vs_skphys=float(np.max(np.abs(np.subtract(a, ref)))))
                    if attack != "clean":
                        w = wall[(model, attack, eps, method)]
                        c = cpu[(model, attack, eps, method)]
                        row.update(ms_per_1k=statistics.median(w) * per_1k,
                                   ms_min=min(w) * per_1k, ms_max=max(w) * per_1k,
                                   cpu_ms_per_1k=statistics.median(c) * per_1k)
                rows.append(row)
            if attack != "clean" and "torchattacks" in found:
                base = statistics.median(wall[(model, attack, eps, "torchattacks")])
                for r in rows[-4:]:
                    if "ms_per_1k" in r:
                        r["x_torchattacks_time"] = r["ms_per_1k"] / per_1k / base
    for method in ("skphys", "ART"):
        row = {"model": "MLP", "attack": "DeepFool", "method": method,
               "peer ran": "no" if method in missing else "yes"}
        if df[method]:
            row.update(median_rel_l2=float(np.mean(df[method])),
                       rel_l2_min=min(df[method]), rel_l2_max=max(df[method]),
                       ms_per_1k=statistics.median(df_time[method]) * per_1k,
                       ms_min=min(df_time[method]) * per_1k,
                       ms_max=max(df_time[method]) * per_1k)
        rows.append(row)
    diffs = [r["max_abs_diff_vs_skphys"] for r in rows
             if r.get("max_abs_diff_vs_skphys") is not None and r["method"] in PEERS]
    if diffs:
        print(f"\nlargest |skphys - peer| accuracy over all attacks and seeds: {max(diffs):.4f}")
    print()
    report("bench_adversarial", rows,
           ["model", "attack", "eps", "method", "accuracy", "acc_min", "acc_max",
            "max_abs_diff_vs_skphys", "median_rel_l2", "rel_l2_min", "rel_l2_max",
            "ms_per_1k", "ms_min", "ms_max", "cpu_ms_per_1k", "x_torchattacks_time",
            "peer ran"],
           {"protocol": PROTOCOL, "seeds": args.seeds, "repeats": args.repeats,
            "peers": sorted(found), "peers_missing": sorted(missing)})


if __name__ == "__main__":
    _t0 = time.perf_counter()
    main()
    print(f"total run time: {time.perf_counter() - _t0:.0f} s")

"""Training-loop speed: skphys MLPClassifier against sklearn, skorch and a hand torch loop.

Digits (scaled to [0, 1]) split 70/30 stratified, the training part tiled to 51,186 rows;
MLP 64-128-10, ReLU, Adam 1e-3, batch 128, exactly 10 epochs, one thread. Each method is
timed ``--repeats`` times in this one run (median reported) and scored on the held-out 30%.

    python benchmarks/bench_mlp.py [--repeats 3]
"""

import argparse
import warnings

from _common import report, timed

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP

from skphys.neural_network import MLPClassifier
from skphys.nn import MLP

N_ROWS, EPOCHS, BATCH, LR, HIDDEN = 51_186, 10, 128, 1e-3, (128,)


def data():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    idx = np.resize(np.arange(len(Xtr)), N_ROWS)
    return Xtr[idx], ytr[idx], Xte, yte


def run_sklearn(Xtr, ytr, Xte, yte):
    m = SkMLP(HIDDEN, batch_size=BATCH, learning_rate_init=LR, max_iter=EPOCHS, tol=0,
              n_iter_no_change=EPOCHS + 1, random_state=0).fit(Xtr, ytr)
    return m.score(Xte, yte)


def run_skorch(Xtr, ytr, Xte, yte):
    from skorch import NeuralNetClassifier

    torch.manual_seed(0)
    net = NeuralNetClassifier(
        MLP, module__n_inputs=64, module__hidden_layer_sizes=HIDDEN, module__n_outputs=10,
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=LR,
        batch_size=BATCH, max_epochs=EPOCHS, train_split=None, verbose=0,
        iterator_train__shuffle=True,
    ).fit(Xtr, ytr.astype(np.int64))
    return float((net.predict(Xte) == yte).mean())


def run_torch_loop(Xtr, ytr, Xte, yte):
    torch.manual_seed(0)
    module = MLP(64, HIDDEN, 10)
    opt = torch.optim.Adam(module.parameters(), lr=LR, fused=True)
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    for _ in range(EPOCHS):
        perm = torch.randperm(len(X))
        for i in range(0, len(X), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(X[idx]), y[idx])
            loss.backward()
            opt.step()
            loss.item()
    with torch.no_grad():
        return float((module(torch.from_numpy(Xte)).argmax(1).numpy() == yte).mean())


def run_skphys(Xtr, ytr, Xte, yte):
    m = MLPClassifier(HIDDEN, batch_size=BATCH, learning_rate_init=LR, max_iter=EPOCHS,
                      tol=0, n_iter_no_change=EPOCHS + 1, random_state=0, device="cpu")
    return m.fit(Xtr, ytr).score(Xte, yte)


METHODS = {
    "sklearn MLPClassifier": run_sklearn,
    "skorch NeuralNetClassifier": run_skorch,
    "torch loop (randperm slicing, fused Adam)": run_torch_loop,
    "skphys MLPClassifier": run_skphys,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    d = data()
    run_skphys(*[a[:512] for a in d])  # warm up torch's lazy initialisation once
    rows = []
    for name, fn in METHODS.items():
        med, times, acc = timed(lambda: fn(*d), args.repeats)
        rows.append({"method": name, "median_s": med, "times_s": [round(t, 3) for t in times],
                     "accuracy": acc})
    ref = {r["method"]: r["median_s"] for r in rows}
    for r in rows:
        r["x_sklearn"] = r["median_s"] / ref["sklearn MLPClassifier"]
        r["x_skorch"] = r["median_s"] / ref["skorch NeuralNetClassifier"]
    report("bench_mlp", rows, ["method", "median_s", "x_sklearn", "x_skorch", "accuracy"],
           {"rows": N_ROWS, "epochs": EPOCHS, "batch_size": BATCH, "repeats": args.repeats,
            "targets": "skphys <= 0.6x skorch and <= 1.0x sklearn, accuracy within 0.01"})


if __name__ == "__main__":
    main()

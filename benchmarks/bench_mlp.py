"""Training-loop speed and memory: skphys MLPs against scikit-learn, skorch and a torch loop.

Protocol (printed with the table):

* one thread everywhere (``OMP/OPENBLAS/MKL_NUM_THREADS=1``, ``torch.set_num_threads(1)``);
* every contender gets the same float32 data, the same architecture, optimiser settings,
  batch size and number of epochs (stopping rules disabled: ``tol=0``), and is scored on the
  same held-out set;
* skorch runs twice: with its defaults (per-sample ``DataLoader``, unfused Adam) and tuned as a
  skorch user would tune it (a slicing ``iterator_train`` and ``optimizer__fused=True``, what
  skphys does inside);
* each contender's first run is a warm-up (torch's lazy initialisation, imports) and is not
  timed; then ``--repeats`` timed runs, interleaved (A B C A B C ...), median and range
  reported;
* memory: each contender fits a 1,000,000 x 100 float64 regression for one epoch in a fresh
  subprocess; both processes import both libraries and warm them up with a tiny fit first
  (the same base memory, lazy imports not counted); reported: the process's peak resident
  memory (``ru_maxrss``, the input's own 800 MB included) and what the fit added to the
  memory in use before it.

Cases: ``digits`` (the ANCHORS task: digits / 16, 70/30 stratified split, training part tiled
to 51,186 rows, MLP 64-128-10, Adam 1e-3, batch 128, 10 epochs), ``mnist`` (MNIST-10k from
``../shared/data``, 8k/2k split, 784-128-10, Adam 1e-3, batch 128, 5 epochs), ``lbfgs``
(digits, 64-64-10, L-BFGS, 200 iterations), ``weights`` (the digits case with random sample
weights in [0.5, 2]), ``memory``.

    python benchmarks/bench_mlp.py [--repeats 3] [--cases digits,mnist,lbfgs,weights,memory]
"""

import argparse
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

from _common import report

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP

from skphys.neural_network import MLPClassifier
from skphys.nn import MLP

PROTOCOL = __doc__.split("Protocol (printed with the table):")[1].split("Cases:")[0].strip()
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# ---- data -----------------------------------------------------------------------------------
def digits_case():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    idx = np.resize(np.arange(len(Xtr)), 51_186)
    return dict(data=(Xtr[idx], ytr[idx], Xte, yte), hidden=(128,), epochs=10, batch=128)


def mnist_case():
    from skphys.datasets import load_mnist

    X, y = load_mnist(subset="test", data_home=DATA, return_X_y=True)
    X = (X / 255.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=2000, stratify=y, random_state=0)
    return dict(data=(Xtr, ytr, Xte, yte), hidden=(128,), epochs=5, batch=128)


# ---- contenders -------------------------------------------------------------------------------
def run_sklearn(case, sample_weight=None):
    Xtr, ytr, Xte, yte = case["data"]
    m = SkMLP(case["hidden"], batch_size=case["batch"], learning_rate_init=1e-3,
              max_iter=case["epochs"], tol=0, n_iter_no_change=np.inf, random_state=0)
    m.fit(Xtr, ytr, sample_weight=sample_weight)
    return m.score(Xte, yte)


def run_skphys(case, sample_weight=None):
    Xtr, ytr, Xte, yte = case["data"]
    m = MLPClassifier(case["hidden"], batch_size=case["batch"], learning_rate_init=1e-3,
                      max_iter=case["epochs"], tol=0, n_iter_no_change=np.inf, random_state=0,
                      device="cpu")
    return m.fit(Xtr, ytr, sample_weight=sample_weight).score(Xte, yte)


def _skorch(case, tuned):
    from skorch import NeuralNetClassifier

    from skphys.base import SliceBatches, TensorData

    Xtr, ytr, Xte, yte = case["data"]
    torch.manual_seed(0)
    extra = {}
    if tuned:
        extra = dict(dataset=TensorData, iterator_train=SliceBatches,
                     iterator_train__random_state=np.random.RandomState(0),
                     optimizer__fused=True)
    net = NeuralNetClassifier(
        MLP, module__n_inputs=Xtr.shape[1], module__hidden_layer_sizes=case["hidden"],
        module__n_outputs=10, criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, lr=1e-3, batch_size=case["batch"],
        max_epochs=case["epochs"], train_split=None, verbose=0,
        iterator_train__shuffle=True, **extra)
    if tuned:
        net.fit(torch.from_numpy(Xtr), torch.from_numpy(ytr.astype(np.int64)))
    else:
        net.fit(Xtr, ytr.astype(np.int64))
    with torch.no_grad():
        out = net.module_(torch.from_numpy(Xte)).argmax(1).numpy()
    return float((out == yte).mean())


def run_skorch(case):
    return _skorch(case, tuned=False)


def run_skorch_tuned(case):
    return _skorch(case, tuned=True)


def run_torch_loop(case):
    Xtr, ytr, Xte, yte = case["data"]
    torch.manual_seed(0)
    module = MLP(Xtr.shape[1], case["hidden"], 10)
    opt = torch.optim.Adam(module.parameters(), lr=1e-3, fused=True)
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    bs = case["batch"]
    for _ in range(case["epochs"]):
        perm = torch.randperm(len(X))
        Xp, yp = X[perm], y[perm]
        for i in range(0, len(X), bs):
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(module(Xp[i : i + bs]), yp[i : i + bs])
            loss.backward()
            opt.step()
            loss.item()
    with torch.no_grad():
        return float((module(torch.from_numpy(Xte)).argmax(1).numpy() == yte).mean())


def run_lbfgs(which):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    cls = SkMLP if which == "sklearn" else MLPClassifier
    kw = {} if which == "sklearn" else {"device": "cpu"}
    m = cls((64,), solver="lbfgs", max_iter=200, random_state=0, **kw).fit(Xtr, ytr)
    return m.score(Xte, yte)


# ---- timing ---------------------------------------------------------------------------------
def interleaved(contenders, repeats):
    """Warm each contender up once, then time ``repeats`` rounds of all of them in turn."""
    for fn in contenders.values():
        fn()
    times = {name: [] for name in contenders}
    acc = {}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            acc[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return times, acc


def rows_for(case_name, contenders, repeats, ref="sklearn MLPClassifier"):
    times, acc = interleaved(contenders, repeats)
    rows = []
    for name in contenders:
        med = statistics.median(times[name])
        rows.append({"case": case_name, "method": name, "median_s": med,
                     "min_s": min(times[name]), "max_s": max(times[name]),
                     "accuracy": acc[name], "peer ran": "yes"})
    base = statistics.median(times[ref])
    for r in rows:
        r["x_sklearn"] = r["median_s"] / base
    return rows


_MEMORY_CHILD = r"""
import os, resource, sys, time, warnings
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import numpy as np, psutil, torch
torch.set_num_threads(1)
warnings.simplefilter("ignore")
import sklearn.neural_network, skphys.neural_network
# both libraries loaded in both processes, and a warm-up fit of each on tiny data (what the
# first fit imports lazily, e.g. torch._dynamo for torch's optimisers): the same base memory
for lib, kw in ((sklearn.neural_network, {}), (skphys.neural_network, {"device": "cpu"})):
    lib.MLPRegressor(hidden_layer_sizes=(32,), max_iter=1, **kw).fit(np.ones((4, 100)),
                                                                      np.ones(4))
if sys.argv[1] == "sklearn":
    from sklearn.neural_network import MLPRegressor
    kw = {}
else:
    from skphys.neural_network import MLPRegressor
    kw = {"device": "cpu"}
rng = np.random.RandomState(0)
X = rng.standard_normal((1_000_000, 100))
y = X[:, :5].sum(1) + 0.1 * rng.standard_normal(len(X))
before = psutil.Process().memory_info().rss
m = MLPRegressor(hidden_layer_sizes=(32,), batch_size=200, max_iter=1, random_state=0, **kw)
t0 = time.perf_counter()
m.fit(X, y)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(f"{peak / 2**30:.3f} {before / 2**30:.3f} {dt:.3f}")
"""


def memory_rows():
    rows = []
    for name in ("sklearn", "skphys"):
        out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, name], capture_output=True,
                             text=True, check=True, cwd=Path(__file__).parent)
        peak, before, dt = map(float, out.stdout.split())
        rows.append({"case": "memory 1e6 x 100 float64, 1 epoch",
                     "method": f"{name} MLPRegressor", "median_s": dt, "peak_GB": peak,
                     "fit_extra_GB": peak - before, "peer ran": "yes"})
    ref = rows[0]
    for r in rows:
        r["x_sklearn_memory"] = r["peak_GB"] / ref["peak_GB"]
        r["x_sklearn"] = r["median_s"] / ref["median_s"]
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default="digits,mnist,lbfgs,weights,memory")
    args = parser.parse_args()
    cases = args.cases.split(",")
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("Protocol:\n" + PROTOCOL + "\n", flush=True)
    rows = []
    if "digits" in cases:
        case = digits_case()
        rows += rows_for("digits 51k, 64-128-10, 10 epochs", {
            "sklearn MLPClassifier": lambda: run_sklearn(case),
            "skorch NeuralNetClassifier (defaults)": lambda: run_skorch(case),
            "skorch NeuralNetClassifier (slicing iterator, fused Adam)":
                lambda: run_skorch_tuned(case),
            "torch loop (randperm slicing, fused Adam)": lambda: run_torch_loop(case),
            "skphys MLPClassifier": lambda: run_skphys(case),
        }, args.repeats)
    if "mnist" in cases:
        try:
            case = mnist_case()
        except (OSError, ValueError) as exc:
            print(f"WARNING: MNIST-10k not found under {DATA} ({exc}); mnist case skipped",
                  flush=True)
        else:
            rows += rows_for("MNIST-10k 8k/2k, 784-128-10, 5 epochs", {
                "sklearn MLPClassifier": lambda: run_sklearn(case),
                "skorch NeuralNetClassifier (slicing iterator, fused Adam)":
                    lambda: run_skorch_tuned(case),
                "skphys MLPClassifier": lambda: run_skphys(case),
            }, args.repeats)
    if "lbfgs" in cases:
        rows += rows_for("digits 1257/540, 64-64-10, L-BFGS 200 it", {
            "sklearn MLPClassifier": lambda: run_lbfgs("sklearn"),
            "skphys MLPClassifier": lambda: run_lbfgs("skphys"),
        }, args.repeats)
    if "weights" in cases:
        case = digits_case()
        w = np.random.RandomState(0).uniform(0.5, 2.0, len(case["data"][0]))
        rows += rows_for("digits 51k with sample_weight", {
            "sklearn MLPClassifier": lambda: run_sklearn(case, w),
            "skphys MLPClassifier": lambda: run_skphys(case, w),
        }, args.repeats)
    if "memory" in cases:
        rows += memory_rows()
    report("bench_mlp", rows,
           ["case", "method", "median_s", "min_s", "max_s", "x_sklearn", "accuracy", "peak_GB",
            "fit_extra_GB", "x_sklearn_memory", "peer ran"],
           {"repeats": args.repeats, "protocol": PROTOCOL,
            "targets": "skphys <= 1.0x sklearn's time at equal accuracy (digits, mnist); "
                       "peak memory <= 1.1x sklearn's"})
    summary = Path(__file__).parent / "results" / "bench_mlp.md"
    summary.write_text(_markdown(rows))


def _markdown(rows):
    lines = ["| case | method | median s | x sklearn | accuracy | peak GB |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        acc = f"{r['accuracy']:.3f}" if "accuracy" in r else ""
        peak = f"{r['peak_GB']:.2f}" if "peak_GB" in r else ""
        lines.append(f"| {r['case']} | {r['method']} | {r['median_s']:.2f} | "
                     f"{r['x_sklearn']:.2f} | {acc} | {peak} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

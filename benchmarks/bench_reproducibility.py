"""Bitwise reproducibility across processes: the same ``random_state`` in fresh interpreters.

Within one process a skphys fit with a given ``random_state`` is bit-identical every time
(scikit-learn's ``check_fit_idempotent`` in ``tests/test_common.py``). Across processes it
need not be: PyTorch's CPU matrix products go through MKL, whose kernels may round
differently from one run to the next (MKL's documentation ties this to memory alignment and
to the code path chosen at run time). A difference in the last bit is harmless in one step,
but a Monte Carlo fit amplifies it: the next draw of samples differs, and from there the
trajectory is a different one (statistically equivalent, not identical). MKL's "conditional
numerical reproducibility" removes this when it is set before Python starts:
``MKL_CBWR=COMPATIBLE,STRICT``.

Protocol (one thread per process; every run in a fresh interpreter with this Python):

1. VMC: ``RBMWavefunction`` on the Heisenberg ring of 8 projected on (k=0, spin flip -1),
   alpha=1, exact draws, 300 samples, 100 iterations, ``random_state=0``; the per-iteration
   energy curve of each process is compared with the first process's (``--runs`` processes).
2. MLP: ``skphys.neural_network.MLPClassifier`` (128,), 30 epochs on digits, ``random_state=0``;
   the peer: scikit-learn's ``MLPClassifier`` with the same settings (NumPy's BLAS); the
   fitted first-layer weights are compared bit for bit.
3. Each under MKL's default and under ``MKL_CBWR=COMPATIBLE,STRICT``; the cost of the setting
   is the time of a float32 and a float64 product (2000 x 784 by 784 x 256, median of 20).

Columns: ``distinct`` = number of different results among the runs (1 = bitwise
reproducible); ``first_diff`` = the earliest iteration at which a VMC curve left the first
run's.

    python benchmarks/bench_reproducibility.py [--runs 8]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _common import report

ROOT = Path(__file__).resolve().parents[1]
BASE_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

VMC = """
import json, hashlib, torch
torch.set_num_threads(1)
from skphys.quantum import Heisenberg, RBMWavefunction
est = RBMWavefunction(Heisenberg(8), alpha=1, sector={"momentum": 0, "spin_flip": -1},
                      sampler="exact", max_iter=100, n_samples=300, random_state=0).fit()
print(json.dumps({"curve": [float(e).hex() for e in est.loss_curve_]}))
"""

MLP = """
import json, hashlib, warnings, torch
warnings.simplefilter("ignore")
torch.set_num_threads(1)
import numpy as np
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = X / 16.0
if {peer}:
    from sklearn.neural_network import MLPClassifier
else:
    from skphys.neural_network import MLPClassifier
net = MLPClassifier(hidden_layer_sizes=(128,), max_iter=30, random_state=0).fit(X, y)
w = np.ascontiguousarray(net.coefs_[0], dtype=np.float64)
print(json.dumps({{"hash": hashlib.sha256(w.tobytes()).hexdigest()}}))
"""

MATMUL = """
import json, time, statistics, torch
torch.set_num_threads(1)
out = {}
for name, dtype in (("f32", torch.float32), ("f64", torch.float64)):
    a = torch.randn(2000, 784, dtype=dtype); b = torch.randn(784, 256, dtype=dtype)
    a @ b
    ts = []
    for _ in range(20):
        t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
    out[name] = statistics.median(ts)
print(json.dumps(out))
"""


def fresh(code, cbwr):
    env = dict(BASE_ENV)
    if cbwr:
        env["MKL_CBWR"] = cbwr
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_difference(curves):
    ref, firsts = curves[0], []
    for c in curves[1:]:
        diff = [i for i, (u, v) in enumerate(zip(ref, c)) if u != v]
        if diff:
            firsts.append(diff[0])
    return min(firsts) if firsts else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    rows = []
    for cbwr in (None, "COMPATIBLE,STRICT"):
        label = cbwr or "default"
        speed = fresh(MATMUL, cbwr)
        curves = [fresh(VMC, cbwr)["curve"] for _ in range(args.runs)]
        rows.append({"MKL_CBWR": label, "fit": "skphys VMC (100 it.)", "runs": args.runs,
                     "distinct": len({tuple(c) for c in curves}),
                     "first_diff": first_difference(curves),
                     "matmul_f32_ms": 1e3 * speed["f32"], "matmul_f64_ms": 1e3 * speed["f64"]})
        for peer, name in ((False, "skphys MLP (30 ep.)"), (True, "scikit-learn MLP (30 ep.)")):
            hashes = [fresh(MLP.format(peer=peer), cbwr)["hash"] for _ in range(args.runs)]
            rows.append({"MKL_CBWR": label, "fit": name, "runs": args.runs,
                         "distinct": len(set(hashes))})
        print(rows[-3:], flush=True)
    report("bench_reproducibility", rows,
           ["MKL_CBWR", "fit", "runs", "distinct", "first_diff", "matmul_f32_ms",
            "matmul_f64_ms"],
           {"protocol": __doc__.split("Protocol")[1].split("    python")[0].strip()})


if __name__ == "__main__":
    main()

"""Bitwise reproducibility across processes: the same ``random_state`` in fresh interpreters.

Within one process a skphys fit with a given ``random_state`` is bit-identical every time
(scikit-learn's ``check_fit_idempotent`` in ``tests/test_common.py``). Across processes it
need not be: a library routine that rounds differently from one run to the next (an MKL kernel
whose result depends on memory alignment or on uninitialised workspace) is harmless in one
step, but a Monte Carlo fit amplifies it: the next draw of samples differs, and from there the
trajectory is a different one (statistically equivalent, not identical). One such routine was
found and replaced: the least-squares fallback of the SR solve (``torch.linalg.lstsq``, whose
CPU default ``gelsy`` gave different last bits in different processes for the same singular
80 x 80 matrix) now uses ``gelsd``. MKL's "conditional numerical reproducibility"
(``MKL_CBWR=COMPATIBLE,STRICT``, set before Python starts) is the blanket remedy; this
benchmark measures whether it is still needed and what it costs.

Protocol (one thread per process; every run in a fresh interpreter with this Python):

1. VMC: ``RBMWavefunction`` on the Heisenberg ring of 8 projected on (k=0, spin flip -1),
   alpha=1, exact draws, 300 samples, 100 iterations (this fit hit the least-squares fallback
   4 times); tomography: ``RBMWavefunction`` by PCD on 3,000 snapshots of the W state of 10
   qubits, 20 epochs; t-VMC: ``TimeEvolution``, TFIM chain of 8 at h=1, Monte Carlo with 1,000
   samples, 50 steps of 0.01; all with ``random_state=0``.
2. MLP: ``skphys.neural_network.MLPClassifier`` (128,), 30 epochs on digits; the peer:
   scikit-learn's ``MLPClassifier`` with the same settings (NumPy's BLAS).
3. Each fit in ``--runs`` fresh processes, under MKL's default and under
   ``MKL_CBWR=COMPATIBLE,STRICT``; the cost of the setting is the time of a float32 and a
   float64 product (2000 x 784 by 784 x 256, median of 20).

Columns: ``distinct`` = number of different results among the runs (the per-iteration loss
curve, or the recorded observable, and the final weights, bit for bit; 1 = bitwise
reproducible); ``first_diff`` = the earliest iteration at which a run left the first run's.
Before the ``gelsd`` change, the VMC row read 3 distinct curves in 8 runs, the first
difference at iteration 62 (git history of this file's JSON).

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

HEAD = """
import json, hashlib, warnings, torch
import numpy as np
warnings.simplefilter("ignore")
torch.set_num_threads(1)
def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.float64).tobytes()).hexdigest()
"""

FITS = {
    "skphys VMC (100 it.)": """
from skphys.quantum import Heisenberg, RBMWavefunction
est = RBMWavefunction(Heisenberg(8), alpha=1, sector={"momentum": 0, "spin_flip": -1},
                      sampler="exact", max_iter=100, n_samples=300, random_state=0).fit()
curve = [float(e).hex() for e in est.loss_curve_] + [digest(est.components_)]
""",
    "skphys tomography, PCD (20 ep.)": """
from skphys.datasets import make_quantum_snapshots
from skphys.quantum import RBMWavefunction
X, _ = make_quantum_snapshots(3000, state="w", n_sites=10, random_state=0)
est = RBMWavefunction(max_iter=20, random_state=0).fit(X)
curve = [float(e).hex() for e in est.loss_curve_] + [digest(est.components_)]
""",
    "skphys t-VMC, Monte Carlo (50 steps)": """
from skphys.quantum import TimeEvolution, TransverseFieldIsing, magnetization
evo = TimeEvolution(TransverseFieldIsing(8, h=1.0), t_final=0.5, dt=0.01,
                    method="monte_carlo", n_samples=1000,
                    observables={"sx": magnetization(8)}, random_state=0).fit()
curve = [float(e).hex() for e in evo.trajectory_["sx"]]
""",
    "skphys MLP (30 ep.)": """
from sklearn.datasets import load_digits
from skphys.neural_network import MLPClassifier
X, y = load_digits(return_X_y=True)
net = MLPClassifier(hidden_layer_sizes=(128,), max_iter=30, random_state=0).fit(X / 16, y)
curve = [float(e).hex() for e in net.loss_curve_] + [digest(net.coefs_[0])]
""",
    "scikit-learn MLP (30 ep.)": """
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
X, y = load_digits(return_X_y=True)
net = MLPClassifier(hidden_layer_sizes=(128,), max_iter=30, random_state=0).fit(X / 16, y)
curve = [float(e).hex() for e in net.loss_curve_] + [digest(net.coefs_[0])]
""",
}
TAIL = """
print(json.dumps({"curve": curve}))
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
        for k, (name, code) in enumerate(FITS.items()):
            curves = [fresh(HEAD + code + TAIL, cbwr)["curve"] for _ in range(args.runs)]
            row = {"MKL_CBWR": label, "fit": name, "runs": args.runs,
                   "distinct": len({tuple(c) for c in curves}),
                   "first_diff": first_difference(curves)}
            if k == 0:
                row.update(matmul_f32_ms=1e3 * speed["f32"], matmul_f64_ms=1e3 * speed["f64"])
            rows.append(row)
            print(row, flush=True)
    report("bench_reproducibility", rows,
           ["MKL_CBWR", "fit", "runs", "distinct", "first_diff", "matmul_f32_ms",
            "matmul_f64_ms"],
           {"protocol": __doc__.split("Protocol")[1].split("    python")[0].strip()})


if __name__ == "__main__":
    main()

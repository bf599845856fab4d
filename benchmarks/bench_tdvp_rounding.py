"""TDVP: how much a trajectory depends on rounding (the CPU's kernel paths).

Protocol (one thread): the quench of ``TimeEvolution``'s docstring (transverse-field Ising
ring of 6 from the x-polarised state to h = 1, exact sums over the 2^6 configurations, RK4,
dt = 0.01, t = 0.5), for each ``rcond`` in ``--rcond``, run once in a fresh process for each
kernel path: PyTorch's vectorised kernels chosen by ``ATEN_CPU_CAPABILITY`` (``default``:
not vectorised, ``avx2``, ``avx512``; the machine's own when unset) and MKL's code path by
``MKL_CBWR`` (``COMPATIBLE``, ``AVX2``, ``AVX512``; unset: chosen by MKL). Printed: the
largest error of <sigma^x> against exact evolution (``exact_evolution``) on each path,
and their spread. The exact result is the same on every path; a trajectory that is well
conditioned gives the same error on every path to many digits. No peer: this is a
diagnosis (found when the docstring's 2e-3 failed on an AVX-512 machine with rcond 1e-6).

    python benchmarks/bench_tdvp_rounding.py [--rcond 1e-6 1e-5 1e-4]
"""

import argparse
import json
import os
import subprocess
import sys

from _common import report

ONE_RUN = """
import json, numpy as np, torch
torch.set_num_threads(1)
from skphys.quantum import TimeEvolution, TransverseFieldIsing, exact_evolution, magnetization
H, mx = TransverseFieldIsing(6, h=1.0), magnetization(6)
evo = TimeEvolution(H, t_final=0.5, dt=0.01, rcond={rcond!r},
                    observables={{"sigma_x": mx}}).fit()
_, (exact,), _ = exact_evolution(H, np.ones(2**6), evo.trajectory_["time"], [mx])
print(json.dumps(float(np.abs(evo.trajectory_["sigma_x"] - exact).max())))
"""

#: (ATEN_CPU_CAPABILITY, MKL_CBWR); None: unset
PATHS = [(None, None), ("default", None), ("avx2", None), ("avx512", None),
         (None, "COMPATIBLE"), (None, "AVX2"), (None, "AVX512")]


def error_on(path, rcond):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    for key, value in zip(("ATEN_CPU_CAPABILITY", "MKL_CBWR"), path):
        if value is not None:
            env[key] = value
    out = subprocess.run([sys.executable, "-c", ONE_RUN.format(rcond=rcond)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rcond", type=float, nargs="+", default=[1e-6, 1e-5, 1e-4])
    args = parser.parse_args()
    rows = []
    for rcond in args.rcond:
        errors = {f"{a or 'native'} / {m or 'auto'}": error_on((a, m), rcond)
                  for a, m in PATHS}
        values = list(errors.values())
        rows.append({"rcond": rcond, "smallest error": min(values),
                     "largest error": max(values),
                     "spread": max(values) - min(values),
                     "error by path (ATen / MKL)": errors})
        print(rows[-1], flush=True)
    report("bench_tdvp_rounding", rows, ["rcond", "smallest error", "largest error", "spread"],
           {"protocol": __doc__, "paths": [list(p) for p in PATHS]})


if __name__ == "__main__":
    main()

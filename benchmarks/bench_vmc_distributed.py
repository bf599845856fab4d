"""Variational Monte Carlo over several processes: throughput of 2 gloo processes against 1.

Protocol: ``examples/scaling/vmc_torchrun.py`` (RBMWavefunction on the transverse-field Ising
chain, ``--n-sites`` spins, h = 1, ``--n-samples`` samples per iteration in all,
``--max-iter`` iterations, random_state=0) launched by ``torchrun --standalone
--nproc_per_node=K`` for K = 1 and K = 2, one thread per process, ``--repeats`` runs of each
interleaved; the time is that of ``fit()`` (rank 0; the processes meet at every iteration),
the median of the runs. Throughput = samples x iterations / time. Target: K = 2 at least
1.7x K = 1, which needs two otherwise idle cores (the load average is printed: on a shared
machine the figure measures the load too). The CPU seconds of ``fit()``, summed over the
processes, do not depend on the load: "idle speed-up" = K x CPU(1) / CPU(K) is the speed-up
on K idle cores that this work would give, a prediction to check on a quiet machine. Peer: the same estimator in one process (NetKet
shards chains over MPI ranks or devices; not run here).

    python benchmarks/bench_vmc_distributed.py [--n-sites 20] [--n-samples 8000]
                                               [--max-iter 20] [--repeats 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import report

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "scaling" / "vmc_torchrun.py"


def run(k, args):
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        f"--nproc_per_node={k}", str(SCRIPT), "--n-sites", str(args.n_sites),
                        "--n-samples", str(args.n_samples), "--max-iter", str(args.max_iter),
                        "--out", out], check=True, capture_output=True, env=env, cwd=ROOT)
        records = [json.loads((Path(out) / f"rank_{r}.json").read_text()) for r in range(k)]
        return {**records[0], "cpu_seconds": sum(r["cpu_seconds"] for r in records)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-sites", type=int, default=20)
    ap.add_argument("--n-samples", type=int, default=8000)
    ap.add_argument("--max-iter", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    runs = {1: [], 2: []}
    for _ in range(args.repeats):
        for k in (1, 2):
            runs[k].append(run(k, args))
    load_after = os.getloadavg()[0]
    rows = []
    base = cpu_base = None
    for k in (1, 2):
        t = statistics.median(r["seconds"] for r in runs[k])
        rate = args.n_samples * args.max_iter / t
        base = base or rate
        cpu = statistics.median(r["cpu_seconds"] for r in runs[k])
        cpu_base = cpu_base or cpu
        rows.append({"processes": k, "fit seconds": t, "samples/s": rate,
                     "speed-up": rate / base, "CPU seconds": cpu,
                     # on k idle cores the fit takes (its CPU time) / k: the speed-up then
                     "idle speed-up": k * cpu_base / cpu, "target": "" if k == 1 else ">= 1.7",
                     "met": "" if k == 1 else ("yes" if rate / base >= 1.7 else "NO"),
                     "energy": runs[k][0]["energy"], "energy error": runs[k][0]["energy_error"],
                     "peer ran": "yes (1 process)"})
    print(f"load average before/after: {load_before:.2f} / {load_after:.2f} "
          f"on {os.cpu_count()} CPUs")
    report("vmc_distributed", rows,
           ["processes", "fit seconds", "samples/s", "speed-up", "target", "met", "CPU seconds",
            "idle speed-up", "energy",
            "energy error", "peer ran"],
           {"n_sites": args.n_sites, "n_samples": args.n_samples, "max_iter": args.max_iter,
            "repeats": args.repeats, "load_before": load_before, "load_after": load_after})


if __name__ == "__main__":
    main()

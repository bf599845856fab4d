"""
======================================================
Variational Monte Carlo on several processes: torchrun
======================================================

The same estimator, launched by torchrun (this script is not run by the documentation build,
which has one process; ``tests/quantum/test_distributed_vmc.py`` runs it with two)::

    torchrun --nproc_per_node=2 examples/scaling/vmc_torchrun.py [--n-sites 16] [--out DIR]

Every process runs this script. Once ``torch.distributed`` is initialised (gloo on CPUs, NCCL
on GPUs, one GPU per process through ``device="auto"`` and ``LOCAL_RANK``),
``RBMWavefunction.fit`` splits its samples and Markov chains over the processes, reduces the
energy, forces and S matrix over all of them, and takes the same step on every process.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from skphys.quantum import RBMWavefunction, TransverseFieldIsing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-sites", type=int, default=16)
    ap.add_argument("--n-samples", type=int, default=1008)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--out", type=Path, default=None, help="write rank_<k>.json here")
    args = ap.parse_args()
    torch.set_num_threads(1)

    # [start-vmc]
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    wf = RBMWavefunction(hamiltonian=TransverseFieldIsing(args.n_sites, h=1.0),
                         n_samples=args.n_samples, max_iter=args.max_iter, random_state=0)
    t0, c0 = time.perf_counter(), time.process_time()
    wf.fit()  # the samples of every process: n_samples in all
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    if dist.get_rank() == 0:
        print(f"{dist.get_world_size()} processes: E = {wf.energy_:.4f} "
              f"+- {wf.energy_error_:.4f} in {seconds:.1f} s")
    # [end-vmc]
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        params = np.concatenate([wf.intercept_visible_.ravel(), wf.intercept_hidden_.ravel(),
                                 wf.components_.ravel()])
        record = {"rank": dist.get_rank(), "world_size": dist.get_world_size(),
                  "energy": wf.energy_, "energy_error": wf.energy_error_,
                  "energy_curve": wf.energy_curve_, "seconds": seconds,
                  "cpu_seconds": cpu_seconds,
                  "params": [float(v) for v in np.asarray(params.real, dtype=np.float64)]}
        (args.out / f"rank_{dist.get_rank()}.json").write_text(json.dumps(record))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()

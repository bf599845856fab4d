"""Variational Monte Carlo over two gloo processes (torchrun) against one process.

The docs' script ``examples/scaling/vmc_torchrun.py`` runs under ``torchrun --standalone
--nproc_per_node=2``: each process draws half of the samples from its own chains, the energy,
forces and S matrix are all-reduced, and every process takes the same SR step. Checked: the
parameters (and the energy curve) are identical on both processes, and the energy agrees with
one process at the same total sample count and with exact diagonalisation.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from skphys.quantum import RBMWavefunction, TransverseFieldIsing, exact_ground_state
from skphys.quantum._distributed import LocalReduction, reduction

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "scaling" / "vmc_torchrun.py"
N, SAMPLES, ITERS = 12, 1008, 50


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available in this build of torch")
    out = tmp_path_factory.mktemp("vmc")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(SCRIPT), "--n-sites", str(N), "--n-samples", str(SAMPLES),
         "--max-iter", str(ITERS), "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "2 processes: E =" in run.stdout
    return [json.loads((out / f"rank_{k}.json").read_text()) for k in range(2)]


def test_every_process_holds_the_same_parameters(two_processes):
    r0, r1 = two_processes
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["params"] == r1["params"]  # bit for bit: one SR step for all
    assert r0["energy_curve"] == r1["energy_curve"]
    assert r0["energy"] == r1["energy"]


def test_two_processes_give_the_energy_of_one(two_processes):
    torch.set_num_threads(1)
    assert isinstance(reduction(), LocalReduction)  # no process group here: one process
    one = RBMWavefunction(hamiltonian=TransverseFieldIsing(N, h=1.0), n_samples=SAMPLES,
                          max_iter=ITERS, random_state=0).fit()
    two = two_processes[0]
    exact = exact_ground_state(TransverseFieldIsing(N, h=1.0)).energy
    # statistically identical: within 4 combined standard errors
    combined = math.hypot(one.energy_error_, two["energy_error"])
    assert abs(one.energy_ - two["energy"]) < 4 * combined
    # and both converged to the ground state (relative error 2e-3; error bars ~4e-4 here)
    for energy in (one.energy_, two["energy"]):
        assert abs(energy - exact) < 2e-3 * abs(exact)
    # the error bar of two processes is that of n_samples in all, not of half of them
    assert 0.6 < two["energy_error"] / one.energy_error_ < 1.6
    # the fits differ (independent samples), so the comparison is not trivial
    assert two["energy_curve"] != list(one.energy_curve_)
    assert np.isfinite(two["energy_curve"]).all()

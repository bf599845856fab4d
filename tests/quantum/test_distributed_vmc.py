"""Variational Monte Carlo over two gloo processes (torchrun) against one process.

The docs' script ``examples/scaling/vmc_torchrun.py`` runs under ``torchrun --standalone
--nproc_per_node=2``: each process draws half of the samples from its own chains, the energy,
forces and S matrix are all-reduced, and every process takes the same SR step. Checked: the
parameters (and the energy curve) are identical on both processes, and the energy agrees with
one process at the same total sample count and with exact diagonalisation.
"""

import itertools
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


def _rbm_batch(cplx, B=240, N=6, M=5, seed=0):
    from skphys.quantum import _rbm

    gen = torch.Generator().manual_seed(seed)
    dtype = torch.complex128 if cplx else torch.float64
    # RBMParams.init draws from torch's global generator: seed it here, so that the batch
    # does not depend on the tests run before (the solves' error scales with cond(S), which
    # ranged over 170-4,600 across draws: 2e-5 to 1e-4 of error against the 1e-4 bar)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        params = _rbm.RBMParams.init(N, M, 0.3, dtype, torch.device("cpu"))
    sigma = torch.randint(0, 2, (B, N), generator=gen).to(torch.float64) * 2 - 1
    th = _rbm.theta(params, sigma)
    t = torch.tanh(th)
    E = torch.randn(B, generator=gen, dtype=torch.float64) - 3.0
    if cplx:
        E = E + 0.3j * torch.randn(B, generator=gen, dtype=torch.float64)
    return params, sigma, th, t, E


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("shares", [(120, 120), (50, 90, 100)])
def test_one_all_reduce_gives_the_figures_of_all_samples(cplx, shares):
    # the buffers of K processes, summed as an all-reduce sums them, against the figures of
    # all the samples in one process: energy mean/variance, forces 2 <O* E>_c, S = <O* O>_c
    from skphys.quantum import _distributed, _rbm

    params, sigma, th, t, E = _rbm_batch(cplx)
    K, P = len(shares), params.n_visible + params.n_hidden + params.n_visible * params.n_hidden
    bounds = np.cumsum((0,) + shares)
    total = sum(_distributed.local_sums(params, sigma[a:b], th[a:b], t[a:b], E[a:b],
                                        frozen=(r == 1), rank=r, world_size=K, workspace={})
                for r, (a, b) in enumerate(itertools.pairwise(bounds)))
    frozen, n, mean, var, F, S = _distributed.from_sums(total, K, P)
    O = _rbm.log_derivatives(params, sigma, th)
    Oc = O - O.mean(0)
    Ec = (E if cplx else E.real) - (E if cplx else E.real).mean()
    assert frozen and n == len(E)
    assert mean == pytest.approx(float(E.real.mean()), rel=1e-12)
    assert var == pytest.approx(float(E.real.var()), rel=1e-10)
    F_all = 2 * (Oc.conj() if cplx else Oc).T @ Ec.to(O.dtype) / n
    S_all = (Oc.conj() if cplx else Oc).T @ Oc / n
    assert float((F - F_all).norm() / F_all.norm()) < 1e-12  # double precision throughout
    # S from single-precision local Gram matrices: float32 rounding, against O(1) errors for
    # a missed between-process term or conjugate
    assert float((S - S_all).norm() / S_all.norm()) < 1e-6
    # and the step: the solve in double precision of all the samples' system (single-
    # precision factor, one refinement: ~1e-5 at this shift, as one process's dense solve)
    ws = {"reduced": (F, S)}
    step = _distributed.natural_gradient(params, sigma, th, t, E, 0.01, ws, None)
    exact = torch.linalg.solve(S_all + 0.01 * torch.eye(P, dtype=S_all.dtype), F_all)
    one = _rbm.natural_gradient(params, sigma, th, t, E, 0.01, {}, solver="dense")
    assert float((one - exact).norm() / exact.norm()) < 1e-4
    assert float((step - exact).norm() / exact.norm()) < 1e-4


def test_lag_sweeps_from_s_match_the_reweighting_of_gaussian_samples():
    # the chains' extra sweeps after a step, from S (the same on every process), against the
    # effective sample size of samples reweighted by the step (one process's rule), on O
    # drawn Gaussian: where log-weights are Gaussian the two agree
    from skphys.quantum import _distributed, _vmc

    gen = torch.Generator().manual_seed(1)
    O = torch.randn(200000, 8, generator=gen, dtype=torch.float64)
    Oc = O - O.mean(0)
    S = Oc.T @ Oc / len(O)
    delta = torch.randn(8, generator=gen, dtype=torch.float64)
    for step in (0.01, 0.1, 0.2, 0.3):
        one = _vmc.lag_sweeps(Oc.float(), delta, step)
        every = _distributed.lag_sweeps(S, delta, step)
        assert abs(one - every) <= max(1, 0.1 * one), (step, one, every)
    assert _distributed.lag_sweeps(S, delta, 0.001) == 0
    assert _distributed.lag_sweeps(S, delta, 10.0) == 50

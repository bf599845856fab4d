"""Tomography 2 (issue 20), phases: the sampled gradient in rotated bases, the W state with
random local phases learned without exact sums."""

import numpy as np
import torch

from skphys.datasets._measurements import make_quantum_snapshots
from skphys.quantum import RBMWavefunction, _rbm


def phase_w(n, seed=1234):
    """The W state with random local phases: amplitudes on the full basis."""
    phases = np.random.RandomState(seed).uniform(0.0, 2.0 * np.pi, n)
    psi = np.zeros(2**n, complex)
    psi[2 ** np.arange(n)] = np.exp(1j * phases) / np.sqrt(n)
    return psi


def pair_bases(n):
    """Torlai's bases for the phases: Z, and X X or X Y on each neighbouring pair."""
    return ["Z" * n] + [("Z" * j + p + "Z" * n)[:n] for j in range(n - 1) for p in ("XX", "XY")]


def test_pcd_gradient_in_rotated_bases_matches_the_exact_gradient():
    # the gradient persistent contrastive divergence steps along, with snapshots in rotated
    # bases and complex parameters, against autograd of the exact negative log-likelihood
    # (normaliser summed over 2^5 states); and each rotated snapshot's likelihood against
    # the model's amplitude vector rotated into its basis
    from skphys.quantum._operators import rotate_state
    from skphys.quantum._state import log_norm
    from skphys.quantum._tomography import TomographyFit

    N = 5
    psi = phase_w(N, seed=1)
    X, b = make_quantum_snapshots(3000, state=psi, bases=pair_bases(N), random_state=0)
    sigma = torch.from_numpy(X)
    torch.manual_seed(0)
    est = RBMWavefunction(likelihood="pcd", init_std=0.3, n_samples=30000)
    fit = TomographyFit(est, sigma, b, torch.device("cpu"))
    assert fit.likelihood == "pcd" and fit.dtype == torch.complex128
    state = fit.initial_state()
    idx = torch.arange(len(X))
    g_pcd, _ = fit.gradient(state, idx)
    space = _rbm.Space(N, None, "cpu")
    with torch.enable_grad():
        nll = log_norm(state.params, "visible", space) - state.data.log_prob(state.params, idx)
        g_exact = torch.cat([g.reshape(-1) for g in torch.autograd.grad(nll, state.leaves)])
    err = torch.linalg.vector_norm(g_pcd - g_exact) / torch.linalg.vector_norm(g_exact)
    assert err < 0.04, float(err)  # Monte Carlo noise of 30000 chains: ~0.02
    # a wrong sign of the normaliser's term, or a data term scored in Z, is far off
    assert torch.linalg.vector_norm(g_exact) > 0.5
    # the data term: log |psi_b(sigma)|^2 of every basis against the rotated amplitude vector
    with torch.no_grad():
        amp = torch.exp(_rbm.log_psi(state.params, space.sigma)).numpy()
        for basis in np.unique(b):
            rows = np.flatnonzero(b == basis)[:50]
            codes = ((X[rows] > 0) * 2 ** np.arange(N)).sum(1)
            want = np.log(np.abs(rotate_state(amp, basis)[codes]) ** 2)
            got = state.data.groups[list(np.unique(b)).index(basis)].log_prob(
                state.params, torch.arange(len(rows))).numpy()
            # the group holds the basis' snapshots in their original order
            assert np.allclose(got, want), basis


def test_local_phase_model_learns_the_phase_w_state():
    # separate amplitude (a real RBM, from the Z snapshots first) and local phases (a global
    # search along one phase difference at a time, then L-BFGS): N=6, Z + 10 pair bases,
    # 1000 shots each. The joint complex RBM (phase_model="joint") stalls on wrong branches
    # of the periodic likelihood on such data (bench_quantum.py --only wphase, N=8).
    N = 6
    psi = phase_w(N)
    X, b = make_quantum_snapshots(1000 * (2 * N - 1), state=psi, bases=pair_bases(N),
                                  random_state=0)
    model = RBMWavefunction(phase_model="local", max_iter=100, random_state=0).fit(X, bases=b)
    assert model.likelihood_ == "exact"
    # published as a complex RBM whose visible biases alone carry the phases
    assert np.iscomplexobj(model.components_)
    assert np.all(model.components_.imag == 0) and np.all(model.intercept_hidden_.imag == 0)
    assert np.any(model.intercept_visible_.imag != 0)
    assert model.fidelity(psi) > 0.95


def test_local_phase_model_refuses_param_dtype():
    import pytest

    N = 4
    X, b = make_quantum_snapshots(700, state=phase_w(N), bases=pair_bases(N), random_state=0)
    with pytest.raises(ValueError, match="phase_model='local'"):
        RBMWavefunction(phase_model="local", param_dtype="complex", max_iter=2).fit(X, bases=b)
    rot = np.array([set(s) != {"Z"} for s in b])
    with pytest.raises(ValueError, match="measured in Z"):
        RBMWavefunction(phase_model="local", max_iter=2).fit(X[rot], bases=b[rot])


def test_local_phase_model_learns_the_marshall_sign():
    # the Heisenberg chain's ground state: positive amplitudes times the Marshall sign
    # (-1)^(up spins on one sublattice), a local phase of pi on every other site
    from skphys.quantum import Heisenberg, exact_ground_state

    N = 6
    gs = exact_ground_state(Heisenberg(N, pbc=False)).full()
    X, b = make_quantum_snapshots(1000 * (2 * N - 1), state=gs, bases=pair_bases(N),
                                  random_state=0)
    model = RBMWavefunction(phase_model="local", max_iter=200, random_state=0).fit(X, bases=b)
    phi = 2.0 * model.intercept_visible_.imag  # phase of an up spin on each site
    step = np.angle(np.exp(1j * np.diff(phi)))  # neighbours' phase differences in (-pi, pi]
    assert np.all(np.abs(np.abs(step) - np.pi) < 0.3), step
    # (the positive state |gs| has overlap ~1e-32 with gs: the sign is the whole answer)
    assert model.fidelity(gs) > 0.9


def test_mode_hunt_moves_chains_to_a_mode_they_miss():
    # one hidden unit with equal weights: |psi|^2 peaks at the two polarised configurations,
    # while every chain sits at magnetisation 0, where it is smallest
    from skphys.quantum._tomography import HUNT_SHARE, hunt_modes

    N, n = 10, 200
    params = _rbm.RBMParams(torch.zeros(N, dtype=torch.float64),
                            torch.zeros(1, dtype=torch.float64),
                            torch.full((1, N), 0.5, dtype=torch.float64))
    neel = torch.tensor([1.0, -1.0] * (N // 2), dtype=torch.float64)
    chains = _rbm.Chains(params, neel.repeat(n, 1))
    torch.manual_seed(0)
    moved = hunt_modes(params, chains)
    polarised = chains.sigma.sum(1).abs() == N
    assert moved == int(polarised.sum()) and 1 <= moved <= HUNT_SHARE * n
    assert torch.allclose(chains.theta, _rbm.theta(params, chains.sigma))
    # chains already at the modes: nothing to move
    assert hunt_modes(params, _rbm.Chains(params, torch.ones(n, N, dtype=torch.float64))) == 0

"""skphys.quantum: exact references, variational ground states, tomography, sampling."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from skphys.base import DivergenceError
from skphys.datasets._measurements import make_quantum_snapshots
from skphys.quantum import (
    ExactState,
    Heisenberg,
    PauliSum,
    RBMWavefunction,
    TransverseFieldIsing,
    codes_to_spins,
    exact_ground_state,
    sector_codes,
    spins_to_codes,
)
from skphys.quantum import _rbm


# ---------------------------------------------------------------------------------------
# Exact diagonalisation reproduces the reference energies (ANCHORS.md, Pauli convention)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("H, e0", [
    (Heisenberg(10), -18.061785418),
    (Heisenberg(16), -28.569185442),
    (TransverseFieldIsing(10, h=1.0), -12.784906443),
    (TransverseFieldIsing(10, h=1.0, pbc=False), -12.381490),
])
def test_exact_energies_match_references(H, e0):
    assert exact_ground_state(H).energy == pytest.approx(e0, abs=2e-6 if H.pbc is False else 1e-8)


def test_conventions_and_sectors():
    # spin-1/2 operators divide the Heisenberg energy by 4; the S^z = 0 sector holds the
    # ground state of the even antiferromagnetic ring, so the full space agrees
    full = exact_ground_state(Heisenberg(8), n_up=None).energy
    sector = exact_ground_state(Heisenberg(8)).energy
    spin = exact_ground_state(Heisenberg(8, convention="spin")).energy
    assert full == pytest.approx(sector, abs=1e-10)
    assert spin == pytest.approx(sector / 4, abs=1e-10)
    # TFIM in spin operators: -J/4 ZZ - h/2 X, i.e. the Pauli model with h -> 2h, over 4
    e_spin = exact_ground_state(TransverseFieldIsing(6, h=0.5, convention="spin")).energy
    e_pauli = exact_ground_state(TransverseFieldIsing(6, h=1.0)).energy
    assert e_spin == pytest.approx(e_pauli / 4, abs=1e-10)
    # 2x2 plaquette of the square lattice (open): 4 bonds, E0 = -8 (Pauli) for the 4-site ring
    assert exact_ground_state(Heisenberg((2, 2), pbc=False)).energy == pytest.approx(-8.0)


@pytest.mark.parametrize("H", [Heisenberg((2, 3), delta=0.5, pbc=False),
                               TransverseFieldIsing(5, h=0.7),
                               PauliSum(3, [(0.3, "XY", (0, 2)), (1.0, "Z", (1,)),
                                            (-0.5, "YY", (1, 2))])])
def test_connected_elements_match_sparse_matrix(H):
    M, codes = H.to_sparse()
    dense = M.toarray()
    assert np.allclose(dense, dense.conj().T)
    sigma = torch.from_numpy(codes_to_spins(codes, H.n_sites).astype(np.float64))
    conn, mel = H.connected(sigma)
    for row in range(len(codes)):
        rebuilt = np.zeros(len(codes), dtype=complex)
        cols = spins_to_codes(conn[row].numpy())
        np.add.at(rebuilt, cols, mel[row].numpy())
        assert np.allclose(rebuilt, dense[row])


# ---------------------------------------------------------------------------------------
# Variational ground states
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampler, expected", [("auto", "gibbs"), ("local", "local")])
def test_tfim_chain_ground_state(sampler, expected):
    H = TransverseFieldIsing(8, h=1.0)
    e0 = exact_ground_state(H).energy
    psi = RBMWavefunction(hamiltonian=H, n_samples=500, max_iter=200, sampler=sampler,
                          random_state=0).fit()
    assert psi.sampler_ == expected and not np.iscomplexobj(psi.components_)
    e = psi.expectation(H)  # exact sum over 2^8 states: no Monte Carlo noise
    assert (e - e0) / abs(e0) < 1e-3
    assert abs(psi.energy_ - e) < 5 * psi.energy_error_ + 1e-3
    assert len(psi.energy_curve_) == psi.n_iter_ == 200


def test_heisenberg_ring_ground_state_with_marshall_sign():
    H = Heisenberg(10)
    gs = exact_ground_state(H)
    psi = RBMWavefunction(hamiltonian=H, n_samples=500, max_iter=250, random_state=0).fit()
    assert psi.marshall_sign_ and psi.sampler_ == "exchange" and psi.n_up_ == 5
    e = psi.expectation(H)
    assert (e - gs.energy) / abs(gs.energy) < 2e-3
    # the Marshall sign gives the amplitudes the signs of the exact state
    assert psi.fidelity(gs) > 0.99
    assert psi.energy_variance_ < 0.5


def test_exact_sampler_and_complex_parameters():
    H = TransverseFieldIsing(6, h=1.0)
    e0 = exact_ground_state(H).energy
    psi = RBMWavefunction(hamiltonian=H, sampler="exact", param_dtype="complex", n_samples=400,
                          max_iter=150, random_state=1).fit()
    assert np.iscomplexobj(psi.components_)
    assert (psi.expectation(H) - e0) / abs(e0) < 2e-3


def test_learning_rate_schedule():
    H = TransverseFieldIsing(6, h=1.0)
    kw = dict(hamiltonian=H, n_samples=300, max_iter=40, random_state=0)
    seen = []

    def constant(it):
        seen.append(it)
        return 0.05

    # a schedule is called once per iteration, from 0, and a constant one is the constant rate
    a = RBMWavefunction(learning_rate=constant, **kw).fit()
    b = RBMWavefunction(learning_rate=0.05, **kw).fit()
    assert seen == list(range(40))
    assert np.array_equal(a.components_, b.components_)
    # a decaying schedule reaches the ground state
    e0 = exact_ground_state(H).energy
    c = RBMWavefunction(learning_rate=lambda it: 0.1 / (1 + it / 50),
                        **{**kw, "max_iter": 150}).fit()
    assert (c.expectation(H) - e0) / abs(e0) < 2e-3
    with pytest.raises(ValueError, match="schedule returned"):
        RBMWavefunction(learning_rate=lambda it: 0.05 - 0.01 * it, **kw).fit()
    # tomography (Adam) follows the schedule too
    X, _ = make_quantum_snapshots(500, n_sites=4, random_state=0)
    t1 = RBMWavefunction(learning_rate=lambda it: 0.05, max_iter=20, random_state=0).fit(X)
    t2 = RBMWavefunction(learning_rate=0.05, max_iter=20, random_state=0).fit(X)
    assert np.allclose(t1.components_, t2.components_)


def test_gibbs_sampler_needs_real_parameters():
    est = RBMWavefunction(hamiltonian=TransverseFieldIsing(4), sampler="gibbs",
                          param_dtype="complex", max_iter=2)
    with pytest.raises(ValueError, match="gibbs"):
        est.fit()


def test_chains_get_extra_sweeps_after_large_steps():
    from skphys.quantum._vmc import lag_sweeps as _lag_sweeps

    rng = np.random.default_rng(0)
    Oc = torch.from_numpy(rng.normal(size=(1000, 30)))
    Oc -= Oc.mean(0)
    delta = torch.from_numpy(rng.normal(size=30))
    # a tiny step leaves |psi|^2 where the chains are; larger ones move it further, capped
    extras = [_lag_sweeps(Oc, delta, step) for step in (1e-4, 0.05, 0.2, 100.0)]
    assert extras[0] == 0
    assert 0 < extras[1] < extras[2] <= extras[3] == 50


def test_divergence_guard_keeps_last_good_parameters():
    H = Heisenberg(6)
    est = RBMWavefunction(hamiltonian=H, marshall_sign=False, param_dtype="real",
                          learning_rate=1e4, diag_shift=0.0, n_samples=100, max_iter=50,
                          random_state=0)
    with pytest.raises(DivergenceError, match="diverged"):
        est.fit()
    assert np.all(np.isfinite(est.components_))
    assert math.isfinite(est.energy_curve_[0])


# ---------------------------------------------------------------------------------------
# Tomography
# ---------------------------------------------------------------------------------------
def test_tomography_tfim_fidelity():
    X, bases, state = make_quantum_snapshots(10000, n_sites=6, return_state=True,
                                             random_state=0)
    model = RBMWavefunction(max_iter=150, random_state=0).fit(X)
    assert model.likelihood_ == "exact"
    assert model.fidelity(state) >= 0.98
    # the density-model contract: normalised log-probabilities, score = mean log-likelihood
    all_conf = codes_to_spins(np.arange(64), 6).astype(float)
    assert np.exp(model.score_samples(all_conf)).sum() == pytest.approx(1.0)
    assert model.score(X) == pytest.approx(model.score_samples(X).mean())
    assert model.loss_curve_[-1] == pytest.approx(-model.score(X), rel=1e-3)
    # 0/1 data read the same as -1/+1 data
    assert np.allclose(model.score_samples((X > 0).astype(float)), model.score_samples(X))


def test_tomography_complex_state_from_several_bases():
    # TFIM ground state with a phase exp(i phi_j) on each up spin: needs X/Y measurements
    n = 4
    gs = exact_ground_state(TransverseFieldIsing(n, h=1.0, pbc=False))
    phases = np.array([0.0, 0.7, -1.1, 2.0])
    conf = codes_to_spins(gs.codes, n)
    target = gs.psi * np.exp(1j * ((conf > 0) * phases).sum(1))
    bases = ["Z" * n] + [("Z" * j + p + "Z" * n)[:n] for j in range(n - 1)
                         for p in ("XX", "XY", "YX", "YY")]
    X, b = make_quantum_snapshots(10000, state=target, bases=bases, random_state=0)
    model = RBMWavefunction(max_iter=100, learning_rate=0.1, random_state=0).fit(X, bases=b)
    assert np.iscomplexobj(model.components_)
    assert model.fidelity(target) > 0.95
    # a positive (Z-only) model cannot see the phases
    positive = RBMWavefunction(max_iter=100, random_state=0).fit(X[b == "Z" * n])
    assert positive.fidelity(target) < model.fidelity(target) - 0.1


def test_tomography_ghz_50_spins_hidden_layer_normaliser():
    # 2^50 states are out of reach, but one hidden unit gives a 3-term normaliser
    X, _ = make_quantum_snapshots(2000, state="ghz", n_sites=50, random_state=0)
    model = RBMWavefunction(alpha=0.02, learning_rate=0.1, max_iter=300, random_state=0).fit(X)
    assert model.n_hidden_ == 1 and model.likelihood_ == "exact"
    ends = np.array([np.ones(50), -np.ones(50)])
    p = np.exp(model.score_samples(ends))
    fid = np.sum(np.sqrt(0.5 * p)) ** 2
    assert fid > 0.95


def test_tomography_w_state_50_spins_in_its_sector():
    # every snapshot of the W state has one spin up: restricted to that sector (50 states) the
    # likelihood is exact although 2^50 states are out of reach
    N = 50
    X, _ = make_quantum_snapshots(10000, state="w", n_sites=N, random_state=0)
    model = RBMWavefunction(n_up=1, max_iter=100, random_state=0).fit(X)
    assert model.likelihood_ == "exact" and model.n_up_ == 1
    w_state = ExactState(energy=0.0, psi=np.full(N, N**-0.5), codes=sector_codes(N, 1),
                         n_sites=N)
    assert model.fidelity(w_state) > 0.99
    assert model.score(X) == pytest.approx(-np.log(N), abs=0.02)
    assert model.score_samples(-np.ones((1, N)))[0] == -np.inf  # outside the sector
    S = model.sample(500, random_state=0)
    assert np.all((S > 0).sum(1) == 1)
    # the sector is checked against the data, and cannot hold rotated-basis snapshots
    with pytest.raises(ValueError, match="another number of spins up"):
        RBMWavefunction(n_up=2, max_iter=2).fit(X)
    with pytest.raises(ValueError, match="rotated bases"):
        RBMWavefunction(n_up=1, max_iter=2).fit(X, bases=["X" + "Z" * (N - 1)] * len(X))


def test_ground_state_in_another_magnetisation_sector():
    # the lowest state with S^z_total = 1 (6 of 10 spins up): the sector's exact energy
    H = Heisenberg(10)
    exact = exact_ground_state(H, n_up=6)
    psi = RBMWavefunction(hamiltonian=H, n_up=6, n_samples=500, max_iter=250,
                          random_state=0).fit()
    assert psi.n_up_ == 6 and psi.sampler_ == "exchange"
    assert (psi.expectation(H) - exact.energy) / abs(exact.energy) < 2e-3
    assert exact.energy > exact_ground_state(H).energy  # a different (excited) state
    with pytest.raises(ValueError, match="conserves"):
        RBMWavefunction(hamiltonian=TransverseFieldIsing(6), n_up=3, max_iter=2).fit()
    with pytest.raises(ValueError, match="leaves the n_up sector"):
        RBMWavefunction(hamiltonian=H, n_up=6, sampler="local", max_iter=2).fit()
    with pytest.raises(ValueError, match="choose one with n_up"):
        RBMWavefunction(hamiltonian=H, n_up=None, sampler="exchange", max_iter=2).fit()
    # n_up=None: the full space (block Gibbs for real parameters)
    full = RBMWavefunction(hamiltonian=Heisenberg(4), n_up=None, max_iter=2).fit()
    assert full.n_up_ is None and full.sampler_ == "gibbs"


def test_hidden_layer_normaliser_equals_full_sum():
    torch.manual_seed(0)
    params = _rbm.RBMParams.init(8, 3, 0.5, torch.float64, "cpu")
    space = _rbm.Space(8, None, "cpu")
    full = torch.logsumexp(2 * _rbm.log_psi(params, space.sigma), 0)
    assert float(_rbm.log_norm_hidden(params)) == pytest.approx(float(full), abs=1e-10)


def test_pcd_tomography_small_system():
    # 15 epochs of 40 steps: F measured 0.994 (0.993 after 30); the product state of the
    # data's marginals has F = 0.68
    X, _, state = make_quantum_snapshots(4000, n_sites=6, return_state=True, random_state=1)
    model = RBMWavefunction(likelihood="pcd", n_samples=200, batch_size=100, n_sweeps=2,
                            max_iter=15, learning_rate=0.01, random_state=0).fit(X)
    assert model.likelihood_ == "pcd"
    assert model.fidelity(state) > 0.97


# ---------------------------------------------------------------------------------------
# Sampling agrees with |psi|^2
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampler, dtype", [("local", torch.float64),
                                            ("exchange", torch.float64),
                                            ("local", torch.complex128),
                                            ("gibbs", torch.float64)])
def test_samplers_follow_psi_squared(sampler, dtype):
    torch.manual_seed(0)
    n = 6
    params = _rbm.RBMParams.init(n, 6, 0.4, dtype, "cpu")
    n_up = 3 if sampler == "exchange" else None
    space = _rbm.Space(n, n_up, "cpu")
    p = torch.softmax(2 * _rbm.log_psi(params, space.sigma).real, 0).numpy()
    # independent chains, one sample each after a long run: the samples are independent.
    # (A block-Gibbs step is a few times cheaper than a Metropolis sweep, and mixes slower
    # between the modes of these strong random couplings: it gets more steps.)
    chains = _rbm.Chains.random(params, 8000, n, n_up, "cpu")
    _rbm.advance(params, chains, 200 if sampler == "gibbs" else 40, sampler)
    lookup = {c: k for k, c in enumerate(space.codes)}
    counts = np.zeros(len(space))
    for c in spins_to_codes(chains.sigma.numpy()):
        counts[lookup[c]] += 1
    assert chisquare(counts, p * counts.sum()).pvalue > 1e-3
    # a wrong acceptance rule (here: |psi| instead of |psi|^2) is rejected by the same test
    q = torch.softmax(_rbm.log_psi(params, space.sigma).real, 0).numpy()
    assert chisquare(counts, q * counts.sum()).pvalue < 1e-6
    # the cached tanh(theta) stays exact after the incremental updates
    assert torch.allclose(chains.t, torch.tanh(_rbm.theta(params, chains.sigma)))


def test_sample_method_follows_model():
    X, _ = make_quantum_snapshots(3000, n_sites=5, random_state=0)
    model = RBMWavefunction(max_iter=100, random_state=0).fit(X)
    S = model.sample(20000, random_state=0)
    codes = spins_to_codes(S)
    counts = np.bincount(codes, minlength=32)
    p = np.exp(model.score_samples(codes_to_spins(np.arange(32), 5).astype(float)))
    assert chisquare(counts, p * counts.sum()).pvalue > 1e-3


def test_local_energy_exact_for_eigenstate_sign_structure():
    # local energies through the tanh-cached ratios equal those of the dense matrix
    torch.manual_seed(0)
    H = Heisenberg(6)
    params = _rbm.RBMParams.init(6, 4, 0.3, torch.complex128, "cpu")
    space = _rbm.Space(6, 3, "cpu")
    th = _rbm.theta(params, space.sigma)
    E = _rbm.local_energy(H, params, space.sigma, th, torch.tanh(th)).numpy()
    M, codes = H.to_sparse(n_up=3)
    psi = np.exp(_rbm.log_psi(params, space.sigma).numpy())
    assert np.allclose(E, (M @ psi) / psi)


def test_sr_update_follows_netket_convention():
    # (S + diag_shift I) delta = 2 Re <O* E>_c with S = <O* O>_c, shift unscaled (NetKet's SR):
    # a learning rate means the same step in both codes
    rng = np.random.default_rng(0)
    O = torch.from_numpy(rng.normal(size=(400, 12)) + 3.0)
    E = torch.from_numpy(rng.normal(size=400) - 5.0 + 0.5j * rng.normal(size=400))
    Oc = O.numpy() - O.numpy().mean(0)
    Ec = E.numpy() - E.numpy().mean()
    S = Oc.T @ Oc / 400 + 0.01 * np.eye(12)
    expected = np.linalg.solve(S, 2.0 * (Oc.T @ Ec).real / 400)
    assert np.allclose(_rbm.sr_update(O, E, 0.01).numpy(), expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_natural_gradient_equals_sr_update(dtype):
    # the fitting loop's SR step (forces from the factors of O, S from a single-precision O
    # with a refined solve) is the textbook one, for real and complex parameters
    torch.manual_seed(0)
    H = TransverseFieldIsing(8, h=1.0)
    params = _rbm.RBMParams.init(8, 8, 0.3, dtype, "cpu")
    chains = _rbm.Chains.random(params, 500, 8, None, "cpu")
    _rbm.advance(params, chains, 5, "local")
    E = _rbm.local_energy(H, params, chains.sigma, chains.theta, chains.t)
    O = _rbm.log_derivatives(params, chains.sigma, chains.theta)
    ws = {}
    fast = _rbm.natural_gradient(params, chains.sigma, chains.theta, chains.t, E, 0.01, ws)
    # the textbook step in double precision throughout
    Oc = O - O.mean(0)
    Ec = E - E.mean()
    if dtype.is_complex:
        S, F = Oc.conj().T @ Oc / 500, 2 * Oc.conj().T @ Ec / 500
    else:
        S, F = Oc.T @ Oc / 500, 2 * Oc.T @ Ec.real / 500
    expected = torch.linalg.solve(S + 0.01 * torch.eye(len(S), dtype=dtype), F)
    # S is formed in single precision: relative errors ~1e-4 at this conditioning, far below
    # its Monte Carlo error (~1/sqrt(500)); a wrong factor, sign, order or conjugate is O(1)
    for got in (fast, _rbm.sr_update(O, E, 0.01)):
        assert float((got - expected).norm() / expected.norm()) < 1e-3
    # the workspace buffer is reused by the next call
    buf = ws["O"]
    _rbm.natural_gradient(params, chains.sigma, chains.theta, chains.t, E, 0.01, ws)
    assert ws["O"] is buf

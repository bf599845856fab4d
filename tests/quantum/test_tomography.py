"""Tomography 2: the W state over the full space, the exchange move, Rényi-2 entropies."""

import math

import numpy as np
import pytest
import torch

from skphys.datasets._measurements import make_quantum_snapshots
from skphys.quantum import (
    ExactState,
    RBMWavefunction,
    _rbm,
    exact_renyi_entropy,
    sector_codes,
)


def w_state(n):
    return ExactState(energy=0.0, psi=np.full(n, n**-0.5), codes=sector_codes(n, 1), n_sites=n)


# ---------------------------------------------------------------------------------------
# The W state of 20 spins from Z snapshots, without telling the estimator its sector
# ---------------------------------------------------------------------------------------
def test_w_state_20_spins_over_the_full_space():
    # issue 20: F was 0.36 (PCD, default) and 0.39 (exact likelihood): the fit sat at the
    # product state of the marginals (its fidelity with W is (1 - 1/N)^(N-1) = 0.377).
    # 20 epochs: F and the one-up weight measured 0.978 (25: 0.983, 30: 0.988)
    N = 20
    X, _ = make_quantum_snapshots(10000, state="w", n_sites=N, random_state=0)
    model = RBMWavefunction(max_iter=20, random_state=0).fit(X)
    assert model.likelihood_ == "pcd" and model.n_up_ is None
    exact = model.fidelity(w_state(N))  # a sum over the 2^20 states
    assert exact >= 0.95
    # the normalised model puts its weight on the one-up configurations (2^20 states summed)
    one_up = 2.0 * np.eye(N) - 1.0
    assert np.exp(model.score_samples(one_up)).sum() >= 0.95
    # the fidelity without the normaliser (how it is computed for N=50): exact within the
    # one-up sector, times the sampled weight of the sector; against the exact 2^20 sum
    f, err = model.fidelity(w_state(N), n_samples=20000, random_state=0, return_error=True)
    assert 0 < err < 0.01 and abs(f - exact) < 4 * err, (f, err, exact)


def test_free_exchange_samples_psi_squared_within_each_magnetisation():
    # chains of every magnetisation at once; exchange moves keep it, so each sector's
    # histogram must follow |psi|^2 restricted to that sector
    N = 6
    torch.manual_seed(0)
    codes = np.arange(2**N)
    ups = np.array([bin(c).count("1") for c in codes])
    space = _rbm.Space(N, None, "cpu")
    for dtype in (torch.float64, torch.complex128):
        params = _rbm.RBMParams.init(N, 4, 0.5, dtype, "cpu")
        prob = torch.softmax(2.0 * _rbm.log_psi(params, space.sigma).real, 0).numpy()
        chains = _rbm.Chains.random(params, 20000, N, None, "cpu")
        start = (chains.sigma > 0).sum(1).clone()
        rate = _rbm.free_exchange(params, chains, 30 * N)
        assert 0.05 < rate < 1.0
        assert torch.equal((chains.sigma > 0).sum(1), start)  # magnetisation kept
        got = ((chains.sigma > 0).long() * (2 ** torch.arange(N))).sum(1).numpy()
        hist = np.bincount(got, minlength=2**N) / len(got)
        for k in range(1, N):  # sectors with more than one state
            m = ups == k
            q, e = prob[m] / prob[m].sum(), hist[m] / hist[m].sum()
            assert 0.5 * np.abs(q - e).sum() < 0.03, (dtype, k)
        # the theta cache is consistent with the configurations
        assert torch.allclose(chains.theta, _rbm.theta(params, chains.sigma))


def test_natural_gradient_refuses_minsr():
    X, _ = make_quantum_snapshots(200, state="w", n_sites=20, random_state=0)
    with pytest.raises(ValueError, match="minsr"):
        RBMWavefunction(solver="minsr", max_iter=1).fit(X)
    # the exact likelihood takes no natural-gradient settings
    with pytest.raises(ValueError, match="diag_shift"):
        RBMWavefunction(diag_shift=0.1, max_iter=1).fit(X[:, :6])


# ---------------------------------------------------------------------------------------
# Rényi-2 entropy
# ---------------------------------------------------------------------------------------
def test_exact_renyi_entropy_closed_forms():
    bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    assert exact_renyi_entropy(bell, 1) == pytest.approx(math.log(2))
    product = np.kron([0.6, 0.8], [1.0, 0.0])
    assert exact_renyi_entropy(product, 1) == pytest.approx(0.0, abs=1e-12)
    N = 8
    ghz = np.zeros(2**N)
    ghz[[0, -1]] = 2**-0.5
    for k in range(1, N):
        assert exact_renyi_entropy(ghz, k) == pytest.approx(math.log(2))
    # W state: Tr rho_A^2 = (k/N)^2 + ((N-k)/N)^2 for any k sites, contiguous or not
    w = w_state(N)
    for sites in (3, [0, 5], [1, 2, 6, 7]):
        k = sites if isinstance(sites, int) else len(sites)
        expect = -math.log((k / N) ** 2 + ((N - k) / N) ** 2)
        assert exact_renyi_entropy(w, sites) == pytest.approx(expect)
    assert exact_renyi_entropy(w, 0) == 0.0 and exact_renyi_entropy(w, N) == 0.0
    with pytest.raises(ValueError, match="cut position"):
        exact_renyi_entropy(w, N + 1)
    with pytest.raises(ValueError, match="distinct"):
        exact_renyi_entropy(w, [1, 1])
    with pytest.raises(ValueError, match=r"in \[0, 7\]"):
        exact_renyi_entropy(w, [8])


def test_renyi_entropy_of_tfim_tomography_10_spins():
    # the TFIM chain's ground state learned from 10^4 Z snapshots; S_2 of every cut by the
    # swap estimator against the exact value from the ED state's Schmidt values
    X, _, state = make_quantum_snapshots(10000, n_sites=10, return_state=True,
                                         random_state=0)
    model = RBMWavefunction(max_iter=300, random_state=0).fit(X)
    for k in range(1, 10):
        exact = exact_renyi_entropy(state, k)
        s2, err = model.renyi_entropy(k, n_samples=20000, random_state=k, return_error=True)
        assert abs(s2 - exact) <= 0.02, (k, s2, exact)
        # the estimator itself: within 4 standard errors of the model's own exact value
        own = model.renyi_entropy(k)
        assert abs(s2 - own) < 4 * err + 1e-3, (k, s2, own, err)
        assert 0 < err < 0.01
    # the model's exact value is its amplitude vector's Schmidt spectrum
    psi = np.exp(model.log_psi(np.array([[1 if (c >> j) & 1 else -1 for j in range(10)]
                                         for c in range(2**10)])))
    assert model.renyi_entropy([0, 3, 4]) == pytest.approx(exact_renyi_entropy(psi, [0, 3, 4]))
    with pytest.raises(ValueError, match="n_samples"):
        model.renyi_entropy(5, n_samples=1)
    with pytest.raises(ValueError, match="cut position"):
        model.renyi_entropy(11)


def test_pcd_learns_phases_from_rotated_bases():
    # the restriction "several bases need likelihood='exact'" is lifted: the data term of
    # each rotated snapshot sums 2^k amplitudes, the normaliser's gradient comes from the
    # same persistent chains as for Z snapshots
    from skphys.quantum import TransverseFieldIsing, codes_to_spins, exact_ground_state

    n = 4
    gs = exact_ground_state(TransverseFieldIsing(n, h=1.0, pbc=False))
    conf = codes_to_spins(gs.codes, n)
    target = gs.psi * np.exp(1j * ((conf > 0) * np.array([0.0, 0.7, -1.1, 2.0])).sum(1))
    bases = ["Z" * n] + [("Z" * j + p + "Z" * n)[:n] for j in range(n - 1)
                         for p in ("XX", "XY", "YX", "YY")]
    X, b = make_quantum_snapshots(10000, state=target, bases=bases, random_state=0)
    model = RBMWavefunction(likelihood="pcd", max_iter=20, random_state=0).fit(X, bases=b)
    assert model.likelihood_ == "pcd" and np.iscomplexobj(model.components_)
    assert model.fidelity(target) > 0.9


def test_renyi_entropy_display():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skphys.plotting import RenyiEntropyDisplay

    X, _, state = make_quantum_snapshots(2000, n_sites=6, return_state=True, random_state=0)
    model = RBMWavefunction(max_iter=100, random_state=0).fit(X)
    disp = RenyiEntropyDisplay.from_estimator(model, cuts=[1, 3], n_samples=2000,
                                              random_state=0, reference=state)
    assert disp.cuts.tolist() == [1, 3]
    assert disp.reference == pytest.approx([exact_renyi_entropy(state, 1),
                                            exact_renyi_entropy(state, 3)])
    assert np.all(disp.errors > 0)
    assert np.abs(disp.entropies - disp.reference).max() < 0.05
    exact = RenyiEntropyDisplay.from_estimator(model)  # exact: no error bars needed
    assert exact.cuts.tolist() == [1, 2, 3, 4, 5] and np.all(exact.errors == 0)
    assert exact.entropies[2] == pytest.approx(model.renyi_entropy(3))
    assert exact.ax_.get_xlabel().startswith("cut position")


def test_permutation_symmetric_rbm_cannot_concentrate_on_one_up():
    # why the W state needs the fit to break the sites' permutation symmetry (and why N=50
    # stalls near it): with weights and biases equal on every site, log psi is a convex
    # function of the magnetisation, so 2 log psi(1 up) <= log psi(0 up) + log psi(2 up), and
    # the sector weights obey P0 P2 / P1^2 >= C(N, 2) / N^2 = (N - 1) / (2 N), so that
    # P1 <= 1 / (1 + 2 sqrt((N - 1) / (2 N))): 0.43 at N=10, 1 / (1 + sqrt 2) = 0.41 for large N
    N = 10
    space = _rbm.Space(N, None, "cpu")
    ups = (space.sigma > 0).sum(1).numpy()
    rng = np.random.RandomState(0)
    worst = np.inf
    bound = 1.0 / (1.0 + 2.0 * math.sqrt((N - 1) / (2 * N)))
    for _ in range(100):
        M = rng.randint(1, 6)
        a = torch.full((N,), rng.normal(scale=2.0), dtype=torch.float64)
        b = torch.as_tensor(rng.normal(scale=3.0, size=M))
        W = torch.as_tensor(np.repeat(rng.normal(scale=2.0, size=(M, 1)), N, axis=1))
        prob = torch.softmax(2.0 * _rbm.log_psi(_rbm.RBMParams(a, b, W), space.sigma), 0)
        P = np.bincount(ups, weights=prob.numpy(), minlength=N + 1)
        worst = min(worst, P[0] * P[2] / P[1] ** 2)
        assert P[1] <= bound + 1e-12
    assert worst >= (N - 1) / (2 * N) * (1 - 1e-9)

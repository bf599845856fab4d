"""Symmetric RBMs and symmetry sectors against exact diagonalisation."""

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import eigsh

from skphys.quantum import (
    ExactState,
    Heisenberg,
    RBMWavefunction,
    _rbm,
    codes_to_spins,
    exact_ground_state,
    spins_to_codes,
)
from skphys.quantum._symmetric import SymmetricRBMParams, SymmetryGroup


def sector_ground_state(H, momentum=None, parity=None):
    """Lowest eigenpair of ``H`` (S^z_total = 0) among states with ``psi(T_r sigma) =
    exp(2 pi i k r / L) psi(sigma)`` and ``psi(-sigma) = parity psi(sigma)`` (a chain)."""
    M, codes = H.to_sparse(n_up=H.n_sites // 2)
    spins = codes_to_spins(codes, H.n_sites)
    group = SymmetryGroup((H.n_sites,), translations=momentum is not None,
                          spin_flip=parity is not None)
    chi = group.characters(momentum, parity)
    P = np.zeros((len(codes), len(codes)), dtype=complex)
    for g, (perm, sign) in enumerate(zip(group.perms, group.signs)):
        img = np.searchsorted(codes, spins_to_codes(sign * spins[:, perm]))
        # (P psi)(s) = mean_g chi_g^* psi(g s)
        P[np.arange(len(codes)), img] += np.conj(chi[g]) / len(group)
    w, v = np.linalg.eigh((P + P.conj().T) / 2)
    Q = v[:, w > 0.5]
    e, u = np.linalg.eigh(Q.conj().T @ (M @ Q))
    return e[0], Q @ u[:, 0], codes


# ---------------------------------------------------------------------------------------
# the model: invariance, derivatives, parameter counts
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, point_group, spin_flip, order", [
    ((6,), False, False, 6), ((4, 4), False, False, 16), ((3, 4), False, False, 12),
    ((6,), True, True, 24), ((4, 4), True, True, 256), ((3, 4), True, False, 48)])
def test_symmetric_rbm_is_invariant_and_its_derivatives_are_exact(shape, point_group,
                                                                   spin_flip, order):
    torch.manual_seed(0)
    group = SymmetryGroup(shape, point_group=point_group, spin_flip=spin_flip)
    N = group.n_sites
    assert len(group) == order  # translations x (2 on a ring, 8 on a square, 4 on a
    # rectangle) x (2 with the spin flip)
    assert all(sorted(p) == list(range(N)) for p in group.perms)
    p = SymmetricRBMParams.init(group, 2, 0.3, torch.float64, "cpu",
                                visible_bias=not spin_flip)
    assert p.n_parameters() == (0 if spin_flip else 1) + 2 + 2 * N
    sigma = (2.0 * torch.randint(0, 2, (7, N)) - 1.0).double()
    lp = _rbm.log_psi(p.full, sigma)
    for img in group.apply(sigma).unbind(1):  # psi(g sigma) = psi(sigma) for every g
        torch.testing.assert_close(_rbm.log_psi(p.full, img), lp)
    O = p.log_derivatives(sigma, torch.tanh(_rbm.theta(p.full, sigma)))
    eps = 1e-7
    for k in range(p.n_parameters()):
        q = p.clone()
        d = torch.zeros(p.n_parameters(), dtype=torch.float64)
        d[k] = eps
        q.add_(d)
        num = (_rbm.log_psi(q.full, sigma) - lp) / eps
        torch.testing.assert_close(num, O[:, k], atol=1e-5, rtol=1e-5)


def test_characters_and_marshall_factors():
    g = SymmetryGroup((4, 4), spin_flip=True)
    chi = g.characters((1, 2), -1)
    # a character is a homomorphism: chi(T_r) chi(T_s) = chi(T_{r+s})
    shifts = {tuple(s): c for s, c, f in zip(g.shifts, chi, g.flips) if not f}
    for r, cr in shifts.items():
        for s, cs in shifts.items():
            t = tuple((np.add(r, s)) % 4)
            assert np.isclose(cr * cs, shifts[t])
    assert np.allclose(chi[g.flips], -chi[~g.flips])
    H = Heisenberg((4, 4))
    # Marshall factors of a 4x4 lattice at S^z = 0 (8 up spins): all +1
    assert np.all(g.marshall_factors(H.sublattice == 0, 8) == 1.0)
    # a ring of 10: a translation by one site swaps the sublattices, (-1)^5 = -1
    g10 = SymmetryGroup((10,))
    f = g10.marshall_factors(Heisenberg(10).sublattice == 0, 5)
    assert np.array_equal(f, np.where(g10.shifts[:, 0] % 2, -1.0, 1.0))


# ---------------------------------------------------------------------------------------
# 2-D Heisenberg against exact diagonalisation
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def heisenberg_4x4():
    H = Heisenberg((4, 4))
    M, _ = H.to_sparse(n_up=8)
    e0 = float(eigsh(M, k=1, which="SA")[0][0])
    assert np.isclose(e0 / 64, -0.701780, atol=1e-6)  # S.S per site: the ED value
    return H, e0


def test_translation_symmetric_rbm_4x4_reaches_1e3(heisenberg_4x4):
    H, e0 = heisenberg_4x4
    est = RBMWavefunction(H, alpha=4, symmetry="translation", max_iter=250, n_samples=1000,
                          learning_rate=0.02, random_state=0).fit()
    assert est.n_parameters_ == 4 + 4 * 16  # no visible bias at fixed S^z_total
    assert est.filters_.shape == (4, 16) and est.components_.shape == (64, 16)
    eps = abs((est.expectation(H) - e0) / e0)
    assert eps <= 1e-3, eps


def test_lattice_symmetric_rbm_reaches_1e3_with_the_defaults(heisenberg_4x4):
    # deliverable 5: seeds 0-4 at alpha=1 and alpha=2 within 2e-3, every other parameter at
    # its default (300 iterations of 1008 samples, the "auto" step: 0.025 annealed over the
    # last 40%). The model: the RBM symmetric under the square lattice's space group
    # ('lattice': 16 translations x 8 point-group operations); at alpha <= 8 it has one filter
    # (17 parameters), so alpha=1 and alpha=2 are the same model and one run per seed covers
    # both. (Translations alone at alpha=1, 17 parameters too, have their variational minimum
    # at 5.2e-3 on every seed: a model limit, not an optimisation one.)
    # benchmarks/bench_quantum_seeds.py runs seeds 0-4: 8.4e-4, 7.5e-4, 7.5e-4, 8.4e-4,
    # 8.5e-4 (max 8.5e-4, mean 8.1e-4; results/quantum_seeds.json, 2026-11-28). CI runs one
    # seed to stay fast: seed 4, the largest error of the sweep, held to issue 19's 4x4
    # target of 1e-3 (the mean bar of the sweep), which implies deliverable 5's 2e-3
    H, e0 = heisenberg_4x4
    assert RBMWavefunction(H, alpha=2, symmetry="lattice", max_iter=1).fit().n_parameters_ == 17
    est = RBMWavefunction(H, alpha=1, symmetry="lattice", random_state=4).fit()
    assert est.n_parameters_ == 17
    eps = abs((est.expectation(H) - e0) / e0)
    assert eps <= 1e-3, eps


@pytest.mark.parametrize("seed", [1])
def test_two_filter_complex_rbm_reaches_2e3_with_the_defaults(heisenberg_4x4, seed):
    # alpha=2 with two filters: translations only (34 complex parameters), every other
    # parameter at its default. Complex parameters reach about 1e-3 on seeds 0-4: 9.1e-4 to
    # 1.03e-3; real ones spread over seeds, 1.03e-3 to 1.8e-3 (seed 0 fell to 3.4e-3 in an
    # earlier sweep). benchmarks/bench_quantum_seeds.py runs all five
    # (results/quantum_seeds.json); CI runs one to stay fast: seed 1, the largest of the five
    H, e0 = heisenberg_4x4
    est = RBMWavefunction(H, alpha=2, symmetry="translation", param_dtype="complex",
                          random_state=seed).fit()
    assert est.filters_.shape == (2, 16) and np.iscomplexobj(est.filters_)
    assert abs((est.expectation(H) - e0) / e0) <= 2e-3


@pytest.mark.parametrize("symmetry", ["lattice+spin_flip", "translation+spin_flip"])
def test_point_group_and_spin_flip_symmetric_rbms_on_a_ring(symmetry):
    # the ring of 10 (ED: -18.061785): one filter, 11 parameters, shared over 40 or 20
    # symmetries
    H = Heisenberg(10)
    e0 = exact_ground_state(H).energy
    est = RBMWavefunction(H, alpha=2, symmetry=symmetry, sampler="exact", max_iter=150,
                          n_samples=1000, random_state=0).fit()
    assert est.n_parameters_ == 11 and est.filter_visible_bias_.shape == (0,)
    assert abs((est.expectation(H) - e0) / e0) <= 2e-4


# ---------------------------------------------------------------------------------------
# sectors: the lowest state of each (momentum, spin-flip) sector, excited states included
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("momentum, parity", [(1, None), (0, -1), (4, 1)])
def test_sector_projection_finds_the_lowest_state_of_the_sector(momentum, parity):
    # 1000 samples: with 300, 15 of 40 trajectories of (k=4, +1) ended at eps 1e-3 to 2.0e-3,
    # the rest at 1e-5 (the error sits on configurations too rare for 300 samples to show;
    # a trajectory is not bit-identical across processes, so CI draws a fresh one each run);
    # with 1000, 30 of 32 ended at 1e-5 and the other two at 1.3e-3 and 1.5e-3
    H = Heisenberg(8)
    e_sector, v, codes = sector_ground_state(H, momentum, parity)
    e0 = exact_ground_state(H).energy
    assert e_sector > e0 + 2.0  # an excited state of H: the plain ground state is elsewhere
    sector = {"momentum": momentum} if parity is None else {"momentum": momentum,
                                                            "spin_flip": parity}
    est = RBMWavefunction(H, alpha=1, sector=sector, sampler="exact", max_iter=150,
                          n_samples=1000, random_state=0).fit()
    assert est.sector_ == sector
    assert np.iscomplexobj(est.components_) == (momentum not in (0, 4))
    e = est.expectation(H)
    assert abs((e - e_sector) / e_sector) <= 2e-3, (e, e_sector)
    assert est.fidelity(ExactState(e_sector, v, codes, 8)) >= 0.99
    # the fitted (physical, Marshall-signed) amplitude transforms with the sector's character
    X = est.sample(20, random_state=0)
    lp = est.log_psi(X)
    for r in (1, 3):
        shifted = np.roll(X, -r, axis=1)  # (T_r sigma)_j = sigma_{j + r}
        ratio = np.exp(est.log_psi(shifted) - lp)
        np.testing.assert_allclose(ratio, np.exp(2j * np.pi * momentum * r / 8), atol=1e-8)
    if parity is not None:
        np.testing.assert_allclose(np.exp(est.log_psi(-X) - lp), parity, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 8])
def test_symmetric_rbm_projected_on_spin_flip_parity(seed):
    # a translation-invariant RBM projected onto the odd spin-flip sector of a ring of 8; the
    # random start of seed 8 puts 299 of 300 samples at E_loc = 0 (the sector's E=0 level):
    # it took 80 iterations to leave (eps 0.75 after 100) until such a start was drawn again
    H = Heisenberg(8)
    e_sector, _, _ = sector_ground_state(H, 0, -1)
    est = RBMWavefunction(H, alpha=2, symmetry="translation", sector={"spin_flip": -1},
                          sampler="exact", max_iter=100, n_samples=300,
                          random_state=seed).fit()
    assert est.n_parameters_ == 2 + 2 * 8
    assert abs((est.expectation(H) - e_sector) / e_sector) <= 2e-3


@pytest.mark.parametrize("kwargs, match", [
    (dict(symmetry="translation", sector={"momentum": 1}), "translation-invariant"),
    (dict(sector={"momentum": (1, 2)}), "momentum must be 1 integer"),
    (dict(sector={"k": 1}), "keys 'momentum' and/or 'spin_flip'"),
    (dict(sector={"spin_flip": 2}), "spin_flip must be"),
    (dict(sector={"momentum": 1}, param_dtype="real"), "complex characters"),
])
def test_bad_sectors_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RBMWavefunction(Heisenberg(8), max_iter=1, **kwargs).fit()


def test_symmetry_needs_a_periodic_lattice():
    with pytest.raises(ValueError, match="periodic lattice"):
        RBMWavefunction(Heisenberg(8, pbc=False), symmetry="translation", max_iter=1).fit()


# ---------------------------------------------------------------------------------------
# robustness: a collapse is caught in the iteration it happens
# ---------------------------------------------------------------------------------------
def test_a_collapsing_step_is_undone_in_the_next_iteration():
    # a step 200 times the default at iteration 10 collapses the plain RBM's state (the
    # chains sit where the new psi is small: energies far outside the Hamiltonian's bound);
    # the next iteration steps back, halves the step, re-seeds the chains, and goes on
    H = Heisenberg((4, 4))
    est = RBMWavefunction(H, max_iter=30, random_state=0,
                          learning_rate=lambda it: 5.0 if it == 10 else 0.025).fit()
    rec = [i for i, row in enumerate(est.history_) if row.get("recovered")]
    assert rec == [11]
    assert est.n_iter_ == 30
    assert all(-45.0 < e < -40.0 for e in est.loss_curve_[8:])  # E0 = -44.91
    assert est.energy_ < -44.0


def test_frozen_chains_are_detected():
    from skphys.quantum._vmc import GroundStateFit

    est = RBMWavefunction(Heisenberg((4, 4)), n_samples=1000)
    fit = GroundStateFit(est, torch.device("cpu"))
    sigma = torch.tensor([[1.0, -1.0] * 8]).repeat(1000, 1)  # every chain on one Neel state
    assert fit._frozen(sigma)
    sigma[:9] = -sigma[:9]  # both Neel states: 2 configurations
    assert fit._frozen(sigma)
    rand = 2.0 * (torch.rand(1000, 16).argsort(1) < 8) - 1.0
    assert not fit._frozen(rand)


# ---------------------------------------------------------------------------------------
# expectation's Monte Carlo error, J1-J2
# ---------------------------------------------------------------------------------------
def test_expectation_reports_its_monte_carlo_error():
    H = Heisenberg(8)
    est = RBMWavefunction(H, max_iter=30, n_samples=300, random_state=0).fit()
    exact, err0 = est.expectation(H, return_error=True)
    assert err0 == 0.0
    values, errors = zip(*(est.expectation(H, n_samples=400, random_state=s,
                                           return_error=True) for s in range(20)))
    # the quoted error is the spread of the estimates (20 repeats: within a factor 1.6)
    spread = np.std(values, ddof=1)
    assert 0.6 < np.mean(errors) / spread < 1.6, (np.mean(errors), spread)
    assert abs(np.mean(values) - exact) < 3 * spread / np.sqrt(20)
    assert isinstance(est.expectation(H), float)


def test_monte_carlo_error_of_markov_chains_counts_the_autocorrelation():
    from skphys.quantum._state import monte_carlo_error

    # 200 chains of 50 correlated samples each (AR(1), rho = 0.9), taken round-robin
    rng = np.random.default_rng(0)
    rho, n_chains, per = 0.9, 200, 50
    means, errors, naive = [], [], []
    for _ in range(100):
        x = np.empty((per, n_chains))
        x[0] = rng.standard_normal(n_chains)
        for i in range(1, per):
            x[i] = rho * x[i - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n_chains)
        e = torch.from_numpy(x.reshape(-1))
        means.append(float(e.mean()))
        errors.append(monte_carlo_error(e, n_chains=n_chains))
        naive.append(monte_carlo_error(e))
    spread = np.std(means, ddof=1)
    assert 0.8 < np.mean(errors) / spread < 1.25  # batch means: the true error
    assert np.mean(naive) / spread < 0.5  # std / sqrt(n) would claim half of it or less


def test_j1_j2_square_lattice_4x4_exact_energy():
    # the J1-J2 model at J2/J1 = 0.5 (spin units): E0/N = -0.528620 by exact diagonalisation
    # of 4x4; the Majumdar-Ghosh chain (J2/J1 = 0.5) has E0/N = -3/8 exactly
    H = Heisenberg((4, 4), J2=0.5, convention="spin")
    assert len(H.edges2) == 32 and not H.is_stoquastic(True)
    M, _ = H.to_sparse(n_up=8)
    assert np.isclose(eigsh(M, k=1, which="SA")[0][0] / 16, -0.528620, atol=1e-6)
    assert np.isclose(exact_ground_state(Heisenberg(12, J2=0.5, convention="spin")).energy,
                      -12 * 3 / 8)
    # and the VMC local energies agree with the sparse matrix on random configurations
    from skphys.quantum._state import RBMState

    torch.manual_seed(0)
    p = _rbm.RBMParams.init(16, 16, 0.3, torch.complex128, "cpu")
    st = RBMState(p, 8, H.sublattice == 0)
    _, codes = H.to_sparse(n_up=8)
    psi = np.exp(st.log_psi(torch.from_numpy(codes_to_spins(codes, 16).astype(float))))
    idx = np.random.default_rng(0).choice(len(codes), 50, replace=False)
    sigma = torch.from_numpy(codes_to_spins(codes[idx], 16).astype(float))
    np.testing.assert_allclose(st.local_energy(H, sigma).numpy(), (M @ psi)[idx] / psi[idx],
                               rtol=1e-9, atol=1e-9)



@pytest.mark.parametrize("kwargs", [dict(symmetry="translation"),
                                    dict(sector={"momentum": 0})])
def test_tomography_refuses_symmetry_parameters(kwargs):
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.where(np.random.default_rng(0).random((50, 6)) < 0.5, 1.0, -1.0)
    name = next(iter(kwargs))
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter.*not used by "
                                                    "tomography"):
        RBMWavefunction(max_iter=2, **kwargs).fit(X)


def test_metropolis_samples_psi_squared_with_weights_beyond_single_precision():
    # weights of +-4 on 12 hidden units: the tabulated ratio factor exp(sum log cosh 2D)
    # (~e^180) overflows single precision; the exchange sampler must still draw |psi|^2
    # (in single precision it froze: 0.1% acceptance, L1 distance 1.5)
    torch.manual_seed(0)
    N, M = 6, 12
    W = 4.0 * torch.sign(torch.randn(M, N, dtype=torch.float64))
    p = _rbm.RBMParams(torch.zeros(N, dtype=torch.float64),
                       torch.zeros(M, dtype=torch.float64), W)
    space = _rbm.Space(N, 3, "cpu")
    exact = torch.softmax(2 * _rbm.log_psi(p, space.sigma), 0)
    chains = _rbm.Chains.random(p, 4000, N, 3, "cpu")
    assert _rbm.metropolis(p, chains, 200, True) > 0.02
    codes = (chains.sigma > 0).long() @ (1 << torch.arange(N))
    idx = torch.searchsorted(torch.as_tensor(space.codes), codes)
    empirical = torch.bincount(idx, minlength=len(space)).double() / 4000
    assert float((empirical - exact).abs().sum()) < 0.2


def test_sector_projection_is_robust_over_seeds():
    """Seeds 0-7 of the plain RBM projected on (k=0, spin flip -1) of the ring of 8 all reach
    the sector's lowest state (with a near-uniform start, 1 seed in 8 stayed on a handful of
    configurations at zero energy, eps = 1, and another ended at 2.8e-3), and so do seeds 9
    and 20, whose random starts lie on the sector's E=0 eigenstates up to amplitudes too small
    to be drawn: every sample has E_loc = 0, the forces are exactly zero, and the fit stayed
    there (eps = 1) until a start with zero energy variance was drawn again."""
    H = Heisenberg(8)
    e_sector, _, _ = sector_ground_state(H, 0, -1)
    for seed in [*range(8), 9, 20]:
        est = RBMWavefunction(H, alpha=1, sector={"momentum": 0, "spin_flip": -1},
                              sampler="exact", max_iter=100, n_samples=300,
                              random_state=seed).fit()
        assert abs((est.expectation(H) - e_sector) / e_sector) <= 2e-3, seed


@pytest.mark.parametrize("n_sites", [8, 63, 80])
def test_n_distinct_counts_the_distinct_configurations(n_sites):
    from skphys.quantum._vmc import n_distinct

    g = torch.Generator().manual_seed(n_sites)
    few = torch.randint(0, 2, (7, n_sites), generator=g).double() * 2 - 1
    sigma = few[torch.randint(0, 7, (3000,), generator=g)]
    many = torch.randint(0, 2, (3000, n_sites), generator=g).double() * 2 - 1
    for s in (sigma, many, torch.cat([sigma, many])):
        assert n_distinct(s) == torch.unique(s > 0, dim=0).shape[0]


def test_projected_energies_and_derivatives_are_computed_once_per_distinct_configuration():
    # a batch with repeated rows (as exact draws give) gets, row by row, the values of the
    # rows computed one at a time; the shared filters' derivatives through the one-hot table
    # (a large group) equal those through the gathered images
    from skphys.quantum._symmetric import Projection

    torch.manual_seed(0)
    H = Heisenberg(8)
    group = SymmetryGroup((8,), point_group=True, spin_flip=True)
    shared = SymmetricRBMParams.init(group, 2, 0.3, torch.complex128, "cpu", visible_bias=False)
    proj = Projection(group, group.characters(momentum=[0], parity=1))
    sigma = torch.as_tensor(codes_to_spins(np.array([15, 60, 85, 102, 170]), 8),
                            dtype=torch.float64)
    batch = sigma[torch.tensor([0, 1, 0, 2, 3, 3, 4, 0])]
    rows, inverse = _rbm.distinct_rows(batch)
    assert len(rows) == 5 and torch.equal(rows[inverse], batch)
    E = proj.local_energy(H, shared.full, batch)
    O = proj.log_derivatives(shared.full, batch, shared)
    for i, s in enumerate(batch):
        torch.testing.assert_close(E[i], proj._local_energy(H, shared.full, s[None], None,
                                                            None)[0])
        torch.testing.assert_close(O[i], proj._log_derivatives(shared.full, s[None],
                                                               shared)[0])
    t = torch.tanh(_rbm.theta(shared.full, batch)).reshape(8, 2, len(group))
    assert len(group) >= 2 * 8  # the one-hot path
    gathered = torch.einsum("bfg,bgn->bfn", t * shared._signs.to(t.dtype),
                            batch.to(t.dtype)[:, shared._perms])
    torch.testing.assert_close(shared._filter_derivatives(batch.to(t.dtype), t), gathered)
    assert _rbm.distinct_rows(torch.ones(3, 64)) is None  # no exact 64-bit key

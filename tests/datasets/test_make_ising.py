"""make_ising: shapes and contract, exact results, decorrelation, the samplers' internals."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skphys.datasets import (
    ising_critical_temperature,
    make_ising,
    onsager_energy,
    onsager_magnetization,
)
from skphys.datasets._ising import (
    _BitIsing,
    _integrated_time,
    _lane_popcount,
    _sample_group,
    _TorchIsing,
)

TC = 2.0 / np.log(1.0 + np.sqrt(2.0))


def _energy(s, J=1.0):
    s = s.astype(np.float64)
    return -J * (s * np.roll(s, 1, -1) + s * np.roll(s, 1, -2)).sum((-1, -2)) / s[0].size


# --------------------------------------------------------------------------------------
# exact references
# --------------------------------------------------------------------------------------
def test_exact_references():
    assert ising_critical_temperature() == pytest.approx(TC)
    assert ising_critical_temperature(-2.0) == pytest.approx(2 * TC)
    # the energy at T_c is -sqrt(2) J; the limits are -2 and 0
    assert onsager_energy(TC) == pytest.approx(-np.sqrt(2.0), abs=1e-9)
    assert onsager_energy(1e-3) == pytest.approx(-2.0)
    assert onsager_energy(np.inf) == 0.0
    assert onsager_energy(1e6) == pytest.approx(0.0, abs=1e-5)
    # high-temperature series, t = tanh(J/T): u = -2t - 4t^3 (1 - t^2) + O(t^5)
    t = np.tanh(1 / 50)
    assert onsager_energy(50.0) == pytest.approx(-2 * t - 4 * t ** 3 * (1 - t * t), rel=1e-6)
    T = np.array([0.5, 2.0, TC - 1e-9, TC, 3.0])
    m = onsager_magnetization(T)
    assert m[0] == pytest.approx(1.0, abs=1e-6)
    assert m[1] == pytest.approx(0.911319, abs=1e-6)
    assert 0 < m[2] < 0.2 and m[3] == 0 and m[4] == 0
    assert np.all(np.diff(onsager_energy(np.linspace(0.5, 5, 50))) > 0)


# --------------------------------------------------------------------------------------
# the contract other modules code against
# --------------------------------------------------------------------------------------
def test_contract_shapes_dtypes_and_order():
    T = [3.0, 1.5, 2.5]
    X, y = make_ising(T, n_samples=7, L=8, random_state=0)
    assert X.shape == (21, 64) and X.dtype == np.float32
    assert y.shape == (21,) and y.dtype == np.float64
    assert set(np.unique(X)) == {-1.0, 1.0}
    np.testing.assert_array_equal(y, np.repeat(T, 7))  # grouped in the order given
    X3, y3, obs = make_ising(2.0, 5, L=6, flat=False, return_observables=True, random_state=0)
    assert X3.shape == (5, 6, 6) and np.all(y3 == 2.0)
    assert set(obs) == {"energy", "magnetization"}
    assert all(v.dtype == np.float64 and v.shape == (5,) for v in obs.values())
    np.testing.assert_allclose(obs["energy"], _energy(X3))
    np.testing.assert_allclose(obs["magnetization"], X3.mean((1, 2)))


def test_reproducible_and_seed_dependent():
    a = make_ising([1.8, 2.3], 20, L=8, random_state=3)[0]
    b = make_ising([1.8, 2.3], 20, L=8, random_state=3)[0]
    c = make_ising([1.8, 2.3], 20, L=8, random_state=4)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_ordered_phase_has_both_signs_and_disordered_phase_is_disordered():
    X, y = make_ising([1.5, 4.0], 400, L=16, random_state=0)
    m = X.mean(axis=1)
    low, high = m[y == 1.5], m[y == 4.0]
    assert np.all(np.abs(low) > 0.9)
    assert 0.35 < np.mean(low > 0) < 0.65  # global flips: both signs of m
    assert np.abs(high).mean() < 0.15


@pytest.mark.parametrize("kwargs, match", [
    ({"L": 7}, "even"),
    ({"temperatures": [2.0, -1.0]}, "> 0"),
    ({"temperatures": [np.nan]}, "> 0"),
    ({"temperatures": []}, "empty"),
])
def test_bad_parameters(kwargs, match):
    args = {"temperatures": 2.0, "n_samples": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_ising(args.pop("temperatures"), **args)


@pytest.mark.parametrize("kwargs", [{"method": "heatbath"}, {"n_samples": 0}, {"L": 2},
                                    {"thinning": 0}, {"burn_in": -1}, {"n_chains": "many"}])
def test_invalid_parameter_error(kwargs):
    with pytest.raises(InvalidParameterError):
        make_ising(2.0, **{"n_samples": 2, **kwargs})


def test_free_spins_and_infinite_temperature():
    for X, _ in (make_ising([1.0, 2.0], 200, L=8, J=0.0, random_state=0),
                 make_ising(np.inf, 400, L=8, random_state=0)):
        assert abs(X.mean()) < 0.02
        assert abs(_energy(X.reshape(-1, 8, 8)).mean()) < 0.02


def test_explicit_schedule_skips_the_pilot():
    X, _ = make_ising([1.2, 3.0], 10, L=8, burn_in=20, thinning=2, n_chains=5, random_state=0)
    assert X.shape == (20, 64)


# --------------------------------------------------------------------------------------
# correctness against exact results, with tolerances a wrong update rule fails
# --------------------------------------------------------------------------------------
def _check_against_exact(X, y, L):
    """|<E>/N - Onsager| and |<|m|> - Onsager-Yang| in standard errors, per temperature."""
    s = X.reshape(-1, L, L)
    e, m = _energy(s), np.abs(s.mean((1, 2)))
    z = {}
    for T in np.unique(y):
        ee, mm = e[y == T], m[y == T]
        ze = (ee.mean() - onsager_energy(T)) / (ee.std() / np.sqrt(len(ee)))
        zm = ((mm.mean() - onsager_magnetization(T)) / (mm.std() / np.sqrt(len(mm)))
              if T < TC else 0.0)
        z[T] = (ze, zm)
    return z


# Away from T_c at L=32 the finite-size corrections (~exp(-L/xi)) are far below the errors.
EXACT_T = [1.8, 2.0, 3.0]


@pytest.mark.parametrize("method", ["auto", "metropolis", "wolff"])
def test_energy_and_magnetisation_match_onsager(method):
    T = EXACT_T if method != "wolff" else [1.8, 2.0]  # Wolff alone is slow above T_c
    X, y = make_ising(T, 800, L=32, method=method, random_state=1)
    for T_, (ze, zm) in _check_against_exact(X, y, 32).items():
        assert abs(ze) < 4.5 and abs(zm) < 4.5, (T_, ze, zm)


def test_near_critical_point_cluster_moves_match_metropolis():
    # no exact finite-L result at T_c: both samplers must agree with each other
    res = {}
    for method in ("metropolis", "auto"):
        _, _, obs = make_ising(TC, 600, L=16, method=method, return_observables=True,
                               random_state=2)
        e, m = obs["energy"], np.abs(obs["magnetization"])
        res[method] = (e.mean(), e.std() / np.sqrt(len(e)), m.mean(), m.std() / np.sqrt(len(m)))
    (e1, se1, m1, sm1), (e2, se2, m2, sm2) = res["metropolis"], res["auto"]
    assert abs(e1 - e2) < 4.5 * np.hypot(se1, se2)
    assert abs(m1 - m2) < 4.5 * np.hypot(sm1, sm2)


@pytest.mark.parametrize("rule", ["p(dE=8) = p(dE=4)", "p(dE=8) = p(dE=4)^1.5",
                                  "p(dE=4) = p(dE=8)"])
def test_tolerance_rejects_a_wrong_update_rule(rule):
    # the same checks on a sampler whose acceptance breaks detailed balance must fail
    L, c, n = 32, 64, 800
    zs = []
    for T in EXACT_T[:2]:
        b = np.full(c, 1 / T)
        p1, p0 = np.exp(-4 * b), np.exp(-8 * b)
        accept = {"p(dE=8) = p(dE=4)": (p1, p1), "p(dE=8) = p(dE=4)^1.5": (p1, p1 ** 1.5),
                  "p(dE=4) = p(dE=8)": (p0, p0)}[rule]
        lat = _BitIsing(L, b, seed=5, accept=accept)
        lat.set_state(np.ones(c, bool))
        # a fixed schedule: the broken chains relax slowly, and the shift is large anyway
        out, _ = _sample_group(lat, "metropolis", np.zeros(c, int), 1, n, 300, 5)
        zs.append(_check_against_exact(out[0].reshape(n, -1), np.full(n, T), L)[T])
    assert max(max(abs(ze), abs(zm)) for ze, zm in zs) > 20


def test_antiferromagnet_is_the_gauge_transformed_ferromagnet():
    L = 16
    X, y, obs = make_ising([1.8, 3.0], 300, L=L, J=-1.0, return_observables=True,
                           random_state=0)
    s = X.reshape(-1, L, L)
    i, j = np.indices((L, L))
    stag = (s * np.where((i + j) % 2, -1, 1)).mean((1, 2))
    low = y == 1.8
    assert np.abs(stag[low]).mean() == pytest.approx(onsager_magnetization(1.8), abs=0.01)
    assert np.abs(obs["magnetization"][low]).mean() < 0.05  # no uniform order
    assert obs["energy"][low].mean() == pytest.approx(onsager_energy(1.8), abs=0.01)
    np.testing.assert_allclose(obs["energy"], _energy(s, J=-1.0))


# --------------------------------------------------------------------------------------
# decorrelation: consecutive samples of one chain
# --------------------------------------------------------------------------------------
def _lag1(x):
    x = x - x.mean()
    return float((x[1:] * x[:-1]).mean() / (x * x).mean())


def test_samples_of_one_chain_are_decorrelated():
    # one chain per temperature: its samples are consecutive rows
    T = [2.45, TC]
    X, y = make_ising(T, 300, L=16, n_chains=1, method="metropolis", random_state=0)
    Xu, yu = make_ising(T, 300, L=16, n_chains=1, method="metropolis", thinning=1,
                        random_state=0)
    for t in T:
        e = _energy(X[y == t].reshape(-1, 16, 16))
        m = np.abs(X[y == t].mean(1))
        assert abs(_lag1(e)) < 0.3 and abs(_lag1(m)) < 0.3, t
        # without thinning the same chain is strongly correlated: the check has power
        assert _lag1(np.abs(Xu[yu == t].mean(1))) > 0.5


def test_integrated_time_estimator():
    rng = np.random.default_rng(0)
    white = rng.standard_normal((4000, 8))
    assert _integrated_time(white)[0] == pytest.approx(0.5, abs=0.1)
    # AR(1) with coefficient a: tau = (1 + a) / (2 (1 - a))
    a = 0.9
    x = np.zeros((20000, 8))
    for t in range(1, len(x)):
        x[t] = a * x[t - 1] + rng.standard_normal(8)
    tau, ok = _integrated_time(x[1000:])
    assert ok and tau == pytest.approx((1 + a) / (2 * (1 - a)), rel=0.15)
    assert _integrated_time(np.ones((100, 3)))[0] == 0.5


# --------------------------------------------------------------------------------------
# sampler internals
# --------------------------------------------------------------------------------------
def test_lane_popcount():
    rng = np.random.default_rng(0)
    for K in (1, 24, 64, 100, 1024):
        X = rng.integers(0, 2 ** 63, size=(3, K), dtype=np.uint64) << np.uint64(1)
        X |= rng.integers(0, 2, size=(3, K), dtype=np.uint64)
        bits = np.unpackbits(X.view(np.uint8).reshape(3, K, 8), axis=-1, bitorder="little")
        np.testing.assert_array_equal(_lane_popcount(X), bits.sum(1))


def test_bit_sampler_observables_and_permute():
    lat = _BitIsing(8, np.linspace(0.2, 0.6, 100), seed=0)
    lat.set_state(np.arange(100) % 3 == 0)
    for _ in range(3):
        lat.sweep()
        lat.wolff()
    s = lat.spins()
    assert s.shape == (100, 8, 8)
    assert np.all(np.abs(s[::3].mean((1, 2))) <= 1)
    m, stag, e = lat.observables()
    np.testing.assert_allclose(m, s.mean((1, 2)))
    np.testing.assert_allclose(e, _energy(s))
    i, j = np.indices((8, 8))
    np.testing.assert_allclose(stag, (s * np.where((i + j) % 2, -1, 1)).mean((1, 2)))
    np.testing.assert_array_equal(lat.spins([5, 70, 2]), s[[5, 70, 2]])
    order = np.random.default_rng(1).permutation(100)
    lat.permute(order)
    np.testing.assert_array_equal(lat.spins(), s[order])
    lat2 = _BitIsing(8, np.linspace(0.2, 0.6, 100)[order], seed=0)
    np.testing.assert_array_equal(lat._P0, lat2._P0)


def test_ordered_start_is_ordered():
    lat = _BitIsing(6, np.full(70, 0.5), seed=0)
    lat.set_state(np.arange(70) < 40)
    m = lat.spins().mean((1, 2))
    assert np.all(np.abs(m[:40]) == 1) and np.all(np.abs(m[40:]) < 1)


def test_metropolis_and_wolff_keep_the_exact_distribution_on_a_tiny_lattice():
    # 4x4 lattice: the distribution of E is known exactly by enumeration of 2^16 states
    L, T, c = 4, 2.5, 640
    states = ((np.arange(2 ** 16)[:, None] >> np.arange(16)) & 1).astype(np.int8)
    E = _energy((1 - 2 * states).reshape(-1, L, L)) * 16
    w = np.exp(-E / T)
    levels = np.unique(E)
    exact = np.array([w[E == u].sum() for u in levels]) / w.sum()
    for step in ("sweep", "wolff"):
        lat = _BitIsing(L, np.full(c, 1 / T), seed=1)
        lat.set_state(np.zeros(c, bool))
        counts = np.zeros(len(levels))
        for t in range(160):
            getattr(lat, step)()
            if t >= 10 and t % 3 == 0:
                e = np.round(lat.observables()[2] * 16)
                counts += [(e == u).sum() for u in levels]
        p = counts / counts.sum()
        # chi-square-like check on the populated levels
        big = exact > 0.01
        assert np.all(np.abs(p[big] - exact[big]) < 5 * np.sqrt(exact[big] / counts.sum()) + 0.005)


def test_torch_sampler_on_cpu():
    X, y, obs = make_ising([2.0, 3.0], 300, L=16, device="cpu", return_observables=True,
                           random_state=0)
    assert X.shape == (600, 256) and X.dtype == np.float32
    for T in (2.0, 3.0):
        e = obs["energy"][y == T]
        assert abs(e.mean() - onsager_energy(T)) < 5 * e.std() / np.sqrt(len(e)) + 0.005
    m = np.abs(obs["magnetization"][y == 2.0])
    assert abs(m.mean() - onsager_magnetization(2.0)) < 0.01
    with pytest.raises(ValueError, match="numpy sampler"):
        make_ising(2.0, 5, L=8, method="wolff", device="cpu")


def test_torch_sampler_internals():
    import torch

    lat = _TorchIsing(8, np.full(10, 0.4), seed=0, device=torch.device("cpu"))
    lat.set_state(np.arange(10) < 5)
    assert np.all(np.abs(lat.spins()[:5].mean((1, 2))) == 1)
    lat.sweep()
    s = lat.spins()
    m, _, e = lat.observables()
    np.testing.assert_allclose(e, _energy(s), atol=1e-6)
    np.testing.assert_allclose(m, s.mean((1, 2)), atol=1e-6)
    lat.permute(np.arange(10)[::-1])
    np.testing.assert_array_equal(lat.spins(), s[::-1])


@pytest.mark.gpu
def test_torch_sampler_on_gpu():
    _, y, obs = make_ising([2.0, 3.0], 200, L=16, device="cuda", return_observables=True,
                           random_state=0)
    for T in (2.0, 3.0):
        e = obs["energy"][y == T]
        assert abs(e.mean() - onsager_energy(T)) < 5 * e.std() / np.sqrt(len(e)) + 0.005


# --------------------------------------------------------------------------------------
# the exact bitwise Bernoulli draw behind the bit-packed Metropolis and Wolff steps
# --------------------------------------------------------------------------------------
def _digits_bitgen(digit_word):
    """A stand-in bit generator whose words at binary digit j all equal ``digit_word(j)``."""
    from skphys.datasets._ising import _DIGIT_BLOCK, _N_DIGITS

    class Gen:
        j = 0

        def random_raw(self, count):
            b = min(_DIGIT_BLOCK, _N_DIGITS - self.j)
            rows = [np.full(count // b, digit_word(self.j + i), np.uint64) for i in range(b)]
            self.j += b
            return np.concatenate(rows)

    return Gen()


def test_bernoulli_decides_at_the_first_differing_digit():
    from skphys.datasets._ising import _bernoulli_into, _digit_masks

    rng = np.random.default_rng(0)
    p = rng.random(64)
    p[:8] = np.arange(8) / 2 ** 20 + 0.25  # no binary digit after the 20th
    p[8], p[9] = 1.0, 0.0
    P = _digit_masks(p[None, :])  # (64 digits, 1 word)
    lanes = np.uint64(1) << np.arange(64, dtype=np.uint64)
    # the uniform u (digit j = NOT the random word) equals p on 20 digits, then is all 0s
    # (u < p exactly where p has a 1 further on; p = 1 is stored as 64 ones) or all 1s
    # (u >= p for every p)
    for tail, expect in ((np.uint64(2 ** 64 - 1), (p * 2 ** 20 % 1 > 0) | (p == 1)),
                         (np.uint64(0), np.zeros(64, bool))):
        gen = _digits_bitgen(lambda j, tail=tail: ~P[j, 0] if j < 20 else tail)
        decided = np.zeros((1, 16), np.uint64)
        _bernoulli_into(decided, np.full((1, 16), 2 ** 64 - 1, np.uint64), P, None, None, gen)
        accepted = (decided[0, :, None] & lanes) != 0
        assert np.all(accepted == expect), tail
    # p = 1 accepts at u's first 0 digit; p = 0 never accepts, not even u = 0
    gen = _digits_bitgen(lambda j: lanes[8] | lanes[9])
    decided = np.zeros((1, 4), np.uint64)
    _bernoulli_into(decided, np.full((1, 4), 2 ** 64 - 1, np.uint64), P, None, None, gen)
    assert np.all(decided & lanes[8]) and not np.any(decided & lanes[9])


def test_bernoulli_frequencies_with_two_probabilities():
    from skphys.datasets._ising import _bernoulli_into, _digit_masks

    rng = np.random.default_rng(1)
    p0 = np.concatenate([[0.0, 1.0, 1 / 3, 1e-3, 0.5 + 2.0 ** -30], rng.random(123)])
    p1 = rng.random(128)
    P0 = _digit_masks(p0.reshape(2, 64))
    D = P0 ^ _digit_masks(p1.reshape(2, 64))
    bitgen = np.random.SFC64(3)
    shape, n_rep = (2, 2, 16, 16), 40
    hits = np.zeros((2, 128))  # [M1 clear, M1 set] x lanes
    trials = np.zeros((2, 128))
    for _ in range(n_rep):
        M1 = bitgen.random_raw(int(np.prod(shape))).reshape(shape)
        undecided = bitgen.random_raw(M1.size).reshape(shape)  # only these are drawn
        decided = np.zeros(shape, np.uint64)
        _bernoulli_into(decided, undecided.copy(), P0, D, M1, bitgen)
        assert not np.any(decided & ~undecided)
        for k, sel in enumerate((~M1 & undecided, M1 & undecided)):
            hits[k] += _lane_counts(decided & sel)
            trials[k] += _lane_counts(sel)
    freq = hits / trials
    p = np.stack([p0, p1])
    np.testing.assert_array_less(np.abs(freq - p), 5 * np.sqrt(p * (1 - p) / trials) + 1e-12)


def _lane_counts(X):
    """Per-lane bit counts summed over all words of the leading axis (word axis first)."""
    return _lane_popcount(X.reshape(len(X), -1)).reshape(-1)


# --------------------------------------------------------------------------------------
# the torch sampler's acceptance: bytes with exact ties (CPU) and 64-bit uniforms (GPU)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("wide", [False, True])
def test_torch_acceptance_probabilities_are_exact(wide):
    import torch

    # p = (t + 1/2) / 256: a byte equal to t (1 site in 256) must accept half the time;
    # rejecting (accepting) every tie would give t / 256 ((t + 1) / 256), 19 (16) sigma off
    L, n = 32, 2048
    p1, p0 = np.full(n, 40.5 / 256), np.full(n, 3.5 / 256)
    lat = _TorchIsing(L, np.full(n, 0.5), seed=0, device=torch.device("cpu"), accept=(p1, p0))
    lat.wide = wide
    h = L // 2
    for state, p, sub in (("all up", p0, slice(0, 2)), ("one down", p1, slice(0, 1))):
        lat.Q = torch.ones((4, h, h, n), dtype=torch.int8)
        if state == "one down":  # WO rows 0, 2, 4, ... down: every BE site has k = 1
            lat.Q[3, 0::2] = -1
        before = lat.Q[sub].clone()
        lat.sweep()  # the black sites are updated first, and only then
        flipped = (lat.Q[sub] != before).double().mean().item()
        trials = before.numel()
        assert abs(flipped - p[0]) < 4 * np.sqrt(p[0] * (1 - p[0]) / trials), (state, flipped)


def test_torch_wide_uniforms_match_onsager():
    import torch

    for T in (2.0, 3.0):
        lat = _TorchIsing(16, np.full(256, 1 / T), seed=1, device=torch.device("cpu"))
        lat.wide = True
        lat.set_state(np.full(256, T < TC))
        for _ in range(200):
            lat.sweep()
        e = []
        for _ in range(100):
            lat.sweep()
            lat.sweep()
            e.append(lat.observables()[2])
        assert abs(np.mean(e) - onsager_energy(T)) < 0.004, T


def test_auto_device_without_cuda_uses_the_numpy_sampler(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    a = make_ising([1.8, 3.0], 30, L=8, device="auto", random_state=0)[0]
    b = make_ising([1.8, 3.0], 30, L=8, random_state=0)[0]
    np.testing.assert_array_equal(a, b)

"""GANSampler: Ising configurations generated against Monte Carlo, and the sampler's API."""

import pickle

import numpy as np
import pytest

import skphys.datasets
from skphys.generative import GANSampler

make_ising = getattr(skphys.datasets, "make_ising", None)
needs_ising = pytest.mark.skipif(
    make_ising is None, reason="skphys.datasets.make_ising (Datasets issue) is not available yet"
)
L = 8
T_C = 2.269185


def energy_per_spin(X):
    s = X.reshape(len(X), L, L)
    return -(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2))).sum((1, 2)) / (L * L)


@needs_ising
@pytest.mark.parametrize("T", [1.8, 3.0])
def test_generated_ising_configurations_match_monte_carlo(T):
    X, _ = make_ising([T], n_samples=2000, L=L, random_state=0)
    gan = GANSampler(lattice_shape=(L, L), max_iter=80, random_state=0).fit(X)
    assert gan.lattice_shape_ == (L, L)
    S = gan.sample(4000, random_state=1)
    assert S.shape == (4000, L * L) and set(np.unique(S)) == {-1.0, 1.0}
    m, m_gen = X.mean(1), S.mean(1)
    # the bar at both temperatures (measured over fit seeds 0-7: |bias| <= 0.04)
    assert abs(np.abs(m_gen).mean() - np.abs(m).mean()) <= 0.05
    assert abs(energy_per_spin(S).mean() - energy_per_spin(X).mean()) <= 0.05
    if T > T_C:  # disordered: almost every generated configuration is new
        assert len(np.unique(S, axis=0)) / len(S) >= 0.9
    else:  # ordered: both magnetised states, in about equal proportion (no mode collapse)
        assert 0.3 <= (m_gen > 0).mean() <= 0.7
    for player in ("discriminator", "generator"):
        curve = gan.loss_curve_[player]
        assert len(curve) == gan.n_iter_ == 80 and np.all(np.isfinite(curve))
    # at the end the game is near its equilibrium, D(x) = 1/2: losses near 2 ln 2 and ln 2
    assert abs(np.mean(gan.loss_curve_["discriminator"][-20:]) - 2 * np.log(2)) < 0.3


def test_binary_and_continuous_data_keep_their_values_and_shape():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((300, 4, 4)) < 0.7, 1.0, 0.0)  # 0/1 pixels, as images
    gan = GANSampler(n_components=4, generator_layer_sizes=(32,), discriminator_layer_sizes=(32,),
                     max_iter=40, batch_size=64, random_state=0).fit(X)
    S = gan.sample(500, random_state=0)
    assert gan.output_ == "binary" and S.shape == (500, 4, 4)
    assert set(np.unique(S)) <= {0.0, 1.0} and abs(S.mean() - 0.7) < 0.1
    np.testing.assert_array_equal(S, gan.sample(500, random_state=0))
    # a Gaussian with correlated columns: mean, scale and correlation are learned
    cov = [[1.0, 0.8], [0.8, 1.0]]
    Xc = rng.multivariate_normal([3.0, -1.0], cov, size=1000)
    gc = GANSampler(n_components=4, generator_layer_sizes=(32,), discriminator_layer_sizes=(32,),
                    max_iter=60, batch_size=128, random_state=0).fit(Xc)
    Sc = gc.sample(2000, random_state=0)
    assert gc.output_ == "continuous" and gc.values_ is None
    np.testing.assert_allclose(Sc.mean(0), [3.0, -1.0], atol=0.3)
    assert np.corrcoef(Sc.T)[0, 1] > 0.5
    clone = pickle.loads(pickle.dumps(gc))
    np.testing.assert_array_equal(clone.sample(10, random_state=1), gc.sample(10, random_state=1))


def test_verbose_reports_both_players(capsys):
    X = np.sign(np.random.default_rng(0).standard_normal((64, 9)))
    GANSampler(n_components=2, max_iter=2, verbose=True, random_state=0).fit(X)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "discriminator loss" in out[0] and "generator loss" in out[0]
    with pytest.raises(ValueError, match="two values"):
        GANSampler(output="binary", max_iter=1).fit(np.arange(12.0).reshape(4, 3))
    with pytest.raises(ValueError, match="sites"):
        GANSampler(lattice_shape=(3, 4), max_iter=1).fit(X)


def test_lattice_players_from_the_shape_of_the_samples():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((5, 4, 4)) < 0.5, 1.0, -1.0)  # 5 samples: an odd last pack
    gan = GANSampler(n_components=2, max_iter=2, batch_size=4, random_state=0).fit(X)
    assert gan.lattice_shape_ == (4, 4) and gan.sample(3, random_state=0).shape == (3, 4, 4)
    flat = GANSampler(lattice_shape=None, max_iter=1, random_state=0).fit(X)
    assert flat.lattice_shape_ is None
    # a 1-D chain, given flat, and a single sample (packs repeat it)
    chain = GANSampler(lattice_shape=(4,), max_iter=2, random_state=0).fit(X[:1, 0])
    assert chain.lattice_shape_ == (4,) and chain.sample(2, random_state=0).shape == (2, 4)

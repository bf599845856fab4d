"""phase_crossing and finite_size_extrapolation against curves with known answers."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from skphys.phases import finite_size_extrapolation, phase_crossing


class LogisticOfFeature(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier with P(class 1) = sigmoid((x - x0) / w) of the first feature."""

    def __init__(self, x0=0.0, w=1.0):
        self.x0 = x0
        self.w = w

    def fit(self, X, y):
        self.classes_ = np.array(["ordered", "disordered"])
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(np.asarray(X)[:, 0] - self.x0) / self.w))
        return np.column_stack([1 - p, p])


def noisy_samples(T_grid, Tc, n_per, noise, seed):
    """Samples whose feature is the temperature plus noise: the crossing is at Tc."""
    rng = np.random.default_rng(seed)
    y = np.repeat(T_grid, n_per)
    return (y + rng.normal(0, noise, len(y)))[:, None], y


def test_crossing_recovers_tc_and_its_uncertainty_is_honest():
    T = np.linspace(1.5, 3.0, 16)
    clf = LogisticOfFeature(x0=2.269, w=0.1).fit(None, None)
    hits, stds = [], []
    for seed in range(20):
        X, y = noisy_samples(T, 2.269, 25, 0.3, seed)
        res = phase_crossing(clf, X, y, n_bootstrap=100, random_state=seed)
        hits.append(res.critical_point)
        stds.append(res.std)
    hits, stds = np.array(hits), np.array(stds)
    assert abs(hits.mean() - 2.269) < 0.02
    # the bootstrap std matches the scatter over independent data sets (within a factor 2)
    assert 0.5 < np.median(stds) / hits.std() < 2.0


def test_crossing_result_fields_and_pos_label():
    T = np.linspace(1.0, 3.0, 9)
    X, y = noisy_samples(T, 2.0, 10, 0.01, 0)
    clf = LogisticOfFeature(x0=2.0, w=0.2).fit(None, None)
    res = phase_crossing(clf, X, y, random_state=0)
    np.testing.assert_allclose(res.parameters, T)
    assert res.mean_proba.shape == (9,) and np.all(np.diff(res.mean_proba) > 0)
    assert res.critical_point == pytest.approx(2.0, abs=0.01)
    assert res.bootstrap.shape == (200,)
    # the other class's probability crosses 1/2 at the same place
    other = phase_crossing(clf, X, y, pos_label="ordered", n_bootstrap=0)
    assert other.critical_point == pytest.approx(res.critical_point, abs=1e-9)
    assert np.isnan(other.std)
    # a threshold never reached gives NaN, not a made-up point
    assert np.isnan(phase_crossing(clf, X + 10, y, n_bootstrap=0).critical_point)
    with pytest.raises(ValueError, match="pos_label"):
        phase_crossing(clf, X, y, pos_label="liquid")


def test_crossing_of_a_trained_classifier_on_the_1d_toy():
    """Supervised route: train on the far ends only, locate the transition in between."""
    rng = np.random.default_rng(0)
    T = np.linspace(0, 1, 21)
    y = np.repeat(T, 40)
    # order parameter: ~1 below 0.43, ~0 above, smooth in between
    X = (1 / (1 + np.exp((y - 0.43) / 0.04)) + rng.normal(0, 0.15, len(y)))[:, None]
    far = (y < 0.25) | (y > 0.6)
    clf = LogisticRegression().fit(X[far], y[far] > 0.43)
    res = phase_crossing(clf, X, y, random_state=0)
    assert abs(res.critical_point - 0.43) < 0.03
    assert res.std < 0.02


def test_finite_size_extrapolation_recovers_the_limit():
    L = np.array([8, 12, 16, 24, 32, 48])
    exact = 2.269185 + 0.9 / L
    res = finite_size_extrapolation(L, exact)
    assert res.critical_point == pytest.approx(2.269185, abs=1e-9)
    assert res.amplitude == pytest.approx(0.9, abs=1e-9)
    assert res.std < 1e-9
    # with noise and error bars: within 3 sigma, and the sigma is the right size
    rng = np.random.default_rng(0)
    sig = np.full(len(L), 0.005)
    pulls = []
    for _ in range(200):
        r = finite_size_extrapolation(L, exact + rng.normal(0, sig), std=sig)
        pulls.append((r.critical_point - 2.269185) / r.std)
    assert abs(np.mean(pulls)) < 0.25 and 0.8 < np.std(pulls) < 1.2
    # another exponent: T(L) = Tc + a L^(-1/nu)
    r = finite_size_extrapolation(L, 1.0 + 2.0 * L ** (-1 / 0.63), nu=0.63)
    assert r.critical_point == pytest.approx(1.0, abs=1e-9)


def test_finite_size_extrapolation_input_checks():
    with pytest.raises(ValueError, match="2 distinct"):
        finite_size_extrapolation([16, 16], [2.3, 2.31])
    with pytest.raises(ValueError, match="entries"):
        finite_size_extrapolation([16, 32], [2.3])
    with pytest.raises(ValueError, match="positive uncertainty"):
        finite_size_extrapolation([16, 32], [2.3, 2.29], std=[0.01, 0.0])
    two = finite_size_extrapolation([16, 32], [2.33, 2.30])
    assert two.critical_point == pytest.approx(2.27) and np.isnan(two.std)

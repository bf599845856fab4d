"""The Kitaev chain: entanglement spectra, and confusion finds |mu| = 2t without labels."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skphys.neural_network import MLPClassifier
from skphys.phases import ConfusionPhaseFinder, make_kitaev_chain

MU = np.linspace(0.05, 3.95, 21)  # step 0.195; the transition mu = 2 lies between grid points


@pytest.fixture(scope="module")
def kitaev():
    return make_kitaev_chain(MU, n_samples=12, n_sites=48, random_state=0)


def test_spectra_are_normalised_and_show_the_topological_degeneracy():
    X, y = make_kitaev_chain([0.3, 1.0, 3.0, 4.5], n_samples=3, n_levels=64, random_state=1)
    assert X.shape == (12, 64) and np.all(np.diff(X, axis=1) <= 1e-12)
    np.testing.assert_allclose(X.sum(1), 1.0, atol=1e-6)  # (almost) the whole spectrum
    np.testing.assert_array_equal(y, np.repeat([0.3, 1.0, 3.0, 4.5], 3))
    topo, trivial = X[y < 2], X[y > 2]
    # topological: every level twofold degenerate (Majorana modes at the two cuts)
    np.testing.assert_allclose(topo[:, 0], topo[:, 1], atol=1e-6)
    np.testing.assert_allclose(topo[:, 0], 0.5, atol=0.02)
    # trivial: one dominant level, no degeneracy of the top one
    assert np.all(trivial[:, 0] > 0.9) and np.all(trivial[:, 0] - trivial[:, 1] > 0.8)
    # mu -> -mu is a symmetry of the spectrum (particle-hole), and t sets the scale
    Xm, _ = make_kitaev_chain([-1.0], n_samples=1, delta=0.8)
    Xp, _ = make_kitaev_chain([1.0], n_samples=1, delta=0.8)
    X2, _ = make_kitaev_chain([2.0], n_samples=1, delta=1.6, t=2.0)
    np.testing.assert_allclose(Xm, Xp, atol=1e-10)
    np.testing.assert_allclose(X2, Xp, atol=1e-10)


def test_bad_parameters():
    with pytest.raises(ValueError, match="even"):
        make_kitaev_chain([1.0], n_sites=33)
    with pytest.raises(ValueError, match="delta"):
        make_kitaev_chain([1.0], delta=(1.0, 0.5))


def test_confusion_scan_finds_the_topological_transition(kitaev):
    X, y = kitaev
    finder = ConfusionPhaseFinder(LogisticRegression(max_iter=1000), random_state=0).fit(X, y)
    assert abs(finder.critical_point_ - 2.0) <= 0.2
    i = finder.critical_index_
    assert finder.scores_[i] >= finder.scores_[1:i].min() + 0.05
    assert finder.scores_[i] >= finder.scores_[i:-1].min() + 0.05


def test_multitask_finds_the_topological_transition(kitaev):
    X, y = kitaev
    net = MLPClassifier((32,), max_iter=150, learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        finder = ConfusionPhaseFinder(net, strategy="multitask", refit=False,
                                      random_state=0).fit(X, y)
    assert abs(finder.critical_point_ - 2.0) <= 0.15
    assert finder.scores_[finder.critical_index_] > 0.97

"""ConfusionPhaseFinder: the W curve on a toy with a known transition, both strategies."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skphys.neural_network import MLPClassifier
from skphys.phases import ConfusionPhaseFinder
from skphys.phases._confusion import _interior_peak
from skphys.phases._multitask import multitask_network

C_TRUE = 0.43  # the toy's transition, between grid points 0.4 and 0.45
GRID = np.linspace(0, 1, 21)  # step 0.05


def toy(n_per=40, shift=3.0, seed=0):
    """A 1-D feature whose distribution jumps at C_TRUE: N(0, 1) below, N(shift, 1) above."""
    rng = np.random.default_rng(seed)
    y = np.repeat(GRID, n_per)
    X = (rng.normal(size=len(y)) + shift * (y > C_TRUE))[:, None]
    return X, y


def assert_w_shaped(finder, margin=0.05):
    """Interior peak >= both minima between it and the ends + margin; ends above the minima."""
    s, i = finder.scores_, finder.critical_index_
    assert 0 < i < len(s) - 1
    left_min, right_min = s[: i + 1].min(), s[i:].min()
    assert s[i] >= left_min + margin and s[i] >= right_min + margin
    assert s[0] >= left_min + margin and s[-1] >= right_min + margin


@pytest.fixture(scope="module")
def toy_data():
    return toy()


def test_scan_finds_the_jump_within_one_grid_step(toy_data):
    X, y = toy_data
    finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0).fit(X, y)
    step = GRID[1] - GRID[0]
    np.testing.assert_allclose(finder.boundaries_, (GRID[1:] + GRID[:-1]) / 2)
    assert abs(finder.critical_point_ - C_TRUE) <= step
    assert_w_shaped(finder)
    # the peak is the accuracy of the best threshold of two unit Gaussians 3 apart
    assert finder.scores_[finder.critical_index_] > 0.9
    # the curve's ends are the trivial majority-label score
    trivial = finder.cv_results_["trivial_score"]
    assert abs(finder.scores_[0] - trivial[0]) < 0.02 and abs(finder.scores_[-1] - trivial[-1]) < 0.02
    assert finder.cv_results_["split2_test_score"].shape == (20,)
    assert finder.n_splits_ == 3


def test_multitask_gives_the_same_w_with_one_network_per_fold(toy_data):
    X, y = toy_data
    net = MLPClassifier((16,), max_iter=60, learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        finder = ConfusionPhaseFinder(net, strategy="multitask", random_state=0).fit(X, y)
    assert abs(finder.critical_point_ - C_TRUE) <= GRID[1] - GRID[0]
    assert_w_shaped(finder)
    # the refitted phase classifier is the user's (single-output) estimator
    assert type(finder.best_estimator_) is MLPClassifier
    assert finder.score(X, y) > 0.9


def test_refit_classifies_phases(toy_data):
    X, y = toy_data
    finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0).fit(X, y)
    phases = finder.predict(np.array([[-1.0], [4.0]]))
    np.testing.assert_array_equal(phases, [0, 1])
    proba = finder.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1)
    assert finder.score(X, y) > 0.9
    np.testing.assert_array_equal(finder.classes_, [0, 1])
    no_refit = ConfusionPhaseFinder(LogisticRegression(), refit=False, random_state=0).fit(X, y)
    assert not hasattr(no_refit, "predict")
    np.testing.assert_allclose(no_refit.scores_, finder.scores_)


def test_boundaries_as_count_and_array(toy_data):
    X, y = toy_data
    f = ConfusionPhaseFinder(LogisticRegression(), boundaries=9, refit=False, random_state=0)
    np.testing.assert_allclose(f.fit(X, y).boundaries_, np.linspace(0.1, 0.9, 9))
    f.set_params(boundaries=[0.7, 0.1, 0.42, 0.3, 0.1])
    np.testing.assert_allclose(f.fit(X, y).boundaries_, [0.1, 0.3, 0.42, 0.7])
    assert f.critical_point_ == pytest.approx(0.42, abs=0.1)


def test_scores_reproducible_and_seed_independent_of_estimator_state(toy_data):
    X, y = toy_data
    net = MLPClassifier((8,), max_iter=15, learning_rate_init=0.01)
    kw = dict(boundaries=[0.2, 0.43, 0.7], cv=2, refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = ConfusionPhaseFinder(net, random_state=3, **kw).fit(X, y).scores_
        b = ConfusionPhaseFinder(clone(net), random_state=3, **kw).fit(X, y).scores_
        c = ConfusionPhaseFinder(net, random_state=4, **kw).fit(X, y).scores_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)  # another seed: other folds and weights
    assert net.random_state is None  # the user's estimator is not modified


def test_custom_cv_scoring_and_pipeline(toy_data):
    X, y = toy_data
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    finder = ConfusionPhaseFinder(pipe, cv=KFold(4, shuffle=True, random_state=0),
                                  scoring="balanced_accuracy", refit=False).fit(X, y)
    assert finder.n_splits_ == 4
    # balanced accuracy removes the trivial ends: the curve peaks at the jump, well above 0.5
    assert abs(finder.critical_point_ - C_TRUE) <= 0.05
    assert finder.scores_[0] < 0.75 and finder.scores_.max() > 0.9


def test_multitask_network_is_the_users_classifier_on_multilabel_targets(toy_data):
    X, y = toy_data
    target = (y[:, None] > np.array([0.2, 0.43, 0.7])[None, :]).astype(np.int64)
    net = multitask_network(MLPClassifier((8,), max_iter=30, early_stopping=True,
                                          learning_rate_init=0.01, random_state=0))
    assert net.early_stopping is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, target)
    assert net.n_outputs_ == 3
    proba = net.predict_proba(X)
    assert proba.shape == (len(X), 3)
    # the middle output (the true boundary) is the one it learns best
    acc = (net.predict(X) == target).mean(0)
    assert acc[1] > 0.9 and acc[1] >= acc.max() - 1e-9
    again = pickle.loads(pickle.dumps(net))
    assert type(again) is MLPClassifier  # no class made at run time
    np.testing.assert_allclose(again.predict_proba(X), proba)


def test_finder_pickles(toy_data):
    X, y = toy_data
    finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(finder))
    np.testing.assert_array_equal(again.predict(X), finder.predict(X))


def test_bad_input():
    X, y = toy(n_per=4)
    with pytest.raises(TypeError, match="skphys neural classifier"):
        ConfusionPhaseFinder(LogisticRegression(), strategy="multitask").fit(X, y)
    with pytest.raises(ValueError, match="at least 2 distinct values"):
        ConfusionPhaseFinder(LogisticRegression()).fit(X, np.ones(len(X)))
    with pytest.raises(InvalidParameterError):
        ConfusionPhaseFinder(LogisticRegression(), strategy="both").fit(X, y)
    with pytest.raises(ValueError, match="finite"):
        ConfusionPhaseFinder(LogisticRegression(), boundaries=[0.1, np.nan]).fit(X, y)


def test_interior_peak_ignores_the_trivial_ends():
    b = np.arange(9.0)
    # ends at 1, a noisy shoulder at 1 and the real peak at 5
    s = np.array([1.0, 0.8, 0.7, 0.72, 0.7, 0.95, 0.8, 0.75, 1.0])
    i, c = _interior_peak(b, s)
    assert i == 5 and 4.5 < c < 5.5
    # symmetric neighbours: the vertex is the grid point; asymmetric: it leans to the higher
    assert _interior_peak(b, np.array([1, .8, .7, .8, .9, .8, .7, .8, 1.0]))[1] == pytest.approx(4)
    assert 4 < _interior_peak(b, np.array([1, .8, .7, .8, .9, .85, .7, .8, 1.0]))[1] < 4.5
    with pytest.warns(UserWarning, match="no interior maximum"):
        i, c = _interior_peak(b, np.linspace(1, 0.5, 9))
    assert i == 1

"""ConfusionPhaseFinder: exact labels at a boundary, Ctrl-C stops the scan, bad input is refused."""

import os
import signal
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from skphys.neural_network import MLPClassifier
from skphys.phases import ConfusionPhaseFinder
from skphys.utils._testing import is_clear_error as _clear

# the handler the fits must restore (SIG_IGN where the suite runs in a background job)
_SIGINT_BEFORE = signal.getsignal(signal.SIGINT)

GRID = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 3.5])


def data(n_per=8, n_features=4, seed=0):
    """A feature that jumps between y = 2.0 and 2.5; y itself is the first column."""
    rng = np.random.default_rng(seed)
    y = np.repeat(GRID, n_per)
    X = rng.normal(size=(len(y), n_features)) + 2.0 * (y > 2.2)[:, None]
    X[:, 0] = y
    return X.astype(np.float32), y


# ---- the label of a sample exactly at a boundary ------------------------------------------
class Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority label and records every (first feature, labels) it is fitted on."""

    seen = []

    def fit(self, X, y):
        Recorder.seen.append((np.asarray(X)[:, 0].copy(), np.asarray(y).copy()))
        self.classes_ = np.unique(y)
        self.majority_ = np.bincount(y).argmax()
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class RecordingMLP(MLPClassifier):
    """A skphys classifier (so multi-task accepts it) that records its targets."""

    seen = []

    def fit(self, X, y, **kwargs):
        RecordingMLP.seen.append((np.asarray(X)[:, 0].copy(), np.asarray(y).copy()))
        return super().fit(X, y, **kwargs)


def test_a_sample_at_a_boundary_is_labelled_below_in_both_strategies():
    X, y = data()
    Recorder.seen.clear()
    finder = ConfusionPhaseFinder(Recorder(), boundaries=[2.0], cv=2, refit=False,
                                  random_state=0).fit(X, y)
    assert len(Recorder.seen) == 2  # one boundary, two folds
    for t, labels in Recorder.seen:
        assert (t == 2.0).any()
        np.testing.assert_array_equal(labels, (t > 2.0).astype(int))  # y == c -> 0
        assert labels[t == 2.0].sum() == 0
    # the trivial score: 3 of 6 temperatures above 2.0 (4 of 6 with y >= c)
    assert finder.cv_results_["trivial_score"][0] == pytest.approx(0.5)

    RecordingMLP.seen.clear()
    net = RecordingMLP((4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ConfusionPhaseFinder(net, boundaries=[1.5, 2.0, 3.0], strategy="multitask", cv=2,
                             refit=False, random_state=0).fit(X, y)
    assert len(RecordingMLP.seen) == 2  # one network per fold
    for t, target in RecordingMLP.seen:
        expected = np.column_stack([t > c for c in (1.5, 2.0, 3.0)]).astype(int)
        np.testing.assert_array_equal(target, expected)
        assert target[t == 2.0, 1].sum() == 0 and target[t == 3.0, 2].sum() == 0


# ---- Ctrl-C stops the scan within one inner fit -------------------------------------------
class CtrlCAtFit(Callback):
    """Counts the inner fits that start; presses Ctrl-C at epoch 2 of fit number ``at``."""

    started = 0

    def __init__(self, at=3):
        self.at = at

    def initialize(self):
        self.epochs_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        CtrlCAtFit.started += 1
        self.fit_number_ = CtrlCAtFit.started

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1
        if self.fit_number_ == self.at and self.epochs_ == 2:
            os.kill(os.getpid(), signal.SIGINT)


def _interrupted_fit(finder, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            finder.fit(X, y)
        seconds = time.perf_counter() - t0
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any("Training interrupted by user: ConfusionPhaseFinder" in m for m in messages)
    with pytest.raises(NotFittedError):
        check_is_fitted(finder)
    assert signal.getsignal(signal.SIGINT) is _SIGINT_BEFORE  # restored
    return seconds


@pytest.mark.parametrize("strategy", ["scan", "multitask"])
def test_ctrl_c_stops_the_scan_within_one_inner_fit(strategy):
    X, y = data()
    CtrlCAtFit.started = 0
    at = 3 if strategy == "scan" else 2  # 5 boundaries x 2 folds, or 2 folds
    net = MLPClassifier((4,), max_iter=5, callbacks=[CtrlCAtFit(at)])
    finder = ConfusionPhaseFinder(net, strategy=strategy, cv=2, random_state=0)
    _interrupted_fit(finder, X, y)
    # the interrupted fit was the last one to start: the scan did not go on
    assert CtrlCAtFit.started == at


class SwallowsCtrlC(Recorder):
    """A classifier that, like scikit-learn's MLP, catches a Ctrl-C inside its fit."""

    calls = 0

    def fit(self, X, y):
        SwallowsCtrlC.calls += 1
        if SwallowsCtrlC.calls == 2:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
            except KeyboardInterrupt:
                warnings.warn("Training interrupted by user.", ConvergenceWarning)
        return super().fit(X, y)


def test_ctrl_c_inside_a_classifier_that_swallows_it_still_stops_the_scan():
    X, y = data()
    SwallowsCtrlC.calls = 0
    finder = ConfusionPhaseFinder(SwallowsCtrlC(), cv=2, random_state=0)
    _interrupted_fit(finder, X, y)
    assert SwallowsCtrlC.calls == 2  # the scan stopped right after the fit in progress


def test_ctrl_c_in_the_refit_keeps_a_consistent_finder():
    X, y = data()
    n_fits = 5 * 2  # boundaries x folds, then the refit is fit number 11
    CtrlCAtFit.started = 0
    net = MLPClassifier((4,), max_iter=5, callbacks=[CtrlCAtFit(n_fits + 1)])
    finder = ConfusionPhaseFinder(net, cv=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            finder.fit(X, y)
    assert any("interrupted" in str(w.message) for w in caught)
    # the scan was complete: the finder is fitted, its classifier keeps 2 of 5 epochs
    check_is_fitted(finder)
    assert finder.best_estimator_.n_iter_ == 2
    assert finder.predict(X).shape == (len(X),)


# ---- physical validation: sklearn-style errors, never a raw message -----------------------
def test_boundaries_outside_the_data_are_refused():
    rng = np.random.default_rng(0)
    y = np.repeat(np.linspace(1.0, 3.5, 6), 5)
    X = rng.normal(size=(len(y), 2))
    for bad in ([-5.0], [2.0, 4.0], [3.5], [0.999]):
        with pytest.raises(ValueError, match=r"'boundaries'.*\[1, 3\.5\)") as info:
            ConfusionPhaseFinder(LogisticRegression(), boundaries=bad).fit(X, y)
        assert _clear(info.value)
    # the edges of the range that still split the data are accepted
    finder = ConfusionPhaseFinder(LogisticRegression(), boundaries=[1.0, 2.0, 3.0],
                                  random_state=0).fit(X, y)
    np.testing.assert_array_equal(finder.boundaries_, [1.0, 2.0, 3.0])


_Y = np.repeat(np.linspace(1.0, 3.5, 6), 5)
_X = np.random.default_rng(0).normal(size=(len(_Y), 2))

BAD_CASES = st.one_of(
    # boundaries: outside the data, not finite, empty, not numbers, 2-D, 0 or negative counts
    st.lists(st.floats(-1e6, 0.99) | st.floats(3.5, 1e6), min_size=1, max_size=3).map(
        lambda b: ("boundaries outside", dict(boundaries=b), _X, _Y)),
    st.sampled_from([
        ("NaN boundary", dict(boundaries=[2.0, np.nan]), _X, _Y),
        ("inf boundary", dict(boundaries=[np.inf]), _X, _Y),
        ("empty boundaries", dict(boundaries=[]), _X, _Y),
        ("string boundaries", dict(boundaries=["a", "b"]), _X, _Y),
        ("2-D boundaries", dict(boundaries=[[1.5, 2.0], [2.5, 3.0]]), _X, _Y),
        ("zero boundaries", dict(boundaries=0), _X, _Y),
        ("float count", dict(boundaries=2.5), _X, _Y),
        ("unknown strategy", dict(strategy="both"), _X, _Y),
        ("multitask with a linear model", dict(strategy="multitask"), _X, _Y),
        ("one temperature", {}, _X, np.full(len(_Y), 2.0)),
        ("string y", {}, _X, np.array(["hot", "cold"] * 15)),
        ("too few samples per fold", dict(cv=50), _X, _Y),
        ("short y", {}, _X, _Y[:-1]),
        ("no samples", {}, _X[:0], _Y[:0]),
    ]),
    # a non-finite tuning parameter anywhere
    st.tuples(st.integers(0, len(_Y) - 1), st.sampled_from([np.nan, np.inf, -np.inf])).map(
        lambda c: ("non-finite y", {}, _X, np.where(np.arange(len(_Y)) == c[0], c[1], _Y))),
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=BAD_CASES)
def test_bad_input_gets_a_clear_error_never_a_raw_message(case):
    name, params, X, y = case
    finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            finder.fit(X, y)
        except (InvalidParameterError, ValueError, TypeError) as exc:
            assert _clear(exc), f"{name}: raw message {type(exc).__name__}: {exc}"
        except Exception as exc:
            raise AssertionError(f"{name}: raw message {type(exc).__name__}: {exc}") from exc
        else:
            raise AssertionError(f"{name}: accepted silently, critical_point_ = "
                                 f"{finder.critical_point_}")

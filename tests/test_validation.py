"""Bad input gets scikit-learn's errors and messages, never a torch traceback (hypothesis)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from skphys.neural_network import (
    CNNClassifier,
    CNNRegressor,
    MLPClassifier,
    MLPRegressor,
    RNNClassifier,
    RNNRegressor,
)

FAST = dict(max_iter=1, random_state=0)
ESTIMATORS = [
    MLPClassifier((4,), **FAST),
    MLPRegressor(hidden_layer_sizes=(4,), **FAST),
    CNNClassifier((2,), hidden_layer_sizes=(4,), **FAST),
    CNNRegressor((2,), hidden_layer_sizes=(4,), **FAST),
    RNNClassifier(4, **FAST),
    RNNRegressor(4, **FAST),
]
IDS = [type(e).__name__ for e in ESTIMATORS]
SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _target(est, n):
    return np.arange(n) % 2 if est._task == "classification" else np.linspace(0, 1, n)


def _not_torch(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return "torch" not in tb.tb_frame.f_code.co_filename


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_nan_and_inf_rejected_like_sklearn(est, data):
    X = data.draw(arrays(np.float64, (8, 4), elements=st.floats(-10, 10)))
    bad = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    i, j = data.draw(st.integers(0, 7)), data.draw(st.integers(0, 3))
    X[i, j] = bad
    with pytest.raises(ValueError, match="Input (X )?contains (NaN|infinity)") as info:
        est.fit(X, _target(est, 8))
    assert _not_torch(info.value)


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
@SETTINGS
@given(width=st.integers(1, 6).filter(lambda w: w != 4))
def test_wrong_width_at_predict(est, width):
    rng = np.random.RandomState(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(rng.rand(10, 4), _target(est, 10))
    with pytest.raises(ValueError, match="features") as info:
        est.predict(rng.rand(3, width))
    assert _not_torch(info.value)


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
def test_empty_1d_strings_objects_sparse(est):
    y = _target(est, 6)
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(np.empty((0, 4)), y[:0])
    with pytest.raises(ValueError, match="Expected a 2-dimensional container|2D array"):
        est.fit(np.arange(6.0), y)
    with pytest.raises(ValueError, match="could not convert|dtype"):
        est.fit(np.array([["a", "b"]] * 6), y)
    if est.__sklearn_tags__().input_tags.sparse:  # densified one batch at a time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(sp.csr_matrix(np.ones((6, 4))), y)
    else:
        with pytest.raises((TypeError, ValueError), match="[Ss]parse"):
            est.fit(sp.csr_matrix(np.ones((6, 4))), y)
    X_obj = np.ones((6, 4), dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_obj, y)  # numeric objects are converted, as in scikit-learn
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(np.ones((6, 4)), y[:5])


@SETTINGS
@given(y=arrays(np.float64, 10, elements=st.floats(-5, 5, allow_nan=False)))
def test_classifier_rejects_continuous_targets(y):
    if len(np.unique(y)) < 3:  # few distinct values may read as class labels
        return
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier((4,), **FAST).fit(np.ones((10, 3)), y)


@pytest.mark.parametrize("cls", [MLPClassifier, CNNClassifier, RNNClassifier])
def test_single_class_is_predicted_as_scikit_learn_does(cls):
    # scikit-learn's MLPClassifier fits a single class and always predicts it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = cls(max_iter=1).fit(np.random.rand(5, 4), np.full(5, 7))
    np.testing.assert_array_equal(clf.predict(np.random.rand(3, 4)), [7, 7, 7])
    np.testing.assert_array_equal(clf.predict_proba(np.random.rand(3, 4)), np.ones((3, 1)))


def test_bad_device_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        MLPClassifier(device="cuda", **FAST).fit(np.random.rand(6, 2), np.arange(6) % 2)

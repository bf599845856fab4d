"""skphys's own estimator checks, run beside scikit-learn's (as imbalanced-learn does).

scikit-learn's checks cover the API; these cover what a physicist relies on when a torch
model sits behind it: a seed fixes the fit, a fit leaves torch's global random state alone,
a pickled model predicts the same, class probabilities are distributions. Each check takes
``(name, estimator)`` and raises ``AssertionError`` on failure; :func:`yield_physics_checks`
lists the ones that apply to an estimator.
"""

import pickle
import threading
import warnings

import numpy as np
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "check_ctrl_c_leaves_a_consistent_estimator",
    "check_fit_leaves_torch_rng_alone",
    "check_skops_round_trip",
    "check_pickle_keeps_predictions",
    "check_predict_proba_is_a_distribution",
    "check_same_seed_same_fit",
    "yield_physics_checks",
]


def _data(estimator):
    from ._test_instances import test_data  # estimators whose X has physical units

    data = test_data(estimator)
    if data is not None:
        return data
    if is_classifier(estimator):
        X, y = make_blobs(60, n_features=4, centers=3, random_state=0)
        return X.astype(np.float32), y
    if is_regressor(estimator):
        X, y = make_regression(60, 4, noise=0.1, random_state=0)
        return X.astype(np.float32), y / np.abs(y).max()
    X, y = make_blobs(60, n_features=4, centers=3, random_state=0)
    X = np.abs(X).astype(np.float32) / np.abs(X).max()
    return X, (y if estimator.__sklearn_tags__().target_tags.required else None)


_OUTPUT_METHODS = ("predict_proba", "predict", "transform", "score_samples")


def _output(estimator, X):
    for method in _OUTPUT_METHODS:
        if hasattr(estimator, method):
            return np.asarray(getattr(estimator, method)(X))
    if hasattr(estimator, "sample"):  # a generative model (GAN): what it draws for a fixed seed
        return np.asarray(estimator.sample(len(X), random_state=0))
    raise AssertionError(f"{type(estimator).__name__} has no prediction method")


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X) if y is None else estimator.fit(X, y)


def check_same_seed_same_fit(name, estimator):
    """Two fits with the same ``random_state`` give the same model (on the same device)."""
    X, y = _data(estimator)
    a = _output(_fit(clone(estimator).set_params(random_state=3), X, y), X)
    b = _output(_fit(clone(estimator).set_params(random_state=3), X, y), X)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6,
                               err_msg=f"{name}: same random_state, different fit")


def check_fit_leaves_torch_rng_alone(name, estimator):
    """Fitting draws its randomness from ``random_state``, not from torch's global generator."""
    X, y = _data(estimator)
    torch.manual_seed(11)
    expected = torch.rand(4)
    torch.manual_seed(11)
    _fit(clone(estimator).set_params(random_state=0), X, y)
    assert torch.equal(torch.rand(4), expected), f"{name}: fit changed torch's global RNG"


def check_pickle_keeps_predictions(name, estimator):
    """A pickled and restored model predicts exactly as the original."""
    X, y = _data(estimator)
    est = _fit(clone(estimator), X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(_output(est, X), _output(again, X),
                                  err_msg=f"{name}: predictions changed through pickle")


def check_predict_proba_is_a_distribution(name, estimator):
    """Class probabilities are in [0, 1], sum to one, and agree with ``predict``."""
    X, y = _data(estimator)
    est = _fit(clone(estimator), X, y)
    P = est.predict_proba(X)
    assert P.shape == (len(X), len(est.classes_))
    assert (P >= 0).all() and (P <= 1).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(est.classes_[P.argmax(axis=1)], est.predict(X))


def check_skops_round_trip(name, estimator):
    """skops saves and loads the fitted model without running code; predictions are kept.

    Every type skops does not trust by default must come from skphys or scikit-learn (the
    packages the user installed, not arbitrary classes): a fitted skphys estimator's state is
    plain numpy, never torch objects.
    """
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops is in the test extra
        return
    X, y = _data(estimator)
    est = _fit(clone(estimator), X, y)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    foreign = [t for t in untrusted if not t.startswith(("skphys.", "sklearn."))]
    assert not foreign, f"{name}: skops needs to trust non-skphys types {foreign}"
    again = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(_output(est, X), _output(again, X),
                                  err_msg=f"{name}: predictions changed through skops")


def _sigint_callback(at):
    from ._testing import PressCtrlC

    return PressCtrlC(at)


def _callbacks_key(estimator):
    params = estimator.get_params(deep=True)
    keys = [k for k in params if k == "callbacks" or k.endswith("__callbacks")]
    return min(keys, key=len) if keys else None


def check_ctrl_c_leaves_a_consistent_estimator(name, estimator):
    """Ctrl-C during fit: KeyboardInterrupt re-raised, a warning, a consistent estimator.

    Pressed after the first iteration, the estimator keeps that complete state and predicts;
    pressed before any iteration, it is left unfitted (``NotFittedError``), never half-fitted.
    """
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        return
    key = _callbacks_key(estimator)
    assert key is not None, f"{name}: no `callbacks` parameter to observe the fit"
    prefix = key[: -len("callbacks")]
    X, y = _data(estimator)
    for at in (1, 0):
        est = clone(estimator)
        params = est.get_params(deep=True)
        if prefix + "max_iter" in params:
            est.set_params(**{prefix + "max_iter": max(3, params[prefix + "max_iter"])})
        est.set_params(**{key: [_sigint_callback(at)]})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                est.fit(X) if y is None else est.fit(X, y)
            except KeyboardInterrupt:
                pass
            else:
                raise AssertionError(f"{name}: Ctrl-C at iteration {at} did not stop the fit")
        assert any("interrupted" in str(w.message) for w in caught), (
            f"{name}: no warning says the fit was interrupted")
        if at:
            check_is_fitted(est)
            # (an estimator without a prediction method, e.g. TimeEvolution: fitted suffices)
            if any(hasattr(est, m) for m in _OUTPUT_METHODS + ("sample",)):
                out = _output(est, X)
                assert np.all(np.isfinite(np.asarray(out, dtype=float))), name
        else:
            try:
                check_is_fitted(est)
            except NotFittedError:
                pass
            else:
                raise AssertionError(f"{name}: interrupted before the first iteration, yet "
                                     "it claims to be fitted")


def yield_physics_checks(estimator):
    """The skphys checks that apply to ``estimator``."""
    if not estimator.__sklearn_tags__().input_tags.two_d_array:
        return  # the checks feed numeric arrays; estimators of strings test themselves
    params = estimator.get_params()
    predicts = any(hasattr(estimator, m) for m in _OUTPUT_METHODS + ("sample",))
    if predicts:
        yield check_skops_round_trip
    if _callbacks_key(estimator) is not None or "max_iter" in params:  # iterative fits
        yield check_ctrl_c_leaves_a_consistent_estimator
    if "random_state" in params:
        if predicts:
            yield check_same_seed_same_fit
        yield check_fit_leaves_torch_rng_alone
    if predicts:
        yield check_pickle_keeps_predictions
    if is_classifier(estimator) and hasattr(estimator, "predict_proba"):
        yield check_predict_proba_is_a_distribution

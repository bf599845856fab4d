"""Zero raw messages: hypothesis throws bad parameters and data at the neural families.

Every outcome is classified: a *clear* error (scikit-learn's or skphys's own, a ValueError or
TypeError raised from scikit-learn or skphys code), a *raw* one (raised inside torch, skorch or
Python's internals: RuntimeError, IndexError, AttributeError, KeyError, ...), or a success,
whose output must then be well-formed and finite (no silent wrong result). The tests count the
raw outcomes and assert there are none.
"""

import string
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skphys.adversarial import AdversarialPerturber
from skphys.decomposition import AutoencoderTransformer
from skphys.inspection import DreamExplainer
from skphys.neural_network import CNNClassifier, MLPClassifier, MLPRegressor, RNNClassifier

SETTINGS = settings(max_examples=int(__import__("os").environ.get("RAW_EXAMPLES", 40)), deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
_RAW_TYPES = (RuntimeError, IndexError, AttributeError, KeyError, ZeroDivisionError,
              UnboundLocalError, AssertionError, OverflowError, NotImplementedError)


def outcome(fn):
    """'ok' (with the result), 'clear' or 'raw: <where>: <message>'."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except (ValueError, TypeError, NotFittedError) as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1].filename
        if isinstance(exc, _RAW_TYPES) or any(f"/{lib}/" in where
                                              for lib in ("torch", "skorch")):
            return f"raw: {where}: {exc}", None
        return "clear", None
    except _RAW_TYPES as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1].filename
        return f"raw: {type(exc).__name__} in {where}: {exc}", None


def _finite(out):
    out = np.asarray(out)
    return out.dtype.kind not in "fc" or bool(np.all(np.isfinite(out)))


# ---- strategies -------------------------------------------------------------------------------
def numbers():
    return st.one_of(st.integers(-3, 12), st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from([0, 1, 1e30, -1e-30, 0.5]))


devices = st.one_of(st.sampled_from(["auto", "cpu", "cuda", "cuda:7", "mps", "tpu", "", "cpu:0",
                                     "CPU", "gpu"]),
                    st.text(string.ascii_letters + ":0123456789", max_size=8))


def data_strategy(nd=False):
    @st.composite
    def draw(draw_):
        n = draw_(st.integers(1, 8))
        shape = (n, draw_(st.integers(1, 7)), draw_(st.integers(1, 7))) if nd else \
            (n, draw_(st.integers(1, 6)))
        scale = draw_(st.sampled_from([1.0, 1e-30, 1e30]))
        X = np.random.RandomState(n).rand(*shape) * scale
        y = draw_(st.sampled_from(["two", "one", "strings", "float", "many"]))
        y = {"two": np.arange(n) % 2, "one": np.zeros(n), "strings": np.array(["a", "b"])[
            np.arange(n) % 2], "float": np.linspace(0, 1, n), "many": np.arange(n)}[y]
        return X, y
    return draw()


def _run_classifier(est, X, y):
    est.fit(X, y)
    out = est.predict_proba(X)
    assert out.shape == (len(X), len(est.classes_)), "wrong predict_proba shape"
    assert _finite(out), "non-finite probabilities"
    return out


def _check_no_raw(results):
    raw = [r for r in results if r.startswith("raw")]
    assert not raw, raw


def one_bad(valid, invalid):
    """Valid values for every parameter, except (at most) one drawn from the invalid ones."""
    @st.composite
    def draw(draw_):
        params = {k: draw_(v) for k, v in valid.items()}
        which = draw_(st.sampled_from([None, None] + sorted(invalid)))
        if which is not None:
            params[which] = draw_(invalid[which])
        return params
    return draw()


# ---- families ----------------------------------------------------------------------------------
_RESULTS = {}


@SETTINGS
@given(params=one_bad({
    "hidden_layer_sizes": st.one_of(st.integers(1, 5), st.lists(st.integers(1, 4), min_size=1,
                                                                max_size=3)),
    "batch_size": st.one_of(st.just("auto"), st.integers(1, 20)),
    "learning_rate_init": st.sampled_from([1e-3, 0.1, 10.0]),
    "alpha": st.sampled_from([0.0, 1e-4, 10.0]), "max_iter": st.integers(1, 3),
    "validation_fraction": st.sampled_from([0.1, 0.5, 0.9]), "early_stopping": st.booleans(),
    "solver": st.sampled_from(["adam", "sgd", "lbfgs"]),
    "dropout": st.sampled_from([0.0, 0.5, 0.99]), "device": st.sampled_from(["auto", "cpu"]),
    "n_iter_no_change": st.sampled_from([1, 10, np.inf]),
}, {
    "hidden_layer_sizes": st.one_of(st.integers(-1, 0), st.lists(st.integers(-1, 0),
                                                                 min_size=1)),
    "batch_size": st.integers(-1, 0), "learning_rate_init": numbers(), "alpha": numbers(),
    "max_iter": st.integers(-1, 0), "validation_fraction": numbers(),
    "solver": st.text(max_size=5), "dropout": numbers(), "device": devices,
    "n_iter_no_change": numbers(),
}), data=data_strategy())
def test_mlp_family(params, data):
    X, y = data
    for cls in (MLPClassifier, MLPRegressor):
        est = cls(**params, random_state=0)
        if cls is MLPRegressor:
            status, _ = outcome(lambda: (est.fit(X, np.linspace(0, 1, len(X))),
                                         _assert_finite(est.predict(X)))[1])
        else:
            status, _ = outcome(lambda: _run_classifier(est, X, y))
        _RESULTS.setdefault("mlp", []).append(status)
    _check_no_raw(_RESULTS["mlp"])


def _assert_finite(out):
    if not _finite(out):
        raise AssertionError("non-finite predictions after a successful fit")
    return out


@SETTINGS
@given(params=one_bad({
    "filters": st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1, max_size=3)),
    "kernel_size": st.integers(1, 9), "stride": st.integers(1, 4),
    "padding": st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 3)),
    "padding_mode": st.sampled_from(["zeros", "circular", "reflect", "replicate"]),
    "pooling": st.sampled_from(["max", "avg", None]), "pool_size": st.integers(1, 5),
    "input_shape": st.none(),
}, {
    "filters": st.lists(st.integers(-1, 0), min_size=1, max_size=2),
    "kernel_size": st.integers(-1, 0), "stride": st.integers(-1, 0),
    "padding": st.one_of(st.just("full"), st.integers(-2, -1)),
    "padding_mode": st.just("mirror"), "pooling": st.just("min"), "pool_size": st.just(0),
    "input_shape": st.tuples(st.integers(1, 5), st.integers(1, 5)),
}), data=data_strategy(nd=True))
def test_cnn_geometry(params, data):
    X, y = data
    est = CNNClassifier(**params, hidden_layer_sizes=(3,), max_iter=1, random_state=0)
    status, _ = outcome(lambda: _run_classifier(est, X, y))
    _RESULTS.setdefault("cnn", []).append(status)
    _check_no_raw(_RESULTS["cnn"])


@SETTINGS
@given(params=one_bad({
    "hidden_size": st.integers(1, 4), "num_layers": st.integers(1, 3),
    "cell": st.sampled_from(["rnn", "lstm", "gru"]), "bidirectional": st.booleans(),
    "n_features_per_step": st.none(),
}, {
    "hidden_size": st.integers(-1, 0), "num_layers": st.integers(-1, 0),
    "cell": st.just("transformer"), "n_features_per_step": st.integers(-1, 7),
}), data=data_strategy(nd=True))
def test_rnn_shapes(params, data):
    X, y = data
    est = RNNClassifier(**params, max_iter=1, random_state=0)
    status, _ = outcome(lambda: _run_classifier(est, X, y))
    _RESULTS.setdefault("rnn", []).append(status)
    _check_no_raw(_RESULTS["rnn"])


@SETTINGS
@given(params=one_bad({
    "n_components": st.integers(1, 8), "variational": st.booleans(),
    "filters": st.one_of(st.none(), st.lists(st.integers(1, 3), min_size=1, max_size=2)),
    "kernel_size": st.sampled_from([1, 3, 5]),
    "loss": st.sampled_from(["squared_error", "binary_crossentropy"]),
}, {
    "n_components": st.integers(-1, 0),
    "filters": st.lists(st.integers(-1, 0), min_size=1, max_size=2),
    "kernel_size": st.integers(-1, 6), "loss": st.just("l1"),
}), data=data_strategy(nd=True), n_samples=st.one_of(st.integers(-3, 3), st.floats(),
                                                      st.text(max_size=2)))
def test_autoencoder(params, data, n_samples):
    X, _ = data
    est = AutoencoderTransformer(**params, hidden_layer_sizes=(4,), max_iter=1, random_state=0)

    def run():
        Z = _assert_finite(est.fit(X).transform(X))
        assert Z.shape == (len(X), est.n_components)
        _assert_finite(est.inverse_transform(Z))
        if est.variational:
            _assert_finite(est.sample(n_samples, random_state=0))
    status, _ = outcome(run)
    _RESULTS.setdefault("ae", []).append(status)
    _check_no_raw(_RESULTS["ae"])


@pytest.fixture(scope="module")
def digits_mlp():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier((16,), max_iter=20, random_state=0).fit(X, y[:300]), X, y[:300]


@SETTINGS
@given(target=st.one_of(st.none(), st.integers(-3, 12), st.text(max_size=6), st.floats(),
                        st.sampled_from(["hidden:0:3", "0:5", "layer", "class", "99"])),
       init=st.sampled_from(["mean", "class_mean", "zeros", "noise", "random"]),
       image_shape=st.one_of(st.none(), st.tuples(st.integers(-1, 9), st.integers(-1, 9))))
def test_dream_targets(digits_mlp, target, init, image_shape):
    from sklearn.frozen import FrozenEstimator

    clf, X, y = digits_mlp
    est = DreamExplainer(FrozenEstimator(clf), target=target, init=init,
                         image_shape=image_shape, max_iter=2)
    status, _ = outcome(lambda: _assert_finite(est.fit(X, y).transform(X[:3])))
    _RESULTS.setdefault("dream", []).append(status)
    _check_no_raw(_RESULTS["dream"])


@SETTINGS
@given(eps=numbers(), attack=st.sampled_from(["fgsm", "pgd", "bim", "deepfool", "cw"]),
       norm=st.sampled_from(["inf", 2, 1, "2"]), width=st.integers(1, 70),
       n=st.integers(0, 3))
def test_perturber_inputs(digits_mlp, eps, attack, norm, width, n):
    from sklearn.frozen import FrozenEstimator

    clf, X, y = digits_mlp
    est = AdversarialPerturber(FrozenEstimator(clf), attack=attack, eps=eps, norm=norm,
                               max_iter=2)
    rng = np.random.RandomState(0)
    status, _ = outcome(lambda: _assert_finite(est.fit(X).transform(rng.rand(n, width))))
    _RESULTS.setdefault("perturber", []).append(status)
    _check_no_raw(_RESULTS["perturber"])

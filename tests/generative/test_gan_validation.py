"""GANSampler's bad input gets scikit-learn-style errors, never a raw torch/Python message."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skphys.generative import GANSampler
from skphys.utils._testing import is_clear_error as _clear

FAST = dict(n_components=2, lattice_channels=(4,), discriminator_layer_sizes=(8,),
            generator_layer_sizes=(8,), batch_size=16, max_iter=1, random_state=0)
_SPINS = np.where(np.random.default_rng(0).random((20, 4, 4)) < 0.5, 1.0, -1.0)


def _nan_at(i):
    X = _SPINS.copy()
    X.flat[i] = np.nan
    return X


BAD_FITS = st.one_of(
    st.sampled_from([
        ("empty X", {}, _SPINS[:0]),
        ("1-D X", {}, _SPINS[:, 0, 0]),
        ("strings", {}, np.array([["a", "b"]] * 5)),
        ("lattice of the wrong size", dict(lattice_shape=(3, 4)), _SPINS),
        ("lattice with a zero side", dict(lattice_shape=(0, 16)), _SPINS),
        ("lattice with a negative side", dict(lattice_shape=(-4, -4)), _SPINS),
        ("binary output of many values", dict(output="binary"), np.arange(40.0).reshape(10, 4)),
        ("no discriminator layers", dict(discriminator_layer_sizes=()), _SPINS),
        ("no lattice layers", dict(lattice_channels=()), _SPINS),
        ("zero layer size", dict(generator_layer_sizes=(0,), lattice_shape=None), _SPINS),
        ("device tpu", dict(device="tpu"), _SPINS),
        ("callbacks not a list", dict(callbacks="progress"), _SPINS),
        ("activation", dict(activation="swish?"), _SPINS),
        ("too large for float32", {}, np.full((6, 4), 1e300)),
    ]).map(lambda c: c[:2] + (c[2],)),
    # numeric parameters out of their range
    st.sampled_from([
        ("n_components", [0, -1, 2.5, "many"]),
        ("n_sign_components", [-1, 1.5]),
        ("pack", [0, -2]),
        ("batch_size", [0]),
        ("gradient_penalty", [-1.0, np.nan]),
        ("generator_averaging", [1.0, -0.1]),
        ("learning_rate_init", [0.0, -1e-3]),
        ("beta_1", [1.0, -0.1]),
        ("max_iter", [0, -5]),
    ]).flatmap(lambda p: st.sampled_from(p[1]).map(
        lambda v: (f"{p[0]}={v!r}", {p[0]: v}, _SPINS))),
    # NaN or infinity anywhere in X
    st.integers(0, _SPINS.size - 1).map(lambda i: ("NaN in X", {}, _nan_at(i))),
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=BAD_FITS)
def test_bad_fit_input_gets_a_clear_error(case):
    name, params, X = case
    gan = GANSampler(**{**FAST, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            gan.fit(X)
        except (ValueError, TypeError) as exc:
            assert _clear(exc), f"{name}: raw message {type(exc).__name__}: {exc}"
        except Exception as exc:
            raise AssertionError(f"{name}: raw message {type(exc).__name__}: {exc}") from exc
        else:
            raise AssertionError(f"{name}: accepted silently")


@pytest.fixture(scope="module")
def fitted():
    return GANSampler(**FAST).fit(_SPINS)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(n=st.sampled_from([0, -3, 2.5, "a", None, np.inf, np.nan, [3]]))
def test_bad_sample_counts_get_a_clear_error(fitted, n):
    with pytest.raises((ValueError, TypeError), match="n_samples") as info:
        fitted.sample(n)
    assert _clear(info.value)


def test_sample_before_fit_and_with_a_bad_seed():
    with pytest.raises(NotFittedError):
        GANSampler().sample(3)
    fitted = GANSampler(**FAST).fit(_SPINS)
    with pytest.raises(ValueError, match="seed") as info:
        fitted.sample(3, random_state="zero")
    assert _clear(info.value)
    assert fitted.sample(np.int64(3), random_state=0).shape == (3, 4, 4)

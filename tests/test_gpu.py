"""GPU behaviour (marked ``gpu``: skipped without CUDA; run them on a machine with one)."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skphys.neural_network import CNNClassifier, MLPClassifier, RNNRegressor

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("cls,kw", [(MLPClassifier, dict(hidden_layer_sizes=(64,))),
                                    (CNNClassifier, dict(filters=(8,), input_shape=(8, 8)))])
def test_auto_uses_cuda_and_matches_cpu_quality(digits, cls, kw):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gpu = cls(**kw, max_iter=20, random_state=0, device="auto").fit(X, y)
        cpu = cls(**kw, max_iter=20, random_state=0, device="cpu").fit(X, y)
    assert gpu.device_.type == "cuda"
    assert next(gpu.net_.module_.parameters()).is_cuda
    assert abs(gpu.score(X, y) - cpu.score(X, y)) < 0.03


def test_same_seed_same_fit_on_gpu(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier((32,), max_iter=3, random_state=0, device="cuda").fit(X, y)
        b = MLPClassifier((32,), max_iter=3, random_state=0, device="cuda").fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)


def test_gpu_model_pickles_and_predicts(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = RNNRegressor(8, max_iter=2, random_state=0, device="cuda").fit(X, y)
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_allclose(again.predict(X), reg.predict(X), rtol=1e-5)
    assert again.device_.type == "cuda"

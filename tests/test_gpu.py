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


def test_rbm_wavefunction_on_gpu():
    # the CUDA paths: block-Gibbs and exchange samplers, SR in double precision, tomography
    from skphys.datasets._measurements import make_quantum_snapshots
    from skphys.quantum import (
        Heisenberg,
        RBMWavefunction,
        TransverseFieldIsing,
        exact_ground_state,
    )

    for H, sampler, bar in [(TransverseFieldIsing(8, h=1.0), "gibbs", 1e-3),
                            (Heisenberg(10), "exchange", 2e-3)]:
        psi = RBMWavefunction(hamiltonian=H, n_samples=500, max_iter=250, device="cuda",
                              random_state=0).fit()
        assert psi.sampler_ == sampler
        e0 = exact_ground_state(H).energy
        assert (psi.expectation(H) - e0) / abs(e0) < bar
    X, _, state = make_quantum_snapshots(10000, n_sites=6, return_state=True, random_state=0)
    model = RBMWavefunction(max_iter=150, device="cuda", random_state=0).fit(X)
    assert model.fidelity(state) >= 0.98

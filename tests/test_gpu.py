"""GPU behaviour (marked ``gpu``: skipped without CUDA; run them on a machine with one)."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
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


@pytest.mark.parametrize("cls", [MLPClassifier, CNNClassifier])
def test_early_stopping_scores_on_gpu(digits, cls):
    # the validation score is computed from outputs on the GPU
    X, y = digits
    kw = {"input_shape": (8, 8), "filters": (4,)} if cls is CNNClassifier else {}
    clf = cls(**kw, early_stopping=True, max_iter=30, random_state=0, device="cuda").fit(X, y)
    assert clf.device_.type == "cuda" and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ > 0.8


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


def _cuda_instances():
    from skphys.utils import all_estimators
    from skphys.utils._test_instances import test_instance

    for _, cls in all_estimators():
        est = clone(test_instance(cls))  # never the shared instance the common checks use
        keys = [k for k in est.get_params() if k in ("device", "estimator__device")]
        if keys:  # the estimator's own device, or that of the network it wraps
            yield pytest.param(est.set_params(**{keys[0]: "cuda"}), id=cls.__name__)


# what a fitted model computes, comparable across devices: its predictions, for a model of wave
# functions without one their amplitudes, or for a generative model without one (the GAN) its
# generator on fixed latents drawn on the CPU (sample() draws its noise on the model's device,
# whose random streams differ between CUDA and CPU)
_OUTPUTS = """
import numpy as np, torch
from skphys.utils.estimator_checks import _OUTPUT_METHODS, _output

def outputs(est, X):
    if any(hasattr(est, m) for m in _OUTPUT_METHODS):
        return _output(est, X)
    states = [est.state_] if hasattr(est, "state_") else getattr(est, "estimators_", None)
    if states is not None:  # wave functions (time evolution, excited states): log psi of
        n = states[0].n_features_in_  # every configuration (0/1 spins)
        spins = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
        return np.stack([s.log_psi(spins) for s in states])
    G = est.generator_
    G.train(False)
    torch.manual_seed(0)
    z = G.draw_latent(16, torch.device("cpu"))
    with torch.inference_mode():
        return G(z.to(next(G.parameters()).device)).cpu().numpy()

def device(est):  # the fitted network's device, also inside a meta-estimator or its pipeline
    if hasattr(est, "estimator_"):
        est = est.estimator_
    elif hasattr(est, "estimators_"):  # one network per state (ExcitedStates)
        est = est.estimators_[0]
    return (est[-1] if hasattr(est, "steps") else est).device_
"""


@pytest.mark.parametrize("estimator", list(_cuda_instances()))
def test_a_cuda_fitted_model_loads_on_a_machine_without_cuda(estimator, tmp_path):
    # fitted on the GPU, pickled (portable numpy state), loaded and used in a process that sees
    # no CUDA device: the same outputs, on the CPU, with a warning that says so
    import os
    import subprocess
    import sys

    from skphys.utils.estimator_checks import _data, _fit

    space = {}
    exec(_OUTPUTS, space)
    X, y = _data(estimator)
    est = _fit(estimator, X, y)
    assert space["device"](est).type == "cuda"
    np.save(tmp_path / "X.npy", np.asarray(X))
    np.save(tmp_path / "expected.npy", space["outputs"](est, X))
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(est))
    script = _OUTPUTS + f"""
import pickle, warnings
assert not torch.cuda.is_available()
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    est = pickle.loads(open({str(tmp_path / "model.pkl")!r}, "rb").read())
assert any("loaded on the CPU" in str(x.message) for x in w), [str(x.message) for x in w]
assert device(est).type == "cpu", device(est)
X = np.load({str(tmp_path / "X.npy")!r})
np.testing.assert_allclose(outputs(est, X), np.load({str(tmp_path / "expected.npy")!r}),
                           rtol=1e-4, atol=1e-5)
print("ok")
"""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr[-3000:]

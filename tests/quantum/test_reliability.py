"""RBMWavefunction on the iteration driver: Ctrl-C, callbacks, history, validation, persistence."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from skphys.base import DivergenceError
from skphys.base._persistence import to_portable
from skphys.datasets._measurements import make_quantum_snapshots
from skphys.quantum import (
    ExactState,
    Heisenberg,
    PauliSum,
    RBMWavefunction,
    TransverseFieldIsing,
    codes_to_spins,
    exact_ground_state,
    neg_energy_scorer,
)
from skphys.utils._testing import PressCtrlC as CtrlC

ALL6 = codes_to_spins(np.arange(64), 6).astype(float)
# a constant step: the "auto" one anneals over the last part of max_iter, so that a fit
# stopped after k of n iterations would not be a fit of k iterations
GROUND = dict(hamiltonian=TransverseFieldIsing(6, h=1.0), n_samples=200, learning_rate=0.025,
              random_state=0)
GROUND_ATTRS = ["intercept_visible_", "intercept_hidden_", "components_", "n_features_in_",
                "n_hidden_", "n_parameters_", "n_up_", "marshall_sign_", "marshall_sublattice_",
                "sampler_", "n_iter_", "history_", "loss_curve_", "energy_curve_", "energy_",
                "energy_error_", "energy_variance_", "device_"]
TOMO_ATTRS = ["intercept_visible_", "intercept_hidden_", "components_", "n_features_in_",
              "n_hidden_", "n_parameters_", "n_up_", "marshall_sign_", "likelihood_",
              "n_iter_", "history_", "loss_curve_", "device_"]


@pytest.fixture(scope="module")
def snapshots():
    X, _, state = make_quantum_snapshots(2000, n_sites=6, return_state=True, random_state=0)
    return X, state


def _interrupted_fit(est, X=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            est.fit(X)
    messages = [str(w.message) for w in caught]
    assert any("Training interrupted by user" in m for m in messages), messages
    return est


# ---------------------------------------------------------------------------------------
# the interruption contract, with a real SIGINT
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["ground", "exact", "pcd"])
def test_ctrl_c_keeps_the_last_complete_iteration(mode, snapshots):
    X, _ = snapshots
    if mode == "ground":
        kw, data, attrs = dict(GROUND), None, GROUND_ATTRS
    else:
        # pcd with a constant step: its "auto" step anneals over the last part of max_iter
        kw = dict(random_state=0) if mode == "exact" else dict(
            likelihood="pcd", n_samples=100, batch_size=500, learning_rate=0.05,
            random_state=0)
        data, attrs = X, TOMO_ATTRS
    est = _interrupted_fit(RBMWavefunction(max_iter=10, callbacks=[CtrlC(3)], **kw), data)
    for name in attrs:
        assert hasattr(est, name), name
    assert est.n_iter_ == 3 and len(est.history_) == len(est.loss_curve_) == 3
    # the state is that of a fit that ran exactly three iterations
    ref = RBMWavefunction(max_iter=3, **kw).fit(data)
    np.testing.assert_array_equal(est.components_, ref.components_)
    p = np.exp(est.score_samples(ALL6))
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)
    S = est.sample(50, random_state=0)
    assert S.shape == (50, 6) and set(np.unique(S)) <= {-1.0, 1.0}
    if mode == "ground":
        assert est.energy_ == ref.energy_ and np.isfinite(est.energy_error_)
        assert np.isfinite(est.expectation(kw["hamiltonian"]))


@pytest.mark.parametrize("mode", ["ground", "tomography"])
def test_ctrl_c_before_the_first_iteration_leaves_it_unfitted(mode, snapshots):
    X, _ = snapshots
    kw, data = (GROUND, None) if mode == "ground" else (dict(random_state=0), X)
    est = RBMWavefunction(max_iter=5, **kw).fit(data)  # fitted once: the refit is cut short
    est.set_params(callbacks=[CtrlC(0)])
    _interrupted_fit(est, data)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    with pytest.raises(NotFittedError):
        est.score_samples(ALL6)


def test_a_failed_refit_does_not_leave_a_half_fitted_estimator(snapshots):
    X, _ = snapshots
    est = RBMWavefunction(max_iter=3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="spin configurations"):
        est.fit(X * 0.3)
    with pytest.raises(NotFittedError):
        est.sample(2)


def test_early_stopping_callback_is_a_normal_stop(snapshots):
    # skorch's convention: KeyboardInterrupt from on_epoch_end (EarlyStopping) stops quietly
    class StopAt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 4:
                raise KeyboardInterrupt

    X, _ = snapshots
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no interruption warning
        est = RBMWavefunction(max_iter=20, callbacks=[StopAt()], random_state=0).fit(X)
    assert est.n_iter_ == 4


# ---------------------------------------------------------------------------------------
# callbacks, history, progress
# ---------------------------------------------------------------------------------------
def test_callbacks_see_the_state_without_changing_the_fit():
    class Snapshot(Callback):
        def initialize(self):
            self.rows_ = []
            return self

        def on_epoch_end(self, net, **kwargs):
            est = net.publish()  # the current state in the fitted attributes
            assert est is net.estimator
            self.rows_.append((len(net.history), est.n_iter_, est.components_.copy(),
                               est.energy_))

    cb = Snapshot()
    H = GROUND["hamiltonian"]
    observed = RBMWavefunction(max_iter=6, callbacks=[cb], **GROUND).fit()
    plain = RBMWavefunction(max_iter=6, **GROUND).fit()
    np.testing.assert_array_equal(observed.components_, plain.components_)
    assert observed.energy_ == plain.energy_
    assert [r[0] for r in cb.rows_] == [r[1] for r in cb.rows_] == list(range(1, 7))
    # the snapshots are the states of shorter fits, and their energies are measured
    three = RBMWavefunction(max_iter=3, **GROUND).fit()
    np.testing.assert_array_equal(cb.rows_[2][2], three.components_)
    assert cb.rows_[2][3] == three.energy_
    assert abs(cb.rows_[-1][3] - plain.expectation(H)) < 0.5
    # one history: a row per iteration, loss = energy, and the driver's timing
    assert len(plain.history_) == plain.n_iter_ == 6
    assert plain.loss_curve_ == plain.energy_curve_ == [r["loss"] for r in plain.history_]
    assert {"loss", "energy_error", "energy_variance", "dur"} <= set(plain.history_[0])


def test_progress_in_the_one_skphys_format(capsys, snapshots):
    X, _ = snapshots
    RBMWavefunction(max_iter=3, verbose=2, random_state=0).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("Iteration 1, loss = ")
    RBMWavefunction(max_iter=3, verbose=1, random_state=0).fit(X)
    err = capsys.readouterr().err
    assert "RBMWavefunction (tomography)" in err and "3/3" in err  # a tqdm bar


def test_divergence_keeps_the_last_healthy_state():
    est = RBMWavefunction(hamiltonian=Heisenberg(6), marshall_sign=False, param_dtype="real",
                          learning_rate=1e4, diag_shift=0.0, n_samples=100, max_iter=50,
                          random_state=0)
    with pytest.raises(DivergenceError, match="diverged at iteration"):
        est.fit()
    assert 0 < est.n_iter_ == len(est.history_) < 50
    assert np.all(np.isfinite(est.components_)) and np.isfinite(est.energy_)
    assert all(np.isfinite(est.energy_curve_))


# ---------------------------------------------------------------------------------------
# physical validation: clear messages naming the parameter
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, match", [
    (0.3, "spin configurations.*0.3"),
    (1e30, "spin configurations"),
    (2.0, "spin configurations"),
    ("mixed", "-1, 0 and 1 together"),
    (np.nan, "Input X contains NaN"),
    (np.inf, "Input X contains infinity"),
])
def test_snapshots_must_be_spins(bad, match, snapshots):
    X = snapshots[0][:50].copy()
    if bad == "mixed":
        X[0, 0] = 0.0  # a spin-1 value among +-1
    else:
        X[3, 2] = bad
    with pytest.raises(ValueError, match=match):
        RBMWavefunction(max_iter=2).fit(X)
    est = RBMWavefunction(max_iter=2, random_state=0).fit(snapshots[0])
    with pytest.raises(ValueError, match=match):
        est.score_samples(X)


def test_binarize_reads_measured_values_as_spins(snapshots):
    X, _ = snapshots
    rng = np.random.default_rng(0)
    counts = np.where(X > 0, rng.poisson(30, X.shape), rng.poisson(2, X.shape))  # photons
    a = RBMWavefunction(max_iter=20, binarize=10, random_state=0).fit(counts)
    b = RBMWavefunction(max_iter=20, random_state=0).fit((X > 0).astype(float))
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.score_samples(counts[:5]), b.score_samples(X[:5]))


def test_method_arguments_are_validated(snapshots):
    X, state = snapshots
    est = RBMWavefunction(max_iter=3, random_state=0).fit(X)
    for n in (-3, 0, 2.5, "3", None):
        with pytest.raises(InvalidParameterError, match="'n_samples' parameter of "
                                                        "RBMWavefunction.sample"):
            est.sample(n)
    with pytest.raises(InvalidParameterError, match="'operator' parameter"):
        est.expectation(np.eye(64))
    with pytest.raises(ValueError, match="operator acts on 4 spins, the state has 6"):
        est.expectation(TransverseFieldIsing(4))
    with pytest.raises(InvalidParameterError, match="'n_samples' parameter of "
                                                    "RBMWavefunction.expectation"):
        est.expectation(TransverseFieldIsing(6), n_samples=-1)
    with pytest.raises(ValueError, match="amplitudes"):
        est.fidelity(np.ones(63))
    with pytest.raises(ValueError, match="NaN"):
        est.fidelity(np.full(64, np.nan))
    with pytest.raises(ValueError, match="zero vector"):
        est.fidelity(np.zeros(64))
    with pytest.raises(ValueError, match="ExactState of 4 spins"):
        est.fidelity(exact_ground_state(TransverseFieldIsing(4)))
    with pytest.raises(ValueError, match="bases"):
        est.score_samples(X[:3], bases=["ZZZ"] * 3)
    with pytest.raises(ValueError, match="bases"):
        est.score_samples(X[:3], bases=["ZZZZZQ"] * 3)
    with pytest.raises(ValueError, match="ground-state fits"):
        neg_energy_scorer(est)
    assert 0.0 <= est.fidelity(state) <= 1.0


@pytest.mark.parametrize("params, match", [
    (dict(sampler="local"), "'sampler' parameter of RBMWavefunction is not used by tomography"),
    (dict(diag_shift=0.1), "'diag_shift'"),
    (dict(marshall_sign=True), "'marshall_sign'"),
    (dict(n_chains=10), "'n_chains'"),
    (dict(batch_size=100), "'batch_size'.*exact likelihood"),
    (dict(n_samples=64), "'n_samples'.*exact likelihood"),
    (dict(n_sweeps=3), "'n_sweeps'"),
    (dict(n_up=7), "n_up=7 is larger than the number of spins, 6"),
    (dict(n_up=2), "another number of spins up"),
    (dict(device="tpu"), "'device' parameter of RBMWavefunction"),
    (dict(learning_rate=lambda it: -1.0), "learning_rate schedule returned -1.0"),
])
def test_tomography_refuses_settings_it_would_ignore_or_cannot_do(params, match, snapshots):
    X, _ = snapshots
    params = dict(params)
    bases = None
    if params.pop("bases", False):
        bases = ["XZZZZZ"] * len(X)
    with pytest.raises(ValueError, match=match):
        RBMWavefunction(max_iter=2, **params).fit(X, bases=bases)
    # persistent contrastive divergence does use its sampling settings
    RBMWavefunction(likelihood="pcd", n_samples=64, batch_size=500, n_sweeps=2,
                    max_iter=1).fit(X)


@pytest.mark.parametrize("params, match", [
    (dict(likelihood="pcd"), "'likelihood' parameter of RBMWavefunction is not used by a "
                             "ground-state fit"),
    (dict(batch_size=10), "'batch_size'"),
    (dict(sampler="exact", n_sweeps=3), "'n_sweeps'.*sampler='exact'"),
    (dict(n_up=9), "n_up=9 is larger than the number of spins, 6"),
    (dict(n_up=3, hamiltonian=TransverseFieldIsing(6)), "conserves S\\^z_total"),
    (dict(sampler="gibbs", n_up=3), "leaves the n_up sector"),
    (dict(marshall_sign=True, hamiltonian=PauliSum(6, [(1.0, "XX", (0, 1))])),
     "marshall_sign=True needs a lattice"),
    (dict(bases=True), "bases describe tomography snapshots"),
])
def test_ground_state_refuses_settings_it_would_ignore_or_cannot_do(params, match):
    params = {"hamiltonian": Heisenberg(6), **params}
    bases = ["Z" * 6] if params.pop("bases", False) else None
    with pytest.raises(ValueError, match=match):
        RBMWavefunction(max_iter=2, **params).fit(bases=bases)


def test_tags_never_raise_and_the_device_is_resolved_once_per_fit(monkeypatch, snapshots):
    est = RBMWavefunction(device="cuda")
    assert is_classifier(est) is False  # tags do not query the hardware
    assert est.__sklearn_tags__().non_deterministic
    assert not RBMWavefunction(device="cpu").__sklearn_tags__().non_deterministic
    import skphys.quantum._wavefunction as wf

    calls = []
    real = wf.resolve_device
    monkeypatch.setattr(wf, "resolve_device", lambda *a, **k: calls.append(a) or real(*a, **k))
    fitted = RBMWavefunction(max_iter=3, random_state=0).fit(snapshots[0])
    fitted.score_samples(ALL6), fitted.sample(3), fitted.fidelity(snapshots[1])
    assert len(calls) == 1 and fitted.device_ == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            RBMWavefunction(device="cuda", max_iter=1).fit(snapshots[0])


# ---------------------------------------------------------------------------------------
# bad input, drawn by hypothesis: zero raw torch/Python messages, zero silent wrong results
# ---------------------------------------------------------------------------------------
VALUES = [-1.0, 0.0, 1.0, 0.3, 2.0, 1e30, -1e30, np.nan, np.inf]
RAW_TYPES = (AttributeError, IndexError, KeyError, RuntimeError, ZeroDivisionError,
             OverflowError, NotImplementedError, AssertionError, UnboundLocalError, NameError)
RAW_WORDS = ("has no attribute", "not subscriptable", "unsupported operand", "index out of",
             "must be real number, not", "object is not callable", "Tensor", "tensor",
             "cannot convert float NaN", "got an unexpected keyword")


def _raw(exc):
    """A message from torch, numpy or Python internals rather than a sklearn-style one."""
    if isinstance(exc, RAW_TYPES) or not isinstance(exc, (ValueError, TypeError)):
        return True
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_filename
    return "/torch/" in where or any(w in str(exc) for w in RAW_WORDS)


FIT_OPTIONS = {
    "n_up": ["auto", None, 0, 2, 3, 7, -1, 2.5],
    "likelihood": ["auto", "exact", "pcd", "fast"],
    "param_dtype": ["auto", "real", "complex", "float"],
    "alpha": [0.5, 1.0, 0, -1.0],
    "batch_size": ["auto", 2, 0],
    "sampler": ["auto", "local", "exchange", "gibbs", "exact", "other"],
    "n_samples": [1008, 16, 0],
    "n_sweeps": [1, 2, 0],
    "n_chains": [None, 4, 0],
    "marshall_sign": ["auto", True, False, "yes"],
    "learning_rate": ["auto", 0.05, 0.0, -1.0, "fast", lambda it: float("nan")],
    "binarize": [None, 0.5, np.nan],
    "device": ["cpu", "tpu", "cuda:7", 3],
    "init_std": [0.01, 0.0],
}
HAMILTONIANS = [None, None, TransverseFieldIsing(3), Heisenberg(4), Heisenberg((2, 2)),
                PauliSum(3, [(1.0, "XY", (0, 2)), (0.5, "Z", (1,))]), Heisenberg(5)]
OPERATORS = [TransverseFieldIsing(4), "H", np.eye(16), None]


def _check_fit_result(est, X):
    """An accepted fit must be a sound one."""
    check_is_fitted(est)
    N = est.n_features_in_
    for name in ("components_", "intercept_visible_", "intercept_hidden_"):
        assert np.all(np.isfinite(getattr(est, name))), name
    if N <= 6:
        space = codes_to_spins(np.arange(2**N), N).astype(float)
        p = np.exp(est.score_samples(space))
        assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)
    S = est.sample(5, random_state=0)
    assert S.shape == (5, N) and set(np.unique(S)) <= {-1.0, 1.0}
    if est.n_up_ is not None:
        assert np.all((S > 0).sum(1) == est.n_up_)
    if est.hamiltonian is not None:
        assert abs(est.energy_) <= 1.5 * est.hamiltonian.norm_bound() + 1e-9
    elif est.binarize is None:  # the data were spins
        assert set(np.unique(X)) <= {-1.0, 1.0} or set(np.unique(X)) <= {0.0, 1.0}


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_raw_messages_and_no_silent_wrong_results(data):
    raw, seen = [], []

    def attempt(label, fn, check=None):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = fn()
        except (ValueError, TypeError, NotFittedError, DivergenceError) as exc:
            if _raw(exc):
                raw.append(f"{label}: {type(exc).__name__}: {exc}")
            seen.append("error")
            return None
        except Exception as exc:  # noqa: BLE001 - counting raw messages is the test
            raw.append(f"{label}: {type(exc).__name__}: {exc}")
            return None
        if check is not None:
            check(out)
        seen.append("ok")
        return out

    H = data.draw(st.sampled_from(HAMILTONIANS))
    keys = data.draw(st.lists(st.sampled_from(sorted(FIT_OPTIONS)), max_size=3, unique=True))
    params = {k: data.draw(st.sampled_from(FIT_OPTIONS[k])) for k in keys}
    n, N = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 5))
    X = np.array(data.draw(st.lists(st.sampled_from(VALUES[:3] if data.draw(st.booleans())
                                                    else VALUES),
                                    min_size=n * N, max_size=n * N))).reshape(n, N)
    if data.draw(st.booleans()):
        X[X == 0] = -1.0  # +-1 data
    est = RBMWavefunction(H, max_iter=2, random_state=0, **params)
    bases = None
    if H is None and data.draw(st.booleans()):
        bases = data.draw(st.lists(st.sampled_from(["Z" * N, "X" + "Z" * (N - 1), "ZQ", "z" * N]),
                                   min_size=n, max_size=n))
    fitted = attempt(f"fit({params}, H={H!r}, X={X.tolist()}, bases={bases})",
                     lambda: est.fit(None if H is not None else X, bases=bases),
                     lambda e: _check_fit_result(e, X))
    if fitted is None:
        return
    width = fitted.n_features_in_
    m = data.draw(st.sampled_from([4, 1, np.int64(3), -3, 0, 2.5, "a", None]))
    attempt(f"sample({m!r})", lambda: fitted.sample(m),
            lambda S: None if S.shape == (int(m), width) else raw.append("sample shape"))
    Y = np.array(data.draw(st.lists(st.sampled_from(VALUES), min_size=2 * width,
                                    max_size=2 * width))).reshape(2, width)
    attempt(f"score_samples({Y.tolist()})", lambda: fitted.score_samples(Y))
    zz = [(0.5, "ZZ", (0, width - 1))] if width > 1 else []
    op = data.draw(st.sampled_from([TransverseFieldIsing(max(width, 1)),
                                    PauliSum(width, [(1.0, "X", (0,)), *zz]), *OPERATORS]))
    k = data.draw(st.sampled_from([None, 20, -1, 0, 2.5]))
    attempt(f"expectation({op!r}, {k!r})", lambda: fitted.expectation(op, n_samples=k),
            lambda v: None if np.isfinite(v) else raw.append("expectation not finite"))
    phi = data.draw(st.sampled_from(["ones", "exact", "nan", "zeros", "short"]))
    vec = {"ones": np.ones(2**width), "nan": np.full(2**width, np.nan),
           "zeros": np.zeros(2**width), "short": np.ones(3),
           "exact": exact_ground_state(TransverseFieldIsing(max(width, 2)))}[phi]
    attempt(f"fidelity({phi})", lambda: fitted.fidelity(vec),
            lambda f: None if 0.0 <= f <= 1.0 + 1e-9 else raw.append(f"fidelity {f}"))
    assert not raw, "\n".join(raw)


# ---------------------------------------------------------------------------------------
# persistence: skops without running code on load, GPU-fitted models on a CPU
# ---------------------------------------------------------------------------------------
def _no_torch(value, path="state"):
    if isinstance(value, (torch.Tensor, torch.device, torch.dtype)):
        raise AssertionError(f"{path} is a torch object")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_torch(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _no_torch(v, f"{path}[{i}]")


@pytest.mark.parametrize("mode", ["ground", "tomography"])
def test_skops_round_trip(mode, snapshots):
    sio = pytest.importorskip("skops.io")
    X, _ = snapshots
    if mode == "ground":
        H = Heisenberg(6)
        est = RBMWavefunction(H, n_samples=200, max_iter=5, random_state=0).fit()
    else:
        H = TransverseFieldIsing(6)
        est = RBMWavefunction(max_iter=5, random_state=0).fit(X)
    _no_torch(est.__getstate__())
    dumped = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert all(t.startswith(("skphys.", "sklearn.", "numpy.")) for t in untrusted), untrusted
    again = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(again.log_psi(ALL6), est.log_psi(ALL6))
    np.testing.assert_array_equal(again.score_samples(ALL6), est.score_samples(ALL6))
    assert again.expectation(H) == est.expectation(H)
    np.testing.assert_array_equal(again.sample(20, random_state=1), est.sample(20, random_state=1))
    assert again.device_ == est.device_
    if mode == "ground":
        assert again.energy_ == est.energy_ and again.history_ == est.history_
        np.testing.assert_array_equal(again.marshall_sublattice_, est.marshall_sublattice_)
    # and it can be fitted again
    clone(again).fit(None if mode == "ground" else X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_a_gpu_fitted_model_loads_on_a_cpu_machine(snapshots):
    X, _ = snapshots
    est = RBMWavefunction(max_iter=5, random_state=0).fit(X)
    expected = est.score_samples(ALL6)
    est.device_ = torch.device("cuda", 0)  # as if fitted on a GPU
    state = est.__getstate__()
    _no_torch(state)
    assert state["device_"] == to_portable(torch.device("cuda", 0))
    for load in (lambda: pickle.loads(pickle.dumps(est)), _skops_round_trip(est)):
        with pytest.warns(UserWarning, match="not available here: it is loaded on the CPU"):
            again = load()
        assert again.device_ == torch.device("cpu")
        np.testing.assert_array_equal(again.score_samples(ALL6), expected)


def _skops_round_trip(est):
    sio = pytest.importorskip("skops.io")

    def load():
        dumped = sio.dumps(est)
        return sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))

    return load


def test_w_state_sector_survives_persistence():
    N = 20
    X, _ = make_quantum_snapshots(2000, state="w", n_sites=N, random_state=0)
    est = RBMWavefunction(n_up=1, max_iter=30, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(est))
    w = ExactState(energy=0.0, psi=np.full(N, N**-0.5),
                   codes=(1 << np.arange(N)).astype(np.int64), n_sites=N)
    assert again.n_up_ == 1 and again.fidelity(w) == est.fidelity(w) > 0.9


def test_a_state_in_a_sector_is_zero_outside_it():
    # psi = 0 off the sector: operators that leave it have no matrix elements there, and
    # log_psi, probabilities and fidelities say so (no silent RBM values off the sector)
    H = Heisenberg(6)
    est = RBMWavefunction(H, n_samples=200, max_iter=20, random_state=0).fit()
    assert est.n_up_ == 3
    x0 = PauliSum(6, [(1.0, "X", (0,))])
    assert est.expectation(x0) == 0.0
    assert est.expectation(x0, n_samples=500, random_state=0) == 0.0
    z0z1 = PauliSum(6, [(1.0, "ZZ", (0, 1))])
    p = np.exp(est.score_samples(ALL6))
    assert p.sum() == pytest.approx(1.0)
    assert est.expectation(z0z1) == pytest.approx(float(np.sum(p * ALL6[:, 0] * ALL6[:, 1])))
    off = (ALL6 > 0).sum(1) != 3
    assert np.all(np.isneginf(est.log_psi(ALL6)[off].real))
    assert est.fidelity(np.where(off, 1.0, 0.0)) == 0.0
    assert 0.9 < est.fidelity(exact_ground_state(H, n_up=None)) <= 1.0

"""Small exact tests of the plumbing that quality tests cannot see.

Each test here was written against a hand-made mutation of the code that every quality test
let through (the L2 term twice too strong or applied to the biases, ``shuffle`` not reaching
the batcher, the bidirectional RNN reading the backward state at the wrong end, pooling that
ignores its stride), plus the contracts of the shared base: user callbacks take effect, the
skorch net's parameters stay clean, memory stays bounded, sample weights mean what
scikit-learn says.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, GradientNormClipping, LRScheduler

from skphys.base import SliceBatches, TensorData
from skphys.neural_network import (
    CNNClassifier,
    MLPClassifier,
    MLPRegressor,
    RNNClassifier,
    TorchClassifier,
    TorchRegressor,
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ---- the L2 term ----------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_one_sgd_step_on_a_zero_loss_is_exactly_sklearns_l2_term(weighted):
    """At zero data loss, one SGD step multiplies W by (1 - lr alpha / n); biases stay."""
    rng = np.random.RandomState(0)
    X = rng.randn(8, 3)
    W1, b1 = rng.randn(3, 2), rng.randn(2)
    W2, b2 = rng.randn(2, 1), rng.randn(1)
    y = (X @ W1 + b1) @ W2 + b2  # identity activations: the network fits y exactly
    lr, alpha = 0.1, 0.5
    sw = rng.uniform(0.5, 2.0, len(X)) if weighted else None
    n = sw.sum() if weighted else len(X)
    reg = MLPRegressor(hidden_layer_sizes=(2,), activation="identity", solver="sgd",
                       momentum=0.0, learning_rate_init=lr, alpha=alpha, batch_size=len(X),
                       shuffle=False, random_state=0)
    reg.coefs_, reg.intercepts_ = [W1, W2], [b1.copy(), b2.copy()]  # scikit-learn's idiom
    reg.partial_fit(X, y.ravel(), sample_weight=sw)
    shrink = 1.0 - lr * alpha / n
    np.testing.assert_allclose(reg.coefs_[0], W1 * shrink, rtol=1e-12)
    np.testing.assert_allclose(reg.coefs_[1], W2 * shrink, rtol=1e-12)
    np.testing.assert_allclose(reg.intercepts_[0], b1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(reg.intercepts_[1], b2, rtol=0, atol=1e-14)
    # the reported loss is scikit-learn's: the data term (0 here) plus alpha/2 ||W||^2 / n
    penalty = 0.5 * alpha * ((W1**2).sum() + (W2**2).sum()) / n
    assert reg.loss_ == pytest.approx(penalty, rel=1e-12)


# ---- shuffling ------------------------------------------------------------------------------
class _Order(Callback):
    """Records the first feature of every training batch, in order."""

    def initialize(self):
        self.seen_ = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.seen_.append(batch[0][:, 0].detach().cpu().numpy().copy())


@pytest.mark.parametrize("shuffle", [False, True])
def test_shuffle_reaches_the_batches(shuffle):
    X = np.arange(40.0).reshape(-1, 1) * np.ones((1, 2))
    y = np.arange(40) % 2
    order = _Order()
    MLPClassifier((4,), batch_size=8, max_iter=2, shuffle=shuffle, random_state=0,
                  callbacks=[order]).fit(X, y)
    epochs = [np.concatenate(order.seen_[:5]), np.concatenate(order.seen_[5:])]
    for seen in epochs:
        assert sorted(seen) == list(range(40))  # every sample once per epoch
    if shuffle:
        assert not np.array_equal(epochs[0], np.arange(40))
        assert not np.array_equal(epochs[0], epochs[1])  # a new order each epoch
    else:
        np.testing.assert_array_equal(epochs[0], np.arange(40))


def test_shuffled_chunks_bound_memory():
    """Shuffled batches are gathered a chunk at a time, never as a whole copy of X."""
    X = torch.arange(1000.0).reshape(-1, 1).repeat(1, 16)  # 64 bytes a row
    y = torch.arange(1000)
    batches = SliceBatches(TensorData(X, y), batch_size=10, shuffle=True,
                           random_state=np.random.RandomState(0), chunk_bytes=64 * 100)
    seen = []
    for xb, yb in batches:
        assert xb.untyped_storage().nbytes() <= 64 * 100  # the chunk holding this batch
        assert torch.equal(xb[:, 0].long(), yb)
        seen.append(yb)
    assert sorted(torch.cat(seen).tolist()) == list(range(1000))


def test_read_only_input_is_not_copied():
    from skphys.base._estimator import _as_tensor

    X = np.ones((50, 4))
    X.setflags(write=False)
    t = _as_tensor(X, torch.device("cpu"), torch.float64)
    assert t.data_ptr() == X.ctypes.data


# ---- architectures --------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_bidirectional_readout_is_both_final_states(cell):
    """The head reads the forward state after the last step and the backward one after the first."""
    rng = np.random.RandomState(0)
    X = rng.randn(12, 5, 3)
    clf = RNNClassifier(hidden_size=4, cell=cell, bidirectional=True, max_iter=1,
                        random_state=0).fit(X, np.arange(12) % 2)
    module = clf.net_.module_.eval()
    captured = {}
    hook = module.head.register_forward_pre_hook(lambda m, args: captured.update(x=args[0]))
    x = torch.from_numpy(X)
    with torch.no_grad():
        module(x)
        _, h_n = module.recurrent(x)
    hook.remove()
    h_n = h_n[0] if cell == "lstm" else h_n
    np.testing.assert_allclose(captured["x"], torch.cat([h_n[-2], h_n[-1]], dim=1), rtol=1e-12)


@pytest.mark.parametrize("pool_size,side", [(2, 4), (3, 3)])
def test_cnn_feature_size_follows_pooling_stride(pool_size, side):
    """8x8 input, 'same' convolution, pooling of window = stride p (ceil): side ceil(8/p)."""
    X = np.random.RandomState(0).rand(6, 8, 8)
    clf = CNNClassifier(filters=(5,), kernel_size=3, pool_size=pool_size,
                        hidden_layer_sizes=(7,), max_iter=1, random_state=0)
    clf.fit(X, np.arange(6) % 2)
    first_dense = [m for m in clf.net_.module_.head if isinstance(m, torch.nn.Linear)][0]
    assert first_dense.in_features == 5 * side * side


def test_circular_padding_wraps_around():
    """With circular padding a feature map is translation-equivariant on the torus."""
    rng = np.random.RandomState(0)
    X = rng.choice([-1.0, 1.0], size=(8, 6, 6))
    clf = CNNClassifier(filters=(3,), kernel_size=3, padding_mode="circular", pooling=None,
                        hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    clf.fit(X, np.arange(8) % 2)
    conv = clf.net_.module_.features[0]
    x = torch.from_numpy(X[:1, None])
    with torch.no_grad():
        shifted = conv(torch.roll(x, shifts=(2, 1), dims=(2, 3)))
        np.testing.assert_allclose(shifted, torch.roll(conv(x), shifts=(2, 1), dims=(2, 3)),
                                   rtol=1e-12, atol=1e-12)


# ---- callbacks ------------------------------------------------------------------------------
def test_gradient_norm_clipping_takes_effect():
    """skorch's GradientNormClipping runs between backward and the step (on_grad_computed)."""
    X, y = make_regression(64, 5, noise=1.0, random_state=0)
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0.0, learning_rate_init=0.1,
              batch_size=64, max_iter=1, shuffle=False, alpha=0.0, random_state=0)
    plain = MLPRegressor(**kw).fit(X, y)
    clipped = MLPRegressor(**kw, callbacks=[GradientNormClipping(1e-3)]).fit(X, y)
    start = MLPRegressor(**{**kw, "max_iter": 1}).set_params(learning_rate_init=1e-300).fit(X, y)
    w0 = np.concatenate([c.ravel() for c in start.coefs_ + start.intercepts_])

    def step(m):
        return np.linalg.norm(np.concatenate([c.ravel() for c in m.coefs_ + m.intercepts_]) - w0)

    assert step(clipped) <= 0.1 * 1e-3 * (1 + 1e-6)  # ||lr * g|| with ||g|| <= 1e-3
    assert step(plain) > 100 * step(clipped)


def test_lr_scheduler_takes_effect():
    X, y = make_classification(60, 4, random_state=0)
    clf = MLPClassifier((4,), learning_rate_init=0.1, max_iter=3, random_state=0,
                        callbacks=[LRScheduler(policy="StepLR", step_size=1, gamma=0.5)])
    clf.fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)


def test_the_nets_parameters_stay_clean():
    X, y = make_classification(60, 4, random_state=0)
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    stopping = {k.split("__")[-1] for k in clf.net_.get_params() if "callbacks__stopping__" in k}
    assert stopping <= {"tol", "n_iter_no_change", "learning_rate", "learning_rate_init",
                        "power_t", "verbose"}


# ---- sample weights -------------------------------------------------------------------------
def test_integer_weights_are_repeated_samples_for_lbfgs():
    X, y = make_classification(80, 5, random_state=0)
    w = np.random.RandomState(0).randint(0, 3, len(X))
    # a strongly regularised (well-conditioned) objective, so the optimum is one point
    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", alpha=1.0, tol=1e-10, max_iter=2000,
              random_state=0)
    weighted = MLPClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = MLPClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-4)


def test_weights_shift_the_decision():
    """Up-weighting one class moves predictions towards it (imbalanced data, issue 17's use)."""
    X, y = make_classification(400, 5, weights=[0.9], flip_y=0.1, random_state=0)
    plain = MLPClassifier((16,), max_iter=60, random_state=0).fit(X, y)
    balanced = MLPClassifier((16,), max_iter=60, random_state=0).fit(
        X, y, sample_weight=np.where(y == 1, 9.0, 1.0))
    assert (balanced.predict(X) == 1).sum() > 1.5 * (plain.predict(X) == 1).sum()


# ---- dtypes and sparse input ----------------------------------------------------------------
@pytest.mark.parametrize("cls", [CNNClassifier, RNNClassifier, MLPClassifier])
def test_float32_in_float32_compute(cls):
    X = np.random.RandomState(0).rand(10, 4, 4).astype(np.float32)
    if cls is MLPClassifier:
        X = X.reshape(10, -1)
    clf = cls(max_iter=1, random_state=0).fit(X, np.arange(10) % 2)
    assert all(p.dtype == torch.float32 for p in clf.net_.module_.parameters())
    assert clf.predict_proba(X).dtype == np.float32
    clf64 = cls(max_iter=1, random_state=0).fit(X.astype(np.float64), np.arange(10) % 2)
    assert all(p.dtype == torch.float64 for p in clf64.net_.module_.parameters())


def test_sparse_input_gives_the_dense_result():
    X, y = load_digits(n_class=3, return_X_y=True)
    X = X / 16
    kw = dict(hidden_layer_sizes=(16,), max_iter=20, batch_size=32, random_state=0)
    dense = MLPClassifier(**kw).fit(X, y)
    sparse = MLPClassifier(**kw).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)),
                               rtol=1e-10, atol=1e-12)


# ---- bring your own network -----------------------------------------------------------------
class _Net(torch.nn.Module):
    def __init__(self, n_inputs, n_outputs, hidden=8, depth=1):
        super().__init__()
        layers, width = [], n_inputs
        for _ in range(depth):
            layers += [torch.nn.Linear(width, hidden), torch.nn.Tanh()]
            width = hidden
        self.body = torch.nn.Sequential(*layers, torch.nn.Linear(width, n_outputs))

    def forward(self, x):
        return self.body(x)


def test_torch_classifier_grid_search_over_module_arguments():
    X, y = load_digits(return_X_y=True)
    clf = TorchClassifier(_Net, module__hidden=4, max_iter=30, learning_rate_init=0.01,
                          random_state=0)
    assert clf.get_params()["module__hidden"] == 4
    assert clone(clf).get_params()["module__hidden"] == 4
    search = GridSearchCV(clf, {"module__hidden": [2, 48]}, cv=2).fit(X[:600] / 16, y[:600])
    assert search.best_params_ == {"module__hidden": 48}
    assert search.best_estimator_.net_.module_.body[0].out_features == 48
    assert search.best_score_ > 0.85


def test_torch_regressor_takes_a_custom_criterion_and_checks_module_arguments():
    X, y = make_regression(100, 3, n_targets=2, noise=0.1, random_state=0)
    reg = TorchRegressor(_Net, module__hidden=16, criterion=torch.nn.L1Loss, max_iter=200,
                         learning_rate_init=0.01, random_state=0).fit(X, y / 100)
    assert reg.predict(X).shape == (100, 2) and reg.score(X, y / 100) > 0.9
    with pytest.raises(TypeError, match="module__<name>"):
        TorchRegressor(_Net, hidden=3).fit(X, y)
    with pytest.raises(TypeError, match="module__"):
        TorchRegressor(_Net, module__no_such_argument=3).fit(X, y)


def test_torch_estimators_train_on_the_given_criterion():
    """``criterion=`` is the loss that fit minimises (it was silently replaced by the default
    loss until 2026-11-27: the task mixin's ``_criterion`` came first in the MRO)."""
    calls = []

    class Recording(torch.nn.L1Loss):
        def forward(self, input, target):
            calls.append(len(input))
            return super().forward(input, target)

    X, y = make_regression(100, 3, noise=0.1, random_state=0)
    reg = TorchRegressor(_Net, module__hidden=16, criterion=Recording, max_iter=3,
                         batch_size=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y / 100)
    assert isinstance(reg.net_.criterion_, Recording) and len(calls) >= 6
    # label smoothing 0.5 over 10 classes: the best confidence is 0.55, against ~1 with
    # the default cross-entropy; both classify the digits
    X, y = load_digits(return_X_y=True)
    kw = dict(module__hidden=32, max_iter=60, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = TorchClassifier(_Net, **kw).fit(X[:1000] / 16, y[:1000])
        smooth = TorchClassifier(_Net, criterion=torch.nn.CrossEntropyLoss(label_smoothing=0.5),
                                 **kw).fit(X[:1000] / 16, y[:1000])
    for clf in (plain, smooth):
        assert clf.score(X[1000:] / 16, y[1000:]) > 0.9
    assert plain.predict_proba(X[1000:] / 16).max(1).mean() > 0.9
    assert smooth.predict_proba(X[1000:] / 16).max(1).mean() < 0.7


# ---- interruption -----------------------------------------------------------------------------
def test_ctrl_c_stops_a_grid_search_at_once():
    """A real SIGINT in the first fit stops GridSearchCV (scikit-learn's MLP let it go on)."""
    from skphys.utils.estimator_checks import _sigint_callback

    X, y = make_classification(60, 4, random_state=0)
    clf = MLPClassifier((4,), max_iter=5, random_state=0, callbacks=[_sigint_callback(1)])
    search = GridSearchCV(clf, {"alpha": [1e-4, 1e-3, 1e-2]}, cv=3)
    with warnings.catch_warnings(record=True) as caught, pytest.raises(KeyboardInterrupt):
        warnings.simplefilter("always")
        search.fit(X, y)
    assert not hasattr(search, "best_estimator_")
    # the first of the 9 fits was interrupted, and no other fit started
    assert sum("interrupted" in str(w.message) for w in caught) == 1


def test_the_lean_adam_step_is_torchs_adam():
    """The per-batch Adam (cached state, torch's fused kernels called directly) takes exactly
    the steps of torch.optim.Adam."""
    from skphys.base._net import _StepCache

    torch.manual_seed(0)
    ref = [torch.randn(6, 4), torch.randn(4), torch.randn(3, 6)]
    ours = [p.clone() for p in ref]
    grads = [[torch.randn_like(p) for p in ref] for _ in range(5)]
    opt_ref = torch.optim.Adam(ref, lr=0.01, weight_decay=0.1, fused=True)
    opt = torch.optim.Adam(ours, lr=0.01, weight_decay=0.1, fused=True)
    cache = _StepCache(opt)
    for step in grads:
        for p, q, g in zip(ref, ours, step):
            p.grad, q.grad = g.clone(), g.clone()
        opt_ref.step()
        if cache.adam_state is None:
            opt.step()
            cache.after_step()
        else:
            cache.adam_step()
    assert cache.direct
    for p, q in zip(ref, ours):
        assert torch.equal(p, q)


# ---- the hand-written MLP back-propagation --------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("hidden", [(), (7,), (7, 5)])
@pytest.mark.parametrize("loss", ["softmax", "logistic", "multilabel", "squared"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_mlp_backprop_is_autograds(activation, hidden, loss, weighted):
    """The batch step's hand-written gradients and loss equal autograd's on the same module
    and criterion, with sample weights and the L2 term (weights only, not biases)."""
    from skphys.base import _mlp_step
    from skphys.base._losses import (
        HalfSquaredError,
        LogisticLoss,
        SoftmaxCrossEntropy,
        weighted_mean,
    )
    from skphys.base._net import SkphysNet
    from skphys.nn import MLP

    g = torch.Generator().manual_seed(0)
    n, k = 11, {"softmax": 4, "logistic": 1, "multilabel": 3, "squared": 2}[loss]
    X = torch.randn(n, 6, generator=g, dtype=torch.float64)
    y = {"softmax": lambda: torch.randint(0, k, (n,), generator=g),
         "squared": lambda: torch.randn(n, k, generator=g, dtype=torch.float64)}.get(
        loss, lambda: torch.randint(0, 2, (n, k), generator=g).double())()
    w = torch.rand(n, generator=g, dtype=torch.float64) + 0.5 if weighted else None
    criterion = {"softmax": SoftmaxCrossEntropy, "logistic": LogisticLoss,
                 "multilabel": LogisticLoss, "squared": HalfSquaredError}[loss]()
    torch.manual_seed(1)
    module = MLP(6, hidden, k, activation).double()
    net = SkphysNet.__new__(SkphysNet)
    net.module_, net.criterion_ = module, criterion
    layers, loss_cls = _mlp_step.plan(net, SkphysNet)
    l2, n_l2 = 0.3, float(w.sum()) if weighted else n

    value, z = _mlp_step.loss_and_gradients(layers, loss_cls, X, y, w, l2, n_l2,
                                            _mlp_step._Buffers())
    ours = [p.grad.clone() for p in module.parameters()]
    for p in module.parameters():
        p.grad = None
    expected = weighted_mean(criterion, module(X), y, w)
    expected.backward()
    for name, p in module.named_parameters():
        reference = p.grad + (l2 / n_l2 * p.detach() if p.ndim > 1 else 0)
        mine = ours[[q for q, _ in module.named_parameters()].index(name)]
        torch.testing.assert_close(mine, reference, rtol=1e-10, atol=1e-12, msg=name)
    torch.testing.assert_close(value, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(z, module(X).detach())


class _NoOpHook(Callback):
    """A forward hook on the module: the batch step must then take autograd's path."""

    def on_train_begin(self, net, **kwargs):
        net.module_.register_forward_hook(lambda *args: None)


@pytest.mark.parametrize("cls,y_kind", [(MLPClassifier, "multiclass"),
                                        (MLPClassifier, "multilabel"),
                                        (MLPRegressor, "multioutput")])
def test_the_backprop_fit_is_autograds_fit(cls, y_kind):
    """A fit through the hand-written step equals the same fit through autograd (a hook on
    the module switches to autograd), with sample weights, L2 and two hidden layers."""
    X, y = make_classification(120, 8, n_informative=5, n_classes=3, random_state=0)
    if y_kind == "multilabel":
        y = np.column_stack([y == 0, y == 1, y == 2]).astype(int)
    elif y_kind == "multioutput":
        y = np.column_stack([y, X[:, 0]]).astype(float)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    kw = dict(hidden_layer_sizes=(9, 5), activation="tanh", alpha=0.01, batch_size=32,
              max_iter=5, random_state=0)
    fast = cls(**kw).fit(X, y, sample_weight=sw)
    assert fast.net_._mlp_plan is not None
    slow = cls(**kw, callbacks=[_NoOpHook()]).fit(X, y, sample_weight=sw)
    assert slow.net_._mlp_plan is None
    for a, b in zip(fast.coefs_ + fast.intercepts_, slow.coefs_ + slow.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-10)

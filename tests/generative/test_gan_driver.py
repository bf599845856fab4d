"""GANSampler on the shared iteration driver: history, callbacks, divergence, Ctrl-C, skops."""

import signal
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from skphys.base import DivergenceError, StopTraining
from skphys.generative import GANSampler
from skphys.utils._testing import PressCtrlC as CtrlC

# the handler the fits must restore (SIG_IGN where the suite runs in a background job)
_SIGINT_BEFORE = signal.getsignal(signal.SIGINT)

FAST = dict(n_components=2, lattice_channels=(4,), discriminator_layer_sizes=(16,),
            batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def spins():
    rng = np.random.default_rng(0)
    return np.where(rng.random((96, 4, 4)) < 0.7, 1.0, -1.0)


class Watch(Callback):
    """Records what a user callback sees at the end of every epoch."""

    def initialize(self):
        self.rows_ = []
        self.fitted_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.rows_.append(dict(net.history[-1]))
        est = net.publish()  # the fitted attributes as of this epoch
        self.fitted_.append((est.n_iter_, est.sample(2, random_state=0).shape))


def test_history_loss_curve_and_user_callbacks(spins):
    watch = Watch()
    gan = GANSampler(max_iter=4, callbacks=[watch], **FAST).fit(spins)
    assert gan.n_iter_ == 4
    # loss_curve_: the discriminator's mean loss per epoch (a list, like every skphys fit)
    assert isinstance(gan.loss_curve_, list) and len(gan.loss_curve_) == 4
    assert all(isinstance(v, float) and np.isfinite(v) for v in gan.loss_curve_)
    # history_: one dict per epoch with both players' losses
    assert len(gan.history_) == 4
    assert [row["loss"] for row in gan.history_] == gan.loss_curve_
    for row in gan.history_:
        assert {"loss", "generator_loss", "gradient_penalty", "dur"} <= set(row)
        assert np.isfinite(row["generator_loss"]) and row["dur"] > 0
    # the callback saw the same rows, and a usable estimator after every epoch
    assert [r["loss"] for r in watch.rows_] == gan.loss_curve_
    assert watch.fitted_ == [(k, (2, 4, 4)) for k in (1, 2, 3, 4)]


class StopAt(Callback):
    def __init__(self, at):
        self.at = at

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at:
            raise StopTraining  # skorch's EarlyStopping convention


def test_a_callback_can_stop_the_fit_early(spins):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a normal stop: no warning
        gan = GANSampler(max_iter=10, callbacks=[("stop", StopAt(3))], **FAST).fit(spins)
    assert gan.n_iter_ == 3 == len(gan.loss_curve_) == len(gan.history_)


class Poison(Callback):
    """Puts NaN into the discriminator after epoch ``at``: the next epoch diverges."""

    def __init__(self, at):
        self.at = at

    def on_train_begin(self, net, **kwargs):
        if self.at == 0:
            self.on_epoch_end(net)

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at:
            with torch.no_grad():  # the discriminator the estimator is training
                next(net._state.discriminator.parameters()).fill_(float("nan"))


def test_divergence_raises_and_rolls_back_to_a_healthy_state(spins):
    gan = GANSampler(max_iter=6, callbacks=[Poison(2)], **FAST)
    with pytest.raises(DivergenceError, match="GANSampler diverged at iteration 3"):
        gan.fit(spins)
    # the state of the last healthy iteration is kept and usable
    assert gan.n_iter_ == 2 and len(gan.loss_curve_) == 2
    for player in (gan.generator_, gan.discriminator_):
        assert all(torch.isfinite(p).all() for p in player.parameters())
    S = gan.sample(50, random_state=0)
    assert set(np.unique(S)) <= {-1.0, 1.0}


def test_a_fit_that_fails_before_any_epoch_leaves_the_estimator_unfitted(spins):
    fitted = GANSampler(max_iter=1, **FAST).fit(spins)
    # diverging in the first epoch: nothing healthy to keep
    gan = GANSampler(max_iter=3, callbacks=[Poison(0)], **FAST)
    with pytest.raises(DivergenceError, match="iteration 1"):
        gan.fit(spins)
    with pytest.raises(NotFittedError):
        check_is_fitted(gan)
    # a bad parameter found after the data were read: refitting a fitted estimator fails cleanly
    with pytest.raises(ValueError, match="lattice_channels"):
        fitted.set_params(lattice_channels=()).fit(spins)
    with pytest.raises(NotFittedError):
        check_is_fitted(fitted)


@pytest.mark.parametrize("at", [0, 2])
def test_ctrl_c_keeps_the_last_complete_epoch(spins, at):
    gan = GANSampler(max_iter=8, callbacks=[CtrlC(at)], **FAST)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            gan.fit(spins)
    assert any("Training interrupted by user: GANSampler" in str(w.message) for w in caught)
    assert signal.getsignal(signal.SIGINT) is _SIGINT_BEFORE  # restored
    if at == 0:  # nothing complete: unfitted, not half-fitted
        with pytest.raises(NotFittedError):
            check_is_fitted(gan)
        return
    check_is_fitted(gan)
    assert gan.n_iter_ == at == len(gan.loss_curve_)
    S = gan.sample(20, random_state=0)
    assert S.shape == (20, 4, 4) and set(np.unique(S)) <= {-1.0, 1.0}


def _plain(value, path="state"):
    """Assert ``value`` holds only plain Python and numpy values (no torch objects)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _plain(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _plain(v, f"{path}[{i}]")
    else:
        assert type(value).__module__.split(".")[0] in ("builtins", "numpy"), (
            f"{path} is a {type(value)!r}")


@pytest.mark.parametrize("lattice", [True, False])
def test_portable_persistence_with_skops(spins, lattice):
    sio = pytest.importorskip("skops.io")
    X = spins if lattice else np.random.default_rng(0).normal(size=(80, 3))
    gan = GANSampler(max_iter=2, **FAST).fit(X)
    _plain(gan.__getstate__())
    data = sio.dumps(gan)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith(("skphys.", "numpy.", "sklearn.")) for t in untrusted), untrusted
    again = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(again.sample(30, random_state=3), gan.sample(30, random_state=3))
    assert again.n_iter_ == 2 and again.loss_curve_ == gan.loss_curve_
    assert again.device_ == torch.device("cpu")


def test_verbose_uses_the_one_progress_format(spins, capsys):
    GANSampler(max_iter=2, verbose=2, **FAST).fit(spins)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("Iteration 1, loss = ")
    assert "generator loss = " in out[0]
    GANSampler(max_iter=2, verbose=1, **FAST).fit(spins)
    err = capsys.readouterr().err
    assert "GANSampler" in err and "2/2" in err  # a tqdm bar

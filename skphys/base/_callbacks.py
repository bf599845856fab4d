"""Callbacks shared by every skphys loop: scikit-learn's stopping rules and progress output.

They follow skorch's callback protocol (``on_train_begin``, ``on_epoch_end``, ...), which
skphys uses for the skorch-backed estimators and for the loops skorch does not run
(:class:`~skphys.base.IterationDriver`), so a user's skorch callback works with both. As in
skorch, ``__init__`` stores parameters only and the running state lives in attributes
ending in ``_``, set in :meth:`initialize`.
"""

import math
import sys

import numpy as np
from skorch.callbacks import Callback

__all__ = ["SklearnStopping", "Progress", "StopTraining"]


class StopTraining(KeyboardInterrupt):
    """Raised by a callback to end training early (skorch's convention is a KeyboardInterrupt).

    skphys tells it apart from a user's Ctrl-C, which is recorded by
    :class:`~skphys.base._interrupt.InterruptGuard` instead of raised.
    """


class SklearnStopping(Callback):
    """scikit-learn's MLP stopping rules and learning-rate schedules as a skorch callback.

    Without validation data: stop when the training loss has not improved by ``tol`` for
    more than ``n_iter_no_change`` epochs. With validation data (``valid_``, set per fit by
    the estimator for ``early_stopping=True``): the same on the validation score (accuracy or
    R², NaN when the predictions are not finite), keeping the best weights. With
    ``learning_rate="adaptive"`` the step is divided by 5 instead of stopping, until it falls
    below 1e-6; ``"invscaling"`` sets ``lr = learning_rate_init / (t + 1) ** power_t`` after
    each epoch, ``t`` the number of samples seen.

    The running state (``loss_curve_``, ``validation_scores_``, ``best_loss_``,
    ``best_validation_score_``, ``no_improvement_count_``, ``t_``, ``n_iter_``,
    ``stopped_``) carries over the fits of a warm-started estimator, as in scikit-learn.
    """

    def __init__(self, *, tol=1e-4, n_iter_no_change=10, learning_rate="constant",
                 learning_rate_init=1e-3, power_t=0.5, verbose=0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.verbose = verbose

    def initialize(self):
        self.loss_curve_ = []
        self.validation_scores_ = []
        self.best_loss_ = np.inf
        self.best_validation_score_ = -np.inf
        self.no_improvement_count_ = 0
        self.n_iter_ = 0
        self.t_ = 0
        self.stopped_ = False
        self.incremental_ = False
        self.active_ = True
        self.valid_ = None
        self.best_state_ = None
        return self

    def begin_fit(self, *, incremental, valid=None):
        """Per-fit state: one epoch (``partial_fit``) or a full fit, optional validation."""
        self.incremental_ = incremental
        self.valid_ = valid
        self.n_iter_ = 0
        self.stopped_ = False

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        loss = float(net.history[-1]["train_loss"])
        self.n_iter_ += 1
        self.t_ += len(dataset_train)
        self.loss_curve_.append(loss)
        if not self.active_:  # L-BFGS: scipy's own stopping rules
            return
        if self.valid_ is not None:
            score_fn, X_val, y_val, w_val = self.valid_
            score = float(score_fn(X_val, y_val, w_val))
            self.validation_scores_.append(score)
            net.history.record("valid_score", score)
            if score < self.best_validation_score_ + self.tol:
                self.no_improvement_count_ += 1
            else:
                self.no_improvement_count_ = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self.best_state_ = {k: v.detach().clone()
                                    for k, v in net.module_.state_dict().items()}
        else:
            if loss > self.best_loss_ - self.tol:
                self.no_improvement_count_ += 1
            else:
                self.no_improvement_count_ = 0
            self.best_loss_ = min(self.best_loss_, loss)

        if self.learning_rate == "invscaling":
            _set_lr(net, self.learning_rate_init / (self.t_ + 1) ** self.power_t)
        if self.no_improvement_count_ <= self.n_iter_no_change:
            return
        what = "Validation score" if self.valid_ is not None else "Training loss"
        msg = (f"{what} did not improve more than tol={self.tol:f} for "
               f"{self.n_iter_no_change} consecutive epochs.")
        lr = net.optimizer_.param_groups[0]["lr"]
        if self.learning_rate == "adaptive" and lr > 1e-6:
            _set_lr(net, lr / 5.0)
            self.no_improvement_count_ = 0
            if self.verbose:
                print(msg + f" Setting learning rate to {lr / 5.0:f}", flush=True)
            return
        if self.verbose:
            tail = " Learning rate too small." if self.learning_rate == "adaptive" else ""
            print(msg + tail + " Stopping.", flush=True)
        self.stopped_ = True
        if not self.incremental_:
            raise StopTraining

    def end_fit(self, net):
        """Restore the best weights of an early-stopped fit; drop the validation data."""
        if self.valid_ is not None and self.best_state_ is not None and not self.incremental_:
            net.module_.load_state_dict(self.best_state_)
        self.valid_ = None  # the validation data are not kept in the fitted model


def _set_lr(net, lr):
    for group in net.optimizer_.param_groups:
        group["lr"] = lr


class Progress(Callback):
    """``verbose`` output for every skphys loop, in one format.

    ``verbose=1``: a tqdm progress bar (loss and other figures as its postfix) when tqdm is
    installed (it comes with skorch), otherwise lines; ``verbose>=2``: one line per iteration
    in scikit-learn's format, ``Iteration 3, loss = 0.12345678``, followed by the other
    figures the loop records (validation score, energy variance, ...).
    """

    def __init__(self, total, verbose=1, desc=None, stream=None):
        self.total = total
        self.verbose = verbose
        self.desc = desc
        self.stream = stream

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.bar_ = None
        if self.verbose == 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm ships with skorch
                return
            self.bar_ = tqdm(total=self.total, desc=self.desc, file=self.stream or sys.stderr,
                             leave=True, dynamic_ncols=True)

    def on_epoch_end(self, net, **kwargs):
        h = net.history[-1]
        figures = _figures(h)
        if self.bar_ is not None:
            self.bar_.update(1)
            self.bar_.set_postfix({k: f"{v:.4g}" for k, v in figures.items()}, refresh=False)
            return
        epoch = len(net.history)
        parts = [f"Iteration {epoch}"] + [f"{k.replace('_', ' ')} = {v:.8f}"
                                          for k, v in figures.items()]
        print(", ".join(parts), file=self.stream or sys.stdout, flush=True)

    def on_train_end(self, net, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
            self.bar_ = None


_SKIP = {"epoch", "batches", "dur", "train_batch_count", "valid_batch_count"}


def _figures(row):
    out = {}
    loss = row.get("train_loss", row.get("loss"))
    if loss is not None:
        out["loss"] = float(loss)
    for key, value in row.items():
        if key in _SKIP or key in ("train_loss", "loss") or not isinstance(value, (int, float)):
            continue
        if isinstance(value, bool):
            continue
        out["validation_score" if key == "valid_score" else key] = float(value)
    return out


def named_callbacks(callbacks, prefix="user"):
    """A user's ``callbacks=`` parameter as skorch's list of ``(name, callback)`` pairs."""
    if callbacks is None:
        return []
    out = []
    for i, cb in enumerate(callbacks):
        if isinstance(cb, tuple):
            name, cb = cb
        else:
            name = f"{prefix}_{i}_{type(cb).__name__}"
        if isinstance(cb, type):
            cb = cb()
        out.append((name, cb))
    return out


def is_finite(value):
    """A float that is neither NaN nor infinite."""
    return isinstance(value, (int, float)) and math.isfinite(value)

"""The skorch net every skorch-backed skphys estimator owns (``net_``).

skorch's loop runs as it is (epochs, callbacks, history, ``on_grad_computed``); skphys
fills in the places skorch leaves open:

* :meth:`SkphysNet.get_loss` weights the loss by the batch's sample weights;
* :meth:`SkphysNet.train_step_single` checks the loss *before* the optimiser step (a NaN/inf
  loss raises :class:`~skphys.base.DivergenceError` with the weights of the last finite
  step) and adds scikit-learn's L2 term ``alpha * W / n`` to the weight gradients (biases
  are not penalised), before skorch's ``on_grad_computed`` (so ``GradientNormClipping``
  sees the whole gradient);
* :meth:`SkphysNet._step_optimizer` runs a one-group Adam through :func:`torch.optim.adam.adam`
  on cached state (``Adam.step``'s per-call bookkeeping costs as much as the fused update
  for small networks), any other optimiser through its own ``step``;
* :meth:`SkphysNet.fit_lbfgs` is the full-batch L-BFGS-B solver (scipy) with skorch's
  callbacks called once per iteration.
"""

import math

import numpy as np
import scipy.optimize
import skorch
import torch
from skorch.callbacks import Callback, EpochTimer
from torch.optim.adam import adam as adam_update

from ._driver import DivergenceError
from . import _mlp_step
from ._losses import per_sample, weighted_mean

__all__ = ["SkphysNet"]

_DIVERGED = ("Solver produced non-finite parameter weights. The input data may contain "
             "large values and need to be preprocessed.")


class SkphysNet(skorch.NeuralNet):
    """:class:`skorch.NeuralNet` with weighted losses, sklearn's L2 term and a lean step.

    Parameters
    ----------
    l2 : float, default=0.0
        scikit-learn's ``alpha``: the loss gains ``alpha / 2 * ||W||^2 / n`` per batch of
        ``n`` samples (``n`` the sum of the batch's sample weights when weighted).
    """

    def __init__(self, *args, l2=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.l2 = l2

    def get_default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", EpochLoss()),
        ]

    # ---- set-up ------------------------------------------------------------------------
    def initialize_optimizer(self, triggered_directly=None):
        super().initialize_optimizer()
        self._step_cache = None
        return self

    def __getstate__(self):
        state = super().__getstate__()
        for key in ("_step_cache", "_epoch_start_state", "interrupt_", "_mlp_plan",
                    "_mlp_buffers", "_batch_listeners", "_mlp_structure"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._step_cache = None

    @property
    def _cache(self):
        cache = getattr(self, "_step_cache", None)
        if cache is None:
            cache = self._step_cache = _StepCache(self.optimizer_)
            cache.state = list(self.module_.state_dict(keep_vars=True).values())
        return cache

    # ---- the loop's hooks ----------------------------------------------------------------
    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``; the per-batch events skip the callbacks that do not handle
        them (skorch's base ``Callback`` methods do nothing), a few microseconds a batch."""
        if method_name not in _PER_BATCH:
            return super().notify(method_name, **cb_kwargs)
        callbacks = getattr(self, "callbacks_", None)
        cached = getattr(self, "_batch_listeners", None)
        if cached is None or cached[0] is not callbacks or cached[1] != len(callbacks or ()):
            listeners = {}
            for name in _PER_BATCH:
                bound = [getattr(self, name)]  # the net's own (on_batch_begin opens the batch)
                bound += [getattr(cb, name) for _, cb in callbacks or ()
                          if _overrides(cb, name, Callback)]
                listeners[name] = bound
            cached = self._batch_listeners = (callbacks, len(callbacks or ()), listeners)
        for method in cached[2][method_name]:
            method(self, **cb_kwargs)
        return None

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # a finite state to fall back on if a step makes the weights non-finite before the
        # loss shows it: one foreach copy of the parameters and buffers per epoch
        tensors = self._cache.state
        backup = getattr(self, "_epoch_start_state", None)
        if backup is None or len(backup) != len(tensors) or any(
                b.shape != t.shape or b.dtype != t.dtype or b.device != t.device
                for b, t in zip(backup, tensors)):
            backup = self._epoch_start_state = [t.detach().clone() for t in tensors]
        else:
            with torch.no_grad():
                torch._foreach_copy_(backup, [t.detach() for t in tensors])
        self._epoch_loss = [0.0, 0]
        # a plain MLP with a known loss: hand-written back-propagation (checked once an epoch,
        # so a hook or a frozen layer added by a callback takes autograd's path from then on)
        self._mlp_plan = _mlp_step.plan(self, SkphysNet)

    def _set_training(self, training=True):
        if self.module_.training != training:
            super()._set_training(training)

    def infer(self, x, **fit_params):
        # batches are tensors already on the device (TensorData / SliceBatches)
        return self.module_(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(y_true, tuple):  # (y, sample_weight)
            y_true, weight = y_true
            return weighted_mean(self.criterion_, y_pred, y_true, weight)
        return self.criterion_(y_pred, y_true)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit``, with ``on_train_end`` also after an error.

        A :class:`KeyboardInterrupt` ends the loop as in skorch (a callback's early stop, or
        the interruption guard's signal, which the estimator reads from the guard).
        """
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except KeyboardInterrupt:
            pass
        finally:
            self.notify("on_train_end", X=X, y=y)
        return self

    def _zero_grad_optimizer(self, set_to_none=None):
        for p in self._cache.params:
            p.grad = None

    def train_step(self, batch, **fit_params):
        guard = getattr(self, "interrupt_", None)
        if guard is not None:
            guard.check()  # Ctrl-C: stop at this batch boundary
        return super().train_step(batch, **fit_params)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        # the L2 term's divisor: the batch's weight sum (read only when there is an L2 term:
        # a device sync on a GPU)
        n = (float(yi[1].sum()) if isinstance(yi, tuple) else len(Xi)) if self.l2 else None
        plan = getattr(self, "_mlp_plan", None)
        if plan is not None and not fit_params and torch.is_grad_enabled():
            y, weight = yi if isinstance(yi, tuple) else (yi, None)
            buffers = getattr(self, "_mlp_buffers", None)
            if buffers is None:
                buffers = self._mlp_buffers = _mlp_step._Buffers()
            loss, y_pred = _mlp_step.loss_and_gradients(
                *plan, Xi, y, weight, self.l2, n, buffers)
            value = loss.item()
            if not math.isfinite(value):
                self._diverged(value)
        else:
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
            value = loss.item()
            if not math.isfinite(value):
                self._diverged(value)
            loss.backward()
            if self.l2:
                decayed = [p for p in self._cache.decayed if p.grad is not None]
                with torch.no_grad():  # two foreach kernels for every weight matrix at once
                    torch._foreach_add_([p.grad for p in decayed], decayed, alpha=self.l2 / n)
        if self.l2:
            with torch.no_grad():
                decayed = [p for p in self._cache.decayed if p.grad is not None]
                penalty = 0.5 * self.l2 / n * sum(
                    float(t) ** 2 for t in torch._foreach_norm(decayed))
            loss = loss.detach() + penalty
            value += penalty
        acc = getattr(self, "_epoch_loss", None)
        if acc is not None:  # the epoch's mean loss, weighted by rows as scikit-learn's
            acc[0] += value * len(Xi)
            acc[1] += len(Xi)
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        cache = self._cache
        if cache.adam_state is not None:
            step_fn()
            cache.adam_step()
            return
        super()._step_optimizer(step_fn)
        cache.after_step()

    def _diverged(self, loss):
        epoch = len(self.history)
        nbatch = len(self.history[-1]["batches"]) if epoch else 0
        where = "the last finite step"
        finite = all(bool(torch.isfinite(p).all()) for p in self.module_.parameters())
        backup = getattr(self, "_epoch_start_state", None)
        if not finite and backup is not None:
            with torch.no_grad():
                tensors = list(self.module_.state_dict(keep_vars=True).values())
                torch._foreach_copy_([t.detach() for t in tensors], backup)
            where = f"the start of epoch {epoch}"
        raise DivergenceError(
            f"{_DIVERGED} The training loss became {loss} at epoch {epoch}, batch {nbatch}: the "
            f"fit diverged and the weights are left at {where}. Scale the input (e.g. "
            "StandardScaler), lower learning_rate_init, or raise alpha."
        )

    # ---- full-batch L-BFGS -------------------------------------------------------------
    def fit_lbfgs(self, data, *, max_iter, max_fun, tol, chunk_rows, verbose=0):
        """Minimise the full-batch loss with scipy's L-BFGS-B, as scikit-learn's ``lbfgs``.

        The loss and its gradient are summed over chunks of ``chunk_rows`` rows (a sparse
        ``X`` is densified one chunk at a time). Each L-BFGS iteration is one "epoch" of the
        history (``train_loss``), with skorch's ``on_epoch_begin/end`` callbacks.

        Returns
        -------
        result : scipy.optimize.OptimizeResult
        """
        module = self.module_
        params = [p for p in module.parameters() if p.requires_grad]
        decayed = [p for p in params if p.ndim > 1]
        shapes = [p.shape for p in params]
        sizes = [p.numel() for p in params]
        dtype = params[0].dtype
        n_rows = len(data)
        weight = data.sample_weight
        total = float(weight.sum()) if weight is not None else float(n_rows)
        guard = getattr(self, "interrupt_", None)
        self._set_training(True)
        buffers, plan = _mlp_step._Buffers(), None

        def unpack(x):
            with torch.no_grad():
                flat = torch.from_numpy(x).to(self.device, dtype)
                for p, chunk in zip(params, torch.split(flat, sizes)):
                    p.copy_(chunk.view_as(p))

        def fun(x):
            if guard is not None:
                guard.check()
            unpack(x)
            for p in params:
                p.grad = None
            value = 0.0
            grads = None
            for start in range(0, n_rows, chunk_rows):
                Xc, yc = data.span(start, start + chunk_rows)
                yc, wc = yc if isinstance(yc, tuple) else (yc, None)
                if plan is not None:
                    loss, _ = _mlp_step.loss_and_gradients(*plan, Xc, yc, wc, 0.0, 1.0, buffers)
                    share = (float(wc.sum()) if wc is not None else len(Xc)) / total
                    value += loss.item() * share
                    if grads is None:
                        grads = [p.grad.mul_(share) for p in params]
                    else:
                        torch._foreach_add_(grads, [p.grad for p in params], alpha=share)
                    continue
                losses = per_sample(self.criterion_, module(Xc), yc)
                loss = (losses if wc is None else losses * wc).sum() / total
                loss.backward()
                value += loss.item()
            if grads is not None:
                for p, g in zip(params, grads):
                    p.grad = g
            with torch.no_grad():
                if self.l2:
                    for p in decayed:
                        p.grad.add_(p, alpha=self.l2 / total)
                    value += 0.5 * self.l2 / total * sum(
                        float(torch.dot(p.reshape(-1), p.reshape(-1))) for p in decayed)
                grad = torch.cat([p.grad.reshape(-1) for p in params]).double().cpu().numpy()
            return value, grad

        x0 = torch.cat([p.detach().reshape(-1) for p in params]).double().cpu().numpy()
        last = {"x": x0.copy(), "f": None}

        def on_iteration(intermediate_result):
            last["x"] = np.array(intermediate_result.x)
            last["f"] = float(intermediate_result.fun)
            self.history.new_epoch()
            self.notify("on_epoch_begin", dataset_train=data, dataset_valid=None)
            self.history.record("train_loss", last["f"])
            self.notify("on_epoch_end", dataset_train=data, dataset_valid=None)

        self.notify("on_train_begin", X=data, y=None)
        plan = _mlp_step.plan(self, SkphysNet)  # a plain MLP: hand-written backprop (in fun)
        result = None
        try:
            result = scipy.optimize.minimize(
                fun, x0, method="L-BFGS-B", jac=True, callback=on_iteration,
                options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
            )
            unpack(result.x)
        except KeyboardInterrupt:
            unpack(last["x"])  # the last complete iteration
            if guard is not None and guard.requested:
                raise
            # a callback's early stop (skorch's convention)
            result = scipy.optimize.OptimizeResult(
                x=last["x"], fun=last["f"], nit=len(self.history), success=True, status=0,
                message="stopped by a callback", nfev=None)
        finally:
            self.notify("on_train_end", X=data, y=None)
        del shapes
        return result

    # ---- inference ------------------------------------------------------------------------
    def predict_raw(self, data, chunk_rows):
        """Module outputs for every row of ``data`` (no gradients), concatenated on the CPU
        (where scoring and predictions read them)."""
        self._set_training(False)
        outs = []
        with torch.inference_mode():
            for start in range(0, len(data), chunk_rows):
                Xc, _ = data.span(start, start + chunk_rows)
                outs.append(self.module_(Xc).cpu())
        return torch.cat(outs) if len(outs) != 1 else outs[0]


class EpochLoss(Callback):
    """Records the epoch's ``train_loss``: the mean of the batch losses, weighted by rows.

    What skorch's ``PassthroughScoring`` computes from the batch history, accumulated by the
    net's step instead (reading the history back cost ~0.4 ms an epoch, which small data sets
    with few batches per epoch feel).
    """

    def on_epoch_end(self, net, **kwargs):
        total, n = getattr(net, "_epoch_loss", (0.0, 0))
        if n:
            net.history.record("train_loss", total / n)


_PER_BATCH = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def _overrides(obj, name, base):
    """Whether ``obj``'s ``name`` is not ``base``'s do-nothing method (or is set on ``obj``)."""
    if name in getattr(obj, "__dict__", {}):
        return True
    return getattr(type(obj), name, None) is not getattr(base, name, None)


class _StepCache:
    """What the per-batch step needs, gathered once per optimiser.

    For a one-group Adam whose state exists, :meth:`adam_step` calls
    :func:`torch.optim.adam.adam` (the function ``Adam.step`` calls) on cached state lists,
    skipping ``Adam.step``'s per-call bookkeeping and torch's profiling wrapper, which on a CPU
    cost as much as the fused update itself; any other case goes through ``optimizer.step``.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        self.decayed = [p for p in self.params if p.ndim > 1]  # weights, not biases
        self.adam_state = None
        self.direct = False
        self.state = None  # the module's parameters and buffers, set by the net

    def after_step(self):
        opt = self.optimizer
        if (self.adam_state is None and type(opt) is torch.optim.Adam
                and len(opt.param_groups) == 1
                and not opt.param_groups[0]["amsgrad"] and not opt.param_groups[0]["maximize"]
                and all(p in opt.state for p in self.params)):
            state = [opt.state[p] for p in self.params]
            self.adam_state = ([s["exp_avg"] for s in state], [s["exp_avg_sq"] for s in state],
                               [s["step"] for s in state])
            devices = {(p.device, p.dtype) for p in self.params}
            self.direct = (hasattr(torch, "_fused_adam_") and len(devices) == 1
                           and next(iter(devices))[0].type in ("cpu", "cuda")
                           and not isinstance(opt.param_groups[0]["lr"], torch.Tensor))

    def adam_step(self):
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):
            self.optimizer.step()
            return
        group = self.optimizer.param_groups[0]
        m, v, steps = self.adam_state
        beta1, beta2 = group["betas"]
        if self.direct and group["fused"] and not group["decoupled_weight_decay"]:
            # the two kernels torch's fused Adam runs, without its per-call regrouping of
            # the tensors by device and dtype (one group here): ~12 us less per step
            torch._foreach_add_(steps, 1)
            torch._fused_adam_(
                self.params, grads, m, v, [], steps, amsgrad=False, lr=group["lr"],
                beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                eps=group["eps"], maximize=False, grad_scale=None, found_inf=None)
            return
        adam_update(
            self.params, grads, m, v, [], steps,
            amsgrad=False, has_complex=False, beta1=beta1, beta2=beta2,
            lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
            maximize=False, foreach=group["foreach"], capturable=group["capturable"],
            differentiable=False, fused=group["fused"], grad_scale=None,
            found_inf=None, decoupled_weight_decay=group["decoupled_weight_decay"],
        )


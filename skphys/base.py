"""The one shared base: a torch module factory becomes a scikit-learn estimator.

Every neural estimator in skphys is a plain :class:`~sklearn.base.BaseEstimator` that, in
``fit``, builds a :mod:`torch` module and a :class:`skorch.NeuralNet` (``net_``) that trains
it. scikit-learn semantics (validation, parameters, fitted attributes, stopping rules) live
here; the training loop, callbacks and history live in skorch; the modules in
:mod:`skphys.nn` know neither.

Subclasses provide four small hooks:

``_build_module(n_outputs)``
    the :class:`torch.nn.Module` to train (it may read ``n_features_in_``/``input_shape_``);
``_shape_X(X)``
    the validated numpy array reshaped to what the module takes (default: unchanged);
``_encode_target(y, reset)`` / ``_criterion()``
    the target as a tensor and the loss (classifier and regressor mixins below);
``_X_check_params``
    extra ``validate_data`` arguments (``allow_nd`` for image and sequence input).
"""

import math
import numbers
import sys
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import skorch
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring
from torch.optim.adam import adam as adam_update

from .utils._torch import draw_seed, resolve_device, seeded, to_tensor

__all__ = [
    "BaseNeuralNetwork",
    "NeuralClassifierMixin",
    "NeuralRegressorMixin",
    "DivergenceError",
]


class DivergenceError(ValueError, FloatingPointError):
    """Raised when the training loss becomes NaN or infinite.

    The estimator keeps the weights of the last finite step, so it can still be inspected
    (``loss_curve_``, ``net_``) or trained further with a smaller learning rate.
    """


# --------------------------------------------------------------------------------------
# Batching: tensors sliced in place, no per-sample Dataset/DataLoader
# --------------------------------------------------------------------------------------
class TensorData:
    """In-memory training data: ``X`` (and ``y``) as tensors already on the device."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def __len__(self):
        return len(self.X)


class SliceBatches:
    """Mini-batches by slicing tensors.

    With ``shuffle``, each pass gathers the data once in a fresh random order and then yields
    contiguous views; this replaces ``DataLoader(TensorDataset)``, whose per-sample
    ``__getitem__`` and collate cost about half of a small network's epoch. ``random_state``
    is a :class:`numpy.random.RandomState` shared across passes, so each epoch has its own
    order and a seeded fit repeats exactly.
    """

    def __init__(self, dataset, batch_size, shuffle=False, random_state=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        X, y = self.dataset.X, self.dataset.y
        n = len(X)
        if self.shuffle and n > 1:
            perm = torch.from_numpy(self.random_state.permutation(n)).to(X.device)
            # index_select is ~6x faster than X[perm] on a CPU for this one gather per epoch
            X = torch.index_select(X, 0, perm)
            y = None if y is None else torch.index_select(y, 0, perm)
        bs = self.batch_size
        for start in range(0, n, bs):
            yield X[start : start + bs], (None if y is None else y[start : start + bs])


# --------------------------------------------------------------------------------------
# The skorch net every estimator owns
# --------------------------------------------------------------------------------------
class SkphysNet(skorch.NeuralNet):
    """:class:`skorch.NeuralNet` with a lean, divergence-checked training step.

    Only the per-batch step is overridden; skorch's loop (epochs, callbacks, history) is used
    as it is. The step differs from skorch's in three ways:

    * the loss is checked *before* the optimiser step, so a NaN/inf loss raises
      :class:`DivergenceError` with the weights of the last finite step;
    * ``l2`` adds scikit-learn's L2 gradient ``l2 * W`` to the weights only (tensors with more
      than one dimension; biases are not penalised), so the optimiser needs one parameter group;
    * per-batch Python overhead is trimmed (gradients dropped by assignment, the training mode
      set only when it changes, batches taken as device tensors, see :class:`_StepCache`):
      for small networks this overhead is as large as the arithmetic.
    """

    def __init__(self, *args, l2=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.l2 = l2

    def get_default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ]

    def initialize_optimizer(self, triggered_directly=None):
        super().initialize_optimizer()
        self._step_cache = None
        return self

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_step_cache", None)  # references into module/optimizer: rebuilt lazily
        state.pop("_epoch_start_state", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._step_cache = None

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # a finite state to fall back on if a step makes the weights non-finite before the
        # loss shows it (cheap: one copy of the parameters per epoch)
        self._epoch_start_state = {
            k: v.detach().clone() for k, v in self.module_.state_dict().items()
        }

    def _diverged(self, loss):
        epoch = len(self.history)
        nbatch = len(self.history[-1]["batches"]) if epoch else 0
        where = "the last finite step"
        finite = all(torch.isfinite(p).all() for p in self.module_.parameters())
        if not finite and getattr(self, "_epoch_start_state", None) is not None:
            self.module_.load_state_dict(self._epoch_start_state)
            where = f"the start of epoch {epoch}"
        raise DivergenceError(
            f"The training loss became {loss} at epoch {epoch}, batch {nbatch}: the fit "
            f"diverged. The weights are left at {where}. Scale the input (e.g. StandardScaler), "
            "lower learning_rate_init, or raise alpha."
        )

    def _set_training(self, training=True):
        if self.module_.training != training:
            super()._set_training(training)

    def infer(self, x, **fit_params):
        # batches are tensors already on the device (TensorData/SliceBatches)
        return self.module_(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, y_true)

    def train_step(self, batch, **fit_params):
        cache = self._step_cache
        if cache is None:
            cache = self._step_cache = _StepCache(self.optimizer_)
        for p in cache.params:
            p.grad = None
        step = self.train_step_single(batch, **fit_params)
        loss = step["loss"].item()
        if not math.isfinite(loss):
            self._diverged(loss)
        if self.l2:
            for p in cache.decayed:
                if p.grad is not None:
                    p.grad.add_(p.detach(), alpha=self.l2)
        cache.step()
        return step


class _StepCache:
    """What the per-batch step needs, gathered once per optimiser.

    ``step()`` is the optimiser's own update. For a one-group Adam whose state exists it calls
    :func:`torch.optim.adam.adam` (the function ``Adam.step`` calls) on cached state lists,
    skipping ``Adam.step``'s per-call bookkeeping and torch's profiling wrapper, which on a CPU
    cost as much as the fused update itself; any other case goes through ``Adam/SGD.step``.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        self.decayed = [p for p in self.params if p.ndim > 1]  # weights, not biases
        self.adam_state = None

    def step(self):
        opt = self.optimizer
        if self.adam_state is not None:
            grads = [p.grad for p in self.params]
            if all(g is not None for g in grads):
                group = opt.param_groups[0]
                m, v, steps = self.adam_state
                beta1, beta2 = group["betas"]
                adam_update(
                    self.params, grads, m, v, [], steps,
                    amsgrad=False, has_complex=False, beta1=beta1, beta2=beta2,
                    lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
                    maximize=False, foreach=group["foreach"], capturable=group["capturable"],
                    differentiable=False, fused=group["fused"], grad_scale=None,
                    found_inf=None, decoupled_weight_decay=group["decoupled_weight_decay"],
                )
                return
        opt.step()
        if (type(opt) is torch.optim.Adam and len(opt.param_groups) == 1
                and not opt.param_groups[0]["amsgrad"] and not opt.param_groups[0]["maximize"]
                and all(p in opt.state for p in self.params)):
            state = [opt.state[p] for p in self.params]
            self.adam_state = ([s["exp_avg"] for s in state], [s["exp_avg_sq"] for s in state],
                               [s["step"] for s in state])


# --------------------------------------------------------------------------------------
# Callbacks: scikit-learn's stopping rules and a progress line
# --------------------------------------------------------------------------------------
class SklearnStopping(Callback):
    """scikit-learn's MLP stopping rules as a skorch callback.

    Without validation data: stop when the training loss has not improved by ``tol`` for
    ``n_iter_no_change`` epochs. With validation data (``early_stopping=True``): the same on
    the validation score (accuracy or R²), keeping the best weights. With
    ``learning_rate="adaptive"`` (SGD) the step is divided by 5 instead of stopping, until it
    falls below 1e-6; ``"invscaling"`` sets ``lr = lr0 / (t + 1) ** power_t`` after each epoch,
    ``t`` the number of samples seen.
    """

    def __init__(self, *, tol, n_iter_no_change, learning_rate="constant",
                 learning_rate_init=1e-3, power_t=0.5, task="classification", verbose=0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.task = task
        self.verbose = verbose
        self.loss_curve = []
        self.validation_scores = []
        self.best_loss = np.inf
        self.best_validation_score = -np.inf
        self.no_improvement_count = 0
        self.n_iter = 0
        self.t = 0
        self.stopped = False
        self.valid = None
        self.incremental = False
        self.best_state = None

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.stopped = False

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        loss = float(net.history[-1, "train_loss"])
        self.n_iter += 1
        self.t += len(dataset_train)
        self.loss_curve.append(loss)
        if self.valid is not None:
            score = self._validation_score(net)
            self.validation_scores.append(score)
            net.history.record("valid_score", score)
            improved = score >= self.best_validation_score + self.tol
            if score > self.best_validation_score:
                self.best_validation_score = score
                self.best_state = {
                    k: v.detach().clone() for k, v in net.module_.state_dict().items()
                }
        else:
            improved = loss <= self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
        self.no_improvement_count = 0 if improved else self.no_improvement_count + 1

        if self.learning_rate == "invscaling":
            self._set_lr(net, self.learning_rate_init / (self.t + 1) ** self.power_t)
        if self.incremental or self.no_improvement_count <= self.n_iter_no_change:
            return
        what = "Validation score" if self.valid is not None else "Training loss"
        msg = (f"{what} did not improve more than tol={self.tol:f} for "
               f"{self.n_iter_no_change} consecutive epochs.")
        lr = net.optimizer_.param_groups[0]["lr"]
        if self.learning_rate == "adaptive" and lr > 1e-6:
            self._set_lr(net, lr / 5.0)
            self.no_improvement_count = 0
            if self.verbose:
                print(msg + f" Setting learning rate to {lr / 5.0:f}")
            return
        if self.verbose:
            tail = " Learning rate too small." if self.learning_rate == "adaptive" else ""
            print(msg + tail + " Stopping.")
        self.stopped = True
        raise KeyboardInterrupt  # skorch's way to end fit_loop early (as its EarlyStopping does)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if self.valid is not None and self.best_state is not None and not self.incremental:
            net.module_.load_state_dict(self.best_state)
        self.valid = None  # do not keep the validation data in the fitted (pickled) model
        self.best_state = None

    def _validation_score(self, net):
        X_val, y_val = self.valid
        out = net.forward(X_val).numpy()
        if self.task == "classification":
            pred = (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(1)
            return accuracy_score(y_val, pred)
        return r2_score(y_val, out.reshape(y_val.shape))

    @staticmethod
    def _set_lr(net, lr):
        for group in net.optimizer_.param_groups:
            group["lr"] = lr


class Progress(Callback):
    """``verbose`` output: one progress line per epoch (loss, validation score, time)."""

    def __init__(self, total, width=24, stream=None):
        self.total = total
        self.width = width
        self.stream = stream

    def on_epoch_end(self, net, **kwargs):
        h = net.history[-1]
        epoch = len(net.history)
        done = min(epoch / max(self.total, 1), 1.0)
        bar = "=" * int(done * self.width)
        bar = (bar[:-1] + ">") if 0 < len(bar) < self.width else bar
        line = (f"Iteration {epoch:>4d}/{self.total} [{bar:<{self.width}}] "
                f"loss = {h['train_loss']:.8f}")
        if "valid_score" in h:
            line += f"  validation score = {h['valid_score']:.6f}"
        line += f"  {h['dur']:.2f}s"
        print(line, file=self.stream or sys.stdout, flush=True)


# --------------------------------------------------------------------------------------
# The estimator base
# --------------------------------------------------------------------------------------
class BaseNeuralNetwork(BaseEstimator, metaclass=ABCMeta):
    """Base for skphys's skorch-backed estimators (not for direct use).

    Holds the training parameters that scikit-learn's ``MLPClassifier`` uses, with the same
    names and meaning, and implements ``fit``/``partial_fit`` once for every architecture.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"adam", "sgd"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), StrOptions({"inf"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "device": [str],
    }

    #: extra ``validate_data`` arguments for X (e.g. ``allow_nd`` for images).
    _X_check_params: dict = {}
    _task = "regression"

    # ---- hooks ------------------------------------------------------------------------
    @abstractmethod
    def _build_module(self, n_outputs):
        """Return the :class:`torch.nn.Module` to train (output: ``n_outputs`` raw values)."""

    def _shape_X(self, X, reset):
        """Reshape validated ``X`` to the module's input layout (default: as is)."""
        return X

    @abstractmethod
    def _encode_target(self, y, reset):
        """Validated ``y`` -> (float/long numpy target for the loss, number of outputs)."""

    @abstractmethod
    def _criterion(self):
        """The loss module applied to (raw outputs, encoded target)."""

    # ---- validation ---------------------------------------------------------------------
    def _validate_X(self, X, reset=False):
        X = validate_data(self, X, reset=reset, dtype=np.float32, **self._X_check_params)
        return self._shape_X(X, reset)

    def _validate_fit_data(self, X, y, reset):
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=np.float32,
            multi_output=self._task == "regression",
            y_numeric=self._task == "regression",
            **self._X_check_params,
        )
        return self._shape_X(X, reset), y

    # ---- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model to data ``X`` and target ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels for classifiers).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False)

    def _partial_fit(self, X, y, classes=None):
        if self.solver not in ("adam", "sgd"):  # pragma: no cover - guarded by constraints
            raise AttributeError("partial_fit is only available for stochastic solvers.")
        first = not hasattr(self, "net_")
        if first:
            self._validate_params()
        if classes is not None and self._task == "classification":
            self._set_classes(classes, first)
        return self._fit(X, y, incremental=True)

    def _fit(self, X, y, incremental):
        first = not hasattr(self, "net_") or not (self.warm_start or incremental)
        needs_classes = self._task == "classification" and not hasattr(self, "classes_")
        if incremental and first and needs_classes:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        X, y = self._validate_fit_data(X, y, reset=first)
        target, n_outputs = self._encode_target(y, reset=first and not incremental)
        if len(X) == 0:  # pragma: no cover - validate_data rejects it
            raise ValueError("Found array with 0 sample(s).")

        if first:
            self._random_state = check_random_state(self.random_state)
            self.device_ = resolve_device(self.device)
        device = self.net_.device if not first else self.device_
        device = torch.device(device)

        X_val = y_val = None
        early_stopping = self.early_stopping and not incremental
        if early_stopping:
            stratify = target if self._task == "classification" else None
            X, X_val, target, y_val = train_test_split(
                X, target, test_size=self.validation_fraction,
                random_state=self._random_state, stratify=stratify,
            )
            if len(X_val) < 2:
                raise ValueError(
                    "The validation set is too small: raise validation_fraction or set "
                    "early_stopping=False."
                )
        seed = draw_seed(self._random_state)
        with seeded(seed, device):
            if first:
                self.net_ = self._make_net(n_outputs, device, len(X))
                self.net_.initialize()
            elif not incremental:
                self._renew_optimizer(len(X))
            stopping = dict(self.net_.callbacks_)["stopping"]
            stopping.incremental = incremental
            stopping.valid = None if X_val is None else (to_tensor(X_val, device), y_val)
            self.net_.max_epochs = 1 if incremental else self.max_iter
            Xt = to_tensor(X, device)
            yt = to_tensor(target, device)
            try:
                self.net_.partial_fit(Xt, yt)
            finally:
                self._collect_fitted_attributes(stopping, early_stopping)
        if (not incremental and not stopping.stopped and self.n_iter_ == self.max_iter):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        return self

    def _collect_fitted_attributes(self, stopping, early_stopping):
        self.loss_curve_ = list(stopping.loss_curve)
        self.n_iter_ = stopping.n_iter
        self.t_ = stopping.t
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        if early_stopping or stopping.validation_scores:
            self.validation_scores_ = list(stopping.validation_scores)
            self.best_validation_score_ = stopping.best_validation_score
            self.best_loss_ = None
        else:
            self.best_loss_ = stopping.best_loss
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _effective_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _optimizer_params(self, device, batch_size):
        """The net's optimiser settings (``optimizer``, ``optimizer__*``, ``l2``)."""
        if self.solver == "adam":
            params = dict(optimizer=torch.optim.Adam, optimizer__betas=(self.beta_1, self.beta_2),
                          optimizer__eps=self.epsilon)
        else:
            params = dict(optimizer=torch.optim.SGD, optimizer__momentum=self.momentum,
                          optimizer__nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        if device.type in ("cpu", "cuda"):
            params["optimizer__fused"] = True
        params["optimizer__lr"] = self.learning_rate_init
        # scikit-learn's L2 term is alpha / 2 * ||W||^2 / batch_size on the weights only
        # (not the biases); as a gradient term on the weights that is alpha / batch_size.
        params["l2"] = self.alpha / batch_size
        return params

    def _renew_optimizer(self, n_samples):
        """A new optimiser for a warm-started ``fit``, as scikit-learn's MLP makes one.

        The weights are kept; the step size, moments and the other optimiser settings start
        afresh from the current parameters (a changed ``learning_rate_init`` takes effect).
        """
        net = self.net_
        batch_size = self._effective_batch_size(n_samples)
        params = self._optimizer_params(torch.device(net.device), batch_size)
        for key in [k for k in vars(net) if k.startswith("optimizer__") and k not in params]:
            delattr(net, key)  # e.g. momentum after switching from "sgd" to "adam"
        for name, value in params.items():
            setattr(net, name, value)
        net.batch_size = batch_size
        net.initialize_optimizer()

    def _make_net(self, n_outputs, device, n_samples):
        module = self._build_module(n_outputs)
        batch_size = self._effective_batch_size(n_samples)
        callbacks = [
            ("stopping", SklearnStopping(
                tol=self.tol,
                n_iter_no_change=(np.inf if self.n_iter_no_change == "inf"
                                  else self.n_iter_no_change),
                learning_rate=self.learning_rate if self.solver == "sgd" else "constant",
                learning_rate_init=self.learning_rate_init,
                power_t=self.power_t,
                task=self._task,
                verbose=self.verbose,
            )),
        ]
        if self.verbose:
            callbacks.append(("progress", Progress(self.max_iter)))
        return SkphysNet(
            module=module,
            criterion=self._criterion(),
            **self._optimizer_params(device, batch_size),
            batch_size=batch_size,
            max_epochs=self.max_iter,
            train_split=None,
            dataset=TensorData,
            iterator_train=SliceBatches,
            iterator_train__shuffle=self.shuffle,
            iterator_train__random_state=self._random_state,
            iterator_valid=SliceBatches,
            iterator_valid__batch_size=max(1024, batch_size),
            callbacks=callbacks,
            device=device,
            verbose=0,
        )

    # ---- inference ----------------------------------------------------------------------
    def _forward(self, X):
        """Raw module outputs for validated input, as a float32 numpy array."""
        Xt = to_tensor(X, self.net_.device)
        with torch.inference_mode():
            return self.net_.forward(Xt).numpy()

    def _validated_forward(self, X):
        check_is_fitted(self)
        return self._forward(self._validate_X(X, reset=False))

    # ---- persistence --------------------------------------------------------------------
    def __setstate__(self, state):
        super().__setstate__(state)
        net = self.__dict__.get("net_")
        if net is not None:  # skorch maps a GPU-fitted net to the CPU when CUDA is absent
            self.device_ = torch.device(net.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = bool(self._X_check_params.get("allow_nd", False))
        return tags


class NeuralClassifierMixin(ClassifierMixin):
    """Classification target handling: labels, softmax/logistic output, ``predict_proba``."""

    _task = "classification"

    def _set_classes(self, classes, first):
        classes = np.unique(np.asarray(classes))
        if first:
            self.classes_ = classes
        elif not np.array_equal(self.classes_, classes):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on the last call to partial_fit, "
                f"was: {self.classes_!r}"
            )

    def _encode_target(self, y, reset):
        check_classification_targets(y)  # y is 1-D here: validate_data(multi_output=False)
        if reset:
            self.classes_ = np.unique(y)
        elif not np.isin(np.unique(y), self.classes_).all():
            if self.warm_start:
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {np.unique(y)}"
                )
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                f"'y' has {np.unique(y)}."
            )
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}"
            )
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            self.out_activation_, self.n_outputs_ = "logistic", 1
            return codes.astype(np.float32).reshape(-1, 1), 1
        self.out_activation_, self.n_outputs_ = "softmax", len(self.classes_)
        return codes.astype(np.int64), len(self.classes_)

    def _criterion(self):
        binary = len(self.classes_) == 2
        if getattr(self, "loss", "log_loss") == "squared_error":
            return QuadraticCost(binary=binary)
        return torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()

    def partial_fit(self, X, y, classes=None):
        """Update the model with one pass (epoch) over ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes that can appear; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, classes=classes)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_``.
        """
        out = torch.from_numpy(self._validated_forward(X)).double()
        if out.shape[1] == 1:
            p = torch.sigmoid(out[:, 0])
            return torch.stack([1 - p, p], dim=1).numpy()
        return torch.softmax(out, dim=1).numpy()

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class.
        """
        out = torch.from_numpy(self._validated_forward(X)).double()
        if out.shape[1] == 1:
            z = out[:, 0]
            return torch.stack([torch.nn.functional.logsigmoid(-z),
                                torch.nn.functional.logsigmoid(z)], dim=1).numpy()
        return torch.log_softmax(out, dim=1).numpy()

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The most probable class of each sample.
        """
        out = self._validated_forward(X)
        idx = (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
        return self.classes_[idx]


class NeuralRegressorMixin(RegressorMixin):
    """Regression target handling: (multi-)output values, squared-error or Poisson loss."""

    _task = "regression"

    def _encode_target(self, y, reset):
        y = np.asarray(y, dtype=np.float32)
        if getattr(self, "loss", "squared_error") == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y.")
        if reset:
            self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        if not reset and hasattr(self, "n_outputs_") and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs, the model was fitted with {self.n_outputs_}."
            )
        self.n_outputs_ = y2.shape[1]
        return y2, y2.shape[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _criterion(self):
        if getattr(self, "loss", "squared_error") == "poisson":
            return torch.nn.PoissonNLLLoss(log_input=True, full=False)
        return HalfSquaredError()

    def partial_fit(self, X, y):
        """Update the model with one pass (epoch) over ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y)

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (the shape of the ``y`` seen in ``fit``).
        """
        out = self._validated_forward(X).astype(np.float64)
        if getattr(self, "loss", "squared_error") == "poisson":
            out = np.exp(out)
        return out.ravel() if self._y_ndim == 1 else out


# --------------------------------------------------------------------------------------
# Losses with scikit-learn's conventions
# --------------------------------------------------------------------------------------
class HalfSquaredError(torch.nn.Module):
    """``mean((y - f)^2) / 2``: scikit-learn's squared loss (gradients match its SGD)."""

    def forward(self, input, target):
        return 0.5 * torch.nn.functional.mse_loss(input, target)


class QuadraticCost(torch.nn.Module):
    """The quadratic cost on the output probabilities, ``sum_k (y_k - a_k)^2 / 2``.

    ``a = softmax(z)`` (``sigmoid(z)`` for one binary output) and ``y`` is one-hot. Its gradient
    carries the output's derivative, so a confidently wrong network learns slowly, which is the
    lecture's reason to prefer the cross-entropy.
    """

    def __init__(self, binary=False):
        super().__init__()
        self.binary = binary

    def forward(self, input, target):
        if self.binary:
            a = torch.sigmoid(input)
            return 0.5 * ((a - target) ** 2).sum(1).mean()
        a = torch.softmax(input, dim=1)
        onehot = torch.nn.functional.one_hot(target, a.shape[1]).to(a.dtype)
        return 0.5 * ((a - onehot) ** 2).sum(1).mean()


def _check_positive_int_tuple(value, name):
    if isinstance(value, numbers.Integral):
        value = (value,)
    value = tuple(value)
    if not all(isinstance(v, numbers.Integral) and v > 0 for v in value):
        raise ValueError(f"{name} must contain positive integers, got {value!r}.")
    return value

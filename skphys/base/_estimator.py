"""The estimator base: a torch module factory becomes a scikit-learn estimator.

Every skorch-backed skphys estimator is a plain :class:`~sklearn.base.BaseEstimator` that,
in ``fit``, builds a :mod:`torch` module and a :class:`~skphys.base.SkphysNet` (``net_``)
that trains it. scikit-learn semantics (validation, parameters, fitted attributes,
stopping rules, warm starts, sample weights, dtypes) live here; the training loop lives in
skorch; the modules in :mod:`skphys.nn` know neither.

Subclasses provide small hooks:

``_build_module(n_outputs)``
    the :class:`torch.nn.Module` to train (it may read ``n_features_in_``/``input_shape_``);
``_init_module(module)``
    optional: initialise the weights (called in float64 under the fit's seed);
``_shape_X(X, reset)``
    the validated array reshaped to what the module takes (default: unchanged);
``_encode_target(y, reset)`` / ``_criterion()``
    the target and the loss (classifier and regressor mixins below);
``_X_check_params`` / ``_accept_sparse``
    extra ``validate_data`` arguments (``allow_nd`` for images and sequences) and whether
    sparse ``X`` is accepted (flat input only).
"""

import math
import numbers
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..utils._torch import draw_seed, resolve_device, seeded
from ._callbacks import Progress, SklearnStopping, named_callbacks
from ._data import SliceBatches, TensorData
from ._driver import DivergenceError
from ._interrupt import InterruptGuard, discard_fitted_attributes, warn_interrupted
from ._losses import HalfPoissonDeviance, HalfSquaredError, LogisticLoss, QuadraticCost
from ._losses import SoftmaxCrossEntropy
from ._net import SkphysNet
from ._persistence import device_for_loading, from_portable, to_portable

__all__ = ["BaseNeuralNetwork", "NeuralClassifierMixin", "NeuralRegressorMixin"]

#: rows per forward chunk at prediction time and per L-BFGS evaluation chunk, in bytes of
#: dense input (a sparse X is densified one chunk at a time)
_CHUNK_BYTES = 32 * 2**20

_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _stochastic(estimator):
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {estimator.solver} is "
            "not stochastic.")
    return True


class BaseNeuralNetwork(BaseEstimator, metaclass=ABCMeta):
    """Base for skphys's skorch-backed estimators (not for direct use).

    Holds the training parameters of scikit-learn's ``MLPClassifier``, with the same names
    and meaning, and implements ``fit``/``partial_fit`` once for every architecture.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"adam", "sgd", "lbfgs"})],
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
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf}), StrOptions({"inf"})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "device": [str, torch.device],
        "callbacks": [list, tuple, None],
    }

    #: extra ``validate_data`` arguments for X (e.g. ``allow_nd`` for images).
    _X_check_params: dict = {}
    #: whether sparse X is accepted (densified per batch)
    _accept_sparse = False
    _task = "regression"
    #: the skorch net class; a meta-estimator may pass another one to ``_fit`` (the seam
    #: adversarial training uses)
    _net_class = SkphysNet

    # ---- hooks ------------------------------------------------------------------------
    @abstractmethod
    def _build_module(self, n_outputs):
        """Return the :class:`torch.nn.Module` to train (output: ``n_outputs`` raw values)."""

    def _init_module(self, module):
        """Initialise ``module``'s weights (float64, under the fit's seed); default: keep."""

    def _shape_X(self, X, reset):
        """Reshape validated ``X`` to the module's input layout (default: as is)."""
        return X

    @abstractmethod
    def _encode_target(self, y, reset):
        """Validated ``y`` -> (numpy target for the loss, number of outputs)."""

    @abstractmethod
    def _criterion(self):
        """The loss module applied to (raw outputs, encoded target)."""

    def _stratify(self, target):
        """What the early-stopping split is stratified on (None: not stratified)."""
        return None

    def _score_outputs(self, out, y, sample_weight):
        """The validation score of raw outputs ``out`` (a tensor) against labels ``y``."""
        raise NotImplementedError

    # ---- validation ---------------------------------------------------------------------
    def _validate_X(self, X, reset=False):
        X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32),
                          accept_sparse=["csr", "csc"] if self._accept_sparse else False,
                          **self._X_check_params)
        return self._shape_X(X, reset)

    def _validate_fit_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=(np.float64, np.float32),
            accept_sparse=["csr", "csc"] if self._accept_sparse else False,
            multi_output=True, y_numeric=self._task == "regression",
            **self._X_check_params,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return self._shape_X(X, reset), y

    @property
    def _torch_dtype(self):
        return _TORCH_DTYPES[self._dtype]

    # ---- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data ``X`` and target ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Training data. The network computes in ``X``'s precision (float32 stays
            float32, anything else becomes float64), as scikit-learn's MLP does: pass
            float32 for speed, especially on a GPU.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels, or a label-indicator matrix for multilabel
            classification).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: each batch's loss is the weighted mean ``sum(w l) / sum(w)``,
            and the L2 term is divided by the batch's weight sum (scikit-learn >= 1.7).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        first = not hasattr(self, "net_")
        if first:
            self._validate_params()
            if self._task == "classification":
                if classes is None and not type_of_target(y).startswith("multilabel"):
                    raise ValueError("classes must be passed on the first call to partial_fit.")
                self._partial_classes = None if classes is None else np.unique(classes)
        elif classes is not None and self._task == "classification":
            classes = np.unique(classes)
            if not (type_of_target(y).startswith("multilabel")
                    or np.array_equal(self.classes_, classes)):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the last call to "
                    f"partial_fit, was: {self.classes_!r}")
        return self._fit(X, y, sample_weight, incremental=True)

    def _fit(self, X, y, sample_weight=None, incremental=False, *, net_class=None,
             net_params=None):
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "net_") or not (self.warm_start or incremental)
        X, y = self._validate_fit_data(X, y, reset=first)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
        if first:
            self._random_state = check_random_state(self.random_state)
            self.device_ = resolve_device(self.device, self)
            self._dtype = "float32" if X.dtype == np.float32 else "float64"
            self._torch_rng = None
            if net_class is not None:
                self._net_class_used, self._net_params_used = net_class, net_params
        target, n_outputs = self._encode_target(y, reset=first)
        device = self.device_
        dtype = self._torch_dtype
        n_samples = X.shape[0]
        batch_size = self._effective_batch_size(n_samples)

        # the early-stopping split (scikit-learn's: stratified by class, weights follow)
        X_val = y_val = w_val = None
        early_stopping = self.early_stopping and not incremental and self.solver != "lbfgs"
        if early_stopping:
            arrays = [X, target, y] + ([sample_weight] if sample_weight is not None else [])
            parts = train_test_split(*arrays, random_state=self._random_state,
                                     test_size=self.validation_fraction,
                                     stratify=self._stratify(target))
            X, X_val, target, _, y, y_val = parts[:6]
            if sample_weight is not None:
                sample_weight, w_val = parts[6:8]
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' or the "
                    "size of your dataset.")

        # the estimator owns its torch random stream: the first fit seeds it, later
        # partial_fit calls continue it (so repeated partial_fit draws like one fit)
        if first or self._torch_rng is None:
            seed, rng_state = draw_seed(self._random_state), None
        else:
            seed, rng_state = 0, torch.from_numpy(self._torch_rng)
        with seeded(seed, device):
            if rng_state is not None:
                torch.random.default_generator.set_state(rng_state)
            if first:
                self.net_ = self._make_net(n_outputs, device, batch_size, net_class,
                                           net_params)
                self._apply_pending_weights()
            elif not incremental:
                self._renew_optimizer(batch_size)
            elif self.net_.batch_size != batch_size and self.batch_size == "auto":
                self.net_.batch_size = batch_size
            data = self._training_data(X, target, sample_weight, device, dtype)
            if self.solver == "lbfgs":
                self._run_lbfgs(data, first)
            else:
                valid = None
                if X_val is not None:
                    Xv = self._training_data(X_val, None, None, device, dtype)
                    valid = (self._scorer(), Xv, y_val, w_val)
                self._run_stochastic(data, incremental, valid, first)
            self._torch_rng = torch.random.default_generator.get_state().numpy()
        return self

    def _training_data(self, X, target, sample_weight, device, dtype):
        Xt = X if sp.issparse(X) else _as_tensor(X, device, dtype)
        yt = None if target is None else _as_tensor(target, device, None)
        wt = None if sample_weight is None else _as_tensor(sample_weight, device, dtype)
        return TensorData(Xt, yt, wt, device=device, dtype=dtype)

    def _scorer(self):
        def score(data, y, w):
            out = self.net_.predict_raw(data, self._chunk_rows(data))
            return self._score_outputs(out, y, w)
        return score

    def _chunk_rows(self, data):
        return max(1, _CHUNK_BYTES // data.row_bytes())

    # ---- the two solvers ----------------------------------------------------------------
    def _run_stochastic(self, data, incremental, valid, first):
        net = self.net_
        stopping = dict(net.callbacks_)["stopping"]
        stopping.begin_fit(incremental=incremental, valid=valid)
        net.max_epochs = 1 if incremental else self.max_iter
        diverged = None
        with InterruptGuard() as guard:
            net.interrupt_ = guard
            try:
                net.partial_fit(data, None)
            except DivergenceError as exc:
                diverged = exc
            finally:
                net.interrupt_ = None
                if diverged is None or not stopping.validation_scores_:
                    stopping.end_fit(net)
        if diverged is not None and valid is not None and stopping.best_state_ is not None:
            # as scikit-learn: a diverging fit with early stopping keeps its best weights
            stopping.validation_scores_.append(float("nan"))
            stopping.end_fit(net)
            self._collect_fitted_attributes(stopping, valid is not None)
            warnings.warn(f"{diverged} The best weights (validation score "
                          f"{stopping.best_validation_score_:.6g}) are kept.",
                          ConvergenceWarning, stacklevel=3)
            return
        self._collect_fitted_attributes(stopping, valid is not None)
        if diverged is not None:
            raise diverged
        if guard.requested:
            self._interrupted(first, stopping.n_iter_, net.max_epochs, "epoch")
        user_stop = len(net.history) and not stopping.stopped_ and (
            stopping.n_iter_ < net.max_epochs)
        if not incremental and not stopping.stopped_ and not user_stop \
                and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)

    def _run_lbfgs(self, data, first):
        net = self.net_
        stopping = dict(net.callbacks_)["stopping"]
        stopping.begin_fit(incremental=False, valid=None)
        stopping.active_ = False
        with InterruptGuard() as guard:
            net.interrupt_ = guard
            try:
                result = net.fit_lbfgs(data, max_iter=self.max_iter, max_fun=self.max_fun,
                                       tol=self.tol, chunk_rows=self._chunk_rows(data),
                                       verbose=self.verbose)
            except KeyboardInterrupt:
                result = None
            finally:
                net.interrupt_ = None
                stopping.active_ = True
        self.loss_curve_ = list(stopping.loss_curve_)
        self.n_iter_ = stopping.n_iter_ if result is None else int(result.nit)
        if result is None:
            self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
            self._interrupted(first, self.n_iter_, self.max_iter, "iteration")
        self.loss_ = float(result.fun) if result.fun is not None else np.nan
        self.t_ = getattr(self, "t_", 0) + data.X.shape[0] * self.n_iter_
        self.best_loss_ = self.loss_
        self.validation_scores_ = self.best_validation_score_ = None
        if not all(bool(torch.isfinite(p).all()) for p in net.module_.parameters()) \
                or not math.isfinite(self.loss_):
            raise DivergenceError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed.")
        if result.message != "stopped by a callback":
            _check_optimize_result("lbfgs", result, self.max_iter)

    def _interrupted(self, first, done, total, unit):
        if first and not done:
            discard_fitted_attributes(self)
        warn_interrupted(self, done, total, unit)
        raise KeyboardInterrupt

    def _collect_fitted_attributes(self, stopping, early_stopping):
        self.loss_curve_ = list(stopping.loss_curve_)
        self.n_iter_ = stopping.n_iter_
        self.t_ = stopping.t_
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        self._no_improvement_count = stopping.no_improvement_count_
        if early_stopping or stopping.validation_scores_:
            self.validation_scores_ = list(stopping.validation_scores_)
            self.best_validation_score_ = stopping.best_validation_score_
            self.best_loss_ = None
        else:
            self.best_loss_ = stopping.best_loss_
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _effective_batch_size(self, n_samples):
        if self.solver == "lbfgs":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped")
        return min(self.batch_size, n_samples)

    def _optimizer_params(self, device, batch_size):
        """The net's optimiser settings (``optimizer``, ``optimizer__*``, ``l2``)."""
        if self.solver == "sgd":
            params = dict(optimizer=torch.optim.SGD, optimizer__momentum=self.momentum,
                          optimizer__nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        else:  # adam (lbfgs keeps an Adam around for a later warm start with another solver)
            params = dict(optimizer=torch.optim.Adam, optimizer__betas=(self.beta_1, self.beta_2),
                          optimizer__eps=self.epsilon)
        if device.type in ("cpu", "cuda"):
            params["optimizer__fused"] = True
        params["optimizer__lr"] = self.learning_rate_init
        params["l2"] = self.alpha
        return params

    def _renew_optimizer(self, batch_size):
        """A new optimiser for a warm-started ``fit``, as scikit-learn's MLP makes one.

        The weights are kept; the step size, moments and the other optimiser settings start
        afresh from the current parameters (a changed ``learning_rate_init`` takes effect).
        """
        net = self.net_
        params = self._optimizer_params(torch.device(net.device), batch_size)
        for key in [k for k in vars(net) if k.startswith("optimizer__") and k not in params]:
            delattr(net, key)  # e.g. momentum after switching from "sgd" to "adam"
        for name, value in params.items():
            setattr(net, name, value)
        net.batch_size = batch_size
        stopping = dict(net.callbacks_)["stopping"]
        for name, value in self._stopping_params().items():
            setattr(stopping, name, value)
        net.initialize_optimizer()

    def _stopping_params(self):
        return dict(
            tol=self.tol,
            n_iter_no_change=(np.inf if isinstance(self.n_iter_no_change, str)
                              else self.n_iter_no_change),
            learning_rate=self.learning_rate if self.solver == "sgd" else "constant",
            learning_rate_init=self.learning_rate_init,
            power_t=self.power_t,
            verbose=self.verbose,
        )

    def _new_module(self, n_outputs, device):
        module = self._build_module(n_outputs).double()
        self._init_module(module)
        return module.to(device=device, dtype=self._torch_dtype)

    def _make_net(self, n_outputs, device, batch_size, net_class=None, net_params=None):
        module = self._new_module(n_outputs, device)
        callbacks = [("stopping", SklearnStopping(**self._stopping_params()))]
        callbacks += named_callbacks(self.callbacks)
        if self.verbose:
            callbacks.append(("progress", Progress(self.max_iter, self.verbose,
                                                   type(self).__name__)))
        self._net_init = {"n_outputs": int(n_outputs), "batch_size": int(batch_size)}
        net = (net_class or self._net_class)(
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
            callbacks=callbacks,
            device=device,
            verbose=0,
            **(net_params or {}),
        )
        net.initialize()
        return net

    def _apply_pending_weights(self):
        """Weights assigned before the first fit (``est.coefs_ = [...]``), as scikit-learn."""

    # ---- inference ----------------------------------------------------------------------
    def _forward(self, X):
        """Raw module outputs for validated ``X``, as a tensor on the CPU (module dtype)."""
        net = self.net_
        dtype = next(net.module_.parameters()).dtype
        if sp.issparse(X):
            data = TensorData(X, device=torch.device(net.device), dtype=dtype)
        else:
            data = TensorData(_as_tensor(X, torch.device(net.device), dtype))
        return net.predict_raw(data, self._chunk_rows(data))

    def _validated_forward(self, X):
        check_is_fitted(self)
        return self._forward(self._validate_X(X, reset=False))

    # ---- persistence --------------------------------------------------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            stopping = dict(net.callbacks_).get("stopping")
            state["_net_state"] = {
                "module": to_portable(dict(net.module_.state_dict())),
                "optimizer": to_portable(net.optimizer_.state_dict()),
                "history": [{k: v for k, v in row.items() if k != "batches"}
                            for row in net.history],
                "stopping": None if stopping is None else {
                    k: to_portable(getattr(stopping, k)) for k in _STOPPING_STATE
                    if hasattr(stopping, k)},
            }
        for key in ("device_", "_torch_rng"):
            if key in state:
                state[key] = to_portable(state[key])
        return state

    def __setstate__(self, state):
        net_state = state.pop("_net_state", None)
        if "device_" in state:
            state["device_"] = device_for_loading(from_portable(state["device_"]))
        self.__dict__.update(state)
        if net_state is None:
            return
        init = self._net_init
        with seeded(0, torch.device("cpu")):  # the rebuilt module's draws are overwritten
            net = self._make_net(init["n_outputs"], self.device_, init["batch_size"],
                                 getattr(self, "_net_class_used", None),
                                 getattr(self, "_net_params_used", None))
        net.module_.load_state_dict(from_portable(net_state["module"]))
        try:
            net.optimizer_.load_state_dict(from_portable(net_state["optimizer"]))
        except (ValueError, KeyError, RuntimeError):  # pragma: no cover - other solver
            pass
        for row in net_state["history"]:
            net.history.new_epoch()
            for key, value in row.items():
                if key != "epoch":
                    net.history.record(key, value)
        stopping = dict(net.callbacks_)["stopping"]
        for key, value in (net_state["stopping"] or {}).items():
            setattr(stopping, key, from_portable(value))
        self.net_ = net

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = bool(self._X_check_params.get("allow_nd", False))
        tags.input_tags.sparse = bool(self._accept_sparse)
        return tags


_STOPPING_STATE = ("loss_curve_", "validation_scores_", "best_loss_", "best_validation_score_",
                   "no_improvement_count_", "n_iter_", "t_", "stopped_")


def _as_tensor(array, device, dtype):
    """A numpy array as a tensor on ``device``, sharing memory where it can.

    Read-only arrays (memory maps) are shared too: skphys never writes into its input.
    """
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            tensor = torch.from_numpy(array)
    else:
        tensor = torch.from_numpy(array)
    if dtype is not None and tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    return tensor.to(device, non_blocking=True)


class NeuralClassifierMixin(ClassifierMixin):
    """Classification targets: labels (binary, multiclass) or a label-indicator matrix.

    Two classes get one logistic output, more classes a softmax; a multilabel indicator
    ``y`` gets one logistic output per label (``classes_`` is ``arange(n_labels)``, as in
    scikit-learn), and ``predict`` returns an indicator matrix.
    """

    _task = "classification"

    def _encode_target(self, y, reset):
        y_type = type_of_target(y, input_name="y")
        multilabel = y_type == "multilabel-indicator"
        if not multilabel:
            if y.ndim == 2:
                raise ValueError(
                    f"{type(self).__name__} supports binary, multiclass and multilabel-"
                    f"indicator targets; got a {y_type!r} target of shape {y.shape}.")
            check_classification_targets(y)
        partial = getattr(self, "_partial_classes", None)
        if reset:
            if multilabel:
                self.classes_ = np.arange(y.shape[1])
            elif partial is not None:
                if not np.isin(np.unique(y), partial).all():
                    raise ValueError(
                        f"`y` has classes not in `classes`. `classes` has {partial}. 'y' has "
                        f"{np.unique(y)}.")
                self.classes_ = partial
            else:
                self.classes_ = np.unique(y)
            self._partial_classes = None
            self._multilabel = multilabel
        else:
            if multilabel != self._multilabel or (multilabel and y.shape[1] != len(self.classes_)):
                raise ValueError("The type of target (multilabel or not) or its number of "
                                 "labels differs from the previous fit.")
            if not multilabel:
                classes = np.unique(y)
                if self.warm_start:
                    if set(classes) != set(self.classes_):
                        raise ValueError(
                            "warm_start can only be used where `y` has the same classes as in "
                            f"the previous call to fit. Previously got {self.classes_}, `y` "
                            f"has {classes}")
                elif not np.isin(classes, self.classes_).all():
                    raise ValueError(
                        f"`y` has classes not in `self.classes_`. `self.classes_` has "
                        f"{self.classes_}. 'y' has {classes}.")
        dtype = np.float32 if self._dtype == "float32" else np.float64
        if multilabel:
            self.out_activation_, self.n_outputs_ = "logistic", y.shape[1]
            return np.asarray(y, dtype=dtype), y.shape[1]
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) <= 2:  # one logistic output (always 0 for a single class)
            self.out_activation_, self.n_outputs_ = "logistic", 1
            return codes.astype(dtype).reshape(-1, 1), 1
        self.out_activation_, self.n_outputs_ = "softmax", len(self.classes_)
        return codes.astype(np.int64), len(self.classes_)

    def _stratify(self, target):
        if self._multilabel:
            return None
        if target.ndim == 2:  # binary: scikit-learn stratifies on the binarised column
            return target.astype(bool)
        onehot = np.zeros((len(target), len(self.classes_)), dtype=bool)
        onehot[np.arange(len(target)), target] = True
        return onehot

    def _criterion(self):
        logistic = self._multilabel or len(self.classes_) <= 2
        if getattr(self, "loss", "log_loss") == "squared_error":
            return QuadraticCost(binary=logistic)
        return LogisticLoss() if logistic else SoftmaxCrossEntropy()

    def _labels(self, out):
        if self._multilabel:
            return (out > 0).to(torch.int64).numpy()
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(out))
        if out.shape[1] == 1:
            return self.classes_[(out[:, 0] > 0).to(torch.int64).numpy()]
        return self.classes_[out.argmax(1).numpy()]

    def _score_outputs(self, out, y, sample_weight):
        return accuracy_score(y, self._labels(out), sample_weight=sample_weight)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one pass (epoch) over ``X, y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label-indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes that can appear; required on the first call (not for multilabel
            targets).

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight, classes)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_`` (for multilabel
            targets, the independent probability of each label).
        """
        return self._proba(self._validated_forward(X)).numpy()

    def _proba(self, out):
        if self._multilabel:
            return torch.sigmoid(out)
        if len(self.classes_) == 1:
            return torch.ones_like(out)
        if out.shape[1] == 1:  # sigmoid(-z), not 1 - sigmoid(z): no cancellation near 1
            z = out[:, 0]
            return torch.stack([torch.sigmoid(-z), torch.sigmoid(z)], dim=1)
        return torch.softmax(out, dim=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class.
        """
        out = self._validated_forward(X)
        logsig = torch.nn.functional.logsigmoid
        if self._multilabel:
            stable = logsig(out)
        elif len(self.classes_) == 1:
            stable = torch.zeros_like(out)
        elif out.shape[1] == 1:
            z = out[:, 0]
            stable = torch.stack([logsig(-z), logsig(z)], dim=1)
        else:
            stable = torch.log_softmax(out, dim=1)
        # log(predict_proba) wherever it is finite, so the two agree exactly (ties of
        # saturated probabilities included), as scikit-learn's; the stable value where the
        # probability underflows to 0 (scikit-learn gives -inf there)
        proba = self._proba(out)
        return torch.where(proba > 0, torch.log(proba), stable).numpy()

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The most probable class of each sample (an indicator matrix for multilabel
            targets).
        """
        return self._labels(self._validated_forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralRegressorMixin(RegressorMixin):
    """Regression targets: one or several outputs, squared-error or Poisson loss."""

    _task = "regression"

    def _encode_target(self, y, reset):
        dtype = np.float32 if self._dtype == "float32" else np.float64
        y = np.asarray(y, dtype=dtype)
        if getattr(self, "loss", "squared_error") == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y.")
        if reset:
            self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        if not reset and hasattr(self, "n_outputs_") and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs, the model was fitted with {self.n_outputs_}.")
        self.n_outputs_ = y2.shape[1]
        return y2, y2.shape[1]

    def _values(self, out):
        if getattr(self, "loss", "squared_error") == "poisson":
            out = torch.exp(out)
        out = out.numpy()
        return out.ravel() if self._y_ndim == 1 else out

    def _score_outputs(self, out, y, sample_weight):
        pred = self._values(out)
        if not np.isfinite(pred).all():
            return np.nan
        return r2_score(y, pred.reshape(np.shape(y)), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _criterion(self):
        if getattr(self, "loss", "squared_error") == "poisson":
            return HalfPoissonDeviance()
        return HalfSquaredError()

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one pass (epoch) over ``X, y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, in ``X``'s precision (float32 for a float32 fit).
        """
        return self._values(self._validated_forward(X))


def _check_positive_int_tuple(value, name):
    if isinstance(value, numbers.Integral):
        value = (value,)
    value = tuple(value)
    if not all(isinstance(v, numbers.Integral) and v > 0 for v in value):
        raise ValueError(f"{name} must contain positive integers, got {value!r}.")
    return value

"""Multi-layer perceptrons with scikit-learn's parameters, trained by PyTorch."""

from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import (
    BaseNeuralNetwork,
    NeuralClassifierMixin,
    NeuralRegressorMixin,
    _check_positive_int_tuple,
)
from ..nn import ACTIVATIONS, MLP
from ..utils._docstrings import fill_doc

_MLP_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
}


class _MLPMixin:
    """What the two MLPs share: the module, sparse input and scikit-learn's ``coefs_``."""

    _accept_sparse = True

    def _build_module(self, n_outputs):
        sizes = _check_positive_int_tuple(self.hidden_layer_sizes, "hidden_layer_sizes")
        self.n_layers_ = len(sizes) + 2
        return MLP(self.n_features_in_, sizes, n_outputs, self.activation, self.dropout)

    def _init_module(self, module):
        # scikit-learn's initialisation (Glorot uniform, biases too), drawn in float64 so a
        # float32 and a float64 fit start from the same weights: bound = sqrt(6 / (fan_in +
        # fan_out)), sqrt(2 / ...) for the logistic activation.
        factor = 2.0 if self.activation == "logistic" else 6.0
        with torch.no_grad():
            for lin in module.linears:
                bound = (factor / (lin.in_features + lin.out_features)) ** 0.5
                lin.weight.uniform_(-bound, bound)
                lin.bias.uniform_(-bound, bound)

    def _apply_pending_weights(self):
        pending = self.__dict__.pop("_pending_weights", None)
        if pending is None:
            return
        coefs, intercepts = pending.get("coefs"), pending.get("intercepts")
        with torch.no_grad():
            for i, lin in enumerate(self.net_.module_.linears):
                if coefs is not None:
                    lin.weight.copy_(torch.as_tensor(np.asarray(coefs[i]).T))
                if intercepts is not None:
                    lin.bias.copy_(torch.as_tensor(np.asarray(intercepts[i]).reshape(-1)))

    def _weights(self, name, get):
        net = self.__dict__.get("net_")
        if net is None:
            pending = self.__dict__.get("_pending_weights", {})
            if name in pending:
                return pending[name]
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r} before fit")
        return [get(lin).detach().cpu().numpy() for lin in net.module_.linears]

    def _set_weights(self, name, values, set_):
        net = self.__dict__.get("net_")
        if net is None:  # used by the first fit (or partial_fit), as in scikit-learn
            self.__dict__.setdefault("_pending_weights", {})[name] = values
            return
        with torch.no_grad():
            for lin, v in zip(net.module_.linears, values):
                set_(lin, torch.as_tensor(np.asarray(v), dtype=lin.weight.dtype,
                                          device=lin.weight.device))

    @property
    def coefs_(self):
        """Weight matrices, ``coefs_[i]`` of shape (n_in, n_out) (views on CPU).

        Assigning a list of arrays sets the weights (before the first ``partial_fit``, they
        are its starting point, as in scikit-learn); writing into the arrays in place works on
        the CPU.
        """
        return self._weights("coefs", lambda lin: lin.weight.T)

    @coefs_.setter
    def coefs_(self, values):
        self._set_weights("coefs", values, lambda lin, v: lin.weight.copy_(v.T))

    @property
    def intercepts_(self):
        """Bias vectors, ``intercepts_[i]`` of shape (n_out,) (views on CPU)."""
        return self._weights("intercepts", lambda lin: lin.bias)

    @intercepts_.setter
    def intercepts_(self, values):
        self._set_weights("intercepts", values, lambda lin, v: lin.bias.copy_(v.reshape(-1)))


@fill_doc
class MLPClassifier(NeuralClassifierMixin, _MLPMixin, BaseNeuralNetwork):
    """Multi-layer perceptron classifier, scikit-learn's interface on a PyTorch network.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameter names,
    defaults and fitted attributes) that trains with PyTorch through skorch, on the CPU or a
    GPU, and adds ``dropout`` and the quadratic ``loss`` of the textbook.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity", "gelu", "elu", "leaky_relu"}, \
default="relu"
        Hidden-layer activation.
    %(training_params)s
    loss : {"log_loss", "squared_error"}, default="log_loss"
        "log_loss" is the cross-entropy of the softmax (logistic for two classes) output;
        "squared_error" is the quadratic cost on the output probabilities, which learns
        slowly from confidently wrong outputs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    %(fitted_attributes)s
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units (1 for two classes).
    out_activation_ : str
        "logistic" for two classes, "softmax" otherwise.
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (n_in, n_out).
    intercepts_ : list of ndarray
        Bias vectors.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The scikit-learn original.
    MLPRegressor : The same network for regression.
    CNNClassifier : Convolutional classifier for images and lattices.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skphys.neural_network import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, random_state=0)
    >>> clf.fit(X / 16, y).score(X / 16, y) > 0.95
    True
    """

    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        **_MLP_CONSTRAINTS,
        "loss": [StrOptions({"log_loss", "squared_error"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        loss="log_loss",
        dropout=0.0,
        device="auto",
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.dropout = dropout
        self.device = device
        self.callbacks = callbacks


@fill_doc
class MLPRegressor(NeuralRegressorMixin, _MLPMixin, BaseNeuralNetwork):
    """Multi-layer perceptron regressor, scikit-learn's interface on a PyTorch network.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor` (same parameter names,
    defaults and fitted attributes) that trains with PyTorch through skorch, on the CPU or a
    GPU, and adds ``dropout``.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        "squared_error" is ``mean((y - f)^2) / 2``; "poisson" the Poisson deviance with a log
        link (predictions are ``exp`` of the output; ``y`` must be non-negative).
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity", "gelu", "elu", "leaky_relu"}, \
default="relu"
        Hidden-layer activation.
    %(training_params)s

    Attributes
    ----------
    %(fitted_attributes)s
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        "identity" (or "exp" for the Poisson loss).
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (n_in, n_out).
    intercepts_ : list of ndarray
        Bias vectors.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The scikit-learn original.
    MLPClassifier : The same network for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.neural_network import MLPRegressor
    >>> X = np.linspace(-2, 2, 400).reshape(-1, 1)
    >>> y = np.sin(2 * X).ravel()
    >>> reg = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=300, learning_rate_init=0.01,
    ...                    random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        **_MLP_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        device="auto",
        callbacks=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.device = device
        self.callbacks = callbacks

    def _build_module(self, n_outputs):
        self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        return super()._build_module(n_outputs)

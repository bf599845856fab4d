"""Recurrent networks for sequences (time series, measurement records)."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseNeuralNetwork, NeuralClassifierMixin, NeuralRegressorMixin
from ..nn import RNN
from ..utils._docstrings import fill_doc

_RNN_DOC = """
    Input layout: ``X`` of shape (n_samples, T, d) is T steps of d features; a flat ``X`` of
    shape (n_samples, T * d) is folded with ``n_features_per_step=d`` (default 1: each
    column is one step of a scalar series).

    Parameters
    ----------
    hidden_size : int, default=64
        Width of the hidden state ``h_t``.
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        "rnn" is ``h_t = g(W_hh h_{t-1} + W_xh x_t + b)``; "lstm" and "gru" are gated cells.
    num_layers : int, default=1
        Stacked recurrent layers.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        ``g`` of the plain "rnn" cell.
    bidirectional : bool, default=False
        Read the sequence in both directions.
    hidden_layer_sizes : array-like of int, default=()
        Dense layers between the last hidden state and the output.
    n_features_per_step : int or None, default=None
        Features per step, to fold a flat ``X`` (None: 1).
    %(training_params)s
"""

_RNN_CONSTRAINTS = {
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "cell": [StrOptions({"rnn", "lstm", "gru"})],
    "num_layers": [Interval(Integral, 1, None, closed="left")],
    "nonlinearity": [StrOptions({"tanh", "relu"})],
    "bidirectional": ["boolean"],
    "hidden_layer_sizes": ["array-like"],
    "n_features_per_step": [Interval(Integral, 1, None, closed="left"), None],
}


class _RNNMixin:
    _X_check_params = {"allow_nd": True}

    def _shape_X(self, X, reset):
        if X.ndim == 2:
            d = self.n_features_per_step or 1
            if X.shape[1] % d:
                raise ValueError(
                    f"X has {X.shape[1]} columns, not a multiple of n_features_per_step={d}."
                )
            X = X.reshape(len(X), X.shape[1] // d, d)
        elif X.ndim != 3:
            raise ValueError(f"Expected X of shape (n_samples, T, d) or flat, got {X.ndim} dims.")
        if reset:
            self.input_shape_ = X.shape[1:]
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has sequences of shape (T, d)={X.shape[1:]}, but {type(self).__name__} "
                f"was fitted on {self.input_shape_}."
            )
        return X

    def _build_module(self, n_outputs):
        return RNN(
            self.input_shape_[1],
            n_outputs,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            cell=self.cell,
            nonlinearity=self.nonlinearity,
            bidirectional=self.bidirectional,
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            dropout=self.dropout,
        )


@fill_doc
class RNNClassifier(NeuralClassifierMixin, _RNNMixin, BaseNeuralNetwork):
    __doc__ = (
        """Recurrent neural-network classifier of sequences.
    """
        + _RNN_DOC
        + """    loss : {"log_loss", "squared_error"}, default="log_loss"
        Cross-entropy or quadratic cost on the output probabilities.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    input_shape_ : tuple of int
        ``(T, d)`` of the training sequences.
    %(fitted_attributes)s

    See Also
    --------
    RNNRegressor : The same network for regression.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.neural_network import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> t = np.linspace(0, 6, 20)
    >>> freq = rng.choice([1.0, 2.0], size=200)
    >>> X = np.sin(freq[:, None] * t) + 0.1 * rng.randn(200, 20)
    >>> clf = RNNClassifier(hidden_size=16, max_iter=40, learning_rate_init=0.01, random_state=0)
    >>> clf.fit(X, freq.astype(int)).score(X, freq.astype(int)) > 0.9
    True
    """
    )

    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        **_RNN_CONSTRAINTS,
        "loss": [StrOptions({"log_loss", "squared_error"})],
    }

    def __init__(
        self,
        hidden_size=64,
        cell="lstm",
        *,
        num_layers=1,
        nonlinearity="tanh",
        bidirectional=False,
        hidden_layer_sizes=(),
        n_features_per_step=None,
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
        self.hidden_size = hidden_size
        self.cell = cell
        self.num_layers = num_layers
        self.nonlinearity = nonlinearity
        self.bidirectional = bidirectional
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_features_per_step = n_features_per_step
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
class RNNRegressor(NeuralRegressorMixin, _RNNMixin, BaseNeuralNetwork):
    __doc__ = (
        """Recurrent neural-network regressor of sequences (e.g. forecasting a time series).
    """
        + _RNN_DOC
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of outputs.
    input_shape_ : tuple of int
        ``(T, d)`` of the training sequences.
    %(fitted_attributes)s

    See Also
    --------
    RNNClassifier : The same network for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.neural_network import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(300, 10)
    >>> y = X.sum(axis=1)
    >>> reg = RNNRegressor(hidden_size=16, max_iter=80, learning_rate_init=0.01, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """
    )

    _parameter_constraints = {**BaseNeuralNetwork._parameter_constraints, **_RNN_CONSTRAINTS}

    def __init__(
        self,
        hidden_size=64,
        cell="lstm",
        *,
        num_layers=1,
        nonlinearity="tanh",
        bidirectional=False,
        hidden_layer_sizes=(),
        n_features_per_step=None,
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
        self.hidden_size = hidden_size
        self.cell = cell
        self.num_layers = num_layers
        self.nonlinearity = nonlinearity
        self.bidirectional = bidirectional
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_features_per_step = n_features_per_step
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

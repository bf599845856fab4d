"""Convolutional networks for 1-D signals, 2-D images and lattice configurations."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import (
    BaseNeuralNetwork,
    NeuralClassifierMixin,
    NeuralRegressorMixin,
    _check_positive_int_tuple,
)
from ..nn import ACTIVATIONS, CNN
from ..utils._docstrings import fill_doc

_CNN_DOC = """
    Input layout: a flat ``X`` of shape (n_samples, n_features) is a 1-D signal (one channel)
    unless ``input_shape`` says how to fold it; ``X`` of shape (n_samples, H, W) is a batch of
    single-channel images (or lattice configurations), and (n_samples, C, H, W) of
    ``C``-channel images.

    Parameters
    ----------
    filters : array-like of int, default=(32, 64)
        Number of filters (depth) of each convolution block.
    kernel_size : int, default=3
        Size of every convolution kernel.
    stride : int, default=1
        Stride of every convolution.
    padding : int or {"same", "valid"}, default="same"
        Padding of every convolution.
    padding_mode : {"zeros", "circular", "reflect", "replicate"}, default="zeros"
        What the padding holds; "circular" wraps around, for periodic lattices (Ising
        configurations, STM tiles of a crystal).
    pooling : {"max", "avg"} or None, default="max"
        Pooling after each convolution (window and stride ``pool_size``).
    pool_size : int, default=2
        Pooling window.
    hidden_layer_sizes : array-like of int, default=(128,)
        Dense layers between the flattened feature maps and the output.
    activation : {"relu", "tanh", "logistic", "identity", "gelu", "elu", "leaky_relu"}, \
default="relu"
        Activation after convolutions and dense layers.
    input_shape : tuple of int or None, default=None
        Shape of one sample, to fold a flat ``X``: ``(L,)``, ``(H, W)`` or ``(C, H, W)``.
    %(training_params)s
"""

_CNN_CONSTRAINTS = {
    "filters": ["array-like", Interval(Integral, 1, None, closed="left")],
    "kernel_size": [Interval(Integral, 1, None, closed="left")],
    "stride": [Interval(Integral, 1, None, closed="left")],
    "padding": [Interval(Integral, 0, None, closed="left"), StrOptions({"same", "valid"})],
    "padding_mode": [StrOptions({"zeros", "circular", "reflect", "replicate"})],
    "pooling": [StrOptions({"max", "avg"}), None],
    "pool_size": [Interval(Integral, 1, None, closed="left")],
    "hidden_layer_sizes": ["array-like"],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "input_shape": ["array-like", None],
}


class _CNNMixin:
    _X_check_params = {"allow_nd": True}

    def _shape_X(self, X, reset):
        n = len(X)
        if self.input_shape is not None:
            shape = tuple(int(s) for s in np.atleast_1d(self.input_shape))
            if int(np.prod(shape)) != int(np.prod(X.shape[1:])):
                raise ValueError(
                    f"input_shape={shape} holds {int(np.prod(shape))} values, but each sample "
                    f"of X has {int(np.prod(X.shape[1:]))}."
                )
            X = X.reshape(n, *shape)
        if X.ndim in (2, 3):
            X = X[:, None]  # one channel
        elif X.ndim != 4:
            raise ValueError(f"Expected X with 2, 3 or 4 dimensions, got {X.ndim}.")
        if reset:
            self.input_shape_ = X.shape[1:]
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]} (channels first), but "
                f"{type(self).__name__} was fitted on {self.input_shape_}."
            )
        return X

    def _build_module(self, n_outputs):
        padding = self.padding
        if padding == "same" and self.stride > 1:  # torch allows "same" only for stride 1
            padding = self.kernel_size // 2
        try:
            return CNN(
                self.input_shape_,
                n_outputs,
                filters=_check_positive_int_tuple(self.filters, "filters"),
                kernel_size=self.kernel_size,
                stride=self.stride,
                padding=padding,
                pooling=self.pooling,
                pool_size=self.pool_size,
                hidden_layer_sizes=tuple(self.hidden_layer_sizes),
                activation=self.activation,
                dropout=self.dropout,
                padding_mode=self.padding_mode,
            )
        except RuntimeError as exc:
            raise ValueError(
                f"The convolution blocks do not fit an input of shape {self.input_shape_} "
                f"(filters={self.filters}, kernel_size={self.kernel_size}, stride="
                f"{self.stride}, padding={self.padding!r}, pooling={self.pooling!r}, "
                f"pool_size={self.pool_size}): the feature maps shrink to nothing. Use a "
                "smaller kernel or pool size, fewer blocks, or padding='same'.") from exc


@fill_doc
class CNNClassifier(NeuralClassifierMixin, _CNNMixin, BaseNeuralNetwork):
    __doc__ = (
        """Convolutional neural-network classifier (1-D or 2-D convolutions).

    Convolution blocks (convolution, activation, pooling) extract local features, a dense head
    classifies them; trained with PyTorch through skorch on the CPU or a GPU.
    """
        + _CNN_DOC
        + """    loss : {"log_loss", "squared_error"}, default="log_loss"
        Cross-entropy or quadratic cost on the output probabilities.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    input_shape_ : tuple of int
        Shape of one sample as the network sees it (channels first).
    %(fitted_attributes)s

    See Also
    --------
    MLPClassifier : Fully connected classifier.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skphys.neural_network import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CNNClassifier(filters=(8,), input_shape=(8, 8), max_iter=30, random_state=0)
    >>> clf.fit(X / 16, y).score(X / 16, y) > 0.9
    True
    """
    )

    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        **_CNN_CONSTRAINTS,
        "loss": [StrOptions({"log_loss", "squared_error"})],
    }

    def __init__(
        self,
        filters=(32, 64),
        kernel_size=3,
        *,
        stride=1,
        padding="same",
        padding_mode="zeros",
        pooling="max",
        pool_size=2,
        hidden_layer_sizes=(128,),
        activation="relu",
        input_shape=None,
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
        self.filters = filters
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.padding_mode = padding_mode
        self.pooling = pooling
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_shape = input_shape
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
class CNNRegressor(NeuralRegressorMixin, _CNNMixin, BaseNeuralNetwork):
    __doc__ = (
        """Convolutional neural-network regressor (1-D or 2-D convolutions).

    Convolution blocks extract local features, a dense head maps them to one or several
    values (e.g. temperature or energy from a lattice configuration).
    """
        + _CNN_DOC
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of outputs.
    input_shape_ : tuple of int
        Shape of one sample as the network sees it (channels first).
    %(fitted_attributes)s

    See Also
    --------
    MLPRegressor : Fully connected regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.neural_network import CNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.choice([-1.0, 1.0], size=(400, 16))
    >>> y = X.mean(axis=1)
    >>> reg = CNNRegressor(filters=(8,), max_iter=60, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """
    )

    _parameter_constraints = {**BaseNeuralNetwork._parameter_constraints, **_CNN_CONSTRAINTS}

    def __init__(
        self,
        filters=(32, 64),
        kernel_size=3,
        *,
        stride=1,
        padding="same",
        padding_mode="zeros",
        pooling="max",
        pool_size=2,
        hidden_layer_sizes=(128,),
        activation="relu",
        input_shape=None,
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
        self.filters = filters
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.padding_mode = padding_mode
        self.pooling = pooling
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_shape = input_shape
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

"""Bring your own network: any torch.nn.Module as a scikit-learn classifier or regressor."""

import copy
import inspect

import numpy as np
import torch

from ..base import BaseNeuralNetwork, NeuralClassifierMixin, NeuralRegressorMixin
from ..utils._docstrings import fill_doc

__all__ = ["TorchClassifier", "TorchRegressor"]

#: constructor arguments filled from the data when the module takes them and they are not set
_SIZE_ARGUMENTS = ("n_features_in", "n_inputs", "n_outputs", "input_shape")

_TORCH_DOC = """
    The network is your own :class:`torch.nn.Module` class, built in ``fit`` from
    ``module__<name>`` parameters, which are ordinary estimator parameters: ``get_params``
    lists them, ``set_params``, :func:`~sklearn.base.clone` and
    :class:`~sklearn.model_selection.GridSearchCV` (``{"module__hidden": [32, 64]}``) work on
    them. Size arguments the constructor declares are filled from the data unless given:
    ``n_features_in`` or ``n_inputs`` (features of a flat sample), ``input_shape`` (shape of
    one sample) and ``n_outputs`` (%(outputs)s). The module returns raw outputs (logits for
    classification). The training loop, scikit-learn's parameters and stopping rules, sample
    weights, callbacks, devices, interruption and persistence are those of every skphys
    estimator; the weights live in ``net_.module_``.

    Unlike :class:`skorch.NeuralNetClassifier`, which this builds on, the estimator is a plain
    scikit-learn estimator: it passes scikit-learn's estimator checks, its parameters are
    exactly its constructor's, and the output width follows the data.

    Parameters
    ----------
    module : type or torch.nn.Module
        The network class (or an instance, used as a template: it is deep-copied at every
        ``fit``; ``module__*`` parameters need a class).
    criterion : type, torch.nn.Module or None, default=None
        The loss on (raw outputs, target); None is %(default_loss)s. A custom loss needs a
        ``reduction`` attribute when ``sample_weight`` is used.
    %(training_params)s
    **module_params : dict
        ``module__<name>=value``: arguments of the module's constructor.
"""

_TRAINING = {  # the training parameters of scikit-learn's MLP (no dropout: the module's)
    "solver": "adam", "alpha": 1e-4, "batch_size": "auto", "learning_rate": "constant",
    "learning_rate_init": 1e-3, "power_t": 0.5, "max_iter": 200, "shuffle": True,
    "random_state": None, "tol": 1e-4, "verbose": False, "warm_start": False,
    "momentum": 0.9, "nesterovs_momentum": True, "early_stopping": False,
    "validation_fraction": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
    "n_iter_no_change": 10, "max_fun": 15000, "device": "auto", "callbacks": None,
}


class _TorchModuleMixin:
    """``module`` + ``module__*`` parameters: construction, get/set_params, sizes.

    First among an estimator's bases: its ``_criterion`` (the user's ``criterion``)
    must come before the task mixin's default loss, which it falls back to."""

    _X_check_params = {"allow_nd": True}
    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        "module": [callable, torch.nn.Module],
        "criterion": [callable, torch.nn.Module, None],
    }

    def __init__(self, module, *, criterion=None, solver="adam", alpha=1e-4, batch_size="auto",
                 learning_rate="constant", learning_rate_init=1e-3, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, device="auto", callbacks=None,
                 **module_params):
        training = {k: v for k, v in locals().items() if k in _TRAINING}
        self._init_params(module, criterion, training, module_params)

    def _init_params(self, module, criterion, training, module_params):
        self.module = module
        self.criterion = criterion
        for name, value in training.items():
            setattr(self, name, value)
        # stored as given (names are checked in fit), in one dict (scikit-learn's checks allow only the named
        # parameters as public attributes); get_params/set_params expose each one
        self._module_kwargs = dict(module_params)

    def _module_params(self):
        return dict(self._module_kwargs)

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self._module_params())
        return params

    def set_params(self, **params):
        for name in [k for k in params if k.startswith("module__") or k in self._module_kwargs]:
            self._module_kwargs[name] = params.pop(name)
        return super().set_params(**params)

    def _validate_params(self):
        super()._validate_params()
        bad = sorted(k for k in self._module_kwargs if not k.startswith("module__"))
        if bad:
            raise TypeError(f"{type(self).__name__} got unexpected parameter(s) {bad}: "
                            "arguments of the module are passed as module__<name>=value.")

    _accept_sparse = True

    def _build_module(self, n_outputs):
        kwargs = {k[len("module__"):]: v for k, v in self._module_params().items()}
        if isinstance(self.module, torch.nn.Module):
            if kwargs:
                raise ValueError("module__* parameters need `module` to be a class, not an "
                                 f"instance of {type(self.module).__name__}.")
            return copy.deepcopy(self.module)
        if not (isinstance(self.module, type) and issubclass(self.module, torch.nn.Module)):
            raise TypeError(f"module must be a torch.nn.Module class or instance, got "
                            f"{self.module!r}.")
        shape = tuple(getattr(self, "input_shape_", (self.n_features_in_,)))
        sizes = {"n_features_in": int(np.prod(shape)), "n_inputs": int(np.prod(shape)),
                 "n_outputs": int(n_outputs), "input_shape": shape}
        params = inspect.signature(self.module).parameters
        for name in _SIZE_ARGUMENTS:
            if name in params and name not in kwargs:
                kwargs[name] = sizes[name]
        try:
            return self.module(**kwargs)
        except TypeError as exc:
            raise TypeError(f"Could not build {self.module.__name__}(**{kwargs}): {exc}. Pass "
                            "its constructor arguments as module__<name>.") from exc

    def _shape_X(self, X, reset):  # X as it is (sparse X stays sparse, densified per batch)
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
        elif tuple(X.shape[1:]) != tuple(self.input_shape_):
            raise ValueError(f"X has samples of shape {X.shape[1:]}, but "
                             f"{type(self).__name__} was fitted on {self.input_shape_}.")
        return X

    def _criterion(self):
        if self.criterion is None:
            return super()._criterion()
        if isinstance(self.criterion, torch.nn.Module):
            return copy.deepcopy(self.criterion)
        return self.criterion()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _doc(outputs, default_loss):
    from ..utils._docstrings import TRAINING_PARAMS

    params = TRAINING_PARAMS.split("    dropout : float")[0] + "    device" + \
        TRAINING_PARAMS.split("    device", 1)[1]
    return _TORCH_DOC % {"outputs": outputs, "default_loss": default_loss,
                         "training_params": params}


class TorchClassifier(_TorchModuleMixin, NeuralClassifierMixin, BaseNeuralNetwork):
    __doc__ = (
        """Classifier around your own torch.nn.Module, with scikit-learn's interface.
"""
        + _doc("1 for two classes, one per class otherwise, one per label for multilabel "
               "targets", "the cross-entropy of the softmax (logistic for two classes and "
               "multilabel targets)")
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_outputs_ : int
        Width of the module's output.
    input_shape_ : tuple of int
        Shape of one sample.
    %(fitted_attributes)s

    See Also
    --------
    TorchRegressor : The same for regression.
    MLPClassifier : A ready-made multi-layer perceptron.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skphys.neural_network import TorchClassifier
    >>> class Net(torch.nn.Module):
    ...     def __init__(self, n_inputs, n_outputs, hidden=32):
    ...         super().__init__()
    ...         self.layers = torch.nn.Sequential(torch.nn.Linear(n_inputs, hidden),
    ...                                           torch.nn.ReLU(),
    ...                                           torch.nn.Linear(hidden, n_outputs))
    ...     def forward(self, x):
    ...         return self.layers(x)
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TorchClassifier(Net, module__hidden=16, max_iter=20, random_state=0)
    >>> search = GridSearchCV(clf, {"module__hidden": [16, 64]}, cv=2).fit(X / 16, y)
    >>> search.best_params_["module__hidden"]
    64
    """
    )



class TorchRegressor(_TorchModuleMixin, NeuralRegressorMixin, BaseNeuralNetwork):
    __doc__ = (
        """Regressor around your own torch.nn.Module, with scikit-learn's interface.
"""
        + _doc("the number of targets", "half the squared error")
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    input_shape_ : tuple of int
        Shape of one sample.
    %(fitted_attributes)s

    See Also
    --------
    TorchClassifier : The same for classification.
    MLPRegressor : A ready-made multi-layer perceptron.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.neural_network import TorchRegressor
    >>> from skphys.nn import MLP
    >>> X = np.linspace(-2, 2, 400).reshape(-1, 1)
    >>> reg = TorchRegressor(MLP, module__hidden_layer_sizes=(32, 32), max_iter=300,
    ...                      learning_rate_init=0.01, random_state=0)
    >>> reg.fit(X, np.sin(2 * X).ravel()).score(X, np.sin(2 * X).ravel()) > 0.95
    True
    """
    )



fill_doc(TorchClassifier)
fill_doc(TorchRegressor)

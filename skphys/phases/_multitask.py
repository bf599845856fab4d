"""One network, one binary output per proposed boundary: the multi-task confusion model.

Multi-task learning by confusion (Arnold, Schäfer & Lörch 2023) trains a single network whose
output ``j`` answers "is the tuning parameter above boundary ``c_j``?" for every proposed
boundary at once. skphys's classifiers take one label column, so the network is the user's
skphys neural estimator with its target handling swapped: a 0/1 matrix of shape
``(n_samples, n_boundaries)`` and :class:`torch.nn.BCEWithLogitsLoss` (one logistic loss per
output, averaged). The architecture, optimiser and stopping rules are the user's, untouched.
"""

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from ..base import BaseNeuralNetwork

__all__ = []

_CLASSES = {}


class _MultiTaskMixin:
    """Swaps a skphys neural estimator's target handling for independent binary outputs.

    Placed before the estimator's class in the MRO, so ``_encode_target`` and ``_criterion``
    of the classifier mixin are replaced while the module, optimiser and training loop stay.
    """

    # "regression": the base then validates ``y`` as a 2-D numeric (multi-output) target and
    # never stratifies it; the loss below is nevertheless a per-output logistic loss.
    _task = "regression"

    def _encode_target(self, y, reset):
        y = np.asarray(y, dtype=np.float32)
        if y.ndim != 2:
            raise ValueError(f"The multi-task target must be 2-D (n_samples, n_boundaries), got {y.ndim}-D.")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("The multi-task target must contain only 0 and 1.")
        if not reset and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} outputs, the model was fitted with {self.n_outputs_}.")
        self.n_outputs_ = y.shape[1]
        self.out_activation_ = "logistic"
        return y, y.shape[1]

    def _criterion(self):
        return torch.nn.BCEWithLogitsLoss()

    def decision_function(self, X):
        """Logit of each output, shape (n_samples, n_boundaries)."""
        return self._validated_forward(X).astype(np.float64)

    def predict_proba(self, X):
        """P(parameter above boundary ``j``) for each output ``j``."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))

    def predict(self, X):
        """0/1 decision of each output."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def __reduce_ex__(self, protocol):
        # the class is made at run time: pickle it as "the multi-task variant of <base class>"
        return (_new_instance, (self._base_class,), self.__getstate__())


def multitask_class(cls):
    """The multi-task variant of the skphys neural estimator class ``cls`` (cached)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseNeuralNetwork)):
        raise TypeError(
            "strategy='multitask' needs a skphys neural estimator (e.g. skphys.neural_network."
            f"MLPClassifier or CNNClassifier) as `estimator`, got {cls!r}."
        )
    if cls not in _CLASSES:
        _CLASSES[cls] = type(
            f"MultiTask{cls.__name__}",
            (_MultiTaskMixin, cls),
            {"_base_class": cls, "__module__": __name__},
        )
    return _CLASSES[cls]


def _new_instance(base_class):
    cls = multitask_class(base_class)
    return cls.__new__(cls)


def multitask_network(estimator):
    """A multi-task network with the architecture and training parameters of ``estimator``.

    ``early_stopping`` is switched off: the base's validation score is that of a single
    classification or regression target, not of independent binary outputs; training stops on
    the training loss (``tol``, ``n_iter_no_change``) instead.
    """
    params = estimator.get_params(deep=False)
    if "early_stopping" in params:
        params["early_stopping"] = False
    return multitask_class(type(estimator))(**params)


class _OutputView(ClassifierMixin, BaseEstimator):
    """One output of a fitted multi-task network, seen as a fitted binary classifier.

    Holds that output's logits on a fixed test set, so that any scikit-learn scorer
    (``accuracy``, ``roc_auc``, ``neg_log_loss``, ...) can score it through the usual
    ``scorer(estimator, X, y)`` call.
    """

    def __init__(self, logits=None):
        self.logits = logits

    @property
    def classes_(self):
        return np.array([0, 1])

    def _check(self, X):
        if len(X) != len(self.logits):  # pragma: no cover - internal use only
            raise ValueError("_OutputView scores only the test set it was made for.")

    def decision_function(self, X):
        self._check(X)
        return self.logits

    def predict_proba(self, X):
        self._check(X)
        p = 1.0 / (1.0 + np.exp(-self.logits))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        self._check(X)
        return (self.logits > 0).astype(np.int64)

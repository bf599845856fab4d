"""One network, one binary output per proposed boundary: the multi-task confusion model.

Multi-task learning by confusion (Arnold, Schäfer & Lörch 2023) trains a single network whose
output ``j`` answers "is the tuning parameter above boundary ``c_j``?" for every proposed
boundary at once. That is multilabel classification: the user's skphys classifier is fitted
on the 0/1 indicator matrix of shape ``(n_samples, n_boundaries)``, which it learns with one
logistic output per label (one binary log-loss per output), as scikit-learn's MLP does. The
architecture, optimiser and stopping rules are the user's, untouched.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from ..base import BaseNeuralNetwork, NeuralClassifierMixin

__all__ = []


def multitask_network(estimator):
    """A clone of the skphys classifier ``estimator``, ready for multilabel targets.

    ``early_stopping`` is switched off: its validation score would be the subset accuracy over
    all boundaries at once; training stops on the training loss (``tol``,
    ``n_iter_no_change``) instead.
    """
    if not (isinstance(estimator, BaseNeuralNetwork)
            and isinstance(estimator, NeuralClassifierMixin)):
        raise TypeError(
            "strategy='multitask' needs a skphys neural classifier (e.g. skphys.neural_network."
            f"MLPClassifier or CNNClassifier) as `estimator`, got {type(estimator)!r}.")
    network = clone(estimator)
    if "early_stopping" in network.get_params():
        network.set_params(early_stopping=False)
    return network


def boundary_logits(network, X):
    """Logit of each output (boundary) of a fitted multilabel network, float64."""
    return network._validated_forward(X).numpy().astype(np.float64)


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

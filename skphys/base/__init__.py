"""The shared base of every skphys estimator.

* :class:`BaseNeuralNetwork` with :class:`NeuralClassifierMixin` /
  :class:`NeuralRegressorMixin`: a torch module factory becomes a scikit-learn estimator
  that owns a skorch net (``net_``) (``_estimator.py``);
* :class:`SkphysNet`, :class:`TensorData`, :class:`SliceBatches`: the net and its batching
  (``_net.py``, ``_data.py``);
* :class:`SklearnStopping`, :class:`Progress`: the callbacks every loop shares
  (``_callbacks.py``);
* :class:`IterationDriver`: the loop for fits that are not passes over data batches
  (variational Monte Carlo, tomography, adjoint design, GAN training) (``_driver.py``);
* the interruption contract (``_interrupt.py``), portable persistence
  (``_persistence.py``) and the losses (``_losses.py``).
"""

from ._callbacks import Progress, SklearnStopping, StopTraining
from ._data import SliceBatches, TensorData
from ._driver import DivergenceError, IterationDriver
from ._estimator import (
    BaseNeuralNetwork,
    NeuralClassifierMixin,
    NeuralRegressorMixin,
    _check_positive_int_tuple,
)
from ._interrupt import InterruptGuard
from ._losses import (
    HalfPoissonDeviance,
    HalfSquaredError,
    LogisticLoss,
    QuadraticCost,
    SoftmaxCrossEntropy,
)
from ._net import SkphysNet

__all__ = [
    "BaseNeuralNetwork",
    "DivergenceError",
    "HalfPoissonDeviance",
    "HalfSquaredError",
    "InterruptGuard",
    "IterationDriver",
    "LogisticLoss",
    "NeuralClassifierMixin",
    "NeuralRegressorMixin",
    "Progress",
    "QuadraticCost",
    "SkphysNet",
    "SklearnStopping",
    "SliceBatches",
    "SoftmaxCrossEntropy",
    "StopTraining",
    "TensorData",
]

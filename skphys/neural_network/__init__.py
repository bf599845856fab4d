"""Neural-network classifiers and regressors with scikit-learn's interface."""

from ._cnn import CNNClassifier, CNNRegressor
from ._mlp import MLPClassifier, MLPRegressor
from ._rnn import RNNClassifier, RNNRegressor
from ._torch_module import TorchClassifier, TorchRegressor

__all__ = [
    "CNNClassifier",
    "CNNRegressor",
    "MLPClassifier",
    "MLPRegressor",
    "RNNClassifier",
    "RNNRegressor",
    "TorchClassifier",
    "TorchRegressor",
]

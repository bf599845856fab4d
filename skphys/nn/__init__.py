"""Plain :mod:`torch` modules behind the estimators (they import neither sklearn nor skorch)."""

from ._activations import ACTIVATIONS, make_activation
from ._cnn import CNN
from ._mlp import MLP, dense_stack
from ._rnn import RNN

__all__ = ["ACTIVATIONS", "CNN", "MLP", "RNN", "dense_stack", "make_activation"]

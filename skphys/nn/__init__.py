"""Plain :mod:`torch` modules behind the estimators (they import neither sklearn nor skorch)."""

from ._activations import ACTIVATIONS, make_activation
from ._autoencoder import (
    Autoencoder,
    AutoencoderLoss,
    ConvDecoder,
    ConvEncoder,
    gaussian_kl,
    reconstruction_nll,
)
from ._cnn import CNN, HybridCNN
from ._gan import (
    Discriminator,
    Generator,
    LatticeGenerator,
    MinibatchStd,
    NearestNeighbourLayer,
    binary_spins,
    neighbour_products,
)
from ._mlp import MLP, dense_stack
from ._rnn import RNN

__all__ = [
    "ACTIVATIONS",
    "CNN",
    "MLP",
    "RNN",
    "Autoencoder",
    "AutoencoderLoss",
    "ConvDecoder",
    "ConvEncoder",
    "Discriminator",
    "Generator",
    "HybridCNN",
    "LatticeGenerator",
    "MinibatchStd",
    "NearestNeighbourLayer",
    "binary_spins",
    "dense_stack",
    "gaussian_kl",
    "make_activation",
    "neighbour_products",
    "reconstruction_nll",
]

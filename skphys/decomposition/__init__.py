"""Dimensionality reduction with neural networks: (variational) autoencoders."""

from ._autoencoder import AutoencoderTransformer

__all__ = ["AutoencoderTransformer"]

"""Generative models that learn to draw new samples like their training data."""

from ._gan import GANSampler

__all__ = ["GANSampler"]

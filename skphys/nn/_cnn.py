"""Convolutional network for 1-D signals and 2-D images."""

import torch
from torch import nn

from ._activations import make_activation
from ._mlp import dense_stack


class CNN(nn.Module):
    """Convolution blocks followed by a dense head.

    Each block is ``Conv -> activation -> pooling`` (pooling optional); the feature maps are
    flattened and passed through a :func:`dense_stack`. The dimensionality (1-D or 2-D)
    follows ``input_shape``: ``(channels, length)`` or ``(channels, height, width)``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, L)`` or ``(C, H, W)``, without the batch dimension.
    n_outputs : int
        Width of the output.
    filters : sequence of int, default=(32, 64)
        Number of filters (output channels, the "depth") of each convolution.
    kernel_size : int, default=3
        Kernel size of every convolution.
    stride : int, default=1
        Stride of every convolution.
    padding : int or "same" or "valid", default="same"
        Padding of every convolution ("same" requires ``stride=1``).
    padding_mode : {"zeros", "circular", "reflect", "replicate"}, default="zeros"
        What the padding holds: "circular" wraps around (periodic lattices such as Ising
        configurations or STM tiles of a crystal).
    pooling : {"max", "avg", None}, default="max"
        Pooling after each convolution.
    pool_size : int, default=2
        Window and stride of the pooling (ceil mode, so small inputs never vanish).
    hidden_layer_sizes : sequence of int, default=(128,)
        Dense head between the flattened features and the output.
    activation : str, default="relu"
        Activation after convolutions and hidden dense layers.
    dropout : float, default=0.0
        Dropout in the dense head.
    """

    def __init__(self, input_shape, n_outputs, filters=(32, 64), kernel_size=3, stride=1,
                 padding="same", pooling="max", pool_size=2, hidden_layer_sizes=(128,),
                 activation="relu", dropout=0.0, padding_mode="zeros"):
        super().__init__()
        ndim = len(input_shape) - 1
        if ndim not in (1, 2):
            raise ValueError(f"input_shape must be (C, L) or (C, H, W), got {input_shape}.")
        conv = nn.Conv1d if ndim == 1 else nn.Conv2d
        pool = {"max": nn.MaxPool1d, "avg": nn.AvgPool1d} if ndim == 1 else {
            "max": nn.MaxPool2d, "avg": nn.AvgPool2d}
        blocks = []
        channels = input_shape[0]
        for f in filters:
            blocks.append(conv(channels, f, kernel_size, stride=stride, padding=padding,
                               padding_mode=padding_mode))
            blocks.append(make_activation(activation))
            if pooling is not None:
                blocks.append(pool[pooling](pool_size, ceil_mode=True))
            channels = f
        self.features = nn.Sequential(*blocks)
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, *input_shape)).numel()
        self.head = nn.Sequential(
            nn.Flatten(), *dense_stack(n_flat, hidden_layer_sizes, n_outputs, activation, dropout)
        )

    def forward(self, x):
        return self.head(self.features(x))

"""Convolutional network for 1-D signals and 2-D images."""

import torch
from torch import nn

from ._activations import make_activation
from ._mlp import dense_stack


def conv_blocks(ndim, channels, filters, kernel_size, activation, pooling, pool_size, *,
                stride=1, padding="same", padding_mode="zeros"):
    """``Conv -> activation -> pooling`` for each entry of ``filters`` (a list of modules;
    ``pooling``: "max", "avg" or None, ceil mode so that small inputs never vanish)."""
    conv = nn.Conv1d if ndim == 1 else nn.Conv2d
    pool = {"max": nn.MaxPool1d, "avg": nn.AvgPool1d} if ndim == 1 else {
        "max": nn.MaxPool2d, "avg": nn.AvgPool2d}
    blocks = []
    for f in filters:
        blocks.append(conv(channels, f, kernel_size, stride=stride, padding=padding,
                           padding_mode=padding_mode))
        blocks.append(make_activation(activation))
        if pooling is not None:
            blocks.append(pool[pooling](pool_size, ceil_mode=True))
        channels = f
    return blocks


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
        self.features = nn.Sequential(*conv_blocks(
            ndim, input_shape[0], filters, kernel_size, activation, pooling, pool_size,
            stride=stride, padding=padding, padding_mode=padding_mode))
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, *input_shape)).numel()
        self.head = nn.Sequential(
            nn.Flatten(), *dense_stack(n_flat, hidden_layer_sizes, n_outputs, activation, dropout)
        )

    def forward(self, x):
        return self.head(self.features(x))


class HybridCNN(nn.Module):
    """A 1-D convolutional branch over a signal, joined by side features before a dense head.

    Each row of the input holds a signal in its first ``n_pattern`` columns (a powder
    pattern, a spectrum) and descriptors of the same sample in the rest (hand-made features,
    e.g. the indexing features of an XRD pattern). The signal goes through convolution
    blocks (``Conv1d -> activation -> max pooling``); their feature maps are max-pooled over
    the whole length (``global_pooling=True``: a shift of the signal, such as a change of the
    cell's size on an ``ln d`` grid, then changes little) or flattened, concatenated with
    the descriptors, and passed through a :func:`dense_stack`. With ``n_pattern=0`` it is a
    plain multi-layer perceptron of the descriptors (the ablation without convolutions).

    The input is one flat array so that the network fits scikit-learn's ``(n_samples,
    n_features)`` data: use it through
    :class:`~skphys.neural_network.TorchClassifier` (``module=HybridCNN,
    module__n_pattern=...``), after a :class:`~sklearn.compose.ColumnTransformer` that
    prepares the two parts (the signal as it is, the descriptors standardised).

    Parameters
    ----------
    n_features_in : int
        Width of an input row (signal and descriptors).
    n_outputs : int
        Width of the output (raw scores).
    n_pattern : int
        Length of the signal: the first ``n_pattern`` columns. 0: no convolutional branch.
    filters : sequence of int, default=(16, 32, 64)
        Filters of each convolution block.
    kernel_size : int, default=7
        Kernel size of every convolution ("same" padding).
    pool_size : int, default=3
        Window and stride of the max pooling after each convolution (ceil mode).
    global_pooling : bool, default=True
        Max-pool each filter's map over the whole length (one number per filter of the last
        block); False: flatten the maps.
    hidden_layer_sizes : sequence of int, default=(512, 256)
        Dense layers after the concatenation.
    activation : str, default="relu"
        Activation after convolutions and hidden dense layers.
    dropout : float, default=0.0
        Dropout in the dense head.

    Examples
    --------
    >>> import torch
    >>> from skphys.nn import HybridCNN
    >>> net = HybridCNN(100 + 5, 3, n_pattern=100, filters=(4, 8), hidden_layer_sizes=(16,))
    >>> net(torch.zeros(2, 105)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features_in, n_outputs, n_pattern, filters=(16, 32, 64), kernel_size=7,
                 pool_size=3, global_pooling=True, hidden_layer_sizes=(512, 256),
                 activation="relu", dropout=0.0):
        super().__init__()
        n_pattern = int(n_pattern)
        if not 0 <= n_pattern <= n_features_in:
            raise ValueError(f"n_pattern must be in [0, {n_features_in}] (the width of a row); "
                             f"got {n_pattern}.")
        self.n_pattern = n_pattern
        blocks = conv_blocks(1, 1, filters, kernel_size, activation, "max", pool_size)
        if global_pooling:
            blocks.append(nn.AdaptiveMaxPool1d(1))
        blocks.append(nn.Flatten())
        self.features = nn.Sequential(*blocks) if n_pattern else None
        n_conv = 0
        if n_pattern:
            with torch.no_grad():
                n_conv = self.features(torch.zeros(1, 1, n_pattern)).shape[1]
        self.head = nn.Sequential(*dense_stack(n_conv + n_features_in - n_pattern,
                                               tuple(hidden_layer_sizes), n_outputs, activation,
                                               dropout))

    def forward(self, x):
        side = x[:, self.n_pattern:]
        if self.n_pattern:
            side = torch.cat([self.features(x[:, None, :self.n_pattern]), side], dim=1)
        return self.head(side)

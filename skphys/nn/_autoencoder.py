"""(Variational) autoencoders: an encoder to a latent code and a decoder back."""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ._activations import make_activation
from ._mlp import dense_stack


class ConvEncoder(nn.Module):
    """Stride-2 convolution blocks, flattened, then a dense stack to ``n_outputs``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, L)`` or ``(C, H, W)``, without the batch dimension.
    filters : sequence of int
        Output channels of each convolution; each halves the spatial size (rounding up).
    hidden_layer_sizes : sequence of int
        Dense layers after the flattened feature maps.
    n_outputs : int
        Width of the output.
    kernel_size : int, default=3
        Odd kernel size of every convolution.
    activation : str, default="relu"
        Activation after convolutions and hidden dense layers.
    dropout : float, default=0.0
        Dropout in the dense stack.
    """

    def __init__(self, input_shape, filters, hidden_layer_sizes, n_outputs, kernel_size=3,
                 activation="relu", dropout=0.0):
        super().__init__()
        ndim = len(input_shape) - 1
        if ndim not in (1, 2):
            raise ValueError(f"input_shape must be (C, L) or (C, H, W), got {input_shape}.")
        conv = nn.Conv1d if ndim == 1 else nn.Conv2d
        blocks, channels, shapes = [], input_shape[0], [tuple(input_shape[1:])]
        for f in filters:
            blocks += [conv(channels, f, kernel_size, stride=2, padding=kernel_size // 2),
                       make_activation(activation)]
            channels = f
            shapes.append(tuple((s + 1) // 2 for s in shapes[-1]))
        self.features = nn.Sequential(*blocks)
        #: spatial shape before each convolution and after the last one
        self.shapes = shapes
        self.feature_shape = (channels, *shapes[-1])
        n_flat = math.prod(self.feature_shape)
        self.head = nn.Sequential(
            nn.Flatten(), *dense_stack(n_flat, hidden_layer_sizes, n_outputs, activation, dropout)
        )

    def forward(self, x):
        return self.head(self.features(x))


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: dense stack, then stride-2 transposed convolutions.

    The output is flat, ``(batch, C * H * W)``, pre-activation.
    """

    def __init__(self, encoder, n_inputs, hidden_layer_sizes, output_channels, kernel_size=3,
                 activation="relu", dropout=0.0):
        super().__init__()
        self.feature_shape = encoder.feature_shape
        n_flat = math.prod(self.feature_shape)
        self.dense = nn.Sequential(
            *dense_stack(n_inputs, hidden_layer_sizes, n_flat, activation, dropout),
            make_activation(activation),
        )
        ndim = len(self.feature_shape) - 1
        deconv = nn.ConvTranspose1d if ndim == 1 else nn.ConvTranspose2d
        convs = [m for m in encoder.features if isinstance(m, (nn.Conv1d, nn.Conv2d))]
        channels = [c.in_channels for c in convs]
        channels[0] = output_channels
        self.deconvs = nn.ModuleList()
        width = self.feature_shape[0]
        for c in reversed(channels):
            self.deconvs.append(deconv(width, c, kernel_size, stride=2, padding=kernel_size // 2))
            width = c
        self.activation = make_activation(activation)
        self.out_shapes = list(reversed(encoder.shapes[:-1]))

    def forward(self, z):
        h = self.dense(z).reshape(len(z), *self.feature_shape)
        last = len(self.deconvs) - 1
        for i, (deconv, shape) in enumerate(zip(self.deconvs, self.out_shapes)):
            h = deconv(h, output_size=shape)
            if i < last:
                h = self.activation(h)
        return h.flatten(1)


class Autoencoder(nn.Module):
    """Encoder to ``n_components`` latent values and a decoder back to the input.

    With ``variational=True`` the encoder gives the mean and log-variance of a diagonal
    Gaussian posterior ``q(z|x)``; in training mode a code is drawn from it by the
    reparameterisation ``z = mu + exp(logvar / 2) * eps``, in evaluation mode ``z = mu``.
    With ``learn_scale=True`` the module holds ``log_scale``, the learned log standard
    deviation of a Gaussian decoder (a calibrated decoder).

    ``forward`` returns, in training mode, the tuple ``(decoder output before the output
    activation, mu, logvar, log_scale)`` that :class:`AutoencoderLoss` takes (``logvar`` and
    ``log_scale`` may be None); in evaluation mode, the reconstruction after the output
    activation.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample: ``(n_features,)`` for a dense network, ``(C, L)`` or ``(C, H, W)``
        with ``filters``.
    n_components : int
        Size of the latent code.
    hidden_layer_sizes : sequence of int
        Dense layers of the encoder (after the convolutions, if any).
    decoder_layer_sizes : sequence of int or None, default=None
        Dense layers of the decoder; None mirrors the encoder.
    filters : sequence of int or None, default=None
        Channels of stride-2 convolutions in the encoder, mirrored by transposed convolutions
        in the decoder; None for a fully connected autoencoder.
    kernel_size : int, default=3
        Kernel size of the convolutions.
    activation : str, default="relu"
        Hidden activation.
    out_activation : {"logistic", "identity"}, default="identity"
        Output activation applied in evaluation mode.
    variational : bool, default=False
        Gaussian posterior and prior: a variational autoencoder.
    dropout : float, default=0.0
        Dropout after hidden dense layers.
    learn_scale : bool, default=False
        Learn the standard deviation of a Gaussian decoder (``log_scale``).
    """

    def __init__(self, input_shape, n_components, hidden_layer_sizes, decoder_layer_sizes=None,
                 filters=None, kernel_size=3, activation="relu", out_activation="identity",
                 variational=False, dropout=0.0, learn_scale=False):
        super().__init__()
        input_shape = tuple(input_shape)
        hidden = tuple(hidden_layer_sizes)
        dec = tuple(reversed(hidden)) if decoder_layer_sizes is None else tuple(decoder_layer_sizes)
        self.n_components = n_components
        self.variational = variational
        self.out_activation = out_activation
        n_code = 2 * n_components if variational else n_components
        if filters:
            self.encoder = ConvEncoder(input_shape, filters, hidden, n_code, kernel_size,
                                       activation, dropout)
            self.decoder = ConvDecoder(self.encoder, n_components, dec, input_shape[0],
                                       kernel_size, activation, dropout)
        else:
            n_features = math.prod(input_shape)
            self.encoder = nn.Sequential(
                nn.Flatten(), *dense_stack(n_features, hidden, n_code, activation, dropout))
            self.decoder = nn.Sequential(*dense_stack(n_components, dec, n_features, activation,
                                                      dropout))
        self.log_scale = nn.Parameter(torch.zeros(())) if learn_scale else None

    def encode(self, x):
        """``(mu, logvar)`` of the posterior (``logvar`` is None for a plain autoencoder)."""
        h = self.encoder(x)
        if self.variational:
            mu, logvar = h.chunk(2, dim=1)
            return mu, logvar.clamp(-30.0, 20.0)
        return h, None

    def decode_logits(self, z):
        """Decoder output before the output activation, flat ``(batch, n_features)``."""
        return self.decoder(z)

    def decode(self, z):
        """Reconstruction (the decoder mean) from latent codes."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.out_activation == "logistic" else out

    def forward(self, x):
        mu, logvar = self.encode(x)
        if not self.training:
            return self.decode(mu)
        z = mu
        if self.variational:
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z), mu, logvar, self.log_scale


def gaussian_kl(mu, logvar):
    """``KL(N(mu, exp(logvar)) || N(0, 1))`` summed over the latent dimensions."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1)


def reconstruction_nll(out, x, loss, log_scale=None):
    """Per-sample reconstruction loss, summed over features.

    ``loss="squared_error"``: ``||x - out||^2`` when ``log_scale`` is None, else the negative
    log-likelihood of a Gaussian with standard deviation ``exp(log_scale)``.
    ``loss="binary_crossentropy"``: the Bernoulli negative log-likelihood of ``x`` in [0, 1]
    given logits ``out``.
    """
    if loss == "binary_crossentropy":
        return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1)
    sq = (x - out).square().sum(1)
    if log_scale is None:
        return sq
    d = x.shape[1]
    return 0.5 * sq * torch.exp(-2.0 * log_scale) + d * (log_scale + 0.5 * math.log(2 * math.pi))


class AutoencoderLoss(nn.Module):
    """Mean over the batch of the reconstruction loss (+ ``beta`` times the KL term).

    Takes the training-mode output of :class:`Autoencoder` and the flat target. For a
    variational autoencoder with ``beta=1`` this is the negative evidence lower bound (ELBO).
    ``out_activation="logistic"`` applies the sigmoid before the squared error (the binary
    cross-entropy takes the logits as they are).
    """

    def __init__(self, loss="squared_error", beta=1.0, out_activation="identity"):
        super().__init__()
        self.loss = loss
        self.beta = beta
        self.out_activation = out_activation

    def forward(self, output, target):
        out, mu, logvar, log_scale = output
        if self.loss == "squared_error" and self.out_activation == "logistic":
            out = torch.sigmoid(out)
        nll = reconstruction_nll(out, target, self.loss, log_scale)
        if logvar is not None:
            nll = nll + self.beta * gaussian_kl(mu, logvar)
        return nll.mean()

"""The two players of a generative adversarial network, as plain torch modules."""

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from ._activations import make_activation
from ._mlp import dense_stack


def _gan_slope(layers):
    """LeakyReLU with slope 0.2, the usual choice for GANs (torch's default is 0.01)."""
    for m in layers:
        if isinstance(m, nn.LeakyReLU):
            m.negative_slope = 0.2
    return layers


class Generator(nn.Module):
    """Dense generator from latent noise ``z`` to data.

    With ``binary=True`` the outputs are logits of independent Bernoulli variables in
    {-1, +1} (spins): :meth:`forward` draws hard samples and passes gradients through the
    mean ``tanh(logit / 2)`` (the straight-through estimator), so the discriminator only ever
    sees values the data can take. Otherwise the output is linear (real-valued data).

    Parameters
    ----------
    n_components : int
        Size of the latent noise.
    hidden_layer_sizes : sequence of int
        Dense hidden layers.
    n_features : int
        Size of one (flat) sample.
    activation : str, default="leaky_relu"
        Hidden activation ("leaky_relu" with slope 0.2).
    binary : bool, default=False
        Output {-1, +1} samples (see above).
    """

    def __init__(self, n_components, hidden_layer_sizes, n_features, activation="leaky_relu",
                 binary=False):
        super().__init__()
        self.n_components = n_components
        self.binary = binary
        self.net = nn.Sequential(*_gan_slope(dense_stack(n_components, hidden_layer_sizes,
                                                         n_features, activation)))

    def forward(self, z):
        out = self.net(z)
        if not self.binary:
            return out
        mean = torch.tanh(0.5 * out)  # E[s] of a +-1 Bernoulli with logit `out`
        hard = torch.where(torch.rand_like(mean) < torch.sigmoid(out), 1.0, -1.0)
        return hard + (mean - mean.detach())


class MinibatchStd(nn.Module):
    """Append the batch's mean feature standard deviation as one more feature.

    A discriminator that sees how varied a batch is can punish a generator whose samples
    are all alike (mode collapse); Karras et al., "Progressive growing of GANs" (2018).
    """

    def forward(self, h):
        if len(h) < 2:
            s = h.new_zeros(len(h), 1)
        else:
            s = h.std(0, unbiased=False).mean().expand(len(h), 1)
        return torch.cat([h, s], dim=1)


class Discriminator(nn.Module):
    """Dense discriminator: one logit per sample, "real" is positive.

    Parameters
    ----------
    n_features : int
        Size of one (flat) sample.
    hidden_layer_sizes : sequence of int
        Dense hidden layers (at least one).
    activation : str, default="leaky_relu"
        Hidden activation.
    spectral_norm : bool, default=True
        Spectral normalisation of every linear layer (a 1-Lipschitz discriminator, which
        keeps the adversarial game stable; Miyato et al. 2018).
    minibatch_std : bool, default=True
        Append the batch's feature diversity before the output layer (:class:`MinibatchStd`).
    """

    def __init__(self, n_features, hidden_layer_sizes, activation="leaky_relu",
                 spectral_norm=True, minibatch_std=True):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        if not hidden:
            raise ValueError("the discriminator needs at least one hidden layer.")
        layers = dense_stack(n_features, hidden[:-1], hidden[-1], activation)
        layers.append(make_activation(activation))
        if minibatch_std:
            layers.append(MinibatchStd())
        layers.append(nn.Linear(hidden[-1] + int(minibatch_std), 1))
        _gan_slope(layers)
        if spectral_norm:
            layers = [_spectral_norm(m) if isinstance(m, nn.Linear) else m for m in layers]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(1)

    def freeze_spectral_norm(self):
        """Bake the normalised weights into plain parameters (picklable; ends training)."""
        for m in self.net:
            if parametrize.is_parametrized(m, "weight"):
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
        return self

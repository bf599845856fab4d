"""The two players of a generative adversarial network, as plain torch modules."""

import itertools
import math

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


def binary_spins(logits, temperature=1.0):
    """Draw {-1, +1} spins with ``P(+1) = sigmoid(logits)``; gradients by straight-through Gumbel.

    The spin is ``sign(logits + g)`` with ``g`` standard logistic noise (the binary
    Gumbel-max trick), and the backward pass uses the relaxed spin
    ``tanh((logits + g) / (2 temperature))`` (Jang et al. 2017; Maddison et al. 2017). Unlike
    a straight-through estimator through the mean ``tanh(logits / 2)``, whose gradient vanishes
    on every confident site, the gradient concentrates on the sites that the noise brought
    close to flipping, so a generator keeps learning where rare flips belong.
    """
    u = torch.rand_like(logits).clamp_(1e-6, 1.0 - 1e-6)
    y = logits + torch.log(u) - torch.log1p(-u)
    hard = torch.where(y > 0, 1.0, -1.0).to(logits.dtype)
    if not torch.is_grad_enabled():
        return hard
    soft = torch.tanh(y / (2.0 * temperature))
    return hard + (soft - soft.detach())


class _Latent:
    """The latent input of a generator: ``n_components`` Gaussian numbers and ``n_signs`` signs.

    The signs are fair random draws of -1 or +1: a discrete choice the generator can use for
    a global two-fold decision (which of two symmetric states, such as the two signs of the
    magnetisation of an ordered phase) without tying it to the magnitude of Gaussian noise.
    """

    def draw_latent(self, n_samples, device=None):
        """Latent inputs for ``n_samples`` samples, shape ``(n_samples, n_components + n_signs)``."""
        z = torch.randn(n_samples, self.n_components, device=device)
        if not self.n_signs:
            return z
        signs = torch.randint(0, 2, (n_samples, self.n_signs), device=device).to(z.dtype)
        return torch.cat([z, 2.0 * signs - 1.0], dim=1)

    def _scaled(self, z):
        """The latent with its signs scaled by ``sign_scale``."""
        if not self.n_signs or self.sign_scale == 1:
            return z
        k = self.n_components
        return torch.cat([z[:, :k], self.sign_scale * z[:, k:]], dim=1)


class Generator(_Latent, nn.Module):
    """Dense generator from latent noise ``z`` to data.

    With ``binary=True`` the outputs are logits of independent Bernoulli variables in
    {-1, +1} (spins): :meth:`forward` draws hard samples and passes gradients through the
    mean ``tanh(logit / 2)`` (the straight-through estimator), so the discriminator only ever
    sees values the data can take. Otherwise the output is linear (real-valued data).

    Parameters
    ----------
    n_components : int
        Number of Gaussian latent inputs.
    hidden_layer_sizes : sequence of int
        Dense hidden layers.
    n_features : int
        Size of one (flat) sample.
    activation : str, default="leaky_relu"
        Hidden activation ("leaky_relu" with slope 0.2).
    binary : bool, default=False
        Output {-1, +1} samples (see above).
    n_signs : int, default=0
        Number of latent random signs beside the Gaussian inputs (:meth:`draw_latent`).
    sign_scale : float, default=5.0
        The signs enter the first layer as ``+-sign_scale``: a strong input from the start.
    """

    def __init__(self, n_components, hidden_layer_sizes, n_features, activation="leaky_relu",
                 binary=False, n_signs=0, sign_scale=5.0):
        super().__init__()
        self.n_components = n_components
        self.n_signs = n_signs
        self.sign_scale = float(sign_scale)
        self.binary = binary
        self.net = nn.Sequential(*_gan_slope(dense_stack(n_components + n_signs,
                                                         hidden_layer_sizes, n_features,
                                                         activation)))

    def forward(self, z):
        out = self.net(self._scaled(z))
        if not self.binary:
            return out
        mean = torch.tanh(0.5 * out)  # E[s] of a +-1 Bernoulli with logit `out`
        hard = torch.where(torch.rand_like(mean) < torch.sigmoid(out), 1.0, -1.0)
        return hard + (mean - mean.detach())


class NearestNeighbourLayer(nn.Module):
    """A convolution over a periodic lattice that mixes each site with its nearest neighbours.

    Input and output are channel-last, ``(batch, *lattice_shape, channels)``; each site's
    output is a linear function of its own channels and those of its ``2 d`` nearest
    neighbours on the ``d``-dimensional lattice (periodic boundaries), shared by all sites.

    Parameters
    ----------
    n_lattice_dims : int
        Dimension ``d`` of the lattice.
    in_channels, out_channels : int
        Channels per site.
    """

    def __init__(self, n_lattice_dims, in_channels, out_channels):
        super().__init__()
        self.n_lattice_dims = n_lattice_dims
        self.linear = nn.Linear((2 * n_lattice_dims + 1) * in_channels, out_channels)

    def forward(self, h):
        # the linear map of [h, h rolled +-1 along each axis], computed as rolls of the
        # per-site maps (a roll commutes with them): one matmul, no concatenated copies
        d, cin = self.n_lattice_dims, h.shape[-1]
        cout = self.linear.out_features
        w = self.linear.weight.view(cout, 2 * d + 1, cin).permute(2, 1, 0)
        parts = (h @ w.reshape(cin, (2 * d + 1) * cout)).split(cout, dim=-1)
        out = parts[0] + self.linear.bias
        for axis in range(1, d + 1):
            out = out + parts[2 * axis - 1].roll(1, axis) + parts[2 * axis].roll(-1, axis)
        return out


class LatticeGenerator(_Latent, nn.Module):
    """Generator of configurations on a periodic lattice: local noise, local layers, a global code.

    Every site gets ``noise_channels`` fresh Gaussian numbers; :class:`NearestNeighbourLayer`
    layers turn this noise field into one output per site, so the generated correlations are
    local and translation invariant like those of a lattice model. The latent code ``z`` enters
    every site through one shared linear map (a global "field"): it carries what concerns the
    whole configuration, such as the sign of the magnetisation of an ordered phase (best
    given as a latent sign, ``n_signs``) and its size.

    Parameters
    ----------
    n_components : int
        Number of Gaussian numbers in the global latent code ``z``.
    lattice_shape : tuple of int
        Shape of the periodic lattice (``(L, L)`` for a square lattice).
    channels : sequence of int
        Channels per site of the nearest-neighbour layers (at least one layer).
    activation : str, default="leaky_relu"
        Hidden activation ("leaky_relu" with slope 0.2).
    binary : bool, default=False
        Output {-1, +1} spins drawn by :func:`binary_spins`; otherwise one real number per site.
    noise_channels : int, default=4
        Gaussian noise numbers per site.
    n_signs : int, default=0
        Number of latent random signs in ``z`` beside the Gaussian numbers
        (:meth:`draw_latent`).
    sign_scale : float, default=5.0
        The signs enter the global field as ``+-sign_scale``: a strong field from the start,
        so that the generator takes the sign of an ordered configuration from them rather
        than from the Gaussian numbers, whose varying size then sets how disordered the
        configuration is.
    """

    def __init__(self, n_components, lattice_shape, channels, activation="leaky_relu",
                 binary=False, noise_channels=4, n_signs=0, sign_scale=5.0):
        super().__init__()
        channels = tuple(channels)
        if not channels:
            raise ValueError("the lattice generator needs at least one layer of channels.")
        self.n_components = n_components
        self.n_signs = n_signs
        self.sign_scale = float(sign_scale)
        self.lattice_shape = tuple(lattice_shape)
        self.binary = binary
        self.noise_channels = noise_channels
        d = len(self.lattice_shape)
        self.code = nn.Linear(n_components + n_signs, channels[0])
        widths = (noise_channels,) + channels
        self.layers = nn.ModuleList(
            NearestNeighbourLayer(d, cin, cout) for cin, cout in itertools.pairwise(widths)
        )
        self.activations = nn.ModuleList(
            _gan_slope([make_activation(activation)])[0] for _ in channels
        )
        self.out = nn.Linear(channels[-1], 1)

    def logits(self, z):
        """One output per site (the logit of ``s = +1`` for binary data), flat."""
        b = len(z)
        noise = torch.randn(b, *self.lattice_shape, self.noise_channels,
                            device=z.device, dtype=z.dtype)
        field = self.code(self._scaled(z)).view(b, *(1,) * len(self.lattice_shape), -1)
        h = noise
        for i, (layer, act) in enumerate(zip(self.layers, self.activations)):
            h = layer(h)
            if i == 0:
                h = h + field
            h = act(h)
        return self.out(h).reshape(b, math.prod(self.lattice_shape))

    def forward(self, z):
        out = self.logits(z)
        return binary_spins(out) if self.binary else out


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


def neighbour_products(x, lattice_shape):
    """Each site's value and its products with the next site along every lattice axis.

    ``x`` of shape ``(batch, prod(lattice_shape))`` -> ``(batch, (d + 1) prod(lattice_shape))``:
    for spins the products ``s_i s_{i + e_a}`` (periodic boundaries) are the bond variables
    whose sum is the energy of a nearest-neighbour model.
    """
    s = x.reshape(len(x), *lattice_shape)
    parts = [s] + [s * s.roll(-1, axis) for axis in range(1, len(lattice_shape) + 1)]
    return torch.stack(parts, dim=1).reshape(len(x), -1)


class Discriminator(nn.Module):
    """Dense discriminator: one logit per sample (or per pack of samples), "real" is positive.

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
    lattice_shape : tuple of int or None, default=None
        When the features are sites of a periodic lattice, the discriminator also sees the
        products of nearest neighbours (:func:`neighbour_products`).
    pack : int, default=1
        Judge ``pack`` samples together (PacGAN; Lin et al., NeurIPS 2018): consecutive
        samples of the batch are concatenated, so a generator that draws too little variety
        is easy to spot. The batch size must be a multiple of ``pack``.
    """

    def __init__(self, n_features, hidden_layer_sizes, activation="leaky_relu",
                 spectral_norm=True, minibatch_std=True, lattice_shape=None, pack=1):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        if not hidden:
            raise ValueError("the discriminator needs at least one hidden layer.")
        self.lattice_shape = None if lattice_shape is None else tuple(lattice_shape)
        self.pack = int(pack)
        n_inputs = n_features * (1 if lattice_shape is None else len(self.lattice_shape) + 1)
        layers = dense_stack(n_inputs * self.pack, hidden[:-1], hidden[-1], activation)
        layers.append(make_activation(activation))
        if minibatch_std:
            layers.append(MinibatchStd())
        layers.append(nn.Linear(hidden[-1] + int(minibatch_std), 1))
        _gan_slope(layers)
        if spectral_norm:
            layers = [_spectral_norm(m) if isinstance(m, nn.Linear) else m for m in layers]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        if self.lattice_shape is not None:
            x = neighbour_products(x, self.lattice_shape)
        return self.net(x.reshape(len(x) // self.pack, -1)).squeeze(1)

    def freeze_spectral_norm(self):
        """Bake the normalised weights into plain parameters (picklable; ends training)."""
        for m in self.net:
            if parametrize.is_parametrized(m, "weight"):
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
        return self

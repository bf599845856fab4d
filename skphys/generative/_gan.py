"""A generative adversarial network as a scikit-learn density sampler: ``fit(X)``, ``sample(n)``."""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch.nn import functional as F
from torch.nn.utils import parametrize

from ..base import IterationDriver, SliceBatches, TensorData, _check_positive_int_tuple
from ..base._interrupt import discard_fitted_attributes
from ..base._persistence import (
    device_for_loading,
    from_portable,
    load_module_state,
    module_state,
    to_portable,
)
from ..nn import ACTIVATIONS
from ..nn._gan import Discriminator, Generator, LatticeGenerator
from ..utils._torch import draw_seed, resolve_device, seeded, to_tensor

#: discriminator steps between two R1 penalties (each weighted by the interval)
_R1_INTERVAL = 4

_PLAYERS = {cls.__name__: cls for cls in (Generator, LatticeGenerator, Discriminator)}


def _build(spec):
    """A player from its (class name, keyword arguments) spec."""
    name, kwargs = spec
    return _PLAYERS[name](**kwargs)


class _GANState:
    """What one training epoch changes: the players, their optimisers, the batch order, and
    the running average of the generator's weights (None without averaging)."""

    def __init__(self, generator, discriminator, opt_g, opt_d, batches, average=None,
                 decay=0.0):
        self.generator = generator
        self.discriminator = discriminator
        self.opt_g = opt_g
        self.opt_d = opt_d
        self.batches = batches
        self.average = average
        self.decay = decay
        self.g_steps = 0

    def update_average(self):
        """One step of the exponential moving average (warming up over the first steps)."""
        self.g_steps += 1
        if self.average is None:
            return
        t = self.g_steps
        weight = 1.0 - min(self.decay, (1.0 + t) / (10.0 + t))
        with torch.no_grad():
            torch._foreach_lerp_(list(self.average.parameters()),
                                 list(self.generator.parameters()), weight)
            for avg, cur in zip(self.average.buffers(), self.generator.buffers()):
                avg.copy_(cur)

    def snapshot(self):
        return {
            "generator": copy.deepcopy(self.generator.state_dict()),
            "discriminator": copy.deepcopy(self.discriminator.state_dict()),
            "opt_g": copy.deepcopy(self.opt_g.state_dict()),
            "opt_d": copy.deepcopy(self.opt_d.state_dict()),
            "average": (None if self.average is None
                        else copy.deepcopy(self.average.state_dict())),
            "g_steps": self.g_steps,
        }

    def restore(self, snap):
        self.generator.load_state_dict(snap["generator"])
        self.discriminator.load_state_dict(snap["discriminator"])
        self.opt_g.load_state_dict(snap["opt_g"])
        self.opt_d.load_state_dict(snap["opt_d"])
        if self.average is not None:
            self.average.load_state_dict(snap["average"])
        self.g_steps = snap["g_steps"]


def _nonempty(sizes, name):
    if not sizes:
        raise ValueError(f"{name} must hold at least one layer size, got {sizes!r}.")
    return sizes


def _whole_packs(batch, pack):
    """Trim a batch to a multiple of ``pack`` samples (repeat it when it holds fewer)."""
    b = len(batch)
    if b % pack == 0:
        return batch
    if b > pack:
        return batch[: b - b % pack]
    return batch[torch.arange(pack, device=batch.device) % b]


class GANSampler(BaseEstimator):
    """Generative adversarial network: learns to draw new samples like the training data.

    A generator maps random latent inputs to data; a discriminator learns to tell generated
    samples from training samples, and the generator learns to fool it. Both are trained
    with the standard non-saturating loss (the generator maximises ``log D(G(z))``) and
    Adam. Stable by default: spectral normalisation of the discriminator, an R1 gradient
    penalty on real samples (the adversarial game then settles instead of circling, Mescheder
    et al. 2018), a discriminator that judges pairs of samples (PacGAN, against mode
    collapse), large batches and Adam with ``beta_1=0.5``.

    The latent input holds ``n_components`` Gaussian numbers and ``n_sign_components``
    random signs. A sign is a discrete choice that the generator can use for a global
    two-fold decision, such as the sign of the magnetisation of an ordered phase, without
    tying it to the size of Gaussian noise (with Gaussian latents only, the magnetisation's
    sign and the amount of thermal disorder come from the same numbers, and ordered
    configurations were drawn far too often).

    Data taking exactly two values (Ising spins +-1, pixels 0/1) are generated as binary
    data: the generator outputs one Bernoulli probability per feature and :meth:`sample`
    draws hard values; gradients pass through a relaxation (straight-through estimators).
    Real-valued data are standardised for training and generated by a linear output.

    Configurations on a periodic lattice (``lattice_shape``, or samples given as arrays of
    that shape) get players built for lattice models: the generator turns a field of local
    noise into the configuration through nearest-neighbour convolutions, with the latent code
    as a global field (:class:`skphys.nn._gan.LatticeGenerator`), and the discriminator also
    sees the products of neighbouring sites, the bond variables whose mean is the energy of
    an Ising model. Otherwise both players are dense networks.

    Training runs on skphys's iteration driver (:class:`skphys.base.IterationDriver`), one
    iteration per epoch: the same progress output, history, divergence guard and
    interruption contract as every skphys fit. A Ctrl-C stops at the end of the epoch in
    progress, keeps the players of the last complete epoch, warns and re-raises.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of Gaussian latent inputs. "auto": 4 for lattice players (the local noise
        carries the local variety; a few global numbers carry what concerns the whole
        configuration), 32 for dense players.
    n_sign_components : int, default=1
        Number of latent random signs (+-1 with equal probability) beside the Gaussian
        inputs; 0 for Gaussian latents only.
    generator_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the dense generator.
    discriminator_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the discriminator.
    activation : {"leaky_relu", "relu", "tanh", "logistic", "identity", "gelu", "elu"}, \
default="leaky_relu"
        Hidden activation of both players.
    output : {"auto", "binary", "continuous"}, default="auto"
        "auto" is "binary" when the training data take exactly two values.
    lattice_shape : "auto", tuple of int or None, default="auto"
        Shape of the periodic lattice whose sites are the features (e.g. ``(L, L)`` for flat
        Ising configurations); "auto" takes the shape of the samples when ``X`` has more than
        two dimensions, and None (or "auto" on flat ``X``) builds dense players.
    lattice_channels : array-like of int, default=(8, 8)
        Channels per site of the lattice generator's nearest-neighbour layers (lattice data
        only; ``generator_layer_sizes`` is then unused).
    spectral_norm : bool, default=True
        Spectral normalisation of the discriminator's layers.
    minibatch_std : bool, default=False
        Show the discriminator the diversity of each batch (a remedy for mode collapse).
    pack : int, default=2
        Number of samples the discriminator judges together (PacGAN): a generator that
        drops a mode, e.g. one sign of the magnetisation, makes packs that never mix and
        is easy to catch. 1 is the plain GAN.
    gradient_penalty : float, default=10.0
        Weight ``gamma`` of the R1 penalty ``gamma / 2 * |grad D(x)|^2`` on real packs,
        applied every few discriminator steps with a proportionally larger weight (lazy
        regularisation, as in StyleGAN2). 0 switches it off.
    generator_averaging : float in [0, 1), default=0.99
        Decay of an exponential moving average of the generator's weights, taken after
        every generator step (Yazici et al. 2019): :meth:`sample` and ``generator_`` use the
        average, which smooths out the back-and-forth of the adversarial game near its
        equilibrium. 0 keeps the last weights.
    batch_size : int, default=256
        Mini-batch size (real samples per step; as many generated ones).
    learning_rate_init : float, default=2e-3
        Adam step size of both players.
    beta_1, beta_2 : float, default=0.5, 0.999
        Adam's moment decay rates.
    max_iter : int, default=200
        Number of epochs (passes over the training data); a GAN has no loss to converge, so
        all are run (a callback may stop earlier).
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, noise and shuffling; the same seed gives the same fit on the
        same device.
    verbose : int, default=0
        0 silent, 1 a progress bar, >= 2 one line per epoch with both players' losses.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Called around every epoch with skorch's protocol (``net`` is the driver:
        ``net.history``, ``net.estimator``, ``net.publish()``); raising
        :class:`skphys.base.StopTraining` in ``on_epoch_end`` ends the fit early.
    device : str, default="auto"
        Torch device: "auto" (CUDA when available, else CPU), "cpu", "cuda", ...

    Attributes
    ----------
    generator_ : torch.nn.Module
        The trained generator (:class:`skphys.nn._gan.Generator` or
        :class:`~skphys.nn._gan.LatticeGenerator`): the weights' moving average with
        ``generator_averaging > 0``.
    discriminator_ : torch.nn.Module
        The trained discriminator.
    loss_curve_ : list of float
        The discriminator's mean loss per epoch (``2 ln 2 = 1.386`` when it cannot tell
        generated from real samples, the equilibrium of the game).
    history_ : list of dict
        One dict per epoch: ``loss`` (the discriminator's), ``generator_loss``,
        ``gradient_penalty`` (the mean R1 term) and ``dur`` (seconds).
    n_iter_ : int
        Number of epochs run.
    output_ : str
        "binary" or "continuous".
    lattice_shape_ : tuple of int or None
        The periodic lattice the players were built for; None for dense players.
    values_ : ndarray of shape (2,)
        The two values of binary data (low, high); None for continuous data.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
    device_ : torch.device
        Device the players live on.

    See Also
    --------
    skphys.decomposition.AutoencoderTransformer : With ``variational=True``, another sampler.
    sklearn.neighbors.KernelDensity : A non-parametric density with ``sample``.

    References
    ----------
    I. Goodfellow et al., "Generative adversarial nets", NeurIPS (2014).
    L. Mescheder, A. Geiger and S. Nowozin, "Which training methods for GANs do actually
    converge?", ICML (2018).
    T. Karras et al., "Analyzing and improving the image quality of StyleGAN", CVPR (2020).
    Y. Yazici et al., "The unusual effectiveness of averaging in GAN training", ICLR (2019).
    T. Miyato et al., "Spectral normalization for generative adversarial networks", ICLR (2018).
    Z. Lin et al., "PacGAN: the power of two samples in generative adversarial networks",
    NeurIPS (2018).
    E. Jang, S. Gu and B. Poole, "Categorical reparameterization with Gumbel-softmax",
    ICLR (2017).
    Z. Liu, S. P. Rodrigues and W. Cai, "Simulating the Ising model with a deep convolutional
    generative adversarial network", arXiv:1710.04987 (2017).

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.generative import GANSampler
    >>> rng = np.random.default_rng(0)
    >>> X = np.where(rng.random((500, 16)) < 0.8, 1.0, -1.0)  # biased coins
    >>> gan = GANSampler(n_components=4, max_iter=15, random_state=0).fit(X)
    >>> S = gan.sample(1000, random_state=0)
    >>> sorted(np.unique(S).tolist())
    [-1.0, 1.0]
    >>> bool(abs((S == 1).mean() - 0.8) < 0.05)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_sign_components": [Interval(Integral, 0, None, closed="left")],
        "generator_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "discriminator_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "output": [StrOptions({"auto", "binary", "continuous"})],
        "lattice_shape": [StrOptions({"auto"}), "array-like", None],
        "lattice_channels": ["array-like", Interval(Integral, 1, None, closed="left")],
        "spectral_norm": ["boolean"],
        "minibatch_std": ["boolean"],
        "pack": [Interval(Integral, 1, None, closed="left")],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "generator_averaging": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "device": [str],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        n_sign_components=1,
        generator_layer_sizes=(128, 128),
        discriminator_layer_sizes=(128, 128),
        activation="leaky_relu",
        output="auto",
        lattice_shape="auto",
        lattice_channels=(8, 8),
        spectral_norm=True,
        minibatch_std=False,
        pack=2,
        gradient_penalty=10.0,
        generator_averaging=0.99,
        batch_size=256,
        learning_rate_init=2e-3,
        beta_1=0.5,
        beta_2=0.999,
        max_iter=200,
        shuffle=True,
        random_state=None,
        verbose=False,
        callbacks=None,
        device="auto",
    ):
        self.n_components = n_components
        self.n_sign_components = n_sign_components
        self.generator_layer_sizes = generator_layer_sizes
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.activation = activation
        self.output = output
        self.lattice_shape = lattice_shape
        self.lattice_channels = lattice_channels
        self.spectral_norm = spectral_norm
        self.minibatch_std = minibatch_std
        self.pack = pack
        self.gradient_penalty = gradient_penalty
        self.generator_averaging = generator_averaging
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.device = device

    # ---- data <-> network space ---------------------------------------------------------
    def _prepare(self, X):
        """Validate ``X``; set the output kind and the scaling; return float32 network input."""
        X = validate_data(self, X, dtype=np.float32, allow_nd=True)
        self._sample_shape = X.shape[1:]
        if isinstance(self.lattice_shape, str):  # "auto"
            lattice = X.shape[1:] if X.ndim > 2 else None
        elif self.lattice_shape is None:
            lattice = None
        else:
            lattice = _check_positive_int_tuple(self.lattice_shape, "lattice_shape")
            if math.prod(lattice) != math.prod(X.shape[1:]):
                raise ValueError(f"lattice_shape={lattice} has {math.prod(lattice)} sites but "
                                 f"the samples have {math.prod(X.shape[1:])} features.")
        self.lattice_shape_ = None if lattice is None else tuple(int(n) for n in lattice)
        X = X.reshape(len(X), -1)
        values = np.unique(X)
        binary = self.output == "binary" or (self.output == "auto" and len(values) == 2)
        if binary and len(values) > 2:
            raise ValueError(f"output='binary' needs data with two values, got {len(values)}.")
        self.output_ = "binary" if binary else "continuous"
        if binary:
            lo, hi = (values[0], values[-1]) if len(values) == 2 else (-1.0, float(values[0]))
            if lo == hi:  # one value only: generate it as the "high" value
                lo = hi - 2.0
            self.values_ = np.array([lo, hi], dtype=np.float64)
            return np.where(X == hi, 1.0, -1.0).astype(np.float32)
        self.values_ = None
        self._mean = X.mean(0, dtype=np.float64)
        self._scale = X.std(0, dtype=np.float64)
        self._scale[self._scale == 0] = 1.0
        return ((X - self._mean) / self._scale).astype(np.float32)

    def _to_data(self, out):
        out = out.astype(np.float64)
        if self.output_ == "binary":
            lo, hi = self.values_
            out = np.where(out > 0, hi, lo)
        else:
            out = out * self._scale + self._mean
        return out.reshape(len(out), *self._sample_shape)

    # ---- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the generator and the discriminator on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training samples (e.g. Ising configurations, flat or as lattices).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        discard_fitted_attributes(self)  # a new fit: nothing of a previous one is kept
        try:
            X = self._prepare(X)
            rs = check_random_state(self.random_state)
            device = resolve_device(self.device, self)
            self._players = self._player_specs(X.shape[1])
            with seeded(draw_seed(rs), device):
                G, D = (_build(spec).to(device) for spec in self._players)
                self._train(to_tensor(X, device), G, D, device, rs)
        except BaseException:
            if "generator_" not in vars(self):  # no epoch completed: unfitted, not half-fitted
                discard_fitted_attributes(self)
            raise
        return self

    def _player_specs(self, n_features):
        """(class name, keyword arguments) of the generator and the discriminator."""
        binary = self.output_ == "binary"
        k = self._n_components()
        if self.lattice_shape_ is None:
            gen = ("Generator", dict(
                n_components=k, hidden_layer_sizes=_check_positive_int_tuple(
                    self.generator_layer_sizes, "generator_layer_sizes"),
                n_features=n_features, activation=self.activation, binary=binary,
                n_signs=self.n_sign_components))
        else:
            gen = ("LatticeGenerator", dict(
                n_components=k, lattice_shape=self.lattice_shape_,
                channels=_nonempty(_check_positive_int_tuple(
                    self.lattice_channels, "lattice_channels"), "lattice_channels"),
                activation=self.activation, binary=binary, n_signs=self.n_sign_components))
        disc = ("Discriminator", dict(
            n_features=n_features, hidden_layer_sizes=_nonempty(_check_positive_int_tuple(
                self.discriminator_layer_sizes, "discriminator_layer_sizes"),
                "discriminator_layer_sizes"),
            activation=self.activation, spectral_norm=self.spectral_norm,
            minibatch_std=self.minibatch_std, lattice_shape=self.lattice_shape_,
            pack=self.pack))
        return gen, disc

    def _n_components(self):
        if self.n_components == "auto":
            return 4 if self.lattice_shape_ is not None else 32
        return int(self.n_components)

    def _train(self, X, G, D, device, rs):
        fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
        betas = (self.beta_1, self.beta_2)
        state = _GANState(
            G, D,
            torch.optim.Adam(G.parameters(), lr=self.learning_rate_init, betas=betas, **fused),
            torch.optim.Adam(D.parameters(), lr=self.learning_rate_init, betas=betas, **fused),
            SliceBatches(TensorData(X), min(self.batch_size, len(X)), shuffle=self.shuffle,
                         random_state=rs),
            average=(copy.deepcopy(G).requires_grad_(False) if self.generator_averaging > 0
                     else None),
            decay=self.generator_averaging,
        )
        driver = IterationDriver(self, self.max_iter, callbacks=self.callbacks,
                                 verbose=self.verbose, desc=type(self).__name__)
        G.train()
        D.train()
        try:
            driver.run(
                self._epoch, state, snapshot=_GANState.snapshot, restore=_GANState.restore,
                publish=lambda st: self._publish(st, driver),
                divergence_hint="Lower learning_rate_init, or keep spectral_norm=True and "
                                "gradient_penalty > 0.",
            )
        finally:
            D.freeze_spectral_norm()
            for player in (G, D, state.average):
                if player is not None:
                    player.train(False)

    def _epoch(self, it, st):
        """One pass over the data: per batch, a discriminator step then a generator step."""
        G, D = st.generator, st.discriminator
        pack, gamma = self.pack, self.gradient_penalty
        sums = torch.zeros(2, device=next(G.parameters()).device)
        penalties = []
        n_batches = 0
        interval = max(1, min(_R1_INTERVAL, len(st.batches)))
        for i, (real, _) in enumerate(st.batches):
            real = _whole_packs(real, pack)
            b, n_real = len(real), len(real) // pack
            # discriminator: real -> 1, generated -> 0, and the R1 penalty on real packs
            with torch.no_grad():
                fake = G(G.draw_latent(b, real.device))
            lazy = gamma > 0 and i % interval == 0
            if lazy:
                real = real.detach().requires_grad_(True)
            logits = D(torch.cat([real, fake]))
            loss_d = F.softplus(-logits[:n_real]).mean() + F.softplus(logits[n_real:]).mean()
            total = loss_d
            if lazy:  # every few steps, weighted by the interval (StyleGAN2's lazy R1)
                grad, = torch.autograd.grad(logits[:n_real].sum(), real, create_graph=True)
                penalty = grad.square().sum() / n_real
                total = loss_d + 0.5 * gamma * interval * penalty
                penalties.append(penalty.detach())
            st.opt_d.zero_grad(set_to_none=True)
            total.backward()
            st.opt_d.step()
            # generator: the non-saturating loss -log D(G(z))
            loss_g = F.softplus(-D(G(G.draw_latent(b, real.device)))).mean()
            st.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            st.opt_g.step()
            st.update_average()
            sums += torch.stack([loss_d.detach(), loss_g.detach()])
            n_batches += 1
        loss_d, loss_g = (sums / n_batches).tolist()
        record = {"loss": loss_d, "generator_loss": loss_g}
        if penalties:
            record["gradient_penalty"] = float(torch.stack(penalties).mean())
        return record

    def _publish(self, st, driver):
        self.generator_ = st.generator if st.average is None else st.average
        self.discriminator_ = st.discriminator
        self.device_ = next(st.generator.parameters()).device
        self.history_ = driver.history_list()
        self.loss_curve_ = driver.records("loss")
        self.n_iter_ = driver.n_iter

    # ---- sampling -----------------------------------------------------------------------
    def sample(self, n_samples=1, random_state=None):
        """Generate new samples.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent noise (and the Bernoulli draws of binary data).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features) or (n_samples, ...)
            Generated samples, shaped like those seen in ``fit``.
        """
        check_is_fitted(self)
        check_scalar(n_samples, "n_samples", Integral, min_val=1)
        n_samples = int(n_samples)
        G = self.generator_
        device = next(G.parameters()).device
        G.train(False)
        outs = []
        with seeded(draw_seed(random_state), device), torch.inference_mode():
            for start in range(0, n_samples, 8192):
                outs.append(G(G.draw_latent(min(8192, n_samples - start), device)).cpu().numpy())
        return self._to_data(np.concatenate(outs))

    def __getstate__(self):
        # portable state: the players as numpy state dicts, rebuilt from their specs on load
        state = dict(super().__getstate__())
        for key in ("generator_", "discriminator_"):
            module = state.pop(key, None)
            if module is not None:
                state[f"_{key}state"] = {
                    "parametrized": any(parametrize.is_parametrized(m)
                                        for m in module.modules()),
                    "weights": module_state(module),
                }
        if "device_" in state:
            state["device_"] = to_portable(state["device_"])
        return state

    def __setstate__(self, state):
        saved = {key: state.pop(f"_{key}state", None)
                 for key in ("generator_", "discriminator_")}
        if "device_" in state:
            state["device_"] = device_for_loading(from_portable(state["device_"]))
        self.__dict__.update(state)
        for (key, saved_state), spec in zip(saved.items(), self.__dict__.get("_players", ())):
            if saved_state is None:
                continue
            name, kwargs = spec
            if name == "Discriminator" and not saved_state["parametrized"]:
                kwargs = {**kwargs, "spectral_norm": False}  # weights baked in at the end
            with seeded(0, torch.device("cpu")):  # the rebuilt draws are overwritten
                module = _build((name, kwargs))
            load_module_state(module, saved_state["weights"])
            setattr(self, key, module.to(self.device_).train(False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

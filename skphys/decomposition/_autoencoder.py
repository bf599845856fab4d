"""Autoencoders (plain and variational) as scikit-learn transformers."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..base import BaseNeuralNetwork, _check_positive_int_tuple
from ..utils._validation import check_n_samples
from ..nn import ACTIVATIONS
from ..nn._autoencoder import Autoencoder, AutoencoderLoss, gaussian_kl, reconstruction_nll
from ..utils._docstrings import fill_doc
from ..utils._torch import draw_seed, seeded, to_tensor

#: rows per forward pass at inference
_CHUNK = 4096
#: fixed posterior draws behind the ELBO of ``score_samples`` (common to every row)
_N_ELBO_DRAWS = 32


def _has_prior(estimator):
    if not estimator.variational:
        raise AttributeError(
            "sample is only available with variational=True: a plain autoencoder has no "
            "distribution over its latent space to draw codes from."
        )
    return True


@fill_doc
class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseNeuralNetwork):
    """Autoencoder (plain or variational) as a dimensionality-reducing transformer.

    An encoder network compresses each sample to ``n_components`` latent values and a decoder
    network reconstructs the sample from them; both are trained together to make the
    reconstruction close to the input. :meth:`transform` gives the codes (like
    :class:`~sklearn.decomposition.PCA`'s components), :meth:`inverse_transform` decodes them.
    With ``variational=True`` the encoder gives a Gaussian posterior ``q(z|x)``, a KL term
    (weighted by ``beta``) pulls it towards the standard normal prior, and :meth:`sample`
    draws new data from the prior through the decoder.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent neurons (size of the code).
    hidden_layer_sizes : array-like of int, default=(128,)
        Dense layers of the encoder, input side first.
    decoder_layer_sizes : array-like of int or None, default=None
        Dense layers of the decoder, code side first; None mirrors the encoder.
    activation : {"relu", "tanh", "logistic", "identity", "gelu", "elu", "leaky_relu"}, \
default="relu"
        Hidden activation.
    out_activation : {"auto", "logistic", "identity"}, default="auto"
        Output activation of the decoder. "auto" is "logistic" (sigmoid) when the training
        data lie in [0, 1] and "identity" otherwise.
    loss : {"squared_error", "binary_crossentropy"}, default="squared_error"
        Reconstruction loss per sample, summed over features: the squared error, or the
        cross-entropy of a Bernoulli decoder (data in [0, 1], logistic output). For a VAE the
        squared error is the negative log-likelihood of a Gaussian decoder whose standard
        deviation is learned (a calibrated decoder), so the ELBO is a density bound.
    variational : bool, default=False
        Train a variational autoencoder (VAE).
    beta : float, default=1.0
        Weight of the KL term of a VAE (``beta > 1`` for a beta-VAE).
    filters : array-like of int or None, default=None
        Convolutional encoder: output channels of stride-2 convolutions (each halves the
        lattice), mirrored by transposed convolutions in the decoder. None: fully connected.
    kernel_size : int, default=3
        Odd kernel size of the convolutions.
    input_shape : tuple of int or None, default=None
        Shape of one sample, to fold a flat ``X`` for the convolutions: ``(L,)``, ``(H, W)`` or
        ``(C, H, W)``. ``X`` of shape (n_samples, H, W) needs none.
    %(training_params)s

    Attributes
    ----------
    reconstruction_error_ : float
        Mean squared reconstruction error per training sample (summed over features).
    out_activation_ : str
        Output activation used, "logistic" or "identity".
    input_shape_ : tuple of int
        Shape of one sample as the network sees it (channels first for convolutions).
    %(fitted_attributes)s

    See Also
    --------
    sklearn.decomposition.PCA : The linear baseline.
    sklearn.neural_network.BernoulliRBM : Another non-linear feature extractor.

    Notes
    -----
    ``loss_curve_`` holds the training loss per epoch: the mean reconstruction loss for a
    plain autoencoder, the mean negative ELBO (with ``beta``) for a VAE.

    References
    ----------
    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data with neural
    networks", Science 313, 504 (2006).
    D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR (2014).
    S. J. Wetzel, "Unsupervised learning of phase transitions: from principal component
    analysis to variational autoencoders", Phys. Rev. E 96, 022140 (2017).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skphys.decomposition import AutoencoderTransformer
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(n_components=10, max_iter=50, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 10)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    >>> bool(ae.reconstruction_error_ < 3.0)
    True
    """

    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "decoder_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left"), None],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "out_activation": [StrOptions({"auto", "logistic", "identity"})],
        "loss": [StrOptions({"squared_error", "binary_crossentropy"})],
        "variational": ["boolean"],
        "beta": [Interval(Real, 0, None, closed="left")],
        "filters": ["array-like", Interval(Integral, 1, None, closed="left"), None],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "solver": [StrOptions({"adam", "sgd"})],
    }
    _X_check_params = {"allow_nd": True}

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(128,),
        decoder_layer_sizes=None,
        activation="relu",
        out_activation="auto",
        loss="squared_error",
        variational=False,
        beta=1.0,
        filters=None,
        kernel_size=3,
        input_shape=None,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        dropout=0.0,
        device="auto",
        callbacks=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.decoder_layer_sizes = decoder_layer_sizes
        self.activation = activation
        self.out_activation = out_activation
        self.loss = loss
        self.variational = variational
        self.beta = beta
        self.filters = filters
        self.kernel_size = kernel_size
        self.input_shape = input_shape
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.device = device
        self.callbacks = callbacks

    # ---- hooks of the base --------------------------------------------------------------
    def _shape_X(self, X, reset):
        n = len(X)
        if reset:
            self._sample_shape = X.shape[1:]
        if self.filters is None:
            X = X.reshape(n, -1)
        else:
            if self.input_shape is not None:
                shape = tuple(int(s) for s in np.atleast_1d(self.input_shape))
                if math.prod(shape) != math.prod(X.shape[1:]):
                    raise ValueError(
                        f"input_shape={shape} holds {math.prod(shape)} values, but each sample "
                        f"of X has {math.prod(X.shape[1:])}."
                    )
                X = X.reshape(n, *shape)
            if X.ndim in (2, 3):
                X = X[:, None]  # one channel
            elif X.ndim != 4:
                raise ValueError(f"Expected X with 2, 3 or 4 dimensions, got {X.ndim}.")
        if reset:
            self.input_shape_ = X.shape[1:]
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but {type(self).__name__} was fitted "
                f"on {self.input_shape_}."
            )
        return X

    def _validate_fit_data(self, X, y, reset):
        X = self._validate_X(X, reset=reset)
        target = X.reshape(len(X), -1)
        if reset:
            lo, hi = float(target.min()), float(target.max())
            unit = lo >= 0.0 and hi <= 1.0
            if self.loss == "binary_crossentropy":
                if not unit:
                    raise ValueError(
                        "loss='binary_crossentropy' needs data in [0, 1], got values in "
                        f"[{lo:g}, {hi:g}]; scale X (e.g. MinMaxScaler) or use "
                        "loss='squared_error'."
                    )
                if self.out_activation == "identity":
                    raise ValueError("loss='binary_crossentropy' needs a logistic output; "
                                     "set out_activation='auto' or 'logistic'.")
            act = self.out_activation
            if act == "auto":
                act = "logistic" if unit or self.loss == "binary_crossentropy" else "identity"
            self.out_activation_ = act
        return X, target

    def _encode_target(self, y, reset):
        return y, y.shape[1]

    def _criterion(self):
        return AutoencoderLoss(self.loss, self.beta if self.variational else 0.0,
                               self.out_activation_)

    def _build_module(self, n_outputs):
        filters = None if self.filters is None else _check_positive_int_tuple(self.filters, "filters")
        if filters is not None and self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd with filters, got {self.kernel_size}.")
        dec = self.decoder_layer_sizes
        return Autoencoder(
            self.input_shape_,
            self.n_components,
            _check_positive_int_tuple(self.hidden_layer_sizes, "hidden_layer_sizes"),
            None if dec is None else _check_positive_int_tuple(dec, "decoder_layer_sizes"),
            filters=filters,
            kernel_size=self.kernel_size,
            activation=self.activation,
            out_activation=self.out_activation_,
            variational=self.variational,
            dropout=self.dropout,
            learn_scale=self.variational and self.loss == "squared_error",
        )

    # ---- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X, None, None, incremental=False)
        self._set_reconstruction_error(X)
        return self

    def partial_fit(self, X, y=None):
        """Update the model with one pass (epoch) over ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The updated estimator.
        """
        self._partial_fit(X, None)
        self._set_reconstruction_error(X)
        return self

    def _set_reconstruction_error(self, X):
        X = self._validate_X(X)
        rec = self._run(X, lambda m, x: m.decode(m.encode(x)[0]))
        self.reconstruction_error_ = float(
            np.square(rec - X.reshape(len(X), -1).astype(np.float64)).sum(1).mean())

    # ---- inference ----------------------------------------------------------------------
    def _run(self, X, fn):
        """``fn(module, batch)`` over ``X`` in chunks, in evaluation mode, as float64 numpy."""
        module = self.net_.module_
        module.train(False)
        device = self.net_.device
        dtype = next(module.parameters()).dtype
        outs = []
        with torch.inference_mode():
            for start in range(0, len(X), _CHUNK):
                xb = to_tensor(X[start : start + _CHUNK], device, dtype=dtype)
                outs.append(fn(module, xb).double().cpu().numpy())
        return np.concatenate(outs) if outs else np.empty((0, 0))

    def _unflatten(self, out):
        return out.reshape(len(out), *self._sample_shape)

    def transform(self, X):
        """Encode ``X``: the latent code (the posterior mean for a VAE).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Latent codes.
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        return self._run(X, lambda m, x: m.encode(x)[0])

    def inverse_transform(self, X):
        """Decode latent codes back to data space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features) or (n_samples, ...)
            Reconstructions (the decoder's mean), shaped like the samples seen in ``fit``.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32)
        if Z.shape[1] != self.n_components:
            raise ValueError(f"X has {Z.shape[1]} features, but {type(self).__name__} decodes "
                             f"codes of {self.n_components} features.")
        return self._unflatten(self._run(Z, lambda m, z: m.decode(z)))

    def score_samples(self, X):
        """Per-sample score: negative reconstruction loss, or the ELBO for a VAE.

        For a plain autoencoder this is minus the loss of each sample (squared error or
        binary cross-entropy, summed over features). For a VAE it is the evidence lower bound
        ``E_q[log p(x|z)] - KL(q(z|x) || p(z))`` in nats, a lower bound of ``log p(x)``,
        estimated with a fixed set of posterior draws (so it is deterministic).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Score of each sample (higher is better).
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        loss, act = self.loss, self.out_activation_
        eps = None
        if self.variational:
            gen = torch.Generator().manual_seed(0)
            eps = torch.randn(_N_ELBO_DRAWS, 1, self.n_components, generator=gen)

        def score(m, x):
            target = x.flatten(1)
            mu, logvar = m.encode(x)

            def nll(z):
                out = m.decode_logits(z)
                if loss == "squared_error" and act == "logistic":
                    out = torch.sigmoid(out)
                return reconstruction_nll(out, target, loss, m.log_scale)

            if not self.variational:
                return -nll(mu)
            z = mu + torch.exp(0.5 * logvar) * eps.to(mu.device)  # (draws, batch, k)
            rec = torch.stack([nll(zk) for zk in z]).mean(0)
            return -(rec + gaussian_kl(mu, logvar))

        return self._run(X, score)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        score : float
            Mean negative reconstruction loss (mean ELBO for a VAE).
        """
        return float(np.mean(self.score_samples(X)))

    @available_if(_has_prior)
    def sample(self, n_samples=1, random_state=None):
        """Draw new data from a VAE: codes from the prior, decoded.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seeds the codes drawn from the standard normal prior.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features) or (n_samples, ...)
            Decoder means of the drawn codes, shaped like the samples seen in ``fit``.
        """
        check_is_fitted(self)
        check_n_samples(n_samples)
        with seeded(draw_seed(random_state), torch.device("cpu")):
            Z = torch.randn(n_samples, self.n_components).numpy()
        return self._unflatten(self._run(Z, lambda m, z: m.decode(z)))

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

"""Adversarial (and Gaussian-noise) training of any skphys classifier."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import SkphysNet
from ..base._interrupt import fit_inner, reraise
from ._attacks import fgsm, pgd
from ._model import final_classifier
from ._perturber import _resolve_clip

__all__ = ["AdversarialTrainingClassifier"]


class BatchPerturbation:
    """Replace a training batch by its adversarial (or noisy) version.

    Called as ``perturbation(module, X_batch, y_batch)`` with the batch as the module takes
    it and the encoded targets (class indices, or a float column for one logistic output).
    Random numbers (PGD's random start, the noise) come from torch's global generator,
    which the estimator seeds from its ``random_state`` during ``fit``.
    """

    def __init__(self, attack, eps, eps_step, max_iter, norm, random_start, clip_values):
        self.attack = attack
        self.eps = eps
        self.eps_step = eps_step
        self.max_iter = max_iter
        self.norm = norm
        self.random_start = random_start
        self.clip_values = clip_values

    def __call__(self, module, X, y):
        clip = self.clip_values
        if self.attack == "noise":
            noisy = X + self.eps * torch.randn_like(X)
            return noisy if clip is None else noisy.clamp(*clip)
        y = y[:, 0].long() if y.ndim == 2 else y
        if self.attack == "fgsm":
            return fgsm(module, X, y, eps=self.eps, norm=self.norm, clip_values=clip)
        return pgd(module, X, y, eps=self.eps, eps_step=self.eps_step, max_iter=self.max_iter,
                   norm=self.norm, random_start=self.random_start, clip_values=clip)


class PerturbedNet(SkphysNet):
    """:class:`~skphys.base.SkphysNet` that trains on perturbed batches.

    Only ``train_step_single`` changes: the batch is replaced by ``perturbation(module, X,
    y)`` (computed with the module in evaluation mode) before skorch's usual step.

    Parameters
    ----------
    perturbation : callable or None, default=None
        ``(module, X_batch, y_batch) -> X_perturbed``.
    """

    def __init__(self, *args, perturbation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.perturbation = perturbation

    def train_step_single(self, batch, **fit_params):
        Xi, yi = batch
        if self.perturbation is not None:
            self._set_training(False)
            labels = yi[0] if isinstance(yi, tuple) else yi  # (y, sample_weight)
            Xi = self.perturbation(self.module_, Xi, labels)
        return super().train_step_single((Xi, yi), **fit_params)


class AdversarialTrainingClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Train a skphys classifier on adversarial (or noisy) versions of each batch.

    Adversarial training (Goodfellow et al. 2014; Madry et al. 2017) replaces every training
    mini-batch by adversarial examples made against the current weights, so the network
    learns to be right in a whole ``eps``-ball around each sample. With ``attack="pgd"``
    this is Madry et al.'s PGD training; ``attack="noise"`` adds Gaussian noise of standard
    deviation ``eps`` instead, the cheaper regulariser the lecture compares it with.

    The wrapped classifier trains with its own parameters (epochs, optimiser, stopping
    rules); only its training batches change. The wrapper is an ordinary classifier, so
    ``eps`` or the classifier's parameters (``estimator__alpha``) can be tuned with
    :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------
    estimator : estimator object
        A skphys classifier (MLPClassifier, CNNClassifier, RNNClassifier). It is cloned.
        Pipelines are not accepted: the perturbation lives in the classifier's input space,
        so put the wrapper inside a pipeline (``make_pipeline(StandardScaler(),
        AdversarialTrainingClassifier(...))``), where ``eps`` is measured after scaling.
    attack : {"pgd", "fgsm", "noise"}, default="pgd"
        How each batch is perturbed.
    eps : float, default=0.1
        Bound on the perturbation (PGD, FGSM), or standard deviation of the noise.
    eps_step : float or None, default=None
        PGD step; None means ``2.5 * eps / max_iter`` (Madry et al.'s choice).
    max_iter : int, default=7
        PGD steps per batch.
    norm : {"inf", 2}, default="inf"
        Norm of the perturbation.
    random_start : bool, default=True
        Start PGD from a random point of the ball.
    clip_values : "auto", tuple of (float, float) or None, default="auto"
        Range of valid inputs; "auto" takes the training data's minimum and maximum.

    Attributes
    ----------
    estimator_ : estimator object
        The adversarially trained classifier. Its ``net_`` keeps the perturbation, so
        ``estimator_.partial_fit`` continues training the same way.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    clip_values_ : tuple of float or None
        The input range used.
    n_iter_ : int
        Number of epochs the classifier trained.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when they are all strings.

    See Also
    --------
    AdversarialPerturber : Attack a trained classifier, measure its robustness.

    Notes
    -----
    Each PGD training step costs ``max_iter + 1`` forward and backward passes. The
    perturbation is computed with the network in evaluation mode (no dropout).

    References
    ----------
    .. [1] A. Madry et al., "Towards deep learning models resistant to adversarial attacks",
       ICLR 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skphys.adversarial import AdversarialPerturber, AdversarialTrainingClassifier
    >>> from skphys.neural_network import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> mlp = MLPClassifier((64,), max_iter=30, random_state=0)
    >>> robust = AdversarialTrainingClassifier(mlp, eps=0.1, max_iter=3).fit(X, y)
    >>> robust.score(X, y) > 0.9
    True
    >>> attack = AdversarialPerturber(mlp, eps=0.1)
    >>> plain = attack.fit(X, y).score(X[:200], y[:200])
    >>> tough = attack.set_params(estimator=robust).fit(X, y).score(X[:200], y[:200])
    >>> tough > plain
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "attack": [StrOptions({"pgd", "fgsm", "noise"})],
        "eps": [Interval(Real, 0, None, closed="left")],
        "eps_step": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "norm": [StrOptions({"inf"}), Options(Real, {2})],
        "random_start": ["boolean"],
        "clip_values": [StrOptions({"auto"}), "array-like", None],
    }

    def __init__(self, estimator, *, attack="pgd", eps=0.1, eps_step=None, max_iter=7,
                 norm="inf", random_start=True, clip_values="auto"):
        self.estimator = estimator
        self.attack = attack
        self.eps = eps
        self.eps_step = eps_step
        self.max_iter = max_iter
        self.norm = norm
        self.random_start = random_start
        self.clip_values = clip_values

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train a clone of the estimator on perturbed batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, passed to the classifier's ``fit``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        estimator = clone(self.estimator)
        if hasattr(estimator, "steps"):
            raise TypeError(
                "AdversarialTrainingClassifier takes a skphys classifier, not a Pipeline: put "
                "it inside the pipeline instead, make_pipeline(scaler, "
                "AdversarialTrainingClassifier(classifier))."
            )
        final_classifier(estimator, type(self).__name__)
        Xv = validate_data(self, X, reset=True, dtype=(np.float64, np.float32), allow_nd=True)
        self.clip_values_ = _resolve_clip(self.clip_values, Xv)
        eps_step = self.eps_step if self.eps_step is not None else 2.5 * self.eps / self.max_iter
        perturbation = BatchPerturbation(self.attack, self.eps, eps_step, self.max_iter,
                                         self.norm, self.random_start, self.clip_values_)
        # the base's seam: the classifier trains through a PerturbedNet, nothing else changes
        estimator._validate_params()
        interrupted = fit_inner(self, estimator, X, y, sample_weight, method="_fit",
                                incremental=False, net_class=PerturbedNet,
                                net_params={"perturbation": perturbation})
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        self.n_iter_ = estimator.n_iter_
        reraise(interrupted)
        return self

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    def _differentiable_estimator(self):
        # what AdversarialPerturber and DreamExplainer attack or explain
        return self.estimator_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.input_tags = inner.input_tags
        tags.input_tags.sparse = False  # attacks need dense input
        return tags

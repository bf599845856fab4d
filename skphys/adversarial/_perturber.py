"""AdversarialPerturber: evasion attacks on any skphys classifier, as a transformer."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.frozen import FrozenEstimator
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base._interrupt import fit_inner, reraise
from ..utils._torch import draw_seed, to_tensor
from ._attacks import deepfool, fgsm, pgd, predict_labels
from ._model import differentiable_model, final_classifier

__all__ = ["AdversarialPerturber"]

_CHUNK = 4096  # samples attacked at once


def _resolve_clip(clip_values, X):
    """``clip_values`` parameter -> (lo, hi) floats or None; "auto" is the data's range."""
    if clip_values is None:
        return None
    if isinstance(clip_values, str):  # "auto"
        return float(np.min(X)), float(np.max(X))
    lo, hi = (float(v) for v in clip_values)
    if not lo < hi:
        raise ValueError(f"clip_values must be (min, max) with min < max, got {clip_values!r}.")
    return lo, hi


def _norm_name(norm):
    return "inf" if norm in ("inf", np.inf) else 2


class AdversarialPerturber(
    OneToOneFeatureMixin, TransformerMixin, MetaEstimatorMixin, BaseEstimator
):
    """Adversarial examples for a skphys classifier: FGSM/FGM, PGD/BIM and DeepFool.

    A small perturbation, often invisible, flips the prediction of a trained network
    (Szegedy et al. 2013; Goodfellow et al. 2014). The perturber attacks the network of a
    skphys classifier, or of a :class:`~sklearn.pipeline.Pipeline` whose last step is one and
    whose earlier steps are StandardScaler, MinMaxScaler, MaxAbsScaler or PCA: these affine
    steps are folded into the torch graph, so the perturbation lives in the raw input
    space and ``eps`` is measured there. Any other estimator raises a TypeError, since the
    attacks need gradients.

    ``transform(X)`` returns adversarial examples made from the model's own predictions
    (no label leaking); :meth:`generate` takes the true (or, when ``targeted``, target)
    labels; :meth:`score` is the accuracy on adversarial examples and
    :meth:`robustness_curve` its dependence on ``eps``.

    Parameters
    ----------
    estimator : estimator object
        A skphys classifier or a Pipeline ending in one. It is cloned and fitted in
        :meth:`fit`; wrap an already fitted model in :class:`sklearn.frozen.FrozenEstimator`
        to attack it as it is.
    attack : {"fgsm", "pgd", "bim", "deepfool"}, default="pgd"
        "fgsm": one gradient step (FGSM for ``norm="inf"``, FGM for ``norm=2``);
        "pgd": projected gradient descent, with a random start if ``random_start``;
        "bim": PGD without random start; "deepfool": the smallest L2 perturbation that
        crosses the nearest linearised decision boundary (ignores ``eps``, ``eps_step``,
        ``norm`` and ``random_start``; untargeted only).
    eps : float, default=0.1
        Bound on the perturbation's norm.
    eps_step : float or None, default=None
        Step of the iterative attacks; None means ``eps / 4``.
    max_iter : int, default=10
        Number of steps of PGD/BIM, maximum number of steps of DeepFool.
    norm : {"inf", 2}, default="inf"
        Norm of the perturbation (L∞ or L2).
    targeted : bool, default=False
        Push toward a target class rather than away from the true one. The targets are the
        ``y`` passed to :meth:`generate`; :meth:`transform` and :meth:`score` target each
        sample's least likely class.
    random_start : bool, default=False
        Start PGD from a random point of the ``eps``-ball.
    clip_values : "auto", tuple of (float, float) or None, default="auto"
        Range of valid inputs; "auto" takes the minimum and maximum of the training data.
    overshoot : float, default=0.02
        DeepFool's relative step past the decision boundary.
    random_state : int, RandomState instance or None, default=None
        Seeds the random start.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted estimator that is attacked.
    classes_ : ndarray of shape (n_classes,)
        Class labels of the attacked classifier.
    clip_values_ : tuple of float or None
        The range adversarial examples are clipped to.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when they are all strings.

    See Also
    --------
    skphys.adversarial.AdversarialTrainingClassifier : Train a classifier on such examples.
    skphys.adversarial.pgd : The attacks as functions on torch tensors.

    Notes
    -----
    With ``norm="inf"`` and ``clip_values=(0, 1)``, FGSM and PGD give the same examples as
    torchattacks' ``FGSM`` and ``PGD`` (and ART's) for the same weights: same loss
    (cross-entropy), same step, projection and clipping. The output is float32, as the
    network computes.

    References
    ----------
    .. [1] I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and harnessing adversarial
       examples", ICLR 2015.
    .. [2] A. Madry et al., "Towards deep learning models resistant to adversarial attacks",
       ICLR 2018.
    .. [3] S.-M. Moosavi-Dezfooli, A. Fawzi, P. Frossard, "DeepFool: a simple and accurate
       method to fool deep neural networks", CVPR 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.frozen import FrozenEstimator
    >>> from skphys.adversarial import AdversarialPerturber
    >>> from skphys.neural_network import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = MLPClassifier((64,), max_iter=30, random_state=0).fit(X, y)
    >>> attack = AdversarialPerturber(FrozenEstimator(clf), attack="pgd", eps=0.2).fit(X)
    >>> X_adv = attack.transform(X[:100])
    >>> float(abs(X_adv - X[:100]).max()) <= 0.2 + 1e-6
    True
    >>> clf.score(X[:100], y[:100]) > 0.9, attack.score(X[:100], y[:100]) < 0.5
    (True, True)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "attack": [StrOptions({"fgsm", "pgd", "bim", "deepfool"})],
        "eps": [Interval(Real, 0, None, closed="left")],
        "eps_step": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "norm": [StrOptions({"inf"}), Options(Real, {2})],
        "targeted": ["boolean"],
        "random_start": ["boolean"],
        "clip_values": [StrOptions({"auto"}), "array-like", None],
        "overshoot": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, attack="pgd", eps=0.1, eps_step=None, max_iter=10,
                 norm="inf", targeted=False, random_start=False, clip_values="auto",
                 overshoot=0.02, random_state=None):
        self.estimator = estimator
        self.attack = attack
        self.eps = eps
        self.eps_step = eps_step
        self.max_iter = max_iter
        self.norm = norm
        self.targeted = targeted
        self.random_start = random_start
        self.clip_values = clip_values
        self.overshoot = overshoot
        self.random_state = random_state

    # ---- fitting --------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the estimator (unless frozen) and prepare the attack.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data; its range sets ``clip_values="auto"``.
        y : array-like of shape (n_samples,), default=None
            Class labels; needed unless the estimator is frozen.

        Returns
        -------
        self : object
            The fitted perturber.
        """
        if self.attack == "deepfool" and self.targeted:
            raise ValueError("DeepFool is untargeted: use targeted=False or another attack.")
        Xv = validate_data(self, X, reset=True, dtype=np.float32, allow_nd=True)
        frozen = isinstance(self.estimator, FrozenEstimator)
        if y is None and not frozen:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(or pass an estimator fitted and wrapped in sklearn.frozen.FrozenEstimator)."
            )
        self.estimator_ = clone(self.estimator)
        interrupted = fit_inner(self, self.estimator_, X, y)
        _, clf, self._n_inputs = differentiable_model(self.estimator_, type(self).__name__)
        self.classes_ = clf.classes_
        self.clip_values_ = _resolve_clip(self.clip_values, Xv)
        reraise(interrupted)
        return self

    # ---- attacks --------------------------------------------------------------------
    def _validate(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)
        if int(np.prod(X.shape[1:])) != self._n_inputs:
            raise ValueError(
                f"Each sample of X has {int(np.prod(X.shape[1:]))} values, but the attacked "
                f"model takes {self._n_inputs}."
            )
        return X

    def _codes(self, y):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}.")
        codes = np.searchsorted(self.classes_, y)
        codes = np.clip(codes, 0, len(self.classes_) - 1)
        if not np.all(self.classes_[codes] == y):
            raise ValueError(f"y has labels not in classes_ {self.classes_!r}.")
        return codes

    def _run(self, X, codes=None, least_likely=False, eps=None):
        """Attack validated ``X`` (numpy) chunk by chunk; return the adversarial tensor."""
        model = self._model()
        device = self._device()
        eps = self.eps if eps is None else eps
        generator = None
        if self.attack == "pgd" and self.random_start:
            generator = torch.Generator(device=device)
            generator.manual_seed(draw_seed(self.random_state))
        out = []
        for start in range(0, len(X), _CHUNK):
            x = to_tensor(X[start : start + _CHUNK], device)
            y = None
            if codes is not None:
                y = torch.as_tensor(codes[start : start + _CHUNK], device=device)
            elif least_likely:
                with torch.no_grad():
                    logits = model(x)
                y = ((logits[:, 0] < 0).long() if logits.shape[1] == 1
                     else logits.argmin(1))
            out.append(self._attack_tensor(model, x, y, eps, generator))
        return torch.cat(out) if out else torch.empty((0,) + X.shape[1:])

    def _attack_tensor(self, model, x, y, eps, generator):
        clip = self.clip_values_
        if self.attack == "deepfool":
            return deepfool(model, x, max_iter=self.max_iter, overshoot=self.overshoot,
                            clip_values=clip)
        if self.attack == "fgsm":
            return fgsm(model, x, y, eps=eps, norm=self.norm, targeted=self.targeted,
                        clip_values=clip)
        eps_step = self.eps_step if self.eps_step is not None else eps / 4
        return pgd(model, x, y, eps=eps, eps_step=eps_step, max_iter=self.max_iter,
                   norm=self.norm, targeted=self.targeted,
                   random_start=self.random_start and self.attack == "pgd",
                   clip_values=clip, generator=generator)

    def transform(self, X):
        """Adversarial examples of ``X``, attacking the model's own predictions.

        Untargeted attacks push each sample away from its predicted class; targeted ones
        toward its least likely class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Clean inputs.

        Returns
        -------
        X_adv : ndarray of float32, same shape as X
            Adversarial examples.
        """
        X = self._validate(X)
        return self._run(X, least_likely=self.targeted).cpu().numpy().reshape(X.shape)

    def generate(self, X, y=None):
        """Adversarial examples of ``X`` with given labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Clean inputs.
        y : array-like of shape (n_samples,), default=None
            True labels (untargeted attack: move away from them) or, when ``targeted``,
            target labels (move toward them). None is :meth:`transform`.

        Returns
        -------
        X_adv : ndarray of float32, same shape as X
            Adversarial examples.
        """
        if y is None:
            return self.transform(X)
        X = self._validate(X)
        codes = self._codes(y)
        if len(codes) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(codes)}.")
        return self._run(X, codes).cpu().numpy().reshape(X.shape)

    def _adversarial_predictions(self, X, y, eps=None):
        X = self._validate(X)
        codes = self._codes(y)
        x_adv = self._run(X, None if self.targeted else codes, least_likely=self.targeted,
                          eps=eps)
        pred = predict_labels(self._model(), x_adv).cpu().numpy()
        delta = (x_adv.cpu() - torch.from_numpy(np.ascontiguousarray(X))).flatten(1)
        norms = (delta.abs().amax(1) if _norm_name(self.norm) == "inf" and self.attack != "deepfool"
                 else delta.norm(dim=1)).numpy()
        return pred, codes, norms

    def score(self, X, y):
        """Accuracy of the classifier on adversarial examples of ``X`` (true labels ``y``).

        Untargeted attacks use the true labels; targeted ones the least likely classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Clean inputs.
        y : array-like of shape (n_samples,)
            True labels.

        Returns
        -------
        score : float
            Adversarial accuracy.
        """
        pred, codes, _ = self._adversarial_predictions(X, y)
        return float(np.mean(pred == codes))

    def robustness_curve(self, X, y, eps=None):
        """Adversarial accuracy and mean perturbation size for several ``eps``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Clean inputs.
        y : array-like of shape (n_samples,)
            True labels.
        eps : array-like of float, default=None
            Perturbation bounds; None means 0 to ``2 * self.eps`` in 9 steps. For DeepFool
            the minimal perturbations are computed once and a sample counts as broken at
            ``eps`` when its perturbation (in the attack's norm, L2) is at most ``eps``.

        Returns
        -------
        curve : :class:`~sklearn.utils.Bunch`
            ``eps``, ``accuracy`` (adversarial accuracy at each eps), ``mean_norm`` (mean
            norm of the perturbations actually applied), ``norm`` and ``attack``.
        """
        check_is_fitted(self)
        eps = (np.linspace(0, 2 * self.eps, 9) if eps is None
               else np.asarray(eps, dtype=float).ravel())
        if np.any(eps < 0):
            raise ValueError("eps must be non-negative.")
        acc, mean_norm = [], []
        if self.attack == "deepfool":
            pred, codes, norms = self._adversarial_predictions(X, y)
            Xv = self._validate(X)
            clean = predict_labels(self._model(), to_tensor(Xv, self._device())).cpu().numpy()
            for e in eps:
                broken = (pred != clean) & (norms <= e)
                final = np.where(broken, pred, clean)
                acc.append(float(np.mean(final == codes)))
                mean_norm.append(float(np.mean(np.where(broken, norms, 0.0))))
            norm = 2
        else:
            for e in eps:
                pred, codes, norms = self._adversarial_predictions(X, y, eps=float(e))
                acc.append(float(np.mean(pred == codes)))
                mean_norm.append(float(np.mean(norms)))
            norm = _norm_name(self.norm)
        return Bunch(eps=eps, accuracy=np.array(acc), mean_norm=np.array(mean_norm),
                     norm=norm, attack=self.attack)

    def _model(self):
        # rebuilt on use (cheap), so that it always shares the weights of estimator_
        return differentiable_model(self.estimator_)[0]

    def _device(self):
        return torch.device(final_classifier(self.estimator_, "").net_.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = not isinstance(self.estimator, FrozenEstimator)
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

"""DreamExplainer: what input makes a trained network certain of a class?"""

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
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..adversarial._model import differentiable_model, final_classifier
from ..base._interrupt import fit_inner, reraise
from ..utils._torch import to_tensor

__all__ = ["DreamExplainer"]


def _total_variation(x, shape):
    """Anisotropic total variation of each sample of ``x`` folded to ``shape``."""
    x = x.reshape(len(x), *shape)
    tv = (x[..., 1:] - x[..., :-1]).abs().flatten(1).sum(1)
    if len(shape) >= 2:
        tv = tv + (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).sum(1)
    return tv


class DreamExplainer(OneToOneFeatureMixin, TransformerMixin, MetaEstimatorMixin, BaseEstimator):
    """Dream the input a trained classifier is certain about ("what has it learned?").

    The output of the network is fixed to a target and the *input* is optimised, from a
    seed, by gradient ascent on the log-probability of the target class (or on the mean
    activation of one hidden unit) until the network's probability reaches
    ``target_proba``. The dream is kept inside the training data's range by a sigmoid
    parameterisation, and can be kept near its seed (``l2``) and smooth (``tv``).

    A dream the network is sure of need not look like the data: it may be an adversarial
    pattern. Each dream therefore comes with two honesty measures (see :meth:`dream`): its
    distance to the nearest training sample of its class relative to the typical distance
    between neighbours within that class, and whether an independent classifier
    (by default a logistic regression) agrees on the class.

    Parameters
    ----------
    estimator : estimator object
        A skphys classifier or a Pipeline of StandardScaler, MinMaxScaler, MaxAbsScaler or
        PCA steps ending in one (also an AdversarialTrainingClassifier). It is cloned and
        fitted in :meth:`fit`; wrap a fitted model in :class:`sklearn.frozen.FrozenEstimator`
        to explain it as it is.
    target : class label, tuple (str, int) or None, default=None
        What to dream of: a class label; ``(layer_name, unit)`` for a hidden unit (layer
        names are those of ``estimator.net_.module_.named_modules()``, e.g. ``"2"`` for the
        second linear layer of an MLP, ``"features.0"`` for a CNN's first convolution;
        convolution channels are averaged over positions); or None, each sample's own
        predicted class (:meth:`transform` then sharpens what the network sees).
    init : {"mean", "class_mean", "zeros", "noise"} or array-like, default="mean"
        Seed of the dreams made by :meth:`dream` and :meth:`dream_classes`: the training
        mean, the mean of the target class, zeros (clipped to the data range), uniform
        noise in the data range, or given samples (one, or one per dream).
    bounded : bool, default=True
        Keep the dream inside ``[min, max]`` of the training data, through
        ``x = min + (max - min) * sigmoid(z)``.
    l2 : float, default=0.0
        Weight of the squared distance of the dream from its seed.
    tv : float, default=0.0
        Weight of the total variation of the dream (folded to ``image_shape``).
    image_shape : tuple of int or None, default=None
        Shape one sample is folded to for ``tv`` (e.g. ``(8, 8)`` for flat digits); None
        keeps the sample's own shape (1-D samples get a 1-D total variation).
    max_iter : int, default=200
        Maximum number of Adam steps.
    learning_rate : float, default=0.1
        Adam's step size (on ``z`` when ``bounded``).
    target_proba : float, default=0.99
        A dream stops as soon as the network gives its target class this probability.
    reference_estimator : estimator object or None, default=None
        The independent classifier of the honesty check, fitted on the flattened training
        data; None is ``LogisticRegression(max_iter=1000)``.
    random_state : int, RandomState instance or None, default=None
        Seeds ``init="noise"``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted estimator that is explained.
    reference_estimator_ : estimator object
        The fitted independent classifier.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    data_range_ : tuple of float
        Minimum and maximum of the training data.
    mean_ : ndarray
        Mean training sample.
    class_means_ : ndarray of shape (n_classes, ...)
        Mean training sample of each class.
    within_class_distance_ : ndarray of shape (n_classes,)
        Median distance of a training sample to its nearest neighbour of the same class.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when they are all strings.

    See Also
    --------
    skphys.plotting.DreamDisplay : Plot one dream per class with its honesty measures.
    skphys.adversarial.AdversarialPerturber : The same gradients, used to fool the network.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skphys.inspection import DreamExplainer
    >>> from skphys.neural_network import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> mlp = MLPClassifier((64,), max_iter=30, random_state=0)
    >>> explainer = DreamExplainer(mlp, init="class_mean")
    >>> report = explainer.fit(X, y).dream_classes()
    >>> report.dreams.shape
    (10, 64)
    >>> bool((report.proba >= 0.99).all()), int(report.reference_agrees.sum()) >= 8
    (True, True)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "target": "no_validation",
        "init": [StrOptions({"mean", "class_mean", "zeros", "noise"}), "array-like"],
        "bounded": ["boolean"],
        "l2": [Interval(Real, 0, None, closed="left")],
        "tv": [Interval(Real, 0, None, closed="left")],
        "image_shape": ["array-like", None],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "target_proba": [Interval(Real, 0, 1, closed="both")],
        "reference_estimator": [HasMethods(["fit", "predict"]), None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, target=None, init="mean", bounded=True, l2=0.0, tv=0.0,
                 image_shape=None, max_iter=200, learning_rate=0.1, target_proba=0.99,
                 reference_estimator=None, random_state=None):
        self.estimator = estimator
        self.target = target
        self.init = init
        self.bounded = bounded
        self.l2 = l2
        self.tv = tv
        self.image_shape = image_shape
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.target_proba = target_proba
        self.reference_estimator = reference_estimator
        self.random_state = random_state

    # ---- fitting --------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the estimator (unless frozen) and learn what the honesty measures need.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted explainer.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        Xv = validate_data(self, X, reset=True, dtype=np.float32, allow_nd=True)
        self.estimator_ = clone(self.estimator)
        interrupted = fit_inner(self, self.estimator_, X, y)
        _, clf, n_inputs = differentiable_model(self.estimator_, type(self).__name__)
        if int(np.prod(Xv.shape[1:])) != n_inputs:
            raise ValueError(f"Samples of X have {np.prod(Xv.shape[1:])} values, the model "
                             f"takes {n_inputs}.")
        self.classes_ = clf.classes_
        y = np.asarray(y)
        codes = np.searchsorted(self.classes_, y)
        flat = Xv.reshape(len(Xv), -1)
        self.data_range_ = (float(flat.min()), float(flat.max()))
        self.mean_ = Xv.mean(0)
        self.class_means_ = np.stack([Xv[codes == k].mean(0) for k in range(len(self.classes_))])
        self._neighbours = []
        within = []
        for k in range(len(self.classes_)):
            members = flat[codes == k]
            nn = NearestNeighbors(n_neighbors=min(2, len(members))).fit(members)
            self._neighbours.append(nn)
            d = nn.kneighbors(members)[0][:, -1] if len(members) > 1 else np.array([np.nan])
            within.append(float(np.median(d)))
        self.within_class_distance_ = np.array(within)
        ref = (LogisticRegression(max_iter=1000) if self.reference_estimator is None
               else self.reference_estimator)
        self.reference_estimator_ = clone(ref).fit(flat, y)
        self._check_target(self.target)
        reraise(interrupted)
        return self

    # ---- targets and seeds ------------------------------------------------------------
    def _check_target(self, target):
        if target is None:
            return None
        if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], str):
            names = dict(self._model().module.named_modules())
            if target[0] not in names or target[0] == "":
                raise ValueError(f"No layer named {target[0]!r}; the layers are "
                                 f"{[n for n in names if n]}.")
            return target
        try:
            labels = np.atleast_1d(np.asarray(target, dtype=self.classes_.dtype))
        except (OverflowError, ValueError, TypeError):
            labels = None
        if labels is None or labels.ndim != 1 or not np.isin(labels, self.classes_).all():
            raise ValueError(f"target {target!r} is not a class label (classes_ = "
                             f"{self.classes_!r}) nor a (layer_name, unit) tuple.")
        return labels

    def _seeds(self, n, codes):
        """Starting points for ``n`` dreams of class codes ``codes`` (None: unit target)."""
        init = self.init
        shape = self.mean_.shape
        if isinstance(init, str):
            if init == "mean" or (init == "class_mean" and codes is None):
                return np.broadcast_to(self.mean_, (n, *shape)).copy()
            if init == "class_mean":
                return self.class_means_[codes].copy()
            lo, hi = self.data_range_
            if init == "zeros":
                return np.full((n, *shape), min(max(0.0, lo), hi), dtype=np.float32)
            rng = check_random_state(self.random_state)
            return rng.uniform(lo, hi, size=(n, *shape)).astype(np.float32)
        seeds = np.asarray(init, dtype=np.float32)
        if seeds.shape == shape or seeds.shape == (int(np.prod(shape)),):
            seeds = seeds.reshape(1, *shape)
        seeds = seeds.reshape(len(seeds), *shape)
        if len(seeds) == 1:
            return np.repeat(seeds, n, axis=0)
        if len(seeds) != n:
            raise ValueError(f"init holds {len(seeds)} samples for {n} dreams.")
        return seeds

    # ---- the optimisation -------------------------------------------------------------
    def _model(self):
        return differentiable_model(self.estimator_)[0]

    def _optimise(self, x0, codes=None, unit=None):
        """Dream from ``x0`` (numpy, raw shape); returns (dreams, proba, activation, steps)."""
        model = self._model()
        device = torch.device(final_classifier(self.estimator_, "").net_.device)
        lo, hi = self.data_range_
        span = max(hi - lo, 1e-12)
        x0t = to_tensor(np.ascontiguousarray(x0, dtype=np.float32), device)
        n = len(x0t)
        if self.bounded:
            u = ((x0t - lo) / span).clamp(1e-3, 1 - 1e-3)
            z = torch.log(u) - torch.log1p(-u)
        else:
            z = x0t.clone()
        z = z.detach().requires_grad_(True)
        tv_shape = (tuple(int(s) for s in self.image_shape) if self.image_shape is not None
                    else tuple(x0.shape[1:]))
        hook_out = {}
        handle = None
        if unit is not None:
            layer = dict(model.module.named_modules())[unit[0]]
            handle = layer.register_forward_hook(lambda m, i, o: hook_out.__setitem__("a", o))
        codes_t = None if codes is None else torch.as_tensor(codes, device=device)
        opt = torch.optim.Adam([z], lr=self.learning_rate)
        best = x0t.clone()
        steps = np.full(n, self.max_iter, dtype=np.int64)
        reached = torch.zeros(n, dtype=torch.bool, device=device)
        score = torch.full((n,), float("nan"), device=device)

        def evaluate(x):
            logits = model(x)
            if unit is not None:
                a = hook_out["a"]
                a = a[:, unit[1]]
                a = a.flatten(1).mean(1) if a.ndim > 1 else a
                return a, a
            if logits.shape[1] == 1:
                z1 = logits[:, 0]
                logp = torch.nn.functional.logsigmoid(torch.where(codes_t == 1, z1, -z1))
            else:
                logp = torch.log_softmax(logits, 1).gather(1, codes_t[:, None])[:, 0]
            return logp, logp

        try:
            for it in range(self.max_iter + 1):
                x = lo + span * torch.sigmoid(z) if self.bounded else z
                objective, value = evaluate(x)
                with torch.no_grad():
                    if unit is None:
                        new = (value.exp() >= self.target_proba) & ~reached
                        best[new] = x[new].detach()
                        score[new] = value.exp()[new]
                        steps[new.cpu().numpy()] = it
                        reached |= new
                        if bool(reached.all()):
                            break
                    if it == self.max_iter:
                        rest = ~reached
                        best[rest] = x[rest].detach()
                        score[rest] = (value if unit is not None else value.exp())[rest]
                        break
                loss = -objective.sum()
                if self.l2:
                    loss = loss + self.l2 * (x - x0t).flatten(1).pow(2).sum()
                if self.tv:
                    loss = loss + self.tv * _total_variation(x, tv_shape).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        finally:
            if handle is not None:
                handle.remove()
        return best.cpu().numpy(), score.cpu().numpy(), steps

    def _report(self, dreams, codes, score, steps, unit):
        flat = dreams.reshape(len(dreams), -1).astype(np.float32)
        predicted = self.estimator_.predict(dreams)
        pred_codes = np.searchsorted(self.classes_, predicted)
        cls = pred_codes if codes is None else codes
        ratio = np.empty(len(dreams))
        for k in np.unique(cls):
            sel = cls == k
            d = self._neighbours[k].kneighbors(flat[sel], n_neighbors=1)[0][:, 0]
            ratio[sel] = d / self.within_class_distance_[k]
        ref = np.asarray(self.reference_estimator_.predict(flat))
        return Bunch(
            dreams=dreams,
            target=[unit] * len(dreams) if unit is not None else self.classes_[codes],
            proba=score if unit is None else np.full(len(dreams), np.nan),
            activation=score if unit is not None else np.full(len(dreams), np.nan),
            n_steps=steps,
            predicted=predicted,
            nearest_distance_ratio=ratio,
            reference_prediction=ref,
            reference_agrees=ref == self.classes_[cls],
        )

    # ---- public methods -----------------------------------------------------------------
    def dream(self, X=None, *, target=None):
        """Dream toward a target, and report how far the dreams can be trusted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...), default=None
            Seeds, one dream each; None seeds from ``init`` (one dream per target).
        target : class label, array-like of labels, tuple (str, int) or None, default=None
            Overrides the ``target`` parameter. With neither a target nor ``X``, one dream
            per class.

        Returns
        -------
        report : :class:`~sklearn.utils.Bunch`
            ``dreams`` (same sample shape as the training data); ``target``; ``proba``,
            the probability the network gives the target class (NaN for unit targets);
            ``activation`` (unit targets); ``n_steps``, the Adam steps taken (``max_iter``
            when ``target_proba`` was not reached); ``predicted``, the network's class;
            ``nearest_distance_ratio``, the distance to the nearest training sample of the
            target (or predicted) class over that class's typical neighbour distance
            (about 1 or less: as close to the data as the data are to each other; much
            more: an unnatural input); ``reference_prediction`` and ``reference_agrees``,
            the independent classifier's class and whether it is the target.
        """
        check_is_fitted(self)
        target = self._check_target(self.target if target is None else target)
        unit = target if isinstance(target, tuple) else None
        if X is None:
            labels = self.classes_ if target is None else (
                np.zeros(1, dtype=self.classes_.dtype) if unit is not None else target)
            n = len(labels)
            codes = None if unit is not None else np.searchsorted(self.classes_, labels)
            x0 = self._seeds(n, codes)
        else:
            x0 = validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)
            n = len(x0)
            if target is None:
                codes = np.searchsorted(self.classes_, self.estimator_.predict(x0))
            elif unit is None:
                labels = np.broadcast_to(target, (n,)) if len(target) == 1 else target
                if len(labels) != n:
                    raise ValueError(f"{len(labels)} targets for {n} samples.")
                codes = np.searchsorted(self.classes_, labels)
            else:
                codes = None
        dreams, score, steps = self._optimise(x0, codes, unit)
        return self._report(dreams.reshape(x0.shape), codes, score, steps, unit)

    def dream_classes(self):
        """One dream per class, from ``init``.

        Returns
        -------
        report : :class:`~sklearn.utils.Bunch`
            As :meth:`dream`, with the dreams in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.dream(target=self.classes_)

    def transform(self, X):
        """Dream from each sample of ``X`` toward ``target``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Seeds.

        Returns
        -------
        dreams : ndarray of float32, same shape as X
            The dreams (with ``target=None``, toward each sample's predicted class).
        """
        return self.dream(X).dreams

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

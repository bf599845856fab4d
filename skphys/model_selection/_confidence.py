"""A classifier that abstains when its confidence is below a threshold (selective classification)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import check_cv, train_test_split
from sklearn.utils import Bunch
from sklearn.utils._indexing import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d


def coverage_accuracy_curve(y_true, y_proba, *, classes=None):
    """Selective accuracy against coverage, for every confidence threshold.

    A classifier that answers only when its confidence (the largest class probability) is at
    least ``t`` answers a fraction ``coverage(t)`` of the samples, with accuracy
    ``selective_accuracy(t)`` on those. Like :func:`sklearn.metrics.roc_curve`, this returns
    one point per distinct threshold, from the most confident sample down to full coverage.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Class probabilities (``predict_proba``), columns in the order of ``classes``.
    classes : array-like of shape (n_classes,) or None, default=None
        Labels of the columns; None: the sorted labels of ``y_true`` (they must then number
        ``n_classes``).

    Returns
    -------
    coverage : ndarray of shape (n_thresholds,)
        Fraction of samples answered, increasing to 1.
    selective_accuracy : ndarray of shape (n_thresholds,)
        Accuracy on the answered samples.
    thresholds : ndarray of shape (n_thresholds,)
        The confidence thresholds, decreasing.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.model_selection import coverage_accuracy_curve
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.45, 0.55]])
    >>> cov, acc, thr = coverage_accuracy_curve([0, 1, 1, 0], proba)
    >>> cov.tolist(), acc.tolist()
    ([0.25, 0.5, 0.75, 1.0], [1.0, 1.0, 0.6666666666666666, 0.5])
    """
    y_true = np.asarray(y_true)
    y_proba = np.asarray(y_proba, dtype=float)
    if y_proba.ndim != 2 or len(y_proba) != len(y_true) or len(y_true) == 0:
        raise ValueError("y_proba must be of shape (n_samples, n_classes) with n_samples = "
                         f"len(y_true) >= 1; got {y_proba.shape} and {y_true.shape}.")
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if len(classes) != y_proba.shape[1]:
        raise ValueError(f"y_proba has {y_proba.shape[1]} columns but there are "
                         f"{len(classes)} classes; pass classes=estimator.classes_.")
    confidence = y_proba.max(axis=1)
    correct = classes[np.argmax(y_proba, axis=1)] == y_true
    order = np.argsort(-confidence, kind="stable")
    conf, corr = confidence[order], correct[order]
    last = np.r_[np.flatnonzero(np.diff(conf) != 0), len(conf) - 1]  # end of each tie group
    answered = last + 1
    return answered / len(conf), np.cumsum(corr)[last] / answered, conf[last]


class ConfidenceThresholdClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Abstain when the classifier's confidence is below a threshold; tune it for a coverage.

    Wraps any classifier with ``predict_proba`` (scikit-learn's or skphys's, or a pipeline
    ending in one). ``predict`` returns the most probable class when its probability is at
    least the threshold and ``abstain_label`` otherwise, so that the answers given are more
    often right: selective classification (Chow's reject option), as Vecsei et al. (2019)
    used to classify measured XRD patterns. With ``coverage`` set, ``fit`` chooses the
    threshold so that this fraction of held-out samples is answered (out-of-fold
    probabilities over ``cv``, as :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
    does) and then refits the classifier on all the data. A classifier refitted on more
    data is usually more confident, so the coverage on new data then tends to come out
    above the target; a float ``cv`` with ``refit=False`` keeps the classifier the threshold
    was tuned for.

    Named after scikit-learn's ``FixedThresholdClassifier`` and
    ``TunedThresholdClassifierCV``, which threshold a binary decision; this one thresholds
    the confidence of a multiclass one and may decline to answer.

    Parameters
    ----------
    estimator : estimator object
        A classifier with ``predict_proba``; cloned. A
        :class:`~sklearn.frozen.FrozenEstimator` is used as fitted: the threshold is then
        tuned on its probabilities for the data passed to ``fit`` (held-out data), and
        ``cv`` is not used.
    threshold : float in [0, 1], default=0.5
        Confidence (largest class probability) below which the classifier abstains; 0
        never abstains. Ignored when ``coverage`` is set.
    coverage : float in (0, 1] or None, default=None
        Target fraction of samples to answer: the threshold is tuned on held-out data.
    cv : int, float, cross-validation generator, iterable or None, default=5
        How the held-out probabilities for tuning are obtained: an int or splitter gives
        out-of-fold probabilities (stratified k-fold for an int; None: 5 folds); a float in
        (0, 1) holds out that fraction in one stratified split (cheaper for networks).
        Used only when ``coverage`` is set.
    refit : bool, default=True
        After tuning with a float ``cv``, refit the classifier on all the data; False keeps
        the classifier fitted on the training part of the split. With other ``cv`` the
        classifier is always refitted on all the data.
    abstain_label : "auto", int, float or str, default="auto"
        Label ``predict`` returns when abstaining: -1 for numeric classes (or one less
        than the smallest class when -1 is a class), ``"abstain"`` for string classes. It
        must not be one of the classes.
    random_state : int, RandomState instance or None, default=None
        Shuffling of the split when ``cv`` is a float.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted classifier.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    threshold_ : float
        The confidence threshold used by ``predict``.
    abstain_label_ : int, float or str
        The label of an abstention.
    tuning_coverage_ : float
        Coverage reached on the held-out data at ``threshold_`` (only with ``coverage``).
    tuning_selective_accuracy_ : float
        Accuracy on the answered held-out samples (only with ``coverage``).
    n_features_in_ : int
        Number of features seen in ``fit`` (when the classifier records it).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit`` (when they are strings).

    See Also
    --------
    coverage_accuracy_curve : Selective accuracy for every threshold.
    skphys.plotting.CoverageAccuracyDisplay : Plots it.
    sklearn.model_selection.TunedThresholdClassifierCV : Tunes a binary decision threshold.

    References
    ----------
    C. K. Chow, "On optimum recognition error and reject tradeoff", IEEE Trans. Inf. Theory
    16, 41 (1970). P. M. Vecsei, K. Choo, J. Chang and T. Neupert, Phys. Rev. B 99, 245120
    (2019).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from skphys.model_selection import ConfidenceThresholdClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = ConfidenceThresholdClassifier(LogisticRegression(C=0.05), coverage=0.8, cv=3)
    >>> round(clf.fit(X_train, y_train).threshold_, 2)
    0.41
    >>> report = clf.selective_report(X_test, y_test)
    >>> round(report.coverage, 2), round(report.selective_accuracy, 3), round(report.accuracy, 3)
    (0.86, 0.984, 0.927)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "coverage": [Interval(Real, 0, 1, closed="right"), None],
        "cv": ["cv_object", Interval(Real, 0, 1, closed="neither")],
        "refit": ["boolean"],
        "abstain_label": [StrOptions({"auto"}), Integral, Real, str],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, threshold=0.5, coverage=None, cv=5, refit=True,
                 abstain_label="auto", random_state=None):
        self.estimator = estimator
        self.threshold = threshold
        self.coverage = coverage
        self.cv = cv
        self.refit = refit
        self.abstain_label = abstain_label
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the classifier and, with ``coverage``, tune the threshold on held-out data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data, as the classifier takes it.
        y : array-like of shape (n_samples,)
            Class labels.
        **fit_params : dict
            Passed to the classifier's ``fit``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None.")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        estimator = clone(self.estimator)
        if self.coverage is None:
            self.estimator_ = estimator.fit(X, y, **fit_params)
            self.threshold_ = float(self.threshold)
        else:
            self._tune(estimator, X, y, fit_params)
        self.classes_ = self.estimator_.classes_
        self.abstain_label_ = self._resolve_label()
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, name):
                setattr(self, name, getattr(self.estimator_, name))
        return self

    def _tune(self, estimator, X, y, fit_params):
        if isinstance(estimator, FrozenEstimator):  # already fitted: X, y are held out
            splits = [(np.arange(len(y)), np.arange(len(y)))]
        elif isinstance(self.cv, Real) and not isinstance(self.cv, Integral):
            try:
                train, test = train_test_split(np.arange(len(y)), test_size=self.cv,
                                               stratify=y, random_state=self.random_state)
            except ValueError:  # a class too small to stratify
                train, test = train_test_split(np.arange(len(y)), test_size=self.cv,
                                               random_state=self.random_state)
            splits = [(train, test)]
        else:
            splits = list(check_cv(self.cv, y, classifier=True).split(X, y))
        folds = [(clone(estimator).fit(_safe_indexing(X, train), y[train], **fit_params), test)
                 for train, test in splits]
        # a frozen classifier may know classes that this data lacks
        classes = np.unique(np.concatenate([np.unique(y)] + [f.classes_ for f, _ in folds]))
        proba = np.zeros((len(y), len(classes)))
        held_out = np.zeros(len(y), dtype=bool)
        for fold, test in folds:
            cols = np.searchsorted(classes, fold.classes_)
            proba[np.ix_(test, cols)] = fold.predict_proba(_safe_indexing(X, test))
            held_out[test] = True
        cov, acc, thr = coverage_accuracy_curve(y[held_out], proba[held_out], classes=classes)
        k = min(np.searchsorted(cov, self.coverage - 1e-12), len(cov) - 1)
        self.threshold_ = float(thr[k])
        self.tuning_coverage_ = float(cov[k])
        self.tuning_selective_accuracy_ = float(acc[k])
        if isinstance(estimator, FrozenEstimator) or (len(splits) == 1 and not self.refit):
            self.estimator_ = folds[0][0]
        else:
            self.estimator_ = estimator.fit(X, y, **fit_params)

    def _resolve_label(self):
        label = self.abstain_label
        if isinstance(label, str) and label == "auto":
            if self.classes_.dtype.kind in "OUS":
                label = "abstain"
            else:
                label = -1 if -1 not in self.classes_ else type(self.classes_.min())(
                    np.floor(self.classes_.min()) - 1)
        if any(c == label for c in self.classes_.tolist()):
            raise ValueError(f"abstain_label={label!r} is one of the classes; choose "
                             "another label.")
        return label

    def predict(self, X):
        """The most probable class, or ``abstain_label_`` where the confidence is too low.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, ``abstain_label_`` for the abstentions.
        """
        check_is_fitted(self)
        proba = self.estimator_.predict_proba(X)
        pred = self.classes_[np.argmax(proba, axis=1)]
        refuse = proba.max(axis=1) < self.threshold_
        if not refuse.any():
            return pred
        out = pred.astype(np.result_type(pred.dtype, np.asarray(self.abstain_label_).dtype))
        out[refuse] = self.abstain_label_
        return out

    def predict_proba(self, X):
        """Class probabilities of the classifier (unchanged by the threshold).

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
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def selective_report(self, X, y):
        """Coverage and accuracies on labelled data at the fitted threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.
        y : array-like of shape (n_samples,)
            True labels.

        Returns
        -------
        report : Bunch
            ``coverage`` (fraction answered), ``selective_accuracy`` (accuracy on the
            answered samples; nan when none), ``accuracy`` (of the classifier answering
            everything), ``n_answered``.
        """
        check_is_fitted(self)
        y = np.asarray(y)
        proba = self.estimator_.predict_proba(X)
        pred = self.classes_[np.argmax(proba, axis=1)]
        answered = proba.max(axis=1) >= self.threshold_
        n = int(answered.sum())
        right = pred == y
        return Bunch(coverage=n / len(y),
                     selective_accuracy=float(right[answered].mean()) if n else float("nan"),
                     accuracy=float(right.mean()), n_answered=n)

    def score(self, X, y, sample_weight=None):
        """Selective accuracy: the accuracy on the samples the classifier answers.

        Abstentions are left out (the coverage is in :meth:`selective_report`); when every
        sample is declined the score is 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights.

        Returns
        -------
        score : float
            Selective accuracy.
        """
        check_is_fitted(self)
        y = np.asarray(y)
        proba = self.estimator_.predict_proba(X)
        answered = proba.max(axis=1) >= self.threshold_
        if not answered.any():
            return 0.0
        right = self.classes_[np.argmax(proba, axis=1)] == y
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        return float(np.sum(w * right * answered) / np.sum(w * answered))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.input_tags = inner.input_tags
        tags.non_deterministic = inner.non_deterministic
        return tags

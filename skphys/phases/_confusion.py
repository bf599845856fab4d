"""Learning by confusion: locate a phase transition without knowing the phases."""

import time
import warnings
from numbers import Integral

import joblib
import numpy as np
from scipy.signal import find_peaks
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import ClassifierTags, _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ..base._interrupt import InterruptGuard, discard_fitted_attributes
from ._multitask import _OutputView, boundary_logits, multitask_network

__all__ = ["ConfusionPhaseFinder"]


def _refit_has(attr):
    def check(self):
        if self.refit is False:
            raise AttributeError(f"{attr} is available only with refit=True.")
        estimator = getattr(self, "best_estimator_", None)
        if estimator is None:
            estimator = self._estimator()
        getattr(estimator, attr)  # raises AttributeError when the classifier lacks it
        return True

    return check


class ConfusionPhaseFinder(MetaEstimatorMixin, BaseEstimator):
    """Find a phase transition by learning by confusion.

    For every proposed boundary ``c`` of the tuning parameter ``y`` (temperature, chemical
    potential, disorder strength, ...), the samples are relabelled ``y > c`` and a classifier is
    trained and scored by cross-validation. Relabelling at the true transition agrees with the
    physics and is easy to learn; anywhere else part of one phase carries both labels. The
    accuracy against ``c`` is therefore W-shaped: trivially 1 at both ends of the range, with an
    interior peak at the transition (van Nieuwenburg, Liu & Huber 2017).

    With ``strategy="multitask"`` one network with one binary output per boundary is trained
    once per fold, and the per-output scores give the same curve (Arnold, Schäfer & Lörch
    2023): the cost no longer grows with the number of boundaries.

    Every fit (boundary x fold for ``"scan"``, fold for ``"multitask"``) runs through
    :mod:`joblib`, so ``n_jobs`` spreads them over local cores and
    ``with joblib.parallel_backend("dask"):`` over a dask.distributed cluster. Fits of skphys
    (torch) networks that share a process take turns, since torch seeds them through its
    process-global generator: parallelism comes from processes (joblib's default loky
    backend, dask workers with ``threads_per_worker=1``), and results do not depend on it.

    Parameters
    ----------
    estimator : classifier, default=None
        The classifier trained at each boundary (cloned; any scikit-learn or skphys
        classifier, or a pipeline ending in one). None means
        ``skphys.neural_network.MLPClassifier()``. With ``strategy="multitask"`` it must be a
        skphys neural estimator (``MLPClassifier``, ``CNNClassifier``, ...), whose network is
        trained with one logistic output per boundary.
    boundaries : int, array-like or None, default=None
        Proposed transition points. None: the midpoints between the sorted unique values of
        ``y``. An int ``n``: ``n`` points evenly spaced strictly inside ``[min(y), max(y)]``.
        An array: those points (sorted, duplicates dropped), each in ``[min(y), max(y))``
        (elsewhere every sample would get the same label: refused). A sample whose ``y``
        equals a boundary is labelled "below" (0): the label is ``y > c``.
    strategy : {"scan", "multitask"}, default="scan"
        "scan" trains one classifier per boundary and fold; "multitask" trains one network
        per fold with an output per boundary.
    cv : int, cross-validation generator or iterable, default=3
        Splits for scoring. An int ``k``: ``k`` shuffled folds stratified by the value of
        ``y`` (every temperature in every fold) when each value occurs at least ``k`` times,
        plain shuffled ``KFold`` otherwise. A splitter's ``split(X, codes)`` receives the index
        of each sample's ``y`` among the sorted unique values, so ``StratifiedKFold`` works.
    scoring : str, callable or None, default=None
        How each boundary is scored on held-out data (a scikit-learn scorer name or callable);
        None is the classifier's ``score`` (accuracy), as in the original method.
    n_jobs : int or None, default=None
        Number of fits run in parallel (joblib); None means 1 unless in a
        :func:`joblib.parallel_backend` context.
    refit : bool, default=True
        Refit the classifier on all data labelled ``y > critical_point_``, for
        :meth:`predict`, :meth:`predict_proba` and :meth:`score`.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and every fit: nested ``random_state`` parameters of ``estimator``
        that are None get one seed drawn from it, so the same value gives the same
        ``scores_`` sequentially, with ``n_jobs`` or on a dask cluster.
    verbose : int, default=0
        joblib's progress messages.
    pre_dispatch : int or str, default="2*n_jobs"
        How many fits joblib dispatches ahead (as in :class:`~sklearn.model_selection.GridSearchCV`).

    Attributes
    ----------
    boundaries_ : ndarray of shape (n_boundaries,)
        The proposed boundaries, sorted.
    scores_ : ndarray of shape (n_boundaries,)
        Mean held-out score at each boundary (the W curve).
    scores_std_ : ndarray of shape (n_boundaries,)
        Standard deviation of the score over the folds.
    critical_point_ : float
        The transition: the most prominent interior maximum of ``scores_``, refined between
        grid points by the vertex of a parabola through it and its two neighbours.
    critical_index_ : int
        Index of that maximum in ``boundaries_``.
    cv_results_ : dict of ndarray
        Per boundary: ``boundary``, ``mean_test_score``, ``std_test_score``,
        ``split<k>_test_score``, ``trivial_score`` (the accuracy of always answering the
        majority label, the curve's floor near the ends), ``mean_fit_time``, ``std_fit_time``.
    n_splits_ : int
        Number of cross-validation folds.
    scorer_ : callable
        The scorer used on held-out data.
    best_estimator_ : estimator
        The classifier refitted at ``critical_point_`` (with ``refit=True``).
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: below and above the critical point (with ``refit=True``).
    refit_time_ : float
        Seconds spent refitting.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    phase_crossing : The supervised route: T_c where a trained classifier's output crosses 1/2.
    skphys.plotting.ConfusionCurveDisplay : Plot of the W curve.
    sklearn.model_selection.validation_curve : Scores along a parameter, the same machinery.

    Notes
    -----
    Each classifier sees only ``X`` and the relabelled target, never ``y`` itself. The ends of
    the curve are trivial (nearly every sample carries one label), so the transition is the
    interior peak, found by prominence (:func:`scipy.signal.find_peaks`): its height above the
    higher of the two minima that separate it from the ends. When a training fold holds one
    label only, the fold is scored with the constant prediction.

    A Ctrl-C stops the scan within one fit (run sequentially, the interrupt is taken between
    fits, even when the classifier would catch it; with ``n_jobs`` or dask, joblib stops its
    workers): a partial curve locates nothing, so the finder is left unfitted, warns and
    re-raises the :class:`KeyboardInterrupt` (a search or a loop over system sizes stops too).
    Interrupted during the final refit, the finder keeps the completed scan and the refitted
    classifier's last complete epoch.

    References
    ----------
    E. P. L. van Nieuwenburg, Y.-H. Liu and S. D. Huber, "Learning phase transitions by
    confusion", Nature Physics 13, 435 (2017).

    J. Arnold, F. Schäfer and N. Lörch, "Fast detection of phase transitions with multi-task
    learning-by-confusion", arXiv:2311.09128 (2023).

    Examples
    --------
    A feature whose distribution jumps between ``y = 0.5`` and ``y = 0.55``:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skphys.phases import ConfusionPhaseFinder
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.linspace(0, 1, 21), 30)
    >>> X = rng.normal(size=(len(y), 2)) + 4 * (y > 0.52)[:, None]
    >>> finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0).fit(X, y)
    >>> round(float(finder.critical_point_), 2)
    0.52
    >>> finder.scores_.round(2)[[0, 5, 10, 15, 19]]  # W: 1 at the ends and at the transition
    array([0.95, 0.76, 1.  , 0.77, 0.95])
    >>> finder.predict([[0.0, 0.0], [4.0, 4.0]])
    array([0, 1])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "boundaries": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "strategy": [StrOptions({"scan", "multitask"})],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "pre_dispatch": [Integral, str],
    }

    def __init__(
        self,
        estimator=None,
        *,
        boundaries=None,
        strategy="scan",
        cv=3,
        scoring=None,
        n_jobs=None,
        refit=True,
        random_state=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
    ):
        self.estimator = estimator
        self.boundaries = boundaries
        self.strategy = strategy
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.random_state = random_state
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch

    # ---- fitting ------------------------------------------------------------------------
    def _estimator(self):
        if self.estimator is None:
            from ..neural_network import MLPClassifier

            return MLPClassifier()
        return self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Scan the proposed boundaries and locate the transition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples (spin configurations, spectra, ...); passed to the classifier as they are.
        y : array-like of shape (n_samples,)
            The tuning parameter of each sample (temperature, coupling, disorder, ...).

        Returns
        -------
        self : object
            The fitted finder.
        """
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=None, allow_nd=True,
            ensure_all_finite=False, y_numeric=True,
        )
        y = _tuning_parameter(y)
        values, codes = np.unique(y, return_inverse=True)
        if len(values) < 2:
            n = len(y)
            raise ValueError(
                "y (the tuning parameter) must take at least 2 distinct values to propose a "
                f"boundary; got only {values[0]!r} in {n} sample{'s' if n > 1 else ''}."
            )
        self.boundaries_ = self._make_boundaries(values)
        rng = check_random_state(self.random_state)
        estimator = _seed_estimator(clone(self._estimator()), rng)
        network = multitask_network(estimator) if self.strategy == "multitask" else None
        cv = self._make_cv(codes, rng)
        splits = list(cv.split(X, codes))
        self.n_splits_ = len(splits)
        self.scorer_ = check_scoring(estimator, scoring=self.scoring)
        try:
            scores, fit_times = self._scan(estimator, network, X, y, splits)
        except KeyboardInterrupt:
            # a part of the curve locates nothing: stop at once, unfitted, and pass it on
            discard_fitted_attributes(self)
            warnings.warn(
                "Training interrupted by user: ConfusionPhaseFinder stopped its scan after "
                f"{self._fits_done} of {self._fits_total} fits; a partial confusion curve "
                "does not locate the transition, so the finder is left unfitted.",
                UserWarning, stacklevel=3)
            raise

        n_s = len(splits)
        self.scores_ = scores.mean(axis=1)
        self.scores_std_ = scores.std(axis=1)
        above = _phase_labels(y, self.boundaries_).mean(axis=0)
        self.cv_results_ = {
            "boundary": self.boundaries_.copy(),
            "mean_test_score": self.scores_,
            "std_test_score": self.scores_std_,
            **{f"split{k}_test_score": scores[:, k] for k in range(n_s)},
            "trivial_score": np.maximum(above, 1 - above),
            "mean_fit_time": fit_times.mean(axis=1),
            "std_fit_time": fit_times.std(axis=1),
        }
        self.critical_index_, self.critical_point_ = _interior_peak(self.boundaries_, self.scores_)

        if self.refit:
            t0 = time.perf_counter()
            labels = _phase_labels(y, self.critical_point_)
            if np.unique(labels).size < 2:  # pragma: no cover - the peak is interior
                self.best_estimator_ = DummyClassifier(strategy="most_frequent")
            else:
                self.best_estimator_ = clone(estimator)
            interrupted = False
            try:
                self.best_estimator_.fit(X, labels)
            except KeyboardInterrupt:
                interrupted = True
            self.refit_time_ = time.perf_counter() - t0
            self.classes_ = np.array([0, 1])
            if interrupted:
                try:
                    check_is_fitted(self.best_estimator_)
                except NotFittedError:
                    discard_fitted_attributes(self)
                raise KeyboardInterrupt
        return self

    def _scan(self, estimator, network, X, y, splits):
        """The fits of the scan through joblib: (scores, fit times), each (n_boundaries, n_splits).

        Run sequentially, a Ctrl-C is taken at the next fit boundary (an inner skphys fit
        re-raises it at its next epoch; any other classifier finishes its fit first), so the
        scan stops within one fit. Run in parallel, joblib stops its workers.
        """
        parallel = Parallel(n_jobs=self.n_jobs, verbose=self.verbose,
                            pre_dispatch=self.pre_dispatch)
        n_b, n_s = len(self.boundaries_), len(splits)
        if self.strategy == "scan":
            jobs = [(_fit_and_score_boundary, (estimator, X, y, b, train, test, self.scorer_))
                    for b in self.boundaries_ for train, test in splits]
        else:
            jobs = [(_fit_and_score_multitask,
                     (network, X, y, self.boundaries_, train, test, self.scorer_))
                    for train, test in splits]
        self._fits_done, self._fits_total = 0, len(jobs)
        sequential = joblib.effective_n_jobs(self.n_jobs) == 1
        with InterruptGuard() if sequential else _no_guard() as guard:

            def tasks():
                for fn, args in jobs:
                    guard.check()
                    yield delayed(fn)(*args)
                    self._fits_done += 1

            out = parallel(tasks())
            guard.check()
        if self.strategy == "scan":
            scores = np.array([s for s, _ in out]).reshape(n_b, n_s)
            fit_times = np.array([t for _, t in out]).reshape(n_b, n_s)
        else:
            scores = np.column_stack([s for s, _ in out])
            # one fit serves every boundary: its time is shared among them
            fit_times = np.tile([t / n_b for _, t in out], (n_b, 1))
        return scores, fit_times

    def _make_boundaries(self, values):
        if self.boundaries is None:
            return (values[1:] + values[:-1]) / 2
        if isinstance(self.boundaries, Integral):
            return np.linspace(values[0], values[-1], self.boundaries + 2)[1:-1]
        try:
            b = np.asarray(self.boundaries, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("The 'boundaries' parameter of ConfusionPhaseFinder must hold "
                             f"numbers; got {self.boundaries!r}.") from None
        if b.ndim > 1:
            raise ValueError("The 'boundaries' parameter of ConfusionPhaseFinder must be a "
                             f"1-D array of values of y; got shape {b.shape}.")
        b = np.unique(b.ravel())
        if b.size == 0 or not np.all(np.isfinite(b)):
            raise ValueError("boundaries must hold at least one finite value.")
        lo, hi = values[0], values[-1]
        outside = b[(b < lo) | (b >= hi)]
        if outside.size:
            raise ValueError(
                "The 'boundaries' parameter of ConfusionPhaseFinder must lie in the range of "
                f"y, [{lo:g}, {hi:g}) (a boundary below min(y) or at/above max(y) gives every "
                f"sample the same label); got {', '.join(f'{v:g}' for v in outside)}.")
        return b

    def _make_cv(self, codes, rng):
        if isinstance(self.cv, Integral):
            seed = rng.randint(np.iinfo(np.int32).max)
            if np.bincount(codes).min() >= self.cv:
                return StratifiedKFold(self.cv, shuffle=True, random_state=seed)
            return KFold(self.cv, shuffle=True, random_state=seed)
        return check_cv(self.cv)

    # ---- the refitted phase classifier --------------------------------------------------
    def _validated_X(self, X):
        check_is_fitted(self)
        if not self.refit:
            raise AttributeError("This method is available only with refit=True.")
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=None,
                             allow_nd=True, ensure_all_finite=False)

    @available_if(_refit_has("predict"))
    def predict(self, X):
        """Phase of each sample: 1 above ``critical_point_``, 0 below.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples.

        Returns
        -------
        phase : ndarray of shape (n_samples,)
            0 or 1.
        """
        X = self._validated_X(X)
        return self.best_estimator_.predict(X)

    @available_if(_refit_has("predict_proba"))
    def predict_proba(self, X):
        """Probability of each phase, columns ``[below, above]`` the critical point.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Phase probabilities.
        """
        X = self._validated_X(X)
        return self.best_estimator_.predict_proba(X)

    @available_if(_refit_has("decision_function"))
    def decision_function(self, X):
        """The refitted classifier's decision function (positive above the critical point).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples.

        Returns
        -------
        score : ndarray of shape (n_samples,)
            Decision values.
        """
        X = self._validated_X(X)
        return self.best_estimator_.decision_function(X)

    @available_if(_refit_has("predict"))
    def score(self, X, y):
        """Score of the phase classification, with ``y`` the tuning parameter.

        The true phase of a sample is ``y > critical_point_``; the score is that of
        ``scorer_`` (accuracy by default).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples.
        y : array-like of shape (n_samples,)
            Tuning parameter of each sample.

        Returns
        -------
        score : float
            Score of the phases predicted for ``X``.
        """
        X = self._validated_X(X)
        y = _tuning_parameter(column_or_1d(y, warn=True))
        check_consistent_length(X, y)
        return self.scorer_(self.best_estimator_, X, _phase_labels(y, self.critical_point_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True  # left to the classifier (e.g. an imputing pipeline)
        # not a classifier of y (y is a continuous tuning parameter), but its refitted phase
        # classifier has two classes: below and above the critical point
        tags.classifier_tags = ClassifierTags(multi_class=False)
        try:
            inner = self._estimator().__sklearn_tags__()
            tags.input_tags.sparse = inner.input_tags.sparse
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
        except Exception:  # pragma: no cover - third-party estimators without tags
            pass
        return tags


# --------------------------------------------------------------------------------------
# Jobs run by joblib (module-level functions, so every backend can ship them)
# --------------------------------------------------------------------------------------
def _phase_labels(y, boundaries):
    """The confusion labels: 1 where ``y > c`` (strictly above the boundary), 0 at or below.

    ``y`` of shape (n,); ``boundaries`` a scalar (labels of shape (n,)) or an array of shape
    (n_boundaries,) (a multilabel indicator of shape (n, n_boundaries)).
    """
    y = np.asarray(y, dtype=np.float64)
    b = np.asarray(boundaries, dtype=np.float64)
    if b.ndim == 0:
        return (y > b).astype(np.int64)
    return (y[:, None] > b[None, :]).astype(np.int64)


def _tuning_parameter(y):
    """``y`` as finite float64 values, or an error naming it."""
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("y (the tuning parameter: temperature, coupling, ...) must be "
                         "numeric.") from None
    if not np.all(np.isfinite(y)):
        raise ValueError("y (the tuning parameter) contains NaN or infinity.")
    return y


class _no_guard:
    """Stands in for :class:`InterruptGuard` where joblib runs the fits elsewhere."""

    requested = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def check(self):
        pass


def _fit_and_score_boundary(estimator, X, y, boundary, train, test, scorer):
    """Relabel at ``boundary``, fit on ``train``, score on ``test``: (score, fit seconds)."""
    labels = _phase_labels(y, boundary)
    y_train = labels[train]
    if np.unique(y_train).size < 2:
        model = DummyClassifier(strategy="most_frequent")
    else:
        model = clone(estimator)
    t0 = time.perf_counter()
    model.fit(_safe_indexing(X, train), y_train)
    fit_time = time.perf_counter() - t0
    return float(scorer(model, _safe_indexing(X, test), labels[test])), fit_time


def _fit_and_score_multitask(network, X, y, boundaries, train, test, scorer):
    """One multi-task network on ``train``: (per-boundary scores on ``test``, fit seconds)."""
    target = _phase_labels(y, boundaries)  # multilabel indicator
    model = clone(network)
    t0 = time.perf_counter()
    model.fit(_safe_indexing(X, train), target[train])
    fit_time = time.perf_counter() - t0
    X_test = _safe_indexing(X, test)
    logits = boundary_logits(model, X_test)
    scores = np.array([
        scorer(_OutputView(logits[:, j]), X_test, target[test, j].astype(np.int64))
        for j in range(len(boundaries))
    ], dtype=np.float64)
    return scores, fit_time


def _seed_estimator(estimator, rng):
    """Give every nested ``random_state`` left at None one seed drawn from ``rng``."""
    seed = rng.randint(np.iinfo(np.int32).max)
    params = estimator.get_params(deep=True)
    unset = {k: seed for k, v in params.items()
             if (k == "random_state" or k.endswith("__random_state")) and v is None}
    if unset:
        estimator.set_params(**unset)
    return estimator


def _interior_peak(boundaries, scores):
    """(index, refined location) of the most prominent interior maximum of ``scores``."""
    n = len(scores)
    if n >= 3:
        peaks, props = find_peaks(scores, prominence=(None, None))
    else:
        peaks = np.array([], dtype=int)
    if len(peaks) == 0:
        if n >= 3:
            warnings.warn(
                "The confusion curve has no interior maximum: the scanned boundaries may not "
                "bracket the transition, or the classifier cannot tell the phases apart. "
                "critical_point_ is the best interior boundary.",
                UserWarning,
            )
            i = 1 + int(np.argmax(scores[1:-1]))
        else:
            i = int(np.argmax(scores))
        return i, float(boundaries[i])
    # most prominent; ties broken by the higher score
    order = np.lexsort((scores[peaks], props["prominences"]))
    i = int(peaks[order[-1]])
    return i, _parabola_vertex(boundaries[i - 1 : i + 2], scores[i - 1 : i + 2])


def _parabola_vertex(x, s):
    """Vertex of the parabola through three points, kept between the outer two."""
    x0, x1, x2 = (float(v) for v in x)
    s0, s1, s2 = (float(v) for v in s)
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (s1 - s0) + x1 * (s0 - s2) + x0 * (s2 - s1)) / den
    if not a < 0:  # flat or not a maximum: keep the grid point
        return x1
    b = (x2**2 * (s0 - s1) + x1**2 * (s2 - s0) + x0**2 * (s1 - s2)) / den
    return float(np.clip(-b / (2 * a), x0, x2))

"""A decision threshold chosen to clear precision and recall bars with confidence."""

from numbers import Real

import numpy as np
from scipy.stats import beta
from sklearn.utils import check_consistent_length
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import column_or_1d

__all__ = ["threshold_for_bars"]


@validate_params(
    {"y_true": ["array-like"], "y_score": ["array-like"],
     "precision": [Interval(Real, 0, 1, closed="neither")],
     "recall": [Interval(Real, 0, 1, closed="neither")],
     "confidence": [Interval(Real, 0, 1, closed="neither")]},
    prefer_skip_nested_validation=True,
)
def threshold_for_bars(y_true, y_score, *, precision=0.8, recall=0.9, confidence=0.95):
    """The probability threshold that clears a precision and a recall bar by the widest margin.

    On held-out (validation) data: for every candidate threshold, precision and recall are
    counted at their lower confidence bounds (Jeffreys intervals), so a rate measured on few
    positives earns less trust; the threshold with the largest ``min(precision_lower -
    precision, recall_lower - recall)`` wins (ties: the middle of their interval in
    log-odds). Use it with scikit-learn's ``FixedThresholdClassifier`` (for instance on a
    ``FrozenEstimator``) when a search must meet both bars, as the flake search of
    ``examples/images`` (recall >= 0.9 at precision >= 0.8 with 1:50 imbalance).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        0/1 (or boolean) labels, 1 the class searched for.
    y_score : array-like of shape (n_samples,)
        Probabilities of class 1 (``predict_proba(X)[:, 1]``).
    precision, recall : float in (0, 1), default=0.8 and 0.9
        The bars.
    confidence : float in (0, 1), default=0.95
        One-sided confidence of the lower bounds.

    Returns
    -------
    threshold : float
        Predict class 1 where ``y_score >= threshold``. Where no threshold clears the bars,
        the one that comes closest (the margin is then negative).

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.model_selection import threshold_for_bars
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.zeros(2000, int), np.ones(40, int)]
    >>> p = np.r_[rng.beta(1, 20, 2000), rng.beta(20, 2, 40)]
    >>> t = threshold_for_bars(y, p, precision=0.8, recall=0.9)
    >>> called = p >= t
    >>> bool(y[called].mean() >= 0.8 and called[y == 1].mean() >= 0.9)
    True
    """
    y_true = column_or_1d(y_true)
    y_score = column_or_1d(y_score).astype(float)
    check_consistent_length(y_true, y_score)
    if not np.isin(np.unique(y_true), [0, 1]).all() or not np.any(y_true == 1):
        raise ValueError("y_true must hold 0/1 labels with at least one 1; got the labels "
                         f"{np.unique(y_true)[:10].tolist()}.")
    if not np.all(np.isfinite(y_score)) or y_score.min() < 0 or y_score.max() > 1:
        raise ValueError("y_score must be probabilities in [0, 1] (predict_proba(X)[:, 1]).")
    positive = y_true == 1
    candidates = np.unique(y_score)
    n_pos = int(positive.sum())
    # samples at or above each candidate: all of them, and the positives among them
    called = len(y_score) - np.searchsorted(np.sort(y_score), candidates)
    hits = n_pos - np.searchsorted(np.sort(y_score[positive]), candidates)

    def lower(k, n):
        return beta.ppf(1 - confidence, k + 0.5, n - k + 0.5)

    margin = np.minimum(lower(hits, called) - precision, lower(hits, n_pos) - recall)
    best = candidates[margin >= np.nanmax(margin) - 1e-12]
    ends = np.clip(best[[0, -1]], 1e-7, 1 - 1e-7)
    return float(1 / (1 + np.exp(-np.mean(np.log(ends / (1 - ends))))))

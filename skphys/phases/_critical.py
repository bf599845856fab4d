"""The supervised route to T_c: output crossings and their finite-size extrapolation."""

from numbers import Integral, Real

import numpy as np
from sklearn.isotonic import isotonic_regression
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["phase_crossing", "finite_size_extrapolation"]


@validate_params(
    {
        "estimator": [HasMethods(["predict_proba"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "pos_label": [None, "array-like", Real, str, bool],
        "threshold": [Interval(Real, 0, 1, closed="neither")],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def phase_crossing(estimator, X, y, *, pos_label=None, threshold=0.5, n_bootstrap=200,
                   random_state=None):
    """Critical point where a fitted phase classifier's output crosses ``threshold``.

    Carrasquilla & Melko's supervised recipe: train a classifier on configurations labelled
    by phase, then average its output probability over the samples at each value of the tuning
    parameter ``y`` (temperature); the transition is where that average crosses 1/2. The mean
    curve is made monotone by isotonic regression (weighted by the number of samples at each
    value) and the crossing found by linear interpolation, so statistical wiggles far from the
    transition cannot create spurious crossings. The uncertainty is the standard deviation over
    ``n_bootstrap`` resamplings of the samples within each value of ``y``.

    Parameters
    ----------
    estimator : fitted classifier
        Has ``predict_proba`` and ``classes_``.
    X : array-like of shape (n_samples, ...)
        Samples across the transition (typically not those the classifier was trained on).
    y : array-like of shape (n_samples,)
        Tuning parameter of each sample.
    pos_label : label, default=None
        The class whose probability is followed; None is the last of ``classes_``. For a
        binary classifier the crossing of 1/2 does not depend on this choice.
    threshold : float, default=0.5
        Crossing level.
    n_bootstrap : int, default=200
        Number of bootstrap resamplings for the uncertainty (0: none, ``std`` is NaN).
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``critical_point`` (float), ``std`` (bootstrap standard deviation), ``parameters``
        (sorted unique ``y``), ``mean_proba`` (mean probability of ``pos_label`` at each),
        ``sem_proba`` (its standard error), ``bootstrap`` (the resampled crossings).

    See Also
    --------
    finite_size_extrapolation : Combine crossings of several system sizes.
    ConfusionPhaseFinder : The unsupervised route.

    Notes
    -----
    The bootstrap resamples the evaluation data only: it measures how well ``X`` pins down the
    crossing of *this* classifier. The spread between classifiers trained with other seeds or
    other training samples is not included; for error bars that feed a finite-size
    extrapolation, repeat the training and combine the crossings.

    References
    ----------
    J. Carrasquilla and R. G. Melko, "Machine learning phases of matter", Nature Physics 13,
    431 (2017).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skphys.phases import phase_crossing
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.linspace(0, 1, 21), 50)
    >>> X = rng.normal(y - 0.5, 0.1)[:, None]  # the order parameter grows through 0.5
    >>> clf = LogisticRegression().fit(X, y > 0.5)
    >>> res = phase_crossing(clf, X, y, random_state=0)
    >>> abs(res.critical_point - 0.5) < 0.03, res.std < 0.03
    (True, True)
    """
    check_is_fitted(estimator)
    y = column_or_1d(y, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError("y (the tuning parameter) contains NaN or infinity.")
    classes = np.asarray(estimator.classes_)
    if pos_label is None:
        col = len(classes) - 1
    else:
        matches = np.flatnonzero(classes == pos_label)
        if matches.size == 0:
            raise ValueError(f"pos_label={pos_label!r} is not among classes_ {classes!r}.")
        col = int(matches[0])
    proba = np.asarray(estimator.predict_proba(X))[:, col].astype(np.float64)
    if len(proba) != len(y):
        raise ValueError(f"X has {len(proba)} samples but y has {len(y)}.")
    params, codes = np.unique(y, return_inverse=True)
    if len(params) < 2:
        raise ValueError("y must take at least 2 distinct values to locate a crossing.")
    counts = np.bincount(codes)
    mean = np.bincount(codes, proba) / counts
    sq = np.bincount(codes, proba**2) / counts
    sem = np.sqrt(np.maximum(sq - mean**2, 0) / np.maximum(counts - 1, 1))
    crossing = _crossing(params, mean, counts, threshold)

    rng = check_random_state(random_state)
    boot = np.empty(n_bootstrap)
    order = np.argsort(codes, kind="stable")
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    sorted_proba = proba[order]
    for b in range(n_bootstrap):
        # resample within each value of y: floor(u * count) picks a member of each group
        pick = starts[codes] + (rng.random_sample(len(y)) * counts[codes]).astype(np.int64)
        boot[b] = _crossing(params, np.bincount(codes, sorted_proba[pick]) / counts, counts,
                            threshold)
    std = float(np.nanstd(boot)) if n_bootstrap > 0 else np.nan
    return Bunch(critical_point=crossing, std=std, parameters=params, mean_proba=mean,
                 sem_proba=sem, bootstrap=boot)


def _crossing(x, p, weights, threshold):
    """Where the isotonic fit of ``p(x)`` crosses ``threshold`` (linear interpolation)."""
    # the direction of the trend: the sign of the weighted covariance of x and p
    xm, pm = np.average(x, weights=weights), np.average(p, weights=weights)
    increasing = bool(np.sum(weights * (x - xm) * (p - pm)) >= 0)
    # x is sorted: the isotonic fit is a pool-adjacent-violators pass over p
    fit = isotonic_regression(p, sample_weight=weights, increasing=increasing)
    d = fit - threshold if increasing else threshold - fit
    if d[0] > 0 or d[-1] < 0:
        return np.nan  # never crosses within the scanned range
    above = np.flatnonzero(d > 0)
    below = np.flatnonzero(d < 0)
    if above.size == 0 or below.size == 0:
        return float((x[0] + x[-1]) / 2)
    lo, hi = below[-1], above[0]  # d is monotone: hi > lo, d == 0 strictly between them
    if hi - lo > 1:  # a plateau exactly at the threshold: its middle
        return float((x[lo + 1] + x[hi - 1]) / 2)
    return float(x[lo] + (x[hi] - x[lo]) * (-d[lo]) / (d[hi] - d[lo]))


@validate_params(
    {
        "sizes": ["array-like"],
        "critical_points": ["array-like"],
        "nu": [Interval(Real, 0, None, closed="neither")],
        "std": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def finite_size_extrapolation(sizes, critical_points, *, nu=1.0, std=None):
    """Extrapolate finite-size critical points to the thermodynamic limit.

    Finite-size scaling: a pseudo-critical point of a system of linear size ``L`` approaches
    the true one as ``T_c(L) = T_c + a L^(-1/nu)``. A weighted least-squares line in
    ``L^(-1/nu)`` gives ``T_c`` (its intercept) and ``a``. For the 2-D Ising model ``nu = 1``.

    Parameters
    ----------
    sizes : array-like of shape (n_sizes,)
        Linear system sizes ``L`` (at least 2 distinct).
    critical_points : array-like of shape (n_sizes,)
        The critical point estimated at each size (e.g. :func:`phase_crossing`).
    nu : float, default=1.0
        Correlation-length exponent.
    std : array-like of shape (n_sizes,) or None, default=None
        Uncertainty of each critical point; the fit is weighted by ``1 / std**2`` and the
        returned uncertainties propagate them. None: unweighted, uncertainties from the
        scatter of the residuals (NaN with only 2 sizes).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``critical_point`` (the ``L -> infinity`` value), ``std`` (its uncertainty),
        ``amplitude`` (``a``), ``amplitude_std``, ``x`` (``L^(-1/nu)``) and ``nu``.

    See Also
    --------
    phase_crossing : The crossing at one size, with a bootstrap uncertainty.

    Examples
    --------
    >>> from skphys.phases import finite_size_extrapolation
    >>> L = [8, 16, 32]
    >>> Tc_L = [2.269 + 0.8 / l for l in L]
    >>> res = finite_size_extrapolation(L, Tc_L)
    >>> round(res.critical_point, 3), round(res.amplitude, 2)
    (2.269, 0.8)
    """
    sizes = column_or_1d(sizes, dtype=np.float64)
    tc = column_or_1d(critical_points, dtype=np.float64)
    if len(sizes) != len(tc):
        raise ValueError(f"sizes has {len(sizes)} entries but critical_points has {len(tc)}.")
    if np.any(sizes <= 0) or len(np.unique(sizes)) < 2:
        raise ValueError("sizes must be positive and hold at least 2 distinct values.")
    if not np.all(np.isfinite(tc)):
        raise ValueError("critical_points contains NaN or infinity.")
    x = sizes ** (-1.0 / nu)
    A = np.column_stack([np.ones_like(x), x])
    if std is not None:
        std = column_or_1d(std, dtype=np.float64)
        if len(std) != len(tc) or np.any(~(std > 0)):
            raise ValueError("std must hold one positive uncertainty per size.")
        w = 1.0 / std
        coef, *_ = np.linalg.lstsq(A * w[:, None], tc * w, rcond=None)
        cov = np.linalg.inv((A * w[:, None] ** 2).T @ A)
    else:
        coef, *_ = np.linalg.lstsq(A, tc, rcond=None)
        dof = len(tc) - 2
        s2 = np.sum((tc - A @ coef) ** 2) / dof if dof > 0 else np.nan
        cov = s2 * np.linalg.inv(A.T @ A)
    err = np.sqrt(np.diag(cov))
    return Bunch(critical_point=float(coef[0]), std=float(err[0]), amplitude=float(coef[1]),
                 amplitude_std=float(err[1]), x=x, nu=float(nu))

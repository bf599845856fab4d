"""Display for selective classification: accuracy on the answered samples against coverage."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["CoverageAccuracyDisplay"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


class CoverageAccuracyDisplay:
    """Selective accuracy against coverage: what refusing to answer buys.

    Each point is a confidence threshold: the fraction of samples a classifier answers
    (coverage) and its accuracy on them. Create it with :meth:`from_estimator` (any fitted
    classifier with ``predict_proba``; a fitted
    :class:`~skphys.model_selection.ConfidenceThresholdClassifier` also gets its operating
    point marked) or :meth:`from_predictions`. Several curves go on one axes by passing
    ``ax``.

    Parameters
    ----------
    coverage : ndarray of shape (n_thresholds,)
        Fraction of samples answered.
    selective_accuracy : ndarray of shape (n_thresholds,)
        Accuracy on the answered samples.
    thresholds : ndarray of shape (n_thresholds,) or None, default=None
        The confidence thresholds.
    name : str or None, default=None
        Legend label of the curve.
    operating_point : (float, float) or None, default=None
        ``(coverage, selective_accuracy)`` of a fitted threshold, drawn as a marker.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.
    point_ : matplotlib Line2D or None
        The operating point's marker.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure of the axes.

    See Also
    --------
    skphys.model_selection.coverage_accuracy_curve : Computes the curve.
    skphys.model_selection.ConfidenceThresholdClassifier : Abstains below a threshold.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skphys.plotting import CoverageAccuracyDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(C=0.01).fit(X[:1000] / 16, y[:1000])
    >>> disp = CoverageAccuracyDisplay.from_estimator(clf, X[1000:] / 16, y[1000:])
    >>> bool(disp.selective_accuracy[0] > disp.selective_accuracy[-1])
    True
    """

    def __init__(self, coverage, selective_accuracy, *, thresholds=None, name=None,
                 operating_point=None):
        self.coverage = coverage
        self.selective_accuracy = selective_accuracy
        self.thresholds = thresholds
        self.name = name
        self.operating_point = operating_point

    @classmethod
    def from_predictions(cls, y_true, y_proba, *, classes=None, name=None, ax=None,
                         **kwargs):
        """Plot the curve of given probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_proba : array-like of shape (n_samples, n_classes)
            Class probabilities.
        classes : array-like of shape (n_classes,) or None, default=None
            Labels of the columns (None: the sorted labels of ``y_true``).
        name : str or None, default=None
            Legend label.
        ax : matplotlib Axes or None, default=None
            Axes to draw on (a new figure when None).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : CoverageAccuracyDisplay
            The plotted display.
        """
        from ..model_selection import coverage_accuracy_curve

        cov, acc, thr = coverage_accuracy_curve(y_true, y_proba, classes=classes)
        return cls(cov, acc, thresholds=thr, name=name).plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, name=None, ax=None, **kwargs):
        """Plot the curve of a fitted classifier on ``X, y``.

        Parameters
        ----------
        estimator : estimator object
            A fitted classifier with ``predict_proba`` (not refitted). For a
            :class:`~skphys.model_selection.ConfidenceThresholdClassifier` the coverage and
            selective accuracy at its ``threshold_`` are marked.
        X : array-like of shape (n_samples, ...)
            Input data.
        y : array-like of shape (n_samples,)
            True labels.
        name : str or None, default=None
            Legend label (default: the class name of the classifier).
        ax : matplotlib Axes or None, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : CoverageAccuracyDisplay
            The plotted display.
        """
        from ..model_selection import ConfidenceThresholdClassifier, coverage_accuracy_curve

        check_is_fitted(estimator)
        inner = estimator
        point = None
        if isinstance(estimator, ConfidenceThresholdClassifier):
            report = estimator.selective_report(X, y)
            point = (report.coverage, report.selective_accuracy)
            inner = estimator.estimator_
        cov, acc, thr = coverage_accuracy_curve(y, estimator.predict_proba(X),
                                                classes=estimator.classes_)
        name = type(inner).__name__ if name is None else name
        return cls(cov, acc, thresholds=thr, name=name, operating_point=point).plot(
            ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curve (and the operating point, if any).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on (a new figure when None).
        name : str or None, default=None
            Legend label (overrides the display's).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : CoverageAccuracyDisplay
            ``self``, with ``line_``, ``point_``, ``ax_`` and ``figure_`` set.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name
        (self.line_,) = ax.plot(self.coverage, self.selective_accuracy, label=name, **kwargs)
        self.point_ = None
        if self.operating_point is not None:
            (self.point_,) = ax.plot(*self.operating_point, "o", color=self.line_.get_color())
        ax.set_xlabel("coverage (fraction of samples answered)")
        ax.set_ylabel("accuracy on the answered samples")
        ax.set_xlim(0, 1.02)
        lows = [np.nanmin(np.asarray(line.get_ydata(), dtype=float)) for line in ax.lines
                if len(line.get_ydata())]
        ax.set_ylim(max(0.0, min(lows) - 0.02), 1.01)  # every curve on the axes in view
        if name is not None:
            ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

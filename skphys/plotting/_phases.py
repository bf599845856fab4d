"""Displays for phase transitions: the confusion (W) curve."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["ConfusionCurveDisplay"]


class ConfusionCurveDisplay:
    """The W-shaped accuracy curve of learning by confusion.

    Plots the held-out score against the proposed boundary, its spread over the folds, the
    trivial score of always answering the majority label, and the critical point. Create it
    with :meth:`from_estimator` from a fitted
    :class:`~skphys.phases.ConfusionPhaseFinder`, or directly from arrays.

    Parameters
    ----------
    boundaries : ndarray of shape (n_boundaries,)
        Proposed boundaries.
    scores : ndarray of shape (n_boundaries,)
        Mean held-out score at each boundary.
    scores_std : ndarray of shape (n_boundaries,) or None, default=None
        Spread of the score over the folds (drawn as a band).
    trivial_scores : ndarray of shape (n_boundaries,) or None, default=None
        Score of the majority-label guess (drawn dashed).
    critical_point : float or None, default=None
        Marked by a vertical line.
    reference : float or None, default=None
        A known transition (e.g. Onsager's T_c), marked by a dotted line.
    parameter_name : str, default="tuning parameter"
        Label of the x axis.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The score curve.
    band_ : matplotlib PolyCollection or None
        The fold spread.
    critical_line_ : matplotlib Line2D or None
        The critical point.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure of the axes.

    See Also
    --------
    skphys.phases.ConfusionPhaseFinder : Computes the curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skphys.phases import ConfusionPhaseFinder
    >>> from skphys.plotting import ConfusionCurveDisplay
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.linspace(0, 1, 11), 20)
    >>> X = rng.normal(size=(len(y), 1)) + 4 * (y > 0.55)[:, None]
    >>> finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0).fit(X, y)
    >>> disp = ConfusionCurveDisplay.from_estimator(finder, reference=0.55)
    >>> disp.line_.get_xydata().shape
    (10, 2)
    """

    def __init__(self, boundaries, scores, *, scores_std=None, trivial_scores=None,
                 critical_point=None, reference=None, parameter_name="tuning parameter"):
        self.boundaries = boundaries
        self.scores = scores
        self.scores_std = scores_std
        self.trivial_scores = trivial_scores
        self.critical_point = critical_point
        self.reference = reference
        self.parameter_name = parameter_name

    @classmethod
    def from_estimator(cls, estimator, *, reference=None, parameter_name="tuning parameter",
                       ax=None, **kwargs):
        """Plot the curve of a fitted :class:`~skphys.phases.ConfusionPhaseFinder`.

        Parameters
        ----------
        estimator : ConfusionPhaseFinder
            A fitted finder.
        reference : float or None, default=None
            A known transition to mark.
        parameter_name : str, default="tuning parameter"
            Label of the x axis.
        ax : matplotlib Axes or None, default=None
            Axes to plot on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the score curve.

        Returns
        -------
        display : ConfusionCurveDisplay
            The display, plotted.
        """
        check_is_fitted(estimator, "scores_")
        disp = cls(
            estimator.boundaries_,
            estimator.scores_,
            scores_std=estimator.scores_std_,
            trivial_scores=estimator.cv_results_.get("trivial_score"),
            critical_point=estimator.critical_point_,
            reference=reference,
            parameter_name=parameter_name,
        )
        return disp.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, label=None, show_trivial=True, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to plot on; None makes a new figure.
        label : str or None, default=None
            Legend label of the score curve.
        show_trivial : bool, default=True
            Draw the majority-label score.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the score curve.

        Returns
        -------
        display : ConfusionCurveDisplay
            This display.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        x = np.asarray(self.boundaries, dtype=float)
        s = np.asarray(self.scores, dtype=float)
        kwargs.setdefault("marker", "o")
        (self.line_,) = ax.plot(x, s, label=label or "held-out score", **kwargs)
        self.band_ = None
        if self.scores_std is not None:
            sd = np.asarray(self.scores_std, dtype=float)
            self.band_ = ax.fill_between(x, s - sd, s + sd, alpha=0.2,
                                         color=self.line_.get_color(), linewidth=0)
        if show_trivial and self.trivial_scores is not None:
            ax.plot(x, self.trivial_scores, "--", color="grey", label="majority label")
        self.critical_line_ = None
        if self.critical_point is not None:
            self.critical_line_ = ax.axvline(self.critical_point, color=self.line_.get_color(),
                                             label=f"peak {self.critical_point:.4g}")
        if self.reference is not None:
            ax.axvline(self.reference, color="k", linestyle=":",
                       label=f"reference {self.reference:.4g}")
        ax.set_xlabel(f"proposed boundary ({self.parameter_name})")
        ax.set_ylabel("score")
        ax.legend(loc="lower right", fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

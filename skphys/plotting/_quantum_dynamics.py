"""Displays for quantum dynamics: a trajectory of a :class:`~skphys.quantum.TimeEvolution`."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["TrajectoryDisplay"]


class TrajectoryDisplay:
    """An observable (or the energy) against time, with its error band and an exact reference.

    Create it with :meth:`from_estimator` from a fitted
    :class:`~skphys.quantum.TimeEvolution`, or directly from arrays.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
        Times.
    values : ndarray of shape (n_times,)
        The variational (t-VMC) values.
    errors : ndarray of shape (n_times,) or None, default=None
        Monte Carlo standard errors (drawn as a band of two of them).
    reference_times : ndarray or None, default=None
        Times of the exact reference.
    reference : ndarray or None, default=None
        The exact values (e.g. from :func:`~skphys.quantum.exact_evolution`), drawn dashed.
    name : str, default="value"
        Label of the y axis.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The variational curve.
    band_ : matplotlib PolyCollection or None
        The error band.
    reference_line_ : matplotlib Line2D or None
        The exact curve.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure of the axes.

    See Also
    --------
    skphys.quantum.TimeEvolution : Computes the trajectory.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skphys.quantum import TimeEvolution, TransverseFieldIsing, magnetization
    >>> from skphys.plotting import TrajectoryDisplay
    >>> H = TransverseFieldIsing(4, h=1.0)
    >>> evo = TimeEvolution(H, t_final=0.2, dt=0.02,
    ...                     observables={"sigma_x": magnetization(4)}).fit()
    >>> disp = TrajectoryDisplay.from_estimator(evo, "sigma_x")
    >>> disp.line_.get_xydata().shape
    (11, 2)
    """

    def __init__(self, times, values, *, errors=None, reference_times=None, reference=None,
                 name="value"):
        self.times = times
        self.values = values
        self.errors = errors
        self.reference_times = reference_times
        self.reference = reference
        self.name = name

    @classmethod
    def from_estimator(cls, estimator, observable="energy", *, reference=None,
                       reference_times=None, ax=None, **kwargs):
        """Plot one column of a fitted :class:`~skphys.quantum.TimeEvolution`'s trajectory.

        Parameters
        ----------
        estimator : TimeEvolution
            A fitted time evolution.
        observable : str, default="energy"
            ``"energy"`` or the name of one of its ``observables``.
        reference : ndarray or None, default=None
            Exact values to compare with (same times as the trajectory unless
            ``reference_times`` is given).
        reference_times : ndarray or None, default=None
            Times of ``reference``.
        ax : matplotlib Axes or None, default=None
            Axes to plot on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the variational curve.

        Returns
        -------
        display : TrajectoryDisplay
            The display, plotted.
        """
        check_is_fitted(estimator, "trajectory_")
        tr = estimator.trajectory_
        if observable not in tr or observable.endswith("_error") or observable == "time":
            names = [k for k in tr if k not in ("time", "tdvp_error", "rank")
                     and not k.endswith("_error")]
            raise ValueError(f"observable must be one of {names}, got {observable!r}")
        if reference is not None and reference_times is None:
            reference_times = tr["time"]
        disp = cls(tr["time"], tr[observable], errors=tr.get(observable + "_error"),
                   reference_times=reference_times, reference=reference, name=observable)
        return disp.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, label="t-VMC", **kwargs):
        """Draw the trajectory.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to plot on; None makes a new figure.
        label : str, default="t-VMC"
            Legend label of the variational curve.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : TrajectoryDisplay
            This display.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        t = np.asarray(self.times, dtype=float)
        v = np.asarray(self.values, dtype=float)
        (self.line_,) = ax.plot(t, v, label=label, **kwargs)
        self.band_ = None
        if self.errors is not None and np.any(np.asarray(self.errors) > 0):
            e = 2.0 * np.asarray(self.errors, dtype=float)
            self.band_ = ax.fill_between(t, v - e, v + e, alpha=0.25,
                                         color=self.line_.get_color(), linewidth=0)
        self.reference_line_ = None
        if self.reference is not None:
            (self.reference_line_,) = ax.plot(np.asarray(self.reference_times, dtype=float),
                                              np.asarray(self.reference, dtype=float), "k--",
                                              label="exact")
        ax.set_xlabel("time t (1/J)")
        ax.set_ylabel(self.name)
        ax.legend(loc="best", fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

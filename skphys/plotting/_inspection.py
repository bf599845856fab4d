"""Displays for inspection and vulnerability: dreams and robustness curves."""

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["DreamDisplay", "RobustnessCurveDisplay"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


class RobustnessCurveDisplay:
    """Accuracy under attack against the perturbation bound ``eps``.

    Create it with :meth:`from_estimator` (a fitted classifier, attacked on ``X, y``), with
    :meth:`from_perturber` (a fitted :class:`~skphys.adversarial.AdversarialPerturber`), or
    directly from arrays. Several curves (clean, noise-trained, adversarially trained
    models) go on one axes by passing ``ax``.

    Parameters
    ----------
    eps : ndarray of shape (n_eps,)
        Perturbation bounds.
    accuracy : ndarray of shape (n_eps,)
        Adversarial accuracy at each bound.
    mean_norm : ndarray of shape (n_eps,) or None, default=None
        Mean size of the perturbations applied (kept for reference, not drawn).
    name : str or None, default=None
        Legend label of the curve.
    attack : str or None, default=None
        Name of the attack, for the axis label.
    norm : {"inf", 2} or None, default=None
        Norm of ``eps``, for the axis label.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure of the axes.

    See Also
    --------
    skphys.adversarial.AdversarialPerturber.robustness_curve : Computes the curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skphys.neural_network import MLPClassifier
    >>> from skphys.plotting import RobustnessCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier((32,), max_iter=20, random_state=0).fit(X / 16, y)
    >>> disp = RobustnessCurveDisplay.from_estimator(
    ...     clf, X[:200] / 16, y[:200], eps=[0, 0.05, 0.1], attack="fgsm", name="MLP")
    >>> disp.line_.get_xydata().shape
    (3, 2)
    >>> bool(disp.accuracy[0] > disp.accuracy[-1])
    True
    """

    def __init__(self, eps, accuracy, *, mean_norm=None, name=None, attack=None, norm=None):
        self.eps = eps
        self.accuracy = accuracy
        self.mean_norm = mean_norm
        self.name = name
        self.attack = attack
        self.norm = norm

    @classmethod
    def from_perturber(cls, perturber, X, y, *, eps=None, name=None, ax=None, **kwargs):
        """Compute the curve of a fitted perturber on ``X, y`` and plot it.

        Parameters
        ----------
        perturber : AdversarialPerturber
            Fitted perturber.
        X : array-like of shape (n_samples, ...)
            Clean inputs.
        y : array-like of shape (n_samples,)
            True labels.
        eps : array-like of float or None, default=None
            Bounds (see :meth:`~skphys.adversarial.AdversarialPerturber.robustness_curve`).
        name : str or None, default=None
            Legend label.
        ax : matplotlib Axes or None, default=None
            Axes to draw on (a new figure when None).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RobustnessCurveDisplay
            The plotted display.
        """
        check_is_fitted(perturber)
        curve = perturber.robustness_curve(X, y, eps=eps)
        disp = cls(curve.eps, curve.accuracy, mean_norm=curve.mean_norm, name=name,
                   attack=curve.attack, norm=curve.norm)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, eps=None, attack="pgd", name=None, ax=None,
                       clip_values="auto", perturber_params=None, **kwargs):
        """Attack a fitted classifier on ``X, y`` for several ``eps`` and plot the accuracy.

        Parameters
        ----------
        estimator : estimator object
            A fitted skphys classifier (or Pipeline ending in one); it is not refitted.
        X : array-like of shape (n_samples, ...)
            Clean inputs; with ``clip_values="auto"`` their range bounds the attack.
        y : array-like of shape (n_samples,)
            True labels.
        eps : array-like of float or None, default=None
            Bounds; None is 0 to 0.2 in 9 steps.
        attack : {"fgsm", "pgd", "bim", "deepfool"}, default="pgd"
            The attack.
        name : str or None, default=None
            Legend label (default: the estimator's class name).
        ax : matplotlib Axes or None, default=None
            Axes to draw on.
        clip_values : "auto", tuple or None, default="auto"
            Passed to the perturber.
        perturber_params : dict or None, default=None
            Other :class:`~skphys.adversarial.AdversarialPerturber` parameters.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RobustnessCurveDisplay
            The plotted display.
        """
        from ..adversarial import AdversarialPerturber

        check_is_fitted(estimator)
        if eps is None:
            eps = np.linspace(0, 0.2, 9)
        perturber = AdversarialPerturber(
            FrozenEstimator(estimator), attack=attack, clip_values=clip_values,
            **(perturber_params or {}),
        ).fit(X)
        name = type(estimator).__name__ if name is None else name
        return cls.from_perturber(perturber, X, y, eps=eps, name=name, ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curve.

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
        display : RobustnessCurveDisplay
            ``self``, with ``line_``, ``ax_`` and ``figure_`` set.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name
        kwargs.setdefault("marker", "o")
        (self.line_,) = ax.plot(self.eps, self.accuracy, label=name, **kwargs)
        norm = {"inf": "L∞", 2: "L2"}.get(self.norm, "")
        attack = "" if self.attack is None else f" ({self.attack})"
        ax.set_xlabel(f"perturbation bound eps {norm}".rstrip())
        ax.set_ylabel(f"accuracy under attack{attack}")
        ax.set_ylim(-0.02, 1.02)
        if name is not None:
            ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class DreamDisplay:
    """A grid of dreams, each titled with its target, probability and honesty measures.

    Create it with :meth:`from_explainer` (one dream per class of a fitted
    :class:`~skphys.inspection.DreamExplainer`) or from a report of
    :meth:`~skphys.inspection.DreamExplainer.dream` with :meth:`from_report`.

    Parameters
    ----------
    dreams : ndarray of shape (n_dreams, ...)
        The dreams.
    titles : list of str
        One title per dream.
    image_shape : tuple of int or None, default=None
        Shape each dream is folded to (default: its own shape if 2-D, else a square).

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        One image per dream.
    axes_ : ndarray of matplotlib Axes
        The grid.
    figure_ : matplotlib Figure
        Figure of the grid.

    See Also
    --------
    skphys.inspection.DreamExplainer : Makes the dreams.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skphys.inspection import DreamExplainer
    >>> from skphys.neural_network import MLPClassifier
    >>> from skphys.plotting import DreamDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = MLPClassifier((32,), max_iter=20, random_state=0)
    >>> explainer = DreamExplainer(mlp, init="class_mean").fit(X / 16, y)
    >>> disp = DreamDisplay.from_explainer(explainer, image_shape=(8, 8))
    >>> len(disp.images_)
    10
    """

    def __init__(self, dreams, titles, *, image_shape=None):
        self.dreams = dreams
        self.titles = titles
        self.image_shape = image_shape

    @classmethod
    def from_report(cls, report, *, image_shape=None, axes=None, **kwargs):
        """Plot the dreams of a :meth:`~skphys.inspection.DreamExplainer.dream` report.

        Parameters
        ----------
        report : Bunch
            The report.
        image_shape : tuple of int or None, default=None
            Shape each dream is folded to.
        axes : array of matplotlib Axes or None, default=None
            One axes per dream (a new figure when None).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : DreamDisplay
            The plotted display.
        """
        titles = []
        for i in range(len(report.dreams)):
            target = report.target[i]
            head = (f"{target[0]}[{target[1]}]: a={report.activation[i]:.2g}"
                    if isinstance(target, tuple) else f"{target}: p={report.proba[i]:.3f}")
            agree = "yes" if report.reference_agrees[i] else "no"
            titles.append(f"{head}\nd/d_nn={report.nearest_distance_ratio[i]:.2f} ref:{agree}")
        disp = cls(report.dreams, titles, image_shape=image_shape)
        return disp.plot(axes=axes, **kwargs)

    @classmethod
    def from_explainer(cls, explainer, *, image_shape=None, axes=None, **kwargs):
        """Dream one sample per class with a fitted explainer and plot them.

        Parameters
        ----------
        explainer : DreamExplainer
            Fitted explainer.
        image_shape : tuple of int or None, default=None
            Shape each dream is folded to (default: the explainer's ``image_shape``).
        axes : array of matplotlib Axes or None, default=None
            One axes per class.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : DreamDisplay
            The plotted display.
        """
        check_is_fitted(explainer)
        if image_shape is None:
            image_shape = explainer.image_shape
        return cls.from_report(explainer.dream_classes(), image_shape=image_shape, axes=axes,
                               **kwargs)

    def _fold(self, dream):
        if self.image_shape is not None:
            return np.reshape(dream, self.image_shape)
        dream = np.squeeze(dream)
        if dream.ndim == 2:
            return dream
        side = int(round(np.sqrt(dream.size)))
        if side * side == dream.size:
            return dream.reshape(side, side)
        return dream.reshape(1, -1)

    def plot(self, axes=None, **kwargs):
        """Draw the dreams.

        Parameters
        ----------
        axes : array of matplotlib Axes or None, default=None
            One axes per dream (a new figure when None).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow` (default ``cmap="gray_r"``).

        Returns
        -------
        display : DreamDisplay
            ``self``, with ``images_``, ``axes_`` and ``figure_`` set.
        """
        plt = _pyplot()
        n = len(self.dreams)
        if axes is None:
            cols = min(n, 5)
            rows = int(np.ceil(n / cols))
            _, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.6 * rows), squeeze=False)
        axes = np.asarray(axes).ravel()
        kwargs.setdefault("cmap", "gray_r")
        self.images_ = []
        for i, ax in enumerate(axes):
            ax.set_axis_off()
            if i >= n:
                continue
            self.images_.append(ax.imshow(self._fold(self.dreams[i]), **kwargs))
            ax.set_title(self.titles[i], fontsize=8)
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self

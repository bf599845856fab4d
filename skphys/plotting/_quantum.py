"""Displays for quantum states: the Rényi-2 entanglement entropy against the cut."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["RenyiEntropyDisplay"]


class RenyiEntropyDisplay:
    """Rényi-2 entropy ``S_2`` of the bipartition ``[0, k) | [k, N)`` against the cut ``k``.

    Create it with :meth:`from_estimator` from a fitted
    :class:`~skphys.quantum.RBMWavefunction` (exact values, or the swap estimator with its
    error bars), optionally beside a reference state's exact entropies, or directly from
    arrays.

    Parameters
    ----------
    cuts : ndarray of shape (n_cuts,)
        Cut positions ``k`` (sites in ``A``).
    entropies : ndarray of shape (n_cuts,)
        ``S_2`` at each cut.
    errors : ndarray of shape (n_cuts,) or None, default=None
        Standard errors (drawn as error bars).
    reference : ndarray of shape (n_cuts,) or None, default=None
        Exact entropies of a reference state (drawn dashed).

    Attributes
    ----------
    line_ : matplotlib ErrorbarContainer or Line2D
        The model's entropies.
    reference_line_ : matplotlib Line2D or None
        The reference.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure of the axes.

    See Also
    --------
    skphys.quantum.RBMWavefunction.renyi_entropy : Computes the entropies.
    skphys.quantum.exact_renyi_entropy : Exact values of a state vector.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skphys.datasets import make_quantum_snapshots
    >>> from skphys.plotting import RenyiEntropyDisplay
    >>> from skphys.quantum import RBMWavefunction
    >>> X, _, state = make_quantum_snapshots(2000, n_sites=6, return_state=True,
    ...                                      random_state=0)
    >>> psi = RBMWavefunction(max_iter=100, random_state=0).fit(X)
    >>> disp = RenyiEntropyDisplay.from_estimator(psi, reference=state)
    >>> disp.cuts.tolist()
    [1, 2, 3, 4, 5]
    """

    def __init__(self, cuts, entropies, *, errors=None, reference=None):
        self.cuts = cuts
        self.entropies = entropies
        self.errors = errors
        self.reference = reference

    @classmethod
    def from_estimator(cls, estimator, *, cuts=None, n_samples=None, random_state=None,
                       reference=None, ax=None, **kwargs):
        """Compute and plot ``S_2`` of a fitted :class:`~skphys.quantum.RBMWavefunction`.

        Parameters
        ----------
        estimator : RBMWavefunction
            A fitted wave function.
        cuts : array-like of int or None, default=None
            Cut positions; None: ``1 .. N - 1``.
        n_samples : int or None, default=None
            Passed to :meth:`~skphys.quantum.RBMWavefunction.renyi_entropy` (None: exact
            where possible).
        random_state : int, RandomState instance or None, default=None
            Seed of the swap estimator.
        reference : ExactState, array-like of shape (2**N,) or None, default=None
            A state whose exact entropies are drawn beside the model's.
        ax : matplotlib Axes or None, default=None
            Axes to plot on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : RenyiEntropyDisplay
            The display, plotted.
        """
        from ..quantum import exact_renyi_entropy

        check_is_fitted(estimator)
        N = estimator.n_features_in_
        cuts = np.arange(1, N) if cuts is None else np.asarray(cuts, dtype=int)
        rng = np.random.RandomState(None if random_state is None else random_state)
        values, errors = [], []
        for k in cuts:
            s2, err = estimator.renyi_entropy(int(k), n_samples=n_samples,
                                              random_state=rng.randint(2**31 - 1),
                                              return_error=True)
            values.append(s2)
            errors.append(err)
        ref = None if reference is None else np.array(
            [exact_renyi_entropy(reference, int(k)) for k in cuts])
        disp = cls(cuts, np.array(values), errors=np.array(errors), reference=ref)
        return disp.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, label=None, **kwargs):
        """Draw the entropies.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to plot on; None makes a new figure.
        label : str or None, default=None
            Legend label of the model's curve.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : RenyiEntropyDisplay
            This display.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        x = np.asarray(self.cuts, dtype=float)
        kwargs.setdefault("marker", "o")
        kwargs.setdefault("capsize", 3)
        self.line_ = ax.errorbar(x, np.asarray(self.entropies, dtype=float),
                                 yerr=self.errors, label=label or "model", **kwargs)
        self.reference_line_ = None
        if self.reference is not None:
            (self.reference_line_,) = ax.plot(x, np.asarray(self.reference, dtype=float),
                                              "k--", label="exact")
        ax.set(xlabel="cut position k (sites in A)", ylabel="Rényi-2 entropy S_2")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

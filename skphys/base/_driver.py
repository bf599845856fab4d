"""The iteration driver: one loop for the fits that skorch does not run.

Variational Monte Carlo, tomography, adjoint design and GAN training are not passes of a
loss over data batches, but from outside they must look like every other skphys fit. The
estimator gives the driver its *state* (what a step changes) and a *step function*; the
driver iterates, records one history, checks each record for divergence (rolling the state
back to the last healthy one), calls the user's callbacks (skorch's protocol: the driver is
passed as ``net``, with ``net.history`` and ``net.estimator``), shows progress in the one
skphys format and honours the interruption contract
(:mod:`skphys.base._interrupt`). NetKet's drivers share one ``run`` in the same way.
"""

import math
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from skorch.history import History

from ._callbacks import Progress, named_callbacks
from ._interrupt import InterruptGuard, discard_fitted_attributes, warn_interrupted

__all__ = ["IterationDriver", "DivergenceError"]


class DivergenceError(ValueError, FloatingPointError):
    """Raised when a fit diverges (the loss, energy or objective is no longer finite).

    The estimator keeps the state of the last finite (healthy) step, so it can still be
    inspected or trained further with a smaller learning rate.
    """


class IterationDriver:
    """Run an estimator's step function for ``max_iter`` iterations, the skphys way.

    Parameters
    ----------
    estimator : estimator object
        The estimator being fitted (callbacks see it as ``net.estimator``).
    max_iter : int
        Number of iterations.
    callbacks : list of skorch callbacks or (name, callback) pairs, or None
        The user's callbacks. Each gets ``initialize()``, then ``on_train_begin(net)``,
        ``on_epoch_begin(net)`` / ``on_epoch_end(net)`` around every iteration and
        ``on_train_end(net)``; raising :class:`KeyboardInterrupt` from ``on_epoch_end``
        (skorch's ``EarlyStopping`` does) ends the fit early as a normal stop.
    verbose : int
        0 silent, 1 a progress bar, >= 2 one line per iteration.
    desc : str, optional
        Label of the progress bar.

    Attributes
    ----------
    history : skorch.history.History
        One row per iteration: ``loss`` and the other figures of the step's record, ``dur``.
    n_iter : int
        Completed iterations.
    """

    def __init__(self, estimator, max_iter, *, callbacks=None, verbose=0, desc=None):
        self.estimator = estimator
        self.max_iter = int(max_iter)
        self.callbacks = named_callbacks(callbacks)
        if verbose:
            self.callbacks.append(("progress", Progress(self.max_iter, verbose,
                                                        desc or type(estimator).__name__)))
        for _, cb in self.callbacks:
            if hasattr(cb, "initialize"):
                cb.initialize()
        self.history = History()
        self.n_iter = 0
        self.stopped_by_callback = False
        self._publish = None
        self._state = None

    def notify(self, hook, **kwargs):
        for _, cb in self.callbacks:
            getattr(cb, hook, _noop)(self, **kwargs)

    def publish(self):
        """Write the current state into the estimator's fitted attributes (for callbacks)."""
        if self._publish is not None and self._state is not None:
            self._publish(self._state)
        return self.estimator

    def run(self, step, state, *, snapshot, restore, publish, healthy=None,
            divergence_hint="", converged=None):
        """Iterate ``step`` and leave the estimator fitted, whatever happens.

        Parameters
        ----------
        step : callable ``(iteration, state) -> dict``
            One iteration. It returns the record of the state it *started from* (``loss`` and
            any other figures), then updates ``state`` in place.
        state : object
            What the steps change (parameters, optimiser moments, chains).
        snapshot, restore : callables
            ``snapshot(state) -> copy`` and ``restore(state, copy)`` for the rollback.
        publish : callable ``state -> None``
            Writes ``state`` into the estimator's fitted attributes. Called at the end of every
            fit that completed at least one iteration, also when it diverged (with the last
            healthy state) or was interrupted.
        healthy : callable ``record -> bool``, optional
            Extra divergence test beyond "every figure is finite" (e.g. an energy bound).
        divergence_hint : str
            What to try when the fit diverges (the end of the error message).
        converged : callable ``record -> bool``, optional
            Convergence test; a fit that reaches ``max_iter`` without it warns with
            :class:`~sklearn.exceptions.ConvergenceWarning`.

        Returns
        -------
        n_iter : int
            Completed iterations.
        """
        self._publish, self._state = publish, state
        name = type(self.estimator).__name__
        good = None  # a copy of the last state whose record was healthy
        candidate = None
        in_step = False
        done_ok = False
        interrupted = False
        with InterruptGuard() as guard:
            self.notify("on_train_begin")
            try:
                for it in range(self.max_iter):
                    guard.check()
                    candidate = snapshot(state)
                    self.history.new_epoch()
                    self.notify("on_epoch_begin")
                    t0 = time.perf_counter()
                    in_step = True
                    record = dict(step(it, state))
                    in_step = False
                    bad = [k for k, v in record.items()
                           if isinstance(v, float) and not math.isfinite(v)]
                    if bad or (healthy is not None and not healthy(record)):
                        restore(state, good if good is not None else candidate)
                        self.history.pop()  # the row opened for this iteration
                        figures = ", ".join(f"{k} = {v:.6g}" for k, v in record.items()
                                            if isinstance(v, (int, float)))
                        raise DivergenceError(
                            f"{name} diverged at iteration {it + 1} ({figures}). The state of "
                            f"the last healthy iteration is kept. {divergence_hint}".rstrip())
                    good = candidate
                    for key, value in record.items():
                        self.history.record(key, value)
                    self.history.record("dur", time.perf_counter() - t0)
                    self.n_iter = it + 1
                    if converged is not None and converged(record):
                        done_ok = True
                        self.notify("on_epoch_end")
                        break
                    try:
                        self.notify("on_epoch_end")
                    except KeyboardInterrupt:
                        if guard.requested:
                            raise
                        self.stopped_by_callback = True  # skorch's early-stopping signal
                        break
            except KeyboardInterrupt:
                interrupted = True
                if in_step:  # a second Ctrl-C cut a step short: back to its start
                    restore(state, candidate)
                if self.history and "loss" not in self.history[-1]:
                    self.history.pop()
            finally:
                try:
                    self.notify("on_train_end")
                finally:
                    if self.n_iter:
                        publish(state)
                    else:  # nothing completed (interrupted, diverged or failed at once)
                        discard_fitted_attributes(self.estimator)
        if interrupted:
            warn_interrupted(self.estimator, self.n_iter, self.max_iter)
            raise KeyboardInterrupt
        if (converged is not None and not done_ok and not self.stopped_by_callback
                and self.n_iter == self.max_iter):
            warnings.warn(f"{name}: maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=3)
        return self.n_iter

    def records(self, key):
        """The recorded values of ``key``, one per iteration (``history_`` column)."""
        return [row[key] for row in self.history if key in row]

    def history_list(self):
        """The history as a plain list of dicts (what estimators store as ``history_``)."""
        return [{k: v for k, v in row.items() if k != "batches"} for row in self.history]


def _noop(*args, **kwargs):
    return None

"""One interruption contract for every skphys fit.

A Ctrl-C (SIGINT) during a fit is *deferred* to the next step boundary (mini-batch,
L-BFGS evaluation, or iteration of a physics loop): the step in flight completes, the
estimator is left with its last complete state and every fitted attribute consistent, a
warning says where training stopped, and the :class:`KeyboardInterrupt` is raised again.

Why re-raise instead of returning quietly (as scikit-learn's MLP does): a Ctrl-C means "stop",
and only an exception stops the caller. Swallowed, it let ``GridSearchCV`` go on and score a
half-trained model as if it were finished; ``ConfusionPhaseFinder`` scanned on for a minute.
Re-raised, a search or scan stops at once, while the interrupted estimator itself stays
usable (``predict`` works on the weights of the last complete step).

A second Ctrl-C while the first is pending raises at once (for a step stuck in a long
computation). The handler is installed only in the main thread (where Python delivers
signals) and only around leaf training loops; elsewhere Ctrl-C behaves as usual.
"""

import signal
import threading
import warnings

__all__ = ["InterruptGuard", "discard_fitted_attributes", "warn_interrupted"]


class InterruptGuard:
    """Context manager that records a SIGINT instead of raising it at once.

    Attributes
    ----------
    requested : bool
        True once Ctrl-C was pressed inside the block.
    """

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def _handler(self, signum, frame):
        if self.requested:  # second Ctrl-C: give up waiting for the step boundary
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except ValueError:  # pragma: no cover - e.g. an embedded interpreter
                self._installed = False
        return self

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
        return False

    def check(self):
        """Raise :class:`KeyboardInterrupt` if Ctrl-C was pressed (call at step boundaries)."""
        if self.requested:
            raise KeyboardInterrupt


def warn_interrupted(estimator, done, total, unit="iteration"):
    """The warning every skphys fit gives when Ctrl-C stops it."""
    name = type(estimator).__name__
    if done:
        what = (f"the estimator keeps the state after {done} of {total} {unit}s "
                f"(the last complete step)")
    else:
        what = "no step was complete, so the estimator is left unfitted"
    warnings.warn(f"Training interrupted by user: {name} stopped early; {what}.",
                  UserWarning, stacklevel=3)


def discard_fitted_attributes(estimator):
    """Remove every fitted attribute (``name_``), leaving ``estimator`` unfitted."""
    for key in list(vars(estimator)):
        if key.endswith("_") and not key.startswith("__"):
            delattr(estimator, key)


def fit_inner(owner, estimator, *args, method="fit", **kwargs):
    """Run a meta-estimator's inner fit; say whether Ctrl-C cut it short.

    The inner skphys estimator keeps its last complete state when interrupted. If it is
    fitted, the meta-estimator finishes its own (cheap) fitting with it and then re-raises
    (:func:`reraise`); if not, ``owner`` is left unfitted and the interrupt goes on at once.

    Returns
    -------
    interrupted : bool
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        getattr(estimator, method)(*args, **kwargs)
    except KeyboardInterrupt as interrupt:
        try:
            check_is_fitted(estimator)
        except NotFittedError:
            discard_fitted_attributes(owner)
            raise interrupt from None
        return True
    return False


def reraise(interrupted):
    """Re-raise the KeyboardInterrupt of an inner fit once the meta-estimator is consistent."""
    if interrupted:
        raise KeyboardInterrupt

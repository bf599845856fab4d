"""Helpers shared by the tour stops: figures (skipped when matplotlib is absent), chance
levels, and a heartbeat for long fits."""

import time

import numpy as np
from skorch.callbacks import Callback


def pyplot():
    """``matplotlib.pyplot`` with a non-interactive backend, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - the plot extra is optional
        return None
    return plt


def chance(y_test, y_train=None):
    """The accuracy of always answering the commonest class, as a table cell.

    The commonest class is taken from ``y_train`` when given (what a majority-vote classifier
    fitted there scores on ``y_test``), else from ``y_test``; for balanced classes this is
    about 1/n_classes, for imbalanced ones the majority-class rate.
    """
    y_test = np.asarray(y_test)
    values, counts = np.unique(y_test if y_train is None else np.asarray(y_train),
                               return_counts=True)
    rate = np.mean(y_test == values[counts.argmax()])
    return f"{rate:.2f}" if rate >= 0.1 else f"{rate:.1g}"


_LAST_BEAT = [-float("inf")]  # shared by every Heartbeat, so clones (one per CV fold) count on


class Heartbeat(Callback):
    """A progress line at most every ``every`` seconds of a fit: the epoch (or ``unit``) and
    its loss.

    A skorch callback, so it goes into any skphys estimator's ``callbacks`` (and into the
    loops skphys runs itself, which call the same hooks). The clock is shared: the short fits
    of a cross-validation (each on a clone) still give a line every ``every`` seconds.
    """

    def __init__(self, label, *, every=15.0, unit="epoch"):
        self.label = label
        self.every = every
        self.unit = unit

    def on_train_begin(self, net, **kwargs):
        now = time.perf_counter()
        if now - _LAST_BEAT[0] > 2 * self.every:  # a fit of its own, not the next CV fold
            _LAST_BEAT[0] = now

    def on_epoch_end(self, net, **kwargs):
        if time.perf_counter() - _LAST_BEAT[0] < self.every:
            return
        from . import say

        row = net.history[-1]
        loss = row.get("train_loss", row.get("loss"))
        total = getattr(net, "max_epochs", None)
        say(f"{self.label}: {self.unit} {len(net.history)}" + (f" of {total}" if total else "")
            + ("" if loss is None else f", loss {loss:.3g}"))
        _LAST_BEAT[0] = time.perf_counter()

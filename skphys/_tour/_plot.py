"""Helpers shared by the tour stops: figures (skipped when matplotlib is absent), chance levels."""

import numpy as np


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

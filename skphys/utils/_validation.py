"""Small validators shared by the estimators' methods (scikit-learn-style messages)."""

import numbers

import numpy as np

__all__ = ["check_n_samples"]


def check_n_samples(n_samples, name="n_samples"):
    """An integer number of samples >= 1, or a ValueError/TypeError naming the parameter."""
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"The '{name}' parameter must be an int >= 1. Got {n_samples!r} of "
                        f"type {type(n_samples).__name__} instead.")
    if n_samples < 1:
        raise ValueError(f"The '{name}' parameter must be an int >= 1. Got {n_samples!r} "
                         "instead.")
    return int(n_samples)

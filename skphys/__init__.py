"""skphys: machine learning for condensed-matter physics as scikit-learn estimators.

Every estimator follows scikit-learn's API and trains a PyTorch module through skorch, on the
CPU or a GPU (``device="auto"``).
"""

__version__ = "0.1.0.dev0"

__all__ = ["DivergenceError", "__version__"]


def __getattr__(name):
    # imported on first use: ``import skphys`` (and ``import skphys.datasets`` on a data
    # generation worker) does not pay for torch and skorch
    if name == "DivergenceError":
        from .base import DivergenceError

        return DivergenceError
    raise AttributeError(f"module 'skphys' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

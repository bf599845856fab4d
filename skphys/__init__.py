"""skphys: machine learning for condensed-matter physics as scikit-learn estimators.

Every estimator follows scikit-learn's API and trains a PyTorch module through skorch, on the
CPU or a GPU (``device="auto"``).
"""

__version__ = "0.1.0.dev0"

from .base import DivergenceError  # noqa: E402

__all__ = ["DivergenceError", "__version__"]

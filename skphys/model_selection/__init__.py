"""Model selection: classifiers that choose when to answer.

scikit-learn keeps its threshold meta-classifiers (``FixedThresholdClassifier``,
``TunedThresholdClassifierCV``) in :mod:`sklearn.model_selection`; skphys's
:class:`ConfidenceThresholdClassifier` is their sibling: it thresholds the confidence of any
probabilistic classifier and abstains below the threshold, which it can tune to a target
coverage. :func:`threshold_for_bars` picks the probability threshold that clears a precision
and a recall bar with confidence, for scikit-learn's ``FixedThresholdClassifier``.
"""

from ._bars import threshold_for_bars
from ._confidence import ConfidenceThresholdClassifier, coverage_accuracy_curve

__all__ = ["ConfidenceThresholdClassifier", "coverage_accuracy_curve", "threshold_for_bars"]

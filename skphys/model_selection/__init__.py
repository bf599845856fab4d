"""Model selection: classifiers that choose when to answer.

scikit-learn keeps its threshold meta-classifiers (``FixedThresholdClassifier``,
``TunedThresholdClassifierCV``) in :mod:`sklearn.model_selection`; skphys's
:class:`ConfidenceThresholdClassifier` is their sibling: it thresholds the confidence of any
probabilistic classifier and abstains below the threshold, which it can tune to a target
coverage.
"""

from ._confidence import ConfidenceThresholdClassifier, coverage_accuracy_curve

__all__ = ["ConfidenceThresholdClassifier", "coverage_accuracy_curve"]

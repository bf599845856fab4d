"""Adversarial examples and adversarial training for skphys classifiers.

The attacks are plain functions on torch tensors (:func:`fgsm`, :func:`pgd`, :func:`bim`,
:func:`deepfool`) that take any module returning logits. :class:`AdversarialPerturber` runs
them on a fitted skphys classifier (or a Pipeline ending in one) with scikit-learn's
interface, and :class:`AdversarialTrainingClassifier` trains a classifier on adversarial
(or noisy) batches.
"""

from ._attacks import bim, deepfool, fgsm, pgd
from ._perturber import AdversarialPerturber
from ._training import AdversarialTrainingClassifier

__all__ = [
    "AdversarialPerturber",
    "AdversarialTrainingClassifier",
    "bim",
    "deepfool",
    "fgsm",
    "pgd",
]

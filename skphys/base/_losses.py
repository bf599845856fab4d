"""Losses with scikit-learn's conventions, each with a per-sample form.

Every loss module computes the mean over samples by default (``forward(input, target)``,
the fast path of an unweighted mini-batch) and the per-sample losses
(:meth:`per_sample`), from which sample-weighted means (``sum(w l) / sum(w)``, as
scikit-learn >= 1.7 weights its MLP) and chunked full-batch sums (L-BFGS) are made.
"""

import torch
import torch.nn.functional as F

__all__ = [
    "HalfSquaredError",
    "HalfPoissonDeviance",
    "LogisticLoss",
    "SoftmaxCrossEntropy",
    "QuadraticCost",
    "per_sample",
    "weighted_mean",
]


def per_sample(criterion, input, target):
    """The losses of each sample: skphys's losses' :meth:`per_sample`, or any torch loss with a
    ``reduction`` attribute (the user's own criterion) summed over its other dimensions."""
    if hasattr(criterion, "per_sample"):
        return criterion.per_sample(input, target)
    previous = criterion.reduction
    criterion.reduction = "none"
    try:
        losses = criterion(input, target)
    finally:
        criterion.reduction = previous
    return losses.reshape(len(losses), -1).sum(1)


def weighted_mean(criterion, input, target, weight=None):
    """``criterion``'s mean over the batch, weighted by ``weight`` when given."""
    if weight is None:
        return criterion(input, target)
    return (per_sample(criterion, input, target) * weight).sum() / weight.sum()


class HalfSquaredError(torch.nn.Module):
    """``mean((y - f)^2) / 2`` over samples and outputs: scikit-learn's squared loss."""

    def forward(self, input, target):
        return 0.5 * F.mse_loss(input, target)

    def per_sample(self, input, target):
        return 0.5 * (input - target).square().mean(1)


class HalfPoissonDeviance(torch.nn.Module):
    """Half the Poisson deviance with a log link (``input`` is ``log`` of the prediction).

    Per sample ``sum_k exp(z_k) - y_k z_k + y_k log y_k - y_k``, scikit-learn's value
    (the constant terms make a perfect fit score zero; they do not change the gradient).
    """

    def per_sample(self, input, target):
        const = torch.special.xlogy(target, target) - target
        return (torch.exp(input) - target * input + const).sum(1)

    def forward(self, input, target):
        return self.per_sample(input, target).mean()


class LogisticLoss(torch.nn.Module):
    """Binary cross-entropy of logistic outputs, summed over outputs, mean over samples.

    One output for two classes, one per label for multilabel targets (scikit-learn's
    ``binary_log_loss``).
    """

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, reduction="sum") / len(input)

    def per_sample(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, reduction="none").sum(1)


class SoftmaxCrossEntropy(torch.nn.Module):
    """Cross-entropy of the softmax output (targets are class indices)."""

    def forward(self, input, target):
        return F.cross_entropy(input, target)

    def per_sample(self, input, target):
        return F.cross_entropy(input, target, reduction="none")


class QuadraticCost(torch.nn.Module):
    """The quadratic cost on the output probabilities, ``sum_k (y_k - a_k)^2 / 2``.

    ``a = softmax(z)`` for class-index targets, ``sigmoid(z)`` for 0/1 targets (two classes,
    multilabel). Its gradient carries the output's derivative, so a confidently wrong network
    learns slowly, which is the lecture's reason to prefer the cross-entropy.
    """

    def __init__(self, binary=False):
        super().__init__()
        self.binary = binary

    def per_sample(self, input, target):
        if self.binary:
            return 0.5 * (torch.sigmoid(input) - target).square().sum(1)
        a = torch.softmax(input, dim=1)
        onehot = F.one_hot(target, a.shape[1]).to(a.dtype)
        return 0.5 * (a - onehot).square().sum(1)

    def forward(self, input, target):
        return self.per_sample(input, target).mean()

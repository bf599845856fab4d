"""A fitted skphys classifier (or a Pipeline ending in one) as one differentiable torch model.

The attacks and the dreams need the gradient of the logits with respect to the *raw* input
the user passes to ``predict``. The classifier's ``net_.module_`` takes the input as the
classifier's ``_validate_X`` shapes it; earlier affine steps of a :class:`~sklearn.pipeline.Pipeline`
(scalers, PCA) are folded into torch ahead of it.
"""

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler
from torch import nn

from ..base import BaseNeuralNetwork, NeuralClassifierMixin

SUPPORTED_STEPS = "StandardScaler, MinMaxScaler, MaxAbsScaler, PCA or 'passthrough'"


class _Affine(nn.Module):
    """``(x - shift) @ matrix * scale + offset`` with any of the parts left out, then a clamp."""

    def __init__(self, shift=None, matrix=None, scale=None, offset=None, clamp=None):
        super().__init__()
        for name, value in dict(shift=shift, matrix=matrix, scale=scale, offset=offset).items():
            t = None if value is None else torch.as_tensor(np.asarray(value, dtype=np.float32))
            self.register_buffer(name, t)
        self.clamp = clamp

    def forward(self, x):
        if self.shift is not None:
            x = x - self.shift
        if self.matrix is not None:
            x = x @ self.matrix
        if self.scale is not None:
            x = x * self.scale
        if self.offset is not None:
            x = x + self.offset
        if self.clamp is not None:
            x = torch.clamp(x, *self.clamp)
        return x


def _affine_step(step):
    """The torch version of one fitted preprocessing step."""
    if step is None or step == "passthrough":
        return None
    if isinstance(step, FrozenEstimator):
        step = step.estimator
    if isinstance(step, StandardScaler):
        scale = None if step.scale_ is None else 1.0 / step.scale_
        return _Affine(shift=step.mean_, scale=scale)
    if isinstance(step, MinMaxScaler):
        return _Affine(scale=step.scale_, offset=step.min_,
                       clamp=tuple(step.feature_range) if step.clip else None)
    if isinstance(step, MaxAbsScaler):
        return _Affine(scale=1.0 / step.scale_)
    if isinstance(step, PCA):
        scale = 1.0 / np.sqrt(step.explained_variance_) if step.whiten else None
        return _Affine(shift=step.mean_, matrix=step.components_.T, scale=scale)
    raise TypeError(
        f"Gradients cannot pass through the pipeline step {type(step).__name__}: the steps "
        f"before the classifier must be {SUPPORTED_STEPS}."
    )


class DifferentiableModel(nn.Module):
    """Raw input ``(n, *raw_shape)`` -> logits of the fitted classifier's module.

    Parameters
    ----------
    steps : list of nn.Module
        Preprocessing applied to the flattened input.
    module : nn.Module
        The classifier's trained ``net_.module_``.
    module_shape : tuple of int
        Shape of one sample as the module takes it.
    """

    def __init__(self, steps, module, module_shape):
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.module = module
        self.module_shape = tuple(module_shape)
        self._rnn = any(isinstance(m, nn.RNNBase) for m in module.modules())
        # the classifier computes in its fit's precision (float64 for float64 data); the
        # attacks and dreams work in float32, so the input is cast on the way in and the
        # logits on the way out (both casts pass gradients)
        self._dtype = next(module.parameters()).dtype

    def forward(self, x):
        n = x.shape[0]
        if len(self.steps):
            x = x.reshape(n, -1)
            for step in self.steps:
                x = step(x)
        x = x.reshape(n, *self.module_shape)
        dtype = x.dtype
        x = x.to(self._dtype)
        if self._rnn and x.is_cuda:  # cuDNN's RNN has no backward in evaluation mode
            with torch.backends.cudnn.flags(enabled=False):
                return self.module(x).to(dtype)
        return self.module(x).to(dtype)


def unwrap(estimator):
    """The fitted estimator behind a FrozenEstimator or an AdversarialTrainingClassifier."""
    while True:
        if isinstance(estimator, FrozenEstimator):
            estimator = estimator.estimator
        elif hasattr(estimator, "_differentiable_estimator"):  # AdversarialTrainingClassifier
            estimator = estimator._differentiable_estimator()
        else:
            return estimator


def final_classifier(estimator, owner):
    """The skphys classifier ``estimator`` ends in, or a TypeError that says why not."""
    estimator = unwrap(estimator)
    last = unwrap(estimator.steps[-1][1]) if isinstance(estimator, Pipeline) else estimator
    if not (isinstance(last, BaseNeuralNetwork) and isinstance(last, NeuralClassifierMixin)):
        raise TypeError(
            f"{owner} needs the gradient of the model, so the estimator must be a skphys "
            "neural classifier (MLPClassifier, CNNClassifier, RNNClassifier) or a Pipeline "
            f"of {SUPPORTED_STEPS} steps ending in one; got {type(last).__name__}, which is "
            "not differentiable."
        )
    return last


def differentiable_model(estimator, owner="This meta-estimator"):
    """Return ``(model, classifier, n_inputs)`` for a fitted (possibly frozen) estimator.

    ``model`` maps raw input (flattened or shaped like the training data) to the logits of
    ``classifier``, the skphys classifier at the end of ``estimator``; ``n_inputs`` is the
    number of raw values per sample. The model is in evaluation mode on the classifier's
    device and shares its weights.
    """
    clf = final_classifier(estimator, owner)
    estimator = unwrap(estimator)
    steps = []
    n_inputs = None
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps[:-1]:
            module = _affine_step(step)
            if module is not None:
                steps.append(module)
                if n_inputs is None:
                    n_inputs = int(unwrap(step).n_features_in_)
    module_shape = tuple(getattr(clf, "input_shape_", (clf.n_features_in_,)))
    if n_inputs is None:
        n_inputs = int(np.prod(module_shape))
    device = torch.device(clf.net_.device)
    model = DifferentiableModel(steps, clf.net_.module_, module_shape).to(device)
    model.eval()
    return model, clf, n_inputs

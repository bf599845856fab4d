"""The gradient of a plain MLP's loss by hand-written back-propagation, for the batch step.

For skphys's :class:`~skphys.nn.MLP` with scikit-learn's activations and losses, the batch
gradient is a short chain of matrix products (scikit-learn's ``_backprop`` in torch), computed
without building an autograd graph. On small layers torch's autograd engine costs more than
the products themselves (its nodes, ``AccumulateGrad``, the separate L2 kernel): this path
makes a 64-128-10 Adam step on a CPU about a third cheaper, with the same gradients
(``tests/test_plumbing.py`` compares them with autograd's for every activation, loss, sample
weights and L2).

:func:`plan` says whether a net qualifies (anything it does not recognise, a hook, a frozen
layer, a subclass that changes ``infer`` or ``get_loss``, takes autograd's path);
:func:`loss_and_gradients` computes the loss and sets each parameter's ``.grad``.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ._losses import HalfSquaredError, LogisticLoss, SoftmaxCrossEntropy

__all__ = ["plan", "loss_and_gradients"]

_aten = torch.ops.aten
# activation module -> (in-place forward, backward from the activation's output)
_ACTIVATIONS = {
    nn.ReLU: (torch.relu_, lambda grad, out: _aten.threshold_backward(grad, out, 0)),
    nn.Tanh: (torch.tanh_, _aten.tanh_backward),
    nn.Sigmoid: (torch.sigmoid_, _aten.sigmoid_backward),
    nn.Identity: (None, None),
}
_LOSSES = (SoftmaxCrossEntropy, LogisticLoss, HalfSquaredError)


def _has_hooks(module):
    return any(getattr(module, name, None) for name in (
        "_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
        "_state_dict_hooks"))


def _global_hooks():
    mod = nn.modules.module
    return any(getattr(mod, name, None) for name in (
        "_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
        "_global_backward_pre_hooks"))


def plan(net, base_cls):
    """The layers ``[(linear, forward, backward), ...]`` and loss of ``net``, or ``None``.

    ``None`` unless the module is exactly skphys's MLP of linear layers and the activations
    above, every parameter trains, nothing hooks into the modules, and ``net`` (an instance of
    ``base_cls`` or a subclass) computes its loss and forward pass as ``base_cls`` does. The
    structure is read once per module and criterion; hooks and frozen parameters are checked
    at every call (the net calls this once an epoch).
    """
    module, criterion = getattr(net, "module_", None), getattr(net, "criterion_", None)
    cached = getattr(net, "_mlp_structure", None)
    if cached is None or cached[0] is not module or cached[1] is not criterion:
        cached = net._mlp_structure = (module, criterion, _structure(net, base_cls))
    structure = cached[2]
    if structure is None:
        return None
    layers, loss_cls, modules, params = structure
    if (torch.is_anomaly_enabled() or _global_hooks() or any(map(_has_hooks, modules))
            or not all(p.requires_grad for p in params)):
        return None
    return layers, loss_cls


def _structure(net, base_cls):
    """``(layers, loss class, modules to watch for hooks, parameters)`` or ``None``."""
    from ..nn import MLP

    module, criterion = getattr(net, "module_", None), getattr(net, "criterion_", None)
    if (type(module) is not MLP or type(criterion) not in _LOSSES
            or type(net).infer is not base_cls.infer
            or type(net).get_loss is not base_cls.get_loss):
        return None
    layers, pending = [], None
    for child in module:
        if type(child) is nn.Linear:
            if pending is not None:  # two linear layers in a row: an identity between them
                layers.append((pending, None, None))
            pending = child
        elif type(child) in _ACTIVATIONS and pending is not None:
            layers.append((pending, *_ACTIVATIONS[type(child)]))
            pending = None
        else:
            return None
    if pending is None or pending.bias is None or any(lin.bias is None for lin, _, _ in layers):
        return None
    layers.append((pending, None, None))  # the output layer: raw scores
    return layers, type(criterion), [module, criterion, *module], list(module.parameters())


class _Buffers:
    """Per batch size: the row indices and the bias-gradient weights, made once."""

    def __init__(self):
        self._cache = {}

    def get(self, n, dtype, device):
        key = (n, dtype, device)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 8:
                self._cache.clear()
            hit = self._cache[key] = (torch.arange(n, device=device),
                                      torch.full((n,), 1.0 / n, dtype=dtype, device=device),
                                      torch.ones(n, dtype=dtype, device=device),
                                      torch.tensor(-1.0, dtype=dtype, device=device))
        return hit


def loss_and_gradients(layers, loss_cls, X, y, weight, l2, n_l2, buffers):
    """The batch's mean loss (a 0-d tensor) and raw output; sets ``.grad`` of every parameter.

    ``weight`` (or ``None``) weights each sample's loss (``sum(w l) / sum(w)``); the weight
    matrices' gradients gain ``l2 / n_l2 * W`` (scikit-learn's L2 term, biases excluded).
    """
    with torch.no_grad():
        acts = [X]
        a = X
        for lin, forward, _ in layers[:-1]:
            a = torch.addmm(lin.bias, a, lin.weight.t())
            if forward is not None:
                forward(a)
            acts.append(a)
        out = layers[-1][0]
        z = torch.addmm(out.bias, a, out.weight.t())
        n = len(X)
        rows, mean_weights, ones, minus_one = buffers.get(n, z.dtype, z.device)
        # the loss and its gradient with respect to z, up to the 1/n (or w / sum(w)) factor
        if loss_cls is SoftmaxCrossEntropy:
            log_p = torch.log_softmax(z, 1)
            losses = F.nll_loss(log_p, y, reduction="none") if weight is not None else None
            loss = F.nll_loss(log_p, y) if weight is None else None
            g = log_p.exp_()
            g.index_put_((rows, y), minus_one, accumulate=True)  # softmax - one-hot
        elif loss_cls is LogisticLoss:
            if weight is None:
                loss = F.binary_cross_entropy_with_logits(z, y, reduction="sum") / n
            else:
                losses = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(1)
            g = torch.sigmoid(z).sub_(y)
        else:  # HalfSquaredError: mean over samples and outputs
            g = (z - y).div_(z.shape[1])
            if weight is None:
                loss = 0.5 * F.mse_loss(z, y)
            else:
                losses = 0.5 * (z - y).square().mean(1)
        if weight is None:
            scale, bias_weights = 1.0 / n, mean_weights
        else:
            w = weight / weight.sum()
            loss = losses @ w
            g.mul_(w[:, None])
            scale, bias_weights = 1.0, ones
        beta = l2 / n_l2 if l2 else 0.0
        delta = g
        for i in range(len(layers) - 1, -1, -1):
            backward = layers[i - 1][2] if i else None  # of the activation giving acts[i]
            layer = layers[i][0]
            layer.weight.grad = torch.addmm(layer.weight, delta.t(), acts[i], beta=beta,
                                            alpha=scale)
            layer.bias.grad = torch.mv(delta.t(), bias_weights)
            if i:
                delta = delta @ layer.weight
                if backward is not None:
                    delta = backward(delta, acts[i])
    return loss, z

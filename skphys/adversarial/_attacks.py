"""Evasion attacks as plain functions on torch tensors.

Each attack takes ``model``, any callable mapping a float tensor ``x`` of shape
``(n, ...)`` to raw class scores (logits) of shape ``(n, n_classes)``, or ``(n, 1)`` for a
binary model with one logistic output, as every skphys classifier's ``net_.module_`` does.
The model is used as it is: put it in evaluation mode first (``model.eval()``).

Labels are class indices (``0 .. n_classes - 1``) as a tensor. Without labels an untargeted
attack uses the model's own predictions, so the true labels do not leak into the attack.
"""

import contextlib
import math

import torch
import torch.nn.functional as F

__all__ = ["fgsm", "pgd", "bim", "deepfool", "predict_labels", "classification_loss"]


def predict_labels(model, x):
    """The class index the model predicts for each sample of ``x``."""
    with torch.no_grad():
        return _argmax(model(x))


def _argmax(logits):
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long()
    return logits.argmax(1)


def classification_loss(logits, y):
    """Cross-entropy of ``logits`` against class indices ``y``, summed over the samples.

    The sum (not the mean) keeps each sample's gradient independent of the batch size.
    One logit is read as a logistic output (binary cross-entropy).
    """
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype),
                                                  reduction="sum")
    return F.cross_entropy(logits, y, reduction="sum")


def _labels(model, x, y, targeted):
    if y is None:
        if targeted:
            raise ValueError("A targeted attack needs the target labels y.")
        return predict_labels(model, x)
    return y.to(x.device).long()


def _check_norm(norm):
    if norm in ("inf", math.inf, float("inf")):
        return "inf"
    if norm in (2, "2", "l2"):
        return 2
    raise ValueError(f"norm must be 'inf' or 2, got {norm!r}.")


def _per_sample_l2(t):
    return t.flatten(1).norm(dim=1).view(-1, *([1] * (t.ndim - 1)))


def _clip(x, clip_values):
    if clip_values is None:
        return x
    return torch.clamp(x, min=clip_values[0], max=clip_values[1])


@contextlib.contextmanager
def _input_gradients_only(model):
    """Switch off the parameters' gradients while attacking (restored afterwards).

    Only the input's gradient is needed; without this autograd still records and runs the
    weight-gradient work, which made PGD about 1.5-2x slower on a small MLP.
    """
    params = ([p for p in model.parameters() if p.requires_grad]
              if isinstance(model, torch.nn.Module) else [])
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def _input_gradient(model, x, y):
    x = x.detach().requires_grad_(True)
    loss = classification_loss(model(x), y)
    return torch.autograd.grad(loss, x)[0]


def _step(grad, size, norm, sign):
    """A step of length ``size`` along the gradient's steepest direction for ``norm``."""
    if norm == "inf":
        return (sign * size) * grad.sign()
    length = _per_sample_l2(grad)
    unit = torch.where(length > 0, grad / length.clamp_min(1e-30), torch.zeros_like(grad))
    return (sign * size) * unit


def fgsm(model, x, y=None, *, eps, norm="inf", targeted=False, clip_values=None):
    """Fast gradient (sign) method: one step of size ``eps`` along the loss gradient.

    With ``norm="inf"`` this is FGSM (Goodfellow et al. 2014), ``x + eps * sign(grad)``;
    with ``norm=2`` it is FGM, ``x + eps * grad / ||grad||_2``.

    Parameters
    ----------
    model : callable
        Maps ``x`` to logits of shape (n, n_classes) or (n, 1).
    x : torch.Tensor of shape (n, ...)
        Clean inputs.
    y : torch.Tensor of shape (n,) or None, default=None
        True class indices (untargeted) or target class indices (``targeted=True``); None
        uses the model's predictions (untargeted only).
    eps : float
        Size of the perturbation, in the ``norm``.
    norm : {"inf", 2}, default="inf"
        Norm that bounds the perturbation.
    targeted : bool, default=False
        Move toward class ``y`` instead of away from it.
    clip_values : tuple of float or None, default=None
        ``(min, max)`` of valid inputs; the result is clipped to it.

    Returns
    -------
    x_adv : torch.Tensor
        Adversarial examples, detached, same shape as ``x``.

    Examples
    --------
    >>> import torch
    >>> from skphys.adversarial import fgsm
    >>> model = torch.nn.Linear(2, 2)
    >>> x = torch.zeros(3, 2)
    >>> x_adv = fgsm(model, x, eps=0.1)
    >>> float((x_adv - x).abs().max())
    0.1...
    """
    norm = _check_norm(norm)
    y = _labels(model, x, y, targeted)
    with _input_gradients_only(model):
        grad = _input_gradient(model, x, y)
    x = x.detach()
    return _clip(x + _step(grad, eps, norm, -1.0 if targeted else 1.0), clip_values).detach()


def pgd(model, x, y=None, *, eps, eps_step=None, max_iter=10, norm="inf", targeted=False,
        random_start=False, clip_values=None, generator=None):
    """Projected gradient descent (Madry et al. 2017) in an L∞ or L2 ball of radius ``eps``.

    Each of ``max_iter`` steps moves ``eps_step`` along the loss gradient (its sign for L∞,
    its direction for L2), projects back onto the ball around ``x`` and clips to
    ``clip_values``. Without a random start this is the basic iterative method (BIM,
    Kurakin et al. 2016).

    Parameters
    ----------
    model : callable
        Maps ``x`` to logits of shape (n, n_classes) or (n, 1).
    x : torch.Tensor of shape (n, ...)
        Clean inputs.
    y : torch.Tensor of shape (n,) or None, default=None
        True class indices (untargeted) or target class indices (``targeted=True``); None
        uses the model's predictions (untargeted only).
    eps : float
        Radius of the ball.
    eps_step : float or None, default=None
        Size of each step; None means ``eps / 4``.
    max_iter : int, default=10
        Number of steps.
    norm : {"inf", 2}, default="inf"
        Norm of the ball.
    targeted : bool, default=False
        Move toward class ``y`` instead of away from it.
    random_start : bool, default=False
        Start from a uniformly drawn point of the ball instead of ``x``.
    clip_values : tuple of float or None, default=None
        ``(min, max)`` of valid inputs.
    generator : torch.Generator or None, default=None
        Random numbers for the random start (torch's global generator when None).

    Returns
    -------
    x_adv : torch.Tensor
        Adversarial examples, detached, same shape as ``x``.

    Examples
    --------
    >>> import torch
    >>> from skphys.adversarial import pgd
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> x = torch.rand(5, 4)
    >>> x_adv = pgd(model, x, eps=0.05, max_iter=5, clip_values=(0, 1))
    >>> bool((x_adv - x).abs().max() <= 0.05 + 1e-6)
    True
    """
    norm = _check_norm(norm)
    if eps_step is None:
        eps_step = eps / 4
    y = _labels(model, x, y, targeted)
    sign = -1.0 if targeted else 1.0
    x = x.detach()
    x_adv = x
    if random_start and eps > 0:
        x_adv = _clip(x + _random_ball(x, eps, norm, generator), clip_values)
    with _input_gradients_only(model):
        for _ in range(max_iter):
            grad = _input_gradient(model, x_adv, y)
            x_adv = x_adv + _step(grad, eps_step, norm, sign)
            x_adv = _clip(x + _project(x_adv - x, eps, norm), clip_values)
    return x_adv.detach()


def bim(model, x, y=None, *, eps, eps_step=None, max_iter=10, norm="inf", targeted=False,
        clip_values=None):
    """Basic iterative method: :func:`pgd` without a random start.

    Parameters
    ----------
    model, x, y, eps, eps_step, max_iter, norm, targeted, clip_values
        As in :func:`pgd`.

    Returns
    -------
    x_adv : torch.Tensor
        Adversarial examples, detached.

    Examples
    --------
    >>> import torch
    >>> from skphys.adversarial import bim, pgd
    >>> model = torch.nn.Linear(3, 2)
    >>> x = torch.rand(4, 3)
    >>> bool(torch.equal(bim(model, x, eps=0.1), pgd(model, x, eps=0.1)))
    True
    """
    return pgd(model, x, y, eps=eps, eps_step=eps_step, max_iter=max_iter, norm=norm,
               targeted=targeted, random_start=False, clip_values=clip_values)


def _project(delta, eps, norm):
    if norm == "inf":
        return torch.clamp(delta, min=-eps, max=eps)
    length = _per_sample_l2(delta)
    return delta * torch.clamp(eps / length.clamp_min(1e-30), max=1.0)


def _random_ball(x, eps, norm, generator):
    if norm == "inf":
        u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return (2 * u - 1) * eps
    direction = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    direction = direction / _per_sample_l2(direction).clamp_min(1e-30)
    d = x[0].numel()
    radius = torch.rand((len(x),) + (1,) * (x.ndim - 1), generator=generator, dtype=x.dtype,
                        device=x.device) ** (1.0 / d)
    return eps * radius * direction


def deepfool(model, x, *, max_iter=50, overshoot=0.02, n_candidates=10, clip_values=None):
    """DeepFool (Moosavi-Dezfooli et al. 2016): a small L2 perturbation that flips the class.

    At each step the model is linearised around the current point and the sample moves
    to the nearest linearised decision boundary among the ``n_candidates`` classes with the
    highest scores at ``x``; the accumulated step is scaled by ``1 + overshoot`` so that it
    crosses the boundary. Samples stop as soon as their prediction changes.

    Parameters
    ----------
    model : callable
        Maps ``x`` to logits of shape (n, n_classes) or (n, 1).
    x : torch.Tensor of shape (n, ...)
        Clean inputs (the attack moves each sample away from the model's prediction).
    max_iter : int, default=50
        Maximum number of linearisation steps.
    overshoot : float, default=0.02
        Relative overshoot past the boundary.
    n_candidates : int, default=10
        Number of classes considered (those with the highest scores at ``x``).
    clip_values : tuple of float or None, default=None
        ``(min, max)`` of valid inputs.

    Returns
    -------
    x_adv : torch.Tensor
        Adversarial examples, detached. Samples whose class did not change within
        ``max_iter`` steps are returned at their last iterate.

    Examples
    --------
    >>> import torch
    >>> from skphys.adversarial import deepfool
    >>> model = torch.nn.Linear(2, 2)
    >>> x = torch.randn(6, 2)
    >>> x_adv = deepfool(model, x)
    >>> bool((model(x_adv).argmax(1) != model(x).argmax(1)).all())
    True
    """
    with _input_gradients_only(model):
        return _deepfool(model, x, max_iter, overshoot, n_candidates, clip_values)


def _deepfool(model, x, max_iter, overshoot, n_candidates, clip_values):
    x0 = x.detach()
    n = len(x0)
    with torch.no_grad():
        logits = model(x0)
    binary = logits.shape[1] == 1
    orig = _argmax(logits)
    if not binary:
        cand = logits.topk(min(n_candidates, logits.shape[1]), dim=1).indices
        # the predicted class first, then the others by score
        cand = torch.cat([orig[:, None], cand[cand != orig[:, None]].view(n, -1)], dim=1)
    r_tot = torch.zeros_like(x0)
    x_adv = x0.clone()
    active = torch.arange(n, device=x0.device)
    shape = (-1,) + (1,) * (x0.ndim - 1)
    for _ in range(max_iter):
        xa = x_adv[active].requires_grad_(True)
        out = model(xa)
        still = _argmax(out.detach()) == orig[active]
        if not bool(still.any()):
            break
        if binary:
            f = out[:, 0]
            w = torch.autograd.grad(f.sum(), xa)[0]
            f = f.detach()
            wn = w.flatten(1).norm(dim=1)
            step = -((f.abs() + 1e-4) / (wn**2).clamp_min(1e-30) * f.sign()).view(shape) * w
        else:
            c = cand[active]
            f = out.gather(1, c)  # (m, k): predicted class first
            grads = [torch.autograd.grad(f[:, j].sum(), xa, retain_graph=j < c.shape[1] - 1)[0]
                     for j in range(c.shape[1])]
            w = torch.stack(grads[1:], dim=1) - grads[0][:, None]  # (m, k-1, ...)
            fd = (f[:, 1:] - f[:, :1]).detach()
            wn = w.flatten(2).norm(dim=2)
            dist = fd.abs() / wn.clamp_min(1e-30)
            best = dist.argmin(1)
            rows = torch.arange(len(best), device=x0.device)
            wb, fb, wnb = w[rows, best], fd[rows, best], wn[rows, best]
            step = ((fb.abs() + 1e-4) / (wnb**2).clamp_min(1e-30)).view(shape) * wb
        step = step * still.view(shape)  # samples already flipped keep their point
        idx = active
        r_tot[idx] = r_tot[idx] + step.detach()
        x_adv[idx] = _clip(x0[idx] + (1 + overshoot) * r_tot[idx], clip_values)
        active = active[still]
    return x_adv.detach()

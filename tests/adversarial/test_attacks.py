"""The attack functions on torch tensors: bounds, strength ordering, DeepFool, targets."""

import numpy as np
import pytest
import torch

from skphys.adversarial import bim, deepfool, fgsm, pgd
from skphys.adversarial._attacks import classification_loss, predict_labels


@pytest.fixture(scope="module")
def setup(mlp, digits):
    _, Xte, _, yte = digits
    model = mlp.net_.module_.eval()
    return model, torch.from_numpy(Xte), torch.from_numpy(yte).long()


def accuracy(model, x, y):
    return float((predict_labels(model, x) == y).float().mean())


def test_fgsm_eps_zero_changes_nothing(setup):
    model, x, y = setup
    assert torch.equal(fgsm(model, x, y, eps=0.0, clip_values=(0, 1)), x)
    assert torch.equal(fgsm(model, x, y, eps=0.0, norm=2), x)


def test_fgsm_is_one_signed_gradient_step(setup):
    """FGSM = clip(x + eps * sign(d loss / dx)), the gradient taken independently here."""
    model, x, y = setup
    xr = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(xr), y).backward()
    expected = torch.clamp(x + 0.1 * xr.grad.sign(), 0, 1)
    assert torch.equal(fgsm(model, x, y, eps=0.1, clip_values=(0, 1)), expected)


def test_accuracy_falls_monotonically_and_pgd_is_stronger(setup):
    model, x, y = setup
    clean = accuracy(model, x, y)
    assert clean > 0.95
    eps = [0.02, 0.05, 0.1, 0.2]
    acc_fgsm = [accuracy(model, fgsm(model, x, y, eps=e, clip_values=(0, 1)), y) for e in eps]
    acc_pgd = [accuracy(model, pgd(model, x, y, eps=e, clip_values=(0, 1)), y) for e in eps]
    assert np.all(np.diff([clean] + acc_fgsm) < 0)
    assert np.all(np.diff([clean] + acc_pgd) < 0)
    assert all(p <= f for p, f in zip(acc_pgd, acc_fgsm))
    assert acc_pgd[-1] < 0.05 and acc_fgsm[1] < 0.9


@pytest.mark.parametrize("norm, eps", [("inf", 0.2), (2, 1.5)])
def test_pgd_stays_in_the_ball_and_the_clip_range(setup, norm, eps):
    model, x, y = setup
    x_adv = pgd(model, x, y, eps=eps, norm=norm, random_start=True, clip_values=(0, 1),
                generator=torch.Generator().manual_seed(0))
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)
    assert float(size.max()) <= eps * (1 + 1e-5)
    assert float(x_adv.min()) >= 0 and float(x_adv.max()) <= 1
    assert accuracy(model, x_adv, y) < 0.2


def test_l2_fgm_step_has_length_eps(setup):
    model, x, y = setup
    x_adv = fgsm(model, x, y, eps=0.5, norm=2)
    np.testing.assert_allclose((x_adv - x).norm(dim=1).numpy(), 0.5, rtol=1e-4)


def test_bim_is_pgd_without_random_start(setup):
    model, x, y = setup
    assert torch.equal(bim(model, x[:50], y[:50], eps=0.1),
                       pgd(model, x[:50], y[:50], eps=0.1, random_start=False))


def test_without_labels_the_attack_uses_the_predictions(setup):
    """No label leaking: y=None attacks the model's own answer, not the true label."""
    model, x, y = setup
    pred = predict_labels(model, x)
    assert torch.equal(pgd(model, x, eps=0.1), pgd(model, x, pred, eps=0.1))


def test_targeted_pgd_reaches_the_target(setup):
    model, x, y = setup
    target = (y + 1) % 10
    x_adv = pgd(model, x, target, eps=0.3, eps_step=0.02, max_iter=30, targeted=True,
                clip_values=(0, 1))
    assert float((predict_labels(model, x_adv) == target).float().mean()) > 0.8
    with pytest.raises(ValueError, match="target"):
        pgd(model, x, eps=0.1, targeted=True)


def test_deepfool_flips_with_small_perturbations(setup):
    model, x, _ = setup
    x_adv = deepfool(model, x, max_iter=50)
    flipped = (predict_labels(model, x_adv) != predict_labels(model, x)).float().mean()
    rel = ((x_adv - x).norm(dim=1) / x.norm(dim=1)).median()
    assert float(flipped) >= 0.95
    assert float(rel) < 0.3
    # DeepFool is near-minimal: FGM at the same L2 size per sample flips far fewer
    size = (x_adv - x).norm(dim=1, keepdim=True)
    y0 = predict_labels(model, x)
    xr = x.clone().requires_grad_(True)
    g = torch.autograd.grad(classification_loss(model(xr), y0), xr)[0]
    x_fgm = x + size * g / g.norm(dim=1, keepdim=True)
    assert float((predict_labels(model, x_fgm) != y0).float().mean()) < float(flipped) - 0.2


def test_binary_model_with_one_logit():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 1)
    x = torch.randn(200, 5)
    y = predict_labels(model, x)
    assert set(y.unique().tolist()) == {0, 1}
    x_adv = deepfool(model, x)
    assert bool((predict_labels(model, x_adv) != y).all())
    # for a linear model DeepFool's step is the distance to the plane (1 + overshoot)
    w, b = model.weight[0].detach(), model.bias.detach()
    dist = ((x @ w + b).abs() / w.norm())
    np.testing.assert_allclose((x_adv - x).norm(dim=1).numpy(), 1.02 * dist.numpy(),
                               rtol=1e-3, atol=1e-3)
    x_pgd = pgd(model, x, y, eps=0.5, max_iter=10)
    assert float((predict_labels(model, x_pgd) == y).float().mean()) < float(
        (predict_labels(model, fgsm(model, x, y, eps=0.1)) == y).float().mean())


def test_bad_norm():
    with pytest.raises(ValueError, match="norm"):
        fgsm(torch.nn.Linear(2, 2), torch.zeros(1, 2), eps=0.1, norm=1)

"""Transfer-matrix method against the analytic single-layer (Fabry-Perot) formula."""

import numpy as np
import pytest
import torch

from skphys.photonics import layer_indices, make_thin_film_spectra, transfer_matrix


def _airy(n0, n1, ns, d, lam):
    """Reflectance and transmittance of one layer between two media (Airy's formulas)."""
    r01, r12 = (n0 - n1) / (n0 + n1), (n1 - ns) / (n1 + ns)
    t01, t12 = 2 * n0 / (n0 + n1), 2 * n1 / (n1 + ns)
    phase = np.exp(2j * 2 * np.pi * n1 * d / lam)
    den = 1 + r01 * r12 * phase
    r = (r01 + r12 * phase) / den
    t = t01 * t12 * np.sqrt(phase) / den
    return np.abs(r) ** 2, (ns.real / n0) * np.abs(t) ** 2


@pytest.mark.parametrize("n1", [1.45, 2.35, 3.5 + 0.1j])
def test_single_layer_matches_fabry_perot(n1):
    lam = np.linspace(0.4, 1.6, 301)
    d = np.array([[0.12], [0.5]])
    R, T = transfer_matrix(d, [n1], lam, n_incident=1.0, n_substrate=1.52)
    for i, di in enumerate(d[:, 0]):
        R_ref, T_ref = _airy(1.0, n1, 1.52 + 0j, di, lam)
        np.testing.assert_allclose(R[i].numpy(), R_ref, atol=1e-12)
        np.testing.assert_allclose(T[i].numpy(), T_ref, atol=1e-12)
    if np.isreal(n1):
        np.testing.assert_allclose((R + T).numpy(), 1.0, atol=1e-12)
    else:  # an absorbing layer takes its share
        assert np.all((R + T).numpy() < 1.0)


def test_quarter_wave_stack_and_zero_thickness_layers():
    lam0, nH, nL = 0.6, 2.35, 1.45
    n = layer_indices(20, (nH, nL))
    d = lam0 / (4 * n)
    R, _ = transfer_matrix(d[None], n, [lam0])
    # Bragg mirror of 10 pairs: admittance Y = (nH / nL)^20 ns, R = ((n0 - Y) / (n0 + Y))^2
    q = (nL / nH) ** 20 / 1.52  # n0 / Y
    assert R.item() == pytest.approx(((1 - q) / (1 + q)) ** 2, rel=1e-10)
    # padding a stack with zero-thickness layers changes nothing
    d6 = np.array([[0.05, 0.07, 0.03]])
    R6, _ = transfer_matrix(np.c_[d6, np.zeros((1, 3))], layer_indices(6), [0.5, 0.7])
    R3, _ = transfer_matrix(d6, layer_indices(3), [0.5, 0.7])
    np.testing.assert_allclose(R6.numpy(), R3.numpy(), atol=1e-14)


def test_gradients_through_thicknesses():
    d = torch.tensor([[0.05, 0.08, 0.06]], dtype=torch.float64, requires_grad=True)
    n = layer_indices(3)
    lam = np.linspace(0.4, 0.8, 7)
    assert torch.autograd.gradcheck(lambda x: transfer_matrix(x, n, lam)[0], (d,))


def test_thin_film_data_set():
    X, Y = make_thin_film_spectra(200, random_state=0)
    counts = (X > 0).sum(1)
    assert counts.min() >= 5 and counts.max() <= 10
    present = X[X > 0]
    assert present.min() >= 30 and present.max() <= 70
    assert Y.shape == (200, 64) and Y.min() >= 0 and Y.max() <= 1
    _, Y2 = make_thin_film_spectra(200, random_state=0)
    np.testing.assert_array_equal(Y, Y2)

"""Symmetric RBMs and symmetry sectors against exact diagonalisation."""

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import eigsh

from skphys.quantum import (
    Heisenberg,
    RBMWavefunction,
    _rbm,
    codes_to_spins,
    spins_to_codes,
)
from skphys.quantum._symmetric import SymmetricRBMParams, SymmetryGroup


def sector_ground_state(H, momentum=None, parity=None):
    """Lowest eigenpair of ``H`` (S^z_total = 0) among states with ``psi(T_r sigma) =
    exp(2 pi i k r / L) psi(sigma)`` and ``psi(-sigma) = parity psi(sigma)`` (a chain)."""
    M, codes = H.to_sparse(n_up=H.n_sites // 2)
    spins = codes_to_spins(codes, H.n_sites)
    group = SymmetryGroup((H.n_sites,), translations=momentum is not None,
                          spin_flip=parity is not None)
    chi = group.characters(momentum, parity)
    P = np.zeros((len(codes), len(codes)), dtype=complex)
    for g, (perm, sign) in enumerate(zip(group.perms, group.signs)):
        img = np.searchsorted(codes, spins_to_codes(sign * spins[:, perm]))
        # (P psi)(s) = mean_g chi_g^* psi(g s)
        P[np.arange(len(codes)), img] += np.conj(chi[g]) / len(group)
    w, v = np.linalg.eigh((P + P.conj().T) / 2)
    Q = v[:, w > 0.5]
    e, u = np.linalg.eigh(Q.conj().T @ (M @ Q))
    return e[0], Q @ u[:, 0], codes


# ---------------------------------------------------------------------------------------
# the model: invariance, derivatives, parameter counts
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6,), (4, 4), (3, 4)])
def test_symmetric_rbm_is_invariant_and_its_derivatives_are_exact(shape):
    torch.manual_seed(0)
    group = SymmetryGroup(shape)
    N = group.n_sites
    assert len(group) == N
    assert all(sorted(p) == list(range(N)) for p in group.perms)
    p = SymmetricRBMParams.init(group, 2, 0.3, torch.float64, "cpu")
    assert p.n_parameters() == 1 + 2 + 2 * N
    sigma = (2.0 * torch.randint(0, 2, (7, N)) - 1.0).double()
    lp = _rbm.log_psi(p.full, sigma)
    for img in group.apply(sigma).unbind(1):  # psi(g sigma) = psi(sigma) for every g
        torch.testing.assert_close(_rbm.log_psi(p.full, img), lp)
    O = p.log_derivatives(sigma, torch.tanh(_rbm.theta(p.full, sigma)))
    eps = 1e-7
    for k in range(p.n_parameters()):
        q = p.clone()
        d = torch.zeros(p.n_parameters(), dtype=torch.float64)
        d[k] = eps
        q.add_(d)
        num = (_rbm.log_psi(q.full, sigma) - lp) / eps
        torch.testing.assert_close(num, O[:, k], atol=1e-5, rtol=1e-5)


def test_characters_and_marshall_factors():
    g = SymmetryGroup((4, 4), spin_flip=True)
    chi = g.characters((1, 2), -1)
    # a character is a homomorphism: chi(T_r) chi(T_s) = chi(T_{r+s})
    shifts = {tuple(s): c for s, c, f in zip(g.shifts, chi, g.flips) if not f}
    for r, cr in shifts.items():
        for s, cs in shifts.items():
            t = tuple((np.add(r, s)) % 4)
            assert np.isclose(cr * cs, shifts[t])
    assert np.allclose(chi[g.flips], -chi[~g.flips])
    H = Heisenberg((4, 4))
    # Marshall factors of a 4x4 lattice at S^z = 0 (8 up spins): all +1
    assert np.all(g.marshall_factors(H.sublattice == 0, 8) == 1.0)
    # a ring of 10: a translation by one site swaps the sublattices, (-1)^5 = -1
    g10 = SymmetryGroup((10,))
    f = g10.marshall_factors(Heisenberg(10).sublattice == 0, 5)
    assert np.array_equal(f, np.where(g10.shifts[:, 0] % 2, -1.0, 1.0))


# ---------------------------------------------------------------------------------------
# 2-D Heisenberg against exact diagonalisation
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def heisenberg_4x4():
    H = Heisenberg((4, 4))
    M, _ = H.to_sparse(n_up=8)
    e0 = float(eigsh(M, k=1, which="SA")[0][0])
    assert np.isclose(e0 / 64, -0.701780, atol=1e-6)  # S.S per site: the ED value
    return H, e0


def test_translation_symmetric_rbm_4x4_reaches_1e3(heisenberg_4x4):
    H, e0 = heisenberg_4x4
    est = RBMWavefunction(H, alpha=4, symmetry="translation", max_iter=250, n_samples=1000,
                          learning_rate=0.02, random_state=0).fit()
    assert est.n_parameters_ == 4 + 4 * 16  # no visible bias at fixed S^z_total
    assert est.filters_.shape == (4, 16) and est.components_.shape == (64, 16)
    eps = abs((est.expectation(H) - e0) / e0)
    assert eps <= 1e-3, eps

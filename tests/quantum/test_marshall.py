"""The Marshall sign rule on square lattices: exact checks of the sublattice the fit uses."""

import numpy as np
import pytest
import torch

from skphys.quantum import Heisenberg, RBMWavefunction, _rbm, exact_ground_state
from skphys.quantum._operators import codes_to_spins
from skphys.quantum._vmc import GroundStateFit


def _fit_sublattice(H):
    """The sublattice A that a ground-state fit of ``H`` applies the Marshall sign on."""
    return GroundStateFit(RBMWavefunction(hamiltonian=H), torch.device("cpu")).sublattice_a


def _rotated_off_diagonal(H, sublattice_a):
    """Every off-diagonal element of H in the S^z=0 sector, with the Marshall sign applied
    the way the local energies of a fit apply it (``_rbm.marshall_flip_signs``)."""
    N = H.n_sites
    M, codes = H.to_sparse(n_up=N // 2)
    sigma = torch.from_numpy(codes_to_spins(codes, N).astype(np.float64))
    sub_a = torch.as_tensor(np.asarray(sublattice_a, bool))
    out = []
    for g in H.flip_groups:
        mel = g.element(sigma) * _rbm.marshall_flip_signs(g.sites_tensor("cpu"), sub_a)
        mel = mel.real if mel.is_complex() else mel
        out.append(mel[mel != 0])
    return torch.cat(out).numpy(), M, codes


def _stripes(shape):
    rows, cols = np.unravel_index(np.arange(int(np.prod(shape))), shape)
    return cols % 2 == 0  # columns alternate: vertical bonds join equal sublattices


@pytest.mark.parametrize("shape", [(4, 4), (2, 4), (3, 4)])
def test_marshall_rotation_leaves_no_positive_off_diagonal_element(shape):
    # bipartite shapes only: (3, 4) is open along the 3 (pbc needs an even length to stay
    # bipartite; the lattice code wraps only lengths > 2, and a 3-ring is frustrated)
    H = Heisenberg(shape, pbc=shape[0] != 3)
    assert H.bipartite
    sub_a = _fit_sublattice(H)
    rows, cols = np.unravel_index(np.arange(H.n_sites), shape)
    np.testing.assert_array_equal(sub_a, (rows + cols) % 2 == 0)  # the checkerboard
    off, M, codes = _rotated_off_diagonal(H, sub_a)
    assert len(off) > 0 and off.max() <= 0.0  # stoquastic: a positive ground state
    # the same from the sparse matrix with an explicit diagonal sign U = (-1)^(up on A)
    masks = (np.int64(1) << np.flatnonzero(sub_a)).sum()
    u = 1.0 - 2.0 * (np.array([bin(c & masks).count("1") for c in codes]) % 2)
    R = M.multiply(u[:, None]).multiply(u[None, :]).tocsr()
    R.setdiag(0)
    R.eliminate_zeros()
    assert R.max() <= 0.0 and R.min() < 0.0
    assert H.is_stoquastic(True)


@pytest.mark.parametrize("shape", [(4, 4), (2, 4)])
def test_a_wrong_sublattice_leaves_positive_elements(shape):
    # the test above has teeth: stripes instead of the checkerboard fail it
    H = Heisenberg(shape)
    off, _, _ = _rotated_off_diagonal(H, _stripes(shape))
    assert off.max() > 0.0
    off, _, _ = _rotated_off_diagonal(H, np.zeros(H.n_sites, bool))  # no rotation at all
    assert off.max() > 0.0


def test_marshall_sign_of_the_exact_4x4_ground_state():
    # Marshall's theorem: times (-1)^(up spins on A), every amplitude has one sign
    H = Heisenberg((4, 4))
    gs = exact_ground_state(H)
    sub_a = _fit_sublattice(H)
    spins = codes_to_spins(gs.codes, H.n_sites)
    sign = 1.0 - 2.0 * (((spins > 0) & sub_a).sum(1) % 2)
    rotated = np.real(gs.psi) * sign
    rotated *= np.sign(rotated[np.argmax(np.abs(rotated))])
    assert rotated.min() > -1e-10 and np.count_nonzero(rotated > 1e-12) == len(rotated)
    # stripes give both signs
    stripes = 1.0 - 2.0 * (((spins > 0) & _stripes((4, 4))).sum(1) % 2)
    assert (np.real(gs.psi) * stripes).min() < -1e-6 < 1e-6 < (np.real(gs.psi) * stripes).max()


def test_square_lattice_ground_state_is_fitted_with_the_marshall_sign():
    # a 2x4 periodic Heisenberg model (8 spins): real parameters suffice with the sign
    H = Heisenberg((2, 4))
    gs = exact_ground_state(H)
    psi = RBMWavefunction(hamiltonian=H, n_samples=500, max_iter=100, random_state=0).fit()
    assert psi.marshall_sign_ and not np.iscomplexobj(psi.components_)
    np.testing.assert_array_equal(psi.marshall_sublattice_, _fit_sublattice(H))
    # 70 states in the sector, 80 parameters: the RBM is essentially exact here (with
    # stripes for sublattice A, real parameters cannot follow the signs: the fit diverges)
    assert (psi.expectation(H) - gs.energy) / abs(gs.energy) < 1e-4
    assert psi.fidelity(gs) > 0.999

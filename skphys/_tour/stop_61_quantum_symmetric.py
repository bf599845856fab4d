"""Tour stop: symmetric neural quantum states — 2-D Heisenberg and symmetry sectors."""

import time

from scipy.sparse.linalg import eigsh

from ..quantum import ExactState, Heisenberg, RBMWavefunction
from ..quantum._operators import codes_to_spins, spins_to_codes
from ..quantum._symmetric import SymmetryGroup
from . import say

TITLE = "Symmetric RBMs: 2-D Heisenberg, momentum sectors"


def _sector_ground_state(H, momentum):
    """Lowest state of a ring's momentum sector (S^z = 0), by projection and dense ED."""
    import numpy as np

    M, codes = H.to_sparse(n_up=H.n_sites // 2)
    spins = codes_to_spins(codes, H.n_sites)
    group = SymmetryGroup((H.n_sites,))
    chi = group.characters(momentum)
    P = np.zeros((len(codes), len(codes)), dtype=complex)
    for g, perm in enumerate(group.perms):
        img = np.searchsorted(codes, spins_to_codes(spins[:, perm]))
        P[np.arange(len(codes)), img] += np.conj(chi[g]) / len(group)
    w, v = np.linalg.eigh((P + P.conj().T) / 2)
    Q = v[:, w > 0.5]
    e, u = np.linalg.eigh(Q.conj().T @ (M @ Q))
    return ExactState(float(e[0]), Q @ u[:, 0], codes, H.n_sites)


def run(out_dir, quick):
    rows = []
    H = Heisenberg((4, 4))
    e0 = float(eigsh(H.to_sparse(n_up=8)[0], k=1, which="SA")[0][0])
    say("VMC: translation-symmetric RBM (4 filters) on the 4x4 Heisenberg lattice")
    t0 = time.perf_counter()
    psi = RBMWavefunction(H, alpha=4, symmetry="translation", max_iter=250, n_samples=1000,
                          learning_rate=0.02, random_state=0).fit()
    wall = time.perf_counter() - t0
    eps = abs((psi.expectation(H) - e0) / e0)
    rows.append({"result": "Heisenberg 4x4, translation-symmetric RBM alpha=4: eps_rel",
                 "value": f"{eps:.1e} in {wall:.1f} s ({psi.n_parameters_} parameters)",
                 "reference": "issue target <= 1e-3 (dense RBM: 5.2e-3 after 7,000 its)",
                 "ok": bool(eps <= 1e-3)})

    ring = Heisenberg(8)
    gs = _sector_ground_state(ring, 1)
    say("VMC in the momentum sector k = 2 pi / 8 of the Heisenberg ring (an excited state)")
    est = RBMWavefunction(ring, sector={"momentum": 1}, sampler="exact", max_iter=100,
                          n_samples=300, random_state=0).fit()
    eps_k = abs((est.expectation(ring) - gs.energy) / gs.energy)
    rows.append({"result": "ring L=8, lowest state of momentum 2 pi/8: eps_rel, fidelity",
                 "value": f"{eps_k:.1e}, {est.fidelity(gs):.4f}",
                 "reference": "ED in the sector; test bar eps <= 2e-3, F >= 0.99",
                 "ok": bool(eps_k <= 2e-3)})

    if not quick:
        H6 = Heisenberg((6, 6))
        e6 = -97.757590  # ED (the issue): -24.4393969 in S.S units
        say("VMC: translation-symmetric RBM (4 filters) on the 6x6 lattice, 400 iterations")
        t0 = time.perf_counter()
        big = RBMWavefunction(H6, alpha=4, symmetry="translation", max_iter=400,
                              n_samples=1008, learning_rate=lambda it: 0.01 if it < 300
                              else 0.003, random_state=0).fit()
        wall = time.perf_counter() - t0
        e, err = big.expectation(H6, n_samples=20000, random_state=0, return_error=True)
        eps6 = abs((e - e6) / e6)
        rows.append({"result": "Heisenberg 6x6, translation-symmetric RBM alpha=4: eps_rel",
                     "value": f"{eps6:.1e} +- {err / abs(e6):.0e} in {wall:.0f} s "
                              f"({big.n_parameters_} parameters)",
                     "reference": "issue target <= 3e-3 in <= 10 min on one core",
                     "ok": bool(eps6 <= 3e-3 and wall <= 600)})
    return rows

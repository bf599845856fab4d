"""
=============================================================================
The lecture's slide: 36 spins, an RBM of 4,032 parameters, SR in sample space
=============================================================================

The antiferromagnetic Heisenberg ring of ``L = 36`` spins, ``H = sum_i sigma_i . sigma_{i+1}``
(Pauli matrices), is past exact diagonalisation on a laptop, but its ground-state energy is
known from the Bethe ansatz: :func:`~skphys.quantum.heisenberg_chain_energy` solves the
Bethe equations (and agrees with Lanczos to 1e-8 up to ``L = 20`` in the tests).

An RBM with ``alpha = 3`` (108 hidden units) has ``36 + 108 + 36 * 108 = 4,032`` parameters.
With 1008 samples per iteration there are four times more parameters than samples, and
:class:`~skphys.quantum.RBMWavefunction` (``solver="auto"``) solves stochastic reconfiguration
in sample space (MinSR: a 1008 x 1008 system instead of 4,032 x 4,032, the same update).
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from skphys.quantum import Heisenberg, RBMWavefunction, heisenberg_chain_energy

torch.set_num_threads(1)

L = 36
H = Heisenberg(L)
e0 = heisenberg_chain_energy(L)
print(f"Bethe ansatz: E0 = {e0:.6f} (Pauli units), {e0 / 4:.6f} in S.S units")

# %%
# Parameters against amplitudes
# -----------------------------
# Exact diagonalisation stores one amplitude per basis state: ``2^36`` of them, or
# ``C(36, 18)`` in the S^z = 0 sector where the ground state lives; translations, reflection
# and spin flip (a group of 144 elements) divide that by at most 144.
sector = math.comb(L, L // 2)
print(f"2^36              = {2.0**L:.2e} amplitudes")
print(f"C(36, 18)         = {sector:.2e} amplitudes (S^z = 0 sector)")
print(f"C(36, 18) / 144   = {sector / 144:.1e} (at best, with the lattice symmetries)")

# %%
# Variational Monte Carlo
# -----------------------
# The default run is short (a gallery example must run in seconds); ``benchmarks/
# bench_quantum.py --only heisenberg36`` runs the same settings for 1000 iterations and
# reports the time to each epsilon, beside NetKet's ``VMC_SR``.
n_iter = 120
psi = RBMWavefunction(hamiltonian=H, alpha=3, n_samples=1008, max_iter=n_iter,
                      random_state=0).fit()
print(f"RBM: {psi.n_parameters_} parameters, SR solver {psi.solver_!r}, "
      f"sampler {psi.sampler_!r}, Marshall sign {psi.marshall_sign_}")
e = psi.expectation(H, n_samples=20000, random_state=0)
err = math.sqrt(psi.energy_variance_ / 20000)
print(f"E_RBM = {e:.4f} (+- ~{err:.4f}), eps = {(e - e0) / abs(e0):.1e} after {n_iter} "
      "iterations")
print(f"{psi.n_parameters_} parameters instead of {sector:.1e} amplitudes: "
      f"{sector / psi.n_parameters_:.0e} times fewer")

# %%
# The symmetric RBM beside it
# ---------------------------
# Sharing the weights over the ring's 36 translations (``symmetry="translation"``, Carleo &
# Troyer's symmetric RBM: ``alpha = 4`` filters of 36 weights each) leaves 148 parameters,
# and the same 1008 samples per iteration go much further: a test in
# ``tests/quantum/test_symmetric.py`` holds the 4x4 lattice to 1e-3 with 68 such parameters.
n_iter_sym = 100
sym = RBMWavefunction(hamiltonian=H, alpha=4, symmetry="translation", n_samples=1008,
                      max_iter=n_iter_sym, random_state=0).fit()
e_sym, err_sym = sym.expectation(H, n_samples=20000, random_state=0, return_error=True)
print(f"symmetric RBM: {sym.n_parameters_} parameters, E = {e_sym:.4f} (+- {err_sym:.4f}), "
      f"eps = {(e_sym - e0) / abs(e0):.1e} after {n_iter_sym} iterations")

fig, ax = plt.subplots(figsize=(6, 4))
for model, label in [(psi, f"RBM alpha=3, {psi.n_parameters_} parameters"),
                     (sym, f"symmetric RBM, {sym.n_parameters_} parameters")]:
    eps = (np.array(model.energy_curve_) - e0) / abs(e0)
    ax.semilogy(np.arange(1, len(eps) + 1), np.clip(eps, 1e-5, None), lw=1, label=label)
ax.set(xlabel="SR iterations", ylabel="(E - E0) / |E0|  (Monte Carlo)",
       title=f"Heisenberg ring L={L}")
ax.legend()
plt.show()

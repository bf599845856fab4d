"""
===================================================================
Tomography without hints: the W state of 20 spins and Rényi entropy
===================================================================

Torlai et al. (Nature Physics 14, 447 (2018)) learn the W state
``(|10...0> + |01...0> + ... + |0...01>) / sqrt(N)`` from ``Z``-basis snapshots, its fidelity
approaching 1 as the snapshots grow. Here :class:`~skphys.quantum.RBMWavefunction` is told
nothing about the state: it models all ``2^20`` configurations (not the one-up sector), and
fits by persistent contrastive divergence with natural-gradient steps. The same number of
steps (250 mini-batches of at most 1000 snapshots) is taken for every data-set size.

The fidelity with the W state is exact: ``<W|psi> = sum_j psi(e_j) / sqrt(N)`` over the
``N`` one-up configurations, and the normaliser is summed over the ``2^20`` states.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from skphys.datasets._measurements import make_quantum_snapshots
from skphys.quantum import ExactState, RBMWavefunction, sector_codes

torch.set_num_threads(1)

N = 20
w_state = ExactState(energy=0.0, psi=np.full(N, N**-0.5), codes=sector_codes(N, 1), n_sites=N)
sizes = [100, 1000, 10000]
fidelities = []
for n in sizes:
    X, _ = make_quantum_snapshots(n, state="w", n_sites=N, random_state=0)
    epochs = 25 * 10000 // max(n, 1000)  # 250 steps whatever n
    t0 = time.perf_counter()
    model = RBMWavefunction(max_iter=epochs, random_state=0).fit(X)
    fidelities.append(model.fidelity(w_state))
    print(f"{n:6d} snapshots: F = {fidelities[-1]:.4f} ({time.perf_counter() - t0:.1f} s)")

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(sizes, fidelities, "o-")
ax.axhline(0.95, color="gray", ls=":", label="F = 0.95")
ax.set(xlabel="number of Z snapshots", ylabel="fidelity with the W state",
       title=f"W state, N={N}, full space (no sector given)")
ax.legend()
plt.show()

# %%
# Entanglement from the learned state: Rényi-2 entropy against the cut
# --------------------------------------------------------------------
# The transverse-field Ising chain (open, ``N = 10``, ``h = 1``) learned from 10^4
# ``Z`` snapshots. :meth:`~skphys.quantum.RBMWavefunction.renyi_entropy` estimates
# ``S_2 = -log Tr rho_A^2`` with the replica swap estimator (two independent sets of
# samples of the model), here beside the exact values of the ED state (its Schmidt values).
from skphys.plotting import RenyiEntropyDisplay

X, _, state = make_quantum_snapshots(10000, n_sites=10, return_state=True, random_state=0)
tfim = RBMWavefunction(max_iter=300, random_state=0).fit(X)
disp = RenyiEntropyDisplay.from_estimator(tfim, n_samples=50000, random_state=0,
                                          reference=state)
print("max |S2(model) - S2(exact)| over cuts:",
      f"{np.max(np.abs(disp.entropies - disp.reference)):.4f}")
plt.show()

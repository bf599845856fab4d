"""
=====================================================================
Quench dynamics of the transverse-field Ising ring by t-VMC (TDVP)
=====================================================================

Carleo & Troyer's quench (Science 2017): the Ising ring ``H = -sum Z_i Z_i+1 - h sum X_i``
is prepared in its ground state at ``h = 0.5`` and the field is switched to ``h = 1`` at
``t = 0``. :class:`~skphys.quantum.TimeEvolution` evolves an RBM wave function with the
time-dependent variational principle, ``S theta_dot = -i F``, integrated by fourth-order
Runge-Kutta with a fixed step ``dt = 0.01``; the reference is the exact evolution of the
exact ground state on all ``2^L`` states (:func:`~skphys.quantum.exact_evolution`, scipy's
``expm_multiply``).

Here ``L = 10`` and the averages are exact sums over the 1,024 configurations, so the only
differences from the exact curve come from the ansatz (a translation-symmetric RBM with two
filters: 23 complex parameters), the fitted initial state and the time step. The Monte Carlo
version at ``L = 20`` against ``expm_multiply`` on 2^20 states, beside NetKet's TDVP, is
``benchmarks/bench_quantum.py --only tdvp``.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from skphys.plotting import TrajectoryDisplay
from skphys.quantum import (
    RBMWavefunction,
    TimeEvolution,
    TransverseFieldIsing,
    exact_evolution,
    exact_ground_state,
    magnetization,
)

torch.set_num_threads(1)

# %%
# The initial state: the ground state at h = 0.5
# ----------------------------------------------
L = 10
H0, H = TransverseFieldIsing(L, h=0.5), TransverseFieldIsing(L, h=1.0)
gs = RBMWavefunction(H0, alpha=2, symmetry="translation", sampler="exact", max_iter=300,
                     n_samples=2000, learning_rate=lambda it: 0.05 / (1 + it / 100),
                     random_state=0).fit()
exact0 = exact_ground_state(H0)
print(f"ground state at h=0.5: E = {gs.expectation(H0):.5f}, exact {exact0.energy:.5f}")

# %%
# The quench: t-VMC against exact evolution
# -----------------------------------------
mx = magnetization(L, "X")
evo = TimeEvolution(H, initial_state=gs, t_final=2.0, dt=0.01, integrator="rk4",
                    observables={"sigma_x": mx}).fit()
tr = evo.trajectory_
E_exact, (sx_exact,), _ = exact_evolution(H, exact0.full(), tr["time"], [mx])
print(f"{evo.n_iter_} RK4 steps, {evo.n_parameters_} complex parameters ({evo.method_} sums)")
print(f"largest error of <sigma^x>(t) up to t=2: {np.abs(tr['sigma_x'] - sx_exact).max():.1e}")
print(f"largest error of E(t) / L: {np.abs(tr['energy'] - E_exact).max() / L:.1e}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
TrajectoryDisplay.from_estimator(evo, "sigma_x", reference=sx_exact, ax=ax1)
ax1.set_ylabel(r"$\langle \sigma^x \rangle$ per site")
TrajectoryDisplay.from_estimator(evo, "energy", reference=E_exact, ax=ax2)
ax2.set_ylabel("E (conserved)")
fig.suptitle(f"TFIM ring L={L}: quench h = 0.5 -> 1")
fig.tight_layout()

# %%
# How well the ansatz follows the dynamics
# ----------------------------------------
# The TDVP error ``r^2`` (Schmitt & Heyl 2020) is the fraction of ``(H - E)|psi>`` that the
# step cannot represent in the tangent space of the RBM: it grows as the state spreads
# correlations, and with it the deviation from the exact curve.
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy(tr["time"], np.maximum(tr["tdvp_error"], 1e-12), label="TDVP error $r^2$")
ax.semilogy(tr["time"], np.abs(tr["sigma_x"] - sx_exact) + 1e-12,
            label=r"$|\Delta \langle\sigma^x\rangle|$")
ax.set_xlabel("time t (1/J)")
ax.legend()
fig.tight_layout()
plt.show()

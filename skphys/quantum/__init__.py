"""Neural-network quantum states: RBM wave functions, spin Hamiltonians, exact references.

* :class:`RBMWavefunction` — variational ground states (VMC with stochastic reconfiguration)
  and quantum state tomography from measurement snapshots, as one scikit-learn density model.
* :class:`Heisenberg` (XXZ) and :class:`TransverseFieldIsing` on chains and square lattices,
  :class:`PauliSum` observables; vectorised connected configurations for local energies and
  sparse matrices for exact diagonalisation (:func:`exact_ground_state`).
* :class:`TimeEvolution` — real-time dynamics (t-VMC / TDVP) after a quench, with
  :func:`exact_evolution` (``expm_multiply`` on the full space) as the reference.
* :func:`make_quantum_snapshots` — measurement data (also in :mod:`skphys.datasets`).

Conventions (Pauli matrices by default, spin ``+1`` = up = bit set) are documented in
:mod:`skphys.quantum._operators`.
"""

from ..datasets._measurements import make_quantum_snapshots
from ._entropy import exact_renyi_entropy
from ._operators import (
    ExactState,
    Heisenberg,
    PauliSum,
    TransverseFieldIsing,
    codes_to_spins,
    exact_ground_state,
    fidelity,
    sector_codes,
    spins_to_codes,
)
from ._excited import ExcitedStates, exact_sector_spectrum
from ._references import heisenberg_chain_energy, tfim_chain_energy
from ._tdvp import TimeEvolution, magnetization
from ._tdvp_core import exact_evolution
from ._wavefunction import RBMWavefunction, neg_energy_scorer

__all__ = [
    "RBMWavefunction",
    "ExcitedStates",
    "exact_sector_spectrum",
    "Heisenberg",
    "TransverseFieldIsing",
    "PauliSum",
    "ExactState",
    "exact_ground_state",
    "fidelity",
    "exact_renyi_entropy",
    "codes_to_spins",
    "spins_to_codes",
    "sector_codes",
    "make_quantum_snapshots",
    "neg_energy_scorer",
    "tfim_chain_energy",
    "heisenberg_chain_energy",
    "TimeEvolution",
    "magnetization",
    "exact_evolution",
]

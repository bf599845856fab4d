"""Projective measurement snapshots of small quantum states, for tomography."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_quantum_snapshots"]


def make_quantum_snapshots(n_samples=10000, *, state="tfim", n_sites=10, h=1.0, pbc=False,
                           bases=None, return_state=False, random_state=None):
    """Measurement snapshots of a quantum state: projective measurements in given bases.

    Each snapshot measures every spin of a fresh copy of the state in a product basis (one of
    ``X``, ``Y``, ``Z`` per spin) and records the outcomes, ``+1`` or ``-1``. The state is an
    exact ground state (small ``n_sites``), a named state, or given amplitudes; the W and GHZ
    states are sampled without building the state vector, so any ``n_sites`` works for them in
    the ``Z`` basis.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of snapshots.
    state : str, operator or array-like, default="tfim"
        ``"tfim"``: ground state of the transverse-field Ising chain ``-sum Z Z - h sum X``;
        ``"heisenberg"``: ground state of the Heisenberg chain; ``"w"``: the W state
        ``(|10..0> + |01..0> + ... + |0..01>) / sqrt(N)`` (one spin up); ``"ghz"``:
        ``(|0..0> + |1..1>) / sqrt(2)``; an operator of :mod:`skphys.quantum` (its ground
        state); or ``2**n_sites`` amplitudes (index ``c`` has spin ``j`` up iff bit ``j`` of
        ``c`` is set).
    n_sites : int, default=10
        Number of spins (ignored when ``state`` is an operator or amplitudes).
    h : float, default=1.0
        Transverse field of ``"tfim"``.
    pbc : bool, default=False
        Periodic chain for ``"tfim"`` and ``"heisenberg"`` (open by default).
    bases : None, str or list of str, default=None
        Measurement bases, each a string of ``X``, ``Y``, ``Z`` of length ``n_sites``; each
        snapshot uses one of them, chosen uniformly. None: all ``Z``.
    return_state : bool, default=False
        Also return the exact state (amplitudes on the full basis).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_sites)
        Outcomes, ``+1`` or ``-1`` (float).
    bases : ndarray of str of shape (n_samples,)
        The basis of each snapshot.
    state : ndarray of shape (2**n_sites,)
        Only with ``return_state``: the normalised amplitudes (None for the W and GHZ states
        beyond 20 spins).

    Examples
    --------
    >>> from skphys.datasets._measurements import make_quantum_snapshots
    >>> X, bases = make_quantum_snapshots(1000, n_sites=6, random_state=0)
    >>> X.shape, str(bases[0])
    ((1000, 6), 'ZZZZZZ')
    """
    from ..quantum._operators import (
        Heisenberg,
        TransverseFieldIsing,
        _SpinOperator,
        codes_to_spins,
        exact_ground_state,
        rotate_state,
    )

    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    rng = check_random_state(random_state)
    psi = None
    if isinstance(state, str):
        name = state.lower()
        if name in ("tfim", "heisenberg"):
            H = (TransverseFieldIsing(n_sites, h=h, pbc=pbc) if name == "tfim"
                 else Heisenberg(n_sites, pbc=pbc))
            psi = exact_ground_state(H).full()
        elif name not in ("w", "ghz"):
            raise ValueError(f"unknown state {state!r}")
    elif isinstance(state, _SpinOperator):
        n_sites = state.n_sites
        psi = exact_ground_state(state).full()
    else:
        psi = np.asarray(state)
        n_sites = int(round(np.log2(psi.size)))
        if psi.ndim != 1 or psi.size != 2**n_sites:
            raise ValueError("state amplitudes must be a vector of length 2**n_sites")
        psi = psi / np.linalg.norm(psi)

    if bases is None:
        basis_list = ["Z" * n_sites]
    else:
        basis_list = [bases] if isinstance(bases, str) else list(bases)
        basis_list = [b.upper() for b in basis_list]
        for b in basis_list:
            if len(b) != n_sites or set(b) - set("XYZ"):
                raise ValueError(f"bad basis {b!r}: need {n_sites} letters from X, Y, Z")
    which = rng.randint(len(basis_list), size=n_samples)
    labels = np.array(basis_list)[which]

    if psi is None:  # W or GHZ
        if any(set(b) != {"Z"} for b in basis_list) or return_state and n_sites <= 20:
            psi = _named_state(state.lower(), n_sites)
        if psi is None:
            X = -np.ones((n_samples, n_sites))
            if state.lower() == "w":
                X[np.arange(n_samples), rng.randint(n_sites, size=n_samples)] = 1.0
            else:
                X[rng.rand(n_samples) < 0.5] = 1.0
            return (X, labels, None) if return_state else (X, labels)

    X = np.empty((n_samples, n_sites))
    for k, b in enumerate(basis_list):
        rows = np.flatnonzero(which == k)
        if len(rows) == 0:
            continue
        prob = np.abs(rotate_state(psi, b)) ** 2
        prob /= prob.sum()
        codes = rng.choice(len(prob), size=len(rows), p=prob)
        X[rows] = codes_to_spins(codes, n_sites)
    return (X, labels, psi) if return_state else (X, labels)


def _named_state(name, n_sites):
    if n_sites > 20:
        raise ValueError(f"the {name} state vector of {n_sites} spins is too large; "
                         "sample it in the Z basis only")
    psi = np.zeros(2**n_sites)
    if name == "w":
        psi[2 ** np.arange(n_sites)] = 1.0
    else:
        psi[[0, 2**n_sites - 1]] = 1.0
    return psi / np.linalg.norm(psi)

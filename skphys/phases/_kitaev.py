"""Entanglement spectra of the Kitaev chain: a topological transition at |mu| = 2t."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_kitaev_chain"]


@validate_params(
    {
        "mu": ["array-like"],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_sites": [Interval(Integral, 4, None, closed="left")],  # even: checked below
        "t": [Interval(Real, 0, None, closed="neither")],
        "delta": [Interval(Real, 0, None, closed="neither"), tuple],
        "n_levels": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_kitaev_chain(mu, n_samples=10, *, n_sites=64, t=1.0, delta=(0.5, 1.5), n_levels=16,
                      random_state=None):
    """Ground-state entanglement spectra of Kitaev chains across chemical potentials.

    The Kitaev chain ``H = sum_j [-t (c_j^+ c_{j+1} + h.c.) + Delta (c_j c_{j+1} + h.c.)
    - mu c_j^+ c_j]`` is topological (Majorana end modes) for ``|mu| < 2t`` and trivial for
    ``|mu| > 2t``, for any ``Delta != 0``. Each sample is the entanglement spectrum of the
    exact (BdG) ground state of a ring of ``n_sites`` sites (antiperiodic boundary conditions)
    cut into two halves: the largest ``n_levels`` eigenvalues of one half's reduced density
    matrix, which come in degenerate pairs in the topological phase (the Majorana modes bound
    at the two cuts make one fermion mode shared by the halves) and are led by a single eigenvalue near 1 in the trivial one. Samples at the same ``mu`` differ by their
    pairing ``Delta``, drawn uniformly from ``delta``, which leaves the transition in place:
    the classifier must find it from the spectra alone. This is the system on which learning by
    confusion was introduced (van Nieuwenburg, Liu & Huber 2017).

    Parameters
    ----------
    mu : array-like of shape (n_mu,)
        Chemical potentials.
    n_samples : int, default=10
        Samples per chemical potential.
    n_sites : int, default=64
        Number of sites of the ring (even); the subsystem is half of it. Finite size
        smooths the transition over ``|mu - 2t| ~ 1 / n_sites``.
    t : float, default=1.0
        Hopping amplitude; the transition is at ``|mu| = 2 t``.
    delta : float or tuple of (float, float), default=(0.5, 1.5)
        Pairing amplitude, or the range it is drawn from uniformly for each sample.
    n_levels : int, default=16
        Number of entanglement-spectrum levels kept (largest first).
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of ``Delta``.

    Returns
    -------
    X : ndarray of shape (n_mu * n_samples, n_levels)
        Entanglement spectra: the largest Schmidt probabilities, in decreasing order.
    y : ndarray of shape (n_mu * n_samples,)
        The chemical potential of each sample.

    References
    ----------
    A. Yu. Kitaev, "Unpaired Majorana fermions in quantum wires", Phys.-Usp. 44, 131 (2001).

    Examples
    --------
    >>> from skphys.phases import make_kitaev_chain
    >>> X, y = make_kitaev_chain([0.5, 3.5], n_samples=1, random_state=0)
    >>> X.shape
    (2, 16)
    >>> [round(float(v), 3) for v in X[0, :3]]  # topological: degenerate pairs
    [0.5, 0.5, 0.0]
    >>> [round(float(v), 3) for v in X[1, :3]]  # trivial: one dominant Schmidt value
    [0.936, 0.032, 0.032]
    """
    if n_sites % 2:
        raise ValueError(f"n_sites must be even, got {n_sites}.")
    mu = np.asarray(mu, dtype=np.float64).ravel()
    rng = check_random_state(random_state)
    y = np.repeat(mu, n_samples)
    if isinstance(delta, tuple):
        if len(delta) != 2 or not 0 < delta[0] <= delta[1]:
            raise ValueError(f"delta must be a positive number or a range (low, high), got {delta!r}.")
        deltas = rng.uniform(delta[0], delta[1], size=len(y))
    else:
        deltas = np.full(len(y), float(delta))
    X = np.empty((len(y), n_levels))
    for i, (m, d) in enumerate(zip(y, deltas)):
        X[i] = _entanglement_spectrum(n_sites, t, d, m, n_levels)
    return X, y


def _entanglement_spectrum(n, t, delta, mu, n_levels):
    """Largest ``n_levels`` Schmidt probabilities of the half chain (exact, free fermions)."""
    # a ring with antiperiodic boundary conditions (c_{n} = -c_0): its momenta k = 2 pi (m + 1/2)
    # / n avoid k = 0 and pi, so the BdG spectrum has no zero mode at any mu (n even) and the
    # ground state is unique; open ends would bring exact zero modes and an ambiguous one.
    hop = np.diag(np.full(n, -mu)) + np.diag(np.full(n - 1, -t), 1) + np.diag(np.full(n - 1, -t), -1)
    hop[0, -1] = hop[-1, 0] = t
    pair = np.diag(np.full(n - 1, delta), 1)
    pair[-1, 0] = -delta
    pair = pair - pair.T
    h_bdg = np.block([[hop, pair], [-pair, -hop]])  # H = 1/2 Psi^+ h_bdg Psi, Psi = (c, c^+)
    _, vecs = np.linalg.eigh(h_bdg)
    positive = vecs[:, n:]  # the n quasiparticle modes above zero (the ground state empties them)
    corr = positive @ positive.T  # <Psi Psi^+>
    half = n // 2
    idx = np.r_[0:half, n : n + half]
    nu = np.linalg.eigvalsh(corr[np.ix_(idx, idx)])
    q = np.clip(nu[half:], 0.5, 1.0)  # one of each (nu, 1 - nu) pair: mode probabilities >= 1/2
    # the many-body spectrum: each mode k contributes q_k or 1 - q_k; the most entangled modes
    # (q near 1/2) set the largest levels, so enumerate their choices exactly
    order = np.argsort(q)
    m = min(half, int(np.ceil(np.log2(n_levels))) + 3)
    active, rest = q[order[:m]], q[order[m:]]
    choices = (np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1
    levels = np.prod(np.where(choices == 1, 1 - active, active), axis=1) * np.prod(rest)
    levels = np.sort(levels)[::-1]
    out = np.zeros(n_levels)
    out[: min(n_levels, len(levels))] = levels[:n_levels]
    return out

"""Rényi-2 entanglement entropy: exact (Schmidt values) and by the replica swap estimator.

``S_2(A) = -log Tr rho_A^2`` for a bipartition of the spins into ``A`` and its complement
``B``. For a state vector it is exact: reshape ``psi`` into a ``2^|A| x 2^|B|`` matrix; its
singular values are the Schmidt coefficients ``lambda_k`` and ``Tr rho_A^2 = sum lambda_k^4``.
For a model that can only be sampled, the swap (replica) estimator of Hastings, González,
Kallin & Melko (PRL 104, 157201 (2010)) draws two independent configurations
``sigma = (a, b)`` and ``sigma' = (a', b')`` from ``|psi|^2`` and averages

``psi(a', b) psi(a, b') / (psi(a, b) psi(a', b'))``,

whose mean is ``Tr rho_A^2`` (its real part; the imaginary part averages to zero). Torlai et
al. (Nature Physics 14, 447 (2018)) estimate the entanglement of tomographic RBMs this way.
"""

import math

import numpy as np
import torch

from ._operators import ExactState, codes_to_spins

__all__ = [
    "check_subsystem",
    "exact_renyi_entropy",
    "renyi2_exact",
    "renyi2_swap",
    "state_renyi_entropy",
]


def check_subsystem(subsystem, n_sites):
    """The sites of ``A`` as a sorted int array: ``subsystem`` is ``k`` (sites ``0..k-1``,
    the cut after site ``k - 1``) or a sequence of distinct site indices."""
    if isinstance(subsystem, (bool, np.bool_)):
        raise TypeError(f"subsystem must be an int or a sequence of sites, got {subsystem!r}")
    if isinstance(subsystem, (int, np.integer)):
        k = int(subsystem)
        if not 0 <= k <= n_sites:
            raise ValueError(f"subsystem={k}: a cut position must be in [0, {n_sites}]")
        return np.arange(k)
    try:
        sites = np.asarray(subsystem)
    except (TypeError, ValueError):
        raise ValueError("subsystem must be an int or a sequence of site indices") from None
    if sites.ndim != 1 or (sites.size and sites.dtype.kind not in "iu"):
        raise ValueError(f"subsystem must be an int or a 1-D sequence of site indices, got "
                         f"{subsystem!r}")
    sites = sites.astype(np.int64)
    if sites.size and (sites.min() < 0 or sites.max() >= n_sites):
        raise ValueError(f"subsystem sites must be in [0, {n_sites - 1}], got {subsystem!r}")
    if len(np.unique(sites)) != len(sites):
        raise ValueError(f"subsystem sites must be distinct, got {subsystem!r}")
    return np.sort(sites)


def renyi2_exact(psi, n_sites, sites):
    """``S_2`` of the normalised-or-not amplitudes ``psi`` (full basis of ``2^n_sites``,
    index bit ``j`` = spin ``j``) for subsystem ``sites``, from its Schmidt values."""
    psi = np.asarray(psi)
    psi = psi / np.linalg.norm(psi)
    if len(sites) in (0, n_sites):
        return 0.0
    # axis j of the tensor (reversed bit order: C order puts the highest bit first)
    t = psi.reshape((2,) * n_sites)
    axes_a = [n_sites - 1 - j for j in sites]
    axes_b = [ax for ax in range(n_sites) if ax not in axes_a]
    m = np.transpose(t, axes_a + axes_b).reshape(2 ** len(axes_a), -1)
    s = np.linalg.svd(m, compute_uv=False)
    p = s**2
    return float(-np.log(np.sum(p**2)))


def exact_renyi_entropy(state, subsystem):
    """Rényi-2 entropy ``-log Tr rho_A^2`` of an exact state (Schmidt values by SVD).

    Parameters
    ----------
    state : ExactState or array-like of shape (2**n_sites,)
        The state (e.g. from :func:`exact_ground_state`), or its amplitudes on the full
        basis (index ``c`` has spin ``j`` up iff bit ``j`` of ``c`` is set).
    subsystem : int or sequence of int
        ``k``: the first ``k`` sites (the cut after site ``k - 1``); or the sites of ``A``.

    Returns
    -------
    s2 : float
        The entropy (natural logarithm).

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.quantum import exact_renyi_entropy
    >>> bell = np.array([1, 0, 0, 1]) / np.sqrt(2)   # (|00> + |11>) / sqrt(2)
    >>> round(exact_renyi_entropy(bell, 1), 6)   # log 2
    0.693147
    """
    if isinstance(state, ExactState):
        psi, n_sites = state.full(), state.n_sites
    else:
        psi = np.asarray(state)
        n_sites = round(math.log2(max(psi.size, 1)))
        if psi.ndim != 1 or psi.size != 2**n_sites:
            raise ValueError("state must be an ExactState or a vector of 2**n_sites amplitudes")
    if not np.all(np.isfinite(psi)) or not np.any(psi != 0):
        raise ValueError("state must be a finite, non-zero vector")
    return renyi2_exact(psi, n_sites, check_subsystem(subsystem, n_sites))


def renyi2_swap(log_psi, sigma, sigma2, sites):
    """The swap estimator from two independent sample sets of ``|psi|^2``.

    ``log_psi``: a function of a (B, N) float tensor of spins returning ``log psi`` (complex
    or real tensor). Returns ``(S_2, its standard error, the per-pair ratios)``; the error
    is propagated from the standard error of the mean ratio, ``err / mean``.
    """
    a = torch.as_tensor(sites, dtype=torch.long, device=sigma.device)
    swapped1 = sigma.clone()
    swapped2 = sigma2.clone()
    swapped1[:, a] = sigma2[:, a]  # (a', b)
    swapped2[:, a] = sigma[:, a]  # (a, b')
    log_r = (log_psi(swapped1) + log_psi(swapped2) - log_psi(sigma) - log_psi(sigma2))
    r = torch.exp(log_r.to(torch.complex128)).real.cpu().numpy()
    n = len(r)
    mean = float(r.mean())
    err = float(r.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    if not mean > 0:
        return math.inf, math.inf, r
    return -math.log(mean), err / mean, r


def state_renyi_entropy(state, sites, n_samples=None, exact_limit=2**20):
    """``(S_2, error)`` of a fitted state (:class:`~._state.RBMState` or a projected one):
    exact from its amplitudes on the full space when ``n_samples`` is None and the space
    has at most ``exact_limit`` states (error 0), else the swap estimator on two sets of
    ``n_samples`` samples (default 10000)."""
    N = state.n_sites
    if n_samples is None and 2**N <= exact_limit:
        codes = np.arange(2**N)
        log_psi = state.log_psi(torch.from_numpy(codes_to_spins(codes, N).astype(np.float64)))
        m = np.max(log_psi.real)
        psi = np.exp(log_psi - m)
        return renyi2_exact(psi, N, sites), 0.0
    n = 10000 if n_samples is None else int(n_samples)
    sigma = state.sample(2 * n)
    s2, err, _ = renyi2_swap(lambda s: torch.from_numpy(state.log_psi(s)),
                             sigma[:n], sigma[n:], sites)
    return s2, err

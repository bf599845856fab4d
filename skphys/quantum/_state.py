"""The fitted state of an RBM wave function: what a fit produces and every method reads.

:class:`RBMState` is the torch side of a fitted :class:`~skphys.quantum.RBMWavefunction`:
the parameters, the magnetisation sector the state lives in and the Marshall sign, on one
device. Everything a fitted wave function answers (``log psi``, the normaliser, normalised
probabilities in any measurement basis, samples, local energies and expectation values,
fidelities) is computed here, whichever driver produced the parameters (variational Monte
Carlo, :mod:`._vmc`, or tomography, :mod:`._tomography`). The estimator validates the user's
input and hands this object tensors; a new ansatz (a symmetric RBM, another network) is a new
state class with the same methods, and the drivers and the estimator stay as they are.
"""

import math

import numpy as np
import torch

from . import _rbm
from ._operators import BASIS_ROTATIONS, codes_to_spins

__all__ = ["RBMState", "EXACT_LIMIT", "EXACT_FIT_LIMIT"]

#: largest space summed over exactly (states) for normalisers, sampling and expectations
EXACT_LIMIT = 2**20
#: largest space for which the tomography likelihood is exact by default
EXACT_FIT_LIMIT = 2**16


class RBMState:
    """Parameters, sector and Marshall sign of an RBM wave function, on one device.

    Parameters
    ----------
    params : _rbm.RBMParams
        ``a``, ``b``, ``W`` (real or complex tensors, all on one device).
    n_up : int or None
        Spins up of the magnetisation sector (``psi = 0`` outside it), or None.
    sublattice_a : ndarray of bool of shape (N,) or None
        Sites of sublattice A when the Marshall sign ``(-1)^(up spins on A)`` is applied.
    """

    def __init__(self, params, n_up=None, sublattice_a=None):
        self.params = params
        self.n_up = n_up
        self.sublattice_a = None if sublattice_a is None else np.asarray(sublattice_a, bool)
        self._sub_a_t = (None if sublattice_a is None else
                         torch.as_tensor(self.sublattice_a, device=params.a.device))

    @property
    def n_sites(self):
        return self.params.n_visible

    @property
    def device(self):
        return self.params.a.device

    @property
    def is_complex(self):
        return self.params.dtype.is_complex

    def space_size(self):
        N = self.n_sites
        return math.comb(N, self.n_up) if self.n_up is not None else 2**N

    def space(self):
        return _rbm.Space(self.n_sites, self.n_up, self.device)

    # ---- amplitudes and probabilities ----------------------------------------------
    def log_psi(self, sigma):
        """``log psi(sigma)`` (complex numpy array), with the Marshall phase ``i pi``;
        ``-inf`` (``psi = 0``) outside the state's magnetisation sector."""
        out = _rbm.chunked_log_psi(self.params, sigma.to(self.device)).cpu().numpy()
        out = out.astype(complex)
        up = sigma.cpu().numpy() > 0
        if self.sublattice_a is not None:
            odd = (up & self.sublattice_a).sum(1) % 2
            out = out + 1j * np.pi * odd
        if self.n_up is not None:
            out[up.sum(1) != self.n_up] = -np.inf
        return out

    def log_norm(self, limit=EXACT_LIMIT):
        """``log sum |psi|^2`` over the state's space (exact; ValueError when intractable)."""
        N, M = self.n_sites, self.params.n_hidden
        if self.n_up is not None:
            if self.space_size() > limit:
                raise ValueError(
                    f"the normaliser over the sector of {self.n_up} up spins out of {N} "
                    f"({self.space_size()} states) is intractable; use sample() or "
                    "expectation(), which do not need it")
            return float(log_norm(self.params, "visible", self.space()))
        method = norm_method(N, M, self.is_complex, limit)
        if method is None:
            raise ValueError(
                f"the normaliser of {N} spins and {M} hidden units is intractable (more than "
                f"{limit} terms over either layer); use sample() or expectation(), which do "
                "not need it")
        return float(log_norm(self.params, method,
                              self.space() if method == "visible" else None))

    def log_prob(self, sigma, bases=None):
        """Normalised ``log |psi_b(sigma)|^2`` (numpy), ``-inf`` outside the sector."""
        log_z = self.log_norm()
        sigma_d = sigma.to(self.device)
        out = np.empty(len(sigma))
        if bases is None:
            out[:] = 2.0 * _rbm.chunked_log_psi(self.params, sigma_d).real.cpu().numpy()
        else:
            for b in np.unique(bases):
                rows = np.flatnonzero(bases == b)
                out[rows] = RotatedOutcomes(b, sigma_d[rows]).log_prob(self.params).cpu().numpy()
        out -= log_z
        if self.n_up is not None:
            out[(sigma.cpu().numpy() > 0).sum(1) != self.n_up] = -np.inf
        return out

    # ---- sampling --------------------------------------------------------------------
    def sample(self, n, n_sweeps=2):
        """``n`` configurations from ``|psi|^2``: exact draws from the full sum when the space
        has at most ``EXACT_LIMIT`` states, Markov chains otherwise."""
        params, N = self.params, self.n_sites
        if self.space_size() <= EXACT_LIMIT:
            space = self.space()
            logp = 2.0 * _rbm.chunked_log_psi(params, space.sigma).real
            idx = torch.multinomial(torch.softmax(logp, 0), n, replacement=True)
            return space.sigma[idx]
        n_chains = min(n, 1000)
        sampler = default_sampler(self.n_up is not None, self.is_complex)
        chains = _rbm.Chains.random(params, n_chains, N, self.n_up, self.device)
        _rbm.advance(params, chains, 50, sampler)
        out = []
        for _ in range(math.ceil(n / n_chains)):
            _rbm.advance(params, chains, n_sweeps, sampler)
            out.append(chains.sigma.clone())
        return torch.cat(out)[:n]

    # ---- operators -------------------------------------------------------------------
    def local_energy(self, operator, sigma, th=None, t=None, workspace=None):
        """``E_loc(sigma) = sum_sigma' <sigma|O|sigma'> psi(sigma') / psi(sigma)``."""
        if th is None:
            th = _rbm.theta(self.params, sigma)
            t = torch.tanh(th)
        in_sector = self.n_up is not None and not operator.conserves_sz
        return _rbm.local_energy(operator, self.params, sigma, th, t, self._sub_a_t, workspace,
                                 in_sector)

    def expectation(self, operator, n_samples=None, return_error=False):
        """``<psi|O|psi> / <psi|psi>``: exact sum when possible and ``n_samples`` is None,
        else the mean local value over ``n_samples`` (default 10000) samples.

        ``return_error``: also return the Monte Carlo standard error (0 for the exact sum):
        ``std / sqrt(n)`` for independent draws (exact sampling, or one sample per chain),
        the spread of the chain means over ``sqrt(n_chains)`` otherwise (batch means, which
        includes the autocorrelation along each chain).
        """
        if n_samples is None and self.space_size() <= EXACT_LIMIT:
            space = self.space()
            chunk = 1 << 14
            logp = torch.cat([2.0 * _rbm.chunked_log_psi(self.params,
                                                         space.sigma[s:s + chunk]).real
                              for s in range(0, len(space), chunk)])
            w = torch.softmax(logp, 0)
            total = weight_sum = 0.0
            for s in range(0, len(space), chunk):
                e = self.local_energy(operator, space.sigma[s:s + chunk])
                total += float((w[s:s + chunk] * e.real).sum())
                weight_sum += float(w[s:s + chunk].sum())
            value = total / weight_sum
            return (value, 0.0) if return_error else value
        n = 10000 if n_samples is None else int(n_samples)
        sig = self.sample(n)
        e = self.local_energy(operator, sig).real
        value = float(e.mean())
        if not return_error:
            return value
        return value, monte_carlo_error(e, n_chains=None if self.space_size() <= EXACT_LIMIT
                                        else min(n, 1000))

    def fidelity(self, codes, phi):
        """``|<phi|psi>|^2`` (both normalised) for amplitudes ``phi`` on basis ``codes``."""
        log_psi = self.log_psi(torch.from_numpy(
            codes_to_spins(codes, self.n_sites).astype(np.float64)))
        log_z = self.log_norm()
        m = log_psi.real.max()
        if not np.isfinite(m):  # phi lives wholly outside the state's sector
            return 0.0
        psi = np.exp(log_psi - m)
        overlap = np.vdot(phi, psi)
        return float(abs(overlap) ** 2 / (np.vdot(phi, phi).real * np.exp(log_z - 2 * m)))

    def sector_fidelity(self, codes, phi, n_samples, n_sweeps=50):
        """``|<phi|psi>|^2`` for ``phi`` inside one magnetisation sector ``k``, without the
        normaliser over the whole space; returns ``(F, standard error, upper bound)``.

        The sectors ``k - 1``, ``k``, ``k + 1`` are summed exactly (``1 + N + C(N, 2)``
        states for the W state), which bounds ``F <= F_up = |<phi|psi>|^2 / (<phi|phi>
        Z_enumerated)`` exactly. The rest of the normaliser is sampled: ``n_samples`` chains
        start from exact draws of ``|psi|^2`` on the enumerated sectors, take ``n_sweeps``
        sweeps, and ``F = F_up (1 - q)`` with ``q`` the fraction that ends outside them
        (binomial error). Chains started elsewhere (at random) can stay in local maxima of
        ``|psi|^2`` that carry no weight; these start where the weight is.
        """
        N = self.n_sites
        spins = codes_to_spins(codes, N)
        ups = np.unique((spins > 0).sum(1))
        if len(ups) != 1:
            raise ValueError("the state is not inside one magnetisation sector")
        k = int(ups[0])
        sectors = [j for j in (k - 1, k, k + 1) if 0 <= j <= N]
        if sum(math.comb(N, j) for j in sectors) > EXACT_LIMIT:
            raise ValueError(f"the fidelity needs the normaliser of {N} spins, intractable, "
                             f"or a state in a sector that, with its two neighbours, has at "
                             f"most {EXACT_LIMIT} states")
        spaces = [_rbm.Space(N, j, self.device) for j in sectors]
        sigma = torch.cat([sp.sigma for sp in spaces])
        codes_all = np.concatenate([sp.codes for sp in spaces])
        log_psi = self.log_psi(sigma)
        m = log_psi.real.max()
        if not np.isfinite(m):
            return 0.0, 0.0, 0.0
        psi = np.exp(log_psi - m)
        full = np.zeros(len(psi), complex)
        order = np.argsort(codes_all)
        full[order[np.searchsorted(codes_all[order], codes)]] = phi
        f_up = abs(np.vdot(full, psi)) ** 2 / (np.vdot(full, full).real * np.vdot(psi, psi).real)
        weights = torch.as_tensor(np.abs(psi) ** 2)
        start = sigma[torch.multinomial(weights / weights.sum(), n_samples, replacement=True)]
        chains = _rbm.Chains(self.params, start.clone())
        _rbm.advance(self.params, chains, n_sweeps, default_sampler(False, self.is_complex))
        ends = (chains.sigma > 0).sum(1).cpu().numpy()
        outside = torch.as_tensor(~np.isin(ends, sectors), dtype=torch.float64)
        q = float(outside.mean())
        return float(f_up * (1.0 - q)), float(f_up * monte_carlo_error(outside)), float(f_up)


# ------------------------------------------------------------------------------------
# helpers shared by the state and the drivers
# ------------------------------------------------------------------------------------
def monte_carlo_error(e, n_chains=None):
    """Standard error of the mean of ``e`` (1-D tensor): independent samples (``n_chains``
    None), or samples taken round-robin from ``n_chains`` Markov chains (``e[i]`` from chain
    ``i % n_chains``), whose chain means give the error when each chain has several."""
    n = len(e)
    if n < 2:
        return math.nan
    if n_chains is None or n <= n_chains:
        return float(e.std() / math.sqrt(n))
    per = n // n_chains
    means = e[: per * n_chains].reshape(per, n_chains).mean(0)
    return float(means.std() / math.sqrt(n_chains))


def default_sampler(in_sector, complex_params):
    """Exchange moves in a magnetisation sector; else block Gibbs, or single flips for complex
    parameters (Gibbs needs a positive amplitude)."""
    if in_sector:
        return "exchange"
    return "local" if complex_params else "gibbs"


def norm_method(N, M, complex_params, limit=EXACT_FIT_LIMIT, n_up=None):
    """How to sum the normaliser exactly: over the visible layer (``"visible"``), over the
    hidden layer (``"hidden"``, real parameters) or not at all (None: too many terms)."""
    if n_up is not None:
        return "visible" if math.comb(N, n_up) <= limit else None
    if 2**N <= limit:
        return "visible"
    if not complex_params and 3**M <= limit:
        return "hidden"
    return None


def log_norm(params, method, space):
    """``log sum |psi|^2`` by :func:`norm_method`'s ``method`` (a differentiable tensor)."""
    if method == "visible":
        return torch.logsumexp(2.0 * _rbm.chunked_log_psi(params, space.sigma).real, 0)
    return _rbm.log_norm_hidden(params)


class RotatedOutcomes:
    """Outcomes ``sigma`` measured in ``basis``, prepared once for repeated likelihoods.

    ``psi_b(sigma) = sum_tau prod_r U_b[sigma_r, tau_r] psi(sigma with the rotated sites set to
    tau)``: the ``2^k`` configurations (``k`` rotated sites) and the log-coefficients are
    tabulated here, so each evaluation is one batched ``log psi`` and a log-sum-exp.
    """

    def __init__(self, basis, sigma):
        self.sigma = sigma
        rot = [j for j, c in enumerate(basis) if c != "Z"]
        self.rotated = bool(rot)
        if not rot:
            return
        k, n, N = len(rot), len(sigma), sigma.shape[1]
        dev = sigma.device
        local = torch.cartesian_prod(*[torch.tensor([-1.0, 1.0], dtype=torch.float64)] * k)
        local = local.reshape(-1, k).to(dev)
        confs = sigma[:, None, :].repeat(1, len(local), 1)
        confs[:, :, rot] = local[None]
        self.confs = confs.reshape(-1, N)
        self.shape = (n, len(local))
        logc = torch.zeros(n, len(local), dtype=torch.complex128, device=dev)
        for r, j in enumerate(rot):
            U = torch.as_tensor(np.log(BASIS_ROTATIONS[basis[j]]), device=dev)
            out_idx = (sigma[:, j] > 0).long()
            in_idx = (local[:, r] > 0).long()
            logc = logc + U[out_idx][:, in_idx]
        self.logc = logc

    def log_prob(self, params, rows=None):
        """Unnormalised ``log |psi_b(sigma)|^2`` of every outcome (differentiable), or of the
        outcomes at positions ``rows`` (a mini-batch)."""
        if not self.rotated:
            sigma = self.sigma if rows is None else self.sigma[rows.to(self.sigma.device)]
            return 2.0 * _rbm.log_psi(params, sigma).real
        confs, logc, shape = self.confs, self.logc, self.shape
        if rows is not None:
            rows = rows.to(confs.device)
            confs = confs.view(*shape, -1)[rows].reshape(-1, confs.shape[1])
            logc = logc[rows]
            shape = (len(rows), shape[1])
        z = _rbm.log_psi(params, confs).reshape(shape).to(torch.complex128) + logc
        m = z.real.max(1, keepdim=True).values.detach()
        amp = torch.exp(z - m).sum(1)
        return 2.0 * (torch.log(amp.abs()) + m[:, 0])

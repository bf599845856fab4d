"""The RBM amplitude in pure torch: log psi, its derivatives, samplers, local energies, SR.

``log psi(sigma) = a . sigma + sum_i log cosh(theta_i)``, ``theta = b + W sigma`` (the hidden
units, ``h = +-1``, summed out; constants dropped). Parameters are the tensors ``a`` (N,),
``b`` (M,), ``W`` (M, N), real (float64) or complex (complex128). Every function works on a
batch of configurations ``sigma`` (B, N) of ``+1``/``-1`` (float64) and keeps ``theta``
cached between Metropolis moves, so a move costs O(M) per chain.

The Marshall sign rule multiplies ``psi`` by ``(-1)**(number of up spins on sublattice A)``;
here it enters as a sign on every off-diagonal term that flips an odd number of A sites, so the
RBM itself stays positive (real parameters suffice for the bipartite Heisenberg model).
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from ._operators import codes_to_spins, sector_codes

LOG2 = math.log(2.0)


class RBMParams:
    """The three parameter tensors, with flat-vector views for stochastic reconfiguration."""

    def __init__(self, a, b, W):
        self.a, self.b, self.W = a, b, W

    @classmethod
    def init(cls, n_visible, n_hidden, std, dtype, device):
        def rnd(*shape):
            x = torch.randn(*shape, dtype=torch.float64, device=device) * std
            if dtype.is_complex:
                x = torch.complex(x, torch.randn(*shape, dtype=torch.float64, device=device) * std)
            return x

        return cls(rnd(n_visible), rnd(n_hidden), rnd(n_hidden, n_visible))

    @property
    def n_visible(self):
        return self.a.shape[0]

    @property
    def n_hidden(self):
        return self.b.shape[0]

    @property
    def dtype(self):
        return self.a.dtype

    def tensors(self):
        return [self.a, self.b, self.W]

    def flat(self):
        return torch.cat([self.a, self.b, self.W.reshape(-1)])

    def n_parameters(self):
        return sum(t.numel() for t in self.tensors())

    def add_(self, delta):
        n, m = self.n_visible, self.n_hidden
        self.a.add_(delta[:n])
        self.b.add_(delta[n : n + m])
        self.W.add_(delta[n + m :].view(m, n))

    def clone(self):
        return RBMParams(*(t.detach().clone() for t in self.tensors()))

    def numpy(self):
        return {k: getattr(self, k).detach().cpu().numpy().copy() for k in ("a", "b", "W")}


def logcosh(z):
    """``log cosh(z)``, stable for large ``|Re z|``, real or complex."""
    if not z.is_complex():
        return F.softplus(2.0 * z) - z - LOG2
    # s = +-z with Re s >= 0: log cosh z = s + log(1 + exp(-2 s)) - log 2, the log taken in
    # real arithmetic (torch's complex exp and log1p cost three times as much):
    # exp(-2 s) = u exp(-i t), u = exp(-2 Re s) <= 1, t = 2 Im s
    x, y = z.real, z.imag
    flip = x < 0
    x, y = torch.where(flip, -x, x), torch.where(flip, -y, y)
    u = torch.exp(-2.0 * x)
    c, t = torch.cos(2.0 * y), torch.sin(2.0 * y)
    re = x + 0.5 * torch.log1p(u * (2.0 * c + u)) - LOG2
    im = y + torch.atan2(-u * t, 1.0 + u * c)
    return torch.complex(re, im)


def _cast(sigma, params):
    return sigma.to(params.dtype) if params.dtype.is_complex else sigma


def theta(params, sigma):
    """Hidden pre-activations ``b + W sigma``, shape (B, M)."""
    return torch.addmm(params.b, _cast(sigma, params), params.W.T)


def log_psi(params, sigma, th=None):
    """``log psi`` without the Marshall sign, shape (B,)."""
    th = theta(params, sigma) if th is None else th
    return _cast(sigma, params) @ params.a + logcosh(th).sum(-1)


def log_derivatives(params, sigma, th):
    """``O_k = d log psi / d p_k`` for every parameter, shape (B, P), ordered (a, b, W)."""
    s = _cast(sigma, params)
    t = torch.tanh(th)
    B = s.shape[0]
    return torch.cat([s, t, (t[:, :, None] * s[:, None, :]).reshape(B, -1)], dim=1)


def log_ratio_flips(params, sigma, th, lc, sites):
    """``log psi(sigma') - log psi(sigma)`` for every flip pattern ``sites`` (K, r): (B, K)."""
    Wt = params.W.T  # (N, M)
    s = _cast(sigma[:, sites], params)  # (B, K, r)
    Wf = Wt[sites]  # (K, r, M)
    dth = s[:, :, 0, None] * Wf[None, :, 0, :]
    da = s[:, :, 0] * params.a[sites[:, 0]]
    for r in range(1, sites.shape[1]):
        dth = dth + s[:, :, r, None] * Wf[None, :, r, :]
        da = da + s[:, :, r] * params.a[sites[:, r]]
    new = logcosh(th[:, None, :] - 2.0 * dth).sum(-1)
    return new - lc[:, None] - 2.0 * da


def marshall_flip_signs(sites, sublattice_a):
    """(-1)**(number of flipped sites on sublattice A), per flip pattern (K,)."""
    odd = sublattice_a[sites].sum(-1) % 2
    return 1.0 - 2.0 * odd.to(torch.float64)


def _pattern_tables(params, sites, pattern):
    """For flips whose spins are ``s * pattern``: ``D = sum_r pattern_r W[:, site_r]`` (K, M)
    and ``A = sum_r pattern_r a[site_r]`` (K,), so that ``d theta = -2 s D`` and
    ``d (a . sigma) = -2 s A``; returns ``cosh(2D)``, ``sinh(2D)``, ``A``.
    """
    Wt = params.W.T
    D = Wt[sites[:, 0]] * pattern[0]
    A = params.a[sites[:, 0]] * pattern[0]
    for r in range(1, sites.shape[1]):
        D = D + Wt[sites[:, r]] * pattern[r]
        A = A + params.a[sites[:, r]] * pattern[r]
    return torch.cosh(2.0 * D), torch.sinh(2.0 * D), A


def _buffer(workspace, key, shape, dtype, device):
    """An uninitialised tensor, kept in ``workspace`` (a dict, or None) for the next call.

    Fitting loops allocate the same megabyte-sized intermediates every iteration; a fresh
    allocation of that size is mapped from the system and page-faulted in each time, which
    costs as much as the arithmetic. Reusing the buffer avoids it.
    """
    shape = tuple(shape)
    buf = None if workspace is None else workspace.get(key)
    device = torch.device(device)
    if buf is None or buf.shape != shape or buf.dtype != dtype or buf.device != device:
        buf = torch.empty(shape, dtype=dtype, device=device)
        if workspace is not None:
            workspace[key] = buf
    return buf


_KEY_WEIGHTS = {}


def row_keys(sigma):
    """One 64-bit key per row of a batch of configurations (B,): its bits, exact up to 63
    sites; beyond, a sum of fixed random 63-bit weights, wrapping (collisions have
    probability ~ B^2 / 2^64)."""
    N = sigma.shape[1]
    key = (N, sigma.device)
    w = _KEY_WEIGHTS.get(key)
    if w is None:
        if N <= 63:
            w = 2 ** torch.arange(N, dtype=torch.int64)
        else:
            w = torch.randint(1, 2**62, (N,), dtype=torch.int64,
                              generator=torch.Generator().manual_seed(N))
        w = _KEY_WEIGHTS[key] = w.to(sigma.device)
    return ((sigma > 0).to(torch.int64) * w).sum(1)


def distinct_rows(sigma):
    """The distinct rows of a batch of configurations and where each row is among them:
    ``(rows, inverse)`` with ``rows[inverse]`` equal to ``sigma``; ``None`` beyond 63 sites
    (where :func:`row_keys` is a hash, not exact).

    Samples of a peaked ``|psi|^2`` repeat (exact draws from a space of a few hundred states
    always do): a row-wise function evaluated on the distinct rows and gathered back costs a
    fraction of the batch's.
    """
    B, N = sigma.shape
    if N > 63 or B == 0:
        return None
    u, inverse = torch.unique(row_keys(sigma), return_inverse=True)
    first = torch.empty(len(u), dtype=torch.long, device=sigma.device)
    first.scatter_(0, inverse, torch.arange(B, device=sigma.device))
    return sigma[first], inverse


def ratio_pattern(params, s, t, tables, out=None):
    """``psi(sigma') / psi(sigma)`` for pattern flips with leading spins ``s`` (B, K).

    ``cosh(theta + d) / cosh(theta) = cosh d + tanh(theta) sinh d``: with ``t = tanh theta``
    cached, a ratio costs one multiply-add per hidden unit and no transcendental function.
    ``out``: an optional (B, K, M) buffer for the factors, reused across calls.
    """
    C, S, A = tables
    s_ = s.to(t.dtype) if t.is_complex() else s
    if out is None:
        out = torch.empty(*s.shape, t.shape[1], dtype=t.dtype, device=t.device)
    f = torch.mul(t[:, None, :], S[None], out=out)
    f = torch.addcmul(C[None], f, s_[:, :, None], value=-1.0, out=f)  # C - s t S, in place
    return f.prod(-1) * torch.exp(-2.0 * s_ * A[None])


def local_energy(operator, params, sigma, th, t, sublattice_a=None, workspace=None,
                 in_sector=False):
    """``E_loc(sigma) = sum_sigma' <sigma|H|sigma'> psi(sigma') / psi(sigma)``, shape (B,).

    ``th`` and ``t`` are ``theta`` and ``tanh(theta)`` of ``sigma``; ``sublattice_a`` (bool
    tensor (N,)) applies the Marshall sign rule. ``workspace``: an optional dict in which
    large intermediate buffers are kept from one call to the next (a fitting loop).
    ``in_sector``: the state lives in the magnetisation sector of ``sigma`` (``psi = 0``
    elsewhere), so terms that change the magnetisation contribute nothing.
    """
    E = operator.diagonal(sigma)
    if params.dtype.is_complex:
        E = E.to(params.dtype)
    for k, g in enumerate(operator.flip_groups):
        sites = g.sites_tensor(sigma.device)
        mel = g.element(sigma)
        if in_sector:  # a flip keeps the magnetisation iff its spins sum to zero
            mel = mel * (sigma[:, sites].sum(-1) == 0).to(mel.dtype)
        if sublattice_a is not None:
            mel = mel * marshall_flip_signs(sites, sublattice_a)
        if g.pattern is not None:
            s = sigma[:, sites[:, 0]] * float(g.pattern[0])
            pattern = torch.as_tensor(g.pattern, dtype=torch.float64, device=sigma.device)
            buf = _buffer(workspace, ("ratio", k), (*s.shape, t.shape[1]), t.dtype, t.device)
            ratio = ratio_pattern(params, s, t, _pattern_tables(params, sites, pattern), buf)
        else:
            lc = logcosh(th).sum(-1)
            ratio = torch.exp(log_ratio_flips(params, sigma, th, lc, sites))
        if not params.dtype.is_complex and mel.is_complex():
            ratio = ratio.to(mel.dtype)
        E = E + (mel * ratio).sum(1)
    return E


# --------------------------------------------------------------------------------------
# Samplers
# --------------------------------------------------------------------------------------
class Chains:
    """Persistent Markov chains: configurations ``sigma`` with ``theta`` and ``t = tanh theta``."""

    def __init__(self, params, sigma):
        self.sigma = sigma
        self.refresh(params)

    def refresh(self, params):
        self.theta = theta(params, self.sigma)
        self.t = torch.tanh(self.theta)

    @classmethod
    def random(cls, params, n_chains, n_sites, n_up, device):
        if n_up is None:
            sigma = torch.randint(0, 2, (n_chains, n_sites), device=device).to(torch.float64)
        else:
            keys = torch.rand(n_chains, n_sites, device=device)
            rank = keys.argsort(1).argsort(1)
            sigma = (rank < n_up).to(torch.float64)
        return cls(params, 2.0 * sigma - 1.0)


def metropolis(params, chains, n_steps, exchange):
    """``n_steps`` Metropolis moves per chain, in place; returns the acceptance rate.

    Moves are single-spin flips, or (``exchange=True``) swaps of an up and a down spin chosen
    at random, which conserve the magnetisation. With ``t = tanh theta`` cached, a move's ratio
    is ``psi'/psi = G_k prod_m (1 - s t_m T_km)``, where ``T = tanh(2 D)`` and ``G`` are tabulated
    once for the ``N`` (flips) or ``N**2`` (swaps) possible moves (``D``: the move's column of
    ``W``, or the difference of two), and an accepted move updates ``t`` by the addition
    formula of ``tanh``: a move costs a few multiply-adds per hidden unit and no exponential.
    ``theta`` and ``t`` are recomputed exactly at the end.
    """
    chains.refresh(params)
    sigma, t = chains.sigma, chains.t
    B, N = sigma.shape
    if N == 0 or n_steps == 0:
        return 0.0
    dev = sigma.device
    cplx = params.dtype.is_complex
    Wt = params.W.T
    if exchange:
        n_up = int((sigma[0] > 0).sum())
        if n_up in (0, N):
            return 0.0
        D = (Wt[:, None, :] - Wt[None, :, :]).reshape(N * N, -1)
        A = (params.a[:, None] - params.a[None, :]).reshape(-1)
    else:
        D, A = Wt, params.a
    # the loop runs in single precision (twice the elements per memory pass); it only decides
    # acceptances, and theta and t are recomputed in double precision at the end
    low = torch.complex64 if cplx else torch.float32
    C = torch.cosh(2.0 * D)
    logC = torch.log(C).sum(-1)
    if float((logC.real.abs() + 2.0 * A.real.abs()).max()) > 85.0:
        # large weights (a collapsing state, or many tied hidden units): G = exp(logC -+ 2A)
        # would overflow single precision (exp(88.7) is its largest value; inf times an
        # underflowed product is NaN, and a NaN ratio is never accepted: the chain would
        # freeze); run the loop in double. Below that the single-precision loop is unchanged
        low = torch.complex128 if cplx else torch.float64
    T = torch.tanh(2.0 * D).to(low)
    G_up = torch.exp(logC - 2.0 * A).to(low)  # the moved spin (the up one, for swaps) is +1
    G_down = torch.exp(logC + 2.0 * A).to(low)
    t = t.to(low)
    ones = torch.ones_like(t)
    rows = torch.arange(B, device=dev)
    u_all = torch.rand(n_steps, B, device=dev)
    accepted = torch.zeros(B, dtype=torch.long, device=dev)
    if exchange:
        order = torch.argsort(sigma, dim=1, descending=True, stable=True)
        ups, downs = order[:, :n_up].contiguous(), order[:, n_up:].contiguous()
        pick_u = torch.randint(0, n_up, (n_steps, B), device=dev)
        pick_d = torch.randint(0, N - n_up, (n_steps, B), device=dev)
        for step in range(n_steps):
            pu, pd = pick_u[step][:, None], pick_d[step][:, None]
            i = ups.gather(1, pu)[:, 0]
            j = downs.gather(1, pd)[:, 0]
            k = i * N + j
            Tk = T.index_select(0, k)
            f = torch.addcmul(ones, t, Tk, value=-1.0)  # 1 - t T: cosh(theta') / cosh(theta)
            ratio = f.prod(-1) * G_up.index_select(0, k)
            p = ratio.real**2 + ratio.imag**2 if cplx else ratio * ratio
            acc = u_all[step] < p
            ups.scatter_(1, pu, torch.where(acc, j, i)[:, None])
            downs.scatter_(1, pd, torch.where(acc, i, j)[:, None])
            # tanh(theta - 2 D) = (t - T) / (1 - t T), for the accepted chains
            t = torch.where(acc[:, None], (t - Tk).div_(f), t)
            accepted += acc
        sigma = torch.full_like(sigma, -1.0).scatter_(1, ups, 1.0)
    else:
        sites = torch.randint(0, N, (n_steps, B), device=dev)
        for step in range(n_steps):
            i = sites[step]
            si = sigma[rows, i]
            sT = T.index_select(0, i) * si.to(low)[:, None]
            f = torch.addcmul(ones, t, sT, value=-1.0)
            G = torch.where(si > 0, G_up.index_select(0, i), G_down.index_select(0, i))
            ratio = f.prod(-1) * G
            p = ratio.real**2 + ratio.imag**2 if cplx else ratio * ratio
            acc = u_all[step] < p
            sigma[rows, i] = torch.where(acc, -si, si)
            t = torch.where(acc[:, None], (t - sT).div_(f), t)
            accepted += acc
    chains.sigma = sigma
    chains.refresh(params)
    return float(accepted.sum()) / (n_steps * B)


def gibbs(params, chains, n_steps):
    """``n_steps`` block-Gibbs updates of every spin at once, in place (real parameters).

    For real parameters ``psi(sigma)^2 = sum_{h, h'} exp(2 a . sigma + b . (h + h') +
    (h + h') . W sigma)`` with two copies ``h, h'`` of the hidden layer (``+-1``), so
    ``|psi|^2`` is the visible marginal of an RBM whose conditionals factorise:
    ``P(h_m = 1 | sigma) = sigmoid(2 theta_m)`` and
    ``P(sigma_j = 1 | h, h') = sigmoid(2 (2 a_j + ((h + h') W)_j))``. One update draws both
    hidden copies, then all spins: two matrix products for all chains together, instead of
    ``N`` sequential single-spin Metropolis moves. Units are handled as 0/1 variables
    (``x = (s + 1) / 2``), with the affine change folded into the biases.
    """
    if params.dtype.is_complex:
        raise ValueError("Gibbs sampling needs real parameters (a positive amplitude)")
    W2 = torch.cat([params.W, params.W])  # (2M, N): the two hidden copies
    b2 = torch.cat([params.b, params.b])
    # 2 theta = 2 b + 2 W sigma = (2 b - 2 W 1) + 4 W x
    W_h, c_h = 4.0 * W2.T, 2.0 * (b2 - W2.sum(1))
    # 2 field = 4 a + 2 (h + h') W = (4 a - 2 sum_m W_m) + 4 y W, with y = (h + 1) / 2
    W_v, c_v = 4.0 * W2, 4.0 * params.a - 2.0 * W2.sum(0)
    x = (chains.sigma > 0).to(torch.float64)
    B, dev, dt = x.shape[0], x.device, x.dtype
    for _ in range(n_steps):  # (torch.rand < p is 2-3x faster than torch.bernoulli on a CPU)
        p_h = torch.sigmoid(torch.addmm(c_h, x, W_h))
        y = (torch.rand(B, W_h.shape[1], dtype=dt, device=dev) < p_h).to(dt)
        p_v = torch.sigmoid(torch.addmm(c_v, y, W_v))
        x = (torch.rand(B, W_v.shape[1], dtype=dt, device=dev) < p_v).to(dt)
    chains.sigma = x.mul_(2.0).sub_(1.0)
    chains.refresh(params)


def free_exchange(params, chains, n_moves):
    """``n_moves`` Metropolis exchange moves per chain, in place, for chains of any (and
    differing) magnetisation; returns the acceptance rate.

    A move picks two sites at random and, when their spins differ, swaps them (flips both);
    it is accepted with probability ``min(1, |psi'/psi|^2)``. Unlike the ``"exchange"``
    sampler of :func:`metropolis`, the chains need not share a sector: this is the move
    that lets chains of a state concentrated on a few magnetisations travel between its
    configurations of equal magnetisation (the W state's one-up states are two spin flips
    apart through suppressed configurations, and local or block-Gibbs updates rarely cross).
    ``theta`` is updated in place: a move costs ``O(M)`` per chain.
    """
    sigma = chains.sigma
    B, N = sigma.shape
    if N < 2 or n_moves == 0:
        return 0.0
    dev = sigma.device
    rows = torch.arange(B, device=dev)
    th = chains.theta
    lc = logcosh(th).sum(-1)
    Wt = params.W.T
    accepted = 0
    u_all = torch.rand(n_moves, B, device=dev)
    pairs = torch.randint(0, N, (n_moves, B, 2), device=dev)
    for step in range(n_moves):
        i, j = pairs[step, :, 0], pairs[step, :, 1]
        si, sj = sigma[rows, i], sigma[rows, j]
        differ = si != sj
        ci = _cast(si, params)[:, None]
        cj = _cast(sj, params)[:, None]
        new_th = th - 2.0 * (ci * Wt[i] + cj * Wt[j])
        new_lc = logcosh(new_th).sum(-1)
        dlog = new_lc - lc - 2.0 * (ci[:, 0] * params.a[i] + cj[:, 0] * params.a[j])
        acc = differ & (torch.log(u_all[step]) < 2.0 * dlog.real)
        sigma[rows, i] = torch.where(acc, -si, si)
        sigma[rows, j] = torch.where(acc, -sj, sj)
        th = torch.where(acc[:, None], new_th, th)
        lc = torch.where(acc, new_lc, lc)
        accepted += int(acc.sum())
    chains.sigma = sigma
    chains.refresh(params)
    return accepted / (n_moves * B)


def advance(params, chains, n_sweeps, sampler):
    """``n_sweeps`` sweeps of ``sampler`` (``"gibbs"``, ``"local"`` or ``"exchange"``): block
    Gibbs steps, or ``N`` Metropolis moves each, on ``chains`` in place."""
    if sampler == "gibbs":
        gibbs(params, chains, n_sweeps)
    else:
        metropolis(params, chains, n_sweeps * chains.sigma.shape[1], sampler == "exchange")


class Space:
    """All configurations of the full space or of a magnetisation sector, for exact sums."""

    def __init__(self, n_sites, n_up, device):
        self.n_sites, self.n_up = n_sites, n_up
        codes = np.arange(2**n_sites, dtype=np.int64) if n_up is None else sector_codes(n_sites, n_up)
        self.codes = codes
        self.sigma = torch.from_numpy(codes_to_spins(codes, n_sites).astype(np.float64)).to(device)

    def __len__(self):
        return len(self.codes)


def exact_draw(probs, n):
    """``n`` indices drawn from the probabilities ``probs`` (a 1-D tensor over a full space)
    by systematic resampling: one uniform offset ``u``, the indices whose cumulative
    probability first exceeds ``(u + i) / n``, ``i = 0 .. n - 1``.

    Each index appears ``n p_i`` times on average (rounded up or down), as with independent
    draws, so sample means stay unbiased; but the counts no longer scatter as a multinomial
    (variance ``n p_i (1 - p_i)``), only by the rounding: the Monte Carlo noise of energies,
    forces and overlaps over a space that can be summed is far smaller for the same ``n``.
    """
    cdf = torch.cumsum(probs.to(torch.float64), 0)
    cdf = cdf / cdf[-1]
    u = (torch.rand(1, dtype=torch.float64, device=cdf.device)
         + torch.arange(n, dtype=torch.float64, device=cdf.device)) / n
    return torch.searchsorted(cdf, u).clamp_max(len(cdf) - 1)


def chunked_log_psi(params, sigma, chunk=1 << 16):
    return torch.cat([log_psi(params, sigma[s : s + chunk]) for s in range(0, len(sigma), chunk)])


def log_norm_hidden(params):
    """``log sum_sigma |psi(sigma)|^2`` by summing over the hidden layer (real parameters).

    ``cosh^2 theta = (e^{2 theta} + 2 + e^{-2 theta}) / 4``, so the visible sum factorises for
    each ``h in {-1, 0, 1}^M``: ``3**M`` terms instead of ``2**N``.
    """
    if params.dtype.is_complex:
        raise ValueError("the hidden-layer normaliser is implemented for real parameters only")
    M = params.n_hidden
    grid = torch.cartesian_prod(*[torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)] * M)
    grid = grid.reshape(-1, M).to(params.a.device)
    out = []
    for s in range(0, len(grid), 1 << 15):
        h = grid[s : s + (1 << 15)]
        zeros = (h == 0).sum(1).to(torch.float64)
        field = 2.0 * (params.a + h @ params.W)  # (H, N)
        term = zeros * LOG2 + 2.0 * (h @ params.b) + (logcosh(field) + LOG2).sum(1)
        out.append(term)
    return torch.logsumexp(torch.cat(out), 0) - M * math.log(4.0)


# --------------------------------------------------------------------------------------
# Stochastic reconfiguration
# --------------------------------------------------------------------------------------
#: the linear solvers of stochastic reconfiguration (``solver=`` of the estimator)
SOLVERS = ("auto", "dense", "minsr", "cg")


def choose_solver(n_samples, n_params, solver="auto"):
    """The solver ``"auto"`` resolves to for ``O`` of shape (n_samples, n_params).

    ``"dense"`` forms ``S`` (``B P^2`` multiply-adds, half of them by symmetry) and factorises
    it (``P^3 / 3``); ``"minsr"`` forms the ``B x B`` Gram matrix ``O O^H`` (``B^2 P``) and
    factorises that (``B^3 / 3``). Both give the same update (the push-through identity,
    exact for ``diag_shift > 0``); ``"auto"`` takes the one with fewer operations, that is
    the sample-space solve whenever there are fewer samples than parameters.
    """
    if solver != "auto":
        return solver
    B, P = int(n_samples), int(n_params)
    dense = B * P * P / 2 + P**3 / 3
    minsr = B * B * P / 2 + B**3 / 3
    return "minsr" if minsr < dense else "dense"


def sr_update(O, E, diag_shift, solver="auto"):
    """Natural-gradient direction ``(S + diag_shift I)^{-1} g`` from log-derivatives ``O``
    (B, P) and local energies ``E`` (B,): ``S = <O* O>_c`` and the energy gradient
    ``g = 2 <O* E>_c`` (its real part for real parameters: ``dE/dp = 2 Re <O* E>_c``).

    This is NetKet's convention (the forces ``<O* E>_c`` times two, ``diag_shift`` added to the
    diagonal of ``S`` unscaled), so that a learning rate means the same step in both.

    ``O`` is any model's log-derivatives (a flat parameter vector per sample, real or
    complex, on any device); ``solver`` is one of :data:`SOLVERS` (see :func:`sr_solve`).
    """
    Ec = _centred_energies(E, O.is_complex())
    Oc = O - O.mean(0)
    return sr_solve(Oc, Ec, diag_shift, solver)


def sr_solve(Oc, Ec, diag_shift, solver="auto", Fv=None, x0=None):
    """``(S + diag_shift)^{-1} F`` with ``S = Oc^H Oc / B``, ``F = 2 Oc^H Ec / B``.

    ``Oc`` (B, P): centred log-derivatives (real or complex; on a CPU they may be single
    precision); ``Ec`` (B,): centred local energies (real for real parameters).
    ``Fv``: the forces, when the caller has them in double precision already.

    * ``"dense"``: ``S`` in parameter space, Cholesky (``B P^2 + P^3 / 3``).
    * ``"minsr"``: the sample-space (MinSR / neural-tangent-kernel) form
      ``delta = Oc^H (Oc Oc^H + B diag_shift)^{-1} 2 Ec``, the same vector by the push-through
      identity ``(A^H A + l)^{-1} A^H = A^H (A A^H + l)^{-1}``, from a ``B x B`` system
      (``B^2 P + B^3 / 3``): the cheap one when ``B < P``.
    * ``"cg"``: conjugate gradients on products ``S v = Oc^H (Oc v) / B + diag_shift v``
      (``2 B P`` per iteration, no matrix formed), started from ``x0``; for ``B`` and ``P``
      both too large for a Gram matrix.
    * ``"auto"``: the cheaper of ``"dense"`` and ``"minsr"`` (:func:`choose_solver`).
    """
    B, P = Oc.shape
    solver = choose_solver(B, P, solver)
    if solver == "minsr":
        return _solve_minsr(Oc, Ec, diag_shift)
    if Fv is None:
        Fv = _forces(Oc, Ec)
    if solver == "cg":
        return _solve_cg(Oc, Fv, diag_shift, x0=x0)
    if solver != "dense":
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    return _solve(Oc, Fv, diag_shift)


def _forces(Oc, Ec):
    """``F = 2 Oc^H Ec / B`` in double precision (complex for complex ``Oc``)."""
    dt = torch.complex128 if Oc.is_complex() else torch.float64
    if Ec.is_complex() and not Oc.is_complex():
        Ec = Ec.real  # real parameters: only Re <O* E>_c enters
    O = Oc.to(dt)
    return ((O.conj().T if O.is_complex() else O.T) @ Ec.to(dt)) * (2.0 / Oc.shape[0])


def _centred_energies(E, complex_params):
    if E.is_complex() and not complex_params:
        E = E.real  # real parameters: only Re <O* E>_c enters the gradient
    return E - E.mean()


def natural_gradient(params, sigma, th, t, E, diag_shift, workspace, solver="auto",
                     reduce=None):
    """:func:`sr_update` for the RBM, without forming ``O`` in double precision.

    The forces ``2 <O* E>_c`` are products of the factors of ``O = (sigma, t, t x sigma)``
    with the local energies; ``O`` itself is only needed for the solve, and on a CPU it is
    formed in single precision, in a buffer of ``workspace`` (a dict kept across
    iterations: re-allocating megabytes every iteration costs page faults). ``solver``: see
    :func:`sr_solve`; ``workspace["solver"]`` records the one used. ``reduce``
    (:mod:`skphys.quantum._distributed`): with several processes, every sum runs over the
    samples of all of them (``S`` in parameter space, all-reduced: ``solver`` is not used).
    """
    if reduce is not None and reduce.world_size > 1:
        from ._distributed import natural_gradient as over_processes

        return over_processes(params, sigma, th, t, E, diag_shift, workspace, reduce)
    B = sigma.shape[0]
    cplx = params.dtype.is_complex
    Ec = _centred_energies(E, cplx).to(params.dtype)
    N, M = params.n_visible, params.n_hidden
    P = N + M + N * M
    solver = choose_solver(B, P, solver)
    workspace["solver"] = solver
    if sigma.device.type != "cpu":
        Oc = log_derivatives(params, sigma, th)
        Oc.sub_(Oc.mean(0))
        workspace["O"] = Oc
        x = sr_solve(Oc, Ec, diag_shift, solver, x0=workspace.get("cg_x0"))
        if solver == "cg":
            workspace["cg_x0"] = x
        return x
    low = torch.complex64 if cplx else torch.float32
    O = _buffer(workspace, "O", (B, P), low, sigma.device)
    O[:, :N] = sigma
    O[:, N : N + M] = t
    torch.mul(O[:, N : N + M, None], O[:, None, :N], out=O[:, N + M :].view(B, M, N))
    O.sub_(O.mean(0))
    if solver == "minsr":
        return _solve_minsr(O, Ec, diag_shift)
    tc = t.conj() if cplx else t
    s = _cast(sigma, params)
    Fv = torch.cat([s.T @ Ec, tc.T @ Ec, ((tc * Ec[:, None]).T @ s).reshape(-1)]) * (2.0 / B)
    if solver == "cg":
        x = _solve_cg(O, Fv, diag_shift, x0=workspace.get("cg_x0"))
        workspace["cg_x0"] = x
        return x
    return _solve_low_precision(O, Fv, diag_shift)


def _solve(Oc, Fv, diag_shift, low_precision=None):
    """The dense solve ``(Oc^H Oc / B + diag_shift) x = Fv`` in parameter space.

    ``low_precision``: single-precision Gram matrix with a refined solve; None: on a CPU
    (on a GPU, double precision throughout).
    """
    if Oc.device.type == "cpu" if low_precision is None else low_precision:
        return _solve_low_precision(Oc, Fv, diag_shift)
    Oc = Oc.to(Fv.dtype)
    S = ((Oc.conj().T if Oc.is_complex() else Oc.T) @ Oc) / Oc.shape[0]
    S.diagonal().add_(diag_shift)
    return _cholesky_solve(S, Fv)


def _least_squares(A, b):
    """``A x = b`` for a singular or indefinite ``A`` (the fallback of the Cholesky solves).

    On a CPU, by SVD (``gelsd``): LAPACK's default there (``gelsy``, pivoted QR) gave
    different last bits in different processes for the same input, which a Monte Carlo fit
    amplifies into a different trajectory (``benchmarks/bench_reproducibility.py``); on a GPU,
    PyTorch's only driver.
    """
    driver = "gelsd" if A.device.type == "cpu" else None
    return torch.linalg.lstsq(A, b[:, None], driver=driver).solution[:, 0]


def _cholesky_solve(A, b):
    L, info = torch.linalg.cholesky_ex(A)
    if int(info) != 0:  # singular (diag_shift = 0): least squares
        return _least_squares(A, b)
    return torch.cholesky_solve(b[:, None], L)[:, 0]


def _gram(A, rows=False):
    """``A^H A`` (``rows=True``: ``A A^H``) of a CPU matrix in its own precision: NumPy runs
    the real case as a symmetric rank-k update (half the work of a general product)."""
    a = A.resolve_conj().numpy()
    if rows:
        return torch.from_numpy(a @ (a.conj().T if A.is_complex() else a.T))
    return torch.from_numpy((a.conj().T if A.is_complex() else a.T) @ a)


def _solve_low_precision(Oc, Fv, diag_shift):
    """``(S + diag_shift) x = F`` on a CPU, with ``S = Oc^H Oc / B`` formed and factorised in
    single precision and the solution refined once in double precision.

    Forming ``S`` costs ``B P^2`` and dominates an iteration: NumPy's ``A.T @ A`` runs it as
    a symmetric rank-k update (half the work of a general product), in single precision
    (half the time again). Its rounding (~1e-7 relative) is far below ``diag_shift``, and one
    step of iterative refinement brings the solution of the factorised system back to double
    precision.
    """
    B = Oc.shape[0]
    low = torch.complex64 if Oc.is_complex() else torch.float32
    S = _gram(Oc.to(low))  # (P, P)
    S.div_(B).diagonal().add_(diag_shift)
    return _refined_solve(S, Fv)


def _refined_solve(A, b):
    """Solve ``A x = b`` (``A`` Hermitian positive definite, single precision) by a
    single-precision Cholesky and one step of refinement in ``b``'s precision."""
    low = A.dtype
    L, info = torch.linalg.cholesky_ex(A)
    A = A.to(b.dtype)
    if int(info) != 0:
        return _least_squares(A, b)
    x = torch.cholesky_solve(b[:, None].to(low), L).to(b.dtype)
    r = b[:, None] - A @ x
    return (x + torch.cholesky_solve(r.to(low), L).to(b.dtype))[:, 0]


def _solve_minsr(Oc, Ec, diag_shift, low_precision=None):
    """The sample-space solve: ``delta = Oc^H (Oc Oc^H + B diag_shift)^{-1} 2 Ec``.

    ``(S + l)^{-1} F`` with ``S = Oc^H Oc / B`` and ``F = 2 Oc^H Ec / B`` equals it by the
    push-through identity (Chen & Heyl's MinSR, the neural-tangent-kernel form of SR): the
    system is ``B x B`` instead of ``P x P``. ``Oc`` may be single precision on a CPU (the
    Gram matrix is formed and factorised in it, the solution refined once in double);
    ``low_precision`` as in :func:`_solve`.
    """
    B = Oc.shape[0]
    cplx = Oc.is_complex()
    dt = torch.complex128 if cplx else torch.float64
    if Ec.is_complex() and not cplx:
        Ec = Ec.real  # real parameters: only Re <O* E>_c enters
    rhs = 2.0 * Ec.to(dt)
    if Oc.device.type == "cpu" if low_precision is None else low_precision:
        low = torch.complex64 if cplx else torch.float32
        Ol = Oc.to(low)
        T = _gram(Ol, rows=True)  # Oc Oc^H: (B, B)
        T.diagonal().add_(B * diag_shift)
        y = _refined_solve(T, rhs)
        # Oc^H y in single precision (relative rounding ~1e-7, far below Monte Carlo noise)
        return ((Ol.conj().T if cplx else Ol.T) @ y.to(low)).to(dt)
    O = Oc.to(dt)
    T = O @ O.conj().T if cplx else O @ O.T
    T.diagonal().add_(B * diag_shift)
    y = _cholesky_solve(T, rhs)
    return (O.conj().T if cplx else O.T) @ y


def _matvec_h(O, y):
    """``O^H y`` for a large single-precision ``O`` without a double copy of it: in row
    blocks, each block cast to double."""
    cplx = O.is_complex()
    out = None
    for s in range(0, O.shape[0], 256):
        blk = O[s : s + 256].to(y.dtype)
        part = (blk.conj().T if cplx else blk.T) @ y[s : s + 256]
        out = part if out is None else out + part
    return out


def _solve_cg(Oc, Fv, diag_shift, x0=None, rtol=1e-6, max_iter=None):
    """Conjugate gradients on ``(Oc^H Oc / B + diag_shift) x = Fv`` with matrix-free products
    (two matrix-vector products with ``Oc`` per iteration), from ``x0`` (the last solution,
    when warm-started) or zero, to a relative residual ``rtol``; at most ``max_iter``
    iterations (default ``min(P, 1000)``).
    """
    B, P = Oc.shape
    cplx = Oc.is_complex()
    dt = Fv.dtype
    O = Oc.to(dt) if Oc.device.type != "cpu" or B * P < 4_000_000 else Oc
    OH = O.conj().T if cplx else O.T

    def apply(v):
        if O.dtype == dt:
            return OH @ (O @ v) / B + diag_shift * v
        w = (O @ v.to(O.dtype)).to(dt)
        return _matvec_h(O, w) / B + diag_shift * v

    def dot(u, v):
        d = torch.vdot(u, v)
        return d.real if cplx else d

    x = torch.zeros_like(Fv) if x0 is None or x0.shape != Fv.shape else x0.to(dt).clone()
    r = Fv - apply(x)
    p = r.clone()
    rr = dot(r, r)
    stop = (rtol * torch.linalg.vector_norm(Fv)) ** 2
    for _ in range(min(P, 1000) if max_iter is None else max_iter):
        if rr <= stop:
            break
        Ap = apply(p)
        a = rr / dot(p, Ap)
        x.add_(a * p)
        r.sub_(a * Ap)
        rr_new = dot(r, r)
        p.mul_(rr_new / rr).add_(r)
        rr = rr_new
    return x

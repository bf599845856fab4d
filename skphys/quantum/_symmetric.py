"""Symmetric wave functions: lattice symmetry groups, the symmetric RBM, symmetry sectors.

Conventions
-----------
A lattice symmetry ``g`` is a permutation ``p_g`` of the sites and an optional spin flip
``s_g = -1``; it acts on a configuration by ``(g sigma)_j = s_g sigma_{p_g(j)}``. Sites of an
``(Lx, Ly)`` lattice are numbered ``j = x * Ly + y`` (C order, as :class:`Heisenberg` does).
The translation ``T_r`` by ``r = (rx, ry)`` has ``p(x, y) = (x + rx, y + ry)`` (mod ``L``).

**Symmetric RBM** (Carleo & Troyer 2017; NetKet's ``RBMSymm``): ``F`` filters ``w_f`` (each
``N`` weights) and biases ``b_f`` are shared over the group ``G``,

``log psi(sigma) = a sum_j sigma_j + sum_f sum_g log cosh(b_f + w_f . (g sigma))``,

so that ``psi(g sigma) = psi(sigma)`` for every ``g``; the visible bias ``a`` is one number
(none when ``G`` contains the spin flip). ``alpha`` keeps its meaning of hidden-unit density,
as in NetKet: ``F = ceil(alpha N / |G|)`` filters, ``F |G|`` hidden units, ``1 + F + F N``
parameters (``4 x 4`` lattice, translations, ``alpha = 1``: 17 at fixed S^z_total, where
the visible bias is a constant and dropped, instead of a dense RBM's 288). The model
is an ordinary RBM with tied weights (hidden unit ``(f, g)`` has the weights
``W[(f, g), p_g(j)] = s_g w_f[j]``): the samplers and local energies of :mod:`._rbm` run on
that expansion unchanged, and the log-derivatives of the shared parameters are sums of the
tied ones over the group.

**Sectors** (Choo, Carleo, Regnault & Neupert, PRL 121, 167204 (2018)): the projection of a
network amplitude ``phi`` onto the irreducible representation with characters ``chi``,

``psi(sigma) = sum_g chi(g)^* phi(g sigma)``,

satisfies ``psi(g sigma) = chi(g) psi(sigma)``. Here the group is the translations (momentum
``k = (kx, ky)``, integers in units of ``2 pi / L``: ``chi(T_r) = exp(2 pi i k . r / L)``) and
optionally the spin flip (parity ``+1`` or ``-1``). With the Marshall sign the sector refers to
the physical state ``psi``, not to the sign-free amplitude the network models.
"""

import math

import numpy as np
import torch

from . import _rbm

__all__ = ["SYMMETRIES", "Projection", "SymmetricRBMParams", "SymmetryGroup", "TermSum"]

#: the values of ``RBMWavefunction(symmetry=...)``
SYMMETRIES = ("translation", "lattice", "translation+spin_flip", "lattice+spin_flip")


class SymmetryGroup:
    """Elements of a lattice symmetry group: permutations, spin flips, translation vectors.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` (chain) or ``(Lx, Ly)`` (square lattice), periodic.
    translations : bool
        Include the translations.
    point_group : bool
        Include the point group: the reflection of a chain; the 8 rotations and reflections
        of a square ``L x L`` lattice (4 reflections when ``Lx != Ly``).
    spin_flip : bool
        Include the global spin flip ``sigma -> -sigma``.

    Attributes
    ----------
    perms : ndarray of shape (G, N)
        ``p_g``: ``(g sigma)_j = s_g sigma[p_g[j]]``.
    signs : ndarray of shape (G,)
        ``s_g``, +1 or -1.
    shifts : ndarray of shape (G, d)
        The translation part ``r`` of each element (zero for a pure point operation).
    flips : ndarray of bool of shape (G,)
    """

    def __init__(self, shape, *, translations=True, point_group=False, spin_flip=False):
        shape = tuple(int(s) for s in np.atleast_1d(shape))
        self.shape = shape
        N = int(np.prod(shape))
        coords = np.array(np.unravel_index(np.arange(N), shape)).T  # (N, d)
        points = _point_ops(shape) if point_group else [np.eye(len(shape), dtype=np.int64)]
        shifts = (np.array(np.unravel_index(np.arange(N), shape)).T if translations
                  else np.zeros((1, len(shape)), dtype=np.int64))
        seen, perms, sh, pts = set(), [], [], []
        for R in points:
            for r in shifts:
                new = (coords @ R.T + r) % np.array(shape)
                p = np.ravel_multi_index(tuple(new.T), shape)
                key = p.tobytes()
                if key not in seen:
                    seen.add(key)
                    perms.append(p)
                    sh.append(r)
                    pts.append(R)
        perms = np.array(perms, dtype=np.int64)
        flips = np.zeros(len(perms), dtype=bool)
        sh = np.array(sh, dtype=np.int64)
        if spin_flip:
            perms = np.concatenate([perms, perms])
            sh = np.concatenate([sh, sh])
            flips = np.concatenate([flips, ~flips])
        self.perms, self.shifts, self.flips = perms, sh, flips
        self.signs = np.where(flips, -1.0, 1.0)

    def __len__(self):
        return len(self.perms)

    @property
    def n_sites(self):
        return self.perms.shape[1]

    def apply(self, sigma):
        """All images ``g sigma`` of a batch: (B, G, N)."""
        perms = torch.as_tensor(self.perms, device=sigma.device)
        signs = torch.as_tensor(self.signs, device=sigma.device, dtype=sigma.dtype)
        return sigma[:, perms] * signs[None, :, None]

    def characters(self, momentum=None, parity=None):
        """``chi(g)`` of the sector with ``momentum`` (ints, units of ``2 pi / L``) and spin-flip
        ``parity`` (+1/-1), complex (G,)."""
        chi = np.ones(len(self), dtype=complex)
        if momentum is not None:
            k = np.asarray(momentum, dtype=float).reshape(-1)
            phase = (self.shifts * (k / np.array(self.shape))[None]).sum(1)
            chi = chi * np.exp(2j * np.pi * phase)
        if parity is not None:
            chi = chi * np.where(self.flips, float(parity), 1.0)
        return chi

    def marshall_factors(self, sublattice_a, n_up):
        """``M(g sigma) / M(sigma)`` of the Marshall sign ``M = (-1)^(up spins on A)`` in the
        sector of ``n_up`` up spins (+1/-1 for each element; the group must map the
        sublattices onto themselves or onto each other)."""
        a = np.asarray(sublattice_a, bool)
        out = np.ones(len(self))
        for i, (p, flip) in enumerate(zip(self.perms, self.flips)):
            # (g sigma)_j = sigma_p(j): the up spins of g sigma on A are those of sigma on p(A)
            pa = np.zeros_like(a)
            pa[p[a]] = True
            if np.array_equal(pa, a):
                f = 1.0
            elif np.array_equal(pa, ~a):
                f = (-1.0) ** n_up
            else:
                raise ValueError("a symmetry mixes the two Marshall sublattices")
            if flip:  # up on A of -sigma: |A| - (up on A of sigma)
                f *= (-1.0) ** int(a.sum())
            out[i] = f
        return out


class TermSum:
    """The ``K`` terms of a sum of RBMs, ``psi(sigma) = sum_k phi_k(sigma)``, as images.

    Term ``k`` of configuration ``sigma`` is the image ``(0, ..., sigma, 1, ..., 0)`` of
    length ``K (N + 1)``: ``sigma`` in block ``k`` and a constant unit of its own (block
    ``k``'s last entry). One RBM on those ``K (N + 1)`` visible units evaluated on the ``K``
    images is then the sum of ``K`` RBMs of ``N`` spins and its hidden units each: term ``k``
    has the columns of block ``k`` as weights, and the constant unit's column and visible bias
    as its own hidden biases and log-weight. A :class:`Projection` with characters 1 is that
    sum, with every amplitude, log-derivative and local energy it computes. With a ``base``
    group (a sector), the images are the terms of every ``g sigma``: the projection of the sum.
    """

    def __init__(self, n_terms, n_sites=None, base=None):
        self.n_terms, self.base = int(n_terms), base
        self.n_sites = base.n_sites if base is not None else int(n_sites)

    @property
    def n_visible(self):
        """Visible units of the embedding RBM, ``K (N + 1)``."""
        return self.n_terms * (self.n_sites + 1)

    def __len__(self):
        return self.n_terms * (len(self.base) if self.base is not None else 1)

    def apply(self, sigma):
        """The images of a batch: (B, G K, K (N + 1)), ``G = 1`` without a base group."""
        img = self.base.apply(sigma) if self.base is not None else sigma[:, None, :]
        B, G, N = img.shape
        K = self.n_terms
        one = torch.ones(B, G, 1, dtype=sigma.dtype, device=sigma.device)
        block = torch.cat([img, one], -1)  # (B, G, N + 1)
        out = torch.zeros(B, G, K, K, N + 1, dtype=sigma.dtype, device=sigma.device)
        idx = torch.arange(K, device=sigma.device)
        out[:, :, idx, idx] = block[:, :, None, :]
        return out.reshape(B, G * K, K * (N + 1))

    def characters(self, chi=None):
        """The characters of the images: ``chi`` of the base group, each repeated ``K`` times
        (ones without a base)."""
        if chi is None:
            return np.ones(len(self), dtype=complex)
        return np.repeat(np.asarray(chi, dtype=complex), self.n_terms)


def _point_ops(shape):
    """Integer matrices of the point group of a periodic chain or rectangle/square."""
    if len(shape) == 1:
        return [np.array([[1]]), np.array([[-1]])]
    ops = []
    for sx in (1, -1):
        for sy in (1, -1):
            ops.append(np.array([[sx, 0], [0, sy]]))
            if shape[0] == shape[1]:
                ops.append(np.array([[0, sx], [sy, 0]]))
    return ops


class SymmetricRBMParams:
    """The shared parameters of a symmetric RBM and the tied plain RBM they define.

    ``a`` (1,) or (0,) (no visible bias under spin flip), ``b`` (F,), ``w`` (F, N). ``full``
    is an :class:`._rbm.RBMParams` whose tensors are updated in place whenever the shared
    ones change, so every function of :mod:`._rbm` works on it.
    """

    def __init__(self, a, b, w, group):
        self.a, self.b, self.w = a, b, w
        self.group = group
        dev = w.device
        G, N = len(group), group.n_sites
        # W_full[(f, g), k] = s_g w_f[p_g^-1(k)]
        inv = np.argsort(group.perms, axis=1)
        self._inv = torch.as_tensor(inv, device=dev)
        self._perms = torch.as_tensor(group.perms, device=dev)
        self._signs = torch.as_tensor(group.signs, device=dev, dtype=torch.float64)
        self._onehot = None  # the one-hot table of _filter_derivatives, built on first use
        F = w.shape[0]
        self.full = _rbm.RBMParams(torch.zeros(N, dtype=w.dtype, device=dev),
                                   torch.zeros(F * G, dtype=w.dtype, device=dev),
                                   torch.zeros(F * G, N, dtype=w.dtype, device=dev))
        self.sync()

    @classmethod
    def init(cls, group, n_filters, std, dtype, device, visible_bias=True):
        def rnd(*shape):
            x = torch.randn(*shape, dtype=torch.float64, device=device) * std
            if dtype.is_complex:
                x = torch.complex(x, torch.randn(*shape, dtype=torch.float64, device=device) * std)
            return x

        N = group.n_sites
        a = rnd(1) if visible_bias else torch.zeros(0, dtype=dtype, device=device)
        return cls(a, rnd(n_filters), rnd(n_filters, N), group)

    def sync(self):
        """Rebuild the tied plain RBM from the shared parameters (in place)."""
        F, N = self.w.shape
        G = len(self.group)
        signs = self._signs.to(self.w.dtype)
        W = self.w[:, self._inv] * signs[None, :, None]  # (F, G, N)
        self.full.W.copy_(W.reshape(F * G, N))
        self.full.b.copy_(self.b.repeat_interleave(G))
        self.full.a.fill_(0.0)
        if self.a.numel():
            self.full.a.add_(self.a[0])

    @property
    def dtype(self):
        return self.w.dtype

    @property
    def n_filters(self):
        return self.w.shape[0]

    def tensors(self):
        return [self.a, self.b, self.w]

    def n_parameters(self):
        return sum(t.numel() for t in self.tensors())

    def add_(self, delta):
        na, F = self.a.numel(), self.b.numel()
        self.a.add_(delta[:na])
        self.b.add_(delta[na : na + F])
        self.w.add_(delta[na + F :].view(self.w.shape))
        self.sync()

    def copy_(self, other):
        for t, o in zip(self.tensors(), other.tensors()):
            t.copy_(o)
        self.sync()

    def clone(self):
        return SymmetricRBMParams(*(t.detach().clone() for t in self.tensors()), self.group)

    def log_derivatives(self, sigma, t):
        """``O`` of the shared parameters (B, P), from ``t = tanh theta`` of the tied RBM:
        ``O_a = sum_j sigma_j``, ``O_b_f = sum_g t_fg``, ``O_w_f = sum_g t_fg (g sigma)``."""
        B, N = sigma.shape
        F, G = self.n_filters, len(self.group)
        s = sigma.to(self.dtype) if self.dtype.is_complex else sigma
        tt = t.reshape(B, F, G)
        parts = []
        if self.a.numel():
            parts.append(s.sum(1, keepdim=True))
        parts.append(tt.sum(2))
        parts.append(self._filter_derivatives(s, tt).reshape(B, F * N))
        return torch.cat(parts, 1)

    def _filter_derivatives(self, s, tt):
        """``O_w[b, f, n] = sum_g s_g t[b, f, g] sigma_b[p_g(n)]``, (B, F, N).

        Where the group is large against the lattice (``G >= 2 N``: a point group), one
        matrix product with the signed one-hot table ``P[g, (n, m)] = s_g [p_g(n) = m]``
        gives ``K = t P`` and ``O_w = K sigma``, in place of a gather of the ``G`` images of
        every sample (``benchmarks/bench_quantum_seeds.py`` times the fits); the gather
        stays the way for small groups and for tables over ``2^22`` entries."""
        B, F, G = tt.shape
        N = s.shape[1]
        if G >= 2 * N and G * N * N <= 1 << 22:
            P = self._onehot
            if P is None or P.dtype != tt.dtype:
                P = torch.zeros(G, N, N, dtype=tt.dtype, device=tt.device)
                P[torch.arange(G, device=tt.device)[:, None],
                  torch.arange(N, device=tt.device)[None, :], self._perms] = (
                    self._signs.to(tt.dtype)[:, None])
                P = self._onehot = P.reshape(G, N * N)
            Ow = torch.empty(B, F, N, dtype=tt.dtype, device=tt.device)
            step = max(1, (1 << 22) // (F * N * N))  # K in chunks of the batch
            for b0 in range(0, B, step):
                sl = slice(b0, b0 + step)
                K = (tt[sl].reshape(-1, G) @ P).view(-1, F * N, N)
                Ow[sl] = torch.bmm(K, s[sl, :, None].to(K.dtype)).view(-1, F, N)
            return Ow
        # sum_g t_fg s_g sigma[p_g] in chunks of group elements (bounded memory)
        Ow = torch.zeros(B, F, N, dtype=tt.dtype, device=tt.device)
        step = max(1, (1 << 22) // max(B * N, 1))
        for g0 in range(0, G, step):
            sl = slice(g0, g0 + step)
            img = s[:, self._perms[sl]] * self._signs[sl].to(s.dtype)[None, :, None]
            Ow += torch.einsum("bfg,bgn->bfn", tt[:, :, sl], img)
        return Ow

    def numpy(self):
        return {k: getattr(self, k).detach().cpu().numpy().copy() for k in ("a", "b", "w")}


def n_filters(alpha, n_sites, group_size):
    """Filters of a symmetric RBM of hidden density ``alpha``: ``ceil(alpha N / |G|)``."""
    return max(1, math.ceil(alpha * n_sites / group_size - 1e-9))


class Projection:
    """The projection ``psi(sigma) = sum_g chi_g^* phi(g sigma)`` of a network amplitude.

    ``phi`` is an RBM (``params``, plain or the tied expansion of a symmetric one); ``chi``
    the characters (with the Marshall factors folded in). Everything is computed from
    ``log phi`` of the ``|G|`` images: amplitudes, log-derivatives
    ``O_k = sum_g w_g O^phi_k(g sigma)`` with ``w_g = chi_g^* phi(g sigma) / psi(sigma)``, and
    local energies from the connected configurations of an operator.
    """

    def __init__(self, group, chi):
        self.group = group
        self.log_cchi = torch.log(torch.as_tensor(np.conj(chi), dtype=torch.complex128))
        self.zero = torch.as_tensor(np.abs(chi) == 0)

    def _terms(self, params, sigma):
        img = self.group.apply(sigma)  # (B, G, N)
        B, G, N = img.shape
        flat = img.reshape(B * G, N)
        th = _rbm.theta(params, flat)
        lphi = _rbm.log_psi(params, flat, th).to(torch.complex128).reshape(B, G)
        return img, th, lphi + self.log_cchi.to(sigma.device)[None]

    def log_psi(self, params, sigma, chunk=1 << 12):
        """``log psi`` (complex, (B,)); ``-inf`` real part where the projection vanishes."""
        out = []
        for s in range(0, len(sigma), chunk):
            out.append(_logsumexp_c(self._terms(params, sigma[s : s + chunk])[2]))
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.complex128)

    def log_derivatives(self, params, sigma, shared=None):
        """``O`` (B, P) of the plain parameters, or of the shared ones (``shared``: the
        :class:`SymmetricRBMParams` whose ``full`` is ``params``); computed once per distinct
        configuration."""
        d = _rbm.distinct_rows(sigma)
        if d is not None and len(d[0]) < len(sigma):
            return self._log_derivatives(params, d[0], shared)[d[1]]
        return self._log_derivatives(params, sigma, shared)

    def _log_derivatives(self, params, sigma, shared):
        img, th, z = self._terms(params, sigma)
        B, G, N = img.shape
        w = torch.exp(z - _logsumexp_c(z)[:, None])  # (B, G) complex
        t = torch.tanh(th)
        flat = img.reshape(B * G, N)
        O = (shared.log_derivatives(flat, t) if shared is not None
             else _rbm.log_derivatives(params, flat, th))
        O = O.reshape(B, G, -1).to(torch.complex128)
        out = torch.einsum("bg,bgp->bp", w, O)
        return out if params.dtype.is_complex else out.real

    def local_energy(self, operator, params, sigma, sublattice_a=None, n_up=None):
        """``E_loc = sum_sigma' H[sigma, sigma'] psi(sigma') / psi(sigma)`` (complex (B,)),
        computed once per distinct configuration (each costs ``|G|`` amplitudes per connected
        one)."""
        d = _rbm.distinct_rows(sigma)
        if d is not None and len(d[0]) < len(sigma):
            return self._local_energy(operator, params, d[0], sublattice_a, n_up)[d[1]]
        return self._local_energy(operator, params, sigma, sublattice_a, n_up)

    def _local_energy(self, operator, params, sigma, sublattice_a, n_up):
        conn, mel = operator.connected(sigma)  # (B, K, N), (B, K)
        B, K = conn.shape[:2]
        mel = mel.to(torch.complex128).to(sigma.device)
        if sublattice_a is not None:
            a = torch.as_tensor(sublattice_a, device=sigma.device)
            up_a = ((conn > 0) & a).sum(-1)
            sign = 1.0 - 2.0 * ((up_a - up_a[:, :1]) % 2).to(torch.float64)
            mel = mel * sign
        if n_up is not None:
            mel = mel * ((conn > 0).sum(-1) == n_up)
        keep = mel != 0
        lp = torch.full((B, K), -math.inf, dtype=torch.complex128, device=sigma.device)
        lp[keep] = self.log_psi(params, conn[keep])
        l0 = self.log_psi(params, sigma)
        ratio = torch.where(keep, torch.exp(lp - l0[:, None]), torch.zeros_like(lp))
        return (mel * ratio).sum(1)


def _logsumexp_c(z):
    """``log sum_g exp(z_g)`` over the last axis for complex ``z``."""
    m = z.real.max(-1, keepdim=True).values
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    s = torch.exp(z - m).sum(-1)
    return torch.log(s) + m[..., 0]


# --------------------------------------------------------------------------------------
# the fitted state of a projected wave function, and its Markov chains
# --------------------------------------------------------------------------------------
class ProjectedState:
    """The fitted state ``psi = sum_g chi_g^* phi(g sigma)`` (times the Marshall sign).

    The same methods as :class:`._state.RBMState` (``log_psi``, ``log_norm``, ``log_prob``,
    ``sample``, ``local_energy``, ``expectation``, ``fidelity``), computed from the
    projection: exact sums over spaces of at most ``EXACT_LIMIT`` states, Metropolis
    chains beyond.
    """

    def __init__(self, params, projection, n_up=None, sublattice_a=None, shared=None):
        from ._state import RBMState

        self._base = RBMState(params, n_up, sublattice_a)
        self.params, self.projection, self.n_up, self.shared = params, projection, n_up, shared
        self.sublattice_a = self._base.sublattice_a

    n_sites = property(lambda self: self.projection.group.n_sites)
    device = property(lambda self: self.params.a.device)
    is_complex = property(lambda self: self.params.dtype.is_complex)

    def space_size(self):
        N = self.n_sites
        return math.comb(N, self.n_up) if self.n_up is not None else 2**N

    def space(self):
        return _rbm.Space(self.n_sites, self.n_up, self.device)

    def _log_amp(self, sigma):
        return self.projection.log_psi(self.params, sigma.to(self.device))

    def log_psi(self, sigma):
        out = self._log_amp(sigma).cpu().numpy().astype(complex)
        up = sigma.cpu().numpy() > 0
        if self.sublattice_a is not None:
            out = out + 1j * np.pi * ((up & self.sublattice_a).sum(1) % 2)
        if self.n_up is not None:
            out[up.sum(1) != self.n_up] = -np.inf
        return out

    def _space_logp(self):
        from ._state import EXACT_LIMIT

        if self.space_size() > EXACT_LIMIT:
            raise ValueError(f"the normaliser of a projected state over {self.space_size()} "
                             "states is intractable; use sample() or expectation()")
        space = self.space()
        return space, 2.0 * self._log_amp(space.sigma).real

    def log_norm(self, limit=None):
        return float(torch.logsumexp(self._space_logp()[1], 0))

    def log_prob(self, sigma, bases=None):
        if bases is not None and any(set(b) - {"Z"} for b in np.unique(bases)):
            raise ValueError("rotated measurement bases are not implemented for projected "
                             "(symmetry-sector) states")
        out = 2.0 * self._log_amp(sigma).real.cpu().numpy() - self.log_norm()
        if self.n_up is not None:
            out[(sigma.cpu().numpy() > 0).sum(1) != self.n_up] = -np.inf
        return out

    def sample(self, n, n_sweeps=2):
        from ._state import EXACT_LIMIT

        if self.space_size() <= EXACT_LIMIT:
            space, logp = self._space_logp()
            idx = torch.multinomial(torch.softmax(logp, 0), n, replacement=True)
            return space.sigma[idx]
        chains = ProjectedChains.random(self, min(n, 1000))
        chains.advance(50)
        out = []
        for _ in range(math.ceil(n / len(chains.sigma))):
            chains.advance(n_sweeps)
            out.append(chains.sigma.clone())
        return torch.cat(out)[:n]

    def local_energy(self, operator, sigma, th=None, t=None, workspace=None):
        n_up = self.n_up if (self.n_up is not None and not operator.conserves_sz) else None
        return self.projection.local_energy(operator, self.params, sigma.to(self.device),
                                            self._base._sub_a_t, n_up)

    def expectation(self, operator, n_samples=None, return_error=False):
        from ._state import EXACT_LIMIT

        if n_samples is None and self.space_size() <= EXACT_LIMIT:
            space, logp = self._space_logp()
            w = torch.softmax(logp, 0)
            e = torch.cat([self.local_energy(operator, space.sigma[s : s + 4096]).real
                           for s in range(0, len(space), 4096)])
            value = float((w * e).sum())
            return (value, 0.0) if return_error else value
        from ._state import monte_carlo_error

        n = 10000 if n_samples is None else int(n_samples)
        sig = self.sample(n)
        e = self.local_energy(operator, sig).real
        value = float(e.mean())
        if return_error:
            chains = None if self.space_size() <= EXACT_LIMIT else min(n, 1000)
            return value, monte_carlo_error(e, n_chains=chains)
        return value

    def fidelity(self, codes, phi):
        from ._state import RBMState

        return RBMState.fidelity(self, codes, phi)


class ProjectedChains:
    """Metropolis chains for a projected state: exchange moves in a magnetisation sector,
    single flips otherwise; every proposal costs ``|G|`` RBM amplitudes."""

    def __init__(self, state, sigma):
        self.state, self.sigma = state, sigma
        self.logp = 2.0 * state._log_amp(sigma).real
        self.acceptance = 1.0

    @classmethod
    def random(cls, state, n_chains):
        N, n_up, dev = state.n_sites, state.n_up, state.device
        if n_up is None:
            sigma = torch.randint(0, 2, (n_chains, N), device=dev).to(torch.float64)
        else:
            rank = torch.rand(n_chains, N, device=dev).argsort(1).argsort(1)
            sigma = (rank < n_up).to(torch.float64)
        return cls(state, 2.0 * sigma - 1.0)

    def refresh(self):
        self.logp = 2.0 * self.state._log_amp(self.sigma).real

    def advance(self, n_sweeps):
        sigma = self.sigma
        B, N = sigma.shape
        rows = torch.arange(B, device=sigma.device)
        exchange = self.state.n_up is not None and 0 < self.state.n_up < N
        accepted = 0
        for _ in range(n_sweeps * N):
            new = sigma.clone()
            if exchange:
                # a random up and a random down spin of each chain
                ku = torch.rand(B, N, device=sigma.device).masked_fill(sigma < 0, -1).argmax(1)
                kd = torch.rand(B, N, device=sigma.device).masked_fill(sigma > 0, -1).argmax(1)
                new[rows, ku] = -1.0
                new[rows, kd] = 1.0
            else:
                k = torch.randint(0, N, (B,), device=sigma.device)
                new[rows, k] = -new[rows, k]
            logp = 2.0 * self.state._log_amp(new).real
            acc = torch.rand(B, device=sigma.device, dtype=torch.float64).log() < logp - self.logp
            sigma = torch.where(acc[:, None], new, sigma)
            self.logp = torch.where(acc, logp, self.logp)
            accepted += int(acc.sum())
        self.sigma = sigma
        self.acceptance = accepted / max(1, B * n_sweeps * N)

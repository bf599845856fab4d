"""The 2-D Ising model: equilibrated, decorrelated configurations and exact reference results.

Two samplers share one driver (:func:`make_ising`):

``_BitIsing`` (numpy, the default)
    *Multi-spin coding*: 64 chains live in the 64 bits of one ``uint64`` word per lattice site,
    so one bitwise numpy operation updates a site in 64 chains. The lattice is kept as four
    ``(L/2, L/2)`` sub-lattices (black and white sites of even and odd rows), so that the
    checkerboard update of one colour reads its four neighbours as whole arrays, shifted by at
    most one row or column. The Metropolis acceptance ``u < exp(-beta dE)`` is made *exact*
    and bitwise: the uniform ``u`` of each chain is drawn one binary digit at a time (one random
    word gives the next digit of 64 chains) and compared with the binary expansion of the
    acceptance probability; a chain is decided at its first differing digit, after two digits
    on average. Digits are drawn in blocks of ten: the first block on whole arrays, the next
    ones on the words that still hold an undecided chain, until every chain is decided. Wolff cluster moves
    reuse the same machinery: the Fortuin-Kasteleyn bonds are drawn bitwise, and the cluster
    of one random seed per chain is grown by a breadth-first search whose frontier is again a
    bit mask, for all chains at once.
``_TorchIsing``
    One int8 spin per element on a torch device (a GPU), the same four sub-lattices with the
    chains on the last axis, checkerboard Metropolis with exact acceptance (a 64-bit uniform
    per site on a GPU; on a CPU a random byte per site, the rare ties with the probability's
    first 8 binary digits decided by a float64).
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import ellipk
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed

from ..utils._torch import draw_seed, resolve_device

__all__ = ["ising_critical_temperature", "make_ising", "onsager_energy", "onsager_magnetization"]


def ising_critical_temperature(J=1.0):
    """Exact critical temperature of the square-lattice Ising model, ``2|J| / ln(1 + sqrt 2)``.

    Parameters
    ----------
    J : float, default=1.0
        Coupling; the temperature is in units of ``J / k_B``.

    Returns
    -------
    T_c : float

    Examples
    --------
    >>> from skphys.datasets import ising_critical_temperature
    >>> round(ising_critical_temperature(), 6)
    2.269185
    """
    return 2.0 * abs(J) / math.log1p(math.sqrt(2.0))


def onsager_energy(temperature, J=1.0):
    """Exact energy per spin of the infinite square-lattice Ising model (Onsager 1944).

    ``u = -J coth(2K) [1 + (2/pi) (2 tanh^2(2K) - 1) K1(k)]``, with ``K = |J|/T``,
    ``k = 2 sinh(2K) / cosh^2(2K)`` and ``K1`` the complete elliptic integral of the first kind.
    The energy counts each nearest-neighbour bond once, ``E = -J sum_<ij> s_i s_j``, so it runs
    from ``-2|J|`` at ``T = 0`` to 0 at ``T = inf``.

    Parameters
    ----------
    temperature : float or array-like
        Temperatures (units of ``J / k_B``), > 0.
    J : float, default=1.0
        Coupling (the result depends on ``|J|``).

    Returns
    -------
    energy : float or ndarray

    Examples
    --------
    >>> from skphys.datasets import onsager_energy
    >>> round(float(onsager_energy(2.0)), 4)
    -1.7456
    """
    T = np.asarray(temperature, dtype=np.float64)
    J = abs(J)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        K = J / T
        k = 2.0 * np.tanh(2 * K) / np.cosh(2 * K)  # = 2 sinh(2K) / cosh^2(2K)
        # k -> 1 at T_c, where the logarithmic singularity of K1 is cancelled by its prefactor
        k2 = np.minimum(k * k, 1.0)
        term = np.where(k2 < 1.0, (2 * np.tanh(2 * K) ** 2 - 1) * ellipk(k2), 0.0)
        u = -J / np.tanh(2 * K) * (1.0 + 2.0 / np.pi * term)
        u = np.where(np.isfinite(T), u, 0.0)
        u = np.where(T == 0, -2.0 * J, u)
    return u if u.ndim else float(u)


def onsager_magnetization(temperature, J=1.0):
    """Exact spontaneous magnetisation per spin (Onsager, Yang 1952).

    ``m = (1 - sinh(2|J|/T)^-4)^(1/8)`` below :func:`ising_critical_temperature`, 0 above.

    Parameters
    ----------
    temperature : float or array-like
        Temperatures (units of ``J / k_B``), >= 0.
    J : float, default=1.0
        Coupling (the result depends on ``|J|``).

    Returns
    -------
    magnetization : float or ndarray

    Examples
    --------
    >>> from skphys.datasets import onsager_magnetization
    >>> round(float(onsager_magnetization(2.0)), 4), float(onsager_magnetization(3.0))
    (0.9113, 0.0)
    """
    T = np.asarray(temperature, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore"):
        x = 1.0 - np.sinh(2.0 * abs(J) / T) ** -4.0
    m = np.where(x > 0, np.abs(x) ** 0.125, 0.0)
    return m if m.ndim else float(m)


# ======================================================================================
# Bit-packed numpy sampler
# ======================================================================================
_LANE_SHIFTS = np.arange(64, dtype=np.uint64)
#: Binary digits of the acceptance probabilities kept: the comparison is exact up to 2**-64.
_N_DIGITS = 64
#: Binary digits of the uniforms drawn and compared in one block (see _bernoulli_into).
_DIGIT_BLOCK = 10
#: Words (uint64) per array in one pass: keeps a pass's temporaries in the L2 cache.
_CHUNK_WORDS = 8192


def _digit_masks(p):
    """Binary expansion of probabilities, bit-sliced.

    ``p`` of shape (n_words, 64) in [0, 1] -> ``(_N_DIGITS, n_words)`` uint64: bit ``b`` of
    entry ``[j, w]`` is the ``(j+1)``-th binary digit of ``p[w, b]`` (``p = 1`` gives all ones,
    so ``u < p`` holds for every ``u`` in [0, 1)).
    """
    frac = np.array(p, dtype=np.float64)
    one = frac >= 1.0
    frac[one] = 0.0
    out = np.empty((_N_DIGITS, frac.shape[0]), dtype=np.uint64)
    for j in range(_N_DIGITS):
        frac *= 2.0
        bit = frac >= 1.0
        frac -= bit
        out[j] = np.bitwise_or.reduce((bit | one).astype(np.uint64) << _LANE_SHIFTS, axis=1)
    return out


def _digit_block(V, P, und):
    """Compare the next ``len(V)`` digits of the undecided uniforms with those of ``p``.

    ``V`` (B, ...) random words, ``P`` (B, ...) the digits of ``p`` (broadcastable), ``und``
    the undecided bits. The uniform's digit is ``~V`` (as uniform as ``V``): at digit ``i`` a
    bit still undecided is decided ``u < p`` where ``V_i & P_i`` (``u`` has a 0, ``p`` a 1) and
    stays undecided where ``V_i ^ P_i`` (the digits are equal). A running AND along the digit
    axis turns that into whole-block operations (a few array calls per block of digits instead
    of five to seven per digit).
    Returns ``(accepted, still_undecided)``; ``V`` is overwritten.
    """
    G = V & P  # a 1 in p where u has a 0: decided "u < p" if undecided up to here
    C = np.bitwise_xor(V, P, out=V)  # equal digits: still undecided after this one
    C[0] &= und
    for i in range(1, len(C)):  # a running AND (ufunc.accumulate on axis 0 is slow)
        np.bitwise_and(C[i], C[i - 1], out=C[i])
    G[0] &= und
    G[1:] &= C[:-1]
    return np.bitwise_or.reduce(G, axis=0), C[-1]


def _bernoulli_into(decided, undecided, P0, D, M1, bitgen):
    """OR into ``decided`` a bit that is 1 with probability ``p`` for each ``undecided`` bit.

    The probability of a bit is ``p0`` of its lane, or ``p1`` where ``M1`` is set (``D`` holds
    the digits of ``p0 XOR p1``; ``D``/``M1`` are None for a single probability). ``P0``/``D``
    are ``(_N_DIGITS, n_words)`` digit masks, the arrays have the word axis first;
    ``undecided`` is consumed.

    The uniform of each bit is drawn a block of ``_DIGIT_BLOCK`` binary digits at a time and
    compared with ``p``'s digits (:func:`_digit_block`): the first block on whole arrays, the
    next ones on the words that still hold an undecided bit (a fraction ``2**-block`` of the
    bits is left after each block), until every bit is decided or the 64 digits are used.
    """
    shape = undecided.shape
    n_words = P0.shape[1]
    per_word = undecided.size // n_words
    B = min(_DIGIT_BLOCK, _N_DIGITS)
    # first block: whole arrays, the digit masks broadcast along the sites of each word
    V = bitgen.random_raw(B * undecided.size).reshape((B,) + shape)
    view = (B, n_words) + (1,) * (len(shape) - 1)
    P = P0[:B].reshape(view)
    if D is not None:
        P = (D[:B].reshape(view) & M1) ^ P
    acc, und = _digit_block(V, P, undecided)
    decided |= acc
    j = B
    idx = np.flatnonzero(und)
    if not idx.size:
        return
    # further blocks: only the words with an undecided bit
    und = und.reshape(-1)[idx]
    w = idx // per_word
    m1 = None if D is None else M1.reshape(-1)[idx]
    flat = decided.reshape(-1)
    while idx.size and j < _N_DIGITS:
        b = min(B, _N_DIGITS - j)
        V = bitgen.random_raw(b * idx.size).reshape(b, idx.size)
        P = P0[j:j + b][:, w]
        if m1 is not None:
            P ^= D[j:j + b][:, w] & m1
        acc, und = _digit_block(V, P, und)
        flat[idx] |= acc
        j += b
        keep = np.flatnonzero(und)
        idx, und, w = idx[keep], und[keep], w[keep]
        if m1 is not None:
            m1 = m1[keep]


def _lane_popcount(X):
    """Per-lane bit counts: ``X`` (n_words, K) uint64 -> (n_words, 64) int64.

    Bits are summed by a bit-sliced adder tree over the K words (counts stay bit-sliced, a few
    operations per word), and only the last few partial counts are unpacked.
    """
    W, K = X.shape
    planes = [X]
    while K % 2 == 0 and K > 16:
        K //= 2
        out, carry = [], None
        for p in planes:
            a, b = p[:, :K], p[:, K:]
            s = a ^ b
            c = a & b
            if carry is not None:
                c |= s & carry
                s ^= carry
            out.append(s)
            carry = c
        out.append(carry)
        planes = out
    P = np.ascontiguousarray(np.stack(planes, axis=1), dtype="<u8")  # (W, n_planes, K)
    bits = np.unpackbits(P.view(np.uint8).reshape(W, len(planes), K, 8), axis=-1,
                         bitorder="little")
    counts = bits.sum(axis=2, dtype=np.int64)  # (W, n_planes, 64)
    weights = (1 << np.arange(len(planes), dtype=np.int64))[None, :, None]
    return (counts * weights).sum(axis=1)


def _shift(dst, src, axis, step):
    """``dst = np.roll(src, step, axis)`` for ``step`` = +-1 and ``axis`` 1 or 2 of 3-D arrays."""
    if axis == 1:
        if step == 1:
            dst[:, 1:] = src[:, :-1]
            dst[:, 0] = src[:, -1]
        else:
            dst[:, :-1] = src[:, 1:]
            dst[:, -1] = src[:, 0]
    elif step == 1:
        dst[:, :, 1:] = src[:, :, :-1]
        dst[:, :, 0] = src[:, :, -1]
    else:
        dst[:, :, :-1] = src[:, :, 1:]
        dst[:, :, -1] = src[:, :, 0]


class _BitIsing:
    """Ferromagnetic Ising chains, 64 per ``uint64`` word (see the module docstring).

    ``Q`` has shape ``(n_words, 4, L/2, L/2)``: sub-lattices ``BE, BO, WE, WO`` (black/white
    sites of even/odd rows): ``BE[a, b] = s(2a, 2b)``, ``BO = s(2a+1, 2b+1)``,
    ``WE = s(2a, 2b+1)``, ``WO = s(2a+1, 2b)``; bit 1 is spin -1. The four neighbours of the
    pair ``[BE, BO]`` in ``[WE, WO] = O`` are ``O[::-1]``, ``O``, ``[roll(WO, +1, rows),
    roll(WE, -1, rows)]`` and ``[roll(WE, +1, cols), roll(WO, -1, cols)]``; those of
    ``[WE, WO]`` in ``O = [BE, BO]`` the same with the column shifts reversed.

    ``beta`` (one per chain) is ``|J| / T``. ``accept`` may override the two Metropolis
    acceptance probabilities ``(p(dE=4|J|), p(dE=8|J|))`` per chain (tests use it to break
    detailed balance on purpose).
    """

    def __init__(self, L, beta, seed, accept=None):
        if L % 2 or L < 4:
            raise ValueError(f"L must be even and >= 4 for the checkerboard update, got {L}.")
        beta = np.asarray(beta, dtype=np.float64)
        self.n_chains = len(beta)
        self.n_words = -(-self.n_chains // 64)
        self.L, self.h = L, L // 2
        pad = self.n_words * 64 - self.n_chains
        lanes = np.concatenate([beta, np.full(pad, beta[-1])]).reshape(self.n_words, 64)
        self.bitgen = np.random.SFC64(seed)
        self.rng = np.random.Generator(self.bitgen)
        with np.errstate(over="ignore"):
            if accept is None:
                p1, p0 = np.exp(-4.0 * lanes), np.exp(-8.0 * lanes)
            else:
                p1 = np.concatenate([accept[0], np.full(pad, accept[0][-1])]).reshape(lanes.shape)
                p0 = np.concatenate([accept[1], np.full(pad, accept[1][-1])]).reshape(lanes.shape)
            p_bond = -np.expm1(-2.0 * lanes)
        self._P0 = _digit_masks(p0)
        self._D = self._P0 ^ _digit_masks(p1)
        self._Pbond = _digit_masks(p_bond)
        self.Q = np.zeros((self.n_words, 4, self.h, self.h), dtype=np.uint64)
        self.chunk = max(1, _CHUNK_WORDS // (2 * self.h * self.h))

    # ---- state ------------------------------------------------------------------------
    def set_state(self, ordered):
        """Ordered chains start all up or all down (random sign), the others at random."""
        ordered = np.concatenate([ordered, np.zeros(self.n_words * 64 - self.n_chains, bool)])
        ordered_mask = _pack_lanes(ordered)  # (n_words,)
        sign = self.bitgen.random_raw(self.n_words)
        rand = self.bitgen.random_raw(self.Q.size).reshape(self.Q.shape)
        om = ordered_mask[:, None, None, None]
        self.Q[...] = (rand & ~om) | (sign[:, None, None, None] & om)

    def spins(self, chains=None):
        """Spins (+-1, int8) of ``chains`` (default all): (len(chains), L, L)."""
        if chains is None:
            return self._unpack(self.Q)[:self.n_chains]
        chains = np.asarray(chains)
        words, inverse = np.unique(chains // 64, return_inverse=True)
        s = self._unpack(self.Q[words])
        return s[inverse * 64 + chains % 64]

    def _unpack(self, Q):
        W, L = len(Q), self.L
        full = np.empty((W, L, L), dtype="<u8")
        full[:, 0::2, 0::2] = Q[:, 0]
        full[:, 1::2, 1::2] = Q[:, 1]
        full[:, 0::2, 1::2] = Q[:, 2]
        full[:, 1::2, 0::2] = Q[:, 3]
        bits = np.unpackbits(full.view(np.uint8).reshape(W, L, L, 8), axis=-1, bitorder="little")
        s = (1 - 2 * bits.astype(np.int8)).transpose(0, 3, 1, 2)
        return s.reshape(W * 64, L, L)

    def permute(self, order):
        """Reorder the chains (``order[i]`` = old index of new chain ``i``)."""
        bits = self.spins()[order] < 0  # (n_chains, L, L)
        pad = self.n_words * 64 - self.n_chains
        if pad:
            bits = np.concatenate([bits, np.zeros((pad,) + bits.shape[1:], bool)])
        sub = np.stack([bits[:, 0::2, 0::2], bits[:, 1::2, 1::2], bits[:, 0::2, 1::2],
                        bits[:, 1::2, 0::2]], axis=1)  # (n_lanes, 4, h, h)
        self.Q = _pack_lanes(sub)
        full = np.concatenate([order, np.full(pad, order[-1] if len(order) else 0)])
        lane_perm = full.reshape(self.n_words, 64)
        for name in ("_P0", "_D", "_Pbond"):
            setattr(self, name, _permute_digit_lanes(getattr(self, name), lane_perm))

    def global_flip(self, chains):
        """Flip every spin with probability 1/2 (a symmetry move), chain by chain.

        Every chain of the words that hold ``chains`` gets the move.
        """
        words = np.unique(np.asarray(chains) // 64)
        mask = self.bitgen.random_raw(len(words))
        self.Q[words] ^= mask[:, None, None, None]

    # ---- observables ------------------------------------------------------------------
    def observables(self, n_chains=None):
        """Per chain: magnetisation, staggered magnetisation, and energy per spin / |J|.

        Arrays of shape (n_words * 64,). With ``n_anti`` anti-aligned bonds out of ``2N``,
        ``E/N = -|J| (2N - 2 n_anti) / N``.
        """
        n_chains = self.n_chains if n_chains is None else n_chains
        Q = self.Q[:-(-n_chains // 64)]
        W, h = len(Q), self.h
        N = 4 * h * h
        down_black = _lane_popcount(Q[:, :2].reshape(W, -1))
        down_white = _lane_popcount(Q[:, 2:].reshape(W, -1))
        m = 1.0 - 2.0 * (down_black + down_white) / N
        ms = 2.0 * (down_white - down_black) / N
        anti = _lane_popcount(self._antialigned(Q).reshape(W, -1))
        e = 2.0 * anti / N - 2.0
        return m.reshape(-1)[:n_chains], ms.reshape(-1)[:n_chains], e.reshape(-1)[:n_chains]

    @staticmethod
    def _neighbours(O, colour, out3, out4):
        """Shifted neighbours 3 and 4 of the colour whose other colour is ``O`` (W, 2, h, h)."""
        _rows(O, out3)
        _cols(O, colour, out4)
        return out3, out4

    def _antialigned(self, Q):
        """The four bond masks of the black sites: 1 where the bond is anti-aligned."""
        S, O = Q[:, 0:2], Q[:, 2:4]
        A = np.empty((len(Q), 4) + S.shape[1:], np.uint64)
        np.bitwise_xor(S, O[:, ::-1], out=A[:, 0])
        np.bitwise_xor(S, O, out=A[:, 1])
        self._neighbours(O, 0, A[:, 2], A[:, 3])
        A[:, 2] ^= S
        A[:, 3] ^= S
        return A

    # ---- Metropolis -------------------------------------------------------------------
    def sweep(self, n_chains=None):
        """One checkerboard Metropolis sweep of the first ``n_chains`` chains (or more)."""
        n_words = self.n_words if n_chains is None else -(-n_chains // 64)
        for colour in (0, 1):
            for w0 in range(0, n_words, self.chunk):
                self._half_sweep(colour, w0, min(w0 + self.chunk, n_words))

    def _half_sweep(self, colour, w0, w1):
        Q = self.Q[w0:w1]
        S = Q[:, 2 * colour:2 * colour + 2]
        O = Q[:, 2 - 2 * colour:4 - 2 * colour]
        a1 = S ^ O[:, ::-1]
        a2 = S ^ O
        a3, a4 = self._neighbours(O, colour, np.empty_like(a1), np.empty_like(a1))
        a3 ^= S
        a4 ^= S
        # number n of anti-aligned neighbours, bit-sliced: n >= 2 always flips (dE <= 0);
        # n == 1 flips with p1 = exp(-4 beta), n == 0 with p0 = exp(-8 beta)
        x = a1 ^ a2
        y = np.bitwise_and(a1, a2, out=a1)
        z = a3 ^ a4
        v = np.bitwise_and(a3, a4, out=a3)
        yv = np.bitwise_or(y, v, out=y)
        flip = np.bitwise_and(x, z, out=a4)
        flip |= yv
        M1 = np.bitwise_xor(x, z, out=x)
        M1 &= ~yv
        undecided = np.bitwise_not(flip, out=a2)
        _bernoulli_into(flip, undecided, self._P0[:, w0:w1], self._D[:, w0:w1], M1,
                        self.bitgen)
        S ^= flip

    # ---- Wolff ------------------------------------------------------------------------
    def wolff(self, n_chains=None):
        """One Wolff cluster flip per chain (of the first ``n_chains`` chains, or more).

        The Fortuin-Kasteleyn bonds (aligned neighbours, open with ``1 - exp(-2 beta)``) are
        drawn for the whole lattice; the cluster of a random seed site per chain is grown by a
        breadth-first search over them and flipped, which is Wolff's move.
        """
        n_words = self.n_words if n_chains is None else -(-n_chains // 64)
        for w0 in range(0, n_words, max(1, self.chunk // 2)):
            self._wolff(w0, min(w0 + max(1, self.chunk // 2), n_words))

    def _wolff(self, w0, w1):
        Q = self.Q[w0:w1]
        W, h = len(Q), self.h
        bonds = np.zeros((W, 4, 2, h, h), np.uint64)
        undecided = self._antialigned(Q)
        np.bitwise_not(undecided, out=undecided)
        _bernoulli_into(bonds, undecided, self._Pbond[:, w0:w1], None, None, self.bitgen)
        b1, b2, b3, b4 = bonds[:, 0], bonds[:, 1], bonds[:, 2], bonds[:, 3]
        # one seed site per chain
        site = self.rng.integers(0, 4 * h * h, size=W * 64)
        cluster = np.zeros((W, 4 * h * h), np.uint64)
        np.bitwise_or.at(cluster, (np.repeat(np.arange(W), 64), site),
                         np.tile(np.uint64(1) << _LANE_SHIFTS, W))
        cluster = cluster.reshape(Q.shape)
        # breadth-first growth, the two colours in turn: each black step consumes the white
        # frontier, each white step the black one, so a cluster grows two layers per round
        fb, fw = cluster[:, 0:2].copy(), cluster[:, 2:4].copy()
        cb, cw = cluster[:, 0:2], cluster[:, 2:4]
        new = np.empty((W, 2, h, h), np.uint64)
        t = np.empty_like(new)
        while True:
            # black sites reached from the white frontier, gathered along the four bonds
            np.bitwise_and(fw[:, ::-1], b1, out=new)
            new |= np.bitwise_and(fw, b2, out=t)
            new |= _rows(fw, t).__iand__(b3)
            new |= _cols(fw, 0, t).__iand__(b4)
            new &= ~cb
            cb |= new
            fb |= new
            # white sites reached from the black frontier, scattered along the four bonds
            np.bitwise_and(fb, b1, out=t)
            np.bitwise_and(fb, b2, out=fw)
            fw |= t[:, ::-1]
            fw |= _rows(np.bitwise_and(fb, b3, out=t), new)
            fw |= _cols(np.bitwise_and(fb, b4, out=t), 1, new)
            fw &= ~cw
            fb[...] = 0
            if not fw.any():
                break
            cw |= fw
        Q ^= cluster


def _rows(O, out):
    """``out = [roll(O[:, 1], +1, rows), roll(O[:, 0], -1, rows)]`` for pairs (W, 2, h, h)."""
    _shift(out[:, 0], O[:, 1], 1, +1)
    _shift(out[:, 1], O[:, 0], 1, -1)
    return out


def _cols(O, colour, out):
    """Column neighbours: ``[roll(O[:, 0], s, cols), roll(O[:, 1], -s, cols)]``, s = +-1."""
    step = +1 if colour == 0 else -1
    _shift(out[:, 0], O[:, 0], 2, step)
    _shift(out[:, 1], O[:, 1], 2, -step)
    return out


def _pack_lanes(bits):
    """Boolean (n_lanes, ...) with n_lanes a multiple of 64 -> uint64 (n_lanes // 64, ...)."""
    n = bits.shape[0]
    rest = bits.shape[1:]
    b = np.moveaxis(bits.reshape(n // 64, 64, -1), 1, -1)  # (W, sites, 64)
    packed = np.packbits(b, axis=-1, bitorder="little")  # (W, sites, 8) bytes
    words = np.ascontiguousarray(packed).view("<u8")[..., 0].astype(np.uint64)
    return words.reshape((n // 64,) + rest)


def _permute_digit_lanes(masks, lane_perm):
    """Reorder the lanes of ``(n_digits, n_words)`` bit masks: new lane i <- old lane perm[i]."""
    n_digits, W = masks.shape
    bits = np.unpackbits(np.ascontiguousarray(masks, dtype="<u8").view(np.uint8).reshape(
        n_digits, W * 8), axis=-1, bitorder="little").reshape(n_digits, W * 64)
    bits = bits[:, lane_perm.reshape(-1)]
    packed = np.packbits(bits.reshape(n_digits, W, 64), axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8")[..., 0].astype(np.uint64)


# ======================================================================================
# Torch sampler (GPU)
# ======================================================================================
class _TorchIsing:
    """Ferromagnetic Ising chains on a torch device, one int8 spin per element.

    ``Q`` has shape ``(4, L/2, L/2, n_chains)``: the sub-lattices ``BE, BO, WE, WO`` of
    :class:`_BitIsing` with the chains on the last (contiguous) axis, so that a checkerboard
    half-sweep updates one colour in place and reads its four neighbours as whole arrays
    shifted by at most one row or column of sites (never along the chain axis).

    Metropolis acceptance ``u < p`` with the per-chain probabilities ``p1 = exp(-4 beta)``
    (one anti-aligned neighbour) and ``p0 = exp(-8 beta)`` (none). On a GPU ``u`` is a 64-bit
    random integer per site (exact to 2**-64). On the CPU, where random numbers and small
    kernels cost more, one random *byte* per site: it holds the first 8 binary digits of ``u``
    and decides unless it equals those of ``p`` (about 1 site in 256), where a float64 draws
    the rest of ``u`` (exact to 2**-61). No cluster moves.
    """

    def __init__(self, L, beta, seed, device, accept=None):
        import torch

        if L % 2 or L < 4:
            raise ValueError(f"L must be even and >= 4 for the checkerboard update, got {L}.")
        self.torch = torch
        self.device = device
        self.L, self.h = L, L // 2
        self.n_chains = n = len(beta)
        beta = np.asarray(beta, dtype=np.float64)
        with np.errstate(over="ignore"):
            if accept is None:
                p1, p0 = np.exp(-4.0 * beta), np.exp(-8.0 * beta)
            else:
                p1, p0 = (np.asarray(a, dtype=np.float64) for a in accept)
        #: 64-bit uniforms (GPU) or bytes with exact ties (CPU); tests flip it to cover both
        self.wide = device.type != "cpu"
        # u < p  <=>  u64 - 2**63 < floor(p 2**64) - 2**63   (wide), or
        #             byte(u) < t, or byte(u) == t and the rest of u < p 256 - t   (bytes;
        #             t <= 255, so p = 1 is t = 255 with a rest of 1)
        t64 = [np.array([min(int(x * 2.0 ** 64), 2 ** 64 - 1) - 2 ** 63 for x in p], np.int64)
               for p in (p1, p0)]
        t8 = np.minimum(np.floor(np.stack([p1, p0]) * 256.0), 255.0)
        rest = np.stack([p1, p0]).T * 256.0 - t8.T  # (n, 2): per chain, for k = 1 and k = 2
        tensor = lambda x: torch.as_tensor(np.ascontiguousarray(x), device=device)
        self._chain = {"t1": tensor(t8[0].astype(np.uint8)),
                       "dt": tensor((t8[1] - t8[0]).astype(np.int64).astype(np.uint8)),
                       "t1_64": tensor(t64[0]), "t0_64": tensor(t64[1])}
        self._rest = rest.reshape(-1)  # numpy: the ties are resolved on the host
        # comparisons run fastest against a tensor along the chain axis, not a scalar
        self._zero = torch.zeros(n, dtype=torch.int8, device=device)
        self._two = torch.full((n,), 2, dtype=torch.int8, device=device)
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(int(seed))
        self.Q = torch.ones((4, self.h, self.h, n), dtype=torch.int8, device=device)

    def _random(self, shape, dtype):
        """Uniform random ``dtype`` (uint8 or int64) of ``shape``, from 64-bit draws."""
        torch = self.torch
        n = int(np.prod(shape))
        per = 8 if dtype == torch.uint8 else 1
        words = torch.empty(-(-n // per), dtype=torch.int64, device=self.device)
        words.random_(-2 ** 63, None, generator=self.gen)
        return words.view(dtype)[:n].view(shape)

    def set_state(self, ordered):
        """Ordered chains start all up or all down (random sign), the others at random."""
        torch = self.torch
        bits = (self._random(self.Q.shape, torch.uint8) >> 7).to(torch.int8)
        sign = (self._random((self.n_chains,), torch.uint8) >> 7).to(torch.int8)
        ordered = torch.as_tensor(np.asarray(ordered, bool), device=self.device)
        self.Q = (1 - 2 * torch.where(ordered, sign, bits)).to(torch.int8).contiguous()

    def _neighbour_sums(self, Q, colour):
        """Sum of the four neighbours of each site of ``colour``: (2, h, h, n) int8."""
        torch = self.torch
        O0, O1 = (Q[2], Q[3]) if colour == 0 else (Q[0], Q[1])
        nb = torch.empty((2,) + O0.shape, dtype=torch.int8, device=self.device)
        torch.add(O0, O1, out=nb[0])  # the same-row and the same-column neighbours
        nb[1] = nb[0]
        # the other row: [roll(O1, +1, rows), roll(O0, -1, rows)]
        nb[0, 1:] += O1[:-1]
        nb[0, 0] += O1[-1]
        nb[1, :-1] += O0[1:]
        nb[1, -1] += O0[0]
        # the other column: [roll(O0, s, cols), roll(O1, -s, cols)], s = +1 for colour 0
        (a, A), (b, B) = ((nb[0], O0), (nb[1], O1)) if colour == 0 else ((nb[1], O1), (nb[0], O0))
        a[:, 1:] += A[:, :-1]
        a[:, 0] += A[:, -1]
        b[:, :-1] += B[:, 1:]
        b[:, -1] += B[:, 0]
        return nb

    def sweep(self, n_chains=None):
        """One checkerboard Metropolis sweep of the first ``n_chains`` chains (or all)."""
        torch = self.torch
        n = self.n_chains if n_chains is None else min(int(n_chains), self.n_chains)
        Q = self.Q if n == self.n_chains else self.Q[..., :n]
        ch = {key: v[:n] for key, v in self._chain.items()}
        zero, two = self._zero[:n], self._two[:n]
        for colour in (0, 1):
            S = Q[2 * colour:2 * colour + 2]
            # k = s * (sum of the neighbours) / 2 = dE / 4J in {-2, ..., 2}: the spin flips
            # if k <= 0, else with probability p1 (k = 1) or p0 (k = 2)
            k = self._neighbour_sums(Q, colour).mul_(S).bitwise_right_shift_(1)
            k2 = torch.eq(k, two)
            if self.wide:
                u = self._random(S.shape, torch.int64)
                flip = torch.lt(u, torch.where(k2, ch["t0_64"], ch["t1_64"]))
            else:
                u = self._random(S.shape, torch.uint8)
                t = k2.view(torch.uint8).mul(ch["dt"]).add_(ch["t1"])  # t1 or t0, per site
                flip = torch.lt(u, t)
                tie = torch.eq(u, t).logical_and_(torch.gt(k, zero)).view(-1).numpy()
                pos = np.flatnonzero(tie)
                if pos.size:
                    r = torch.rand(pos.size, generator=self.gen, dtype=torch.float64).numpy()
                    rest = self._rest[(pos % n) * 2 + k2.view(-1).numpy()[pos]]
                    flip.view(-1).numpy()[pos] = r < rest
            flip.logical_or_(torch.le(k, zero))
            S.bitwise_xor_(flip.view(torch.int8).mul_(-2))  # s ^ -2 = -s for s = +-1

    def global_flip(self, chains):
        """Flip every spin of each of ``chains`` with probability 1/2."""
        torch = self.torch
        idx = self._index(chains)
        sign = 1 - 2 * (self._random((len(idx),), torch.uint8) >> 7).to(torch.int8)
        self.Q[..., idx] *= sign

    def spins(self, chains=None):
        """Spins (+-1, int8) of ``chains`` (default all): (len(chains), L, L)."""
        torch = self.torch
        Q = self.Q if chains is None else self.Q[..., self._index(chains)]
        Q = Q.permute(3, 0, 1, 2)
        s = torch.empty((Q.shape[0], self.L, self.L), dtype=torch.int8, device=self.device)
        s[:, 0::2, 0::2], s[:, 1::2, 1::2] = Q[:, 0], Q[:, 1]
        s[:, 0::2, 1::2], s[:, 1::2, 0::2] = Q[:, 2], Q[:, 3]
        return s.cpu().numpy()

    def _index(self, chains):
        return self.torch.as_tensor(np.ascontiguousarray(chains, dtype=np.int64),
                                    device=self.device)

    def permute(self, order):
        """Reorder the chains (``order[i]`` = old index of new chain ``i``)."""
        idx = self._index(order)
        self.Q = self.Q[..., idx].contiguous()
        self._chain = {key: v[idx] for key, v in self._chain.items()}
        self._rest = self._rest.reshape(-1, 2)[np.asarray(order)].reshape(-1)

    def observables(self, n_chains=None):
        """Per chain: magnetisation, staggered magnetisation, and energy per spin / |J|."""
        torch = self.torch
        n = self.n_chains if n_chains is None else n_chains
        Q = self.Q[..., :n]
        N = self.L * self.L
        black = Q[:2].sum((0, 1, 2), dtype=torch.int32)
        white = Q[2:].sum((0, 1, 2), dtype=torch.int32)
        # every bond has one black end: E = -sum over black sites of s * (neighbour sum)
        bonds = (Q[:2] * self._neighbour_sums(Q, 0)).sum((0, 1, 2), dtype=torch.int32)
        out = torch.stack((black + white, black - white, -bonds)).double().cpu().numpy() / N
        return out[0], out[1], out[2]


# ======================================================================================
# The driver
# ======================================================================================
def _integrated_time(series, c=6.0):
    """Integrated autocorrelation time of equilibrium series (n_steps, n_chains).

    ``tau = 1/2 + sum_{t=1}^{M} rho(t)``, with ``rho`` the autocorrelation averaged over the
    chains (about the common mean) and Sokal's self-consistent window, the smallest ``M`` with
    ``M >= c tau(M)``. Samples ``2 tau`` steps apart are about as informative as independent
    ones. Returns ``(tau, reliable)``: ``reliable`` is False when no window was found.
    """
    x = np.asarray(series, dtype=np.float64)
    n = x.shape[0]
    x = x - x.mean()
    var = np.mean(x * x)
    if n < 4 or var <= 1e-12 * max(1.0, float(np.max(np.abs(series))) ** 2):
        return 0.5, True
    f = np.fft.rfft(x, n=2 * n, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=2 * n, axis=0)[:n].mean(axis=1)
    acov /= n - np.arange(n)
    rho = acov / acov[0]
    tau = 0.5 + np.cumsum(rho[1:])
    M = np.arange(1, n)
    ok = np.flatnonzero(M >= c * tau)
    if not ok.size:
        return float(max(tau[-1], 0.5)), False
    return float(max(tau[ok[0]], 0.5)), True


def _chains_per_temperature(n_samples, n_chains):
    if n_chains != "auto":
        return min(int(n_chains), n_samples)
    return min(n_samples, max(64, -(-n_samples // 8)))


#: method="auto" uses Wolff steps for T / T_c in this window, where Metropolis slows down.
_CLUSTER_WINDOW = (0.92, 1.1)
#: Steps run before the first autocorrelation measurement, and its first length.
_FIRST_BURN, _FIRST_PILOT = 64, 128
#: The pilot must cover this many autocorrelation times; it doubles until it does.
_PILOT_TAUS = 20
#: Chains per temperature the pilot measures tau on (extra ones only run the pilot): the
#: estimator subtracts the sample mean, which biases tau low by about 12 tau^2 /
#: (steps * chains); a single chain with a pilot of 20 tau reads tau 2-3x too low near T_c.
_MIN_PILOT_CHAINS = 64
_MAX_PILOT = 2 ** 16


_STEP_NAMES = {"metropolis": "metropolis", "wolff": "wolff", "mixed": "wolff+metropolis"}


def _step_function(sampler, kind):
    if kind == "metropolis":
        return sampler.sweep
    if kind == "wolff":
        return sampler.wolff

    def step(n_chains=None):
        sampler.wolff(n_chains)
        sampler.sweep(n_chains)

    return step


class _Chains:
    """A sampler's chains with their temperature index and whether they give samples (the
    others only help the pilot measure tau), ordered so that the chains still running come
    first (the samplers step a prefix of their chains)."""

    def __init__(self, sampler, chain_T, sampling):
        self.sampler = sampler
        self.chain_T = chain_T
        self.sampling = sampling

    def put_first(self, key):
        """Reorder chains by decreasing ``key`` (one per chain); return the count with key > 0."""
        order = np.argsort(-key, kind="stable")
        if np.any(order != np.arange(len(order))):
            self.sampler.permute(order)
            self.chain_T = self.chain_T[order]
            self.sampling = self.sampling[order]
            key = key[order]
        return int(np.count_nonzero(key > 0))


def _measure(chains, step, n_active, temps, length):
    """Run ``length`` steps of the first ``n_active`` chains, recording ``|m|`` and ``E``.

    Returns the integrated autocorrelation time (the larger of the two) and whether it was
    measured reliably, for each temperature index in ``temps``.
    """
    series = np.empty((2, length, n_active))
    for t in range(length):
        step(n_active)
        m, _, e = chains.sampler.observables(n_active)
        series[0, t] = np.abs(m)
        series[1, t] = e
    chain_T = chains.chain_T[:n_active]
    taus, reliable = np.empty(len(temps)), np.empty(len(temps), bool)
    for k, i in enumerate(temps):
        fits = [_integrated_time(x[:, chain_T == i]) for x in series]
        taus[k] = max(f[0] for f in fits)
        reliable[k] = all(f[1] for f in fits)
    return taus, reliable


def _sample_group(sampler, kind, chain_T, n_T, n_samples, burn_in, thinning, sampling=None):
    """Equilibrate, measure the autocorrelation, and draw ``n_samples`` per temperature.

    Returns spins (n_T, n_samples, L, L) int8 and diagnostics (tau, thinning and steps per
    temperature). A temperature's chains stop as soon as they have what they need: the pilot
    run doubles only where ``tau`` is not yet measured well. ``sampling`` (bool per chain,
    default all) marks the chains that give samples; the others stop after the pilot.
    """
    step = _step_function(sampler, kind)
    if sampling is None:
        sampling = np.ones(len(chain_T), bool)
    chains = _Chains(sampler, chain_T, sampling)
    taus = np.full(n_T, np.nan)
    first = _FIRST_BURN if burn_in == "auto" else burn_in
    for _ in range(first):
        step()
    steps = np.full(n_T, first)
    if burn_in == "auto" or thinning == "auto":
        length = _FIRST_PILOT
        todo = np.ones(n_T, bool)
        while todo.any():
            n_active = chains.put_first(todo[chains.chain_T].astype(int))
            temps = np.flatnonzero(todo)
            t, ok = _measure(chains, step, n_active, temps, length)
            taus[temps] = t
            steps[temps] += length
            done = ok & (length >= _PILOT_TAUS * t)
            if length >= _MAX_PILOT and not done.all():
                warnings.warn(
                    f"The autocorrelation time at {(~done).sum()} temperature(s) could not be "
                    f"measured reliably within {steps.max()} steps (estimate {t.max():.0f}); "
                    "the samples may be correlated. Near T_c use method='auto' (cluster "
                    "moves), or set thinning.", RuntimeWarning, stacklevel=4)
                break
            todo[temps[done]] = False
            length *= 2
    thin = (np.maximum(1, np.ceil(2.0 * taus)).astype(int) if thinning == "auto"
            else np.full(n_T, int(thinning)))
    samples_per_chain = -(-n_samples // np.bincount(chains.chain_T[chains.sampling],
                                                   minlength=n_T))
    need_T = samples_per_chain * thin
    # longest first: the chains still running are a prefix; pilot-only chains stop here
    chains.put_first(np.where(chains.sampling, need_T[chains.chain_T], 0))
    chain_T = chains.chain_T
    need = np.where(chains.sampling, need_T[chain_T], 0)
    chain_thin = thin[chain_T]
    out = np.empty((n_T, n_samples, sampler.L, sampler.L), dtype=np.int8)
    filled = np.zeros(n_T, dtype=int)
    for t in range(1, int(need.max()) + 1):
        n_active = int(np.count_nonzero(need >= t))
        step(n_active)
        due = np.flatnonzero((t % chain_thin[:n_active]) == 0)
        if not due.size:
            continue
        sampler.global_flip(due)
        spins = sampler.spins(due)
        for i in np.unique(chain_T[due]):
            rows = spins[chain_T[due] == i][: n_samples - filled[i]]
            out[i, filled[i]:filled[i] + len(rows)] = rows
            filled[i] += len(rows)
    steps += need_T
    return out, {"tau": taus, "thinning": thin, "steps": steps}


#: a chunk of temperatures holds about this many 64-bit words per sub-lattice array, so that
#: numpy's operations stay large (chunks of ~1000 words ran 1.5-4x slower on one core), and
#: the usual sizes (L <= 64, up to 16-64 temperatures) keep one chunk, as before n_jobs
_T_CHUNK_WORDS = 16384


def _temperatures_per_chunk(L, chains_per_T):
    """Temperatures sampled together: the chunks that ``n_jobs`` spreads over workers."""
    words_per_T = (L // 2) ** 2 * chains_per_T / 64
    return max(1, int(_T_CHUNK_WORDS // words_per_T))


def _sample_chunk(L, T, beta, kind, seed, c, c_all, n_samples, burn_in, thinning, device,
                  Tc):
    """One chunk of temperatures, run by one worker: spins (n_T, n_samples, L, L), info."""
    chain_T = np.repeat(np.arange(len(T)), c_all)
    sampling = np.tile(np.arange(c_all) < c, len(T))
    b = beta[chain_T]
    if device is None:
        sampler = _BitIsing(L, b, seed)
    else:
        sampler = _TorchIsing(L, b, seed, device)
    sampler.set_state(T[chain_T] < Tc)
    return _sample_group(sampler, kind, chain_T, len(T), n_samples, burn_in, thinning,
                         sampling)


def _check_ising_params(L, temperatures):
    T = np.asarray(temperatures, dtype=np.float64).reshape(-1)
    if not T.size:
        raise ValueError("temperatures is empty.")
    if np.any(~(T > 0)):  # also catches NaN
        raise ValueError(f"temperatures must be > 0 (or inf), got {T[~(T > 0)][:3]}.")
    if L % 2 or L < 4:
        raise ValueError(f"L must be even and >= 4 (checkerboard, periodic), got L={L}.")
    return T


@validate_params(
    {
        "temperatures": [Real, "array-like"],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "L": [Interval(Integral, 4, None, closed="left")],
        "J": [Interval(Real, None, None, closed="neither")],
        "flat": ["boolean"],
        "return_observables": ["boolean"],
        "random_state": ["random_state"],
        "method": [StrOptions({"auto", "metropolis", "wolff"})],
        "n_chains": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "burn_in": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "thinning": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "device": [str, None],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def make_ising(temperatures, n_samples=100, *, L=16, J=1.0, flat=True, return_observables=False,
               random_state=None, method="auto", n_chains="auto", burn_in="auto",
               thinning="auto", device=None, verbose=False, n_jobs=None):
    """Equilibrium configurations of the 2-D Ising model at given temperatures.

    Square lattice, ``L x L`` spins with periodic boundaries, ``E = -J sum_<ij> s_i s_j``
    over nearest-neighbour pairs (each bond once). The samples are *equilibrated* and
    *decorrelated*: chains start ordered below T_c (random sign) and random above; after 64
    steps a pilot run measures the integrated autocorrelation time ``tau`` of ``|m|`` and
    ``E`` at every temperature (on at least 64 chains per temperature, so that ``tau`` is not
    underestimated: with fewer ``n_chains`` the extra chains run the pilot only), doubling
    its length until it covers 20 ``tau``; the pilot is discarded, and the samples of one
    chain are ``2 tau`` steps apart (about as informative as independent samples).
    Before each sample every spin of the chain is flipped with probability 1/2 (a symmetry of
    the model), so both signs of the magnetisation appear below T_c.

    The default sampler packs 64 chains into the bits of machine words and updates them with
    exact checkerboard Metropolis and Wolff cluster moves, all in numpy (several hundred
    million spin updates per second on one CPU core, ``benchmarks/bench_ising.py``).

    Parameters
    ----------
    temperatures : float or array-like of float
        Temperatures in units of ``J / k_B`` (> 0; ``inf`` gives independent random spins).
    n_samples : int, default=100
        Configurations per temperature.
    L : int, default=16
        Linear size of the lattice (even, >= 4).
    J : float, default=1.0
        Coupling: > 0 ferromagnetic, < 0 antiferromagnetic (simulated as the ferromagnet with
        the spins of one sub-lattice reversed), 0 free spins.
    flat : bool, default=True
        Return ``X`` of shape ``(n, L*L)``; else ``(n, L, L)``.
    return_observables : bool, default=False
        Also return a dict with the ``"energy"`` per spin and the ``"magnetization"`` per spin
        of every configuration.
    random_state : int, RandomState instance or None, default=None
        Seed of the Monte Carlo run (results depend on the sampler: the numpy one and the torch
        one on each device draw different streams).
    method : {"auto", "metropolis", "wolff"}, default="auto"
        Monte Carlo step. ``"metropolis"``: one checkerboard Metropolis sweep. ``"wolff"``: one
        Wolff cluster flip. ``"auto"``: near the critical point (``0.92 < T/T_c < 1.1``), where
        Metropolis slows down, a Wolff flip followed by a Metropolis sweep; elsewhere a
        Metropolis sweep. The torch sampler has Metropolis steps only.
    n_chains : "auto" or int, default="auto"
        Independent Markov chains per temperature; "auto" uses
        ``min(n_samples, max(64, n_samples // 8))``.
    burn_in : "auto" or int, default="auto"
        Steps discarded before the first sample. "auto": 64 steps, then the pilot run that
        measures the autocorrelation time, until it covers 20 of them (doubling, up to 65536
        steps). An int skips the pilot when ``thinning`` is an int too; otherwise the pilot
        follows the given steps.
    thinning : "auto" or int, default="auto"
        Steps between two samples of one chain; "auto": ``ceil(2 tau)`` at each temperature.
    device : str or None, default=None
        None: the bit-packed numpy sampler on the CPU (the fastest there). A torch device name
        (``"cuda"``, ``"cpu"``, ...) runs the torch sampler there; ``"auto"`` picks CUDA when
        it is available and the numpy sampler otherwise, never the torch sampler on a CPU,
        where it runs at about half the numpy sampler's speed (``benchmarks/bench_ising.py``).
    verbose : bool, default=False
        Print, per temperature, the step used, the measured autocorrelation time ``tau`` (in
        steps), the thinning and the steps run.
    n_jobs : int or None, default=None
        Workers that sample chunks of temperatures in parallel, through joblib (so
        ``with joblib.parallel_backend("dask"):`` spreads them over a cluster). None means 1
        unless in a :func:`joblib.parallel_backend` context; -1 all cores. The chunks and
        their seeds depend on the arguments only, so the result does not depend on
        ``n_jobs``. A chunk holds as many temperatures as keep numpy's arrays at about 16384
        words (with 64 chains per temperature, the default up to ``n_samples=512``:
        ``L=32``: 64 temperatures, ``L=64``: 16, ``L=128``: 4, ``L>=256``: one), so
        parallelism pays where the work is large. Not used by the torch sampler.

    Returns
    -------
    X : ndarray of shape (len(temperatures) * n_samples, L * L) or (..., L, L), float32
        Spins +-1, rows grouped by temperature in the order given.
    y : ndarray of shape (len(temperatures) * n_samples,), float64
        The temperature of each row.
    observables : dict of ndarray, only if ``return_observables``
        ``"energy"`` (``E / L^2``) and ``"magnetization"`` (``sum s / L^2``), float64, per row.

    See Also
    --------
    onsager_energy, onsager_magnetization : the exact results for the infinite lattice.

    Notes
    -----
    Metropolis acceptance ``min(1, exp(-dE / T))`` is drawn exactly (a uniform compared with the
    binary digits of the probability, to 2**-64), Wolff's bonds open with
    ``1 - exp(-2|J| / T)``. ``verbose=True`` prints the measured autocorrelation times.

    References
    ----------
    L. Onsager, Phys. Rev. 65, 117 (1944); C. N. Yang, Phys. Rev. 85, 808 (1952);
    U. Wolff, Phys. Rev. Lett. 62, 361 (1989); A. D. Sokal, "Monte Carlo methods in
    statistical mechanics", Cargese lectures (1996).

    Examples
    --------
    >>> from skphys.datasets import make_ising
    >>> X, y = make_ising([1.5, 3.5], n_samples=50, L=8, random_state=0)
    >>> X.shape, y.shape
    ((100, 64), (100,))
    >>> bool(abs(X[:50].mean(axis=1)).mean() > 0.9 > abs(X[50:].mean(axis=1)).mean())
    True
    """
    T = _check_ising_params(L, temperatures)
    seed = draw_seed(random_state)
    n_T = len(T)
    beta = np.where(np.isfinite(T), abs(J) / T, 0.0)
    if J == 0 or np.all(beta == 0):
        groups = []
        spins = np.random.default_rng(seed).choice(np.array([-1, 1], np.int8),
                                                   size=(n_T, n_samples, L, L))
    else:
        torch_device = None
        if device is not None:
            torch_device = _torch_device(device)
        if torch_device is not None and method == "wolff":
            raise ValueError("method='wolff' needs the numpy sampler (device=None).")
        if torch_device is None and method == "auto":
            ratio = T / ising_critical_temperature(J)
            near = (ratio > _CLUSTER_WINDOW[0]) & (ratio < _CLUSTER_WINDOW[1])
            groups = [(np.flatnonzero(~near), "metropolis"), (np.flatnonzero(near), "mixed")]
        else:
            groups = [(np.arange(n_T), "metropolis" if method == "auto" else method)]
        spins = np.empty((n_T, n_samples, L, L), np.int8)
        report = [None] * n_T
        c = _chains_per_temperature(n_samples, n_chains)
        # the pilot measures tau on at least _MIN_PILOT_CHAINS chains per temperature
        c_all = max(c, _MIN_PILOT_CHAINS) if "auto" in (burn_in, thinning) else c
        seeds = np.random.SeedSequence(seed).generate_state(len(groups))
        jobs = []
        for (idx, kind), gseed in zip(groups, seeds):
            if not idx.size:
                continue
            # chunks of temperatures, fixed by the arguments alone (never by n_jobs), each
            # with its own seed; a torch device runs each group whole (one big array)
            k = len(idx) if torch_device is not None else _temperatures_per_chunk(L, c_all)
            chunks = [idx[i:i + k] for i in range(0, len(idx), k)]
            cseeds = ([int(gseed)] if len(chunks) == 1 else
                      np.random.SeedSequence(int(gseed)).generate_state(len(chunks)))
            jobs += [(chunk, kind, int(cs)) for chunk, cs in zip(chunks, cseeds)]
        Tc = ising_critical_temperature(J)
        calls = [(_sample_chunk, (L, T[chunk], beta[chunk], kind, cs, c, c_all, n_samples,
                                  burn_in, thinning, torch_device, Tc))
                 for chunk, kind, cs in jobs]
        if torch_device is not None:  # the device is the parallel machine
            results = [fn(*args) for fn, args in calls]
        else:
            results = Parallel(n_jobs=n_jobs)(delayed(fn)(*args) for fn, args in calls)
        for (idx, kind, _), (out, info) in zip(jobs, results):
            spins[idx] = out
            for k, i in enumerate(idx):
                report[i] = (f"make_ising: T={T[i]:.4g} step={_STEP_NAMES[kind]} "
                             f"tau={info['tau'][k]:.2f} thinning={info['thinning'][k]} "
                             f"steps={info['steps'][k]}")
        if verbose:
            print("\n".join(report))
    spins = spins.reshape(n_T * n_samples, L, L)
    if J < 0:  # antiferromagnet: reverse the spins of one sub-lattice
        i, j = np.indices((L, L))
        spins *= np.where((i + j) % 2, -1, 1).astype(np.int8)
    X = spins.astype(np.float32)
    y = np.repeat(T, n_samples)
    obs = None
    if return_observables:
        bonds = (X * np.roll(X, 1, axis=1) + X * np.roll(X, 1, axis=2)).sum(axis=(1, 2),
                                                                         dtype=np.float64)
        obs = {"energy": -J * bonds / (L * L),
               "magnetization": X.sum(axis=(1, 2), dtype=np.float64) / (L * L)}
    if flat:
        X = X.reshape(len(X), L * L)
    return (X, y, obs) if return_observables else (X, y)


def _torch_device(device):
    """The torch device for ``device`` (a name), or None for the numpy sampler."""
    import torch

    if device == "auto":  # a GPU when there is one (a worker's own GPU among several)
        return resolve_device("auto") if torch.cuda.is_available() else None
    return resolve_device(device)

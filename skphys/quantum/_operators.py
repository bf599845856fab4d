"""Spin-1/2 operators on chains and square lattices, and exact diagonalisation.

Conventions
-----------
A configuration is a vector ``sigma`` of ``+1`` (spin up, ``Z = +1``) and ``-1`` (spin down).
In integer codes (exact diagonalisation, measurement data) site ``j`` is bit ``j`` of the code,
set for spin up, so the state vector index ``c`` has ``sigma_j = +1`` iff ``(c >> j) & 1``.

Operators are written with Pauli matrices by default (``convention="pauli"``):

* ``Heisenberg``: ``H = J sum_<ij> (X_i X_j + Y_i Y_j + delta Z_i Z_j)`` (XXZ for
  ``delta != 1``); with ``convention="spin"`` the spin-1/2 operators ``S = sigma / 2`` are used,
  which divides every energy by 4;
* ``TransverseFieldIsing``: ``H = -J sum_<ij> Z_i Z_j - h sum_i X_i``; with ``convention="spin"``
  ``H = -J sum S^z_i S^z_j - h sum S^x_i`` (the bond term divided by 4, the field by 2).

Every operator is a diagonal part plus groups of off-diagonal terms, each term flipping a fixed
set of sites with a matrix element that depends on the configuration. This one description
serves both the vectorised local energies of variational Monte Carlo (torch) and the sparse
matrix of exact diagonalisation (numpy/scipy), so the two cannot disagree.
"""

import itertools
from dataclasses import dataclass
from math import comb

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import eigsh

__all__ = [
    "Heisenberg",
    "TransverseFieldIsing",
    "PauliSum",
    "ExactState",
    "exact_ground_state",
    "codes_to_spins",
    "spins_to_codes",
    "sector_codes",
    "fidelity",
    "rotate_state",
]


# --------------------------------------------------------------------------------------
# Lattices
# --------------------------------------------------------------------------------------
def _next_nearest_edges(shape, pbc):
    """Next-nearest-neighbour bonds: ``(i, i + 2)`` on a chain, the two diagonals of every
    plaquette on a square lattice; each counted once, (E, 2)."""
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    coords = np.array(np.unravel_index(np.arange(int(np.prod(shape))), shape)).T
    steps = [(2,)] if len(shape) == 1 else [(1, 1), (1, -1)]
    edges = set()
    L = np.array(shape)
    for site, c in enumerate(coords):
        for d in steps:
            other = c + np.array(d)
            if np.any((other < 0) | (other >= L)):
                if not pbc:
                    continue
                other = other % L
            nb = int(np.ravel_multi_index(tuple(other), shape))
            if nb != site:
                edges.add((min(site, nb), max(site, nb)))
    return np.array(sorted(edges), dtype=np.int64).reshape(-1, 2)


def _lattice(shape, pbc):
    """Edges ``(E, 2)``, sublattice labels and bipartiteness of a chain or square lattice."""
    if np.ndim(shape) == 0:
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise ValueError(f"shape must be a positive int (chain) or a pair (square), got {shape}")
    coords = np.array(np.unravel_index(np.arange(int(np.prod(shape))), shape)).T
    edges = set()
    for axis, length in enumerate(shape):
        for site, c in enumerate(coords):
            if c[axis] + 1 < length or (pbc and length > 2):
                other = c.copy()
                other[axis] = (c[axis] + 1) % length
                nb = int(np.ravel_multi_index(tuple(other), shape))
                edges.add((min(site, nb), max(site, nb)))
    edges = np.array(sorted(edges), dtype=np.int64).reshape(-1, 2)
    sublattice = coords.sum(axis=1) % 2
    bipartite = bool(np.all(sublattice[edges[:, 0]] != sublattice[edges[:, 1]])) if len(edges) else True
    return shape, edges, sublattice.astype(np.int64), bipartite


# --------------------------------------------------------------------------------------
# Codes <-> spins
# --------------------------------------------------------------------------------------
def codes_to_spins(codes, n_sites):
    """Integer codes ``(D,)`` to configurations ``(D, n_sites)`` of ``+1``/``-1`` (int8)."""
    codes = np.asarray(codes, dtype=np.int64)
    bits = (codes[:, None] >> np.arange(n_sites, dtype=np.int64)) & 1
    return (2 * bits - 1).astype(np.int8)


def spins_to_codes(spins):
    """Configurations ``(D, N)`` (``+1``/``-1``, or ``1``/``0``) to integer codes ``(D,)``."""
    spins = np.asarray(spins)
    up = (spins > 0).astype(np.int64)
    return (up << np.arange(spins.shape[1], dtype=np.int64)).sum(axis=1)


def sector_codes(n_sites, n_up):
    """Sorted codes of all configurations with ``n_up`` spins up.

    Up to 24 sites by filtering all ``2**n_sites`` codes; beyond, by enumerating the
    ``C(n_sites, n_up)`` combinations (at most ``2**24`` of them, and 62 sites: int64 codes).
    """
    if n_sites <= 24:
        codes = np.arange(2**n_sites, dtype=np.int64)
        pop = np.zeros_like(codes)
        for j in range(n_sites):
            pop += (codes >> j) & 1
        return codes[pop == n_up]
    size = comb(n_sites, n_up)
    if n_sites > 62 or size > 2**24:
        raise ValueError(f"the sector of {n_up} up spins out of {n_sites} has {size} states: "
                         "too many to enumerate (limits: 2**24 states, 62 sites)")
    powers = 1 << np.arange(n_sites, dtype=np.int64)
    idx = np.fromiter(itertools.chain.from_iterable(
        itertools.combinations(range(n_sites), n_up)), dtype=np.int64, count=size * n_up)
    codes = powers[idx.reshape(size, n_up)].sum(1) if n_up else np.zeros(1, dtype=np.int64)
    return np.sort(codes)


# --------------------------------------------------------------------------------------
# Operators
# --------------------------------------------------------------------------------------
class _FlipGroup:
    """Off-diagonal terms that each flip the sites of one row of ``sites`` ``(K, r)``.

    ``element(sigma)`` gives ``<sigma|O|sigma'>`` for every term, shape ``(B, K)``, where
    ``sigma'`` is ``sigma`` with the term's sites flipped (zero where the term does not connect).
    """

    def __init__(self, sites, element, pattern=None):
        self.sites = np.asarray(sites, dtype=np.int64).reshape(len(sites), -1)
        self.element = element
        #: relative signs ``(r,)``: the element vanishes unless ``sigma[sites] = s * pattern``
        #: for some ``s = +-1`` (one flip: ``(1,)``; an exchange: ``(1, -1)``); None if unknown
        self.pattern = None if pattern is None else np.asarray(pattern, dtype=np.float64)
        self._torch = {}

    def sites_tensor(self, device):
        key = str(device)
        if key not in self._torch:
            self._torch[key] = torch.as_tensor(self.sites, device=device)
        return self._torch[key]


class _SpinOperator:
    """An operator on ``n_sites`` spins-1/2: a diagonal plus flip groups.

    Subclasses set ``n_sites`` and implement ``diagonal(sigma)`` and ``_groups()``. ``sigma``
    is a float tensor ``(B, N)`` of ``+1``/``-1`` (numpy arrays are accepted too).
    """

    #: whether the operator commutes with the total magnetisation S^z_total
    conserves_sz = False
    _dtype_complex = False

    def diagonal(self, sigma):  # pragma: no cover - abstract
        raise NotImplementedError

    def _groups(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def flip_groups(self):
        """The off-diagonal terms, grouped by the number of sites they flip."""
        if getattr(self, "_groups_cache", None) is None:
            self._groups_cache = self._groups()
        return self._groups_cache

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_groups_cache"] = None
        return state

    # ---- connected configurations (vectorised in torch) ------------------------------
    def connected(self, sigma):
        """Connected configurations and matrix elements of every row of ``sigma``.

        Parameters
        ----------
        sigma : tensor or ndarray of shape (B, N)
            Configurations of ``+1``/``-1``.

        Returns
        -------
        sigma_prime : tensor of shape (B, 1 + K, N)
            ``sigma`` itself (the diagonal) followed by the ``K`` flipped configurations.
        elements : tensor of shape (B, 1 + K)
            ``<sigma|O|sigma'>``; zero where a term does not connect ``sigma``.
        """
        sigma = torch.as_tensor(sigma, dtype=torch.float64)
        parts, mels = [sigma[:, None, :]], [self.diagonal(sigma)[:, None]]
        for g in self.flip_groups:
            sites = g.sites_tensor(sigma.device)
            flipped = sigma[:, None, :].repeat(1, len(sites), 1)
            sign = torch.ones(len(sites), sigma.shape[1], dtype=sigma.dtype, device=sigma.device)
            sign.scatter_(1, sites, -1.0)
            parts.append(flipped * sign)
            mels.append(g.element(sigma))
        dtype = torch.complex128 if any(m.is_complex() for m in mels) else torch.float64
        return torch.cat(parts, 1), torch.cat([m.to(dtype) for m in mels], 1)

    # ---- exact diagonalisation -------------------------------------------------------
    def to_sparse(self, n_up=None):
        """The operator as a sparse matrix on the full space or on a magnetisation sector.

        Parameters
        ----------
        n_up : int or None, default=None
            Restrict to configurations with this many spins up (allowed when the operator
            conserves S^z_total); None for the full ``2**n_sites`` space.

        Returns
        -------
        matrix : scipy.sparse.csr_matrix of shape (D, D)
        codes : ndarray of shape (D,)
            The basis: integer codes, sorted (see :func:`codes_to_spins`).
        """
        n = self.n_sites
        if n_up is None:
            if n > 24:
                raise ValueError(f"the full space of {n} sites is too large (limit 24)")
            codes = np.arange(2**n, dtype=np.int64)
        else:
            if not self.conserves_sz:
                raise ValueError(f"{type(self).__name__} does not conserve S^z_total")
            codes = sector_codes(n, n_up)
        D = len(codes)
        rows, cols, vals = [], [], []
        diag = np.zeros(D, dtype=complex if self._dtype_complex else float)
        chunk = max(1, 2**22 // max(n, 1))
        for start in range(0, D, chunk):
            c = codes[start : start + chunk]
            sigma = torch.from_numpy(codes_to_spins(c, n).astype(np.float64))
            diag[start : start + chunk] = self.diagonal(sigma).numpy()
            idx = np.arange(start, start + len(c))
            for g in self.flip_groups:
                mel = g.element(sigma).numpy()  # (b, K)
                masks = (np.int64(1) << g.sites).sum(axis=1)  # (K,)
                new = c[:, None] ^ masks[None, :]
                nz = mel != 0
                r = np.broadcast_to(idx[:, None], mel.shape)[nz]
                new = new[nz]
                col = new if n_up is None else np.searchsorted(codes, new)
                # <row|O|col>: the element is defined from the row configuration
                rows.append(r)
                cols.append(col)
                vals.append(mel[nz])
        rows.append(np.arange(D))
        cols.append(np.arange(D))
        vals.append(diag)
        vals = np.concatenate(vals)
        if not np.iscomplexobj(vals) or np.all(vals.imag == 0):
            vals = np.real(vals)
        matrix = sp.csr_matrix((vals, (np.concatenate(rows), np.concatenate(cols))), shape=(D, D))
        return matrix, codes

    def norm_bound(self):
        """An upper bound on the operator norm (used by divergence checks)."""
        return float(self._norm_bound())

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._repr_keys)
        return f"{type(self).__name__}({args})"


class _LatticeOperator(_SpinOperator):
    def __init__(self, shape, pbc):
        self.shape = shape
        self.pbc = pbc
        self._shape, self.edges, self.sublattice, self.bipartite = _lattice(shape, pbc)
        self.n_sites = int(np.prod(self._shape))

    def _edges_t(self, device):
        cache = self.__dict__.setdefault("_edges_cache", {})
        key = str(device)
        if key not in cache:
            cache[key] = torch.as_tensor(self.edges, device=device)
        return cache[key]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_edges_cache", None)
        return state

    def _bond_zz(self, sigma):
        e = self._edges_t(sigma.device)
        if len(e) == 0:
            return torch.zeros(sigma.shape[0], dtype=sigma.dtype, device=sigma.device)
        return (sigma[:, e[:, 0]] * sigma[:, e[:, 1]]).sum(1)


class Heisenberg(_LatticeOperator):
    r"""Heisenberg (XXZ) antiferromagnet of spins-1/2 on a chain or a square lattice.

    ``H = J sum_<ij> (X_i X_j + Y_i Y_j + delta Z_i Z_j)`` with Pauli matrices (the default), or
    with spin-1/2 operators ``S = sigma / 2`` for ``convention="spin"`` (energies divided by 4).
    The sum runs over nearest-neighbour bonds, each counted once. ``J2`` adds the same
    coupling on next-nearest-neighbour bonds (the J1-J2 model: the diagonals of the square
    lattice's plaquettes, or ``(i, i + 2)`` on a chain), which frustrates the antiferromagnet:
    those bonds join sites of one sublattice, so the Marshall sign no longer makes every
    off-diagonal element negative and the sign structure of the ground state is not known
    in closed form (near ``J2 / J = 0.5`` on the square lattice it differs from Marshall's).

    Parameters
    ----------
    shape : int or tuple of two ints
        Number of sites of a chain, or ``(Lx, Ly)`` of a square lattice.
    J : float, default=1.0
        Exchange coupling (``J > 0``: antiferromagnet).
    delta : float, default=1.0
        Anisotropy of the ``Z Z`` term (``delta = 1``: isotropic Heisenberg).
    pbc : bool, default=True
        Periodic boundaries (a ring / torus); open otherwise.
    convention : {"pauli", "spin"}, default="pauli"
        Pauli matrices or spin-1/2 operators.
    J2 : float, default=0.0
        Next-nearest-neighbour coupling (J1-J2 model).

    Attributes
    ----------
    n_sites : int
        Number of spins.
    edges : ndarray of shape (n_bonds, 2)
        Nearest-neighbour bonds.
    edges2 : ndarray of shape (n_bonds2, 2)
        Next-nearest-neighbour bonds (empty when ``J2 = 0``).
    sublattice : ndarray of shape (n_sites,)
        0/1 checkerboard labels (``A`` = 0) used by the Marshall sign rule.
    bipartite : bool
        Whether every bond joins the two sublattices (even periodic lengths, or open).

    See Also
    --------
    exact_ground_state : exact diagonalisation, restricted to S^z_total = 0 by default.
    TransverseFieldIsing : the other model.

    Examples
    --------
    >>> from skphys.quantum import Heisenberg, exact_ground_state
    >>> H = Heisenberg(10)
    >>> round(exact_ground_state(H).energy, 6)
    -18.061785
    """

    conserves_sz = True
    _repr_keys = ("shape", "J", "delta", "pbc", "convention", "J2")

    def __init__(self, shape, *, J=1.0, delta=1.0, pbc=True, convention="pauli", J2=0.0):
        super().__init__(shape, pbc)
        if convention not in ("pauli", "spin"):
            raise ValueError(f"convention must be 'pauli' or 'spin', got {convention!r}")
        self.J = float(J)
        self.delta = float(delta)
        self.convention = convention
        self.J2 = float(J2)
        self.edges2 = (_next_nearest_edges(shape, pbc) if self.J2 != 0
                       else np.zeros((0, 2), dtype=np.int64))
        self._scale = 1.0 if convention == "pauli" else 0.25

    def _zz(self, sigma, edges):
        e = torch.as_tensor(edges, device=sigma.device)
        if len(e) == 0:
            return torch.zeros(sigma.shape[0], dtype=sigma.dtype, device=sigma.device)
        return (sigma[:, e[:, 0]] * sigma[:, e[:, 1]]).sum(1)

    def diagonal(self, sigma):
        out = (self._scale * self.J * self.delta) * self._bond_zz(sigma)
        if len(self.edges2):
            out = out + (self._scale * self.J2 * self.delta) * self._zz(sigma, self.edges2)
        return out

    def _groups(self):
        groups = []
        for edges, coupling in ((self.edges, self.J), (self.edges2, self.J2)):
            if not len(edges) or coupling == 0:
                continue
            c = self._scale * coupling

            def exchange(sigma, edges=edges, c=c):
                et = torch.as_tensor(edges, device=sigma.device)
                # X X + Y Y = 2 (s+ s- + s- s+): 2 on an anti-aligned pair, 0 otherwise
                return c * (1.0 - sigma[:, et[:, 0]] * sigma[:, et[:, 1]])

            groups.append(_FlipGroup(edges, exchange, pattern=(1.0, -1.0)))
        return groups

    def is_stoquastic(self, marshall_sign=False):
        """Whether every off-diagonal element is <= 0 (after the Marshall sign rule)."""
        if self.J <= 0 and self.J2 <= 0:
            return True
        if self.J2 > 0:  # next-nearest bonds join one sublattice: Marshall leaves them > 0
            return bool(not marshall_sign and self.J <= 0)
        return bool(marshall_sign and self.bipartite)

    def _norm_bound(self):
        return self._scale * (2 + abs(self.delta)) * (abs(self.J) * len(self.edges)
                                                       + abs(self.J2) * len(self.edges2))


class TransverseFieldIsing(_LatticeOperator):
    r"""Ising model in a transverse field, spins-1/2 on a chain or a square lattice.

    ``H = -J sum_<ij> Z_i Z_j - h sum_i X_i`` with Pauli matrices (the default); with
    ``convention="spin"``, ``H = -J sum S^z_i S^z_j - h sum S^x_i``.

    Parameters
    ----------
    shape : int or tuple of two ints
        Number of sites of a chain, or ``(Lx, Ly)`` of a square lattice.
    h : float, default=1.0
        Transverse field (the chain's critical point is ``h = J``).
    J : float, default=1.0
        Ising coupling (``J > 0``: ferromagnet).
    pbc : bool, default=True
        Periodic boundaries; open otherwise.
    convention : {"pauli", "spin"}, default="pauli"
        Pauli matrices or spin-1/2 operators.

    Attributes
    ----------
    n_sites : int
        Number of spins.
    edges : ndarray of shape (n_bonds, 2)
        Nearest-neighbour bonds.

    See Also
    --------
    Heisenberg : the other model.
    exact_ground_state : exact diagonalisation.

    Examples
    --------
    >>> from skphys.quantum import TransverseFieldIsing, exact_ground_state
    >>> round(exact_ground_state(TransverseFieldIsing(10, h=1.0)).energy, 6)
    -12.784906
    """

    _repr_keys = ("shape", "h", "J", "pbc", "convention")

    def __init__(self, shape, *, h=1.0, J=1.0, pbc=True, convention="pauli"):
        super().__init__(shape, pbc)
        if convention not in ("pauli", "spin"):
            raise ValueError(f"convention must be 'pauli' or 'spin', got {convention!r}")
        self.h = float(h)
        self.J = float(J)
        self.convention = convention
        self._zz = 1.0 if convention == "pauli" else 0.25
        self._x = 1.0 if convention == "pauli" else 0.5

    def diagonal(self, sigma):
        return (-self.J * self._zz) * self._bond_zz(sigma)

    def _groups(self):
        c = -self.h * self._x
        if c == 0:
            return []

        def field(sigma):
            return torch.full((sigma.shape[0], self.n_sites), c, dtype=sigma.dtype,
                              device=sigma.device)

        return [_FlipGroup(np.arange(self.n_sites)[:, None], field, pattern=(1.0,))]

    def is_stoquastic(self, marshall_sign=False):
        """Whether every off-diagonal element is <= 0 (true for ``h >= 0``)."""
        return self.h >= 0

    def _norm_bound(self):
        return abs(self.J) * self._zz * len(self.edges) + abs(self.h) * self._x * self.n_sites


class PauliSum(_SpinOperator):
    """A sum of Pauli strings, for observables: ``sum_k c_k P_k``.

    Parameters
    ----------
    n_sites : int
        Number of spins.
    terms : list of (coefficient, str, sequence of int)
        Each term is a coefficient, a string of ``"X"``, ``"Y"``, ``"Z"`` and the sites they act
        on, e.g. ``(0.5, "ZZ", (0, 1))`` or ``(1.0, "X", (3,))``.

    Examples
    --------
    >>> from skphys.quantum import PauliSum
    >>> mz = PauliSum(4, [(0.25, "Z", (j,)) for j in range(4)])  # magnetisation per site
    >>> mz.diagonal([[1.0, 1.0, -1.0, 1.0]]).tolist()
    [0.5]
    """

    _repr_keys = ("n_sites", "terms")

    def __init__(self, n_sites, terms):
        self.n_sites = int(n_sites)
        self.terms = [(c, str(p).upper(), tuple(int(s) for s in sites)) for c, p, sites in terms]
        for c, p, sites in self.terms:
            if len(p) != len(sites) or set(p) - set("XYZI") or max(sites, default=0) >= n_sites:
                raise ValueError(f"bad Pauli term {(c, p, sites)}")
        self._dtype_complex = any(np.iscomplexobj(c) for c, _, _ in self.terms)
        self.conserves_sz = all(set(p) <= {"Z", "I"} for _, p, _ in self.terms)

    @staticmethod
    def _z_product(sigma, p, sites):
        out = torch.ones(sigma.shape[0], dtype=sigma.dtype, device=sigma.device)
        for op, s in zip(p, sites):
            if op == "Z":
                out = out * sigma[:, s]
        return out

    def diagonal(self, sigma):
        sigma = torch.as_tensor(sigma, dtype=torch.float64)
        out = torch.zeros(sigma.shape[0], dtype=torch.complex128 if self._dtype_complex
                          else torch.float64)
        for c, p, sites in self.terms:
            if set(p) <= {"Z", "I"}:
                out = out + c * self._z_product(sigma, p, sites)
        return out

    def _groups(self):
        groups = []
        for c, p, sites in self.terms:
            flips = [s for op, s in zip(p, sites) if op in "XY"]
            if not flips:
                continue

            def element(sigma, c=c, p=p, sites=sites):
                val = c * self._z_product(sigma, p, sites).to(torch.complex128)
                for op, s in zip(p, sites):
                    if op == "Y":  # <sigma|Y|-sigma> = -i sigma
                        val = val * (-1j * sigma[:, s])
                return val[:, None]

            groups.append(_FlipGroup([flips], element, pattern=(1.0,) if len(flips) == 1 else None))
        return groups

    def _norm_bound(self):
        return sum(abs(c) for c, _, _ in self.terms)


# --------------------------------------------------------------------------------------
# Measurement bases
# --------------------------------------------------------------------------------------
_S2 = 1.0 / np.sqrt(2.0)
#: single-site basis rotations ``U[outcome, state]``; index 0 is spin down / outcome -1,
#: index 1 spin up / outcome +1: ``<outcome_b | state_z>`` for b = X, Y, Z
BASIS_ROTATIONS = {
    "Z": np.eye(2, dtype=complex),
    "X": _S2 * np.array([[-1, 1], [1, 1]], dtype=complex),
    "Y": _S2 * np.array([[1j, 1], [-1j, 1]], dtype=complex),
}


def rotate_state(psi, basis):
    """Amplitudes of the full state vector ``psi`` (``2**N``) in the measurement ``basis``
    (a string of ``X``, ``Y``, ``Z``, one letter per site)."""
    N = len(basis)
    out = np.asarray(psi, dtype=complex).reshape((2,) * N)
    for j, b in enumerate(basis):
        if b != "Z":
            axis = N - 1 - j  # site j is bit j: axis N-1-j of the C-ordered tensor
            out = np.moveaxis(np.tensordot(BASIS_ROTATIONS[b], out, axes=([1], [axis])), 0, axis)
    return out.reshape(-1)


def fidelity(psi, phi):
    """``|<psi|phi>|^2 / (<psi|psi> <phi|phi>)`` of two state vectors on the same basis."""
    psi, phi = np.asarray(psi), np.asarray(phi)
    return float(abs(np.vdot(psi, phi)) ** 2 / (np.vdot(psi, psi).real * np.vdot(phi, phi).real))


# --------------------------------------------------------------------------------------
# Exact diagonalisation
# --------------------------------------------------------------------------------------
@dataclass
class ExactState:
    """An exact eigenstate: its energy, amplitudes and basis.

    Attributes
    ----------
    energy : float
        Eigenvalue.
    psi : ndarray of shape (D,)
        Normalised amplitudes on the basis ``codes``.
    codes : ndarray of shape (D,)
        Integer codes of the basis configurations (sorted; the full space or a sector).
    n_sites : int
        Number of spins.
    """

    energy: float
    psi: np.ndarray
    codes: np.ndarray
    n_sites: int

    @property
    def configurations(self):
        """The basis as configurations of ``+1``/``-1``, shape (D, n_sites)."""
        return codes_to_spins(self.codes, self.n_sites)

    def full(self):
        """The amplitudes on the full ``2**n_sites`` space (zero outside the sector)."""
        out = np.zeros(2**self.n_sites, dtype=self.psi.dtype)
        out[self.codes] = self.psi
        return out


def exact_ground_state(hamiltonian, *, n_up="auto", tol=1e-12):
    """Ground state of ``hamiltonian`` by sparse exact diagonalisation (Lanczos, ``eigsh``).

    Parameters
    ----------
    hamiltonian : Heisenberg, TransverseFieldIsing or PauliSum
        The operator.
    n_up : "auto", int or None, default="auto"
        Magnetisation sector. ``"auto"``: the S^z_total = 0 sector (``n_sites // 2`` spins up)
        when the operator conserves S^z_total, the full space otherwise; None forces the full
        space.
    tol : float, default=1e-12
        Lanczos tolerance.

    Returns
    -------
    state : ExactState
        Energy, normalised amplitudes (real, with a positive largest component) and basis.

    Examples
    --------
    >>> from skphys.quantum import Heisenberg, exact_ground_state
    >>> gs = exact_ground_state(Heisenberg(8, convention="spin"))
    >>> round(gs.energy, 6), gs.psi.shape
    (-3.651093, (70,))
    """
    n = hamiltonian.n_sites
    if isinstance(n_up, str):
        if n_up != "auto":
            raise ValueError(f"n_up must be 'auto', an int or None, got {n_up!r}")
        n_up = n // 2 if hamiltonian.conserves_sz else None
    H, codes = hamiltonian.to_sparse(n_up=n_up)
    if H.shape[0] <= 256:
        w, v = np.linalg.eigh(H.toarray())
        energy, psi = w[0], v[:, 0]
    else:
        rng = np.random.default_rng(0)
        v0 = rng.standard_normal(H.shape[0])
        if np.iscomplexobj(H.data):
            v0 = v0.astype(complex)
        w, v = eigsh(H, k=1, which="SA", tol=tol, v0=v0)
        energy, psi = w[0], v[:, 0]
    k = np.argmax(np.abs(psi))
    psi = psi * (np.abs(psi[k]) / psi[k])
    psi = psi / np.linalg.norm(psi)
    return ExactState(float(energy), psi, codes, n)


def n_states(n_sites, n_up=None):
    """Dimension of the full space or of a magnetisation sector."""
    return 2**n_sites if n_up is None else comb(n_sites, n_up)

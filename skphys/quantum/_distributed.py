"""Variational Monte Carlo over several processes: the reductions, on ``torch.distributed``.

When ``torch.distributed`` is initialised with more than one process (``torchrun
--nproc_per_node=K script.py`` and ``torch.distributed.init_process_group(...)`` in the
script: gloo on CPUs, NCCL on GPUs), :class:`RBMWavefunction` splits a ground-state fit over
the processes without any new parameter: each process runs ``n_samples / K`` samples (and
``n_chains / K`` Markov chains) from a random stream of its own, and the fit reduces over all
of them

* the energy's mean and variance (the iteration's record, hence the driver's divergence
  checks and stopping rules, are the same on every process),
* the mean of the log-derivatives ``O`` (the centring), the forces ``2 <O* E>_c`` and
  ``S = <O* O>_c`` (all-reduced sums),

then every process solves the same stochastic-reconfiguration system and takes the same
step: the parameters are identical on every process at every iteration (they start from one
seed). In one process every reduction is the identity and the fit runs its usual code.

Callbacks see the same records on every process, except the per-process ``dur``: one that
stops the fit from its own clock would stop one process and leave the others waiting.

The hooks in the fit (:mod:`skphys.quantum._vmc`, :mod:`skphys.quantum._rbm`) are
``GroundStateFit.reduce`` (this module's :func:`reduction`) and the ``reduce`` argument of
``natural_gradient``.
"""

import math

import torch

from . import _rbm

__all__ = ["LocalReduction", "ProcessGroupReduction", "reduction"]


class LocalReduction:
    """One process: sums over processes are the identity, the fit's own code runs."""

    world_size = 1
    rank = 0

    def n_local(self, n):
        return n

    def seed_chains(self):
        """Nothing to do: one process has one random stream."""

    def mean_var(self, E):
        """Mean, variance and count of the local energies (the one-process estimates)."""
        from ._vmc import mean_var

        mean, var = mean_var(E)
        return mean, var, len(E)


class ProcessGroupReduction:
    """Sums over the processes of a ``torch.distributed`` group (all-reduce)."""

    def __init__(self, group=None):
        import torch.distributed as dist

        self._dist = dist
        self.group = group
        self.world_size = dist.get_world_size(group)
        self.rank = dist.get_rank(group)
        self._nccl = dist.get_backend(group) == "nccl"

    def n_local(self, n):
        """This process's share of ``n`` (samples or chains): the shares add up to ``n``."""
        q, r = divmod(int(n), self.world_size)
        return max(1, q + (self.rank < r))

    def seed_chains(self):
        """Give this process's Markov chains a random stream of their own.

        The parameters were drawn before, from the fit's seed: the same on every process. The
        chains then draw from a stream seeded by one number drawn from that generator (the
        same on every process) and the process's rank.
        """
        base = int(torch.randint(0, 2**62, (), dtype=torch.int64))
        seed = int(torch.randint(0, 2**62, (), dtype=torch.int64,
                                 generator=torch.Generator().manual_seed(base + self.rank)))
        torch.random.default_generator.manual_seed(seed)
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.manual_seed(seed)

    def sum(self, x):
        """The sum of ``x`` over the processes (a new tensor; complex sums as real pairs)."""
        y = x.detach().clone()
        if self._nccl and y.device.type == "cpu":
            z = y.to(f"cuda:{torch.cuda.current_device()}")
            self._dist.all_reduce(torch.view_as_real(z) if z.is_complex() else z,
                                  group=self.group)
            return z.to(y.device)
        self._dist.all_reduce(torch.view_as_real(y) if y.is_complex() else y, group=self.group)
        return y

    def mean_var(self, E):
        """Mean, variance (unbiased) and count of the local energies of all processes."""
        e = (E.real if E.is_complex() else E).to(torch.float64)
        n_sum = self.sum(torch.stack([torch.tensor(float(len(e)), dtype=torch.float64,
                                                   device=e.device), e.sum()]))
        n, mean = float(n_sum[0]), float(n_sum[1] / n_sum[0])
        ss = float(self.sum(((e - mean) ** 2).sum().reshape(1))[0])
        return mean, (ss / (n - 1) if n > 1 else 0.0), int(n)


def reduction():
    """The reduction of a fit: over the process group when ``torch.distributed`` runs with
    more than one process, else the identity."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return ProcessGroupReduction()
    return LocalReduction()


def local_sums(params, sigma, th, t, E, frozen, rank, world_size, workspace):
    """This process's share of an iteration's one all-reduce: a flat buffer.

    Every figure is a sum over this process's samples, centred on this process's own means
    (so that single precision loses nothing to cancellation); the buffer has one row per
    process for the counts, energy means and means of ``O``, zero but in this process's row,
    so that the sum over the processes gathers them. :func:`from_sums` turns the sum into the
    figures of all the samples. Layout: ``[frozen, (n, E mean, E sum of squares) x K,
    mean O x K, forces, C]`` with ``K`` processes, ``P`` parameters, the forces
    ``sum_i O_i* (E_i - E_mean)`` and ``C = sum_i (O_i - O_mean)^H (O_i - O_mean)``
    (``P x P``). ``O``, centred on this process's mean, stays in ``workspace["O"]``.
    """
    cplx = params.dtype.is_complex
    # the energies as the forces take them: complex for complex parameters, else real
    ee = E if cplx else (E.real if E.is_complex() else E)
    e_mean = ee.mean()
    Ec = (ee - e_mean).to(params.dtype)
    e = Ec.real if cplx else Ec  # the real parts, centred, for the energy's variance
    b = e.shape[0]
    N, M = params.n_visible, params.n_hidden
    P = N + M + N * M
    s = _rbm._cast(sigma, params)
    tc = t.conj() if cplx else t
    forces = torch.cat([s.T @ Ec, tc.T @ Ec, ((tc * Ec[:, None]).T @ s).reshape(-1)])
    # the mean of O = (sigma, t, t x sigma) from its factors, in double precision
    mu = torch.cat([s.mean(0), t.mean(0), (t.T @ s).reshape(-1) / b])
    if sigma.device.type != "cpu":
        O = _rbm.log_derivatives(params, sigma, th)
    else:  # single precision on a CPU, as in one process
        low = torch.complex64 if cplx else torch.float32
        O = _rbm._buffer(workspace, "O", (b, P), low, sigma.device)
        O[:, :N] = sigma
        O[:, N : N + M] = t
        torch.mul(O[:, N : N + M, None], O[:, None, :N], out=O[:, N + M :].view(b, M, N))
    O.sub_(mu.to(O.dtype))
    workspace["O"] = O
    if O.device.type == "cpu":  # numpy's A^H A is a symmetric rank-k update: half the work
        A = O.numpy()
        C = torch.from_numpy((A.conj().T if cplx else A.T) @ A)
    else:
        C = (O.conj().T if cplx else O.T) @ O
    K = world_size
    # kept in the workspace: a fresh megabyte-sized buffer every iteration is page-faulted in
    buf = _rbm._buffer(workspace, "reduce", (1 + 3 * K + K * P + P + P * P,), params.dtype,
                       e.device).zero_()
    buf[0] = float(frozen)
    buf[1 + 3 * rank] = float(b)
    buf[2 + 3 * rank] = e_mean
    buf[3 + 3 * rank] = (e * e).sum()
    o = 1 + 3 * K
    buf[o + rank * P : o + (rank + 1) * P] = mu
    o += K * P
    buf[o : o + P] = forces
    buf[o + P :] = C.reshape(-1).to(buf.dtype)
    return buf


def from_sums(total, world_size, n_parameters):
    """The figures of all the samples from the sum over the processes of :func:`local_sums`.

    Returns ``frozen`` (any process's chains frozen), the count ``n``, the energy's mean and
    unbiased variance, the forces ``F = 2/n sum_i O_i* (E_i - <E>)`` and
    ``S = 1/n sum_i (O_i - <O>)^H (O_i - <O>)``, combined from the processes' own centred
    sums with the between-process terms (Chan, Golub & LeVeque's pairwise formulas):
    ``sum_r n_r (E_r - <E>) O_r*`` for the forces and ``sum_r n_r (O_r - <O>)^H (O_r - <O>)``
    for ``S``, where ``E_r`` and ``O_r`` are process ``r``'s means.
    """
    K, P = world_size, n_parameters
    frozen = bool(total[0].real > 0)
    rows = total[1 : 1 + 3 * K].reshape(K, 3)
    counts, e_means, squares = rows[:, 0].real, rows[:, 1], rows[:, 2].real
    n = float(counts.sum())
    e_mean = (counts * e_means).sum() / n  # complex for complex parameters
    d_e = e_means - e_mean
    mean = float(e_mean.real)
    var = (float((squares.sum() + (counts * d_e.real * d_e.real).sum()) / (n - 1))
           if n > 1 else 0.0)
    o = 1 + 3 * K
    mus = total[o : o + K * P].reshape(K, P)
    w = counts.to(mus.dtype)
    mu = (w[:, None] * mus).sum(0) / n
    o += K * P
    F = (total[o : o + P] + (w * d_e) @ mus.conj()) * (2.0 / n)
    D = mus - mu
    S = total[o + P :].reshape(P, P) + (D.conj().T * w) @ D
    S /= n
    return frozen, n, mean, var, F, S


def iteration(params, sigma, th, t, E, frozen, workspace, reduce):
    """An iteration's figures over all processes in one all-reduce (the one point per
    iteration where the processes wait for each other).

    Returns ``frozen, mean, variance, n``; the forces and ``S`` stay in ``workspace`` for
    :func:`natural_gradient`.
    """
    total = reduce.sum(local_sums(params, sigma, th, t, E, frozen, reduce.rank,
                                  reduce.world_size, workspace))
    P = params.n_visible + params.n_hidden + params.n_visible * params.n_hidden
    frozen, n, mean, var, F, S = from_sums(total, reduce.world_size, P)
    workspace["reduced"] = (F, S)
    return frozen, mean, var, int(n)


def natural_gradient(params, sigma, th, t, E, diag_shift, workspace, reduce):
    """``(S + diag_shift)^-1 F`` from the samples of all processes (every process gets it).

    The forces and ``S`` of all the samples were all-reduced by :func:`iteration` (one
    all-reduce for the whole iteration); every process factorises the same ``S`` and takes
    the same step. On a CPU, as in one process, the factorisation is in single precision and
    the solution refined once in double precision.
    """
    F, S = workspace.pop("reduced")
    workspace["S"] = S  # without the shift: the chains' lag reads it
    A = S.clone()
    A.diagonal().add_(diag_shift)
    if sigma.device.type != "cpu":
        L, info = torch.linalg.cholesky_ex(A)
        if int(info) != 0:
            return _rbm._least_squares(A, F)
        return torch.cholesky_solve(F[:, None], L)[:, 0]
    low = torch.complex64 if params.dtype.is_complex else torch.float32
    L, info = torch.linalg.cholesky_ex(A.to(low))
    if int(info) != 0:
        return _rbm._least_squares(A, F)
    x = torch.cholesky_solve(F[:, None].to(low), L).to(F.dtype)
    r = F[:, None] - A @ x
    return (x + torch.cholesky_solve(r.to(low), L).to(F.dtype))[:, 0]


def lag_sweeps(S, delta, step):
    """Extra sweeps after a step, the same on every process: ``-10 log(ESS / n)`` with the
    effective-sample-size fraction of a Gaussian change of ``log |psi|^2``,
    ``ESS / n = exp(-Var(2 step Re(O_c . delta)))``, and the variance from ``S``:
    ``4 step^2 delta^H S delta`` (an upper bound for complex parameters).

    One process reweights its own samples (:func:`skphys.quantum._vmc.lag_sweeps`); several
    would each get their own count from their own samples, and the processes would wait
    at the next all-reduce for the one that sweeps longest.
    """
    d = delta.to(S.dtype)
    var = 4.0 * step * step * float((d.conj() @ (S @ d)).real)
    return 0 if var < -math.log(0.9) else min(50, math.ceil(10.0 * var))

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


def natural_gradient(params, sigma, th, t, E, diag_shift, workspace, reduce):
    """``(S + diag_shift)^-1 F`` from the samples of all processes (every process gets it).

    The same quantities as :func:`skphys.quantum._rbm.natural_gradient`, each a sum over the
    processes: the sample count ``B``, the mean energy and mean log-derivative (centring),
    the forces ``2/B sum O_c* E_c`` and ``S = 1/B sum O_c^H O_c``. ``S`` (``P x P``) is
    all-reduced and factorised on every process: the same system, the same step.
    """
    cplx = params.dtype.is_complex
    e = E.real if (E.is_complex() and not cplx) else E
    # one all-reduce for the count and the energy sum, one for the forces and the mean O,
    # one for S: each is a point where the processes wait for each other
    be = reduce.sum(torch.cat([torch.tensor([float(sigma.shape[0])], dtype=e.dtype,
                                            device=e.device),
                               e.sum().reshape(1)]))
    B = int(be[0].real)
    Ec = (e - be[1] / B).to(params.dtype)
    # the forces from the factors of O = (sigma, t, t x sigma): the energies are centred
    # over all processes, so the local sums of O* E_c add up to the centred forces
    tc = t.conj() if cplx else t
    s = _rbm._cast(sigma, params)
    Fv = torch.cat([s.T @ Ec, tc.T @ Ec, ((tc * Ec[:, None]).T @ s).reshape(-1)])
    P = Fv.shape[0]
    if sigma.device.type != "cpu":
        Oc = _rbm.log_derivatives(params, sigma, th)
        both = reduce.sum(torch.cat([Fv, Oc.sum(0).to(Fv.dtype)]))
        Fv = both[:P] * (2.0 / B)
        Oc.sub_((both[P:] / B).to(Oc.dtype))
        workspace["O"] = Oc  # this process's centred samples (the chains' lag uses them)
        S = reduce.sum((Oc.conj().T if cplx else Oc.T) @ Oc) / B
        S.diagonal().add_(diag_shift)
        L, info = torch.linalg.cholesky_ex(S)
        if int(info) != 0:
            return torch.linalg.lstsq(S, Fv[:, None]).solution[:, 0]
        return torch.cholesky_solve(Fv[:, None], L)[:, 0]
    # on a CPU as in one process: O formed in single precision in the workspace, S formed
    # (a symmetric rank-k update) and factorised in single precision, summed over the
    # processes, and the solution refined once in double precision
    low = torch.complex64 if cplx else torch.float32
    N, M, b = params.n_visible, params.n_hidden, sigma.shape[0]
    O = _rbm._buffer(workspace, "O", (b, N + M + N * M), low, sigma.device)
    O[:, :N] = sigma
    O[:, N : N + M] = t
    torch.mul(O[:, N : N + M, None], O[:, None, :N], out=O[:, N + M :].view(b, M, N))
    both = reduce.sum(torch.cat([Fv, O.sum(0).to(Fv.dtype)]))
    Fv = both[:P] * (2.0 / B)
    O.sub_((both[P:] / B).to(O.dtype))
    A = O.numpy()
    S = reduce.sum(torch.from_numpy((A.conj().T if cplx else A.T) @ A))
    S.div_(B).diagonal().add_(diag_shift)
    L, info = torch.linalg.cholesky_ex(S)
    S = S.to(Fv.dtype)
    if int(info) != 0:
        return torch.linalg.lstsq(S, Fv[:, None]).solution[:, 0]
    x = torch.cholesky_solve(Fv[:, None].to(low), L).to(Fv.dtype)
    r = Fv[:, None] - S @ x
    return (x + torch.cholesky_solve(r.to(low), L).to(Fv.dtype))[:, 0]

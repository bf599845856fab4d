"""Quantum state tomography: the set-up and the step (epoch) the iteration driver runs.

The negative log-likelihood of measured configurations, ``-mean log |psi_b(sigma)|^2 / Z``,
is minimised with :class:`torch.optim.Adam`: exactly (``Z`` summed over the visible space, a
magnetisation sector, or the hidden layer; one full-batch step per epoch on the distinct
outcomes weighted by their counts), or by persistent contrastive divergence (mini-batches,
the normaliser's gradient from persistent Markov chains). The loop, history, progress,
callbacks, rollback and Ctrl-C handling belong to :class:`skphys.base.IterationDriver`.

``phase_model="local"`` (separate amplitude and local phases, :mod:`._phase`): the amplitude
is a real RBM fitted by the same steps, to the Z snapshots for the first ``WARM_FRACTION`` of
the epochs and to all snapshots afterwards with the phases written into the rotated
outcomes' coefficients; the phases are fitted between epochs with the amplitude fixed.
"""

import math

import numpy as np
import torch

from . import _rbm
from ._phase import LocalPhases
from ._state import (
    EXACT_FIT_LIMIT,
    RBMState,
    RotatedOutcomes,
    default_sampler,
    log_norm,
    norm_method,
)
from ._vmc import ANNEAL_FLOOR, ANNEAL_FRACTION

__all__ = ["TomographyFit"]

#: largest parameter count for which the natural gradient forms and factorises ``S``
#: (``"auto"``); conjugate gradients above it
NG_DENSE_LIMIT = 2000
#: largest distance (in the Fisher metric) one natural-gradient step moves |psi|^2
#: (without it the fit of the TFIM chain of 20 spins from 10^4 snapshots collapsed onto a few
#: configurations in development; ``bench_quantum.py --only w20`` fits that chain)
MAX_STEP = 0.1
#: ``init_std="auto"`` of the natural-gradient fit (persistent contrastive divergence, real
#: parameters). The W state needs weights that differ from site to site: an RBM whose weights
#: and biases are the same on every site has ``log psi`` convex in the magnetisation and puts
#: at most ~0.42 of its weight on the one-up sector (``tests/quantum/test_tomography.py``).
#: From 0.01 the fit of 50 spins stayed near that family (F 0.36 after 30 epochs); from 0.1 the
#: random start breaks the symmetry (F 0.95; ``bench_quantum.py --only w50``)
PCD_INIT_STD = 0.1
#: ``phase_model="local"``: the share of ``max_iter`` (epochs) that fits the amplitude to the
#: snapshots measured in Z alone, before the phases are searched and the amplitude and the
#: phases are fitted to all the snapshots
WARM_FRACTION = 0.2


class TomographyFit:
    """Maximum-likelihood fit of an RBM to snapshots ``sigma`` (measured in ``bases``).

    Construction resolves and checks the options (parameter dtype, sector, likelihood);
    :meth:`initial_state`, :meth:`step`, :meth:`snapshot`, :meth:`restore` are what
    :meth:`IterationDriver.run` takes.
    """

    mode = "tomography"
    divergence_hint = "Lower learning_rate."

    def __init__(self, estimator, sigma, bases, device):
        est = self.est = estimator
        N = self.n_sites = sigma.shape[1]
        self.device = device
        multi = bases is not None and any(set(b) - {"Z"} for b in np.unique(bases))
        complex_params = multi
        if est.param_dtype != "auto":
            complex_params = est.param_dtype == "complex"
        # separate amplitude (a real RBM) and local phases: see _phase
        self.local = est.phase_model == "local" and multi
        z_rows = (np.ones(len(sigma), bool) if bases is None
                  else np.array([set(b) == {"Z"} for b in bases]))
        if self.local:
            if est.param_dtype != "auto":
                raise ValueError(
                    f"phase_model='local' fits a real amplitude and local phases; "
                    f"param_dtype={est.param_dtype!r} sets the parameters of the joint complex "
                    "RBM (phase_model='joint'): leave it at 'auto'")
            if not z_rows.any():
                raise ValueError("phase_model='local' learns the amplitude first from the "
                                 "snapshots measured in Z on every site, and none was given")
            complex_params = False
            self.n_warm = max(1, round(WARM_FRACTION * est.max_iter))
            self.z_rows = z_rows
        self.dtype = torch.complex128 if complex_params else torch.float64
        self.n_hidden = max(1, math.ceil(est.alpha * N - 1e-9))
        self.n_up = None if est.n_up == "auto" else est.n_up
        if self.n_up is not None:
            if self.n_up > N:
                raise ValueError(f"n_up={self.n_up} is larger than the number of spins, {N}: "
                                 f"n_up must be in [0, {N}]")
            if multi:
                raise ValueError("n_up restricts the state to a magnetisation sector, which "
                                 "snapshots in rotated bases leave: use Z snapshots only")
            ups = (sigma > 0).sum(1).numpy()
            if np.any(ups != self.n_up):
                raise ValueError(f"n_up={self.n_up}, but {int(np.sum(ups != self.n_up))} of "
                                 f"{len(ups)} snapshots have another number of spins up")
        self.norm = norm_method(N, self.n_hidden, complex_params, n_up=self.n_up)
        method = est.likelihood
        if method == "auto":
            method = "exact" if self.norm is not None else "pcd"
        if method == "exact" and self.norm is None:
            raise ValueError(
                f"likelihood='exact' needs 2^N (or C(N, n_up)) or 3^M (real parameters) at "
                f"most {EXACT_FIT_LIMIT} terms; N={N}, M={self.n_hidden}: use "
                "likelihood='pcd'")
        self.likelihood = method
        self.sigma, self.bases = sigma, bases
        # snapshots measured in Z on every site: the data the hidden offsets average over
        self.sigma_z = sigma[torch.from_numpy(np.flatnonzero(z_rows))][:2000].to(device)
        # exact: Adam's step; pcd: the natural-gradient step for real parameters, Adam's
        # for complex ones (see _pcd_epoch)
        self.natural = method == "pcd" and not complex_params
        self.lr0 = 0.1 if self.natural else 0.05 if method == "exact" else 0.01
        self.unused = ["sampler", "n_chains", "marshall_sign", "symmetry", "sector",
                       "n_terms"]
        if method == "exact":
            self.unused += ["n_samples", "n_sweeps", "batch_size", "diag_shift", "solver"]
        elif not self.natural:
            self.unused += ["diag_shift", "solver"]
        else:
            if est.solver == "minsr":
                raise ValueError(
                    "solver='minsr' solves for gradients of the form O^H E (a ground state); "
                    "the likelihood's gradient has a data term: use solver='dense' or 'cg' "
                    "(or 'auto')")
            P = N + self.n_hidden + N * self.n_hidden
            self.solver = ("dense" if P <= NG_DENSE_LIMIT else "cg") if est.solver == "auto" \
                else est.solver

    # ---- the driver's protocol ---------------------------------------------------------
    def initial_state(self):
        est, device = self.est, self.device
        std = PCD_INIT_STD if est.init_std == "auto" and self.natural else est._init_std()
        params = _rbm.RBMParams.init(self.n_sites, self.n_hidden, std, self.dtype, device)
        state = RBMState(params, self.n_up)
        state.centering = Centering(params, self.sigma, self.bases)
        state.leaves = [p.requires_grad_() for p in params.tensors()]
        if self.likelihood == "exact" or not self.natural:
            # fused Adam (real parameters; torch's fused kernels take no complex tensors) steps
            # in ~60 us against ~110 us for the default on CPU: ~5% of an N=10 exact epoch
            fused = {"fused": True} if (not self.dtype.is_complex
                                        and device.type in ("cpu", "cuda")) else {}
            state.optimizer = torch.optim.Adam(state.leaves, lr=est._step_size(0, self.lr0),
                                               **fused)
        if self.likelihood == "exact":
            state.groups = group_by_basis(self.sigma, self.bases, device)
            state.space = (_rbm.Space(self.n_sites, self.n_up, device)
                           if self.norm == "visible" else None)
            state.n_total = sum(w.sum() for _, w in state.groups)
        else:
            state.data = SnapshotBatches(self.sigma, self.bases, device)
        if self.local:
            state.phase = torch.zeros(self.n_sites, dtype=torch.float64, device=device)
            if self.likelihood == "exact":
                state.groups_z = [g for g in state.groups if not g[0].rotated]
                state.n_z = sum(w.sum() for _, w in state.groups_z)
                state.phases = LocalPhases([ro for ro, _ in state.groups],
                                           [w for _, w in state.groups], self.n_sites)
            else:
                state.data_z = SnapshotBatches(
                    self.sigma[torch.from_numpy(np.flatnonzero(self.z_rows))], None, device)
                state.phases = LocalPhases(state.data.groups, None, self.n_sites)
        if self.likelihood == "pcd":
            n = len(self.sigma)
            bs = est.batch_size
            state.batch_size = min(n, 1000) if bs == "auto" else min(n, bs)
            # the chains read the parameters (shared storage, no autograd history)
            state.frozen = _rbm.RBMParams(*(p.detach() for p in state.leaves))
            state.chains = _rbm.Chains.random(state.frozen, est.n_samples, self.n_sites,
                                              self.n_up, device)
            state.sampler = default_sampler(self.n_up is not None, self.dtype.is_complex)
            self._advance(state, 20)
            state.workspace = {}
        return state

    def _advance(self, state, n_sweeps):
        """``n_sweeps`` sweeps of the sampler, each followed (outside a fixed sector) by a
        sweep of exchange moves between configurations of equal magnetisation."""
        for _ in range(n_sweeps):
            _rbm.advance(state.frozen, state.chains, 1, state.sampler)
            if self.n_up is None:
                _rbm.free_exchange(state.frozen, state.chains, self.n_sites)

    def step(self, it, state):
        default = self.lr0
        if self.likelihood == "pcd":  # the natural-gradient step anneals as VMC's does
            default = annealed(self.lr0, it, self.est.max_iter)
        lr = self.est._step_size(it, default)
        if self.likelihood == "exact" or not self.natural:
            for group in state.optimizer.param_groups:
                group["lr"] = lr
        if not self.local:
            if self.likelihood == "exact":
                return {"loss": self._exact_epoch(state)}
            return {"loss": self._pcd_epoch(state, lr)}
        # separate amplitude and phases: the amplitude from the Z snapshots for the first
        # n_warm epochs, then from all of them with the phases fixed; the phases (amplitude
        # fixed) searched globally after the warm-up and the last epoch, refined after the others
        warm = it < self.n_warm
        if self.likelihood == "exact":
            groups, n_total = ((state.groups_z, state.n_z) if warm
                               else (state.groups, state.n_total))
            loss = self._exact_epoch(state, groups, n_total)
        else:
            loss = self._pcd_epoch(state, lr, state.data_z if warm else state.data,
                                   len(state.data))
        if not warm or it == self.n_warm - 1:
            search = it == self.n_warm - 1 or it == self.est.max_iter - 1
            state.phase = state.phases.fit(state.params, state.phase, search=search)
            state.phases.apply(state.phase)
        return {"loss": loss}

    def public_params(self, state):
        """The parameters the estimator publishes: the phases ``c`` of the local phase model
        enter as the imaginary part of the visible biases."""
        if not self.local:
            return state.params
        p = state.params
        return _rbm.RBMParams(torch.complex(p.a, state.phase), p.b.to(torch.complex128),
                              p.W.to(torch.complex128))

    def _exact_epoch(self, state, groups=None, n_total=None):
        params = state.params
        groups = state.groups if groups is None else groups
        n_total = state.n_total if n_total is None else n_total
        with torch.enable_grad():
            nll = log_norm(params, self.norm, state.space)
            for outcomes, w in groups:
                nll = nll - (w * outcomes.log_prob(params)).sum() / n_total
            nll.backward()
        state.centering.step(state.optimizer, params, self.sigma_z)
        return float(nll)

    def _pcd_epoch(self, state, lr, data=None, epoch_size=None):
        """One pass over the snapshots in mini-batches, a natural-gradient step on each.

        The gradient of the negative log-likelihood is the data term (the mini-batch,
        in its bases) minus the model term (``2 Re <O>`` over the persistent chains,
        advanced ``n_sweeps`` sweeps before each step). The step is
        ``lr (S + diag_shift)^-1 g / 2`` with ``S = <O* O>_c`` over the chains: the Fisher
        information of ``|psi|^2`` (real parameters; the quantum geometric tensor for complex
        ones), the metric of stochastic reconfiguration. Plain gradients (Adam) stall on
        states whose likelihood is flat along most directions near the start (the W state
        sits at the product state of its marginals, whose fidelity with it is
        ``(1 - 1/N)^(N-1)``); the metric rescales those directions.
        """
        params, bs = state.params, state.batch_size
        data = state.data if data is None else data
        # epoch_size: as many snapshots as an epoch over all the data (the Z warm-up of the
        # local phase model cycles through its fewer snapshots)
        n = len(data) if epoch_size is None else epoch_size
        perm = torch.cat([torch.randperm(len(data)) for _ in range(-(-n // len(data)))])[:n]
        total = 0.0
        hunt = self.local and data.rotated
        for step, start in enumerate(range(0, n, bs)):
            idx = perm[start:start + bs]
            if hunt and step % HUNT_EVERY == 0:
                hunt_modes(state.frozen, state.chains)
            self._advance(state, self.est.n_sweeps)
            chains = state.chains
            grad, pos = self.gradient(state, idx, data)
            if not self.natural:
                state.centering.step(state.optimizer, params, data.z_batch(idx))
                total += float(-pos) * len(idx)
                continue
            for p in state.leaves:
                p.grad = None
            O = _rbm.log_derivatives(state.frozen, chains.sigma, chains.theta)
            Oc = O - O.mean(0)
            delta = _rbm.sr_solve(Oc, None, self.est.diag_shift, self.solver, Fv=0.5 * grad,
                                  x0=state.workspace.get("x0"))
            if self.solver == "cg":
                state.workspace["x0"] = delta
            # trust region: the step's length in the metric, ``lr |O_c delta|`` (the
            # Fubini-Study / Hellinger distance it moves |psi|^2, to first order), at most
            # MAX_STEP: a noisy metric (chains that lag a sharpening state) cannot throw the
            # state onto a few configurations
            dist = lr * float(torch.linalg.vector_norm(Oc @ delta.to(Oc.dtype)))
            dist /= math.sqrt(len(Oc))
            if self.local and data.rotated:
                # the rotated snapshots read amplitudes the chains may not visit (a pair
                # rotated in a state of fixed magnetisation: the pair's up-up and down-down
                # configurations), where the metric cannot see a step: the step's length is
                # also measured there (the rms change of log |psi| on the batch's
                # configurations, centred)
                conf = data.configurations(idx)
                Od = _rbm.log_derivatives(state.frozen, conf, _rbm.theta(state.frozen, conf))
                Od = Od - Od.mean(0)
                dist_d = lr * float(torch.linalg.vector_norm(Od @ delta.to(Od.dtype)))
                dist = max(dist, dist_d / math.sqrt(len(Od)))
            scale = min(1.0, MAX_STEP / dist) if dist > 0 else 1.0
            params.add_(-lr * scale * delta)
            total += float(-pos) * len(idx)
        return total / n

    def gradient(self, state, idx, data=None):
        """The sampled gradient of the negative log-likelihood of the snapshots at
        positions ``idx`` (left in the parameters' ``.grad``, and returned flat, ordered
        ``(a, b, W)``), and their mean unnormalised log-likelihood.

        The data term differentiates ``log |psi_b(sigma)|^2`` of each snapshot in its basis
        (``psi_b`` sums the ``2^k`` amplitudes of its ``k`` rotated sites); the normaliser's
        term is basis-independent, ``2 Re <O>`` over the persistent chains as they stand.
        For complex parameters the flat vector is ``dL/d Re p + i dL/d Im p``.
        """
        params = state.params
        for p in state.leaves:
            p.grad = None
        with torch.enable_grad():
            pos = (state.data if data is None else data).log_prob(params, idx)
            neg = 2.0 * _rbm.log_psi(params, state.chains.sigma).real.mean()
            (neg - pos).backward()
        return torch.cat([p.grad.reshape(-1) for p in state.leaves]), pos.detach()

    def snapshot(self, state):
        if self.local:
            return state.params.clone(), state.phase.clone()
        return state.params.clone()

    def restore(self, state, copy):
        if self.local:
            copy, state.phase = copy[0], copy[1].clone()
            state.phases.apply(state.phase)
        for target, value in zip(state.params.tensors(), copy.tensors()):
            target.copy_(value)

    def healthy(self, record):
        return True  # every figure finite is the whole test

    def finish(self, state):
        for p in state.leaves:
            p.requires_grad_(False)


class Centering:
    """Centred gradients (Montavon & Mueller 2012; Melchior, Fischer & Wiskott 2016).

    The likelihood is minimised in the parametrisation in which the hidden units see
    ``sigma - mu`` and the visible units ``h - lam``,
    ``log psi = a' . sigma + sum_i log cosh(b'_i + (W (sigma - mu))_i) - lam . W sigma``,
    with ``mu`` the data's mean spin (fixed) and ``lam`` the hidden units' mean activation
    ``tanh(theta)`` on the data (a running average). It is the same model (``a = a' - W^T
    lam``, ``b = b' - W mu``), but Adam's steps on ``(a', b', W)`` move ``W`` without
    dragging the biases along. In the plain parametrisation the weights' gradient is
    dominated by its component along the data's mean spin, and a state whose spins are
    anti-correlated (the W state: one spin up in every snapshot) sits for many epochs at
    the product state of its marginals before the weights grow; centring shortens that.
    The stored parameters stay the plain ``(a, b, W)`` throughout:
    a step is Adam's on the centred coordinates, mapped back.

    The visible biases also start at the data's marginals, ``a_j = artanh(mu_j) / 2``
    (``|psi|^2`` is then the product state with the measured magnetisations), for sites
    measured in ``Z``.
    """

    #: weight of the newest data batch in the running average of the hidden offsets
    rate = 0.1

    def __init__(self, params, sigma, bases):
        N = sigma.shape[1]
        dev, dt = params.a.device, torch.float64
        if bases is None:
            on_z = np.ones(sigma.shape, bool)
        else:
            on_z = np.array([[c == "Z" for c in b] for b in bases]).reshape(sigma.shape)
        count = on_z.sum(0)
        total = np.where(on_z, sigma.numpy(), 0.0).sum(0)
        mu = np.divide(total, count, out=np.zeros(N), where=count > 0)
        # a single snapshot (or an all-up site) would put the bias at infinity
        n = max(int(count.max()) if N else 1, 1)
        mu = np.clip(mu, -1.0 + 1.0 / n, 1.0 - 1.0 / n)
        self.mu = torch.as_tensor(mu, dtype=dt, device=dev)
        self.lam = torch.zeros(params.n_hidden, dtype=dt, device=dev)
        a0 = 0.5 * torch.atanh(self.mu)
        params.a.add_(a0.to(params.dtype) if params.dtype.is_complex else a0)

    def update_offsets(self, params, sigma):
        if len(sigma) == 0:
            return
        t = torch.tanh(_rbm.theta(params, sigma)).real.mean(0)
        self.lam.mul_(1.0 - self.rate).add_(self.rate * t)

    def step(self, optimizer, params, sigma):
        """Adam's step in centred coordinates on gradients already in ``params``' ``.grad``,
        the parameters written back in the plain ones, then the hidden offsets updated on
        ``sigma`` (data)."""
        a, b, W = params.tensors()
        mu = self.mu.to(W.dtype) if W.dtype.is_complex else self.mu
        lam = self.lam.to(W.dtype) if W.dtype.is_complex else self.lam
        # d/dW' = d/dW - lam (d/da)^T - (d/db) mu^T   (a = a' - W^T lam, b = b' - W mu)
        if W.grad is not None:
            if a.grad is not None:
                W.grad.sub_(torch.outer(lam, a.grad))
            if b.grad is not None:
                W.grad.sub_(torch.outer(b.grad, mu))
        W_old = W.detach().clone()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            dW = W - W_old
            a.sub_(dW.T @ lam)
            b.sub_(dW @ mu)
            self.update_offsets(params, sigma)


#: mode hunt: random starts, their share of the chains they may replace, and the margin (in
#: ``log |psi|^2``) by which a start's local maximum must beat every chain
HUNT_STARTS = 100
HUNT_SHARE = 0.05
HUNT_MARGIN = math.log(10.0)
#: mini-batch steps between two hunts (phase_model="local", all snapshots)
HUNT_EVERY = 10


def hunt_modes(params, chains):
    """Look for modes of ``|psi|^2`` the persistent chains do not visit, and move chains there.

    Persistent chains miss a mode that grows far from them (seen with the local phase model
    on the Heisenberg chain of 20 spins: the rotated snapshots' data term raised nearly
    polarised configurations, which chains in the S^z=0 region never reached, and the model
    put all its weight there within an epoch). From ``HUNT_STARTS`` random configurations,
    single spin flips that raise ``|psi|`` are taken greedily (the best flip each step) until
    none does; each local maximum whose ``log |psi|^2`` beats every chain's by more than
    ``HUNT_MARGIN`` replaces a chain (at most ``HUNT_SHARE`` of them, the chains with the
    lowest ``|psi|``). The chains go on from there as Markov chains; the normaliser's term
    of the gradient then sees the mode and pushes it down if the data do not support it.
    """
    sigma = chains.sigma
    N = sigma.shape[1]
    n = min(HUNT_STARTS, len(sigma))
    x = torch.randint(0, 2, (n, N), device=sigma.device).to(torch.float64) * 2.0 - 1.0
    cur = 2.0 * _rbm.log_psi(params, x).real
    flips = 1.0 - 2.0 * torch.eye(N, dtype=torch.float64, device=sigma.device)
    for _ in range(2 * N):
        cand = (x[:, None, :] * flips[None]).reshape(-1, N)
        lp = 2.0 * _rbm.log_psi(params, cand).real.reshape(n, N)
        best, j = lp.max(1)
        up = best > cur + 1e-12
        if not bool(up.any()):
            break
        x[up] = x[up] * flips[j[up]]
        cur = torch.where(up, best, cur)
    own = 2.0 * _rbm.log_psi(params, sigma).real
    keep = cur > own.max() + HUNT_MARGIN
    if not bool(keep.any()):
        return 0
    found = torch.unique(x[keep], dim=0)[: max(1, int(HUNT_SHARE * len(sigma)))]
    worst = torch.argsort(own)[: len(found)]
    chains.sigma[worst] = found
    chains.refresh(params)
    return len(found)


def annealed(base, it, n_iter):
    """``base``, then a cosine down to ``ANNEAL_FLOOR * base`` over the last
    ``ANNEAL_FRACTION`` of the ``n_iter`` epochs (the schedule of variational Monte Carlo's
    ``"auto"`` step): a constant natural-gradient step leaves the fit at a noise floor set by
    the chains, which the annealed end lowers."""
    start = (1.0 - ANNEAL_FRACTION) * n_iter
    if it < start or n_iter <= 1:
        return base
    x = min(1.0, (it - start) / max(n_iter - 1 - start, 1.0))
    return base * (ANNEAL_FLOOR + (1.0 - ANNEAL_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * x)))


class SnapshotBatches:
    """The snapshots, grouped by basis once (the rotated ones with their ``2^k``
    configurations tabulated), from which mini-batches of positions are scored."""

    def __init__(self, sigma, bases, device):
        n = len(sigma)
        sigma = sigma.to(device)
        if bases is None:
            bases = np.full(n, "Z" * sigma.shape[1])
        labels, group_of = np.unique(bases, return_inverse=True)
        z = [g for g, b in enumerate(labels) if set(b) == {"Z"}]
        self.z_group = z[0] if z else None
        self.n = n
        self.group_of = torch.as_tensor(group_of)
        self.position = torch.empty(n, dtype=torch.long)
        self.groups = []
        for g, b in enumerate(labels):
            rows = np.flatnonzero(group_of == g)
            self.position[torch.as_tensor(rows)] = torch.arange(len(rows))
            self.groups.append(RotatedOutcomes(b, sigma[torch.as_tensor(rows, device=device)]))

    def __len__(self):
        return self.n

    @property
    def rotated(self):
        return any(g.rotated for g in self.groups)

    def configurations(self, idx, limit=4000):
        """The configurations whose amplitudes the likelihood of the snapshots at ``idx``
        reads (a rotated snapshot's ``2^k``), at most ``limit`` of them (a random subset)."""
        gid, pos = self.group_of[idx], self.position[idx]
        out = []
        for g in torch.unique(gid).tolist():
            group, rows = self.groups[g], pos[gid == g]
            if not group.rotated:
                out.append(group.sigma[rows.to(group.sigma.device)])
                continue
            confs = group.confs.view(*group.shape, -1)[rows.to(group.confs.device)]
            out.append(confs.reshape(-1, confs.shape[-1]))
        conf = torch.cat(out)
        if len(conf) > limit:
            conf = conf[torch.randperm(len(conf))[:limit].to(conf.device)]
        return conf

    def z_batch(self, idx):
        """The snapshots at positions ``idx`` that were measured in Z on every site."""
        if self.z_group is None:
            return self.groups[0].sigma[:0]
        gid, pos = self.group_of[idx], self.position[idx]
        return self.groups[self.z_group].sigma[pos[gid == self.z_group]]

    def log_prob(self, params, idx):
        """Mean unnormalised ``log |psi_b(sigma)|^2`` of the snapshots at positions ``idx``."""
        if len(self.groups) == 1:
            return self.groups[0].log_prob(params, self.position[idx]).sum() / len(idx)
        gid, pos = self.group_of[idx], self.position[idx]
        total = 0.0
        for g in torch.unique(gid).tolist():
            total = total + self.groups[g].log_prob(params, pos[gid == g]).sum()
        return total / len(idx)


def group_by_basis(sigma, bases, device):
    """Unique (basis, configuration) pairs with their counts."""
    if bases is None:
        bases = np.full(len(sigma), "Z" * sigma.shape[1])
    groups = []
    spins = sigma.numpy().astype(np.int8)
    for b in np.unique(bases):
        uniq, counts = np.unique(spins[bases == b], axis=0, return_counts=True)
        groups.append((RotatedOutcomes(b, torch.as_tensor(uniq, dtype=torch.float64,
                                                          device=device)),
                       torch.as_tensor(counts, dtype=torch.float64, device=device)))
    return groups

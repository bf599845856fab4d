"""Ground states by variational Monte Carlo: the set-up and the step the iteration driver runs.

One iteration draws ``n_samples`` configurations from ``|psi|^2`` (persistent Markov chains,
or exact draws for small spaces), computes their local energies, and moves the parameters
along the stochastic-reconfiguration direction ``(S + diag_shift)^-1 F``. The loop itself,
its history, progress output, callbacks, divergence rollback and Ctrl-C handling belong to
:class:`skphys.base.IterationDriver`.
"""

import math

import torch

from . import _rbm
from ._operators import Heisenberg
from ._state import EXACT_LIMIT, RBMState, default_sampler

__all__ = ["GroundStateFit"]

#: the default learning rate of stochastic reconfiguration
DEFAULT_LR = 0.025


class GroundStateFit:
    """Variational Monte Carlo for ``estimator.hamiltonian``, as a step function.

    Construction resolves and checks the options (sampler, sector, Marshall sign, parameter
    dtype); :meth:`initial_state`, :meth:`step`, :meth:`snapshot`, :meth:`restore`,
    :meth:`healthy` are what :meth:`IterationDriver.run` takes; :meth:`measure` estimates the
    energy of the current parameters without disturbing the fit.
    """

    mode = "ground state"

    def __init__(self, estimator, device):
        est = self.est = estimator
        H = self.hamiltonian = est.hamiltonian
        N = self.n_sites = H.n_sites
        self.device = device
        if est.marshall_sign == "auto":
            marshall = isinstance(H, Heisenberg) and H.bipartite and H.J > 0
        else:
            marshall = bool(est.marshall_sign)
        if marshall and not hasattr(H, "sublattice"):
            raise ValueError(f"marshall_sign=True needs a lattice Hamiltonian with two "
                             f"sublattices (Heisenberg or TransverseFieldIsing), got "
                             f"{type(H).__name__}")
        self.marshall = marshall
        stoquastic = H.is_stoquastic(marshall) if hasattr(H, "is_stoquastic") else False
        complex_params = not stoquastic
        if est.param_dtype != "auto":
            complex_params = est.param_dtype == "complex"
        self.dtype = torch.complex128 if complex_params else torch.float64
        self.n_hidden = max(1, math.ceil(est.alpha * N - 1e-9))

        sampler, n_up = est.sampler, est.n_up
        if n_up is not None and n_up != "auto":
            if not H.conserves_sz:
                raise ValueError(f"n_up={n_up} needs a Hamiltonian that conserves S^z_total; "
                                 f"{type(H).__name__} does not: leave n_up='auto'")
            if n_up > N:
                raise ValueError(f"n_up={n_up} is larger than the number of spins, {N}: "
                                 f"n_up must be in [0, {N}]")
            if sampler in ("local", "gibbs"):
                raise ValueError(f"sampler={sampler!r} leaves the n_up sector: use 'exchange' "
                                 "or 'exact'")
        if sampler == "auto":
            in_sector = H.conserves_sz and N >= 2 and n_up is not None
            sampler = default_sampler(in_sector, complex_params)
        if sampler == "exchange" and not H.conserves_sz:
            raise ValueError("sampler='exchange' needs a Hamiltonian that conserves S^z_total")
        if sampler == "exchange" and n_up is None:
            raise ValueError("sampler='exchange' keeps each chain in its magnetisation sector: "
                             "choose one with n_up (or 'auto'), or use sampler='local'")
        if sampler == "gibbs" and complex_params:
            raise ValueError("sampler='gibbs' needs real parameters (param_dtype='real', or "
                             "'auto' with a stoquastic Hamiltonian)")
        self.sampler = sampler
        if H.conserves_sz and sampler in ("exchange", "exact") and n_up is not None:
            self.n_up = N // 2 if n_up == "auto" else int(n_up)
        else:
            self.n_up = None
        if sampler == "exact":
            size = math.comb(N, self.n_up) if self.n_up is not None else 2**N
            if size > EXACT_LIMIT:
                raise ValueError(f"sampler='exact' needs a space of at most {EXACT_LIMIT} "
                                 f"states, this one has {size}: use another sampler")
        self.sublattice_a = H.sublattice == 0 if marshall else None
        n_params = N + self.n_hidden + N * self.n_hidden
        self.solver = _rbm.choose_solver(est.n_samples, n_params, est.solver)
        self.bound = H.norm_bound()
        unused = ["likelihood", "batch_size"]
        if sampler == "exact":
            unused += ["n_chains", "n_sweeps"]
        self.unused = unused

    # ---- the driver's protocol ---------------------------------------------------------
    def initial_state(self):
        est = self.est
        params = _rbm.RBMParams.init(self.n_sites, self.n_hidden, est.init_std, self.dtype,
                                     self.device)
        state = RBMState(params, self.n_up, self.sublattice_a)
        state.draw = self._make_drawer(params)
        state.workspace = {}
        state.extra = 0  # extra sweeps the chains need after the last step
        return state

    def step(self, it, state):
        est = self.est
        lr = est._step_size(it, DEFAULT_LR)
        params = state.params
        sigma, th, t = state.draw(params, state.extra)
        E = state.local_energy(self.hamiltonian, sigma, th, t, state.workspace)
        mean, var = mean_var(E)
        record = {"loss": mean, "energy_error": math.sqrt(max(var, 0.0) / len(E)),
                  "energy_variance": var}
        if not self.healthy(record):
            return record  # the driver rolls back to the last healthy state
        delta = _rbm.natural_gradient(params, sigma, th, t, E, est.diag_shift,
                                      state.workspace, solver=self.solver)
        if not bool(torch.isfinite(delta).all()):
            record["sr_step"] = math.nan  # not applied: the driver rolls back
            return record
        params.add_(-lr * delta)
        state.extra = lag_sweeps(state.workspace["O"], delta, lr)
        return record

    def snapshot(self, state):
        return state.params.clone()

    def restore(self, state, copy):
        for target, value in zip(state.params.tensors(), copy.tensors()):
            target.copy_(value)

    def healthy(self, record):
        """The energy estimate is inside the Hamiltonian's norm bound, its variance too."""
        mean, var, bound = record["loss"], record["energy_variance"], self.bound
        return (math.isfinite(mean) and math.isfinite(var) and abs(mean) <= 1.5 * bound + 1e-9
                and var <= 100.0 * bound**2 + 1e-9)

    divergence_hint = ("Lower learning_rate, raise diag_shift or n_samples, or use real "
                       "parameters with the Marshall sign.")

    def measure(self, state):
        """Energy mean, variance and sample count of the current parameters.

        Drawn from copies of the chains under a forked random generator, so that measuring
        (at the end of a fit, or when a callback publishes the state) leaves the fit's own
        trajectory exactly as it would be without the measurement.
        """
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices, device_type="cuda"):
            sigma, th, t = state.draw(state.params, state.extra, persistent=False)
            E = state.local_energy(self.hamiltonian, sigma, th, t)
        mean, var = mean_var(E)
        return mean, var, len(E)

    # ---- sampling ------------------------------------------------------------------------
    def _make_drawer(self, params):
        """``draw(params, extra=0, persistent=True) -> (sigma, theta, tanh theta)``: the
        ``n_samples`` samples of one iteration (``persistent=False``: from copies of the
        chains, which stay where they are)."""
        est, N, device = self.est, self.n_sites, self.device
        n_samples = est.n_samples
        if self.sampler == "exact":
            space = _rbm.Space(N, self.n_up, device)

            def draw(p, extra=0, persistent=True):
                logp = 2.0 * _rbm.chunked_log_psi(p, space.sigma).real
                idx = torch.multinomial(torch.softmax(logp, 0), n_samples, replacement=True)
                sigma = space.sigma[idx]
                th = _rbm.theta(p, sigma)
                return sigma, th, torch.tanh(th)

            return draw
        n_chains = n_samples if est.n_chains is None else est.n_chains
        per_chain = math.ceil(n_samples / n_chains)
        chains = _rbm.Chains.random(params, n_chains, N, self.n_up, device)
        sampler, n_sweeps = self.sampler, est.n_sweeps
        _rbm.advance(params, chains, 20, sampler)  # burn-in

        def draw(p, extra=0, persistent=True):
            ch = chains if persistent else _rbm.Chains(p, chains.sigma.clone())
            out = []
            for _ in range(per_chain):
                _rbm.advance(p, ch, n_sweeps + extra, sampler)
                out.append((ch.sigma, ch.theta, ch.t))
            if per_chain == 1:
                return out[0]
            return tuple(torch.cat(z)[:n_samples] for z in zip(*out))

        return draw


def mean_var(E):
    """Mean and variance of the real part of local energies (floats)."""
    e = E.real if E.is_complex() else E
    return float(e.mean()), float(e.var()) if len(e) > 1 else 0.0


def lag_sweeps(Oc, delta, step):
    """Extra sweeps the persistent chains need after a step of the parameters.

    The step changes ``log |psi|`` of each current sample by ``-step Re(O_c . delta)``; the
    effective sample size of the old samples reweighted to the new ``|psi|^2``,
    ``ESS = (sum w)^2 / sum w^2`` with ``w = |psi_new / psi_old|^2``, says how far the
    distribution moved. A large step (small ESS) leaves the chains behind, sitting where the
    new ``psi`` is small, which biases the next gradient: they get ``-10 log(ESS / B)`` extra
    sweeps (up to 50) before the next draw.
    """
    d = -step * (Oc @ delta.to(Oc.dtype))
    d = 2.0 * (d.real if d.is_complex() else d).to(torch.float64)
    w = torch.exp(d - d.max())
    frac = float(w.sum() ** 2 / (w * w).sum()) / len(w)
    return 0 if frac > 0.9 else min(50, math.ceil(-10.0 * math.log(max(frac, 1e-12))))

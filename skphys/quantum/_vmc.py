"""Ground states by variational Monte Carlo: the set-up and the step the iteration driver runs.

One iteration draws ``n_samples`` configurations from ``|psi|^2`` (persistent Markov chains,
or exact draws for small spaces), computes their local energies, and moves the parameters
along the stochastic-reconfiguration direction ``(S + diag_shift)^-1 F``. The loop itself,
its history, progress output, callbacks, divergence rollback and Ctrl-C handling belong to
:class:`skphys.base.IterationDriver`.
"""

import math

import numpy as np
import torch

from . import _distributed, _rbm, _symmetric
from ._distributed import reduction
from ._operators import Heisenberg
from ._state import EXACT_LIMIT, RBMState, default_sampler

__all__ = ["GroundStateFit"]

#: the default learning rate of stochastic reconfiguration
DEFAULT_LR = 0.025
#: the "auto" step anneals over this last fraction of ``max_iter``, down to ANNEAL_FLOOR of it
ANNEAL_FRACTION = 0.4
ANNEAL_FLOOR = 0.05
#: how many collapses (frozen chains) a fit recovers from before it gives up
MAX_RECOVERIES = 10
#: a projected start whose first samples share one local energy this often is a trap
TRAP_SHARE = 0.95
#: largest Fubini-Study distance of one step of a symmetric or projected wave function
MAX_STEP = 0.1


class GroundStateFit:
    """Variational Monte Carlo for ``estimator.hamiltonian``, as a step function.

    Construction resolves and checks the options (sampler, sector, Marshall sign, parameter
    dtype); :meth:`initial_state`, :meth:`step`, :meth:`snapshot`, :meth:`restore`,
    :meth:`healthy` are what :meth:`IterationDriver.run` takes; :meth:`measure` estimates the
    energy of the current parameters without disturbing the fit.
    """

    mode = "ground state"

    def __init__(self, estimator, device, orthogonal_to=None):
        est = self.est = estimator
        # excited states: (fitted state, penalty) pairs the fit is kept orthogonal to
        # (skphys.quantum._excited.ExcitedStates)
        self.orthogonal_to = list(orthogonal_to or [])
        if self.orthogonal_to and reduction().world_size > 1:
            raise ValueError("excited states (orthogonal_to) do not run over several "
                             "processes yet: fit them in one process")
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
        self.bound = H.norm_bound()
        self._setup_symmetry(est, H, complex_params)
        unused = ["likelihood", "batch_size", "phase_model"]
        if sampler == "exact":
            unused += ["n_chains", "n_sweeps"]
        self.unused = unused
        # the sums over samples: over every process when torch.distributed runs several
        # (skphys.quantum._distributed), the identity otherwise
        self.reduce = reduction()

    # ---- the driver's protocol ---------------------------------------------------------
    def _setup_symmetry(self, est, H, complex_params):
        """The weight-sharing group (``symmetry``), the sector projection (``sector``) and the
        sum of RBMs (``n_terms``)."""
        self.group = self.projection = self.projection_group = self.characters = None
        self.n_filters = None
        self.n_visible = self.n_sites
        self._setup_sector(est, H, complex_params)
        self._setup_terms(est)
        if self.projection is not None and self.sampler == "gibbs":
            if est.sampler != "auto":
                what = ("a sum of them (n_terms > 1)" if est.n_terms > 1
                        else "its projection onto a sector")
                raise ValueError(f"sampler='gibbs' samples one RBM, not {what}: use 'local', "
                                 "'exchange' or 'exact'")
            self.sampler = "local"

    def _setup_terms(self, est):
        """The sum of ``n_terms`` RBMs: a projection over the terms' images (of the sector's
        projection group, when there is one)."""
        K = est.n_terms
        if K == 1:
            return
        if self.group is not None:
            raise ValueError(f"n_terms={K} sums plain RBMs; symmetry={est.symmetry!r} shares "
                             "the weights of one: use one of them (sector= combines with "
                             "n_terms)")
        if reduction().world_size > 1:
            raise ValueError("n_terms > 1 does not run over several processes yet: fit it in "
                             "one process")
        terms = _symmetric.TermSum(K, self.n_sites, self.projection_group)
        self.projection = _symmetric.Projection(terms, terms.characters(self.characters))
        self.n_visible = terms.n_visible

    def _setup_sector(self, est, H, complex_params):
        sym, sector = est.symmetry, est.sector
        if sym is None and sector is None:
            return
        if reduction().world_size > 1:
            raise ValueError("symmetry= and sector= do not run over several processes yet: "
                             "fit them in one process")
        shape = getattr(H, "_shape", None)
        if shape is None or not H.pbc:
            raise ValueError(f"symmetry= and sector= need a periodic lattice Hamiltonian "
                             f"(Heisenberg or TransverseFieldIsing with pbc=True), got {H!r}")
        if sym is not None:
            self.group = _symmetric.SymmetryGroup(
                shape, translations=True, point_group=sym.startswith("lattice"),
                spin_flip=sym.endswith("spin_flip"))
            self.n_filters = _symmetric.n_filters(est.alpha, self.n_sites, len(self.group))
            self.n_hidden = self.n_filters * len(self.group)
        if sector is None:
            return
        momentum, parity = _check_sector(sector, shape)
        if sym is not None:  # the shared weights already fix the trivial labels
            if momentum is not None and not np.any(np.asarray(momentum) % np.array(shape)):
                momentum = None
            elif momentum is not None and self._marshall_carries(shape, momentum):
                # the Marshall sign alone gives the physical state this momentum: the
                # sign-free amplitude is translation-invariant (e.g. k = pi on a ring of
                # L = 4m + 2 at S^z = 0, or of L = 4m at S^z = 1), as the shared weights make it
                momentum = None
            elif momentum is not None:
                raise ValueError(f"sector momentum {sector['momentum']} is not 0, but "
                                 f"symmetry={sym!r} makes the amplitude translation-invariant"
                                 " (momentum 0): use symmetry=None to project onto it")
            if parity is not None and sym.endswith("spin_flip"):
                if parity == 1:
                    parity = None
                else:
                    raise ValueError(f"sector spin_flip=-1, but symmetry={sym!r} makes the "
                                     "amplitude even under the spin flip")
        if momentum is None and parity is None:
            return
        group = _symmetric.SymmetryGroup(shape, translations=momentum is not None,
                                         spin_flip=parity is not None)
        chi = group.characters(momentum, parity)
        if parity is not None and H.conserves_sz and self.n_up is not None \
                and 2 * self.n_up != self.n_sites:
            raise ValueError("a spin-flip sector needs the S^z_total = 0 sector (n_up = N / 2)"
                             f", got n_up={self.n_up} of {self.n_sites}")
        if self.sublattice_a is not None:
            if self.n_up is None:
                raise ValueError("a sector with the Marshall sign needs a magnetisation sector "
                                 "(n_up)")
            chi = chi * group.marshall_factors(self.sublattice_a, self.n_up)
        if np.abs(chi.imag).max() > 1e-12 and not complex_params and \
                self.est.param_dtype == "real":
            raise ValueError(f"sector {sector} has complex characters: it needs complex "
                             "parameters (param_dtype='complex' or 'auto')")
        if np.abs(chi.imag).max() > 1e-12:
            self.dtype = torch.complex128
        self.projection = _symmetric.Projection(group, chi)
        self.characters = chi
        self.projection_group = group

    def _marshall_carries(self, shape, momentum):
        """Whether the Marshall factors of the translations are the sector's characters,
        ``chi(T_r) M(T_r sigma) / M(sigma) = 1`` for every ``r``."""
        if self.sublattice_a is None or self.n_up is None:
            return False
        group = _symmetric.SymmetryGroup(shape, translations=True)
        try:
            chi = group.characters(momentum) * group.marshall_factors(self.sublattice_a,
                                                                      self.n_up)
        except ValueError:  # a translation mixes the sublattices (odd L)
            return False
        return bool(np.allclose(chi, 1.0))

    def n_parameters(self, state):
        p = state.sym if state.sym is not None else state.params
        return p.n_parameters()

    def _initial_parameters(self):
        """Random initial parameters ``(params, sym)`` (``sym``: the shared parameters of a
        symmetric RBM, whose ``full`` are ``params``; None otherwise)."""
        est = self.est
        sym = None
        if self.group is not None:
            # no visible bias under the spin flip, nor where S^z_total is fixed (it is a constant)
            visible = not (self.group.flips.any() or self.n_up is not None)
            sym = _symmetric.SymmetricRBMParams.init(self.group, self.n_filters,
                                                     est._init_std(True, self.n_sites
                                                                   / len(self.group)),
                                                     self.dtype,
                                                     self.device, visible)
            params = sym.full
        else:
            # a projection's amplitude is a signed sum over its group: a near-uniform start
            # nearly cancels, so it starts as spread as a symmetric RBM under translations
            std = est._init_std(self.characters is not None)
            params = _rbm.RBMParams.init(self.n_visible, self.n_hidden, std, self.dtype,
                                         self.device)
        return params, sym

    def initial_state(self):
        est = self.est
        params, sym = self._initial_parameters()
        if self.projection is not None:
            state = _symmetric.ProjectedState(params, self.projection, self.n_up,
                                              self.sublattice_a, sym)
        else:
            state = RBMState(params, self.n_up, self.sublattice_a)
        state.sym = sym
        # the SR solver for this model's parameter count (several processes: the dense S,
        # all-reduced, see skphys.quantum._distributed)
        self.solver = ("dense" if self.reduce.world_size > 1 else
                       _rbm.choose_solver(est.n_samples, self.n_parameters(state), est.solver))
        state.draw = self._make_drawer(params, state)
        state.workspace = {}
        state.extra = 0  # extra sweeps the chains need after the last step
        state.lr_scale = 1.0  # shrunk when a step collapses the state
        if self.orthogonal_to:
            from ._excited import OrthogonalityPenalty

            state.penalties = [OrthogonalityPenalty(ref, weight, est.n_samples)
                               for ref, weight in self.orthogonal_to]
        return state

    def step(self, it, state):
        est = self.est
        lr = est._step_size(it, auto_step(it, est.max_iter)) * state.lr_scale
        params = state.params
        sigma, th, t = state.draw(params, state.extra)
        if self.projection is not None and getattr(state, "previous", None) is None:
            sigma, th, t = self._informative_start(state, sigma, th, t)
        recovered = 0
        while True:
            frozen = self._frozen(sigma)
            if self.reduce.world_size > 1:
                # several processes: the energies, forces and S of all their samples in one
                # all-reduce, so that every process decides the same (and waits once)
                E = state.local_energy(self.hamiltonian, sigma, th, t, state.workspace)
                frozen, mean, var, n = _distributed.iteration(params, sigma, th, t, E, frozen,
                                                              state.workspace, self.reduce)
            elif not frozen:
                E = state.local_energy(self.hamiltonian, sigma, th, t, state.workspace)
                mean, var, n = self.reduce.mean_var(E)
            if not frozen:
                record = {"loss": mean, "energy_error": math.sqrt(max(var, 0.0) / n),
                          "energy_variance": var}
                if self.healthy(record) and not self._below_spectrum(record):
                    break
            # the last step collapsed the state: |psi|^2 on a few configurations (every chain
            # stuck in them), or an energy outside the Hamiltonian's bounds (chains left
            # where the new psi is small). Step back, halve the step, re-seed the chains.
            n_rec = getattr(state, "recoveries", 0)
            if getattr(state, "previous", None) is None or n_rec >= MAX_RECOVERIES:
                if frozen:
                    raise ValueError(
                        f"the Markov chains froze at iteration {it + 1}: the {len(sigma)} "
                        f"samples hold {n_distinct(sigma)} distinct configurations "
                        f"({n_rec} recoveries so far). Lower learning_rate or raise "
                        "diag_shift.")
                if self._below_spectrum(record):
                    record["below_spectrum"] = math.nan  # a figure the driver rejects
                return record  # the driver rolls back to the last healthy state and raises
            state.recoveries = n_rec + 1
            self.restore(state, state.previous)  # (kept: a second collapse steps back again)
            # this iteration now starts from the previous state: so does the driver's copy of
            # its start, which it rolls back to if the iteration ends unhealthy anyway
            if getattr(state, "start_copy", None) is not None:
                _copy_params(state.start_copy, state.previous)
            state.lr_scale *= 0.5
            lr *= 0.5
            state.reseed()
            state.extra = 0
            recovered += 1
            sigma, th, t = state.draw(params, 0)
        if recovered:
            record["recovered"] = recovered
        if self.orthogonal_to:
            # the overlap penalty's gradient is the energy's with shifted local energies
            lp = state.log_psi(sigma)
            E = E.to(torch.complex128)
            total = 0.0
            for k, pen in enumerate(state.penalties):
                shift, overlap = pen.shift(state, sigma, lp)
                E = E + shift.to(E.device)
                record[f"overlap_{k}"] = overlap
                total += pen.weight * overlap
            record["penalty"] = total
        if state.sym is None and self.projection is None:
            delta = _rbm.natural_gradient(params, sigma, th, t, E, est.diag_shift,
                                          state.workspace, solver=self.solver,
                                          reduce=self.reduce)
            Oc = state.workspace["O"]
        else:
            if self.projection is not None:
                O = self.projection.log_derivatives(params, sigma, state.sym)
            else:
                O = state.sym.log_derivatives(sigma, t)
            delta = _rbm.sr_update(O, E, est.diag_shift, solver=self.solver)
            Oc = O - O.mean(0)
            # a trust region for the shared parameters: the step moves the state by at most
            # MAX_STEP in Fubini-Study distance, lr^2 <|O_c . delta|^2> (the first steps from
            # a near-uniform state are otherwise large, and collapse it onto stripes)
            d = Oc @ delta.to(Oc.dtype)
            dist = lr * math.sqrt(float((d.real**2 + d.imag**2).mean() if d.is_complex()
                                        else (d * d).mean()))
            record["step_distance"] = dist
            if dist > MAX_STEP:
                delta = delta * (MAX_STEP / dist)
        if not bool(torch.isfinite(delta).all()):
            record["sr_step"] = math.nan  # not applied: the driver rolls back
            return record
        state.previous = (state.sym if state.sym is not None else params).clone()
        state.lr_scale = min(1.0, state.lr_scale * 1.05)  # a shrunk step grows back
        if state.sym is not None:
            state.sym.add_(-lr * delta)
        else:
            params.add_(-lr * delta)
        if self.projection is not None and self.sampler != "exact":
            state.chains.refresh()
        if self.reduce.world_size > 1:  # the same count on every process, from S
            state.extra = _distributed.lag_sweeps(state.workspace["S"], delta, lr)
        else:
            state.extra = lag_sweeps(Oc, delta, lr)
        return record

    def _informative_start(self, state, sigma, th, t):
        """Draw new initial parameters while 95% or more of the first samples of a projected
        state have the same local energy.

        A projection's amplitude is a signed sum over the group, and a random start cancels
        in it to several orders (at fixed magnetisation the first order of every translation-
        invariant sum vanishes), so that now and then ``|psi|^2`` starts on the orbits of an
        excited eigenstate, up to amplitudes too small to be drawn. Every sample then has the
        same local energy, the estimated forces are exactly zero, and the fit would never
        move (2 starts in 64 on the Heisenberg ring of 8 at ``k=0``, spin flip ``-1``, stayed
        at the sector's ``E=0`` level). A random start with zero energy variance is such a
        trap (the sector's lowest state is never drawn at random), and so is one whose
        samples hold the other levels only now and then (299 of 300 samples at ``E_loc = 0``:
        the fit took 80 iterations to leave it): draw another when ``TRAP_SHARE`` of the
        samples share one local energy (to ``1e-6`` of the norm bound).
        """
        tol = 1e-6 * self.bound
        for _ in range(MAX_RECOVERIES):
            E = state.local_energy(self.hamiltonian, sigma, th, t, state.workspace)
            key = torch.round(torch.view_as_real(E.to(torch.complex128)) / tol)
            _, counts = torch.unique(key, dim=0, return_counts=True)
            if int(counts.max()) < TRAP_SHARE * len(E):
                break
            params, sym = self._initial_parameters()
            fresh = sym if sym is not None else params
            self.restore(state, fresh)
            if getattr(state, "start_copy", None) is not None:
                _copy_params(state.start_copy, fresh)
            state.reseed()
            sigma, th, t = state.draw(state.params, 0)
        return sigma, th, t

    def _below_spectrum(self, record):
        """An energy estimate below ``-norm_bound`` by more than three standard errors: no
        state has it, so the samples do not follow ``|psi|^2`` (chains left behind by a
        step)."""
        return record["loss"] < -self.bound - 3.0 * record["energy_error"] - 1e-9

    def _frozen(self, sigma):
        """Every Markov chain stuck in a handful of configurations: at most ``max(2, 1%)``
        distinct ones among the samples (exact draws and diagonal Hamiltonians excepted)."""
        if self.sampler == "exact" or not self.hamiltonian.flip_groups:
            return False
        return n_distinct(sigma) <= max(2, len(sigma) // 100)

    def snapshot(self, state):
        copy = (state.sym if state.sym is not None else state.params).clone()
        state.start_copy = copy  # the driver's copy of this iteration's start
        return copy

    def restore(self, state, copy):
        if state.sym is not None:
            state.sym.copy_(copy)
            return
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
        return self.reduce.mean_var(E)

    # ---- sampling ------------------------------------------------------------------------
    def _make_drawer(self, params, state):
        """``draw(params, extra=0, persistent=True) -> (sigma, theta, tanh theta)``: the
        ``n_samples`` samples of one iteration (``persistent=False``: from copies of the
        chains, which stay where they are). Sets ``state.reseed()``: fresh random chains."""
        est, N, device = self.est, self.n_sites, self.device
        # with several processes: this one's share of the samples, from a stream of its own
        n_samples = self.reduce.n_local(est.n_samples)
        self.reduce.seed_chains()
        state.reseed = lambda: None
        if self.sampler == "exact":
            space = _rbm.Space(N, self.n_up, device)
            # an excited level (orthogonal_to): systematic resampling, whose counts follow
            # n |psi|^2 up to rounding; its energy and overlap penalty are resolved to ~1e-4
            # of E, below the scatter of independent draws (see ExcitedStates, Notes)
            systematic = bool(self.orthogonal_to)

            def draw(p, extra=0, persistent=True):
                if self.projection is not None:
                    logp = 2.0 * self.projection.log_psi(p, space.sigma).real
                else:
                    logp = 2.0 * _rbm.chunked_log_psi(p, space.sigma).real
                probs = torch.softmax(logp, 0)
                if systematic:
                    idx = _rbm.exact_draw(probs, n_samples)
                else:
                    idx = torch.multinomial(probs, n_samples, replacement=True)
                sigma = space.sigma[idx]
                if self.projection is not None:  # its amplitudes are its own (no theta)
                    return sigma, None, None
                th = _rbm.theta(p, sigma)
                return sigma, th, torch.tanh(th)

            return draw
        n_chains = n_samples if est.n_chains is None else self.reduce.n_local(est.n_chains)
        per_chain = math.ceil(n_samples / n_chains)
        sampler, n_sweeps = self.sampler, est.n_sweeps
        if self.projection is not None:
            return self._projected_drawer(state, n_chains, per_chain, n_samples, n_sweeps)
        box = {}

        def reseed():
            box["chains"] = _rbm.Chains.random(params, n_chains, N, self.n_up, device)
            _rbm.advance(params, box["chains"], 20, sampler)  # burn-in

        reseed()
        state.reseed = reseed

        def draw(p, extra=0, persistent=True):
            chains = box["chains"]
            ch = chains if persistent else _rbm.Chains(p, chains.sigma.clone())
            out = []
            for _ in range(per_chain):
                _rbm.advance(p, ch, n_sweeps + extra, sampler)
                out.append((ch.sigma, ch.theta, ch.t))
            if per_chain == 1:
                return out[0]
            return tuple(torch.cat(z)[:n_samples] for z in zip(*out))

        return draw

    def _projected_drawer(self, state, n_chains, per_chain, n_samples, n_sweeps):
        def reseed():
            state.chains = _symmetric.ProjectedChains.random(state, n_chains)
            state.chains.advance(20)

        reseed()
        state.reseed = reseed

        def draw(p, extra=0, persistent=True):
            ch = state.chains
            if not persistent:
                ch = _symmetric.ProjectedChains(state, ch.sigma.clone())
            out = []
            for _ in range(per_chain):
                ch.advance(n_sweeps + extra)
                out.append(ch.sigma.clone())
            return torch.cat(out)[:n_samples], None, None  # (no theta: see Projection)

        return draw


def auto_step(it, n_iter):
    """The ``learning_rate="auto"`` schedule: DEFAULT_LR, then a cosine down to
    ``ANNEAL_FLOOR * DEFAULT_LR`` over the last ``ANNEAL_FRACTION`` of the ``n_iter``
    iterations.

    A constant step leaves the energy at a noise floor that scales with the step: on the
    4x4 Heisenberg lattice with the point-group symmetric RBM, the 25-iteration block means
    wander between 2e-3 and 1e-2 of E0 at 0.025, and the annealed end brings seeds 0-4 to
    about 1e-3 (benchmarks/bench_quantum_seeds.py; tests/quantum/test_symmetric.py holds
    one seed to 1e-3).
    """
    start = (1.0 - ANNEAL_FRACTION) * n_iter
    if it < start or n_iter <= 1:
        return DEFAULT_LR
    x = min(1.0, (it - start) / max(n_iter - 1 - start, 1.0))
    return DEFAULT_LR * (ANNEAL_FLOOR + (1.0 - ANNEAL_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * x)))


def _copy_params(target, source):
    """Copy parameters (RBMParams or SymmetricRBMParams) into ``target`` in place."""
    if hasattr(target, "copy_"):
        target.copy_(source)
        return
    for t, v in zip(target.tensors(), source.tensors()):
        t.copy_(v)


def n_distinct(sigma):
    """Number of distinct rows of a batch of configurations: their 64-bit keys
    (:func:`._rbm.row_keys`) counted by a 1-D sort instead of ``torch.unique(dim=0)``, which
    took a quarter of a VMC iteration's time (TFIM L=20, 32,000 samples)."""
    return int(torch.unique(_rbm.row_keys(sigma)).shape[0])


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


def _check_sector(sector, shape):
    """``(momentum, parity)`` of a ``sector`` dict, validated against the lattice ``shape``."""
    if not isinstance(sector, dict) or set(sector) - {"momentum", "spin_flip"}:
        raise ValueError(f"sector must be a dict with the keys 'momentum' and/or 'spin_flip',"
                         f" got {sector!r}")
    momentum, parity = sector.get("momentum"), sector.get("spin_flip")
    if momentum is not None:
        k = np.atleast_1d(np.asarray(momentum))
        if k.shape != (len(shape),) or k.dtype.kind not in "iu":
            raise ValueError(f"sector momentum must be {len(shape)} integer(s) (units of "
                             f"2 pi / L, lattice {shape}), got {momentum!r}")
        momentum = tuple(int(x) % L for x, L in zip(k, shape))
    if parity is not None and parity not in (1, -1):
        raise ValueError(f"sector spin_flip must be +1 or -1, got {parity!r}")
    return momentum, parity

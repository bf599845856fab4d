"""TimeEvolution: real-time dynamics of RBM wave functions (t-VMC / TDVP) as an estimator.

The estimator holds the set-up (Hamiltonian, initial state, integrator, step, sampling) as
parameters; ``fit()`` integrates the equation of motion of :mod:`._tdvp_core` on skphys's
iteration driver (one driver iteration per time step: history, progress, callbacks,
divergence rollback, Ctrl-C, as every other skphys fit) and leaves the measured
``trajectory_`` and the final state ``state_`` (a fitted :class:`RBMWavefunction`).
"""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import IterationDriver
from ..base._interrupt import discard_fitted_attributes, warn_interrupted
from ..utils._torch import draw_seed, resolve_device, seeded
from . import _rbm, _symmetric
from ._operators import PauliSum, _SpinOperator
from ._tdvp_core import (
    INTEGRATORS,
    Ansatz,
    ExactExpectations,
    SampledExpectations,
    local_values,
    mean_and_error,
    pooled_mean_and_error,
    rk_step,
    scale_applies,
    tdvp_solve,
)
from ._wavefunction import RBMWavefunction

__all__ = ["TimeEvolution", "magnetization"]

#: "auto" sums exactly over the 2**N configurations up to this many spins
EXACT_SITES = 12
#: the exact sums hold O for every configuration: at most this many complex entries
EXACT_ENTRIES = 1 << 24
#: symmetries of the ansatz that :class:`TimeEvolution` accepts (those of RBMWavefunction)
_SYMMETRIES = tuple(_symmetric.SYMMETRIES)


def magnetization(n_sites, axis="X"):
    """The magnetisation per site along ``axis``, ``(1/N) sum_j sigma^axis_j``, a
    :class:`PauliSum`.

    Examples
    --------
    >>> from skphys.quantum import magnetization
    >>> mx = magnetization(4)
    >>> len(mx.terms), mx.terms[0]
    (4, (0.25, 'X', (0,)))
    """
    axis = str(axis).upper()
    if axis not in ("X", "Y", "Z"):
        raise ValueError(f"axis must be 'X', 'Y' or 'Z', got {axis!r}")
    return PauliSum(n_sites, [(1.0 / n_sites, axis, (j,)) for j in range(n_sites)])


class TimeEvolution(BaseEstimator):
    r"""Real-time evolution of an RBM wave function by the time-dependent variational principle.

    Time-dependent variational Monte Carlo (t-VMC, Carleo & Troyer 2017): the complex
    parameters ``theta`` of an RBM follow McLachlan's variational principle for
    ``i d|psi>/dt = H |psi>``,

    ``S theta_dot = -i F``,  ``S = <O^* O>_c``,  ``F = <O^* E_loc>_c``

    (``O = d log psi / d theta``, ``E_loc`` the local energy), integrated with a fixed-step
    explicit Runge-Kutta scheme. ``S`` is inverted in its eigenbasis with the regularised
    pseudo-inverse of Schmitt & Heyl (2020): eigen-directions below ``rcond`` times the
    largest eigenvalue are suppressed smoothly (optionally in units of ``S``'s diagonal,
    ``diag_scale``), and with Monte Carlo, when ``snr_cutoff`` is set, also those whose force
    component has a signal-to-noise ratio below it.

    The averages are exact sums over all ``2**N`` configurations for small systems
    (deterministic: the dynamics differs from the exact one only by the ansatz and the
    step), or Monte Carlo averages over persistent Metropolis chains.

    Parameters
    ----------
    hamiltonian : Heisenberg, TransverseFieldIsing or PauliSum or None, default=None
        The Hamiltonian that generates the dynamics (after the quench). Required.
    initial_state : "x_polarised", RBMWavefunction or FrozenEstimator, default="x_polarised"
        ``"x_polarised"``: the product state ``|+x ... +x>`` (the ground state at infinite
        transverse field), represented exactly by an RBM whose hidden units each couple to
        one site (so that every parameter acts at first order; see Notes). A fitted
        :class:`RBMWavefunction` (e.g. the ground state of the Hamiltonian before the
        quench): its parameters, made complex, start the evolution; a symmetric one
        (``symmetry=``) keeps its weight sharing, which the dynamics of a symmetric
        Hamiltonian preserves. An unfitted one (``clone`` unfits parameters that are
        estimators, so ``GridSearchCV`` and ``clone`` hand one over) is fitted first, a
        copy of it (its own ground state, reproducible with its ``random_state``); wrap a
        fitted one in :class:`sklearn.frozen.FrozenEstimator` to keep it through ``clone``.
        Sectors, magnetisation sectors and the Marshall sign are not supported.
    t_final : float, default=2.0
        Time to evolve to (units of ``1 / J``, ``hbar = 1``).
    dt : float, default=0.01
        Time step; ``t_final`` is divided into ``ceil(t_final / dt)`` equal steps.
    integrator : {"rk4", "heun", "euler"}, default="rk4"
        Fixed-step explicit Runge-Kutta scheme: classical fourth order (4 evaluations of
        the equation of motion per step), Heun's second order (2) or Euler (1).
    observables : dict of {str: operator} or None, default=None
        Operators measured at every step besides the energy, e.g.
        ``{"sigma_x": magnetization(N, "X")}``.
    alpha : float, default=1.0
        Hidden-unit density of the ``"x_polarised"`` initial state (a fitted initial
        state brings its own network).
    symmetry : str or None, default=None
        Weight sharing of the ``"x_polarised"`` initial state's RBM: ``"translation"``,
        ``"translation+spin_flip"``, ``"lattice"`` or ``"lattice+spin_flip"`` (as in
        :class:`RBMWavefunction`); a fitted initial state brings its own.
    method : {"auto", "exact", "monte_carlo"}, default="auto"
        How the averages are computed: exact sums over all ``2**N`` configurations, or
        Monte Carlo over ``n_samples`` persistent Metropolis chains (single-spin flips).
        ``"auto"``: exact up to 12 spins.
    n_samples : int, default=2000
        Monte Carlo samples (one per chain) per evaluation of the equation of motion.
    n_sweeps : int, default=2
        Metropolis sweeps (``N`` proposed flips per chain) between evaluations.
    rcond : float, default=1e-6
        Relative eigenvalue cutoff of the regularised pseudo-inverse of ``S``.
    diag_scale : bool or "auto", default="auto"
        Solve the equation of motion in units of ``S``'s diagonal (each parameter's own
        scale, floored at 1e-3 of the largest), so that the ``rcond`` cutoff compares
        directions rather than the units of the parameters (NetKet's ``diag_scale``).
        ``"auto"`` (``diag_scale_`` says which ran): with exact sums, unscaled; with Monte
        Carlo, scaled when every parameter acts on the initial state at first order (each
        column of the centred ``O`` at least 1e-3 of the largest at ``t = 0``), unscaled
        otherwise (the x-polarised RBM: see Notes). The rule is measured, not derived (see
        Notes): on the quench from a fitted ground state to t = 2 with Monte Carlo, the
        scaled solve was the better at L = 12 and L = 20; with exact sums the unscaled one
        is kept (better at L = 10 to t = 1, worse at L = 12 to t = 2).
    snr_cutoff : float or None, default=None
        Signal-to-noise cutoff of the force components (Monte Carlo only; exact sums have
        no noise and ignore it), Schmitt & Heyl's ``1 / (1 + (snr_cutoff / SNR)**6)``.
        None (the default, as in NetKet's TDVP): no cutoff. It biases the dynamics: on the
        quench of the Notes a cutoff of 2 raised the state's error (see Notes).
    random_state : int, RandomState instance or None, default=None
        Seeds the Markov chains.
    device : str, default="cpu"
        Torch device (``"auto"`` picks CUDA when available).
    verbose : int, default=0
        0: silent; 1: a progress bar; 2 or more: one line per step.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Called in skorch's protocol around every time step (see :class:`RBMWavefunction`).

    Attributes
    ----------
    trajectory_ : dict of ndarray
        One entry per measured time (the start of every step and ``t_final``):
        ``"time"``, ``"energy"`` and ``"energy_error"`` (Monte Carlo standard error; 0 for
        exact sums; with Monte Carlo every step's values pool the samples of all its
        Runge-Kutta stages, reweighted to the state at the step's start, see Notes), for each observable ``name`` its value ``name`` and ``name + "_error"``,
        ``"tdvp_error"`` (Schmitt & Heyl's ``r^2``: the fraction of the energy variance the
        step cannot follow, 0 for an exact step) and ``"rank"`` (effective number of
        directions of ``S`` used). ``pandas.DataFrame(trajectory_)`` makes it a table.
    state_ : RBMWavefunction
        The state at ``t_final``, as a fitted wave function (``expectation``,
        ``fidelity``, ``sample``, ``log_psi`` work on it).
    initial_state_ : RBMWavefunction
        The state at ``t = 0`` (the same form, complex parameters).
    initial_fit_ : RBMWavefunction
        The fitted wave function the evolution started from (``initial_state`` itself when
        it was fitted; absent for ``"x_polarised"``).
    n_iter_ : int
        Time steps taken.
    dt_ : float
        The step used (``t_final / n_steps``).
    method_ : str
        ``"exact"`` or ``"monte_carlo"``.
    diag_scale_ : bool
        Whether ``S`` was solved in units of its diagonal (``diag_scale``, resolved).
    n_parameters_ : int
        Complex parameters evolved (shared ones for a symmetric RBM).
    n_sites_ : int
        Number of spins.
    history_ : list of dict
        The driver's rows, one per step (the figures of ``trajectory_`` and ``dur``).
    device_ : torch.device
        The device the state lives on (``state_.device_``: the one the evolution ran on, or
        the CPU once a model evolved on a GPU is loaded on a machine without CUDA).

    See Also
    --------
    RBMWavefunction : ground states (initial states before a quench).
    exact_evolution : the exact reference on the full space (``expm_multiply``).
    skphys.plotting.TrajectoryDisplay : plots ``trajectory_`` against an exact reference.

    Notes
    -----
    ``fit`` takes no data (``X`` is accepted and ignored, as in a ground-state fit of
    :class:`RBMWavefunction`): the dynamics is defined by the parameters alone.

    The all-zero RBM is also ``|+x ... +x>``, but at it ``d log psi / d W = tanh(0) sigma =
    0``: correlations enter only at second order in ``W`` and TDVP cannot create them. The
    ``"x_polarised"`` state couples hidden unit ``m`` to site ``m mod N`` with the weight
    ``0.25 (1 + m // N)`` (a shared filter ``f``: ``0.25 (f + 1)`` on one site), which
    leaves ``psi`` constant but makes ``d log psi / d W_mk = tanh(w_m) sigma_j sigma_k``
    a two-spin correlator.

    How far the variational dynamics can be trusted is measured along the way:
    ``trajectory_["tdvp_error"]`` is the part of ``(H - E)|psi>`` that no step within the
    ansatz can follow. It stays small for quenches near the ground state (from ``h = 0.5``
    to ``h = 1`` in the tests) and grows with the energy injected (from ``|+x ... +x>``
    to ``h = 1`` on longer rings): use a larger ``alpha`` then, or compare with
    :func:`exact_evolution` where the space allows.

    With Monte Carlo, the recorded energy and observables of a step pool the samples of all
    its Runge-Kutta stages (four for RK4, each drawn from the stage's own parameters),
    reweighted to the state at the step's start by ``|psi_t / psi_stage|^2`` (self-normalised
    importance sampling; the weights differ from 1 by O(dt)): the measurement then rests on
    ``n_stages * n_samples`` configurations for about 30% more time per step. The error
    bars treat each chain's stage samples together as one independent sample.

    Measured on the quench of Carleo & Troyer (TFIM ring, ground state of h = 0.5 fitted with
    a translation-symmetric RBM, alpha = 2, evolved under h = 1, RK4, dt = 0.01, 4000
    samples, seed 0; ``benchmarks/bench_tdvp_diagnostics.py`` sums the variational state
    exactly at every step): on the ring of 12 up to t = 0.5, unscaled, the state's largest
    error of <sigma^x> is 6.7e-4 without and 4.6e-3 with ``snr_cutoff=2``; the recorded
    values add the measurement noise, 2.1e-3 per step pooled against 3.7e-3 from the first
    stage's samples alone. Up to t = 2 the state's error is 3.0e-3 with the defaults
    (``diag_scale="auto"``, scaled here; recorded 6.8e-3) and 1.06e-2 with
    ``diag_scale=False`` (recorded 1.4e-2); with exact sums 9.4e-3 unscaled (the default)
    and 5.0e-3 scaled. On the ring of 20 to t = 2 (``bench_quantum.py --only tdvp``, one
    run), <sigma^x> as recorded is within 8.5e-3 of exact evolution with the defaults and
    3.1e-2 with ``diag_scale=False`` (E / L within 4.1e-3 and 3.2e-3).

    References
    ----------
    .. [1] G. Carleo and M. Troyer, Science 355, 602 (2017).
    .. [2] M. Schmitt and M. Heyl, "Quantum many-body dynamics in two dimensions with
       artificial neural networks", PRL 125, 100503 (2020).

    Examples
    --------
    A quench of the transverse-field Ising ring from infinite field to ``h = 1``, with
    exact sums over the 2^6 configurations (``rcond=1e-5``: with the default 1e-6 this small
    network's trajectory was seen to depend on rounding, that is on the CPU's kernel paths,
    at the 1e-3 level):

    >>> import numpy as np
    >>> from skphys.quantum import (TimeEvolution, TransverseFieldIsing, exact_evolution,
    ...                             magnetization)
    >>> H, mx = TransverseFieldIsing(6, h=1.0), magnetization(6)
    >>> evo = TimeEvolution(H, t_final=0.5, dt=0.01, rcond=1e-5,
    ...                     observables={"sigma_x": mx}).fit()
    >>> evo.trajectory_["time"].shape
    (51,)
    >>> _, (exact,), _ = exact_evolution(H, np.ones(2**6), evo.trajectory_["time"], [mx])
    >>> bool(np.abs(evo.trajectory_["sigma_x"] - exact).max() < 2e-3)
    True
    """

    _parameter_constraints: dict = {
        "hamiltonian": [None, _SpinOperator],
        "initial_state": [StrOptions({"x_polarised"}), RBMWavefunction, FrozenEstimator],
        "t_final": [Interval(Real, 0, None, closed="neither")],
        "dt": [Interval(Real, 0, None, closed="neither")],
        "integrator": [StrOptions(set(INTEGRATORS))],
        "observables": [None, dict],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "symmetry": [None, StrOptions(set(_SYMMETRIES))],
        "method": [StrOptions({"auto", "exact", "monte_carlo"})],
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "n_sweeps": [Interval(Integral, 1, None, closed="left")],
        "rcond": [Interval(Real, 0, 1, closed="left")],
        "diag_scale": ["boolean", StrOptions({"auto"})],
        "snr_cutoff": [None, Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": ["verbose"],
        "callbacks": [None, list],
    }

    def __init__(self, hamiltonian=None, *, initial_state="x_polarised", t_final=2.0, dt=0.01,
                 integrator="rk4", observables=None, alpha=1.0, symmetry=None, method="auto",
                 n_samples=2000, n_sweeps=2, rcond=1e-6, diag_scale="auto", snr_cutoff=None,
                 random_state=None,
                 device="cpu", verbose=0, callbacks=None):
        self.hamiltonian = hamiltonian
        self.initial_state = initial_state
        self.t_final = t_final
        self.dt = dt
        self.integrator = integrator
        self.observables = observables
        self.alpha = alpha
        self.symmetry = symmetry
        self.method = method
        self.n_samples = n_samples
        self.n_sweeps = n_sweeps
        self.rcond = rcond
        self.diag_scale = diag_scale
        self.snr_cutoff = snr_cutoff
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Evolve the initial state to ``t_final`` and record the trajectory.

        Parameters
        ----------
        X : None
            Ignored (the dynamics needs no data).
        y : None
            Ignored.

        Returns
        -------
        self : TimeEvolution
            The fitted estimator.
        """
        H = self.hamiltonian
        if H is None:
            raise ValueError("TimeEvolution needs a hamiltonian: TimeEvolution(H, ...)")
        N = H.n_sites
        observables = self._check_observables(N)
        device = resolve_device(self.device, self)
        ansatz, flat0, wf = self._initial(H, device)
        method = self.method
        if method == "auto":
            method = "exact" if N <= EXACT_SITES else "monte_carlo"
        if method == "exact" and (2**N) * max(ansatz.n_parameters, 1) > EXACT_ENTRIES:
            raise ValueError(f"method='exact' sums over 2**{N} configurations with "
                             f"{ansatz.n_parameters} parameters each: too large (limit "
                             f"{EXACT_ENTRIES} entries); use method='monte_carlo'")
        n_steps = max(1, math.ceil(self.t_final / self.dt - 1e-9))
        dt = self.t_final / n_steps
        snr = self.snr_cutoff if method == "monte_carlo" else None
        diag_scale = self.diag_scale
        if diag_scale == "auto" and method == "exact":
            diag_scale = False
        published, running = [], []
        try:
            with seeded(draw_seed(self.random_state), device), torch.no_grad():
                if method == "exact":
                    source = ExactExpectations(N, device)
                else:
                    source = SampledExpectations(N, self.n_samples, self.n_sweeps, 50, device)
                run = _Run(H, observables, ansatz, source, self.rcond, snr, self.integrator,
                           dt, diag_scale)
                driver = IterationDriver(self, n_steps, callbacks=self.callbacks,
                                         verbose=self.verbose, desc="TimeEvolution")
                state = {"flat": flat0.to(device), "t": 0.0}

                def publish(st):
                    self._publish(run, st, driver, wf, flat0, ansatz, method, dt, N)
                    published.append(True)

                running.append(True)
                driver.run(run.step, state, snapshot=lambda s: dict(s),
                           restore=lambda s, c: s.update(c), publish=publish,
                           healthy=run.healthy,
                           divergence_hint="Try a smaller dt, a larger rcond, or more "
                                           "n_samples.")
        except BaseException as exc:
            if not published:
                discard_fitted_attributes(self)
                if isinstance(exc, KeyboardInterrupt) and not running:
                    warn_interrupted(self, 0, n_steps)
            raise
        return self

    # ------------------------------------------------------------------------------
    @property
    def device_(self):
        # read from the state, so that it follows the state when a pickle is loaded elsewhere
        # (AttributeError before fit, as for any fitted attribute)
        return self.state_.device_

    def _check_observables(self, N):
        obs = {} if self.observables is None else dict(self.observables)
        for name, op in obs.items():
            if not isinstance(name, str) or not isinstance(op, _SpinOperator):
                raise ValueError("observables must map names (str) to skphys operators "
                                 f"(PauliSum, ...); got {name!r}: {type(op).__name__}")
            if name in ("time", "energy", "energy_error", "tdvp_error", "rank") or \
                    name.endswith("_error"):
                raise ValueError(f"observables: the name {name!r} is reserved")
            if op.n_sites != N:
                raise ValueError(f"observables[{name!r}] acts on {op.n_sites} spins, the "
                                 f"hamiltonian on {N}")
        return obs

    def _initial(self, H, device):
        """The ansatz, its initial flat parameter vector and a template wave function."""
        N = H.n_sites
        init = self.initial_state
        if isinstance(init, str):
            self.__dict__.pop("initial_fit_", None)  # (from an earlier fit)
            symmetry = self.symmetry
            group = self._group(H, symmetry)
            if group is None:
                M = max(1, math.ceil(self.alpha * N - 1e-9))
                ansatz = Ansatz(N, M)
            else:
                F = _symmetric.n_filters(self.alpha, N, len(group))
                ansatz = Ansatz(N, None, group, F, visible_bias=not group.flips.any())
            return ansatz, ansatz.x_polarised(0.25), (self.alpha, symmetry)
        if isinstance(init, FrozenEstimator):
            init = init.estimator
        if not isinstance(init, RBMWavefunction):
            raise ValueError("initial_state must be 'x_polarised' or an RBMWavefunction (or "
                             f"a FrozenEstimator of one), got {type(init).__name__}")
        try:
            check_is_fitted(init)
        except NotFittedError:  # e.g. after clone(): fit a copy (its own ground state)
            init = clone(init).fit()
        self.initial_fit_ = init
        if init.n_features_in_ != N:
            raise ValueError(f"initial_state has {init.n_features_in_} spins, the "
                             f"hamiltonian {N}")
        if getattr(init, "sector_characters_", None) is not None or init.n_up_ is not None \
                or init.marshall_sign_ or getattr(init, "n_terms_", 1) != 1:
            raise ValueError("initial_state: a wave function with a sector, a magnetisation "
                             "sector (n_up), the Marshall sign or a sum of RBMs (n_terms) is "
                             "not supported yet; fit it with sector=None, n_up=None (sampler "
                             "'local' or 'gibbs'), marshall_sign=False and n_terms=1")
        if self.symmetry is not None or self.alpha != 1.0:
            raise ValueError("alpha and symmetry describe the 'x_polarised' initial state; a "
                             "fitted initial_state brings its own network: leave them at "
                             "their defaults")
        cplx = torch.complex128
        filters = getattr(init, "filters_", None)
        if filters is None:
            M = init.n_hidden_
            ansatz = Ansatz(N, M)
            parts = (init.intercept_visible_, init.intercept_hidden_, init.components_)
        else:
            group = self._group(H, init.symmetry)
            if not np.array_equal(group.perms, init.symmetry_permutations_):
                raise ValueError("initial_state's symmetry group does not match the "
                                 "hamiltonian's lattice")
            ansatz = Ansatz(N, None, group, filters.shape[0],
                            visible_bias=init.filter_visible_bias_.size > 0)
            parts = (init.filter_visible_bias_, init.filter_biases_, filters)
        flat = torch.cat([torch.as_tensor(np.asarray(p), dtype=cplx).reshape(-1)
                          for p in parts])
        return ansatz, flat, (init.alpha, init.symmetry)

    @staticmethod
    def _group(H, symmetry):
        if symmetry is None:
            return None
        shape = getattr(H, "_shape", None)
        if shape is None or not H.pbc:
            raise ValueError(f"symmetry={symmetry!r} needs a periodic lattice Hamiltonian, "
                             f"got {H!r}")
        return _symmetric.SymmetryGroup(shape, point_group=symmetry.startswith("lattice"),
                                        spin_flip=symmetry.endswith("spin_flip"))

    def _publish(self, run, state, driver, wf, flat0, ansatz, method, dt, N):
        rec = run.measure(state["flat"], state["t"])
        rows = [row for row in driver.history_list() if "time" in row] + [rec]
        keys = ["time", "energy", "energy_error"]
        for name in run.observables:
            keys += [name, name + "_error"]
        keys += ["tdvp_error", "rank"]
        self.trajectory_ = {k: np.array([float(r[k]) for r in rows]) for k in keys}
        self.history_ = [row for row in driver.history_list() if "time" in row]
        self.n_iter_ = driver.n_iter
        self.dt_ = float(dt)
        self.method_ = method
        self.diag_scale_ = run.scale
        self.n_parameters_ = ansatz.n_parameters
        self.n_sites_ = N
        self.state_ = _wavefunction(self.hamiltonian, ansatz, state["flat"], wf, self.device)
        self.initial_state_ = _wavefunction(self.hamiltonian, ansatz, flat0, wf, self.device)


class _Run:
    """The step function: one Runge-Kutta step of the TDVP equation, with its record."""

    def __init__(self, H, observables, ansatz, source, rcond, snr, integrator, dt,
                 diag_scale=False, pool=True):
        self.H, self.observables, self.ansatz = H, observables, ansatz
        self.source, self.rcond, self.snr = source, rcond, snr
        self.integrator, self.dt = integrator, dt
        self.bound = H.norm_bound()
        # "auto" (Monte Carlo): decided at the first evaluation, from the initial state
        self.scale = diag_scale if diag_scale == "auto" else bool(diag_scale)
        self.pool = bool(pool)

    def _evaluate(self, flat, measure, keep=None):
        params = self.ansatz.params(flat)
        sigma, th, t, w = self.source.draw(params)
        E = local_values(self.H, params, sigma, th, t)
        O = self.ansatz.log_derivatives(params, sigma, th, t)
        if self.scale == "auto":
            self.scale = scale_applies(O, w)
        x, info = tdvp_solve(O, E, w, self.rcond, self.snr, self.scale)
        rec = None
        if keep is not None and w is None:
            # the samples of this stage, kept for the pooled measurement of the step
            keep.append((params, sigma.clone(), _rbm.log_psi(params, sigma, th).real,
                         E if measure else None, t if measure else None, th))
        if measure:
            e, err = mean_and_error(E, w)
            rec = {"energy": e, "energy_error": err}
            for name, op in self.observables.items():
                v, verr = mean_and_error(local_values(op, params, sigma, th, t), w)
                rec[name], rec[name + "_error"] = v, verr
            rec["tdvp_error"], rec["rank"] = info["tdvp_error"], info["rank"]
        return x, rec

    def _pooled(self, rec, keep):
        """Re-estimate the energy and the observables at the step's start from the samples of
        all its stages, reweighted to the start state (Monte Carlo: ``n_stages`` times the
        samples for the cost of the local values; the weights differ from 1 by O(dt))."""
        params0, _, _, E0, t0, th0 = keep[0]
        ops = {"energy": self.H, **self.observables}
        vals = {name: [] for name in ops}
        logw = []
        for k, (params, sigma, logp, E, t, th) in enumerate(keep):
            if k == 0:
                th_, t_ = th0, t0
                logw.append(torch.zeros_like(logp))
                vals["energy"].append(E0)
            else:
                th_ = _rbm.theta(params0, sigma)
                t_ = torch.tanh(th_)
                logw.append(2.0 * (_rbm.log_psi(params0, sigma, th_).real - logp))
                vals["energy"].append(local_values(self.H, params0, sigma, th_, t_))
            for name, op in self.observables.items():
                vals[name].append(local_values(op, params0, keep[k][1], th_, t_))
        logw = torch.stack(logw)
        for name, v in vals.items():
            m, err = pooled_mean_and_error(torch.stack(v), logw)
            rec[name], rec[name + "_error"] = m, err
        return rec

    def step(self, it, state):
        box = {}
        keep = [] if self.pool else None

        def derivative(y, stage):
            x, rec = self._evaluate(y, stage == 0, keep)
            if stage == 0:
                box["rec"] = rec
            return x

        flat = rk_step(state["flat"], self.dt, derivative, self.integrator)
        rec = {"time": state["t"], **box["rec"]}
        if keep and len(keep) > 1:
            rec = self._pooled(rec, keep)
        state["flat"] = flat
        state["t"] = (it + 1) * self.dt
        return rec

    def measure(self, flat, t):
        return {"time": t, **self._evaluate(flat, True)[1]}

    def healthy(self, rec):
        # the energy of a normalisable state lies within the operator norm
        return abs(rec["energy"]) <= self.bound * (1 + 1e-9) + 10 * rec["energy_error"]


def _wavefunction(H, ansatz, flat, wf, device):
    """A fitted :class:`RBMWavefunction` holding the (tied) RBM of ``flat``."""
    alpha, symmetry = wf
    est = RBMWavefunction(H, alpha=alpha, param_dtype="complex", symmetry=symmetry,
                          device=device)
    params = ansatz.params(flat.detach().clone())
    p = params.numpy()
    N, M = ansatz.n_sites, params.n_hidden
    est.intercept_visible_, est.intercept_hidden_, est.components_ = p["a"], p["b"], p["W"]
    est.n_features_in_, est.n_hidden_ = N, M
    est.n_parameters_ = ansatz.n_parameters
    if ansatz.group is not None:
        a, b, w = (t.detach().cpu().numpy().copy() for t in ansatz.split(flat))
        est.filter_visible_bias_, est.filter_biases_ = a, b
        est.filters_ = w.reshape(-1, N)
        est.symmetry_permutations_ = ansatz.group.perms.copy()
    else:
        est.filter_visible_bias_ = est.filter_biases_ = est.filters_ = None
        est.symmetry_permutations_ = None
    est.sector_ = est.sector_permutations_ = est.sector_signs_ = None
    est.sector_characters_ = None
    est.n_up_ = None
    est.marshall_sign_ = False
    est.marshall_sublattice_ = None
    est.device_ = params.a.device
    return est

"""RBMWavefunction: neural-network quantum states as a scikit-learn density model.

The estimator is three parts: this module (parameters, validation, the fitted-state methods,
persistence), the fitted state in torch (:class:`._state.RBMState`), and two thin drivers
whose step functions run on :class:`skphys.base.IterationDriver`: variational Monte Carlo
for ground states (:mod:`._vmc`) and maximum likelihood for tomography (:mod:`._tomography`).
"""

import inspect
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import IterationDriver
from ..base._interrupt import discard_fitted_attributes, warn_interrupted
from ..base._persistence import device_for_loading, from_portable, to_portable
from ..utils._torch import draw_seed, resolve_device, seeded
from . import _rbm
from ._operators import ExactState, _SpinOperator
from ._state import RBMState
from ._symmetric import SYMMETRIES, ProjectedState, Projection, SymmetryGroup, TermSum
from ._tomography import TomographyFit
from ._vmc import GroundStateFit

__all__ = ["RBMWavefunction", "neg_energy_scorer"]


class RBMWavefunction(BaseEstimator):
    r"""Restricted-Boltzmann-machine wave function: variational ground states and tomography.

    The amplitude of a configuration ``sigma`` of ``N`` spins (``+1`` up, ``-1`` down) is

    ``psi(sigma) = exp(sum_j a_j sigma_j) prod_i cosh(b_i + sum_j W_ij sigma_j)``

    (Carleo & Troyer 2017), with ``M = ceil(alpha N)`` hidden units and real or complex
    parameters. One estimator, two ways to fit it:

    * **ground state** (``hamiltonian`` given): ``fit()`` minimises the energy by variational
      Monte Carlo with stochastic reconfiguration (the natural gradient ``(S + diag_shift)^-1 F``),
      sampling ``|psi|^2`` with persistent Metropolis chains (single-spin flips, or exchanges
      that conserve S^z_total) or exactly from the full sum for small systems. The Marshall sign
      rule is applied for the bipartite Heisenberg antiferromagnet, which makes the amplitude
      positive so that real parameters suffice.
    * **tomography** (no ``hamiltonian``): ``fit(X)`` maximises the likelihood of measured
      configurations (Torlai et al. 2018), ``p(sigma) = |psi(sigma)|^2 / Z``. From ``Z``-basis
      snapshots alone the state is taken to be positive (real parameters); with snapshots in
      several bases (``bases=``) the parameters are complex and the phase is learned. The
      gradient is exact (``Z`` summed over all ``2^N`` states, or over the hidden layer) for
      small systems, and uses persistent contrastive divergence otherwise.

    Either way the fitted model is a density model (``score_samples`` = log-probability,
    ``score`` = mean log-likelihood, ``sample``) with quantum extras: ``log_psi`` (complex),
    ``expectation(operator)`` and ``fidelity(state)``. Both fits run on skphys's iteration
    driver: one ``history_`` row per iteration, ``callbacks=`` in skorch's protocol, a
    divergence guard that keeps the last healthy state, and Ctrl-C handled as everywhere in
    skphys (see Notes).

    Parameters
    ----------
    hamiltonian : Heisenberg, TransverseFieldIsing, PauliSum or None, default=None
        The Hamiltonian whose ground state is sought; None for tomography from data.
    alpha : float, default=1.0
        Hidden-unit density: ``M = ceil(alpha * N)`` hidden units.
    param_dtype : {"auto", "real", "complex"}, default="auto"
        Real or complex parameters. ``"auto"``: real when the (Marshall-rotated) Hamiltonian is
        stoquastic, or for tomography from ``Z`` snapshots only; complex otherwise.
    learning_rate : float, callable or "auto", default="auto"
        Step size: of stochastic reconfiguration (``"auto"``: 0.025, annealed by a cosine
        to 0.05 of it over the last 40% of ``max_iter``) or of tomography (``"auto"``: Adam's
        0.05 for the exact likelihood; persistent contrastive divergence: the natural-gradient
        step 0.1 for real parameters, annealed like SR's, and Adam's 0.01 for complex ones).
        A callable is a schedule: it is called with the iteration (epoch) number, from 0, and
        returns the step size, e.g. ``lambda it: 0.1 / (1 + it / 200)``.
        The stochastic-reconfiguration step is ``learning_rate * (S + diag_shift)^-1 g`` with
        the energy gradient ``g = 2 Re <O* E_loc>_c``, NetKet's convention: a learning rate
        means the same step here as in ``netket.optimizer.Sgd`` with ``SR``. On the Heisenberg
        ring of 20 spins 0.05 can overshoot in the first iterations from the near-zero
        initial state; 0.025 is safe there. With a constant step the energy settles at a
        noise floor that scales with the step; a decaying schedule keeps descending.
    max_iter : int, default=300
        Variational iterations (ground state) or epochs (tomography).
    n_samples : int, default=1008
        Monte Carlo samples per iteration (ground state); persistent chains for persistent
        contrastive divergence (tomography; not used by the exact likelihood).
    n_chains : int or None, default=None
        Markov chains for the ground state; None uses one chain per sample.
    n_sweeps : int, default=1
        Metropolis sweeps (``N`` proposed moves per chain each), or block-Gibbs steps, between
        samples of a chain. After a large variational step the chains get extra sweeps (up to
        50), as many as the step moved ``|psi|^2`` away from them: ``-10 log`` of the
        effective-sample-size fraction of the current samples reweighted to the new state.
    sampler : {"auto", "local", "exchange", "gibbs", "exact"}, default="auto"
        ``"local"``: single-spin-flip Metropolis; ``"exchange"``: Metropolis swaps of an up and a
        down spin, confined to S^z_total = 0; ``"gibbs"``: block Gibbs sampling of all spins at
        once through the hidden layer (real parameters only: ``|psi|^2`` is then the marginal
        of an RBM with two copies of the hidden layer), one step costing two matrix products
        for all chains instead of ``N`` sequential moves; ``"exact"``: independent draws from
        ``|psi|^2`` summed over the whole space (small systems). ``"auto"``: ``"exchange"`` in a
        magnetisation sector (``n_up``; by default for Hamiltonians that conserve S^z_total),
        else ``"gibbs"`` for real parameters and ``"local"`` for complex ones.
    diag_shift : float, default=0.01
        Added to the diagonal of the stochastic-reconfiguration matrix ``S`` (also of the
        Fisher metric of tomography's natural gradient, persistent contrastive divergence
        with real parameters, where ``solver`` is ``"dense"`` or ``"cg"``).
    solver : {"auto", "dense", "minsr", "cg"}, default="auto"
        How the stochastic-reconfiguration system ``(S + diag_shift) delta = g`` is solved
        (like ``solver`` of scikit-learn's ``Ridge``; all give the same step).
        ``"dense"``: ``S`` formed in parameter space and factorised (``n_samples P^2 + P^3/3``
        operations for ``P`` parameters); ``"minsr"``: the equivalent sample-space system
        ``(O O^H + n_samples diag_shift) x = 2 E_c``, ``delta = O^H x`` (MinSR, the
        neural-tangent-kernel form; ``n_samples^2 P + n_samples^3/3``), the cheap one when
        there are fewer samples than parameters; ``"cg"``: conjugate gradients on products
        ``S v`` without forming a matrix, warm-started from the previous step. ``"auto"``: the
        cheaper of ``"dense"`` and ``"minsr"`` by operation count.
    n_up : "auto", int or None, default="auto"
        Magnetisation sector: the state is restricted to configurations with ``n_up`` spins up
        (``psi = 0`` elsewhere), as for a state with a conserved particle number. Ground state:
        the sector of S^z-conserving Hamiltonians, explored by exchange moves (``"auto"``: the
        S^z_total = 0 sector, ``N // 2``, unless ``sampler`` is ``"local"`` or ``"gibbs"``);
        other sectors give the lowest state of that magnetisation. Tomography from ``Z``
        snapshots (``"auto"`` means None: the full space): every snapshot must have ``n_up``
        spins up, and the normaliser is summed over the ``C(N, n_up)`` states of the sector
        (exactly, however large ``N``, when the sector is small enough; the W state of 50
        spins has 50), or estimated with exchange-move PCD otherwise.
    marshall_sign : bool or "auto", default="auto"
        Multiply ``psi`` by ``(-1)^(up spins on sublattice A)``. ``"auto"``: for the bipartite
        antiferromagnetic :class:`Heisenberg` model.
    likelihood : {"auto", "exact", "pcd"}, default="auto"
        Tomography gradient: exact (normaliser summed over all states, or over the hidden layer
        when that is smaller) or persistent contrastive divergence. ``"auto"``: exact when either
        sum has at most ``2^16`` terms. Persistent contrastive divergence takes the
        natural-gradient step ``(S + diag_shift)^-1 g / 2`` for real parameters (``S`` over
        the chains: the Fisher metric of ``|psi|^2``) and centred Adam steps for complex ones;
        its chains alternate their sampler's sweeps with sweeps of exchange moves (swaps of two
        unequal spins), which carry them between configurations of equal magnetisation.
    batch_size : int or "auto", default="auto"
        Mini-batch of persistent contrastive divergence; ``"auto"``: 1000 snapshots (or all
        of them when there are fewer).
        The exact likelihood always uses the whole data set (one Adam step per epoch, on the
        distinct configurations weighted by their counts).
    init_std : float or "auto", default="auto"
        Standard deviation of the random initial parameters; ``"auto"``: 0.01 (0.1 for
        tomography by persistent contrastive divergence with real parameters, whose start
        must break the sites' permutation symmetry for a state such as the W state), and for the
        shared parameters of a symmetric RBM 0.1 (NetKet's ``RBMSymm`` default) times
        ``sqrt(N / |G|)`` (1 for translations; larger groups tie each weight to more hidden
        units, and a larger start collapses onto a few configurations); 0.1 for a plain RBM
        projected on a ``sector`` (its amplitude is a signed sum over the group, which a
        near-uniform start nearly cancels: at 0.01 some seeds started on a handful of
        configurations with zero energy variance and never left them).
    phase_model : {"joint", "local"}, default="joint"
        Tomography from snapshots in several bases: how the phase is modelled.
        ``"joint"``: one complex RBM carries amplitude and phase (the phase is a nonlinear
        function of the spins, through the complex hidden units). ``"local"``: separate
        amplitude and phase (QuCumber's design), ``psi(sigma) = A(sigma) exp(i sum_j c_j
        sigma_j)`` with ``A`` a positive RBM (real parameters) and a phase linear in the
        spins (a phase per site: the W state with local phases, a Marshall sign). The first
        ``max(1, round(0.2 max_iter))`` epochs fit ``A`` to the snapshots measured in Z on
        every site; then the phases are searched globally with ``A`` fixed (their likelihood
        needs no normaliser and is periodic, with a local optimum between each two of its
        barriers; the search steps one phase difference at a time over a grid of its period),
        and the remaining epochs fit ``A`` to all snapshots with the phases refined after
        each (L-BFGS) and searched again after the last; with persistent contrastive
        divergence a mode hunt (greedy ascent of ``|psi|`` from random configurations, every
        10 steps) moves chains to modes they miss. The chains resolve the amplitude's
        weight on configurations they rarely visit only to about ``1 / n_samples``, and the
        phases fitted to the rotated snapshots read that weight: the W state of 20 spins
        with local phases (1000 shots per basis) kept 1% of its weight outside its sector
        with the default 1008 chains, which set one phase difference 0.24 rad off (F 0.895
        for one seed; ``benchmarks/bench_phase_diagnostics.py``), and F >= 0.984 on four
        seeds with ``n_samples=4000`` (``bench_quantum.py --only wphase --phase-sizes 20``).
        The fitted state is the complex RBM whose visible biases alone have an imaginary
        part ``c``, so every method reads it unchanged. ``param_dtype`` must stay ``"auto"``
        with ``"local"``; with ``Z`` snapshots only, both models are the positive RBM.
    binarize : float or None, default=None
        How configurations are read from ``X`` (in ``fit`` and every method): None, entries
        must be spins already, ``+1``/``-1`` or ``1``/``0`` (anything else is refused); a
        number, entries above it are spin up and the others spin down, e.g. the threshold of
        a fluorescence readout on photon counts (scikit-learn's ``BernoulliNB`` has the same
        parameter).
    symmetry : str or None, default=None
        One of ``"translation"``, ``"lattice"``, ``"translation+spin_flip"``,
        ``"lattice+spin_flip"``. Ground state on a periodic lattice: share the RBM's weights over a symmetry group
        (Carleo & Troyer 2017; NetKet's ``RBMSymm``), ``log psi(sigma) = a sum_j sigma_j +
        sum_f sum_g log cosh(b_f + w_f . (g sigma))``, with ``ceil(alpha N / |G|)`` filters
        ``w_f``, so that ``psi(g sigma) = psi(sigma)``. ``"translation"``: the lattice's
        translations; ``"lattice"``: also its point group (rotations and reflections);
        ``"+spin_flip"``: also ``sigma -> -sigma`` (no visible bias then, nor at fixed
        ``n_up``, where it is a constant). The fitted ``components_`` are the equivalent
        RBM with tied weights (``F |G|`` hidden units), so every method works unchanged.
        The point-group and spin-flip groups tie many hidden units to each weight and are
        less tested than ``"translation"`` (see the module notes).
    sector : dict or None, default=None
        Ground state in a symmetry sector (Choo et al. 2018): ``{"momentum": k}`` (``k``:
        an int for a chain, a pair for a square lattice, in units of ``2 pi / L``) and/or
        ``{"spin_flip": +1 or -1}``. The amplitude is the projection ``psi(sigma) =
        sum_g chi(g)^* phi(g sigma)`` of the network ``phi`` over the translations and/or
        the spin flip, so ``psi(T_r sigma) = exp(2 pi i k . r / L) psi(sigma)`` and
        ``psi(-sigma) = p psi(sigma)``: the fit finds the lowest state of that sector, an
        excited state of the Hamiltonian when the ground state lies in another one. With
        the Marshall sign the labels refer to the physical state. Complex momenta need
        complex parameters (chosen by ``param_dtype="auto"``). Each amplitude costs
        ``|G|`` network evaluations.
    n_terms : int, default=1
        Ground state: the amplitude is a sum of ``n_terms`` RBMs, ``psi(sigma) = sum_k
        phi_k(sigma)``, each with its own ``alpha N`` hidden units, weights and biases (and
        a log-weight): about ``n_terms`` times the parameters and cost of one. A product of
        ``cosh`` factors, one RBM represents a level with nodes poorly; a sum of them does
        better without any symmetry (the third TFIM level of a ring of 12: see
        :class:`ExcitedStates`). Combines with ``sector`` (the projection of the sum), not
        with ``symmetry``. The fitted ``components_`` are those of one RBM on
        ``n_terms (N + 1)`` visible units that gives the sum (see Attributes).
    random_state : int, RandomState instance or None, default=None
        Seeds parameters and samplers.
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA when available.
    verbose : int, default=0
        0: silent; 1: a progress bar with the current loss (energy or negative
        log-likelihood); 2 or more: one line per iteration, in scikit-learn's format.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Called in skorch's protocol with the fit's driver as ``net``: ``on_train_begin``,
        ``on_epoch_begin`` / ``on_epoch_end`` around every iteration, ``on_train_end``.
        ``net.history`` holds the records so far, ``net.estimator`` is this estimator and
        ``net.publish()`` writes the current state into its fitted attributes (so a callback
        can evaluate or copy the state mid-fit without changing the fit). Raising
        :class:`KeyboardInterrupt` in ``on_epoch_end`` (skorch's ``EarlyStopping`` does) ends
        the fit early as a normal stop.

    Attributes
    ----------
    intercept_visible_ : ndarray of shape (`n_features_in_`,)
        Visible biases ``a``; with ``n_terms = K > 1``, of shape (K (N + 1),): term ``k``
        reads block ``k`` of ``K (N + 1)`` visible units, its ``N`` spins and a constant 1.
    intercept_hidden_ : ndarray of shape (`n_hidden_`,)
        Hidden biases ``b``.
    components_ : ndarray of shape (`n_hidden_`, `n_features_in_`)
        Weights ``W``; with ``n_terms = K > 1``, of shape (`n_hidden_`, K (N + 1)).
    n_features_in_ : int
        Number of spins ``N``.
    n_hidden_ : int
        Number of hidden units ``M``.
    n_parameters_ : int
        ``N + M + N M`` (complex parameters count once); for a symmetric RBM the shared
        parameters, ``F + F N`` (+ 1 with a visible bias); for a sum of ``K`` RBMs
        ``V + M + V M`` with ``V = K (N + 1)``.
    filters_ : ndarray of shape (n_filters, `n_features_in_`) or None
        Ground state with ``symmetry``: the shared weights ``w_f`` (None otherwise).
    filter_biases_ : ndarray of shape (n_filters,) or None
        Their hidden biases ``b_f``.
    filter_visible_bias_ : ndarray of shape (0,) or (1,), or None
        The shared visible bias ``a`` (empty when the model has none).
    symmetry_permutations_ : ndarray of shape (n_symmetries, `n_features_in_`) or None
        Ground state: the site permutations ``p_g`` of ``symmetry``'s group.
    sector_ : dict or None
        Ground state: the sector fitted (``sector``), or None.
    n_terms_ : int
        The number of RBMs summed (``n_terms``; 1 for tomography).
    sector_permutations_, sector_signs_, sector_characters_ : ndarray or None
        The projection group (permutations, spin-flip signs) and its characters ``chi(g)``
        (with the Marshall sign's factors folded in) when ``sector`` is set.
    n_up_ : int or None
        Spins up in the magnetisation sector the state lives in, or None (the full space).
    marshall_sign_ : bool
        Whether the Marshall sign rule is applied.
    marshall_sublattice_ : ndarray of bool of shape (`n_features_in_`,) or None
        The sites of sublattice A when it is (the sign is ``(-1)^(up spins on A)``).
    sampler_ : str
        Ground state: the sampler used.
    solver_ : str
        Ground state: the stochastic-reconfiguration solver used (``"auto"`` resolved).
    likelihood_ : str
        Tomography: ``"exact"`` or ``"pcd"``.
    n_iter_ : int
        Iterations (epochs) run.
    history_ : list of dict
        One row per iteration: ``loss`` (ground state: the Monte Carlo energy of the state
        the iteration started from, with ``energy_error`` and ``energy_variance``;
        tomography: the negative log-likelihood, or its persistent-contrastive-divergence
        estimate up to the normaliser) and ``dur`` (seconds).
    loss_curve_ : list of float
        The ``loss`` column of ``history_``.
    energy_curve_ : list of float
        Ground state: the energy estimate of every iteration (the same list as
        ``loss_curve_``).
    energy_ : float
        Ground state: energy estimated from ``n_samples`` samples of the final state.
    energy_error_ : float
        Its Monte Carlo standard error.
    energy_variance_ : float
        Variance of the local energy (zero for an exact eigenstate).
    device_ : torch.device
        The device the fit ran on (and the methods compute on).

    See Also
    --------
    Heisenberg, TransverseFieldIsing : Hamiltonians.
    exact_ground_state : exact references.
    skphys.datasets.make_quantum_snapshots : measurement data for tomography.

    Notes
    -----
    A snapshot is a row of ``+1``/``-1`` or of ``1``/``0`` entries (``+1`` or ``1``: spin
    up); other values (``0.3``, ``2``, ``-1`` mixed with ``0``) are refused unless
    ``binarize`` sets a threshold.

    Parameters that the chosen fit does not use must stay at their defaults, so that a
    setting is never silently dropped: tomography uses neither ``sampler``, ``n_chains``
    nor ``marshall_sign``, with the exact likelihood neither ``n_samples``, ``n_sweeps``,
    ``batch_size``, ``diag_shift`` nor ``solver``, and with complex parameters neither
    ``diag_shift`` nor ``solver``; a ground state does not use
    ``likelihood`` or ``batch_size`` (nor ``n_chains``, ``n_sweeps`` with
    ``sampler="exact"``).

    Ctrl-C during ``fit`` stops at the end of the current iteration: the estimator keeps
    the last complete state (every fitted attribute consistent with it: ``score_samples``,
    ``sample``, ``energy_`` work), warns, and raises :class:`KeyboardInterrupt` again so that
    a search or a script stops too; before the first iteration it is left unfitted. If a
    fit diverges, :class:`~skphys.base.DivergenceError` is raised and the state of the last
    healthy iteration is kept.

    A fitted estimator holds numpy arrays only: it saves and loads with :mod:`skops.io`
    (no code runs on load) as well as with pickle, and a model fitted on a GPU loads on a
    machine without one.

    References
    ----------
    .. [1] G. Carleo and M. Troyer, "Solving the quantum many-body problem with artificial
       neural networks", Science 355, 602 (2017).
    .. [2] G. Torlai et al., "Neural-network quantum state tomography", Nature Physics 14,
       447 (2018).
    .. [3] K. Choo, G. Carleo, N. Regnault and T. Neupert, "Symmetries and many-body
       excitations with neural-network quantum states", PRL 121, 167204 (2018).

    Examples
    --------
    Ground state of the transverse-field Ising chain:

    >>> from skphys.quantum import RBMWavefunction, TransverseFieldIsing, exact_ground_state
    >>> H = TransverseFieldIsing(6, h=1.0)
    >>> psi = RBMWavefunction(hamiltonian=H, n_samples=500, max_iter=150, random_state=0)
    >>> psi = psi.fit()
    >>> e0 = exact_ground_state(H).energy
    >>> bool(abs(psi.expectation(H) - e0) / abs(e0) < 1e-2)
    True

    Tomography from snapshots of that ground state:

    >>> from skphys.datasets._measurements import make_quantum_snapshots
    >>> X, bases, state = make_quantum_snapshots(2000, n_sites=6, return_state=True,
    ...                                          random_state=0)
    >>> model = RBMWavefunction(max_iter=300, random_state=0).fit(X)
    >>> bool(model.fidelity(state) > 0.97)
    True

    A translation-symmetric RBM (weights shared over the ring's translations: 18
    parameters) on the Heisenberg ring:

    >>> from skphys.quantum import Heisenberg
    >>> ring = Heisenberg(8)
    >>> sym = RBMWavefunction(ring, alpha=2, symmetry="translation", max_iter=60,
    ...                       n_samples=300, random_state=0).fit()
    >>> sym.n_parameters_
    18
    >>> e0 = exact_ground_state(ring).energy
    >>> bool(abs(sym.expectation(ring) - e0) / abs(e0) < 1e-3)
    True
    """

    _parameter_constraints: dict = {
        "hamiltonian": [None, _SpinOperator],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "param_dtype": [StrOptions({"auto", "real", "complex"})],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither"),
                          callable],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_chains": [None, Interval(Integral, 1, None, closed="left")],
        "n_sweeps": [Interval(Integral, 1, None, closed="left")],
        "sampler": [StrOptions({"auto", "local", "exchange", "gibbs", "exact"})],
        "diag_shift": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "dense", "minsr", "cg"})],
        "n_up": [StrOptions({"auto"}), None, Interval(Integral, 0, None, closed="left")],
        "marshall_sign": [StrOptions({"auto"}), "boolean"],
        "likelihood": [StrOptions({"auto", "exact", "pcd"})],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "init_std": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "phase_model": [StrOptions({"joint", "local"})],
        "binarize": [None, Interval(Real, None, None, closed="neither")],
        "symmetry": [None, StrOptions(set(SYMMETRIES))],
        "sector": [None, dict],
        "n_terms": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": ["verbose"],
        "callbacks": [None, list],
    }

    def __init__(self, hamiltonian=None, *, alpha=1.0, param_dtype="auto", learning_rate="auto",
                 max_iter=300, n_samples=1008, n_chains=None, n_sweeps=1, sampler="auto",
                 diag_shift=0.01, solver="auto", n_up="auto", marshall_sign="auto",
                 likelihood="auto", batch_size="auto", init_std="auto", phase_model="joint",
                 binarize=None, symmetry=None, sector=None, n_terms=1, random_state=None,
                 device="auto",
                 verbose=0, callbacks=None):
        self.hamiltonian = hamiltonian
        self.alpha = alpha
        self.param_dtype = param_dtype
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.n_samples = n_samples
        self.n_chains = n_chains
        self.n_sweeps = n_sweeps
        self.sampler = sampler
        self.diag_shift = diag_shift
        self.solver = solver
        self.n_up = n_up
        self.marshall_sign = marshall_sign
        self.likelihood = likelihood
        self.batch_size = batch_size
        self.init_std = init_std
        self.phase_model = phase_model
        self.binarize = binarize
        self.symmetry = symmetry
        self.sector = sector
        self.n_terms = n_terms
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------------------
    # fit: a driver (ground state or tomography) run by the shared iteration driver
    # ------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None, *, bases=None, orthogonal_to=None):
        """Find the ground state of ``hamiltonian``, or learn the state behind snapshots ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_spins) or None
            Tomography: measured configurations (``+1``/``-1`` or ``1``/``0``). Ignored when
            ``hamiltonian`` is set (it is accepted so that model-selection tools can pass it).
        y : None
            Ignored.
        bases : array-like of str of shape (n_samples,), default=None
            Tomography: the measurement basis of each snapshot, one letter ``X``, ``Y`` or ``Z``
            per spin (e.g. ``"ZZXZ"``); None means all ``Z``.
        orthogonal_to : list of (state, float) pairs, default=None
            Ground state: fitted states (``est._state()`` of earlier fits) and penalties
            ``lambda``: the fit minimises ``E + sum lambda |<psi_k|psi>|^2 / (norms)``, the
            next level up. Set by :class:`ExcitedStates`, which is the public way to use it.

        Returns
        -------
        self : RBMWavefunction
            The fitted estimator.
        """
        device = resolve_device(self.device, self)  # once per fit
        published, running = [], []
        try:
            with seeded(draw_seed(self.random_state), device), torch.no_grad():
                if self.hamiltonian is not None:
                    if bases is not None:
                        raise ValueError("bases describe tomography snapshots; a ground-state "
                                         "fit (hamiltonian set) takes none")
                    fitter = GroundStateFit(self, device, orthogonal_to)
                else:
                    if orthogonal_to:
                        raise ValueError("orthogonal_to needs a ground-state fit "
                                         "(hamiltonian set)")
                    if X is None:
                        raise ValueError("tomography needs data: call fit(X) or set "
                                         "hamiltonian=")
                    X = validate_data(self, X, dtype=np.float64)
                    sigma = _check_spins(X, self.binarize)
                    fitter = TomographyFit(self, sigma, _check_bases(bases, X.shape), device)
                self._check_unused(fitter)
                driver = IterationDriver(self, self.max_iter, callbacks=self.callbacks,
                                         verbose=self.verbose,
                                         desc=f"RBMWavefunction ({fitter.mode})")
                state = fitter.initial_state()

                def publish(st):
                    self._publish(fitter, st, driver, device)
                    published.append(True)

                running.append(True)
                driver.run(fitter.step, state, snapshot=fitter.snapshot,
                           restore=fitter.restore, publish=publish, healthy=fitter.healthy,
                           divergence_hint=fitter.divergence_hint)
        except BaseException as exc:
            if not published:  # nothing of this fit was kept: no half-fitted estimator
                discard_fitted_attributes(self)
                if isinstance(exc, KeyboardInterrupt) and not running:
                    warn_interrupted(self, 0, self.max_iter)
            raise
        return self

    def _check_unused(self, fitter):
        """Refuse a non-default value of a parameter the chosen fit does not use."""
        defaults = inspect.signature(type(self).__init__).parameters
        for name in fitter.unused:
            value, default = getattr(self, name), defaults[name].default
            if not (value is default or (type(value) is type(default) and value == default)
                    or (isinstance(value, Real) and isinstance(default, Real)
                        and not isinstance(value, bool) and value == default)):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} is not used by "
                    f"{_describe(fitter)}, so it must be left at its default {default!r} "
                    f"rather than silently ignored. Got {value!r} instead.")

    def _publish(self, fitter, state, driver, device):
        """Write ``state`` and the fit's records into the fitted attributes, all at once."""
        p = getattr(fitter, "public_params", lambda st: st.params)(state).numpy()
        self.intercept_visible_, self.intercept_hidden_, self.components_ = p["a"], p["b"], p["W"]
        N, M = fitter.n_sites, state.params.n_hidden
        self.n_features_in_, self.n_hidden_, self.n_parameters_ = N, M, N + M + N * M
        if isinstance(fitter, GroundStateFit):
            self.n_parameters_ = fitter.n_parameters(state)
            sym = state.sym
            q = sym.numpy() if sym is not None else dict.fromkeys("abw")
            self.filter_visible_bias_, self.filter_biases_, self.filters_ = (
                q["a"], q["b"], q["w"])
            self.symmetry_permutations_ = None if fitter.group is None else \
                fitter.group.perms.copy()
            group = fitter.projection_group
            self.sector_ = None if group is None else dict(self.sector)
            self.sector_permutations_ = None if group is None else group.perms.copy()
            self.sector_signs_ = None if group is None else group.signs.copy()
            self.sector_characters_ = None if group is None else fitter.characters.copy()
        self.n_terms_ = self.n_terms if isinstance(fitter, GroundStateFit) else 1
        self.n_up_ = fitter.n_up
        sub_a = state.sublattice_a
        self.marshall_sign_ = sub_a is not None
        self.marshall_sublattice_ = None if sub_a is None else sub_a.copy()
        self.device_ = device
        self.n_iter_ = driver.n_iter
        self.history_ = [row for row in driver.history_list() if "loss" in row]
        self.loss_curve_ = [float(row["loss"]) for row in self.history_]
        if isinstance(fitter, GroundStateFit):
            self.sampler_ = fitter.sampler
            self.solver_ = fitter.solver
            self.energy_curve_ = list(self.loss_curve_)
            mean, var, n = fitter.measure(state)
            self.energy_ = float(mean)
            self.energy_variance_ = float(var)
            self.energy_error_ = float(math.sqrt(max(var, 0.0) / n))
        else:
            self.likelihood_ = fitter.likelihood

    def _init_std(self, symmetric=False, group_ratio=1.0):
        """The standard deviation of the initial parameters, for ``"auto"``: 0.01, or for a
        symmetric RBM 0.1 (NetKet's ``RBMSymm``) times ``sqrt(N / |G|)`` (``group_ratio``),
        so that ``log psi`` spreads as much over configurations whatever the group's size
        (each weight enters ``|G| / N`` times more hidden units than under translations)."""
        if self.init_std == "auto":
            return 0.1 * math.sqrt(group_ratio) if symmetric else 0.01
        return float(self.init_std)

    def _step_size(self, it, default):
        """The learning rate of iteration ``it``: ``default`` for "auto", or the schedule's."""
        lr = self.learning_rate
        if isinstance(lr, str):
            return default
        if not callable(lr):
            return float(lr)
        value = lr(it)
        if (isinstance(value, bool) or not isinstance(value, Real)
                or not (math.isfinite(value) and value > 0)):
            raise ValueError(f"the learning_rate schedule returned {value!r} at iteration {it}; "
                             "it must return a positive finite number")
        return float(value)

    # ------------------------------------------------------------------------------
    # the fitted state
    # ------------------------------------------------------------------------------
    def _state(self):
        check_is_fitted(self)
        device = self.device_
        params = _rbm.RBMParams(*(torch.tensor(np.asarray(v), device=device) for v in
                                  (self.intercept_visible_, self.intercept_hidden_,
                                   self.components_)))
        chi = getattr(self, "sector_characters_", None)
        group = None
        if chi is not None:
            group = SymmetryGroup.__new__(SymmetryGroup)
            group.perms, group.signs = self.sector_permutations_, self.sector_signs_
        K = getattr(self, "n_terms_", 1)
        if K > 1:
            group = TermSum(K, self.n_features_in_, group)
            chi = group.characters(chi)
        if group is not None:
            return ProjectedState(params, Projection(group, chi), self.n_up_,
                                  self.marshall_sublattice_)
        return RBMState(params, self.n_up_, self.marshall_sublattice_)

    def _spins(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return _check_spins(X, self.binarize)

    def log_psi(self, X):
        """Logarithm of the (unnormalised) amplitude, ``log psi(sigma)``, complex.

        Includes the Marshall sign (``i pi`` on odd configurations) when it is applied.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_spins)
            Configurations.

        Returns
        -------
        log_psi : ndarray of shape (n_samples,), complex
            ``log |psi|`` in the real part and the phase in the imaginary part; ``-inf``
            outside the magnetisation sector of a state restricted to one (``n_up_``).
        """
        sigma = self._spins(X)
        with torch.no_grad():
            return self._state().log_psi(sigma)

    def score_samples(self, X, bases=None):
        """Log-probability of each configuration under ``|psi|^2`` (normalised).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_spins)
            Configurations.
        bases : array-like of str of shape (n_samples,), default=None
            Measurement basis of each configuration (``"XZZ..."``); None: all ``Z``.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            ``log |psi_b(sigma)|^2 / Z``; ``-inf`` outside the magnetisation sector of a
            ground state found with S^z-conserving moves.
        """
        sigma = self._spins(X)
        bases = _check_bases(bases, sigma.shape)
        with torch.no_grad():
            return self._state().log_prob(sigma, bases)

    def score(self, X, y=None, bases=None):
        """Mean log-likelihood of the configurations ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_spins)
            Configurations.
        y : None
            Ignored.
        bases : array-like of str of shape (n_samples,), default=None
            Measurement bases; None: all ``Z``.

        Returns
        -------
        score : float
            ``mean(score_samples(X))``.
        """
        return float(np.mean(self.score_samples(X, bases=bases)))

    def sample(self, n_samples=1, random_state=None):
        """Draw configurations from ``|psi|^2``.

        Exact (from the full sum) when the space has at most ``2^20`` states, Metropolis
        otherwise.

        Parameters
        ----------
        n_samples : int, default=1
            Number of configurations.
        random_state : int, RandomState instance or None, default=None
            Seed.

        Returns
        -------
        X : ndarray of shape (n_samples, n_spins)
            Configurations of ``+1`` and ``-1``.
        """
        check_is_fitted(self)
        _validate_args("sample", n_samples=n_samples, random_state=random_state)
        state = self._state()
        with seeded(draw_seed(random_state), self.device_), torch.no_grad():
            sigma = state.sample(int(n_samples))
        return sigma.cpu().numpy()

    def expectation(self, operator, n_samples=None, random_state=None, return_error=False):
        """Expectation value ``<psi|O|psi> / <psi|psi>`` of an operator.

        Summed exactly over the space when it has at most ``2^20`` states and ``n_samples`` is
        None; estimated from ``n_samples`` (default 10000) samples otherwise.

        Parameters
        ----------
        operator : Heisenberg, TransverseFieldIsing or PauliSum
            The observable, on ``n_features_in_`` spins.
        n_samples : int or None, default=None
            Monte Carlo samples; None for the exact sum where possible.
        random_state : int, RandomState instance or None, default=None
            Seed of the sampler.
        return_error : bool, default=False
            Also return the Monte Carlo standard error of the estimate (0.0 for the exact
            sum), as scikit-learn's ``return_std``: the standard deviation of the local
            values over ``sqrt(n_samples)`` for independent draws, the spread of the Markov
            chains' means over ``sqrt(n_chains)`` when each chain gives several samples.

        Returns
        -------
        value : float
            The real part of the expectation value.
        error : float
            Its standard error; only when ``return_error`` is True.
        """
        check_is_fitted(self)
        _validate_args("expectation", operator=operator, n_samples=n_samples,
                       random_state=random_state, return_error=return_error)
        if operator.n_sites != self.n_features_in_:
            raise ValueError(f"operator acts on {operator.n_sites} spins, the state has "
                             f"{self.n_features_in_}")
        state = self._state()
        with seeded(draw_seed(random_state), self.device_), torch.no_grad():
            return state.expectation(operator, n_samples, return_error=return_error)

    def fidelity(self, state, n_samples=None, random_state=None, return_error=False):
        """Fidelity ``|<phi|psi>|^2`` with an exact state ``phi`` (both normalised).

        Exact when the model's normaliser can be summed (``2^N`` or ``3^M`` at most
        ``2^20`` terms) and ``n_samples`` is None. Otherwise ``phi`` must lie in one
        magnetisation sector which, with its two neighbours, can be enumerated (the W
        state of 50 spins: 1 + 50 + 1225 states). Those three sectors are summed exactly,
        which bounds the fidelity from above; the weight outside them is the fraction of
        ``n_samples`` (default 10000) Markov chains, started from exact draws on the three
        sectors and run 50 sweeps, that end outside them.

        Parameters
        ----------
        state : ExactState or array-like of shape (2**n_spins,)
            An exact state (e.g. from :func:`exact_ground_state`), or amplitudes on the full
            basis (index ``c`` has spin ``j`` up iff bit ``j`` of ``c`` is set).
        n_samples : int or None, default=None
            Samples for the sector weight; None: the exact fidelity where possible.
        random_state : int, RandomState instance or None, default=None
            Seed of the sampler.
        return_error : bool, default=False
            Also return the standard error (0.0 for the exact value).

        Returns
        -------
        fidelity : float
            In ``[0, 1]``.
        error : float
            Only with ``return_error``.
        """
        check_is_fitted(self)
        validate_parameter_constraints(
            {"n_samples": [None, Interval(Integral, 1, None, closed="left")],
             "random_state": ["random_state"], "return_error": ["boolean"]},
            {"n_samples": n_samples, "random_state": random_state,
             "return_error": return_error},
            caller_name="RBMWavefunction.fidelity")
        N = self.n_features_in_
        if isinstance(state, ExactState):
            codes, phi = np.asarray(state.codes), np.asarray(state.psi)
            if state.n_sites != N or len(codes) != len(phi) or (
                    len(codes) and (codes.min() < 0 or codes.max() >= 2**N)):
                raise ValueError(f"state is an ExactState of {state.n_sites} spins with "
                                 f"{len(phi)} amplitudes on {len(codes)} codes; the model has "
                                 f"{N} spins")
        else:
            if N > 30:
                raise ValueError(f"state as 2**{N} amplitudes is too large: pass an "
                                 "ExactState (amplitudes on the codes of a sector)")
            try:
                phi = np.asarray(state, dtype=complex)
            except (TypeError, ValueError):
                raise ValueError("state must be an ExactState or an array of 2**n_spins "
                                 f"amplitudes, got {type(state).__name__}") from None
            if phi.shape != (2**N,):
                raise ValueError(f"state must have 2**{N} = {2**N} amplitudes, got shape "
                                 f"{phi.shape}")
            codes = np.arange(2**N)
        if not np.all(np.isfinite(phi)):
            raise ValueError("state contains NaN or infinity")
        if not np.any(phi != 0):
            raise ValueError("state is the zero vector: it has no fidelity")
        state = self._state()
        exact = n_samples is None
        if exact:
            try:
                with torch.no_grad():
                    state.log_norm()
            except ValueError:
                exact = False
        if exact:
            with torch.no_grad():
                f = state.fidelity(codes, phi)
            return (f, 0.0) if return_error else f
        keep = phi != 0
        with seeded(draw_seed(random_state), self.device_), torch.no_grad():
            f, err, _ = state.sector_fidelity(np.asarray(codes)[keep], phi[keep],
                                              10000 if n_samples is None else int(n_samples))
        return (f, err) if return_error else f

    def renyi_entropy(self, subsystem, n_samples=None, random_state=None,
                      return_error=False):
        """Rényi-2 entanglement entropy ``S_2 = -log Tr rho_A^2`` of a bipartition.

        Exact (the Schmidt values of the model's amplitude vector, by SVD) when the space has
        at most ``2^20`` states and ``n_samples`` is None; otherwise the replica swap
        estimator (Hastings et al. 2010, as in Torlai et al. 2018): two independent sets of
        ``n_samples`` configurations ``(a, b)``, ``(a', b')`` from ``|psi|^2``, and
        ``Tr rho_A^2`` as the mean of ``psi(a', b) psi(a, b') / (psi(a, b) psi(a', b'))``.

        Parameters
        ----------
        subsystem : int or array-like of int
            ``k``: the first ``k`` spins (the cut after spin ``k - 1``); or the spins of
            ``A``.
        n_samples : int or None, default=None
            Pairs of samples for the swap estimator; None: the exact value where possible,
            else 10000.
        random_state : int, RandomState instance or None, default=None
            Seed of the sampler.
        return_error : bool, default=False
            Also return the standard error (0.0 for the exact value): the standard error of
            the mean swap ratio divided by the mean.

        Returns
        -------
        s2 : float
            The entropy (natural logarithm); ``inf`` if no sampled pair overlapped.
        error : float
            Only with ``return_error``.

        Examples
        --------
        >>> from skphys.datasets import make_quantum_snapshots
        >>> from skphys.quantum import RBMWavefunction
        >>> X, _ = make_quantum_snapshots(2000, state="ghz", n_sites=6, random_state=0)
        >>> psi = RBMWavefunction(max_iter=200, random_state=0).fit(X)
        >>> round(psi.renyi_entropy(3), 2)   # GHZ: log 2 for every cut
        0.69
        >>> s2, err = psi.renyi_entropy(3, n_samples=4000, random_state=0, return_error=True)
        >>> bool(abs(s2 - 0.693) < 4 * err + 0.02)
        True
        """
        from ._entropy import check_subsystem, state_renyi_entropy

        check_is_fitted(self)
        validate_parameter_constraints(
            {"n_samples": [None, Interval(Integral, 2, None, closed="left")],
             "random_state": ["random_state"], "return_error": ["boolean"]},
            {"n_samples": n_samples, "random_state": random_state,
             "return_error": return_error},
            caller_name="RBMWavefunction.renyi_entropy")
        sites = check_subsystem(subsystem, self.n_features_in_)
        state = self._state()
        with seeded(draw_seed(random_state), self.device_), torch.no_grad():
            s2, err = state_renyi_entropy(state, sites, n_samples)
        return (s2, err) if return_error else s2

    # ------------------------------------------------------------------------------
    # tags and persistence
    # ------------------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # from the parameter only: tags never query the hardware (nor raise)
        device = getattr(self, "device_", self.device)
        tags.non_deterministic = str(device).startswith("cuda")
        return tags

    def __getstate__(self):
        state = dict(super().__getstate__())
        if "device_" in state:
            state["device_"] = to_portable(state["device_"])
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "device_" in state:
            state["device_"] = device_for_loading(from_portable(state["device_"]))
        self.__dict__.update(state)


def neg_energy_scorer(estimator, X=None, y=None):
    """Scorer for model selection of ground states: ``-estimator.energy_`` (higher is better).

    Use as ``GridSearchCV(RBMWavefunction(hamiltonian=H), grid, scoring=neg_energy_scorer,
    cv=[(idx, idx)])`` with any small ``X``: the ground-state fit ignores the data.
    """
    check_is_fitted(estimator)
    if not hasattr(estimator, "energy_"):
        raise ValueError("neg_energy_scorer scores ground-state fits (hamiltonian set); this "
                         "estimator was fitted to data: score it with its log-likelihood")
    return -float(estimator.energy_)


# ------------------------------------------------------------------------------------
# input validation
# ------------------------------------------------------------------------------------
def _check_spins(X, binarize=None):
    """Snapshots as a float64 tensor of +-1: above ``binarize`` is up, or (None) ``X`` must
    hold +1/-1 or 1/0 entries only."""
    if binarize is not None:
        return torch.from_numpy(np.where(X > binarize, 1.0, -1.0))
    up = X == 1
    if np.all(up | (X == -1)) or np.all(up | (X == 0)):
        return torch.from_numpy(np.where(up, 1.0, -1.0))
    other = X[~(up | (X == -1) | (X == 0))]
    if other.size:
        raise ValueError(f"X must hold spin configurations, +1/-1 or 1/0 entries; got "
                         f"{other.size} other entries, e.g. {float(other.flat[0])!r} (set "
                         "binarize=threshold to read measured values as spins)")
    raise ValueError("X holds -1, 0 and 1 together: spin-1/2 configurations are +1/-1 or "
                     "1/0, not both in one array")


def _check_bases(bases, shape):
    if bases is None:
        return None
    bases = np.asarray(bases)
    if bases.shape != (shape[0],):
        raise ValueError(f"bases must have one entry per sample, shape ({shape[0]},); got "
                         f"shape {bases.shape}")
    if bases.dtype.kind not in "US":
        raise ValueError(f"bases must be strings of {shape[1]} letters X, Y or Z, got an "
                         f"array of dtype {bases.dtype}")
    bases = np.char.upper(bases.astype(str))
    for b in np.unique(bases):
        if len(b) != shape[1] or set(b) - set("XYZ"):
            raise ValueError(f"bases: bad basis {str(b)!r}: each basis must be {shape[1]} letters "
                             "from X, Y, Z (one per spin)")
    return bases


_METHOD_CONSTRAINTS = {
    "n_samples": {"sample": [Interval(Integral, 1, None, closed="left")],
                  "expectation": [None, Interval(Integral, 1, None, closed="left")]},
    "random_state": {"sample": ["random_state"], "expectation": ["random_state"]},
    "operator": {"expectation": [_SpinOperator]},
    "return_error": {"expectation": ["boolean"]},
}


def _validate_args(method, **params):
    """scikit-learn's parameter validation for a method's arguments."""
    constraints = {k: _METHOD_CONSTRAINTS[k][method] for k in params}
    validate_parameter_constraints(constraints, params,
                                   caller_name=f"RBMWavefunction.{method}")


def _describe(fitter):
    if isinstance(fitter, GroundStateFit):
        extra = " with sampler='exact'" if fitter.sampler == "exact" else ""
        return f"a ground-state fit (hamiltonian set){extra}"
    return (f"tomography (fit(X) without a hamiltonian) with the {fitter.likelihood} "
            "likelihood")

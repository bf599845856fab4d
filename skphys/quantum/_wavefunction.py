"""RBMWavefunction: neural-network quantum states as a scikit-learn density model."""

import math
import sys
import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch.optim.adam import adam as adam_update

from ..base import DivergenceError
from ..utils._torch import draw_seed, resolve_device, seeded
from . import _rbm
from ._operators import BASIS_ROTATIONS, ExactState, Heisenberg, _SpinOperator, codes_to_spins

__all__ = ["RBMWavefunction", "neg_energy_scorer"]

#: largest space summed over exactly (states) for normalisers, sampling and expectations
_EXACT_LIMIT = 2**20
#: largest space for which the tomography likelihood is exact by default
_EXACT_FIT_LIMIT = 2**16


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
    ``expectation(operator)`` and ``fidelity(state)``.

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
        Step size: of stochastic reconfiguration (``"auto"``: 0.025) or of Adam for tomography
        (``"auto"``: 0.05 for the exact likelihood, 0.01 for persistent contrastive divergence).
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
        contrastive divergence (tomography).
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
        Added to the diagonal of the stochastic-reconfiguration matrix ``S``.
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
        sum has at most ``2^16`` terms.
    batch_size : int or "auto", default="auto"
        Mini-batch of persistent contrastive divergence; ``"auto"``: ``min(n_samples, 1000)``.
        The exact likelihood always uses the whole data set (one Adam step per epoch, on the
        distinct configurations weighted by their counts).
    init_std : float, default=0.01
        Standard deviation of the random initial parameters.
    random_state : int, RandomState instance or None, default=None
        Seeds parameters and samplers.
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA when available.
    verbose : int, default=0
        Print progress (about ten lines per fit).

    Attributes
    ----------
    intercept_visible_ : ndarray of shape (`n_features_in_`,)
        Visible biases ``a``.
    intercept_hidden_ : ndarray of shape (`n_hidden_`,)
        Hidden biases ``b``.
    components_ : ndarray of shape (`n_hidden_`, `n_features_in_`)
        Weights ``W``.
    n_features_in_ : int
        Number of spins ``N``.
    n_hidden_ : int
        Number of hidden units ``M``.
    n_parameters_ : int
        ``N + M + N M`` (complex parameters count once).
    n_up_ : int or None
        Spins up in the magnetisation sector the state lives in, or None (the full space).
    marshall_sign_ : bool
        Whether the Marshall sign rule is applied.
    n_iter_ : int
        Iterations (epochs) run.
    energy_ : float
        Ground state: energy estimated from ``n_samples`` samples of the final state.
    energy_error_ : float
        Its Monte Carlo standard error.
    energy_variance_ : float
        Variance of the local energy (zero for an exact eigenstate).
    energy_curve_ : list of float
        Ground state: energy estimate at every iteration.
    loss_curve_ : list of float
        Tomography: negative log-likelihood per epoch (exact likelihood) or the persistent
        contrastive-divergence estimate of it up to the normaliser.

    See Also
    --------
    Heisenberg, TransverseFieldIsing : Hamiltonians.
    exact_ground_state : exact references.
    skphys.datasets.make_quantum_snapshots : measurement data for tomography.

    Notes
    -----
    A configuration ``sigma`` is read from a row of ``X`` as ``+1`` where the entry is positive
    and ``-1`` elsewhere, so ``+1``/``-1`` and ``1``/``0`` data are both accepted.

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
        "n_up": [StrOptions({"auto"}), None, Interval(Integral, 0, None, closed="left")],
        "marshall_sign": [StrOptions({"auto"}), "boolean"],
        "likelihood": [StrOptions({"auto", "exact", "pcd"})],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "init_std": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "device": [str],
        "verbose": ["verbose"],
    }

    #: private hook ``callback(n_iter, params)`` called after every ground-state iteration
    #: (used by the benchmark to snapshot the state at checkpoints within one fit)
    _callback = None

    def __init__(self, hamiltonian=None, *, alpha=1.0, param_dtype="auto", learning_rate="auto",
                 max_iter=300, n_samples=1008, n_chains=None, n_sweeps=1, sampler="auto",
                 diag_shift=0.01, n_up="auto", marshall_sign="auto", likelihood="auto",
                 batch_size="auto", init_std=0.01, random_state=None, device="auto", verbose=0):
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
        self.n_up = n_up
        self.marshall_sign = marshall_sign
        self.likelihood = likelihood
        self.batch_size = batch_size
        self.init_std = init_std
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------------------
    # fit
    # ------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None, *, bases=None):
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

        Returns
        -------
        self : RBMWavefunction
            The fitted estimator.
        """
        device = resolve_device(self.device)
        seed = draw_seed(self.random_state)
        with seeded(seed, device), torch.no_grad():
            if self.hamiltonian is not None:
                self._fit_ground_state(device)
            else:
                if X is None:
                    raise ValueError("tomography needs data: call fit(X) or set hamiltonian=")
                X = validate_data(self, X, dtype=np.float64)
                self._fit_tomography(_spins(X), _check_bases(bases, X.shape), device)
        return self

    # ---- common set-up ------------------------------------------------------------
    def _setup(self, n_sites, complex_params):
        self.n_features_in_ = n_sites
        self.n_hidden_ = max(1, math.ceil(self.alpha * n_sites - 1e-9))
        if self.param_dtype != "auto":
            complex_params = self.param_dtype == "complex"
        self._dtype = torch.complex128 if complex_params else torch.float64
        self.n_parameters_ = n_sites + self.n_hidden_ + n_sites * self.n_hidden_

    def _store(self, params):
        p = params.numpy()
        self.intercept_visible_, self.intercept_hidden_, self.components_ = p["a"], p["b"], p["W"]

    def _params(self, device=None):
        device = resolve_device(self.device) if device is None else device
        return _rbm.RBMParams(*(torch.tensor(np.asarray(v), device=device) for v in
                                (self.intercept_visible_, self.intercept_hidden_,
                                 self.components_)))

    def _step_size(self, it, default):
        """The learning rate of iteration ``it``: ``default`` for "auto", or the schedule's."""
        lr = self.learning_rate
        if isinstance(lr, str):
            return default
        if not callable(lr):
            return float(lr)
        value = lr(it)
        if not (isinstance(value, Real) and math.isfinite(value) and value > 0):
            raise ValueError(f"the learning_rate schedule returned {value!r} at iteration {it}; "
                             "it must return a positive finite number")
        return float(value)

    def _progress(self, it, msg, t0):
        if self.verbose and (it == 0 or (it + 1) % max(1, self.max_iter // 10) == 0
                             or it + 1 == self.max_iter):
            print(f"[RBMWavefunction] iter {it + 1:5d}/{self.max_iter}  {msg}  "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stdout, flush=True)

    # ---- ground state -------------------------------------------------------------
    def _fit_ground_state(self, device):
        H = self.hamiltonian
        N = H.n_sites
        if self.marshall_sign == "auto":
            marshall = isinstance(H, Heisenberg) and H.bipartite and H.J > 0
        else:
            marshall = bool(self.marshall_sign)
        self.marshall_sign_ = marshall
        stoquastic = H.is_stoquastic(marshall) if hasattr(H, "is_stoquastic") else False
        self._setup(N, not stoquastic)
        sampler = self.sampler
        n_up = self.n_up
        if n_up is not None and n_up != "auto":
            if not H.conserves_sz:
                raise ValueError(f"n_up={n_up} needs a Hamiltonian that conserves S^z_total")
            if n_up > N:
                raise ValueError(f"n_up={n_up} is larger than the number of spins, {N}")
            if sampler in ("local", "gibbs"):
                raise ValueError(f"sampler={sampler!r} leaves the n_up sector: use 'exchange' "
                                 "or 'exact'")
        if sampler == "auto":
            in_sector = H.conserves_sz and N >= 2 and n_up is not None
            sampler = _default_sampler(in_sector, self._dtype.is_complex)
        if sampler == "exchange" and not H.conserves_sz:
            raise ValueError("sampler='exchange' needs a Hamiltonian that conserves S^z_total")
        if sampler == "exchange" and n_up is None:
            raise ValueError("sampler='exchange' keeps each chain in its magnetisation sector: "
                             "choose one with n_up (or 'auto'), or use sampler='local'")
        if sampler == "gibbs" and self._dtype.is_complex:
            raise ValueError("sampler='gibbs' needs real parameters (param_dtype='real', or "
                             "'auto' with a stoquastic Hamiltonian)")
        self.sampler_ = sampler
        if H.conserves_sz and sampler in ("exchange", "exact") and n_up is not None:
            self.n_up_ = N // 2 if n_up == "auto" else int(n_up)
        else:
            self.n_up_ = None
        sub_a = torch.as_tensor(_sublattice_a(H), device=device) if marshall else None
        bound = H.norm_bound()

        params = _rbm.RBMParams.init(N, self.n_hidden_, self.init_std, self._dtype, device)
        draw = self._make_drawer(params, sampler, device)
        self.energy_curve_, self.n_iter_ = [], 0
        good = params.clone()
        workspace = {}
        t0 = time.perf_counter()
        extra = 0
        for it in range(self.max_iter):
            sigma, th, t = draw(params, extra)
            E = _rbm.local_energy(H, params, sigma, th, t, sub_a, workspace)
            e_mean, e_var = _mean_var(E)
            if not _healthy(e_mean, e_var, bound):
                self._store(good)
                self._finish_energy(e_mean, e_var, len(E))
                raise DivergenceError(
                    f"RBMWavefunction diverged at iteration {it + 1}: energy {e_mean:.6g}, "
                    f"variance {e_var:.6g} (|H| <= {bound:.6g}). The parameters of the last "
                    "good iteration are kept; lower learning_rate, raise diag_shift or "
                    "n_samples, or use real parameters with the Marshall sign.")
            delta = _rbm.natural_gradient(params, sigma, th, t, E, self.diag_shift, workspace)
            if not bool(torch.isfinite(delta).all()):
                self._store(good)
                self._finish_energy(e_mean, e_var, len(E))
                raise DivergenceError(
                    f"RBMWavefunction diverged at iteration {it + 1}: the stochastic "
                    "reconfiguration step is not finite; the last good parameters are kept.")
            good = params.clone()
            step = self._step_size(it, 0.025)
            params.add_(-step * delta)
            extra = _lag_sweeps(workspace["O"], delta, step)
            self.energy_curve_.append(e_mean)
            self.n_iter_ = it + 1
            if self._callback is not None:  # benchmarks: snapshot the state while fitting
                self._callback(it + 1, params)
            self._progress(it, f"E = {e_mean:.8g} +- {math.sqrt(e_var / len(E)):.2g}  "
                               f"var = {e_var:.3g}", t0)
        self._store(params)
        sigma, th, t = draw(params)
        E = _rbm.local_energy(H, params, sigma, th, t, sub_a)
        self._finish_energy(*_mean_var(E), len(E))

    def _finish_energy(self, mean, var, n):
        self.energy_ = float(mean)
        self.energy_variance_ = float(var)
        self.energy_error_ = float(math.sqrt(max(var, 0.0) / n))

    def _make_drawer(self, params, sampler, device):
        """A function ``params -> (sigma, theta, tanh theta)`` drawing ``n_samples`` samples."""
        N = params.n_visible
        if sampler == "exact":
            space = _rbm.Space(N, self.n_up_, device)
            if len(space) > _EXACT_LIMIT:
                raise ValueError(f"sampler='exact' needs a space of at most {_EXACT_LIMIT} "
                                 f"states, this one has {len(space)}")

            def draw(p, extra=0):
                logp = 2.0 * _rbm.chunked_log_psi(p, space.sigma).real
                idx = torch.multinomial(torch.softmax(logp, 0), self.n_samples, replacement=True)
                sigma = space.sigma[idx]
                th = _rbm.theta(p, sigma)
                return sigma, th, torch.tanh(th)

            return draw
        n_chains = self.n_samples if self.n_chains is None else self.n_chains
        per_chain = math.ceil(self.n_samples / n_chains)
        chains = _rbm.Chains.random(params, n_chains, N, self.n_up_, device)
        _rbm.advance(params, chains, 20, sampler)  # burn-in

        def draw(p, extra=0):
            out = []
            for _ in range(per_chain):
                _rbm.advance(p, chains, self.n_sweeps + extra, sampler)
                out.append((chains.sigma, chains.theta, chains.t))
            if per_chain == 1:
                return out[0]
            return tuple(torch.cat(z)[: self.n_samples] for z in zip(*out))

        return draw

    # ---- tomography ---------------------------------------------------------------
    def _fit_tomography(self, sigma, bases, device):
        N = sigma.shape[1]
        multi = bases is not None and any(set(b) - {"Z"} for b in np.unique(bases))
        self._setup(N, multi)
        self.marshall_sign_ = False
        self.n_up_ = None if self.n_up == "auto" else self.n_up
        if self.n_up_ is not None:
            if multi:
                raise ValueError("n_up restricts the state to a magnetisation sector, which "
                                 "snapshots in rotated bases leave: use Z snapshots only")
            ups = (sigma > 0).sum(1).numpy()
            if np.any(ups != self.n_up_):
                raise ValueError(f"n_up={self.n_up_}, but {int(np.sum(ups != self.n_up_))} of "
                                 f"{len(ups)} snapshots have another number of spins up")
        complex_params = self._dtype.is_complex
        method = self.likelihood
        norm = _norm_method(N, self.n_hidden_, complex_params, n_up=self.n_up_)
        if method == "auto":
            method = "exact" if norm is not None else "pcd"
        if method == "exact" and norm is None:
            raise ValueError(
                f"likelihood='exact' needs 2^N (or C(N, n_up)) or 3^M (real parameters) at "
                f"most {_EXACT_FIT_LIMIT} terms; N={N}, M={self.n_hidden_}: use "
                "likelihood='pcd'")
        if method == "pcd" and multi:
            raise ValueError("snapshots in several bases need likelihood='exact'")
        self.likelihood_ = method
        params = _rbm.RBMParams.init(N, self.n_hidden_, self.init_std, self._dtype, device)
        leaves = [p.requires_grad_() for p in params.tensors()]
        lr0 = 0.05 if method == "exact" else 0.01
        opt = _Adam(leaves, lr=self._step_size(0, lr0))
        self.loss_curve_, self.n_iter_ = [], 0
        t0 = time.perf_counter()
        if method == "exact":
            groups = _group_by_basis(sigma, bases, device)
            space = _rbm.Space(N, self.n_up_, device) if norm == "visible" else None
            n_total = sum(w.sum() for _, w in groups)
            for it in range(self.max_iter):
                opt.lr = self._step_size(it, lr0)
                with torch.enable_grad():
                    log_z = _log_norm(params, norm, space)
                    nll = log_z.clone()
                    for outcomes, w in groups:
                        nll = nll - (w * outcomes.log_prob(params)).sum() / n_total
                    nll.backward()
                opt.step()
                self.loss_curve_.append(float(nll))
                self.n_iter_ = it + 1
                self._progress(it, f"NLL = {float(nll):.6f}", t0)
        else:
            data = sigma.to(device)
            n = len(data)
            bs = min(n, 1000) if self.batch_size == "auto" else min(n, self.batch_size)
            frozen = _rbm.RBMParams(*(p.detach() for p in leaves))
            chains = _rbm.Chains.random(frozen, self.n_samples, N, self.n_up_, device)
            sampler = _default_sampler(self.n_up_ is not None, complex_params)
            _rbm.advance(frozen, chains, 20, sampler)
            for it in range(self.max_iter):
                opt.lr = self._step_size(it, lr0)
                perm = torch.randperm(n, device=device)
                total = 0.0
                for start in range(0, n, bs):
                    batch = data[perm[start : start + bs]]
                    _rbm.advance(frozen, chains, self.n_sweeps, sampler)
                    with torch.enable_grad():
                        pos = 2.0 * _rbm.log_psi(params, batch).real.mean()
                        neg = 2.0 * _rbm.log_psi(params, chains.sigma).real.mean()
                        loss = neg - pos
                        loss.backward()
                    opt.step()
                    total += float(-pos) * len(batch)
                self.loss_curve_.append(total / n)
                self.n_iter_ = it + 1
                self._progress(it, f"-<log|psi|^2>_data = {total / n:.6f}", t0)
        for p in leaves:
            p.requires_grad_(False)
        self._store(params)

    # ------------------------------------------------------------------------------
    # the fitted state
    # ------------------------------------------------------------------------------
    def _validate(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return _spins(X)

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
            ``log |psi|`` in the real part and the phase in the imaginary part.
        """
        sigma = self._validate(X)
        device = resolve_device(self.device)
        with torch.no_grad():
            out = _rbm.chunked_log_psi(self._params(device), sigma.to(device)).cpu().numpy()
        out = out.astype(complex)
        if self.marshall_sign_:
            odd = ((sigma.numpy() > 0) & _sublattice_a(self.hamiltonian)).sum(1) % 2
            out = out + 1j * np.pi * odd
        return out

    def _log_norm(self):
        """``log sum |psi|^2`` over the model's space."""
        device = resolve_device(self.device)
        params = self._params(device)
        N = self.n_features_in_
        with torch.no_grad():
            if self.n_up_ is not None:
                if self._space_size() > _EXACT_LIMIT:
                    raise ValueError(
                        f"the normaliser over the sector of {self.n_up_} up spins out of {N} "
                        f"({self._space_size()} states) is intractable; use sample() or "
                        "expectation(), which do not need it")
                space = _rbm.Space(N, self.n_up_, device)
                val = torch.logsumexp(2.0 * _rbm.chunked_log_psi(params, space.sigma).real, 0)
            else:
                norm = _norm_method(N, self.n_hidden_, params.dtype.is_complex, _EXACT_LIMIT)
                if norm is None:
                    raise ValueError(
                        f"the normaliser of {N} spins and {self.n_hidden_} hidden units is "
                        "intractable (more than 2^20 terms over either layer); use sample() "
                        "or expectation(), which do not need it")
                space = _rbm.Space(N, self.n_up_, device) if norm == "visible" else None
                val = _log_norm(params, norm, space)
        return float(val)

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
        sigma = self._validate(X)
        bases = _check_bases(bases, sigma.shape)
        log_z = self._log_norm()
        device = resolve_device(self.device)
        params = self._params(device)
        out = np.empty(len(sigma))
        with torch.no_grad():
            if bases is None:
                out[:] = 2.0 * _rbm.chunked_log_psi(params, sigma.to(device)).real.cpu().numpy()
            else:
                for b in np.unique(bases):
                    rows = np.flatnonzero(bases == b)
                    lp = _log_prob_basis(params, b, sigma[rows].to(device))
                    out[rows] = lp.cpu().numpy()
        out -= log_z
        if self.n_up_ is not None:
            out[(sigma.numpy() > 0).sum(1) != self.n_up_] = -np.inf
        return out

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
        device = resolve_device(self.device)
        seed = draw_seed(check_random_state(random_state))
        with seeded(seed, device), torch.no_grad():
            sigma = self._sample(int(n_samples), device)
        return sigma.cpu().numpy()

    def _space_size(self):
        N = self.n_features_in_
        return math.comb(N, self.n_up_) if self.n_up_ is not None else 2**N

    def _sample(self, n, device, n_sweeps=None):
        params = self._params(device)
        N = self.n_features_in_
        if self._space_size() <= _EXACT_LIMIT:
            space = _rbm.Space(N, self.n_up_, device)
            logp = 2.0 * _rbm.chunked_log_psi(params, space.sigma).real
            idx = torch.multinomial(torch.softmax(logp, 0), n, replacement=True)
            return space.sigma[idx]
        n_chains = min(n, 1000)
        sampler = _default_sampler(self.n_up_ is not None, params.dtype.is_complex)
        chains = _rbm.Chains.random(params, n_chains, N, self.n_up_, device)
        _rbm.advance(params, chains, 50, sampler)
        out = []
        for _ in range(math.ceil(n / n_chains)):
            _rbm.advance(params, chains, n_sweeps or 2, sampler)
            out.append(chains.sigma.clone())
        return torch.cat(out)[:n]

    def expectation(self, operator, n_samples=None, random_state=None):
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

        Returns
        -------
        value : float
            The real part of the expectation value.
        """
        check_is_fitted(self)
        if operator.n_sites != self.n_features_in_:
            raise ValueError(f"operator acts on {operator.n_sites} spins, the state has "
                             f"{self.n_features_in_}")
        device = resolve_device(self.device)
        params = self._params(device)
        sub_a = (torch.as_tensor(_sublattice_a(self.hamiltonian), device=device)
                 if self.marshall_sign_ else None)
        with torch.no_grad():
            if n_samples is None and self._space_size() <= _EXACT_LIMIT:
                space = _rbm.Space(self.n_features_in_, self.n_up_, device)
                total, weight_sum, logs = 0.0, 0.0, []
                chunk = 1 << 14
                for s in range(0, len(space), chunk):
                    logs.append(2.0 * _rbm.chunked_log_psi(params, space.sigma[s:s + chunk]).real)
                logp = torch.cat(logs)
                w = torch.softmax(logp, 0)
                for s in range(0, len(space), chunk):
                    sig = space.sigma[s : s + chunk]
                    th = _rbm.theta(params, sig)
                    e = _rbm.local_energy(operator, params, sig, th, torch.tanh(th), sub_a)
                    total += float((w[s : s + chunk] * e.real).sum())
                    weight_sum += float(w[s : s + chunk].sum())
                return total / weight_sum
            seed = draw_seed(check_random_state(random_state))
            with seeded(seed, device):
                sig = self._sample(10000 if n_samples is None else int(n_samples), device)
            th = _rbm.theta(params, sig)
            e = _rbm.local_energy(operator, params, sig, th, torch.tanh(th), sub_a)
            return float(e.real.mean())

    def fidelity(self, state):
        """Fidelity ``|<phi|psi>|^2`` with an exact state ``phi`` (both normalised).

        Parameters
        ----------
        state : ExactState or array-like of shape (2**n_spins,)
            An exact state (e.g. from :func:`exact_ground_state`), or amplitudes on the full
            basis (index ``c`` has spin ``j`` up iff bit ``j`` of ``c`` is set).

        Returns
        -------
        fidelity : float
            In ``[0, 1]``.
        """
        check_is_fitted(self)
        N = self.n_features_in_
        if isinstance(state, ExactState):
            codes, phi = state.codes, np.asarray(state.psi)
        else:
            phi = np.asarray(state)
            if phi.shape != (2**N,):
                raise ValueError(f"state must have 2**{N} amplitudes, got shape {phi.shape}")
            codes = np.arange(2**N)
        log_psi = self.log_psi(codes_to_spins(codes, N).astype(np.float64))
        log_z = self._log_norm()
        m = log_psi.real.max()
        psi = np.exp(log_psi - m)
        overlap = np.vdot(phi, psi)
        return float(abs(overlap) ** 2 / (np.vdot(phi, phi).real * np.exp(log_z - 2 * m)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = resolve_device(self.device).type == "cuda"
        return tags


def neg_energy_scorer(estimator, X=None, y=None):
    """Scorer for model selection of ground states: ``-estimator.energy_`` (higher is better).

    Use as ``GridSearchCV(RBMWavefunction(hamiltonian=H), grid, scoring=neg_energy_scorer,
    cv=[(idx, idx)])`` with any small ``X``: the ground-state fit ignores the data.
    """
    return -float(estimator.energy_)


# ------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------
class _Adam:
    """Adam through :func:`torch.optim.adam.adam`, the function ``torch.optim.Adam.step`` runs.

    Calling it directly skips ``Optimizer.step``'s bookkeeping and, on first use, the import of
    ``torch._dynamo`` that it triggers (about 4 s, longer than a small tomography fit).
    """

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.steps = [torch.zeros((), dtype=torch.float64) for _ in params]

    def step(self):
        grads = [p.grad for p in self.params]
        with torch.no_grad():
            adam_update(self.params, grads, self.m, self.v, [], self.steps, amsgrad=False,
                        has_complex=any(p.is_complex() for p in self.params),
                        beta1=self.betas[0], beta2=self.betas[1], lr=self.lr, weight_decay=0.0,
                        eps=self.eps, maximize=False, foreach=None, capturable=False,
                        differentiable=False, fused=None, grad_scale=None, found_inf=None,
                        decoupled_weight_decay=False)
        for p in self.params:
            p.grad = None


def _default_sampler(in_sector, complex_params):
    """Exchange moves in a magnetisation sector; else block Gibbs, or single flips for complex
    parameters (Gibbs needs a positive amplitude)."""
    if in_sector:
        return "exchange"
    return "local" if complex_params else "gibbs"


def _lag_sweeps(Oc, delta, step):
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


def _spins(X):
    return torch.from_numpy(np.where(np.asarray(X) > 0, 1.0, -1.0))


def _sublattice_a(H):
    return np.asarray(H.sublattice) == 0


def _mean_var(E):
    e = E.real if E.is_complex() else E
    return float(e.mean()), float(e.var()) if len(e) > 1 else 0.0


def _healthy(mean, var, bound):
    return (math.isfinite(mean) and math.isfinite(var) and abs(mean) <= 1.5 * bound + 1e-9
            and var <= 100.0 * bound**2 + 1e-9)


def _check_bases(bases, shape):
    if bases is None:
        return None
    bases = np.asarray(bases).astype(str)
    if bases.shape != (shape[0],):
        raise ValueError(f"bases must have one entry per sample, got shape {bases.shape}")
    for b in np.unique(bases):
        if len(b) != shape[1] or set(b.upper()) - set("XYZ"):
            raise ValueError(f"bad basis {b!r}: need {shape[1]} letters from X, Y, Z")
    return np.char.upper(bases)


def _norm_method(N, M, complex_params, limit=_EXACT_FIT_LIMIT, n_up=None):
    if n_up is not None:
        return "visible" if math.comb(N, n_up) <= limit else None
    if 2**N <= limit:
        return "visible"
    if not complex_params and 3**M <= limit:
        return "hidden"
    return None


def _log_norm(params, method, space):
    if method == "visible":
        return torch.logsumexp(2.0 * _rbm.chunked_log_psi(params, space.sigma).real, 0)
    return _rbm.log_norm_hidden(params)


def _group_by_basis(sigma, bases, device):
    """Unique (basis, configuration) pairs with their counts."""
    if bases is None:
        bases = np.full(len(sigma), "Z" * sigma.shape[1])
    groups = []
    spins = sigma.numpy().astype(np.int8)
    for b in np.unique(bases):
        uniq, counts = np.unique(spins[bases == b], axis=0, return_counts=True)
        groups.append((_RotatedOutcomes(b, torch.as_tensor(uniq, dtype=torch.float64,
                                                           device=device)),
                       torch.as_tensor(counts, dtype=torch.float64, device=device)))
    return groups


def _log_prob_basis(params, basis, sigma):
    """``log |psi_b(sigma)|^2`` (unnormalised) of outcomes ``sigma`` measured in ``basis``."""
    return _RotatedOutcomes(basis, sigma).log_prob(params)


class _RotatedOutcomes:
    """Outcomes ``sigma`` measured in ``basis``, prepared once for repeated likelihoods.

    ``psi_b(sigma) = sum_tau prod_r U_b[sigma_r, tau_r] psi(sigma with the rotated sites set to
    tau)``: the ``2^k`` configurations (``k`` rotated sites) and the log-coefficients are
    tabulated here, so each evaluation is one batched ``log psi`` and a log-sum-exp.
    """

    def __init__(self, basis, sigma):
        self.sigma = sigma
        rot = [j for j, c in enumerate(basis) if c != "Z"]
        self.rotated = bool(rot)
        if not rot:
            return
        k, n, N = len(rot), len(sigma), sigma.shape[1]
        dev = sigma.device
        local = torch.cartesian_prod(*[torch.tensor([-1.0, 1.0], dtype=torch.float64)] * k)
        local = local.reshape(-1, k).to(dev)
        confs = sigma[:, None, :].repeat(1, len(local), 1)
        confs[:, :, rot] = local[None]
        self.confs = confs.reshape(-1, N)
        self.shape = (n, len(local))
        logc = torch.zeros(n, len(local), dtype=torch.complex128, device=dev)
        for r, j in enumerate(rot):
            U = torch.as_tensor(np.log(BASIS_ROTATIONS[basis[j]]), device=dev)
            out_idx = (sigma[:, j] > 0).long()
            in_idx = (local[:, r] > 0).long()
            logc = logc + U[out_idx][:, in_idx]
        self.logc = logc

    def log_prob(self, params):
        if not self.rotated:
            return 2.0 * _rbm.log_psi(params, self.sigma).real
        z = _rbm.log_psi(params, self.confs).reshape(self.shape).to(torch.complex128) + self.logc
        m = z.real.max(1, keepdim=True).values.detach()
        amp = torch.exp(z - m).sum(1)
        return 2.0 * (torch.log(amp.abs()) + m[:, 0])

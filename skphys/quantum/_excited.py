"""Excited states: orthogonalisation against earlier states, and exact spectra by sector.

Two routes to low-lying excited states (Choo, Carleo, Regnault & Neupert, PRL 121, 167204
(2018)):

* **by symmetry sector**: ``RBMWavefunction(sector={"momentum": k}, n_up=...)`` finds the
  lowest state of a sector, an excited state of ``H`` when the ground state lies in another
  one. :func:`exact_sector_spectrum` gives the exact reference (Lanczos in the sector).
* **by orthogonalisation** (no symmetry needed): :class:`ExcitedStates` fits clones of a
  wave function in turn; state ``n`` minimises the penalised energy (Pathak, Wagner & Zhao
  style; Choo et al. Eq. (4))

  ``E_pen[psi] = <H>_psi + sum_{k<n} lambda |<psi_k|psi>|^2 / (<psi_k|psi_k> <psi|psi>)``,

  whose minimum is the ``n``-th level as soon as ``lambda`` exceeds ``E_n - E_k``. The
  gradient of the penalty is that of the energy with the local energy shifted by
  ``lambda B_k psi_k(sigma) / psi(sigma)``, ``B_k = <psi_k|psi> / <psi_k|psi_k>``
  estimated from samples of ``|psi_k|^2``: stochastic reconfiguration runs unchanged on
  the shifted local energies (:class:`OrthogonalityPenalty`). Levels with nodes that one
  RBM represents poorly are reached by a sum of RBMs (``RBMWavefunction(n_terms=2)``; see
  :class:`ExcitedStates`, Notes).
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse.linalg as spla
import torch
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _rbm
from ._operators import codes_to_spins, spins_to_codes
from ._state import EXACT_LIMIT, default_sampler
from ._symmetric import ProjectedChains, ProjectedState, SymmetryGroup

__all__ = ["ExcitedStates", "OrthogonalityPenalty", "exact_sector_spectrum"]

#: ``penalty="auto"``: this fraction of the Hamiltonian's norm bound
AUTO_PENALTY = 0.15
#: an overlap with an earlier level above this at the end of a fit is warned about
MAX_OVERLAP = 0.1
#: seeds of the restarts of a level: random_state + level + SEED_STRIDE * restart
SEED_STRIDE = 1000


class OrthogonalityPenalty:
    """The overlap penalty of one earlier (fixed) state ``psi_k``, inside a VMC iteration.

    Draws samples of ``|psi_k|^2`` (exact draws from the full sum for spaces of at most
    ``EXACT_LIMIT`` states, with the probabilities computed once; persistent Metropolis
    chains otherwise) and returns the shift of the local energies and the overlap estimate.
    """

    def __init__(self, state, weight, n_samples):
        self.state, self.weight, self.n_samples = state, float(weight), int(n_samples)
        self.projected = isinstance(state, ProjectedState)
        self.space = self.probs = self.chains = None
        if state.space_size() <= EXACT_LIMIT:
            space = state.space()
            if self.projected:
                logp = 2.0 * state._log_amp(space.sigma).real
            else:
                logp = 2.0 * _rbm.chunked_log_psi(state.params, space.sigma).real
            self.space, self.probs = space.sigma, torch.softmax(logp, 0)
        elif self.projected:
            self.chains = ProjectedChains.random(state, min(self.n_samples, 1000))
            self.chains.advance(50)
        else:
            self.sampler = default_sampler(state.n_up is not None, state.is_complex)
            self.chains = _rbm.Chains.random(state.params, min(self.n_samples, 1000),
                                             state.n_sites, state.n_up, state.device)
            _rbm.advance(state.params, self.chains, 50, self.sampler)

    def draw(self):
        """``n_samples`` configurations from ``|psi_k|^2``."""
        if self.space is not None:
            idx = _rbm.exact_draw(self.probs, self.n_samples)
            return self.space[idx]
        out, n = [], 0
        while n < self.n_samples:
            if self.projected:
                self.chains.advance(1)
            else:
                _rbm.advance(self.state.params, self.chains, 1, self.sampler)
            out.append(self.chains.sigma.clone())
            n += len(self.chains.sigma)
        return torch.cat(out)[: self.n_samples]

    def shift(self, current, sigma, log_psi=None):
        """``(lambda B_k psi_k(sigma) / psi(sigma), overlap)`` for samples ``sigma`` of the
        current state ``current``; ``overlap`` estimates ``|<psi_k|psi>|^2 / (norms)``."""
        lp = current.log_psi(sigma) if log_psi is None else log_psi
        r = _ratio(self.state.log_psi(sigma), lp)  # psi_k / psi on samples of psi
        ref = self.draw()
        b = _ratio(current.log_psi(ref), self.state.log_psi(ref)).mean()  # B_k
        overlap = float(abs(r.mean() * b))
        dev = sigma.device
        return torch.as_tensor(self.weight * b * r, device=dev), overlap


def _ratio(log_num, log_den):
    """``exp(log_num - log_den)``: 0 where the numerator vanishes."""
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.exp(log_num - log_den)
    return np.where(np.isneginf(log_num.real), 0.0, out)


class ExcitedStates(MetaEstimatorMixin, BaseEstimator):
    """The lowest ``n_states`` levels of a Hamiltonian, one wave function each, fitted in turn.

    A meta-estimator, like scikit-learn's ``OneVsRestClassifier``: ``estimator`` (an unfitted
    :class:`RBMWavefunction` with a ``hamiltonian``) is cloned ``n_states`` times; clone ``n``
    minimises the energy plus an overlap penalty with the clones before it,

    ``E[psi] + penalty * sum_{k<n} |<psi_k|psi>|^2 / (<psi_k|psi_k> <psi|psi>)``,

    whose minimum is the ``n``-th level when ``penalty`` exceeds the gap ``E_n - E_k``
    (Choo, Carleo, Regnault & Neupert 2018; Pathak, Wagner & Zhao 2021). No symmetry is
    needed, and degenerate levels are found as orthogonal states of one energy. The
    overlaps come from Monte Carlo ratios ``psi_k / psi`` on samples of both states.

    Parameters
    ----------
    estimator : RBMWavefunction
        The wave function (hamiltonian, sampler, iterations, ...). Excited states of a
        stoquastic Hamiltonian (the transverse-field Ising model) have nodes, which real
        RBM amplitudes cannot have: with ``param_dtype="auto"`` the clones after the first
        get complex parameters.
    n_states : int, default=3
        Number of levels, the ground state included.
    penalty : float or "auto", default="auto"
        The overlap penalty ``lambda``; it must exceed the gaps to the levels sought.
        ``"auto"``: 0.15 times the Hamiltonian's norm bound (4.5 for the TFIM ring of 12
        spins at ``h = 1.5``, whose third level lies 1.62 above the ground state; 3 for
        the ring of 8). Too small a penalty lets a level fall onto an earlier one (a
        ConvergenceWarning says so); too large a one stiffens the fit (on that ring of 12,
        6 left the third state stuck 4.7e-2 above its level, where 4 and 4.5 reach 1.5e-4).
    n_init : int, default=1
        Fits of each level from different seeds (``random_state + level + 1000 * i`` when
        the estimator's ``random_state`` is an int), keeping the one of lowest penalised
        energy, as ``n_init`` of scikit-learn's ``KMeans``: an excited level can stall on a
        higher eigenstate (a saddle of the penalised energy), and a restart escapes it.

    Attributes
    ----------
    estimators_ : list of RBMWavefunction
        The fitted wave functions, lowest level first.
    energies_ : ndarray of shape (n_states,)
        Their energies (each clone's ``energy_``, a Monte Carlo estimate).
    energy_errors_ : ndarray of shape (n_states,)
        Standard errors of ``energies_``.
    overlaps_ : ndarray of shape (n_states, n_states)
        ``|<psi_i|psi_j>|^2`` (normalised) estimated at the end of each fit (lower triangle;
        1 on the diagonal, symmetric).
    penalty_ : float
        The penalty used (``penalty``, or its "auto" value).

    See Also
    --------
    RBMWavefunction : one state; ``sector=`` gives the lowest state of a symmetry sector.
    exact_sector_spectrum : exact references by sector.

    Notes
    -----
    ``score`` is minus a penalised sum of the energies, ``sum_n E_n + 2 ||H||
    sum_{k<n} |<psi_k|psi_n>|^2`` (``||H||``: the Hamiltonian's norm bound). By Ky Fan's
    principle the energies of ``n`` orthonormal states sum to at least the sum of the ``n``
    lowest eigenvalues, so among orthogonal sets a higher score is a better one; the overlap
    term, whose weight exceeds every gap, ranks a set that collapsed onto a lower level
    (too small a ``penalty``) below one that did not. Usable in ``GridSearchCV``.

    With ``sampler="exact"`` the excited levels (and the penalty's draws of the earlier
    states) draw their configurations by systematic resampling rather than independently:
    each configuration appears ``n_samples |psi|^2`` times up to rounding, so the energy,
    the forces and the overlap carry far less noise for the same ``n_samples`` (still
    unbiased over the random offset). On the third TFIM level of the ring of 12 at
    ``h = 1`` (the second state of the (k=0, P=+1) sector, an RBM symmetric under
    translations and the spin flip, alpha=4, 600 iterations, 1008 samples; one seed,
    ``benchmarks/bench_excited_sector.py``): eps = 6.3e-4 (independent draws: 2.0e-3;
    9.2e-4 with systematic draws for both levels); other seeds missed the bar (one stalled on
    a mixture with the ground state, with either kind of draws), and ``n_init=3`` from
    another seed kept a level 2.6e-3 off: past the sampling noise, the optimisation of the
    excited level limits it.

    Which ansatz: with one RBM and no symmetry that third level stays 3.6e-3 (alpha 2) and
    3.3e-3 (alpha 4) above its exact value, and the same RBM fitted directly to the exact
    eigenvector does no better (fidelity 0.992; 4.0e-3 and 3.8e-3;
    ``benchmarks/bench_excited_ansatz.py``): a product of ``cosh`` factors represents this
    level's nodes poorly, whatever the optimiser. A sum of two RBMs
    (``RBMWavefunction(alpha=2, n_terms=2)``, 674 parameters, 600 iterations), still with no
    symmetry, holds all three levels within 2.1e-5 (E0), 9.2e-5 (E1) and 1.9e-4 (E2) of ED on
    seeds 0-3, about 75 s per excited level on one loaded core
    (``bench_excited_ansatz.py --alpha 2 --iterations 600 --seeds 0 1 2 3 --n-terms 2``;
    fitted directly to the eigenvector it reaches fidelity 0.9999). The projection of a
    plain complex RBM onto the level's sector (``sector={"momentum": 0, "spin_flip": 1}``,
    alpha 1, 168 parameters), orthogonalised against the sector's first state, reaches it
    within 8e-6 to 2.0e-5 on seeds 0-3 (300 iterations; ``bench_excited_sector.py --ansatz
    projected``).

    Examples
    --------
    >>> from skphys.quantum import ExcitedStates, RBMWavefunction, TransverseFieldIsing
    >>> H = TransverseFieldIsing(4, h=1.5)  # levels -6.760, -5.606, -3.0 (twice)
    >>> wf = RBMWavefunction(H, alpha=2, sampler="exact", max_iter=100, n_samples=300,
    ...                      random_state=0)
    >>> levels = ExcitedStates(wf, n_states=2, penalty=3.0).fit()
    >>> [round(est.expectation(H), 2) for est in levels.estimators_]
    [-6.76, -5.61]
    """

    _parameter_constraints: dict = {
        "estimator": [object],
        "n_states": [Interval(Integral, 1, None, closed="left")],
        "penalty": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator, *, n_states=3, penalty="auto", n_init=1):
        self.estimator = estimator
        self.n_states = n_states
        self.penalty = penalty
        self.n_init = n_init

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X=None, y=None):
        """Fit the ``n_states`` wave functions in turn.

        Parameters
        ----------
        X, y : None
            Ignored (accepted so that model-selection tools can pass them).

        Returns
        -------
        self : ExcitedStates
        """
        H = getattr(self.estimator, "hamiltonian", None)
        if H is None or not hasattr(self.estimator, "fit"):
            raise ValueError("ExcitedStates needs an estimator with a hamiltonian (an "
                             f"RBMWavefunction), got {self.estimator!r}")
        weight = (AUTO_PENALTY * H.norm_bound() if self.penalty == "auto"
                  else float(self.penalty))
        rs = self.estimator.get_params().get("random_state")
        fitted, energies, errors = [], [], []
        overlaps = np.eye(self.n_states)
        for n in range(self.n_states):
            best = None
            for i in range(self.n_init):
                est = clone(self.estimator)
                if n and est.get_params().get("param_dtype") == "auto":
                    est.set_params(param_dtype="complex")
                if isinstance(rs, Integral) and (n or i):
                    est.set_params(random_state=int(rs) + n + SEED_STRIDE * i)
                try:
                    est.fit(orthogonal_to=[(e._state(), weight) for e in fitted] or None)
                except KeyboardInterrupt:
                    # Ctrl-C: keep the levels fitted so far, the interrupted one included
                    # when it completed an iteration (it warned), and stop
                    if best is not None:
                        est = best[1]
                    if hasattr(est, "energy_"):
                        fitted.append(est)
                        energies.append(est.energy_)
                        errors.append(est.energy_error_)
                    if fitted:
                        k = len(fitted)
                        self._set_fitted(fitted, energies, errors, overlaps[:k, :k], weight)
                    raise
                # the penalised energy at the end of the fit: the variational criterion
                last = est.history_[-1]
                value = est.energy_ + weight * sum(last.get(f"overlap_{k}", 0.0)
                                                   for k in range(n))
                if best is None or value < best[0]:
                    best = (value, est)
            est = best[1]
            if n:
                last = est.history_[-1]
                for k in range(n):
                    overlaps[n, k] = overlaps[k, n] = last.get(f"overlap_{k}", np.nan)
            fitted.append(est)
            energies.append(est.energy_)
            errors.append(est.energy_error_)
            worst = overlaps[n, :n].max() if n else 0.0
            if n and (worst > MAX_OVERLAP or est.energy_ < energies[n - 1] - 3 * errors[-1]
                      - 3 * errors[n - 1] - 1e-3 * abs(energies[n - 1])):
                warnings.warn(f"level {n} has the energy {est.energy_:.6g} (level {n - 1}: "
                              f"{energies[n - 1]:.6g}) and an overlap of {worst:.2g} with "
                              f"an earlier level: the penalty {weight:.3g} may be smaller "
                              "than the gap, or the fit unconverged (raise penalty or "
                              "max_iter)", ConvergenceWarning, stacklevel=2)
        self._set_fitted(fitted, energies, errors, overlaps, weight)
        return self

    def _set_fitted(self, fitted, energies, errors, overlaps, weight):
        self.estimators_ = fitted
        self.energies_ = np.array(energies)
        self.energy_errors_ = np.array(errors)
        self.overlaps_ = overlaps
        self.penalty_ = weight

    def score(self, X=None, y=None):
        """Minus the sum of the energies, plus an overlap penalty (higher is better; Notes).

        Parameters
        ----------
        X, y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        weight = 2.0 * self.estimator.hamiltonian.norm_bound()
        overlaps = np.nan_to_num(np.tril(self.overlaps_, -1), nan=1.0)
        return -float(np.sum(self.energies_) + weight * overlaps.sum())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.estimator.__sklearn_tags__().non_deterministic
        return tags


# --------------------------------------------------------------------------------------
# exact references by sector
# --------------------------------------------------------------------------------------
def exact_sector_spectrum(hamiltonian, *, momentum=None, spin_flip=None, n_up="auto", k=1,
                          tol=1e-10):
    """The ``k`` lowest energies of ``hamiltonian`` in a symmetry sector, by Lanczos.

    The sector is that of :class:`RBMWavefunction`'s ``sector`` and ``n_up``: states with
    ``psi(T_r sigma) = exp(2 pi i k . r / L) psi(sigma)`` (``(T_r sigma)_j = sigma_{j+r}``),
    ``psi(-sigma) = spin_flip * psi(sigma)``, and ``n_up`` spins up. The Hamiltonian is
    restricted to it by the projector ``P = mean_g chi(g)^* g``:
    ``eigsh`` runs on ``P H P + s (1 - P)`` with ``s`` the norm bound, which lifts the
    other sectors above the spectrum. The S^z = 0 sector of 20 spins (184,756 states)
    takes seconds.

    Parameters
    ----------
    hamiltonian : Heisenberg or TransverseFieldIsing
        A periodic lattice Hamiltonian.
    momentum : int, tuple of int or None, default=None
        Momentum in units of ``2 pi / L``; None: no translation constraint.
    spin_flip : {1, -1} or None, default=None
        Spin-flip parity; None: no constraint.
    n_up : "auto", int or None, default="auto"
        Magnetisation sector; ``"auto"``: ``N // 2`` for S^z-conserving Hamiltonians, the
        full space otherwise.
    k : int, default=1
        Number of levels.
    tol : float, default=1e-10
        Lanczos tolerance.

    Returns
    -------
    energies : ndarray of shape (k,)
        Ascending.

    Examples
    --------
    >>> from skphys.quantum import Heisenberg, exact_sector_spectrum
    >>> exact_sector_spectrum(Heisenberg(8), momentum=0, k=2).round(6)
    array([-14.604374,  -7.207751])
    """
    H = hamiltonian
    N = H.n_sites
    if n_up == "auto":
        n_up = N // 2 if H.conserves_sz else None
    shape = getattr(H, "_shape", (N,))
    M, codes = H.to_sparse(n_up=n_up)
    spins = codes_to_spins(codes, N)
    group = SymmetryGroup(shape, translations=momentum is not None,
                          spin_flip=spin_flip is not None)
    chi = group.characters(None if momentum is None else np.atleast_1d(momentum), spin_flip)
    images = []
    for perm, sign in zip(group.perms, group.signs):
        img_codes = spins_to_codes(sign * spins[:, perm])
        idx = np.searchsorted(codes, img_codes)
        if np.any(idx >= len(codes)) or np.any(codes[np.minimum(idx, len(codes) - 1)]
                                               != img_codes):
            raise ValueError("the symmetry leaves the magnetisation sector (spin_flip "
                             "needs n_up = N / 2)")
        images.append(idx)
    cchi = np.conj(chi) / len(group)
    complex_ = np.abs(chi.imag).max() > 1e-12

    def project(x):  # (P x)(s) = mean_g chi_g^* x(g s)
        out = np.zeros_like(x, dtype=complex if complex_ else x.dtype)
        for c, idx in zip(cchi, images):
            out += (c if complex_ else c.real) * x[idx]
        return out

    s = H.norm_bound()
    D = len(codes)
    dtype = complex if complex_ else float

    def matvec(x):
        x = np.asarray(x).reshape(-1).astype(dtype)
        px = project(x)
        return project(M @ px) + s * (x - px)

    op = spla.LinearOperator((D, D), matvec=matvec, dtype=dtype)
    rng = np.random.default_rng(0)
    v0 = project(rng.standard_normal(D).astype(dtype))
    if D <= 64:
        dense = np.column_stack([matvec(e) for e in np.eye(D)])
        w = np.linalg.eigvalsh((dense + dense.conj().T) / 2)[:k]
    else:
        w = spla.eigsh(op, k=k, which="SA", tol=tol, v0=v0)[0]
    w = np.sort(np.real(w))
    if np.any(w > s * (1 - 1e-9)):
        raise ValueError(f"the sector has fewer than k={k} states")
    return w

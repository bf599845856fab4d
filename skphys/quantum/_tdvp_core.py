"""Real-time TDVP for the RBM in pure torch: the equation of motion, its solve, integrators.

The time-dependent variational principle (McLachlan's, for a holomorphic ansatz with complex
parameters ``theta``) turns ``i d|psi>/dt = H |psi>`` into

``S theta_dot = -i F``,  ``S_kl = <O_k^* O_l>_c``,  ``F_k = <O_k^* E_loc>_c``

with the log-derivatives ``O_k = d log psi / d theta_k`` and the local energy ``E_loc``
(Carleo & Troyer 2017). The expectations ``<.>`` are over ``|psi|^2``: exact sums over all
``2**N`` configurations (small ``N``), or Monte Carlo averages over samples.

``S`` is singular (redundant parameters) and, with Monte Carlo, noisy; it is inverted in its
eigenbasis with the regularised pseudo-inverse of Schmitt & Heyl (PRL 125, 100503, 2020):
each eigen-direction ``k`` is kept with the weight
``1 / (1 + (rcond lambda_max / lambda_k)**6)`` and, with Monte Carlo and a ``snr_cutoff``,
times ``1 / (1 + (snr_cutoff / SNR_k)**6)``, where ``SNR_k`` is the signal-to-noise ratio of the
force's component along it.

Nothing here imports scikit-learn: the estimator is :mod:`._tdvp`.
"""

import math

import numpy as np
import torch

from . import _rbm, _symmetric

__all__ = ["Ansatz", "ExactExpectations", "SampledExpectations", "tdvp_solve",
           "pooled_mean_and_error", "INTEGRATORS",
           "integrator_stages", "x_polarised_params", "exact_evolution", "rk_step"]


#: the smallest column scale of the scaled solve, relative to the largest (tdvp_solve)
SCALE_FLOOR = 1e-3


def x_polarised_params(n_sites, n_hidden, weight=0.5, device="cpu"):
    """Complex RBM parameters whose amplitude is exactly uniform: ``|+x ... +x>``.

    Every hidden unit ``m`` is coupled to the one site ``m mod N`` with the weight
    ``weight * (1 + m // N)`` (distinct for the units of one site: identical units would
    stay identical under the dynamics, and count once); ``log cosh(weight * sigma_j)`` does not depend on ``sigma_j = +-1``, so
    ``psi`` is constant. Unlike the all-zero RBM (the same state), every parameter then has a
    first-order effect: ``d log psi / d W_mk = tanh(weight) sigma_j sigma_k`` is a two-spin
    correlator, so TDVP can build correlations from the first step (from ``W = 0`` they
    appear only at second order in ``W``, and ``S`` has no direction to follow).
    """
    dt = torch.complex128
    a = torch.zeros(n_sites, dtype=dt, device=device)
    b = torch.zeros(n_hidden, dtype=dt, device=device)
    W = torch.zeros(n_hidden, n_sites, dtype=dt, device=device)
    m = torch.arange(n_hidden)
    W[m, m % n_sites] = weight * (1 + m // n_sites).to(dt)
    return _rbm.RBMParams(a, b, W)


class Ansatz:
    """A flat complex parameter vector and the (tied) RBM it defines.

    ``group`` None: a plain RBM, ``flat = (a, b, W)``. A :class:`._symmetric.SymmetryGroup`:
    the symmetric RBM whose shared parameters ``(a, b_f, w_f)`` are the flat vector (the
    dynamics of a translation-invariant state under a translation-invariant Hamiltonian
    keeps the symmetry, and the shared parameters are ``|G|`` times fewer).
    """

    def __init__(self, n_sites, n_hidden, group=None, n_filters=None, visible_bias=True):
        self.n_sites, self.group = n_sites, group
        if group is None:
            self.n_hidden = n_hidden
            self.sizes = (n_sites, n_hidden, n_hidden * n_sites)
            self._sym = None
        else:
            self.n_hidden = n_filters * len(group)
            self.sizes = (int(visible_bias), n_filters, n_filters * n_sites)
            self._sym = _symmetric.SymmetricRBMParams(
                torch.zeros(int(visible_bias), dtype=torch.complex128),
                torch.zeros(n_filters, dtype=torch.complex128),
                torch.zeros(n_filters, n_sites, dtype=torch.complex128), group)

    @property
    def n_parameters(self):
        return sum(self.sizes)

    def split(self, flat):
        na, nb, _ = self.sizes
        return flat[:na], flat[na:na + nb], flat[na + nb:]

    def params(self, flat):
        """The plain (tied) :class:`._rbm.RBMParams` of ``flat``."""
        a, b, w = self.split(flat)
        if self._sym is None:
            return _rbm.RBMParams(a, b, w.view(self.n_hidden, self.n_sites))
        sym = self._sym
        sym.a, sym.b, sym.w = a.clone(), b.clone(), w.reshape(-1, self.n_sites).clone()
        sym.full = _rbm.RBMParams(*(t.clone() for t in sym.full.tensors()))
        sym.sync()
        return sym.full

    def log_derivatives(self, params, sigma, th, t=None):
        if self._sym is None:
            return _rbm.log_derivatives(params, sigma, th)
        return self._sym.log_derivatives(sigma, torch.tanh(th) if t is None else t)

    def x_polarised(self, weight=0.5):
        """The flat vector of ``|+x ... +x>`` (see :func:`x_polarised_params`)."""
        if self._sym is None:
            return x_polarised_params(self.n_sites, self.n_hidden, weight).flat()
        flat = torch.zeros(self.n_parameters, dtype=torch.complex128)
        na, nb, _ = self.sizes
        w = flat[na + nb:].view(nb, self.n_sites)
        w[:, 0] = weight * torch.arange(1, nb + 1)  # distinct filters (see above)
        return flat


# --------------------------------------------------------------------------------------
# expectations over |psi|^2: exact sums or samples
# --------------------------------------------------------------------------------------
class ExactExpectations:
    """Weights ``|psi(sigma)|^2 / Z`` over all ``2**N`` configurations (deterministic)."""

    exact = True

    def __init__(self, n_sites, device):
        self.sigma = _rbm.Space(n_sites, None, device).sigma

    def draw(self, params):
        th = _rbm.theta(params, self.sigma)
        logp = 2.0 * _rbm.log_psi(params, self.sigma, th).real
        return self.sigma, th, torch.tanh(th), torch.softmax(logp, 0)


class SampledExpectations:
    """Persistent Metropolis chains (single-spin flips), one sample per chain and call.

    Between calls every chain makes ``n_sweeps`` sweeps (``N`` proposed flips each) under the
    new parameters; the first call burns in for ``n_burn`` sweeps.
    """

    exact = False

    def __init__(self, n_sites, n_samples, n_sweeps, n_burn, device):
        self.n_sites, self.n_samples = n_sites, n_samples
        self.n_sweeps, self.n_burn, self.device = n_sweeps, n_burn, device
        self.chains = None

    def draw(self, params):
        if self.chains is None:
            self.chains = _rbm.Chains.random(params, self.n_samples, self.n_sites, None,
                                             self.device)
            _rbm.advance(params, self.chains, self.n_burn, "local")
        _rbm.advance(params, self.chains, self.n_sweeps, "local")
        return self.chains.sigma, self.chains.theta, self.chains.t, None


def local_values(operator, params, sigma, th, t=None):
    """``O_loc(sigma) = sum_sigma' <sigma|O|sigma'> psi(sigma') / psi(sigma)`` (complex);
    ``t``: ``tanh(th)`` when the caller has it."""
    t = torch.tanh(th) if t is None else t
    return _rbm.local_energy(operator, params, sigma, th, t).to(torch.complex128)


def pooled_mean_and_error(values, log_weights):
    """Self-normalised importance-sampling mean of ``values`` over several sample sets of the
    same chains, and its standard error.

    ``values`` and ``log_weights`` are (K, B) tensors: the value of the measured quantity and
    ``log |psi_target / psi_drawn|^2`` on the sample of chain ``b`` at draw ``k``. The error
    treats each chain's weighted sum over its ``K`` draws as one independent sample (the
    draws of one chain are correlated, the chains are independent).
    """
    lw = log_weights - log_weights.max()
    w = torch.exp(lw)
    v = values.real
    num, den = (w * v).sum(0), w.sum(0)  # per chain
    mean = float(num.sum() / den.sum())
    B = v.shape[1]
    z = (num - mean * den) / den.mean()
    return mean, float(z.std() / math.sqrt(B)) if B > 1 else math.nan


def mean_and_error(values, weights):
    """Real part of the mean of ``values`` and its standard error (0 for exact weights)."""
    v = values.real
    if weights is not None:
        return float((weights * v).sum()), 0.0
    n = len(v)
    return float(v.mean()), float(v.std() / math.sqrt(n)) if n > 1 else math.nan


# --------------------------------------------------------------------------------------
# the equation of motion
# --------------------------------------------------------------------------------------
def _centred(O, weights):
    """``sqrt(w) (O - <O>)`` with ``<.>`` weighted by ``weights`` (``1 / B`` each for samples),
    the weights and their square roots."""
    if weights is None:
        w = torch.full((O.shape[0],), 1.0 / O.shape[0], dtype=torch.float64, device=O.device)
    else:
        w = weights
    sw = torch.sqrt(w).to(O.dtype)
    return (O - w.to(O.dtype) @ O) * sw[:, None], w, sw


def scale_applies(O, weights=None):
    """``diag_scale="auto"``: whether every column of the centred ``O`` is at least
    ``SCALE_FLOOR`` times the largest (no parameter without first-order effect).

    A column that starts at zero (the x-polarised RBM's ``W_jj``, whose ``d log psi / d W_jj =
    tanh(w)`` is constant) grows with ``t``; the scaled solve amplifies it up to ``1 /
    SCALE_FLOOR`` = 1e3, so its eigenvalue crosses the smooth cutoff (``rcond`` 1e-6 =
    1e-3 squared) within the first steps, and the right-hand side changes faster than RK4
    resolves: under ``-sum ZZ`` from ``|+x>``, <sigma^x> erred by 3e-4 after one step of
    0.02 (O(dt^2) per step; unscaled 1e-5).
    """
    d = torch.sqrt((_centred(O, weights)[0].abs() ** 2).sum(0))  # tdvp_solve's scales
    return bool(d.numel() and float(d.min()) >= SCALE_FLOOR * float(d.max()))


def tdvp_solve(O, E, weights, rcond, snr_cutoff, scale=False):
    """``theta_dot`` from ``S theta_dot = -i F`` by the regularised pseudo-inverse.

    Parameters
    ----------
    O : complex tensor (B, P)
        Log-derivatives of the samples (or of every configuration).
    E : complex tensor (B,)
        Local energies.
    weights : tensor (B,) or None
        ``|psi|^2 / Z`` of every configuration (exact sums), or None (samples, equal weight).
    rcond : float
        Relative eigenvalue cutoff of ``S`` (soft, Schmitt & Heyl's form).
    snr_cutoff : float or None
        Signal-to-noise cutoff of the force's components (samples only).
    scale : bool
        Solve in units of ``S``'s diagonal (each column of ``O`` normalised, floored at
        ``SCALE_FLOOR`` times the largest), so that ``rcond`` does not depend on the units
        of the parameters; ``theta_dot`` is returned in the original units.

    Returns
    -------
    theta_dot : complex tensor (P,)
    info : dict
        ``rank`` (the effective number of directions kept, the sum of the weights) and
        ``tdvp_error`` (``r^2`` of Schmitt & Heyl: ``<|i O_c theta_dot - E_c|^2> /
        <|E_c|^2>``, the part of ``(H - E)|psi>`` the step cannot follow; 0 is exact).
    """
    B = O.shape[0]
    Oc, w, sw = _centred(O, weights)
    Ebar = (w.to(E.dtype) * E).sum()
    Ec = (E - Ebar) * sw
    if scale:
        # S in units of its diagonal (each parameter's own scale), so that the cutoff
        # relative to the largest eigenvalue compares directions, not the units of the
        # parameters; a parameter of almost no effect (below SCALE_FLOOR times the largest
        # scale) is not blown up to unit scale (its column would be rounding noise)
        d = torch.sqrt((Oc.abs() ** 2).sum(0))
        d = d.clamp_min(max(SCALE_FLOOR * float(d.max()) if d.numel() else 0.0, 1e-300))
        Oc = Oc / d
    S = Oc.conj().T @ Oc
    F = Oc.conj().T @ Ec
    lam, V = torch.linalg.eigh(S)
    lam = lam.clamp_min(0.0)
    lmax = float(lam.max()) if lam.numel() else 0.0
    rho = V.conj().T @ F  # force in the eigenbasis
    keep = 1.0 / (1.0 + (rcond * lmax / lam.clamp_min(1e-300)) ** 6)
    keep = torch.where(lam > 0, keep, torch.zeros_like(keep))
    if snr_cutoff is not None and weights is None and B > 1:
        # per-sample contributions to rho_k: Q_k(sigma) = (V^H O_c^*(sigma))_k E_c(sigma)
        # (Oc and Ec carry a factor 1 / sqrt(B) each: times B, rho = Q.mean(0))
        Q = (Oc.conj() @ V.conj()) * Ec[:, None] * B
        sd = torch.sqrt(((Q - Q.mean(0)).abs() ** 2).mean(0) / B)
        snr = rho.abs() / sd.clamp_min(1e-300)
        keep = keep / (1.0 + (snr_cutoff / snr.clamp_min(1e-300)) ** 6)
    inv = torch.where(lam > 0, keep / lam.clamp_min(1e-300), torch.zeros_like(lam))
    x = V @ (inv.to(rho.dtype) * (-1j * rho))
    if scale:
        Oc = Oc * d
        x = x / d
    # the TDVP error of Schmitt & Heyl: how far i d|psi>/dt = sum_k theta_dot_k O_k |psi>
    # misses H |psi>, relative to the energy variance (0: exact; 1: no better than standing
    # still)
    var = float((Ec.abs() ** 2).sum())
    miss = float(((1j * (Oc @ x) - Ec).abs() ** 2).sum())
    return x, {"rank": float(keep.sum()), "tdvp_error": miss / var if var > 0 else 0.0}


# --------------------------------------------------------------------------------------
# fixed-step explicit Runge-Kutta schemes
# --------------------------------------------------------------------------------------
#: Butcher tableaux ``(c, A, b)`` of the integrators
INTEGRATORS = {
    "euler": ([0.0], [[]], [1.0]),
    "heun": ([0.0, 1.0], [[], [1.0]], [0.5, 0.5]),
    "rk4": ([0.0, 0.5, 0.5, 1.0], [[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]],
            [1 / 6, 1 / 3, 1 / 3, 1 / 6]),
}


def integrator_stages(name):
    """Number of evaluations of the equation of motion per step of integrator ``name``."""
    return len(INTEGRATORS[name][2])


def rk_step(flat, dt, derivative, name):
    """One step of the explicit Runge-Kutta scheme ``name`` for ``d flat / dt = f(flat)``.

    ``derivative(flat, stage)`` returns ``f``; the stage index lets the caller record the
    figures of the first stage (the state at the start of the step).
    """
    _, A, b = INTEGRATORS[name]
    ks = []
    for i in range(len(b)):
        y = flat
        for j, aij in enumerate(A[i]):
            if aij:
                y = y + (dt * aij) * ks[j]
        ks.append(derivative(y, i))
    out = flat
    for bi, k in zip(b, ks):
        out = out + (dt * bi) * k
    return out


def params_from_flat(flat, n_visible, n_hidden):
    n, m = n_visible, n_hidden
    return _rbm.RBMParams(flat[:n], flat[n:n + m], flat[n + m:].view(m, n))


# --------------------------------------------------------------------------------------
# the exact reference
# --------------------------------------------------------------------------------------
def exact_evolution(hamiltonian, psi0, times, observables=()):
    """Exact ``|psi(t)> = exp(-i H t) |psi0>`` on the full space and expectation values.

    Parameters
    ----------
    hamiltonian : operator
        Any skphys spin operator (its sparse matrix on ``2**N`` states, ``N <= 24``).
    psi0 : ndarray of shape (2**N,)
        Initial amplitudes (normalised here).
    times : array-like of shape (n_times,)
        Equally spaced times from 0 (``expm_multiply`` steps over them in one pass).
    observables : sequence of operators
        Measured at every time, as ``H`` is.

    Returns
    -------
    energy : ndarray of shape (n_times,)
        ``<psi(t)|H|psi(t)>`` (constant up to rounding).
    values : ndarray of shape (len(observables), n_times)
    psi_t : ndarray of shape (2**N,)
        The state at the last time.
    """
    from scipy.sparse.linalg import expm_multiply

    times = np.asarray(times, dtype=float)
    H, _ = hamiltonian.to_sparse()
    psi0 = np.asarray(psi0, dtype=complex)
    psi0 = psi0 / np.linalg.norm(psi0)
    mats = [op.to_sparse()[0] for op in observables]
    if len(times) > 1:
        steps = np.diff(times)
        if np.any(steps < 0):
            raise ValueError("times must be increasing")
    energy, values = [], [[] for _ in mats]

    def measure(s):
        energy.append(np.vdot(s, H @ s).real)
        for row, M in zip(values, mats):
            row.append(np.vdot(s, M @ s).real)

    psi = expm_multiply(-1j * float(times[0]) * H, psi0) if times[0] else psi0
    measure(psi)
    steps = np.diff(times)
    start = 0
    while start < len(steps):
        # runs of equal steps go through expm_multiply's grid form, in chunks of at most
        # `chunk` states (it estimates norms of H once per call: once per step costs more
        # than the step at 2**20 states)
        chunk = max(1, min(32, (1 << 25) // len(psi0)))
        stop = start + 1
        while (stop < len(steps) and stop - start < chunk
               and abs(steps[stop] - steps[start]) <= 1e-12 * max(1.0, abs(steps[start]))):
            stop += 1
        n, dt = stop - start, float(steps[start])
        if dt == 0:
            for _ in range(n):
                measure(psi)
        elif n == 1:
            psi = expm_multiply(-1j * dt * H, psi)
            measure(psi)
        else:
            states = expm_multiply(-1j * H, psi, start=0.0, stop=n * dt, num=n + 1,
                                   endpoint=True)
            for st in states[1:]:
                measure(st)
            psi = states[-1]
        start = stop
    return np.array(energy), np.array(values).reshape(len(mats), len(times)), psi

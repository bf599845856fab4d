"""Local phases learned from rotated-basis snapshots with the amplitude held fixed.

The separate amplitude / phase model of tomography (``phase_model="local"`` of
:class:`~skphys.quantum.RBMWavefunction`) is ``psi(sigma) = A(sigma) exp(i c . sigma)``: a
positive RBM amplitude ``A`` (real parameters) times a phase linear in the spins, the same as
``exp(i sum_j phi_j n_j)`` with ``phi_j = 2 c_j`` and ``n_j`` the occupations, up to a global
phase. It is the complex RBM whose visible biases alone carry an imaginary part, so a fitted
state is published as an ordinary complex RBM and every method reads it unchanged.

The phases enter only the likelihood of the rotated snapshots, and the normaliser
``sum |psi|^2 = sum A^2`` does not depend on them: with ``A`` fixed, their negative
log-likelihood is a sum over the rotated snapshots of ``-log |sum_tau U psi(tau)|^2`` (``2^k``
amplitudes each, ``k`` rotated sites), exact and cheap, with no sum over ``2^N`` states.

That likelihood is periodic in every phase and, when the amplitude has nodes (the W state is
zero outside one sector), each outcome that has probability zero at one phase difference puts
a barrier of height ``-log 0`` there: in a pair basis ``X X`` and ``X Y`` the phase difference
of two neighbours sees four barriers and a local optimum between each two. Gradients from a
random start stop in one of them (the stalls of the joint complex RBM, F 0.39 / 0.75 on the
W state of 8 spins). :meth:`LocalPhases.search` is a global search along moves that change one
phase difference at a time (one site's phase, or every phase beyond a cut), each a 1-D grid
over the period, then gradient refinement (:meth:`LocalPhases.refine`, L-BFGS).
"""

import math

import torch

from . import _rbm

__all__ = ["LocalPhases"]

#: points of the 1-D grid over the period of a move (``pi``: ``c_j`` and ``c_j + pi`` give the
#: same state up to a global sign)
GRID = 24
#: sweeps over all moves in a global search
SWEEPS = 2
#: L-BFGS iterations on the phases between epochs (50 after a global search)
REFINE_STEPS = 5


class LocalPhases:
    """The rotated snapshots of a tomography fit, prepared for the phases ``c`` (N,).

    Parameters
    ----------
    outcomes : list of RotatedOutcomes
        The groups of snapshots measured in rotated bases (their ``logc``, the log-coefficients
        of the basis rotation, is updated in place by :meth:`apply`, so the amplitude's
        likelihood sees the current phases).
    weights : list of tensors or None
        Counts of each outcome (the exact likelihood's distinct outcomes), or None (one each).
    n_sites : int
    """

    def __init__(self, outcomes, weights, n_sites):
        self.n_sites = N = n_sites
        self.groups = []
        total = 0.0
        for k, ro in enumerate(outcomes):
            if not ro.rotated:
                continue
            w = None if weights is None else weights[k]
            n = ro.shape[0] if w is None else float(w.sum())
            total += n
            confs = ro.confs.view(*ro.shape, N)
            rotated = (confs != confs[:, :1]).any(1).any(0)  # sites whose value varies
            self.groups.append(dict(ro=ro, logc0=ro.logc.clone(), confs=confs, w=w,
                                    rotated=rotated))
        self.total = max(total, 1.0)

    def __bool__(self):
        return bool(self.groups)

    def apply(self, c):
        """Write the phases ``c`` into the rotated groups' coefficients."""
        for g in self.groups:
            g["ro"].logc = g["logc0"] + 1j * (g["confs"] @ c.to(g["confs"].dtype))

    def _log_amplitudes(self, params):
        with torch.no_grad():
            return [_rbm.log_psi(params, g["ro"].confs).real.reshape(g["ro"].shape)
                    for g in self.groups]

    @staticmethod
    def _nll_terms(z, w):
        """``-log |sum exp(z)|^2`` summed over the last-but-one axis' outcomes (weighted)."""
        m = z.real.max(-1, keepdim=True).values.detach()
        lp = 2.0 * (torch.log(torch.exp(z - m).sum(-1).abs()) + m[..., 0])
        return -(lp.sum(-1) if w is None else (lp * w).sum(-1))

    def nll(self, c, log_amp):
        """Mean negative log-likelihood of the rotated snapshots, up to the normaliser."""
        total = 0.0
        for g, la in zip(self.groups, log_amp):
            z = la + 1j * (g["confs"] @ c) + g["logc0"]
            total = total + self._nll_terms(z, g["w"])
        return total / self.total

    def moves(self):
        """One site's phase, and every phase beyond a cut (``j >= 1``): each changes one
        phase difference between neighbours in the site order."""
        N = self.n_sites
        eye = torch.eye(N, dtype=torch.float64)
        cuts = [(torch.arange(N) >= j).to(torch.float64) for j in range(1, N)]
        return list(eye) + cuts

    def search(self, params, c, grid=GRID, sweeps=SWEEPS):
        """Global search: for each move ``v`` in turn, ``c + delta v`` at the ``grid``
        points of ``[0, pi)``, the best kept; ``sweeps`` passes over all moves."""
        log_amp = self._log_amplitudes(params)
        c = c.detach().clone()
        dev = c.device
        deltas = torch.arange(grid, dtype=torch.float64, device=dev) * (math.pi / grid)
        z = [la + 1j * (g["confs"] @ c) + g["logc0"] for g, la in zip(self.groups, log_amp)]
        for _ in range(sweeps):
            for v in self.moves():
                v = v.to(dev)
                support = v > 0
                hit = [k for k, g in enumerate(self.groups) if (g["rotated"] & support).any()]
                if not hit:
                    continue
                score = torch.zeros(grid, dtype=torch.float64)
                shift = {k: self.groups[k]["confs"] @ v for k in hit}
                for k in hit:
                    zk = z[k][None] + 1j * deltas[:, None, None] * shift[k][None]
                    score += self._nll_terms(zk, self.groups[k]["w"])
                best = deltas[int(torch.argmin(score))]
                if best == 0:
                    continue
                c += best * v
                for k in hit:
                    z[k] = z[k] + 1j * best * shift[k]
        return c

    def refine(self, params, c, max_iter=50):
        """L-BFGS on the phases with the amplitude fixed; returns the new phases."""
        log_amp = self._log_amplitudes(params)
        start = c.detach().clone()
        c = start.clone().requires_grad_()
        opt = torch.optim.LBFGS([c], max_iter=max_iter, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = self.nll(c, log_amp)
            loss.backward()
            return loss

        with torch.enable_grad():
            opt.step(closure)
        out = c.detach()
        return out if bool(torch.isfinite(out).all()) else start

    def fit(self, params, c, search=True):
        """Global search and a full refinement, or (``search=False``, between epochs, from
        phases that fitted the amplitude of the epoch before) a few L-BFGS iterations."""
        if search:
            return self.refine(params, self.search(params, c), max_iter=50)
        return self.refine(params, c, max_iter=REFINE_STEPS)

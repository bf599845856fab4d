"""The W state with random local phases, N=20: where the infidelity of ``phase_model="local"``
comes from (skphys alone; the fidelity rows are bench_quantum.py --only wphase).

Protocol. The data of ``bench_quantum.py --only wphase --phase-sizes 20``: phases uniform in
[0, 2 pi) (seed 1234), Z and the 38 bases with a neighbouring pair rotated to X X or X Y,
1000 shots per basis on average (``random_state=0``). One fit, ``phase_model="local"``, 50
epochs of persistent contrastive divergence, ``n_samples`` ``--chains`` (the library's default
1008, or the bench's 4000), seed ``--seed`` (1: the seed that missed). Then, all exact (the
model's 2^20 amplitudes):

* the infidelity split: F; the amplitude part, the squared Bhattacharyya overlap
  ``(sum_j |psi(e_j)| / sqrt(N Z))^2`` of |psi|^2 with the target's; the phase part
  ``|mean_j exp(i delta_j)|^2`` (``delta_j``: the phase error of site j, global phase removed);
  the weights of the sectors with 0, 1 and 2 spins up; the error of each neighbouring phase
  difference;
* the phases fitted again (global search and L-BFGS, ``LocalPhases.fit``) on the same data
  with the amplitude fixed to: the fitted RBM; the fitted RBM restricted to the one-up
  sector (its weight elsewhere removed); the exact target amplitude (1/sqrt(N) on the one-up
  states). F of the fitted amplitude with each set of phases;
* the shot-noise floor of each phase difference: the snapshots of its two pair bases whose
  other 18 sites are all down (the only ones that see the difference), their count and the
  difference read from their parities alone (``atan2`` of the X Y and X X parities),
  against the truth.

    python benchmarks/bench_phase_diagnostics.py [--seed 1] [--chains 1008] [--epochs 50]
"""

import argparse
import time

import numpy as np
import torch
from _common import report

from skphys.datasets._measurements import make_quantum_snapshots
from skphys.quantum import RBMWavefunction, _rbm
from skphys.quantum._phase import LocalPhases
from skphys.quantum._tomography import SnapshotBatches

N = 20


def wrap(x):
    return np.angle(np.exp(1j * np.asarray(x)))


def data():
    phases = np.random.RandomState(1234).uniform(0.0, 2.0 * np.pi, N)
    psi = np.zeros(2**N, complex)
    psi[2 ** np.arange(N)] = np.exp(1j * phases) / np.sqrt(N)
    bases = ["Z" * N] + [("Z" * j + p + "Z" * N)[:N] for j in range(N - 1)
                         for p in ("XX", "XY")]
    X, b = make_quantum_snapshots(1000 * len(bases), state=psi, bases=bases, random_state=0)
    return psi, wrap(phases), X, np.asarray(b)


def split(log_amp, phi, log_z, true_phi):
    """F, amplitude part, phase part and the neighbouring differences' errors of a state
    with ``log |psi(e_j)| = log_amp``, phases ``phi`` on the one-up states, normaliser
    ``exp(log_z)``."""
    amp = np.exp(log_amp - 0.5 * log_z)
    delta = wrap(phi - true_phi)
    delta = wrap(delta - np.angle(np.sum(amp * np.exp(1j * delta))))
    return dict(F=float(abs(np.sum(amp * np.exp(1j * delta))) ** 2 / N),
                amplitude_part=float((amp.sum() / np.sqrt(N)) ** 2),
                phase_part=float(abs(np.mean(np.exp(1j * delta))) ** 2),
                diff_errors=np.round(wrap(np.diff(delta)), 4).tolist())


class FixedAmplitude(LocalPhases):
    """The phase fit with the log-amplitude of each rotated configuration given by ``fn``."""

    def __init__(self, groups, fn):
        super().__init__(groups, None, N)
        self.fn = fn

    def _log_amplitudes(self, params):
        out = []
        for g in self.groups:
            confs = g["ro"].confs
            out.append(self.fn(confs).reshape(g["ro"].shape))
        return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chains", type=int, default=1008)
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args(argv)
    print(__doc__.split("    python")[0])
    psi, true_phi, X, b = data()
    t0 = time.perf_counter()
    est = RBMWavefunction(phase_model="local", max_iter=args.epochs, n_samples=args.chains,
                          random_state=args.seed).fit(X, bases=b)
    wall = time.perf_counter() - t0
    p = est._state().params
    amp = _rbm.RBMParams(p.a.real.clone(), p.b.real.clone(), p.W.real.clone())
    one = 2.0 * torch.eye(N, dtype=torch.float64) - 1.0
    with torch.no_grad():
        lp_one = _rbm.log_psi(p, one).numpy()
        weights = np.zeros(N + 1)
        codes = np.arange(2**N)
        for s in range(0, 2**N, 2**16):
            bits = (codes[s:s + 2**16, None] >> np.arange(N)) & 1
            lp = 2.0 * _rbm.log_psi(p, torch.from_numpy(2.0 * bits - 1.0)).real.numpy()
            np.add.at(weights, bits.sum(1), np.exp(lp))
    log_z = float(np.log(weights.sum()))
    weights /= weights.sum()
    rows = []
    fitted = split(lp_one.real, lp_one.imag, log_z, true_phi)
    rows.append(dict(phases="as fitted", amplitude="fitted RBM", **fitted,
                     sector_weights=np.round(weights[:3], 6).tolist(), fit_s=wall,
                     fidelity_check=est.fidelity(psi)))
    groups = SnapshotBatches(torch.from_numpy(X), b, torch.device("cpu")).groups

    def fitted_amp(confs):
        with torch.no_grad():
            return _rbm.log_psi(amp, confs).real

    def restricted(confs):
        return torch.where((confs > 0).sum(1) == 1, fitted_amp(confs), -1e3)

    def exact(confs):
        return torch.where((confs > 0).sum(1) == 1, -0.5 * np.log(N), -1e3).to(torch.float64)

    for label, fn in (("fitted RBM", fitted_amp), ("fitted RBM, one-up sector only", restricted),
                      ("exact target", exact)):
        c = FixedAmplitude(groups, fn).fit(None, torch.zeros(N, dtype=torch.float64))
        r = split(lp_one.real, 2.0 * c.numpy(), log_z, true_phi)
        if label == "exact target":
            r["phase_part_exact_amplitude"] = split(np.full(N, -0.5 * np.log(N)),
                                                    2.0 * c.numpy(), 0.0, true_phi)["F"]
        rows.append(dict(phases="refit, amplitude fixed to", amplitude=label, **r))
    # shot noise: the parities of the snapshots that see each difference
    noise = []
    for j in range(N - 1):
        par, counts = [], []
        for pb in ("XX", "XY"):
            rows_b = X[b == ("Z" * j + pb + "Z" * N)[:N]]
            seen = rows_b[(np.delete(rows_b, [j, j + 1], axis=1) < 0).all(1)]
            counts.append(len(seen))
            par.append(float(np.mean(seen[:, j] * seen[:, j + 1])))
        truth = wrap(true_phi[j + 1] - true_phi[j])
        # <XX parity> = cos(d), <XY parity> = -sin(d) in skphys's rotation convention
        est_d = np.arctan2(-par[1], par[0])
        noise.append(dict(pair=j, snapshots_seen=counts, error_from_parities=float(
            wrap(est_d - truth)), floor_rad=float(1.0 / np.sqrt(sum(counts)))))
    for r in rows:
        print(f"{r['phases']:>28} | {r['amplitude']:<32} F {r['F']:.4f}  amplitude "
              f"{r['amplitude_part']:.4f}  phase {r['phase_part']:.4f}")
        print(f"{'':>31}difference errors: {r['diff_errors']}")
    print(f"sector weights (0, 1, 2 up): {rows[0]['sector_weights']}")
    report(f"phase_diagnostics_s{args.seed}_c{args.chains}", noise,
           ["pair", "snapshots_seen", "error_from_parities", "floor_rad"],
           {"protocol": __doc__, "seed": args.seed, "chains": args.chains,
            "epochs": args.epochs, "fits": rows})


if __name__ == "__main__":
    main()

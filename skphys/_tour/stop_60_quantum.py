"""Tour stop: neural quantum states — VMC ground states and tomography with one RBM estimator."""

import time

import numpy as np

from ..datasets._measurements import make_quantum_snapshots
from ..quantum import (
    ExactState,
    Heisenberg,
    RBMWavefunction,
    TransverseFieldIsing,
    exact_ground_state,
    sector_codes,
)
from . import say
from ._plot import pyplot

TITLE = "Neural quantum states (RBM: VMC + SR, tomography)"


def run(out_dir, quick):
    rows = []
    L = 10 if quick else 16
    H = Heisenberg(L)
    gs = exact_ground_state(H)
    n_samples, n_iter = (500, 150) if quick else (1008, 300)
    say(f"VMC: RBM on the Heisenberg ring L={L}, {n_iter} SR updates of {n_samples} samples")
    t0 = time.perf_counter()
    psi = RBMWavefunction(hamiltonian=H, n_samples=n_samples, max_iter=n_iter,
                          random_state=0).fit()
    wall = time.perf_counter() - t0
    e = psi.expectation(H)
    eps = (e - gs.energy) / abs(gs.energy)
    # the bar is set at L=10; the full run holds L=16 to it too
    rows.append({"result": f"Heisenberg ring L={L}, RBM alpha=1, Marshall sign: eps_rel",
                 "value": f"{eps:.1e} in {wall:.1f} s "
                          f"({psi.n_parameters_} parameters, sector of {len(gs.psi)} states)",
                 "reference": "issue bar < 2e-3 (set at L=10); NetKet L=20: 4.3e-4 @ 11 s",
                 "ok": bool(eps < 2e-3)})

    Ht = TransverseFieldIsing(8, h=1.0)
    e0 = exact_ground_state(Ht).energy
    tfim = RBMWavefunction(hamiltonian=Ht, n_samples=500, max_iter=150 if quick else 200,
                           random_state=0).fit()
    eps_t = (tfim.expectation(Ht) - e0) / abs(e0)
    rows.append({"result": "TFIM chain L=8 h=1: eps_rel", "value": f"{eps_t:.1e}",
                 "reference": "issue bar < 1e-3", "ok": bool(eps_t < 1e-3)})

    N = 6 if quick else 10
    X, _, state = make_quantum_snapshots(10000, n_sites=N, return_state=True, random_state=0)
    fids, times = [], []
    # the first torch.optim optimiser of a process imports torch._dynamo (~1 s of CPU): a
    # throwaway fit pays it here, off the clock, as the benchmark's warm-up does
    RBMWavefunction(max_iter=1).fit(X[:10])
    epochs = [25, 50, 100] if quick else [25, 50, 100, 200]
    say(f"tomography: RBM on 10^4 snapshots of N={N} spins, {epochs} epochs")
    for n_iter in epochs:
        t0 = time.perf_counter()
        model = RBMWavefunction(max_iter=n_iter, random_state=0).fit(X)
        times.append(time.perf_counter() - t0)
        fids.append(model.fidelity(state))
    if quick:  # the bar is set at N=6
        ref, ok = "issue bar (N=6) >= 0.98; QuCumber N=10: 0.99 @ 62 s", fids[-1] >= 0.98
    else:  # ANCHORS' target at N=10, where QuCumber needs 62 s
        ref, ok = ("ANCHORS target F >= 0.99 in <= 30 s; QuCumber: 0.99 @ 62 s",
                   fids[-1] >= 0.99 and times[-1] <= 30)
    rows.append({"result": f"tomography TFIM open chain N={N}, 10^4 snapshots: fidelity",
                 "value": f"{fids[-1]:.4f} in {times[-1]:.1f} s", "reference": ref,
                 "ok": bool(ok)})

    n_w = 50
    Xw, _ = make_quantum_snapshots(10000, state="w", n_sites=n_w, random_state=0)
    w_state = ExactState(energy=0.0, psi=np.full(n_w, n_w**-0.5), codes=sector_codes(n_w, 1),
                         n_sites=n_w)
    t0 = time.perf_counter()
    w_model = RBMWavefunction(n_up=1, max_iter=100, random_state=0).fit(Xw)
    rows.append({"result": f"tomography W state N={n_w} in its one-up sector: fidelity",
                 "value": f"{w_model.fidelity(w_state):.4f} in {time.perf_counter() - t0:.1f} s",
                 "reference": "no bar: 2^50 states, the sector's 50 give an exact likelihood",
                 "ok": None})

    plt = pyplot()
    if plt is not None:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
        # the Monte Carlo estimate of each iteration can fall below E0 by its noise: those
        # points are shown as |E - E0| / |E0| with their own marker, not clipped away
        eps = (np.array(psi.energy_curve_) - gs.energy) / abs(gs.energy)
        its = np.arange(len(eps))
        above, below = eps > 0, eps < 0
        ax1.semilogy(its[above], eps[above], ".", ms=3, label="E > E0")
        if below.any():
            ax1.semilogy(its[below], -eps[below], "v", ms=4, label="E < E0 (noise)")
        e_exact = (e - gs.energy) / abs(gs.energy)
        ax1.axhline(e_exact, color="k", ls="--", lw=1,
                    label=f"final state, exact: {e_exact:.1e}")
        ax1.set(xlabel="SR updates", ylabel="|E - E0| / |E0|  (Monte Carlo estimate)",
                title=f"Heisenberg ring L={L}, {psi.n_parameters_} parameters")
        ax1.legend(fontsize=8)
        ax2.plot(times, fids, "o-")
        for n_iter, t, f in zip(epochs, times, fids):
            ax2.annotate(f"{n_iter} epochs", (t, f), textcoords="offset points",
                         xytext=(4, -10), fontsize=8)
        ax2.margins(x=0.2, y=0.15)  # room for the point labels
        ax2.set(xlabel="wall time (s)", ylabel="fidelity with the exact state",
                title=f"tomography, TFIM open chain N={N}\n10^4 snapshots")
        fig.tight_layout()
        fig.savefig(out_dir / "quantum.png", dpi=120, bbox_inches="tight")
        plt.close(fig)
    return rows

"""Tour stop: Ising configurations from make_ising, checked against the exact solution."""

import time

import numpy as np

from . import say
from ._plot import pyplot

TITLE = "Ising Monte Carlo (make_ising)"


def run(out_dir, quick):
    from ..datasets import (
        ising_critical_temperature,
        make_ising,
        onsager_energy,
        onsager_magnetization,
    )
    from ..datasets._ising import _BitIsing

    Tc = ising_critical_temperature()
    rows = []
    # raw speed of the bit-packed Metropolis sweep (the benchmark's setting)
    lat = _BitIsing(32, np.full(256, 1 / Tc), seed=0)
    lat.set_state(np.zeros(256, bool))
    sweeps = 20 if quick else 100
    t0 = time.perf_counter()
    for _ in range(sweeps):
        lat.sweep()
    rate = 256 * 32 * 32 * sweeps / (time.perf_counter() - t0)
    # no bar: absolute rates depend on the machine; bench_ising.py races the peer in one run
    rows.append({"result": "Metropolis spin updates/s (L=32, 256 chains, T_c)",
                 "value": f"{rate / 1e6:.0f} M",
                 "reference": "for scale: bench_ising.py measured 0.91-0.93x the best numpy "
                              "checkerboard at 256 chains, 1.27-1.37x at 2560", "ok": None})

    n_T, n = (10, 50) if quick else (40, 250)
    T = np.linspace(1.0, 3.5, n_T)
    say(f"make_ising: L=32, {n_T} temperatures x {n} configurations")
    t0 = time.perf_counter()
    _, _, obs = make_ising(T, n_samples=n, L=32, return_observables=True, random_state=0)
    rows.append({"result": f"phase-classification set: L=32, {n_T} T x {n} samples",
                 "value": f"{time.perf_counter() - t0:.1f} s",
                 "reference": "method: equilibrated, thinned by 2 tau (checked below)",
                 "ok": None})
    m = np.abs(obs["magnetization"]).reshape(n_T, n)
    e = obs["energy"].reshape(n_T, n)
    # away from T_c the finite-size corrections at L=32 are far below the statistical errors
    for name, x, exact, where in (
            ("<|m|> - Onsager-Yang", m, onsager_magnetization(T), T < 0.9 * Tc),
            ("<E>/N - Onsager", e, onsager_energy(T), np.abs(T - Tc) > 0.3)):
        z = np.abs((x.mean(1) - exact) / (x.std(1) / np.sqrt(n) + 1e-12))[where].max()
        rows.append({"result": f"max |{name}| / std. error, {where.sum()} temperatures",
                     "value": f"{z:.1f}",
                     "reference": "bar < 3.5 for independent, unbiased samples",
                     "ok": bool(z < 3.5)})

    plt = pyplot()
    if plt is not None:
        fine = np.linspace(0.9, 3.6, 300)
        Xs, ys = make_ising([1.5, Tc, 3.5], n_samples=1, L=64, flat=False, random_state=1)
        fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
        for ax, s, t in zip(axes, Xs, ys):
            ax.imshow(s, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
            ax.set(title=f"L = 64, T = {t:.2f}" + (" (T_c)" if np.isclose(t, Tc) else ""),
                   xticks=[], yticks=[])
        axes[3].errorbar(T, m.mean(1), m.std(1), fmt="o", ms=3,
                         label=f"make_ising, {n} samples/T")
        axes[3].plot(fine, onsager_magnetization(fine), "k-", label="Onsager-Yang, L = inf")
        axes[3].axvline(Tc, color="grey", ls=":", lw=1)
        axes[3].set(xlabel="temperature T (J = k_B = 1)", ylabel="<|m|>")
        axes[3].set_title("L = 32; bars: spread (1 std. dev.)", fontsize=11)
        axes[3].legend(fontsize=7, loc="center left", handlelength=1.2)
        fig.tight_layout()
        fig.savefig(out_dir / "ising_configurations.png", dpi=100, bbox_inches="tight")
        plt.close(fig)
    return rows

"""t-VMC at L=12: where the error of <sigma^x>(t) comes from (skphys alone; the NetKet row is
bench_quantum.py --only tdvp --quick).

Protocol. The quench of bench_quantum.py --only tdvp (``_tdvp_bench.py``) on the ring of L=12:
TFIM, ground state at h=0.5 fitted by skphys (translation-symmetric RBM alpha=2, 300 SR
iterations, 2000 samples, lr 0.05/(1+it/100), seed 0), evolved under h=1 with RK4, dt=0.01,
to ``--t-final`` (default 2). Every variant runs TimeEvolution's own step function; after
every step the variational state is summed exactly over the 2^12 configurations (no noise),
so that two errors are told apart: the STATE error, max_t |<sigma^x>_psi(t) - exact(t)| of the
variational state itself, and the RECORDED error, that of the trajectory as TimeEvolution
records it (Monte Carlo estimates). Variants: exact sums in the equation of motion, and Monte
Carlo with 4000 samples (seed ``--seed``): the defaults (``diag_scale="auto"``: unscaled with
exact sums; with Monte Carlo scaled here, every parameter acting on the initial state), ``diag_scale=False``, the signal-to-noise cutoff
(``snr_cutoff=2``), and the measurement not pooled over the RK4 stages. Exact reference: expm_multiply from the exact ground state.
The clock (wall_s) includes the exact sums over the state (diagnostic only).

    python benchmarks/bench_tdvp_diagnostics.py [--t-final 2] [--seed 0] [--only NAME ...]
"""

import argparse
import json
import time

import numpy as np
import torch
from _common import RESULTS, report

from skphys.quantum import (
    RBMWavefunction,
    TimeEvolution,
    TransverseFieldIsing,
    _tdvp,
    exact_evolution,
    exact_ground_state,
    magnetization,
)
from skphys.quantum import _tdvp_core as core

L, DT = 12, 0.01
VARIANTS = {
    # name: (method, diag_scale, snr_cutoff, pool); the defaults: diag_scale="auto" (scaled
    # with Monte Carlo, unscaled with exact sums), snr_cutoff=None, pooled
    "exact sums": ("exact", "auto", None, False),
    "exact sums, diag_scale": ("exact", True, None, False),
    "MC defaults": ("monte_carlo", "auto", None, True),
    "MC diag_scale=False": ("monte_carlo", False, None, True),
    "MC snr_cutoff=2": ("monte_carlo", "auto", 2.0, True),
    "MC defaults, not pooled": ("monte_carlo", "auto", None, False),
}


def _lr(it):
    return 0.05 / (1 + it / 100)


def run(gs, H, mx, grid, exact_sx, exact_e, variant, t_final, seed, n_samples=4000):
    method, diag_scale, snr, pool = VARIANTS[variant]
    est = TimeEvolution(H, initial_state=gs, t_final=t_final, dt=DT, method=method,
                        n_samples=n_samples, random_state=seed, diag_scale=diag_scale,
                        snr_cutoff=snr)
    ansatz, flat, _ = est._initial(H, "cpu")
    source = (core.ExactExpectations(L, "cpu") if method == "exact" else
              core.SampledExpectations(L, n_samples, 2, 50, "cpu"))
    if diag_scale == "auto" and method == "exact":  # as TimeEvolution resolves it
        diag_scale = False
    step = _tdvp._Run(H, {"sx": mx}, ansatz, source, 1e-6,
                      snr if method != "exact" else None, "rk4", DT, diag_scale, pool)
    exact_sums = core.ExactExpectations(L, "cpu")
    n = round(t_final / DT)
    state, true_sx, true_e, rec_sx, rec_e = {"flat": flat, "t": 0.0}, [], [], [], []
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    with torch.no_grad():
        for it in range(n + 1):
            p = ansatz.params(state["flat"])
            s, th, t, w = exact_sums.draw(p)
            true_sx.append(float((w * core.local_values(mx, p, s, th, t).real).sum()))
            true_e.append(float((w * core.local_values(H, p, s, th, t).real).sum()))
            rec = step.measure(state["flat"], state["t"]) if it == n else step.step(it, state)
            rec_sx.append(rec["sx"])
            rec_e.append(rec["energy"])
    wall = time.perf_counter() - t0
    true_sx, rec_sx = np.array(true_sx), np.array(rec_sx)
    err = np.abs(true_sx - exact_sx[: n + 1])
    return {"variant": variant, "t_final": t_final, "seed": seed,
            "state_err_sx": float(err.max()), "t_of_max": float(grid[int(err.argmax())]),
            "recorded_err_sx": float(np.abs(rec_sx - exact_sx[: n + 1]).max()),
            "noise_sx_std": float(np.std(rec_sx - true_sx)),
            "state_err_e_per_site": float(np.abs(np.array(true_e) - exact_e[: n + 1]).max()
                                          / L),
            "recorded_err_e_per_site": float(np.abs(np.array(rec_e) - exact_e[: n + 1]).max()
                                             / L),
            "wall_s": wall}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--t-final", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", default=None, choices=list(VARIANTS))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(__doc__.split("Protocol.")[1].split("    python")[0], flush=True)
    H0, H = TransverseFieldIsing(L, h=0.5), TransverseFieldIsing(L, h=1.0)
    mx = magnetization(L)
    gs = RBMWavefunction(H0, alpha=2, symmetry="translation", max_iter=300, n_samples=2000,
                         learning_rate=_lr, random_state=0).fit()
    grid = np.arange(round(args.t_final / DT) + 1) * DT
    exact_e, exact_v, _ = exact_evolution(H, exact_ground_state(H0).full(), grid, [mx])
    # rows of earlier runs with the same settings are kept (``--only`` adds variants); the
    # table is written after every variant
    name = "tdvp_diagnostics" + ("" if args.t_final == 2.0 else f"_t{args.t_final:g}")
    path = RESULTS / f"{name}.json"
    meta = {"L": L, "dt": DT, "t_final": args.t_final, "seed": args.seed, "n_samples": 4000,
            "peer_ran": "no (NetKet: bench_quantum.py --only tdvp)"}
    rows = []
    if path.exists():
        old = json.loads(path.read_text())
        if all(old["meta"].get(k) == v for k, v in meta.items()):
            rows = old["rows"]
    for variant in args.only or VARIANTS:
        row = run(gs, H, mx, grid, exact_v[0], exact_e, variant, args.t_final, args.seed)
        print(row, flush=True)
        rows = [r for r in rows if r["variant"] != variant] + [row]
        rows.sort(key=lambda r: list(VARIANTS).index(r["variant"]))
        report(name, rows,
               ["variant", "state_err_sx", "t_of_max", "recorded_err_sx", "noise_sx_std",
                "state_err_e_per_site", "recorded_err_e_per_site", "wall_s"], meta)

if __name__ == "__main__":
    main()

"""The t-VMC rows of bench_quantum.py (``--only tdvp``): skphys TimeEvolution beside NetKet's TDVP.

Protocol (printed by the run):

* Quench of Carleo & Troyer: transverse-field Ising ring of L spins (L=20; ``--quick``: 12),
  H = -sum Z Z - h sum X, from the ground state at h=0.5 to h=1, evolved to t=2
  (``--quick``: 0.5).
* Initial state: one skphys ground-state fit at h=0.5 (RBMWavefunction, translation-symmetric
  RBM alpha=2: 2 filters, 43 parameters at L=20; 300 SR iterations, 2000 samples, lr
  0.05/(1+it/100), seed 0). The same parameters are loaded into NetKet's ``RBMSymm`` (the two
  give the same log psi to 1e-15, checked in the run), made complex: both codes evolve the same
  state with the same ansatz.
* Evolution, both codes: Monte Carlo, ``--tdvp-samples`` samples (default 4000) per
  evaluation of the equation of motion from as many Metropolis chains (single-spin flips),
  two sweeps of L moves between evaluations (NetKet: ``n_chains = n_samples``,
  ``n_discard_per_chain=1``, one sample per chain after it); fixed-step RK4, dt=0.01;
  S inverted by the smooth pseudo-inverse of Schmitt & Heyl with relative cutoff 1e-6
  (skphys ``rcond=1e-6``; NetKet ``pinv_smooth(rtol_smooth=1e-6)``), no signal-to-noise
  cutoff in either. skphys besides pools each step's energy and <sigma^x> over the
  samples of its four RK4 stages, reweighted to the step's start
  (NetKet measures on the 4000 samples of the start). skphys runs twice: its defaults
  (``diag_scale="auto"``: with Monte Carlo S is solved in units of its diagonal), and with
  ``diag_scale=False`` (unscaled, as NetKet's row).
* Exact reference: the ground state at h=0.5 by Lanczos on all 2^L states, evolved with
  scipy's ``expm_multiply`` step by step to every recorded time (cached on disk, keyed by L,
  the fields, t_final and dt, in the system's temporary directory: the L=20 reference costs
  minutes; the cache hit is printed). Errors: the largest
  deviation over all steps of <sigma^x> (per site) and of E / L.
* Clock: the evolution only (the shared ground-state fit and the exact reference are timed
  separately); NetKet first runs a throwaway 2-step evolution of the same shapes (JIT),
  reported as its warm-up. Cost: seconds per unit of time t.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from skphys.quantum import (
    RBMWavefunction,
    TimeEvolution,
    TransverseFieldIsing,
    exact_evolution,
    exact_ground_state,
    magnetization,
)

PROTOCOL = __doc__.split("Protocol (printed by the run):")[1]


def _errors(t_e, energy, t_x, sx, exact_t, exact_e, exact_sx, n):
    """Largest deviations from the exact values at the recorded times (on the dt grid)."""
    ie = np.searchsorted(exact_t, np.asarray(t_e) - 1e-9)
    ix = np.searchsorted(exact_t, np.asarray(t_x) - 1e-9)
    return {"max_err_sx": float(np.abs(sx - exact_sx[ix]).max()),
            "max_err_e_per_site": float(np.abs(energy - exact_e[ie]).max() / n),
            "energy_drift_per_site": float(np.ptp(energy) / n),
            "t_max": float(max(np.max(t_e), np.max(t_x)))}


def exact_reference(n, h0, h1, grid):
    """``(energy, <sigma^x>)`` of exact evolution on ``grid``, cached on disk by parameters."""
    dt = float(grid[1] - grid[0]) if len(grid) > 1 else 0.0
    key = f"tfim_quench_L{n}_h{h0:g}-{h1:g}_t{grid[-1]:g}_dt{dt:g}.npz"
    path = Path(tempfile.gettempdir()) / "skphys_bench_cache" / key
    if path.exists():
        data = np.load(path)
        if len(data["energy"]) == len(grid):
            print(f"exact reference: cached ({path})", flush=True)
            return data["energy"], data["sx"]
    H0, H = TransverseFieldIsing(n, h=h0), TransverseFieldIsing(n, h=h1)
    energy, values, _ = exact_evolution(H, exact_ground_state(H0).full(), grid,
                                        [magnetization(n)])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, energy=energy, sx=values[0])
    return energy, values[0]


def netket_tdvp(gs, n, t_final, dt, n_samples, seed):
    """NetKet's TDVP of the same state: (times, energy, times, sx, wall s, warm-up s)."""
    import jax
    import jax.numpy as jnp
    import netket as nk
    import netket.experimental as nkx

    graph = nk.graph.Chain(n, pbc=True)
    hi = nk.hilbert.Spin(0.5, n)
    H = nk.operator.Ising(hi, graph, h=1.0, J=-1.0)  # NetKet: -h sum X + J sum ZZ
    sx = sum(nk.operator.spin.sigmax(hi, j) for j in range(n)) * (1.0 / n)
    model = nk.models.RBMSymm(symmetries=graph.translation_group(), alpha=2,
                              param_dtype=complex)
    params = {"params": {"Dense": {
        "bias": jnp.asarray(gs.filter_biases_, dtype=complex),
        "kernel": jnp.asarray(gs.filters_[:, None, :], dtype=complex)},
        "visible_bias": jnp.asarray(gs.filter_visible_bias_, dtype=complex)}}
    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(50, n))
    diff = np.asarray(model.apply(params, jnp.asarray(X))) - gs.log_psi(X)
    assert np.abs(diff).max() < 1e-10, "NetKet's RBMSymm does not reproduce the state"
    sampler = nk.sampler.MetropolisLocal(hi, n_chains=n_samples)

    def run(T):
        vs = nk.vqs.MCState(sampler, model, n_samples=n_samples, n_discard_per_chain=1,
                            seed=seed, sampler_seed=seed)
        vs.parameters = jax.tree_util.tree_map(jnp.asarray, params["params"])
        te = nkx.TDVP(H, vs, nkx.dynamics.RK4(dt=dt),
                      qgt=nk.optimizer.qgt.QGTJacobianDense(holomorphic=True),
                      linear_solver=nk.optimizer.solver.pinv_smooth(rtol=1e-14,
                                                                    rtol_smooth=1e-6))
        log = nk.logging.RuntimeLog()
        t0 = time.perf_counter()
        te.run(T, out=log, obs={"sx": sx, "energy": H}, show_progress=False)
        wall = time.perf_counter() - t0
        data = log.data
        return (np.asarray(data["energy"].iters, dtype=float),
                np.asarray(data["energy"]["Mean"]).real,
                np.asarray(data["sx"].iters, dtype=float),
                np.asarray(data["sx"]["Mean"]).real, wall)

    t0 = time.perf_counter()
    run(2 * dt)
    warm = time.perf_counter() - t0
    return (*run(t_final), warm)


def tdvp_rows(quick, have_netket, n_samples, rows, summary, warmups):
    n = 12 if quick else 20
    t_final = 0.5 if quick else 2.0
    dt = 0.01
    print("\n== t-VMC: quench of the TFIM ring, h = 0.5 -> 1" + PROTOCOL.rstrip(), flush=True)
    print(f"this run: L={n}, t_final={t_final}, dt={dt}, n_samples={n_samples}", flush=True)
    H0, H = TransverseFieldIsing(n, h=0.5), TransverseFieldIsing(n, h=1.0)
    mx = magnetization(n)
    t0 = time.perf_counter()
    gs = RBMWavefunction(H0, alpha=2, symmetry="translation", max_iter=300, n_samples=2000,
                         learning_rate=lambda it: 0.05 / (1 + it / 100),
                         random_state=0).fit()
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_steps = round(t_final / dt)
    grid = np.arange(n_steps + 1) * dt
    exact_e, exact_sx = exact_reference(n, 0.5, 1.0, grid)
    exact_v = exact_sx[None]
    t_exact = time.perf_counter() - t0
    print(f"initial state: skphys fit {t_fit:.1f} s, E(h=0.5) = {gs.energy_:.5f}; exact "
          f"<H(h=1)> at t=0 {exact_e[0]:.5f}; exact reference {t_exact:.1f} s", flush=True)

    for diag_scale in ("auto", False):
        evo = TimeEvolution(H, initial_state=gs, t_final=t_final, dt=dt, n_samples=n_samples,
                            method="monte_carlo", observables={"sx": mx}, random_state=0,
                            diag_scale=diag_scale)
        t0 = time.perf_counter()
        evo.fit()
        wall = time.perf_counter() - t0
        tr = evo.trajectory_
        row = {"system": f"TFIM L={n} quench 0.5->1",
               "code": "skphys" + ("" if diag_scale == "auto" else " diag_scale=False"),
               "t_final": t_final, "dt": dt, "n_samples": n_samples, "wall_s": wall,
               "s_per_unit_time": wall / t_final,
               **_errors(tr["time"], tr["energy"], tr["time"], tr["sx"], grid, exact_e,
                         exact_v[0], n),
               "peer_ran": "yes" if have_netket else "no"}
        row["bar_1e-2_met"] = row["max_err_sx"] <= 1e-2 and row["max_err_e_per_site"] <= 1e-2
        print(f"{row['code']}: {wall:.1f} s, max |error| sigma^x {row['max_err_sx']:.2e}, "
              f"E/L {row['max_err_e_per_site']:.2e}", flush=True)
        rows.append(row)
        if diag_scale == "auto":
            ours = row
    theirs = None
    if have_netket:
        t_e, e, t_x, v, wall_nk, warm = netket_tdvp(gs, n, t_final, dt, n_samples, 0)
        warmups.append({"system": "tdvp", "setting": f"L={n}", "code": "NetKet",
                        "warm_up_s": warm})
        theirs = {"system": ours["system"], "code": "NetKet", "t_final": t_final, "dt": dt,
                  "n_samples": n_samples, "wall_s": wall_nk,
                  "s_per_unit_time": wall_nk / t_final,
                  **_errors(t_e, e, t_x, v, grid, exact_e, exact_v[0], n),
                  "peer_ran": "yes"}
        theirs["bar_1e-2_met"] = (theirs["max_err_sx"] <= 1e-2
                                  and theirs["max_err_e_per_site"] <= 1e-2)
        rows.append(theirs)
    else:
        rows.append({"system": ours["system"], "code": "NetKet", "peer_ran": "no"})
    for key in ("s_per_unit_time", "max_err_sx", "max_err_e_per_site"):
        summary.append({"system": ours["system"], "setting": "tdvp", "measure": key,
                        "skphys": ours[key], "peer": None if theirs is None else theirs[key],
                        "ratio": None if theirs is None or not theirs[key]
                        else ours[key] / theirs[key],
                        "ratio_range": None, "peer_ran": "yes" if theirs else "no"})
    return ours, theirs

"""The 1300/1550 nm demultiplexer: skphys InverseDeviceDesigner against ceviche, one run.

Piggott's geometry in 2-D (Ez): a 2.8 x 2.8 µm design region of Si (eps 12.25) in SiO2
(eps 2.25), 400 nm waveguides, 40 nm grid (150 x 134 cells), 60 iterations of adjoint
topology optimisation (density -> cone filter r = 100 nm -> tanh projection, beta 1 -> 64 ->
binarised), 1550 nm to the lower port and 1300 nm to the upper one.

Protocol (printed by the script):
* ceviche 0.1.3 (``pip install ceviche``, a benchmark-only peer) runs the very same grid,
  permittivity layout, parameterisation, objective, Adam steps and beta schedule, written
  with its autograd FDFD (``fdfd_ez``, which factorises the system twice per wavelength:
  forward and adjoint), its mode sources and modal overlaps normalised to a straight guide.
* Equal footing: both start from the *same* initial density (the designer's seeded draw) and
  run the same number of iterations; quality is compared at equal iterations, per seed.
  Before timing, each side runs one warm-up iteration (skphys: a 1-iteration fit, which also
  imports torch's optimiser machinery; ceviche: one objective-and-gradient evaluation).
* Stochastic part: the initial density's noise. ``--seeds`` seeds (default 3); the table
  gives every seed and the median with its range. The crosstalk of a converged design
  (-30 to -60 dB) varies by +-10 dB from seed to seed in both codes: the objective's
  crosstalk term ``log(1 + 100 T_wrong)`` is nearly flat there.
* Reported: seconds per iteration (wall and CPU; one thread), IL and crosstalk of the
  binarised design at both wavelengths, both codes' first objective value (same design,
  two simulators: they agree to ~1e-3), and, for the first seed, the 1 dB / 3 dB bandwidths
  from a 1.20-1.65 µm sweep.
Without ceviche the script says so loudly and prints skphys alone (``peer ran: no``); it
never substitutes published figures.

    python benchmarks/bench_photonics.py [--iterations 60] [--seeds 3] [--no-peer]
                                         [--crosstalk-weight 0.3]
"""

import argparse  # noqa: I001  (_common must load before numpy and torch)
import time

from _common import report  # first: pins the threads before numpy/torch load

import numpy as np

from skphys.photonics import InverseDeviceDesigner
from skphys.utils._torch import draw_seed

WAVELENGTHS = (1.55, 1.30)  # -> ports 0 (lower) and 1 (upper)
SWEEP = np.linspace(1.20, 1.65, 46)
PROTOCOL = __doc__.split("Protocol (printed by the script):")[1].split("\n\n")[0]


def bandwidth(wavelengths, T, center, level_db):
    """Width of the band around ``center`` where ``10 log10 T >= -level_db``, and whether
    it reaches the edge of the sweep (then the width is a lower bound)."""
    db = 10 * np.log10(np.maximum(T, 1e-30))
    i0 = int(np.argmin(np.abs(wavelengths - center)))
    if db[i0] < -level_db:
        return 0.0, False
    lo, hi = i0, i0
    while lo > 0 and db[lo - 1] >= -level_db:
        lo -= 1
    while hi < len(db) - 1 and db[hi + 1] >= -level_db:
        hi += 1

    def edge(i_in, i_out):
        a, b = db[i_in] + level_db, db[i_out] + level_db
        return wavelengths[i_in] + (wavelengths[i_out] - wavelengths[i_in]) * a / (a - b)

    clipped = lo == 0 or hi == len(db) - 1
    left = wavelengths[0] if lo == 0 else edge(lo, lo - 1)
    right = wavelengths[-1] if hi == len(db) - 1 else edge(hi, hi + 1)
    return float(right - left), clipped


def summary(name, s_iter, cpu_iter, T_design, spectrum, extra=None):
    """One table row: IL/XT at both wavelengths and bandwidths per port."""
    row = {"method": name, "s/iter": s_iter, "cpu s/iter": cpu_iter}
    for p, lam in enumerate(WAVELENGTHS):
        t = T_design[p]
        row[f"IL {lam * 1000:.0f} dB"] = 10 * np.log10(t[p])
        row[f"XT {lam * 1000:.0f} dB"] = 10 * np.log10(t[1 - p] / t[p])
        if spectrum is not None:
            for lvl in (1, 3):
                w, clipped = bandwidth(SWEEP, spectrum[:, p], lam, lvl)
                row[f"{lvl}dB BW {lam * 1000:.0f} nm"] = ((">=" if clipped else "")
                                                          + f"{w * 1000:.0f}")
    row.update(extra or {})
    return row


def initial_density(shape, seed):
    """The designer's initial density for ``random_state=seed`` (grey, seeded noise).

    Re-drawn here so that ceviche starts from the same design; ``run`` checks that both
    codes then give the same first objective value.
    """
    rng = np.random.RandomState(draw_seed(seed))
    return 0.5 + 0.01 * rng.standard_normal(shape)


def run_skphys(iterations, seed, crosstalk_weight):
    est = InverseDeviceDesigner(max_iter=iterations, random_state=seed,
                                crosstalk_weight=crosstalk_weight)  # the demux defaults
    X, y = np.array(WAVELENGTHS)[:, None], np.array([0, 1])
    t0, c0 = time.perf_counter(), time.process_time()
    est.fit(X, y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # the fit's time includes the final evaluation of the binarised design (one forward
    # solve per wavelength, ~half an iteration); ceviche's loop below does not: subtract it
    t0, c0 = time.perf_counter(), time.process_time()
    est.transmission(X)
    wall, cpu = wall - (time.perf_counter() - t0), cpu - (time.process_time() - c0)
    return est, wall / iterations, cpu / iterations


class Ceviche:
    """The same problem in ceviche (autograd), on the geometry of the fitted ``est``."""

    def __init__(self, est):
        from autograd.scipy.signal import convolve
        from ceviche import fdfd_ez
        from ceviche.constants import C_0
        from ceviche.modes import insert_mode

        self.est, self.convolve = est, convolve
        g = self.g = est._geom
        dl = g.dl * 1e-6
        dx, dy = g.design_shape
        w = g.width
        self.kernel = est._kernel.numpy()[0, 0] if est._kernel is not None else np.ones((1, 1))
        r = self.r = self.kernel.shape[0] // 2
        self.norm = convolve(np.ones((dx, dy)), self.kernel, mode="full")[r : r + dx, r : r + dy]
        self.mask = np.zeros(g.shape, bool)
        self.mask[g.x0 : g.x0 + dx, g.y0 : g.y0 + dy] = True
        straight = g.background.copy()
        straight[:, g.input_centre - w // 2 : g.input_centre - w // 2 + w] = est.eps_core
        lo_in = g.input_centre - w // 2 - 8
        in_slice = (slice(g.source_x, g.source_x + 1), slice(lo_in, lo_in + w + 16))

        def port_slice(c):
            lo = c - w // 2 - 8
            return slice(g.monitor_x, g.monitor_x + 1), slice(lo, lo + w + 16)

        def setup(lam):
            omega = 2 * np.pi * C_0 / (lam * 1e-6)
            src = insert_mode(omega, dl, *in_slice, g.background, m=1)
            probes = [insert_mode(omega, dl, *port_slice(c), g.background, m=1)
                      for c in g.port_centres]
            sim = fdfd_ez(omega, dl, straight, [g.npml, g.npml])
            _, _, ez = sim.solve(src)
            # reference: the straight guide's overlap with its own (input-aligned) port mode
            probe_ref = insert_mode(omega, dl, *port_slice(g.input_centre), straight, m=1)
            return sim, src, probes, np.abs(np.sum(np.conj(ez) * probe_ref)) ** 2

        self.setup = setup
        self.sims = [setup(lam) for lam in WAVELENGTHS]

    def place(self, region):
        import autograd.numpy as npa

        g, (dx, dy) = self.g, self.g.design_shape
        return g.background * (~self.mask) + npa.pad(
            region, ((g.x0, g.shape[0] - g.x0 - dx), (g.y0, g.shape[1] - g.y0 - dy)),
            mode="constant")

    def filtered(self, rho):
        dx, dy = self.g.design_shape
        r = self.r
        return self.convolve(rho, self.kernel, mode="full")[r : r + dx, r : r + dy] / self.norm

    def structure(self, rho, beta):
        import autograd.numpy as npa

        est = self.est
        t = np.tanh(beta * 0.5)
        proj = (t + npa.tanh(beta * (self.filtered(rho) - 0.5))) / (t + np.tanh(beta * 0.5))
        return self.place(est.eps_clad + proj * (est.eps_core - est.eps_clad))

    def transmissions(self, eps, sims=None):
        import autograd.numpy as npa

        rows = []
        for sim, src, probes, ref in sims or self.sims:
            sim.eps_r = eps
            _, _, ez = sim.solve(src)
            rows.append([npa.abs(npa.sum(npa.conj(ez) * p)) ** 2 / ref for p in probes])
        return rows

    def objective(self, rho, beta):
        import autograd.numpy as npa

        T = self.transmissions(self.structure(rho, beta))
        loss = 0.0
        for p in range(2):
            loss = loss - npa.log(T[p][p] + 1e-9) + self.est.crosstalk_weight * npa.log(
                1 + 100 * T[p][1 - p])
        return loss / 2

    def run(self, rho, iterations, spectrum=False):
        """Adam with torch's defaults (as the designer) from ``rho``; the binarised result."""
        from autograd import value_and_grad

        est = self.est
        vg = value_and_grad(self.objective)
        vg(rho, 1.0)  # warm-up (not timed)
        m, v = np.zeros_like(rho), np.zeros_like(rho)
        first = None
        t0, c0 = time.perf_counter(), time.process_time()
        for it in range(iterations):
            beta = est.beta_max ** (it / max(iterations - 1, 1))
            value, grad = vg(rho, beta)
            first = float(value) if first is None else first
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            mh, vh = m / (1 - 0.9 ** (it + 1)), v / (1 - 0.999 ** (it + 1))
            rho = np.clip(rho - est.learning_rate * mh / (np.sqrt(vh) + 1e-8), 0.0, 1.0)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        binary = (self.filtered(rho) > 0.5).astype(float)  # any beta thresholds at 0.5
        eps_bin = self.place(est.eps_clad + binary * (est.eps_core - est.eps_clad))
        T = np.array([[float(t) for t in row] for row in self.transmissions(eps_bin)])
        spec = None
        if spectrum:
            spec = np.array([[float(t) for t in self.transmissions(eps_bin, [self.setup(lam)])[0]]
                             for lam in SWEEP])
        return wall / iterations, cpu / iterations, T, spec, first


def _median_row(name, rows):
    out = {"method": name, "seed": "median", "peer ran": rows[0]["peer ran"]}
    for key in rows[0]:
        values = [r[key] for r in rows if isinstance(r.get(key), float)]
        if values and key not in ("seed",):
            out[key] = float(np.median(values))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--crosstalk-weight", type=float, default=0.3)
    parser.add_argument("--no-peer", action="store_true", help="skip ceviche")
    args = parser.parse_args()
    print("Protocol:" + PROTOCOL + "\n")

    peer = not args.no_peer
    if peer:
        try:
            import ceviche  # noqa: F401
        except ImportError:
            peer = False
            print("=" * 78 + "\nWARNING: ceviche is not installed (pip install ceviche): the peer "
                  "did NOT run.\nOnly skphys's figures follow; no ratio is computed.\n"
                  + "=" * 78 + "\n")
    else:
        print("WARNING: --no-peer: ceviche did NOT run; only skphys's figures follow.\n")

    X = np.array(WAVELENGTHS)[:, None]
    InverseDeviceDesigner(max_iter=1, random_state=0).fit(X, [0, 1])  # warm-up (not timed)
    sk_rows, cv_rows = [], []
    for seed in range(args.seeds):
        est, s_iter, cpu_iter = run_skphys(args.iterations, seed, args.crosstalk_weight)
        grid = "x".join(map(str, est.grid_shape_))
        sk_rows.append(summary("skphys InverseDeviceDesigner", s_iter, cpu_iter,
                               est.transmission(X), est.spectrum(SWEEP) if seed == 0 else None,
                               {"seed": seed, "grid": grid, "loss[0]": est.loss_curve_[0],
                                "peer ran": "-"}))
        if peer:
            cev = Ceviche(est)
            s_c, cpu_c, T_c, spec_c, first = cev.run(
                initial_density(est._geom.design_shape, seed), args.iterations,
                spectrum=seed == 0)
            cv_rows.append(summary("ceviche 0.1.3 (same problem, same start)", s_c, cpu_c,
                                   T_c, spec_c, {"seed": seed, "grid": grid, "loss[0]": first,
                                                 "peer ran": "yes"}))
    rows = [*sk_rows, _median_row("skphys InverseDeviceDesigner", sk_rows)]
    if cv_rows:
        rows += [*cv_rows, _median_row("ceviche 0.1.3 (same problem, same start)", cv_rows)]
    else:
        rows.append({"method": "ceviche 0.1.3", "peer ran": "no"})
    columns = ["method", "seed", "peer ran", "grid", "s/iter", "cpu s/iter", "loss[0]",
               "IL 1550 dB", "IL 1300 dB", "XT 1550 dB", "XT 1300 dB", "1dB BW 1550 nm",
               "3dB BW 1550 nm", "1dB BW 1300 nm", "3dB BW 1300 nm"]
    report("bench_photonics", rows, columns,
           {"iterations": args.iterations, "seeds": args.seeds,
            "crosstalk_weight": args.crosstalk_weight, "peer_ran": bool(cv_rows),
            "sweep_um": [1.20, 1.65, len(SWEEP)], "protocol": PROTOCOL.strip()})
    if not cv_rows:
        print("\nceviche did not run: no time ratio and no quality comparison.")
        return
    sk_med, cv_med = rows[len(sk_rows)], rows[-1]
    print(f"\ns/iteration skphys / ceviche (medians, this run): "
          f"{sk_med['s/iter'] / cv_med['s/iter']:.2f} (target <= 0.5); CPU s/iteration: "
          f"{sk_med['cpu s/iter'] / cv_med['cpu s/iter']:.2f}")
    for key in ("XT 1550 dB", "XT 1300 dB", "IL 1550 dB", "IL 1300 dB"):
        diffs = [a[key] - b[key] for a, b in zip(sk_rows, cv_rows)]
        print(f"{key} at equal iterations, skphys - ceviche per seed: "
              + ", ".join(f"{d:+.1f}" for d in diffs)
              + f"; medians {sk_med[key]:.2f} vs {cv_med[key]:.2f}")


if __name__ == "__main__":
    main()

"""The 1300/1550 nm demultiplexer: skphys InverseDeviceDesigner against ceviche, one run.

Piggott's geometry in 2-D (Ez): a 2.8 x 2.8 µm design region of Si (eps 12.25) in SiO2
(eps 2.25), 400 nm waveguides, 40 nm grid (150 x 134 cells), 60 iterations of adjoint
topology optimisation (density -> cone filter r = 100 nm -> tanh projection, beta 1 -> 64 ->
binarised), 1550 nm to the lower port and 1300 nm to the upper one.

ceviche (``pip install ceviche``, a benchmark-only peer) is run on the very same grid,
permittivity layout, parameterisation, objective and Adam steps, written with its autograd
FDFD (``fdfd_ez``, which factorises the system twice per wavelength: forward and adjoint),
its mode sources and modal overlaps normalised to a straight waveguide. Reported: seconds
per iteration (wall and CPU), IL and crosstalk of the binarised design at both wavelengths,
and the 1 dB / 3 dB bandwidths (contiguous band around the design wavelength where the
target port's insertion loss stays above -1 / -3 dB) from a 1.20-1.65 µm sweep.
Without ceviche the script prints the ANCHORS.md figures beside skphys's.

    python benchmarks/bench_photonics.py [--iterations 60] [--no-peer]
"""

import argparse  # noqa: I001  (_common must load before numpy and torch)
import time

from _common import report  # first: pins the threads before numpy/torch load

import numpy as np

from skphys.photonics import InverseDeviceDesigner

WAVELENGTHS = (1.55, 1.30)  # -> ports 0 (lower) and 1 (upper)
SWEEP = np.linspace(1.20, 1.65, 46)
ANCHORS = {  # ceviche 0.1.3, ANCHORS.md (40 nm grid, 2.8 x 2.8 µm, 60 iterations)
    "s_per_iter": 1.2, "IL": (-0.27, -0.18), "XT": (-28.5, -37.3),
}


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


def run_skphys(iterations):
    est = InverseDeviceDesigner(max_iter=iterations, random_state=0)  # the demux defaults
    X, y = np.array(WAVELENGTHS)[:, None], np.array([0, 1])
    t0, c0 = time.perf_counter(), time.process_time()
    est.fit(X, y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return est, wall / iterations, cpu / iterations


def run_ceviche(est, iterations):
    """The same problem in ceviche (autograd), on the geometry of the fitted ``est``."""
    import autograd.numpy as npa
    from autograd import value_and_grad
    from autograd.scipy.signal import convolve
    from ceviche import fdfd_ez
    from ceviche.constants import C_0
    from ceviche.modes import insert_mode

    g = est._geom
    dl = g.dl * 1e-6
    dx, dy = g.design_shape
    w = g.width
    background = g.background
    kernel = est._kernel.numpy()[0, 0] if est._kernel is not None else np.ones((1, 1))
    r = kernel.shape[0] // 2
    norm = convolve(np.ones((dx, dy)), kernel, mode="full")[r : r + dx, r : r + dy]
    mask = np.zeros(g.shape, bool)
    mask[g.x0 : g.x0 + dx, g.y0 : g.y0 + dy] = True
    straight = g.background.copy()
    straight[:, g.input_centre - w // 2 : g.input_centre - w // 2 + w] = est.eps_core
    lo_in = g.input_centre - w // 2 - 8
    in_slice = (slice(g.source_x, g.source_x + 1), slice(lo_in, lo_in + w + 16))

    def port_slice(c):
        lo = c - w // 2 - 8
        return slice(g.monitor_x, g.monitor_x + 1), slice(lo, lo + w + 16)

    def setup(lam, eps):
        omega = 2 * np.pi * C_0 / (lam * 1e-6)
        src = insert_mode(omega, dl, *in_slice, eps, m=1)
        probes = [insert_mode(omega, dl, *port_slice(c), eps, m=1) for c in g.port_centres]
        sim = fdfd_ez(omega, dl, straight, [g.npml, g.npml])
        _, _, ez = sim.solve(src)
        # reference: the straight guide's overlap with its own (input-aligned) port mode
        probe_ref = insert_mode(omega, dl, *port_slice(g.input_centre), straight, m=1)
        ref = np.abs(np.sum(np.conj(ez) * probe_ref)) ** 2
        return sim, src, probes, ref

    sims = [setup(lam, background) for lam in WAVELENGTHS]

    def structure(rho, beta):
        filt = convolve(rho, kernel, mode="full")[r : r + dx, r : r + dy] / norm
        t = np.tanh(beta * 0.5)
        proj = (t + npa.tanh(beta * (filt - 0.5))) / (t + np.tanh(beta * 0.5))
        region = est.eps_clad + proj * (est.eps_core - est.eps_clad)
        full = npa.zeros(g.shape)
        full = full + background * (~mask)
        placed = npa.pad(region, ((g.x0, g.shape[0] - g.x0 - dx), (g.y0, g.shape[1] - g.y0 - dy)),
                         mode="constant")
        return full + placed

    def transmissions(eps):
        rows = []
        for sim, src, probes, ref in sims:
            sim.eps_r = eps
            _, _, ez = sim.solve(src)
            rows.append([npa.abs(npa.sum(npa.conj(ez) * p)) ** 2 / ref for p in probes])
        return rows

    def objective(rho, beta):
        T = transmissions(structure(rho, beta))
        loss = 0.0
        for p in range(2):
            loss = loss - npa.log(T[p][p] + 1e-9) + est.crosstalk_weight * npa.log(
                1 + 100 * T[p][1 - p])
        return loss / 2

    rng = np.random.RandomState(0)
    rho = 0.5 + 0.01 * rng.standard_normal((dx, dy))
    m = np.zeros_like(rho)
    v = np.zeros_like(rho)
    vg = value_and_grad(objective)
    t0, c0 = time.perf_counter(), time.process_time()
    for it in range(iterations):  # Adam with torch's defaults, as the designer uses
        beta = est.beta_max ** (it / max(iterations - 1, 1))
        _, grad = vg(rho, beta)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        mh, vh = m / (1 - 0.9 ** (it + 1)), v / (1 - 0.999 ** (it + 1))
        rho = np.clip(rho - est.learning_rate * mh / (np.sqrt(vh) + 1e-8), 0.0, 1.0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    filt = convolve(rho, kernel, mode="full")[r : r + dx, r : r + dy] / norm
    binary = (filt > 0.5).astype(float)  # the projection at any beta thresholds at 0.5
    eps_bin = background * (~mask)
    eps_bin = eps_bin + np.pad(est.eps_clad + binary * (est.eps_core - est.eps_clad),
                               ((g.x0, g.shape[0] - g.x0 - dx), (g.y0, g.shape[1] - g.y0 - dy)))
    T_design = np.array([[float(t) for t in row] for row in transmissions(eps_bin)])
    spectrum = []
    for lam in SWEEP:
        sim, src, probes, ref = setup(lam, background)
        sim.eps_r = eps_bin
        _, _, ez = sim.solve(src)
        spectrum.append([np.abs(np.sum(np.conj(ez) * p)) ** 2 / ref for p in probes])
    return wall / iterations, cpu / iterations, T_design, np.array(spectrum)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--no-peer", action="store_true", help="skip ceviche")
    args = parser.parse_args()

    est, s_iter, cpu_iter = run_skphys(args.iterations)
    X = np.array(WAVELENGTHS)[:, None]
    rows = [summary("skphys InverseDeviceDesigner", s_iter, cpu_iter, est.transmission(X),
                    est.spectrum(SWEEP), {"grid": "x".join(map(str, est.grid_shape_))})]
    peer = None
    if not args.no_peer:
        try:
            import ceviche  # noqa: F401
        except ImportError:
            print("ceviche is not installed: showing the ANCHORS.md figures instead.\n")
        else:
            s_c, cpu_c, T_c, spec_c = run_ceviche(est, args.iterations)
            peer = s_c
            rows.append(summary("ceviche 0.1.3 (same problem, this run)", s_c, cpu_c, T_c, spec_c,
                                {"grid": "x".join(map(str, est.grid_shape_))}))
    a = ANCHORS
    rows.append({"method": "ceviche (ANCHORS.md)", "s/iter": a["s_per_iter"],
                 "IL 1550 dB": a["IL"][0], "IL 1300 dB": a["IL"][1],
                 "XT 1550 dB": a["XT"][0], "XT 1300 dB": a["XT"][1], "grid": "150x134"})
    columns = ["method", "grid", "s/iter", "cpu s/iter", "IL 1550 dB", "IL 1300 dB",
               "XT 1550 dB", "XT 1300 dB", "1dB BW 1550 nm", "3dB BW 1550 nm",
               "1dB BW 1300 nm", "3dB BW 1300 nm"]
    report("bench_photonics", rows, columns,
           {"iterations": args.iterations, "sweep_um": [1.20, 1.65, len(SWEEP)]})
    ref = peer if peer is not None else a["s_per_iter"]
    which = "this run" if peer is not None else "ANCHORS.md"
    print(f"\ns/iteration skphys / ceviche ({which}): {s_iter / ref:.2f} "
          f"(target <= 0.5)")
    if peer is not None:
        print(f"CPU s/iteration skphys / ceviche: {cpu_iter / rows[1]['cpu s/iter']:.2f}")


if __name__ == "__main__":
    main()

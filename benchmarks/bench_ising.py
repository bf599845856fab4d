"""Ising Monte Carlo speed: skphys's samplers against a plain numpy checkerboard Metropolis.

Spin updates per second of one checkerboard Metropolis sweep, L=32, 256 chains, one thread,
at three temperatures (below, at and above T_c). The baseline is the plain vectorised numpy
code a physicist writes first: int8 spins, neighbour sums by ``np.roll``, a lookup table of
acceptance probabilities and one uniform per site (ANCHORS.md: ~43 M updates/s per core).
skphys's numpy sampler packs 64 chains into the bits of a word (multi-spin coding); the torch
sampler is timed on the CPU, and on the GPU when there is one. Target: skphys >= 2x the
baseline. Then the time ``make_ising`` takes for a typical phase-classification set (L=32,
40 temperatures in [1.0, 3.5], 250 samples each, equilibrated and decorrelated).

    python benchmarks/bench_ising.py [--repeats 3] [--sweeps 200]
"""

import argparse
import time

import numpy as np
import torch
from _common import report, timed

from skphys.datasets import ising_critical_temperature, make_ising
from skphys.datasets._ising import _BitIsing, _TorchIsing

L, CHAINS = 32, 256
TC = ising_critical_temperature()
TEMPERATURES = {"T=1.5": 1.5, "T=T_c": TC, "T=3.0": 3.0}


def numpy_baseline(T, sweeps, seed=0):
    """Plain vectorised checkerboard Metropolis; returns the spins (for a sanity check)."""
    rng = np.random.default_rng(seed)
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(CHAINS, L, L))
    i, j = np.indices((L, L))
    colours = [(i + j) % 2 == c for c in (0, 1)]
    # acceptance by s * (sum of the neighbours) + 4 in 0..8: min(1, exp(-2 s nb / T))
    table = np.minimum(1.0, np.exp(-2.0 * np.arange(-4, 5) / T))
    for _ in range(sweeps):
        for mask in colours:
            nb = np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2)
            flip = (rng.random(s.shape) < table[s * nb + 4]) & mask
            s[flip] *= -1
    return s


def skphys_numpy(T, sweeps, seed=0):
    lat = _BitIsing(L, np.full(CHAINS, 1.0 / T), seed)
    lat.set_state(np.zeros(CHAINS, bool))
    for _ in range(sweeps):
        lat.sweep()
    return lat.spins()


def skphys_torch(device):
    def run(T, sweeps, seed=0):
        lat = _TorchIsing(L, np.full(CHAINS, 1.0 / T), seed, torch.device(device))
        lat.set_state(np.zeros(CHAINS, bool))
        for _ in range(sweeps):
            lat.sweep()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return lat.spins()

    return run


def phase_set(device=None):
    t0, c0 = time.perf_counter(), time.process_time()
    X, _ = make_ising(np.linspace(1.0, 3.5, 40), n_samples=250, L=32, random_state=0,
                      device=device)
    return time.perf_counter() - t0, time.process_time() - c0, X.shape


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweeps", type=int, default=200)
    args = parser.parse_args()
    methods = {"numpy checkerboard (baseline)": numpy_baseline,
               "skphys numpy (multi-spin coding)": skphys_numpy,
               "skphys torch, cpu": skphys_torch("cpu")}
    sweeps = {name: args.sweeps for name in methods}
    sweeps["skphys torch, cpu"] = max(1, args.sweeps // 4)
    if torch.cuda.is_available():
        methods["skphys torch, cuda"] = skphys_torch("cuda")
        sweeps["skphys torch, cuda"] = args.sweeps
    rows = []
    for tname, T in TEMPERATURES.items():
        base = None
        for name, fn in methods.items():
            fn(T, 2)  # warm-up
            med, _, s = timed(lambda fn=fn, T=T, n=sweeps[name]: fn(T, n), args.repeats)
            rate = CHAINS * L * L * sweeps[name] / med
            base = rate if base is None else base
            rows.append({"temperature": tname, "method": name, "median_s": med,
                         "M_updates_per_s": rate / 1e6, "x_baseline": rate / base,
                         "mean_abs_m": float(np.abs(s.reshape(len(s), -1).mean(1)).mean())})
    fast = [r["x_baseline"] for r in rows if r["method"].startswith("skphys numpy")]
    print(f"skphys numpy vs baseline: {min(fast):.1f}x to {max(fast):.1f}x (target >= 2x)\n")
    wall, cpu, shape = phase_set()
    rows.append({"temperature": "40 in [1, 3.5]", "method": "make_ising phase set (numpy)",
                 "median_s": wall, "cpu_s": cpu})
    print(f"make_ising phase-classification set {shape}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    if torch.cuda.is_available():
        wall, cpu, shape = phase_set("cuda")
        rows.append({"temperature": "40 in [1, 3.5]", "method": "make_ising phase set (cuda)",
                     "median_s": wall, "cpu_s": cpu})
        print(f"make_ising phase-classification set on cuda: {wall:.2f} s wall")
    print()
    report("bench_ising", rows,
           ["temperature", "method", "median_s", "M_updates_per_s", "x_baseline", "mean_abs_m",
            "cpu_s"],
           {"L": L, "chains": CHAINS, "sweeps": args.sweeps, "repeats": args.repeats,
            "targets": "skphys numpy >= 2x the numpy checkerboard baseline",
            "phase_set": "L=32, 40 temperatures in [1.0, 3.5], 250 samples each"})


if __name__ == "__main__":
    main()

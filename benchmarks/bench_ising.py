"""Ising Monte Carlo speed: skphys's samplers against the best plain-numpy checkerboard.

Protocol (printed with the table):

* task: checkerboard Metropolis sweeps of the 2-D Ising model, L=32, periodic, at T = 2.0,
  T_c and 3.0, with 256 chains (the ANCHORS.md setting) and 2560 chains (what ``make_ising``
  runs for a 40-temperature phase set: 64 chains per temperature); one thread;
* contenders, all exact Metropolis at the same L, chains and temperatures:
  (a) the textbook numpy code (``np.roll`` neighbour sums on the whole lattice, a uniform per
  site for both colours every half-sweep, a gathered lookup table): the baseline this
  benchmark used before, kept for reference, not for ratios;
  (b) the best plain numpy checkerboard written for this benchmark: int8 spins in four
  sub-lattices with the chains on the last (contiguous) axis, in blocks of 256 chains (a
  block's arrays stay in the L2 cache), one colour updated in place,
  uniforms for that colour only, the acceptance table's two non-trivial entries (dE = 4J,
  8J) applied as two comparisons (measured faster than gathering from a table), 32-bit
  uniforms (acceptance exact to 2**-32);
  (c) the same with one random *byte* per site and the ties with the probabilities' first 8
  binary digits (1 site in 128) decided by a float64: exact, 4x fewer random bits;
  (d) skphys's numpy sampler (``make_ising``'s default: 64 chains in the bits of a word,
  exact bitwise acceptance); (e) skphys's torch sampler on the CPU, and on CUDA when present;
* ratios are to the faster of (b) and (c) at the same temperature and chain count
  (``x_best_numpy``); rates are spin updates per second of process CPU time (on a quiet
  machine the same as wall time; on a shared one less disturbed by other processes), the
  wall-clock rate is printed beside it;
* each contender is warmed up (its burn-in, 200 sweeps, is not timed), then ``--repeats``
  timed blocks of ``--sweeps`` sweeps (the textbook code a tenth of them), interleaved
  (A B C ... A B C ...); median and range over the blocks;
* equilibrium check of every contender, so that a fast but wrong sweep shows: after the
  timed blocks, 100 measurements 2 sweeps apart; energy per spin against Onsager at T = 2.0
  and 3.0 and |m| against Onsager-Yang at T = 2.0 (L = 32 is exact to far below the errors
  there), as z = (mean - exact) / (standard error over the independent chains); ``ok`` when
  |z| < 5. At T_c no exact finite-L value is used: the rows must agree with each other;
* then the time of a ``make_ising`` phase-classification set (L=32, 40 temperatures in
  [1.0, 3.5], 250 samples each, equilibrated and decorrelated): numpy sampler (Wolff moves
  near T_c), and the torch sampler on CUDA when present.

    python benchmarks/bench_ising.py [--repeats 5] [--sweeps 100] [--chains 256,2560]
"""

import argparse
import statistics
import time

import _common  # noqa: F401  (pins threads before numpy and torch are imported)
import numpy as np
import torch
from _common import report

from skphys.datasets import (
    ising_critical_temperature,
    make_ising,
    onsager_energy,
    onsager_magnetization,
)
from skphys.datasets._ising import _BitIsing, _TorchIsing

PROTOCOL = __doc__.split("Protocol (printed with the table):")[1].split("    python ")[0].strip()
L = 32
TC = ising_critical_temperature()
TEMPERATURES = {"T=2.0": 2.0, "T=T_c": TC, "T=3.0": 3.0}
BURN_IN, N_MEASURE, MEASURE_EVERY = 200, 100, 2


# ---- the plain numpy contenders ----------------------------------------------------------
class TextbookNumpy:
    """(a) int8 (C, L, L) spins, np.roll neighbours, a uniform per site of both colours."""

    def __init__(self, T, chains, seed, ordered):
        self.rng = np.random.default_rng(seed)
        self.s = (np.ones((chains, L, L), np.int8) if ordered else
                  self.rng.choice(np.array([-1, 1], np.int8), size=(chains, L, L)))
        i, j = np.indices((L, L))
        self.colours = [(i + j) % 2 == c for c in (0, 1)]
        # acceptance by k = s * (sum of the neighbours) + 4 in 0..8: min(1, exp(-2 k' / T))
        self.table = np.minimum(1.0, np.exp(-2.0 * np.arange(-4, 5) / T))

    def sweep(self):
        s = self.s
        for mask in self.colours:
            nb = np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2)
            flip = (self.rng.random(s.shape) < self.table[s * nb + 4]) & mask
            s[flip] *= -1

    def observables(self):
        return _observables_full(self.s)


class SublatticeNumpy:
    """(b)/(c) int8 spins in sub-lattices ``Q[block][(BE, BO, WE, WO), row, col, chain]``.

    ``BE = s(2a, 2b)``, ``BO = s(2a+1, 2b+1)``, ``WE = s(2a, 2b+1)``, ``WO = s(2a+1, 2b)``;
    the chains in blocks of at most ``BLOCK`` (each block's arrays stay in the L2 cache).
    ``bits=32``: one 32-bit uniform per site of the colour being updated, ``u < floor(p
    2**32)``. ``bits=8``: one byte; where it equals the first 8 binary digits of ``p`` a
    float64 compares the rest of ``u`` with the rest of ``p`` (exact).
    """

    BLOCK = 256

    def __init__(self, T, chains, seed, ordered, bits):
        self.bitgen = np.random.SFC64(seed)
        self.rng = np.random.Generator(self.bitgen)
        h = L // 2
        sizes = [min(self.BLOCK, chains - c) for c in range(0, chains, self.BLOCK)]
        self.Q = [np.ones((4, h, h, n), np.int8) if ordered else
                  self.rng.choice(np.array([-1, 1], np.int8), size=(4, h, h, n)) for n in sizes]
        self.bits, self.dtype = bits, (np.uint8 if bits == 8 else np.uint32)
        p = np.exp(-np.array([4.0, 8.0]) / T)  # one / no anti-aligned neighbour
        scaled = p * 2.0 ** bits
        t = np.minimum(np.floor(scaled), 2.0 ** bits - 1)
        self.rest = scaled - t
        # thresholds of the uniforms' own dtype: a wider scalar would make numpy compare
        # (and convert) the whole array in int64
        self.t = [self.dtype(x) for x in t]
        shape = (2, h, h, sizes[0])
        self.nb, self.k = np.empty(shape, np.int8), np.empty(shape, np.int8)
        self.c = np.empty(shape, np.uint8)
        self.a, self.b = np.empty(shape, bool), np.empty(shape, bool)

    def _neighbours(self, Q, colour, nb):
        """Sum of the four neighbours of every site of ``colour`` into ``nb``."""
        O = Q[2:] if colour == 0 else Q[:2]
        np.add(O[0], O[1], out=nb[0])  # the same-row and the same-column neighbours
        nb[1] = nb[0]
        nb[0, 1:] += O[1, :-1]  # the other row
        nb[0, 0] += O[1, -1]
        nb[1, :-1] += O[0, 1:]
        nb[1, -1] += O[0, 0]
        (x, X), (y, Y) = ((nb[0], O[0]), (nb[1], O[1])) if colour == 0 else \
            ((nb[1], O[1]), (nb[0], O[0]))
        x[:, 1:] += X[:, :-1]  # the other column
        x[:, 0] += X[:, -1]
        y[:, :-1] += Y[:, 1:]
        y[:, -1] += Y[:, 0]
        return nb

    def _half(self, Q, colour):
        S = Q[2 * colour:2 * colour + 2]
        n = S.shape[-1]
        k, a, b, c = (x[..., :n] for x in (self.k, self.a, self.b, self.c))
        nb = self._neighbours(Q, colour, self.nb[..., :n])
        np.multiply(S, nb, out=k)
        np.right_shift(k, 1, out=k)  # dE / 4J in {-2, ..., 2}
        u = self.bitgen.random_raw(k.size * self.bits // 64).view(self.dtype).reshape(k.shape)
        t1, t0 = self.t
        # flip if dE <= 0, or u < p1 (dE = 4J), or u < p0 (dE = 8J): k <= [u<t1] + [u<t0]
        np.less(u, t1, out=a)
        np.less(u, t0, out=b)
        np.add(a.view(np.uint8), b.view(np.uint8), out=c)
        np.less_equal(k, c.view(np.int8), out=a)
        if self.bits == 8:  # a byte equal to a threshold's digits: the rest of u decides
            np.equal(u, t1, out=b)
            b |= u == t0
            tie = np.flatnonzero(b)
            if tie.size:
                kk, uu = k.reshape(-1)[tie], u.reshape(-1)[tie]
                r = self.rng.random(tie.size)
                acc1 = (uu < t1) | ((uu == t1) & (r < self.rest[0]))
                acc0 = (uu < t0) | ((uu == t0) & (r < self.rest[1]))
                a.reshape(-1)[tie] = (kk <= 0) | ((kk == 1) & acc1) | ((kk == 2) & acc0)
        np.multiply(a.view(np.int8), -2, out=k)
        np.bitwise_xor(S, k, out=S)  # s ^ -2 = -s for s = +-1

    def sweep(self):
        for Q in self.Q:
            self._half(Q, 0)
            self._half(Q, 1)

    def observables(self):
        s = np.empty((L, L, sum(Q.shape[-1] for Q in self.Q)), np.int8)
        Q = np.concatenate(self.Q, axis=-1)
        s[0::2, 0::2], s[1::2, 1::2], s[0::2, 1::2], s[1::2, 0::2] = Q
        return _observables_full(np.ascontiguousarray(np.moveaxis(s, -1, 0)))


def _observables_full(s):
    """|m| and energy per spin of (C, L, L) spins."""
    s = s.astype(np.float64)
    e = -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum((1, 2)) / (L * L)
    return np.abs(s.mean((1, 2))), e


class Skphys:
    """(d)/(e) skphys's samplers through the same interface."""

    def __init__(self, T, chains, seed, ordered, device=None):
        beta = np.full(chains, 1.0 / T)
        self.device = device
        self.lat = (_BitIsing(L, beta, seed) if device is None else
                    _TorchIsing(L, beta, seed, torch.device(device)))
        self.lat.set_state(np.full(chains, ordered))

    def sweep(self):
        self.lat.sweep()

    def observables(self):
        if self.device and self.device.startswith("cuda"):
            torch.cuda.synchronize()
        m, _, e = self.lat.observables()
        return np.abs(m), e


CONTENDERS = {
    "(a) numpy textbook (roll, all sites, table)": (TextbookNumpy, {}),
    "(b) numpy sub-lattices, 32-bit uniforms": (SublatticeNumpy, {"bits": 32}),
    "(c) numpy sub-lattices, bytes + exact ties": (SublatticeNumpy, {"bits": 8}),
    "(d) skphys numpy (bit-packed, exact)": (Skphys, {}),
    "(e) skphys torch, cpu": (Skphys, {"device": "cpu"}),
}
BEST_NUMPY = ("(b) numpy sub-lattices, 32-bit uniforms", "(c) numpy sub-lattices, bytes + exact ties")


def _sync(name):
    if "cuda" in name:
        torch.cuda.synchronize()


def run_temperature(tname, T, chains, sweeps, repeats, contenders, seed=0):
    ordered = T < TC
    sims = {}
    for name, (cls, kw) in contenders.items():
        sim = cls(T, chains, seed, ordered, **kw)
        for _ in range(BURN_IN):  # burn-in and warm-up, not timed
            sim.sweep()
        sims[name] = sim
    n_sweeps = {name: max(1, sweeps // 10) if name.startswith("(a)") else sweeps
                for name in sims}
    cpu = {name: [] for name in sims}
    wall = {name: [] for name in sims}
    for _ in range(repeats):
        for name, sim in sims.items():
            _sync(name)
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n_sweeps[name]):
                sim.sweep()
            _sync(name)
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    rows = []
    for name, sim in sims.items():
        m, e = [], []
        for _ in range(N_MEASURE):
            for _ in range(MEASURE_EVERY):
                sim.sweep()
            mm, ee = sim.observables()
            m.append(mm)
            e.append(ee)
        m, e = np.mean(m, axis=0), np.mean(e, axis=0)  # per chain: independent
        updates = chains * L * L * n_sweeps[name]
        row = {"chains": chains, "temperature": tname, "method": name,
               "M_upd_per_s": updates / statistics.median(cpu[name]) / 1e6,
               "min_M": updates / max(cpu[name]) / 1e6, "max_M": updates / min(cpu[name]) / 1e6,
               "wall_M_upd_per_s": updates / statistics.median(wall[name]) / 1e6,
               "energy": float(e.mean()), "abs_m": float(m.mean()), "peer ran": "yes"}
        if T != TC:
            z_e = (e.mean() - onsager_energy(T)) / (e.std(ddof=1) / np.sqrt(chains))
            z_m = ((m.mean() - onsager_magnetization(T)) / (m.std(ddof=1) / np.sqrt(chains))
                   if T < TC else 0.0)
            row.update(z_energy=float(z_e), z_abs_m=float(z_m) if T < TC else None,
                       equilibrium="ok" if max(abs(z_e), abs(z_m)) < 5 else "FAIL")
        else:
            row["equilibrium"] = "no exact finite-L value"
        rows.append(row)
    best = max(r["M_upd_per_s"] for r in rows if r["method"] in BEST_NUMPY)
    for r in rows:
        r["x_best_numpy"] = r["M_upd_per_s"] / best
    return rows


def phase_set(device=None):
    t0, c0 = time.perf_counter(), time.process_time()
    X, _ = make_ising(np.linspace(1.0, 3.5, 40), n_samples=250, L=32, random_state=0,
                      device=device)
    return time.perf_counter() - t0, time.process_time() - c0, X.shape


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sweeps", type=int, default=100)
    parser.add_argument("--chains", default="256,2560")
    parser.add_argument("--no-phase-set", action="store_true")
    args = parser.parse_args()
    print("Protocol:\n" + PROTOCOL + "\n", flush=True)
    contenders = dict(CONTENDERS)
    if torch.cuda.is_available():
        contenders["(e) skphys torch, cuda"] = (Skphys, {"device": "cuda"})
    else:
        print("note: no CUDA device: the torch sampler runs on the CPU only in this run\n")
    rows = []
    for chains in (int(c) for c in args.chains.split(",")):
        for tname, T in TEMPERATURES.items():
            rows += run_temperature(tname, T, chains, args.sweeps, args.repeats, contenders)
            print(f"  done: {chains} chains, {tname}", flush=True)
    for name in ("(d) skphys numpy (bit-packed, exact)", "(e) skphys torch, cpu"):
        x = [r["x_best_numpy"] for r in rows if r["method"] == name]
        print(f"{name}: {min(x):.2f}x to {max(x):.2f}x the best plain numpy checkerboard")
    bad = [r for r in rows if r["equilibrium"] == "FAIL"]
    print("equilibrium checks: " + ("all ok" if not bad else
                                    f"{len(bad)} FAILED: " + "; ".join(
                                        f"{r['method']} {r['temperature']}" for r in bad)))
    if not args.no_phase_set:
        wall, cpu, shape = phase_set()
        rows.append({"temperature": "40 in [1, 3.5]", "method": "make_ising phase set (numpy)",
                     "wall_s": wall, "cpu_s": cpu, "peer ran": "yes"})
        print(f"make_ising phase-classification set {shape}: {wall:.2f} s wall, {cpu:.2f} s CPU")
        if torch.cuda.is_available():
            wall, cpu, shape = phase_set("cuda")
            rows.append({"temperature": "40 in [1, 3.5]", "method": "make_ising phase set (cuda)",
                         "wall_s": wall, "cpu_s": cpu, "peer ran": "yes"})
            print(f"make_ising phase-classification set on cuda: {wall:.2f} s wall")
    print()
    report("bench_ising", rows,
           ["chains", "temperature", "method", "M_upd_per_s", "min_M", "max_M",
            "wall_M_upd_per_s", "x_best_numpy", "energy", "z_energy", "abs_m", "z_abs_m",
            "equilibrium", "wall_s", "cpu_s", "peer ran"],
           {"L": L, "sweeps": args.sweeps, "repeats": args.repeats, "protocol": PROTOCOL,
            "cuda": torch.cuda.is_available(),
            "targets": "skphys numpy faster than the best plain numpy checkerboard; "
                       "every contender passes the equilibrium check",
            "phase_set": "L=32, 40 temperatures in [1.0, 3.5], 250 samples each"})


if __name__ == "__main__":
    _t0 = time.perf_counter()
    main()
    print(f"total run time: {time.perf_counter() - _t0:.0f} s")

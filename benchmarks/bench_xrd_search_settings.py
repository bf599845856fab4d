"""Powder XRD: the cell search's settings against the generating cells it finds, and its time.

Protocol (one thread a process, ``--n-jobs`` processes): the patterns of ``bench_xrd.py``'s
table with the groups as among real crystals (``make_xrd_patterns(space_group_weights=
"materials_project", random_state=0)``, 36,000 on the 1701-point grid); from its first
24,000 (training patterns: the test patterns are not looked at) ``--n`` of each crystal
system but the triclinic, drawn at random (seed 0). Peaks as ``XRDIndexingFeatures`` picks
them (prominence 0.04, at most 20), indexed by ``index_peaks`` (tolerance 0.08 degree) with
the search's defaults and with one setting changed at a time:

* ``assign 7``: the assigned trials (every low-index assignment of 3 or 4 peaks) from the
  lowest 7 peaks instead of 6 (``N_ASSIGN``), monoclinic or orthorhombic;
* ``first pass 1024``: the pruning's first pass keeps 1,024 trials (``N_FIRST_PASS``:
  512 monoclinic, 256 orthorhombic);
* ``refine 16``: the 16 best trials refined instead of 4 (``_best``'s ``n_refine``),
  monoclinic and orthorhombic.

A cell is found when the fitted cell of the pattern's lattice family is the generating one:
every length within 1% (orthorhombic and monoclinic lengths compared sorted) and, for a
monoclinic cell, both cells reduced (any cell choice of the lattice) and the angle within
1 degree; trigonal patterns on the hexagonal family's cell (as ``bench_xrd_errors.py``).
Printed: the share found per system with its binomial standard error, and the time
``index_peaks`` takes per pattern (all families, summed over the processes). The changed
settings touch only the monoclinic and orthorhombic searches, so they run on those patterns
alone. No peer: a diagnosis of the search, whose misses cost the space group most
(``bench_xrd_oracle.py``).

    python benchmarks/bench_xrd_search_settings.py [--n 400] [--n-jobs 2]
                                                   [--name bench_xrd_search_settings]
"""

import argparse
import time
from unittest import mock

import numpy as np
from _common import report
from bench_xrd import generate
from bench_xrd_errors import same_cell
from joblib import Parallel, delayed

import skphys.feature_extraction._xrd_indexing as indexing

SYSTEMS = ("monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic")
LOW = ("monoclinic", "orthorhombic")  # the families the settings change

#: name -> (systems whose patterns it runs on, changes)
SETTINGS = {
    "defaults": (SYSTEMS, {}),
    "assign 7, monoclinic": (LOW, {"N_ASSIGN": {"monoclinic": 7}}),
    "assign 7, orthorhombic": (LOW, {"N_ASSIGN": {"orthorhombic": 7}}),
    "first pass 1024, monoclinic": (LOW, {"N_FIRST_PASS": {"monoclinic": 1024}}),
    "first pass 1024, orthorhombic": (LOW, {"N_FIRST_PASS": {"orthorhombic": 1024}}),
    "refine 16": (LOW, {"n_refine": 16}),
}


def _cells(X, two_theta, systems, changes):
    """The fitted cell of each pattern's lattice family under ``changes``, and the seconds
    ``index_peaks`` took (the module's settings patched for the call only: a worker process
    runs several settings)."""
    best = indexing._best
    n = changes.get("n_refine")

    def refined(system, P, q, tol_q, grad, n_refine=4, max_shift=0.1):
        return best(system, P, q, tol_q, grad, n if system in LOW else n_refine, max_shift)

    out, seconds = [], 0.0
    with mock.patch.dict(indexing.N_ASSIGN, changes.get("N_ASSIGN", {})), \
            mock.patch.dict(indexing.N_FIRST_PASS, changes.get("N_FIRST_PASS", {})), \
            mock.patch.object(indexing, "_best", refined if n else best):
        for x, system in zip(X, systems):
            tt = indexing.pick_peaks(x, two_theta, prominence=0.04, n_peaks=20)
            tt = tt[(tt > 0) & (tt < 180)]
            t0 = time.perf_counter()
            res = indexing.index_peaks(tt, tolerance=0.08) if len(tt) >= 2 else {}
            seconds += time.perf_counter() - t0
            family = "hexagonal" if system == "trigonal" else system
            r = res.get(family)
            out.append(None if r is None else indexing._cell(family, r[0]))
    return out, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--name", default="bench_xrd_search_settings")
    args = parser.parse_args()

    X, info = generate(36000, 1701, 1, "materials_project")
    rng = np.random.default_rng(0)
    rows = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(info.crystal_system[:24000] == s), args.n, replace=False)
        for s in SYSTEMS]))
    X, two_theta = X[rows], info.two_theta
    systems, cells = info.crystal_system[rows], info.cell[rows]
    out = []
    for name, (on, changes) in SETTINGS.items():
        idx = np.flatnonzero(np.isin(systems, on))
        parts = np.array_split(idx, args.n_jobs)
        res = Parallel(n_jobs=args.n_jobs)(
            delayed(_cells)(X[p], two_theta, systems[p], changes) for p in parts)
        fitted = [c for r in res for c in r[0]]
        seconds = sum(r[1] for r in res)
        hit = np.array([same_cell(f, systems[i], cells[i], any_choice=True)
                        for f, i in zip(fitted, idx)])
        row = {"setting": name, "patterns": len(idx),
               "ms / pattern": 1000 * seconds / len(idx)}
        for s in SYSTEMS:
            m = systems[idx] == s
            if m.any():
                p = float(hit[m].mean())
                row[s] = f"{p:.3f} +- {np.sqrt(p * (1 - p) / m.sum()):.3f}"
        out.append(row)
        print(row, flush=True)
    report(args.name, out, ["setting", "patterns", "ms / pattern", *SYSTEMS],
           {"n per system": args.n, "n_jobs": args.n_jobs, "from": "training patterns 0-24000",
            "protocol": __doc__})


if __name__ == "__main__":
    main()

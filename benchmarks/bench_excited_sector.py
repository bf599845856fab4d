"""The third level of the critical TFIM ring (L=12, h=1) by orthogonalisation inside its
symmetry sector (skphys against exact diagonalisation; no peer: NetKet has no released
excited-state driver).

Protocol. The three lowest levels of H = -sum Z Z - sum X on the ring of 12 are the ground
state (k=0, even under the spin flip P), the lowest (k=0, P=-1) state, and the SECOND state of
the (k=0, P=+1) sector; levels 4 and 5 (k=+-1, P=-1) lie only 0.12 above the third, which is
what makes the third level hard for an ansatz without symmetry (``bench_quantum.py --only
excited``: 3.3e-3). Here ``ExcitedStates(n_states=2)`` runs on a complex RBM symmetric under
translations and the spin flip (``symmetry="translation+spin_flip"``: amplitudes in the
(k=0, P=+1) sector only), so its second state is the third level of H: alpha ``--alpha``
(default 4 and 6: 2 and 3 filters), exact draws (``sampler="exact"``: the excited level by
systematic resampling), 1008 samples, ``--iterations`` (default 600) with the "auto"
learning rate (annealed over the last 40%), seed ``--seed`` (default 0), ``penalty="auto"``.
``--ansatz projected``: instead of the symmetric RBM (weights shared across translations: 2
filters at alpha 4), the projection of a plain complex RBM onto the sector (``sector=
{"momentum": 0, "spin_flip": 1}``: psi(sigma) = sum_g chi(g)^* phi(g sigma) over the 24
translations and flips; alpha 1 gives 168 parameters), JSON ``excited_sector_projected*``.
epsilon of each level from the exact sum over the 2^12 states; the sector assignment from
``exact_sector_spectrum``; time per level: the wall time of its fit (loaded 2-core machine).

Measured (one run, seed 0): alpha=4 E2 within 6.3e-4 (the 1e-3 bar met), alpha=6 within
2.1e-3 (missed). Not robust across seeds: with other seeds the alpha=4 fit missed the bar,
once stalled on a mixture with the ground state (overlap ~0.25, with independent draws as
with systematic ones): try ``--seed``. Where the 300-iteration figures of earlier runs
(2.1e-3, 1.75e-3) came from (ad-hoc runs of this configuration with the draw method patched,
which is no option of this script), alpha=4, one seed each: 300 iterations, independent draws
2.1e-3, 4000 independent draws 1.4e-3, systematic draws 1.4e-3; 600 iterations, independent
draws 2.0e-3, systematic 9.2e-4 (both levels systematic) and 6.3e-4 (this bench): the noise
of independent draws and the length of the fit both held it above 1e-3.
With ``--ansatz projected --alpha 1 --iterations 300`` (one run per seed, loaded machine): E2
within 1.7e-5, 2.0e-5, 8.1e-6 and 1.5e-5 (seeds 0-3), E0 within 5e-6, overlap with E0 at
most 1.1e-4: the bar met on every seed with a 50-fold margin (JSON
``excited_sector_projected*``); 320-390 s per level.

    python benchmarks/bench_excited_sector.py [--alpha 4 6] [--iterations 600] [--seed 0]
        [--ansatz symmetric|projected]
"""

import argparse
import warnings

import numpy as np
import torch
from _common import report

from skphys.quantum import (
    ExcitedStates,
    RBMWavefunction,
    TransverseFieldIsing,
    exact_sector_spectrum,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alpha", type=float, nargs="+", default=[4, 6])
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ansatz", choices=["symmetric", "projected"], default="symmetric")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(__doc__.split("Protocol.")[1].split("    python")[0], flush=True)
    H = TransverseFieldIsing(12, h=1.0)
    ref = np.linalg.eigvalsh(H.to_sparse()[0].toarray())[:6]
    even = exact_sector_spectrum(H, momentum=0, spin_flip=1, k=2)
    odd = exact_sector_spectrum(H, momentum=0, spin_flip=-1, k=1)
    k1 = exact_sector_spectrum(H, momentum=1, spin_flip=-1, k=1)
    assert np.allclose([even[0], odd[0], even[1], k1[0]], ref[[0, 1, 2, 3]], atol=1e-8)
    print(f"levels {np.round(ref[:5], 6)}: (k=0,P=+1) {even.round(6)}, (k=0,P=-1) "
          f"{odd.round(6)}, (k=1,P=-1) {k1.round(6)}", flush=True)
    rows = []
    for alpha in args.alpha:
        kw = ({"symmetry": "translation+spin_flip"} if args.ansatz == "symmetric" else
              {"sector": {"momentum": 0, "spin_flip": 1}})
        wf = RBMWavefunction(H, alpha=alpha, param_dtype="complex", sampler="exact",
                             max_iter=args.iterations, random_state=args.seed, **kw)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            levels = ExcitedStates(wf, n_states=2).fit()
        for n, (est, level) in enumerate(zip(levels.estimators_, (0, 2))):
            e = est.expectation(H)
            rows.append({"ansatz": args.ansatz, "alpha": alpha, "level": f"E{level}",
                         "params": est.n_parameters_,
                         "E": e, "E_exact": float(ref[level]),
                         "eps": abs((e - ref[level]) / ref[level]),
                         "overlap_with_E0": float(levels.overlaps_[1, 0]) if n else None,
                         "fit_s": float(sum(r["dur"] for r in est.history_)),
                         "warned": bool(caught) if n else None,
                         "penalty": levels.penalty_, "peer_ran": "no"})
            print(rows[-1], flush=True)
    name = "excited_sector" + ("_projected" if args.ansatz == "projected" else "")
    report(name + (f"_seed{args.seed}" if args.seed else ""), rows,
           ["ansatz", "alpha", "level", "params", "E", "E_exact", "eps", "overlap_with_E0",
            "fit_s", "peer_ran"],
           {"system": "TFIM L=12 h=1", "iterations": args.iterations, "seed": args.seed,
            "ansatz": args.ansatz})


if __name__ == "__main__":
    main()

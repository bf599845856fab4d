"""GANSampler against Monte Carlo: the distributions of E/N and |m|, not only their means.

Protocol (printed at the start of every run):

* 2-D Ising model, L = 8, periodic, at T = 1.8 (ordered), T_c = 2.269 and T = 3.0
  (disordered); ``skphys.datasets.make_ising`` (equilibrated, decorrelated Monte Carlo).
* For each seed s in ``--seeds`` (default 0 1 2): a GAN is trained on 2000 Monte Carlo
  configurations (``random_state=s``), 4000 configurations are generated, and they are
  compared with 4000 *independent* Monte Carlo configurations (``random_state=100 + s``).
* Distances, for the energy per spin E/N and for |m|: the two-sample Kolmogorov-Smirnov
  statistic (KS) and the total-variation distance of the exact (discrete) histograms (TV).
  Also the fraction of perfectly ordered configurations (|m| = 1).
* Rows: "Monte Carlo" is a second independent Monte Carlo sample of the same size (4000,
  ``random_state=200 + s``) against the reference: the floor of each distance at this
  sample size. "GAN before" is the configuration of the previous release (32 Gaussian
  latents, no latent sign, no gradient penalty, no weight averaging, learning rate 1e-3);
  "GAN" is today's (the defaults, as in ``tests/generative/test_gan_sampler.py``). Both
  ``--epochs`` (100) epochs.
* Mean and standard deviation over the seeds; pass/miss against the test's bar (KS <= 0.08
  for both observables). Fit seconds include nothing but ``fit`` (one thread; noisy on a
  shared machine).

Run: ``.venv/bin/python benchmarks/bench_gan.py`` (about 3-6 minutes on one core).
"""

import argparse
import time

import _common  # noqa: F401  (pins threads before torch is imported)
import numpy as np
from _common import report
from scipy.stats import ks_2samp

from skphys.datasets import make_ising
from skphys.generative import GANSampler

L = 8
TC = 2.0 / np.log1p(np.sqrt(2.0))
BAR = 0.08  # tests/generative/test_gan_sampler.py
CONFIGS = {
    "GAN before": dict(n_components=32, n_sign_components=0, gradient_penalty=0.0,
                       generator_averaging=0.0, learning_rate_init=1e-3),
    "GAN": dict(),
}


def observables(X):
    s = X.reshape(len(X), L, L)
    energy = -(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2))).sum((1, 2)) / (L * L)
    return energy, np.abs(s.mean((1, 2)))


def tv(a, b):
    """Total-variation distance of two samples of a discrete observable."""
    values, idx = np.unique(np.round(np.concatenate([a, b]), 9), return_inverse=True)
    pa = np.bincount(idx[: len(a)], minlength=len(values)) / len(a)
    pb = np.bincount(idx[len(a):], minlength=len(values)) / len(b)
    return 0.5 * np.abs(pa - pb).sum()


def compare(S, R):
    (e, m), (eR, mR) = observables(S), observables(R)
    return dict(ks_E=ks_2samp(e, eR).statistic, ks_m=ks_2samp(m, mR).statistic,
                tv_E=tv(e, eR), tv_m=tv(m, mR), ordered=float(np.mean(m == 1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    print(__doc__.split("Run:")[0])
    rows = []
    for T in (1.8, TC, 3.0):
        per = {name: [] for name in ["Monte Carlo", *CONFIGS]}
        ordered_mc = []
        for seed in args.seeds:
            X, _ = make_ising([T], n_samples=2000, L=L, random_state=seed)
            R, _ = make_ising([T], n_samples=4000, L=L, random_state=100 + seed)
            R2, _ = make_ising([T], n_samples=4000, L=L, random_state=200 + seed)
            per["Monte Carlo"].append({**compare(R2, R), "seconds": np.nan})
            ordered_mc.append(compare(R, R)["ordered"])
            for name, params in CONFIGS.items():
                gan = GANSampler(lattice_shape=(L, L), max_iter=args.epochs, random_state=seed,
                                 **params)
                t0 = time.perf_counter()
                gan.fit(X)
                seconds = time.perf_counter() - t0
                per[name].append({**compare(gan.sample(4000, random_state=1), R),
                                  "seconds": seconds})
            print(f"T={T:.3f} seed {seed} done", flush=True)
        for name, results in per.items():
            row = dict(T=round(T, 4), method=name, peer_ran="yes", seeds=len(results),
                       ordered_mc=float(np.mean(ordered_mc)))
            for key in ("ks_E", "ks_m", "tv_E", "tv_m", "ordered", "seconds"):
                values = np.array([r[key] for r in results], dtype=float)
                row[key] = float(np.mean(values))
                if key in ("ks_E", "ks_m"):
                    row[key + "_std"] = float(np.std(values))
            row["bar"] = "" if name == "Monte Carlo" else ("pass" if max(
                max(r["ks_E"], r["ks_m"]) for r in results) <= BAR else "miss")
            rows.append(row)
    print()
    report("bench_gan", rows,
           ["T", "method", "peer_ran", "seeds", "ks_E", "ks_E_std", "ks_m", "ks_m_std", "tv_E",
            "tv_m", "ordered", "ordered_mc", "seconds", "bar"],
           meta=dict(L=L, n_train=2000, n_generated=4000, n_reference=4000, epochs=args.epochs,
                     seeds=args.seeds, bar_ks=BAR, configs=CONFIGS,
                     note="ks_*: two-sample KS statistic, tv_*: total-variation distance of "
                          "the discrete histograms, mean (and std) over seeds; bar: every "
                          "seed's KS of E/N and |m| <= 0.08"))


if __name__ == "__main__":
    main()

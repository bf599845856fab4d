"""Where one small fit of the confusion scan spends its time: skphys, scikit-learn, plain torch.

The per-boundary confusion scan of ``bench_phases.py`` runs 66 fits of a small MLP (L x L
inputs, 16 hidden units, 1 logistic output; 20 epochs of 12 batches of 128 on 1533 rows).
This script takes one such fit (the first fold of the L = 32 data, boundary 2.4) and
measures, in CPU seconds (``time.process_time``, so other processes' load counts less),
median of ``--repeats`` interleaved runs:

* the fit of scikit-learn's ``MLPClassifier``, of skphys's, and of a plain torch loop with
  the same network, fused Adam and L2 on the weights (the floor for anything on torch);
* each split into a fixed per-fit cost and a per-epoch cost (from 1- and 20-epoch fits);
* for skphys, the inclusive time of the pieces of one fit (validation, net construction,
  callbacks, gathering, forward, loss, backward, optimiser), by wrapping skphys's and
  skorch's methods (this instrumentation adds a little).

Not a benchmark with a bar (``bench_phases.py`` carries the 66-fit row): a profile, for
deciding where per-fit time could be saved. Run: ``.venv/bin/python
benchmarks/profile_scan_fit.py [--L 32]``.
"""

import argparse
import collections
import functools
import statistics
import time
import warnings

import _common  # noqa: F401  (pins threads before torch is imported)
import numpy as np
import skorch.net
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

import skphys.base._data as data_mod
import skphys.base._estimator as est_mod
import skphys.base._net as net_mod
from skphys.datasets import make_ising
from skphys.neural_network import MLPClassifier

NET = dict(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.003, batch_size=128,
           alpha=1.0)
clock = time.process_time


class TorchLoop:
    """The same fit written directly in torch (randperm slicing, fused Adam, L2 on weights)."""

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def fit(self, X, y):
        gen = torch.Generator().manual_seed(0)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y).float()
        m = torch.nn.Sequential(torch.nn.Linear(Xt.shape[1], 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 1))
        opt = torch.optim.Adam(m.parameters(), lr=NET["learning_rate_init"], fused=True)
        weights = (m[0].weight, m[2].weight)
        n, bs = len(Xt), NET["batch_size"]
        for _ in range(self.max_iter):
            perm = torch.randperm(n, generator=gen)
            Xs, ys = Xt[perm], yt[perm]
            for i in range(0, n, bs):
                xb, yb = Xs[i:i + bs], ys[i:i + bs]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    m(xb).squeeze(1), yb)
                for p in m.parameters():
                    p.grad = None
                loss.backward()
                with torch.no_grad():
                    for w in weights:
                        w.grad.add_(w, alpha=NET["alpha"] / len(xb))
                opt.step()
        return self


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_ising(np.linspace(1.2, 3.4, 23), 100, L=args.L, random_state=args.L)
    codes = np.unique(y, return_inverse=True)[1]
    train = next(StratifiedKFold(3, shuffle=True, random_state=0).split(X, codes))[0]
    X, y = X[train], (y[train] > 2.4).astype(np.int64)
    n_batches = -(-len(X) // NET["batch_size"])
    makers = {
        "scikit-learn MLPClassifier": lambda e: SkMLPClassifier(**{**NET, "max_iter": e},
                                                                random_state=0),
        "skphys MLPClassifier": lambda e: MLPClassifier(**{**NET, "max_iter": e},
                                                        random_state=0),
        "plain torch loop": TorchLoop,
    }
    times = {name: {20: [], 1: []} for name in makers}
    for _ in range(args.repeats):  # interleaved
        for name, make in makers.items():
            for epochs in (20, 1):
                t0 = clock()
                make(epochs).fit(X, y)
                times[name][epochs].append(clock() - t0)
    print(f"L={args.L}: X {X.shape} {X.dtype}, {n_batches} batches of {NET['batch_size']} per "
          f"epoch, MLP {X.shape[1]}-16-1; CPU ms, median of {args.repeats} interleaved runs")
    for name, t in times.items():
        full, one = statistics.median(t[20]), statistics.median(t[1])
        epoch = (full - one) / 19
        print(f"  {name:28s} 20-epoch fit {full * 1e3:7.1f} = fixed {(one - epoch) * 1e3:5.1f} "
              f"+ 20 x {epoch * 1e3:5.2f}/epoch ({epoch / n_batches * 1e3:.3f}/batch)")

    spent, calls = collections.defaultdict(float), collections.Counter()

    def wrap(owner, method, label):
        original = getattr(owner, method)

        @functools.wraps(original)
        def timed(*a, **k):
            t0 = clock()
            try:
                return original(*a, **k)
            finally:
                spent[label] += clock() - t0
                calls[label] += 1

        setattr(owner, method, timed)

    wrap(est_mod.BaseNeuralNetwork, "_validate_fit_data", "validate X, y")
    wrap(est_mod.NeuralClassifierMixin, "_encode_target", "encode the target")
    wrap(est_mod.BaseNeuralNetwork, "_make_net", "build module + skorch net, initialize")
    wrap(est_mod.BaseNeuralNetwork, "_run_stochastic", "training loop (all epochs)")
    wrap(skorch.net.NeuralNet, "notify", "  callbacks + history (skorch notify)")
    wrap(data_mod.TensorData, "take", "  shuffled gather (once per epoch)")
    wrap(net_mod.SkphysNet, "train_step_single", "  forward + loss + backward")
    wrap(net_mod.SkphysNet, "infer", "    forward")
    wrap(net_mod.SkphysNet, "get_loss", "    loss")
    wrap(net_mod.SkphysNet, "_step_optimizer", "  optimiser step (incl. the step above)")
    n = args.repeats
    t0 = clock()
    for _ in range(n):
        MLPClassifier(**NET, random_state=0).fit(X, y)
    print(f"  skphys, instrumented: {(clock() - t0) / n * 1e3:.1f} ms per fit, of which")
    for label, seconds in spent.items():
        print(f"    {label:42s} {seconds / n * 1e3:7.2f} ms ({calls[label] // n} calls)")


if __name__ == "__main__":
    main()

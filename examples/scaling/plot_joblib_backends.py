"""
===============================================
Searches and data on more cores: loky and dask
===============================================

Everything in skphys that runs many fits or draws many samples goes through :mod:`joblib`:
``GridSearchCV`` and ``cross_val_score`` over skphys estimators, the scans of
:class:`~skphys.phases.ConfusionPhaseFinder`, and the generators ``make_ising`` and
``make_xrd_patterns`` (``n_jobs``). ``n_jobs`` spreads the work over local processes (joblib's
loky backend); the same code under ``joblib.parallel_backend("dask")`` runs on a dask cluster.
Every fit is seeded by its parameters, so the results are the same on one core, on several, and
on a cluster.

The first ``n_jobs`` call pays the start-up of its worker processes: each imports torch, skorch
and scikit-learn, and torch's first optimiser imports its compiler stack (``torch._dynamo``).
Later calls reuse the workers.
"""

import time
import warnings

import joblib
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import make_xrd_patterns
from skphys.neural_network import MLPClassifier

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)

# %%
# A grid search over a skphys network, on one core and then on two (loky).
# [start-loky]
X, y = load_digits(return_X_y=True)
clf = make_pipeline(StandardScaler(),
                    MLPClassifier((64,), max_iter=20, learning_rate_init=0.01, random_state=0))
grid = {"mlpclassifier__alpha": [1e-4, 1.0]}

for n_jobs in [1, 2, 2]:
    t0 = time.perf_counter()
    search = GridSearchCV(clf, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    print(f"n_jobs={n_jobs}: {time.perf_counter() - t0:5.1f} s, "
          f"best score {search.best_score_:.4f}")
# [end-loky]
sequential_score = search.best_score_

# %%
# Data generation in parallel: chunks of XRD patterns (or of Ising temperatures on large
# lattices) with seeds of their own, fixed by the arguments, so ``n_jobs`` changes the speed
# and never the samples.
# [start-data]
X1, y1 = make_xrd_patterns(1200, space_groups="holohedral", n_points=300, random_state=0)
X2, y2 = make_xrd_patterns(1200, space_groups="holohedral", n_points=300, random_state=0,
                           n_jobs=2)  # three chunks of 512 patterns or fewer
print("same patterns with n_jobs=2:", np.array_equal(X1, X2) and np.array_equal(y1, y2))
# [end-data]

# %%
# On a dask cluster. A real one has worker processes on other machines (``dask scheduler``,
# ``dask worker``, one thread each: torch fits in threads of one process take turns); this
# page's build uses two workers that are threads of this process, which runs the same code.
# ``scatter=[X, y]`` sends the data to the workers once, and every task refers to it, instead
# of shipping it with each fit.
# [start-dask]
from distributed import Client, LocalCluster

with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    with joblib.parallel_backend("dask", scatter=[X, y]):
        on_dask = GridSearchCV(clf, grid, cv=3).fit(X, y)
    print(f"dask: best score {on_dask.best_score_:.4f}")
    # [end-dask]
    # %%
    # One worker per GPU: ``device="auto"`` on a dask worker of a ``LocalCluster`` takes the
    # GPU numbered like the worker (modulo the GPUs it sees); under ``torchrun`` or
    # ``accelerate``, the one of its ``LOCAL_RANK``; a worker started with
    # ``CUDA_VISIBLE_DEVICES=<its GPU>`` sees that GPU only. Here, without GPUs, the workers
    # report the index they would use.
    # [start-gpus]
    from skphys.utils import worker_gpu_index

    for address in client.scheduler_info()["workers"]:
        index = client.submit(worker_gpu_index, workers=[address], pure=False).result()
        print(f"worker {address}: GPU {index}")
    # [end-gpus]

assert on_dask.best_score_ == sequential_score  # the same fits, wherever they ran

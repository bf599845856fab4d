"""
==========================
Searches on ray
==========================

Ray's joblib backend runs the same searches and scans on a ray cluster. Register it with
:func:`skphys.utils.register_ray` rather than ``ray.util.joblib.register_ray``: both register
the backend ``"ray"``, but ray's own puts the arguments of a call (the training data) into
its object store only with joblib older than 1.3, and otherwise pickles them into every task;
skphys's puts each array of at least 100 kB there once per call.

Ray starts a fresh pool of worker processes for every joblib call, so each call pays the
workers' start-up (importing torch and skorch): a cluster pays off for searches whose fits
take much longer than that.
"""

import time
import warnings

import joblib
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.neural_network import MLPClassifier

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
clf = make_pipeline(StandardScaler(),
                    MLPClassifier((64,), max_iter=20, learning_rate_init=0.01, random_state=0))
grid = {"mlpclassifier__alpha": [1e-4, 1.0]}
sequential = GridSearchCV(clf, grid, cv=3).fit(X, y)

# %%
# [start-ray]
import ray

from skphys.utils import register_ray

ray.init(num_cpus=2, include_dashboard=False)  # or ray.init(address="auto") on a cluster
register_ray()
t0 = time.perf_counter()
with joblib.parallel_backend("ray", n_jobs=2):
    on_ray = GridSearchCV(clf, grid, cv=3).fit(X, y)
print(f"ray: {time.perf_counter() - t0:.1f} s, best score {on_ray.best_score_:.4f}")
ray.shutdown()
# [end-ray]

assert on_ray.best_score_ == sequential.best_score_

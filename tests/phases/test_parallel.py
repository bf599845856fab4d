"""Confusion scans give the same scores sequentially, with n_jobs and on a dask cluster."""

import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skphys.neural_network import MLPClassifier
from skphys.phases import ConfusionPhaseFinder


def data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.linspace(0, 1, 11), 16)
    X = rng.normal(size=(len(y), 4)) + 2.0 * (y > 0.43)[:, None]
    return X.astype(np.float32), y


def finder(**kw):
    # a skphys network: weights, shuffling and folds all depend on the seeds handed out
    net = MLPClassifier((8,), max_iter=20, learning_rate_init=0.02)
    return ConfusionPhaseFinder(net, boundaries=[0.2, 0.43, 0.7], cv=2, refit=False,
                                random_state=0, **kw)


@pytest.mark.parametrize("strategy", ["scan", "multitask"])
def test_dask_cluster_gives_the_sequential_scores(strategy):
    distributed = pytest.importorskip("distributed")
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sequential = finder(strategy=strategy).fit(X, y)
        # processes=False: the 2 workers are threads of this process that talk over inproc://,
        # so nothing listens on a network port
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as ts:
                on_dask = finder(strategy=strategy).fit(X, y)
    n_fits = 6 if strategy == "scan" else 2  # boundaries x folds, or one network per fold
    assert len(ts.data) >= n_fits  # the fits ran as tasks on the cluster
    np.testing.assert_array_equal(on_dask.scores_, sequential.scores_)
    assert sequential.scores_[1] > sequential.scores_[[0, 2]].max()  # the peak is at 0.43


def test_threading_backend_gives_the_sequential_scores():
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sequential = finder().fit(X, y)
        with joblib.parallel_backend("threading"):
            threaded = finder(n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(threaded.scores_, sequential.scores_)

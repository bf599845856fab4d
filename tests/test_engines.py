"""Searches and confusion scans on a dask cluster and on ray: the sequential results, data sent once.

One local cluster of each engine per module (a ``distributed.LocalCluster`` of two worker
processes with one thread each, ``ray.init(num_cpus=2)``): their start-up is the slow part.
The workers import skphys afresh, so these tests also cover the pickling of skphys estimators
to other processes. Results must be *identical* to the sequential run (same ``random_state``):
every fit is seeded by its parameters, not by where it runs.
"""

import contextlib

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import ising_critical_temperature, make_ising
from skphys.neural_network import CNNClassifier, MLPClassifier
from skphys.phases import ConfusionPhaseFinder
from skphys.utils import worker_gpu_index

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        yield client


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    from joblib.pool import PicklingPool

    from skphys.utils import register_ray

    bases = PicklingPool.__bases__  # ray's backend rebases joblib's pool class: put it back
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    register_ray()
    yield ray
    ray.shutdown()
    PicklingPool.__bases__ = bases


class Engine:
    """``engine()`` is the context manager that runs joblib on the engine."""

    def __init__(self, name, request):
        self.name = name
        if name == "dask":
            self.client = request.getfixturevalue("dask_client")
            self.put_owner = None
        else:
            self.put_owner = request.getfixturevalue("ray_session")

    def __call__(self):
        if self.name == "dask":
            return joblib.parallel_backend("dask", client=self.client)
        return joblib.parallel_backend("ray", n_jobs=2)


# ray starts a fresh pool of worker processes for every joblib call (~10 s here, most of it
# importing torch and skorch), so ray runs one search; dask keeps its workers
@pytest.fixture(params=["dask", "ray"])
def engine(request):
    return Engine(request.param, request)


@pytest.fixture
def dask_engine(request):
    return Engine("dask", request)


def digits():
    X, y = load_digits(return_X_y=True)
    return X[:540].astype(np.float32), y[:540]


def search():
    clf = make_pipeline(StandardScaler(),
                        MLPClassifier((32,), max_iter=15, learning_rate_init=0.01,
                                      random_state=0))
    return GridSearchCV(clf, {"mlpclassifier__alpha": [1e-4, 1e-1]}, cv=3, n_jobs=2)


@pytest.fixture(scope="module")
def sequential_search():
    X, y = digits()
    with joblib.parallel_backend("sequential"):
        return search().fit(X, y)


def test_grid_search_gives_the_sequential_result(engine, sequential_search, monkeypatch):
    X, y = digits()
    with recording(monkeypatch, engine.put_owner, "put", X) as sent, engine():
        on_engine = search().fit(X, y)
    if engine.put_owner is not None:  # ray: one ray.put of X for the 6 fits, not one each
        assert len(sent) == 1
    np.testing.assert_array_equal(on_engine.cv_results_["mean_test_score"],
                                  sequential_search.cv_results_["mean_test_score"])
    assert on_engine.best_params_ == sequential_search.best_params_
    assert sequential_search.best_score_ > 0.85  # a real fit: digits are learnt
    np.testing.assert_array_equal(on_engine.predict(X), sequential_search.predict(X))


def ising_phases():
    # L=8 Ising configurations, ordered (T < T_c) or not: a CNN with periodic padding
    X, T = make_ising(np.linspace(1.6, 3.2, 6), 24, L=8, flat=False, random_state=0)
    return X.astype(np.float32), (T < ising_critical_temperature()).astype(int)


def test_cross_val_score_gives_the_sequential_scores(dask_engine):
    engine = dask_engine
    X, y = ising_phases()
    cnn = CNNClassifier(filters=(8,), hidden_layer_sizes=(16,), padding_mode="circular",
                        max_iter=20, learning_rate_init=0.01, random_state=0)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    sequential = cross_val_score(cnn, X, y, cv=cv)
    with engine():
        on_engine = cross_val_score(cnn, X, y, cv=cv, n_jobs=2)
    np.testing.assert_array_equal(on_engine, sequential)
    assert sequential.mean() > 0.8  # half the configurations are ordered: chance is 0.5


def confusion_data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.linspace(0, 1, 11), 16)
    X = rng.normal(size=(len(y), 4)) + 2.0 * (y > 0.43)[:, None]
    return X.astype(np.float32), y


def finder(**kw):
    net = MLPClassifier((8,), max_iter=20, learning_rate_init=0.02)
    return ConfusionPhaseFinder(net, boundaries=[0.2, 0.43, 0.7], cv=2, refit=False,
                                random_state=0, **kw)


# (on ray the scan runs through the same joblib calls as on dask; ray's own start-up and
# data sharing are covered by the grid search above, ~10 s a pool)
@pytest.mark.parametrize("engine_name, strategy", [("dask", "scan"), ("dask", "multitask")])
def test_confusion_scan_gives_the_sequential_scores(engine_name, strategy, request):
    engine = Engine(engine_name, request)
    X, y = confusion_data()
    sequential = finder(strategy=strategy).fit(X, y)
    with engine():
        on_engine = finder(strategy=strategy, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(on_engine.scores_, sequential.scores_)
    assert sequential.scores_[1] > sequential.scores_[[0, 2]].max()  # the peak is at 0.43


@contextlib.contextmanager
def recording(monkeypatch, owner, name, X):
    """Count the calls of ``owner.name`` (scatter / put) that ship the array ``X``."""
    calls = []
    if owner is None:
        yield calls
        return
    original = getattr(owner, name)

    def counting(*args, **kwargs):
        sent = [a for a in args if isinstance(a, (np.ndarray, list))]
        flat = [b for a in sent for b in (a if isinstance(a, list) else [a])]
        calls.extend(b for b in flat if isinstance(b, np.ndarray) and b.shape == X.shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    yield calls


def test_dask_scatters_the_data_once(dask_client, monkeypatch):
    import distributed

    X, y = digits()
    with recording(monkeypatch, distributed.Client, "scatter", X) as sent, \
            joblib.parallel_backend("dask", client=dask_client, scatter=[X, y]):
        search().fit(X, y)  # 6 fits and a refit
        scores = cross_val_score(search().estimator, X, y, cv=3,
                                 n_jobs=2)  # 3 more fits, another call
    assert len(sent) == 1  # once for both calls and their 9 tasks, not once per task
    assert scores.mean() > 0.8
    # without scatter=, dask's backend sends a large argument once per call (still not once
    # per task): twice for the two calls
    with recording(monkeypatch, distributed.Client, "scatter", X) as sent, \
            joblib.parallel_backend("dask", client=dask_client):
        search().fit(X, y)
        cross_val_score(search().estimator, X, y, cv=3, n_jobs=2)
    assert len(sent) == 2


def test_dask_worker_numbers_pick_their_gpus(dask_client):
    # LocalCluster names its workers 0 and 1: with one GPU each, device="auto" takes its own
    workers = dask_client.scheduler_info()["workers"]
    indices = {addr: dask_client.submit(worker_gpu_index, workers=[addr], pure=False).result()
               for addr in workers}
    assert sorted(indices.values()) == [0, 1]
    assert worker_gpu_index() is None  # the client itself is not a worker

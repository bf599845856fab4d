"""The 2-D Ising model (L=16, modest data): confusion peak and supervised crossing near T_c."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skphys.neural_network import MLPClassifier
from skphys.phases import ConfusionPhaseFinder, phase_crossing

datasets = pytest.importorskip("skphys.datasets")
if not hasattr(datasets, "make_ising"):  # pragma: no cover - until the generator lands
    pytest.skip("skphys.datasets.make_ising is not available", allow_module_level=True)

TC = 2.0 / np.log1p(np.sqrt(2.0))  # Onsager: 2.269185
T_GRID = np.linspace(1.2, 3.4, 23)  # step 0.1, T_c near the middle
SEED = 0


def network(**kw):
    return MLPClassifier((32,), max_iter=30, learning_rate_init=0.003, batch_size=64, **kw)


@pytest.fixture(scope="module")
def ising():
    return datasets.make_ising(T_GRID, 80, L=16, random_state=SEED)


def test_data_as_documented(ising):
    X, y = ising
    assert X.shape == (len(T_GRID) * 80, 256) and X.dtype == np.float32
    assert set(np.unique(X)) == {-1.0, 1.0}
    np.testing.assert_allclose(np.unique(y), T_GRID)


def test_confusion_peak_near_onsager(ising):
    X, y = ising
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        finder = ConfusionPhaseFinder(network(), strategy="multitask", refit=False,
                                      random_state=SEED).fit(X, y)
    assert abs(finder.critical_point_ - TC) <= 0.15
    i = finder.critical_index_
    # a real interior maximum: above the minima on both sides (the W is shallow on a wide grid)
    assert finder.scores_[i] >= max(finder.scores_[:i].min(), finder.scores_[i:].min()) + 0.02


def test_supervised_crossing_near_onsager(ising):
    X, y = ising
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y,
                                                        random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = network(random_state=SEED).fit(X_train, (y_train > TC).astype(int))
    res = phase_crossing(clf, X_test, y_test, random_state=SEED)
    assert abs(res.critical_point - TC) <= 0.1
    assert 0 < res.std < 0.05
    # P(disordered) rises from ~0 deep in the ordered phase to ~1 deep in the disordered one
    assert res.mean_proba[0] < 0.1 and res.mean_proba[-1] > 0.9

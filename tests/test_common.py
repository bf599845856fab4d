"""scikit-learn's estimator checks over every public skphys estimator (discovered, not listed).

Fast instances and the reasoned expected failures live in :mod:`skphys.utils._test_instances`,
so a new estimator is checked as soon as it is exported.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skphys.utils import all_estimators
from skphys.utils._test_instances import expected_failed_checks, test_instance
from skphys.utils.estimator_checks import yield_physics_checks

ESTIMATORS = [test_instance(cls) for _, cls in all_estimators()]


def test_discovery_finds_the_foundation():
    names = {type(e).__name__ for e in ESTIMATORS}
    assert {"MLPClassifier", "MLPRegressor", "CNNClassifier", "CNNRegressor",
            "RNNClassifier", "RNNRegressor"} <= names


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _physics_cases():
    for est in ESTIMATORS:
        for check in yield_physics_checks(est):
            yield pytest.param(est, check, id=f"{type(est).__name__}-{check.__name__}")


@pytest.mark.parametrize("estimator,check", list(_physics_cases()))
def test_skphys_checks(estimator, check):
    check(type(estimator).__name__, estimator)

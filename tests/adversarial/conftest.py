"""Models shared by the adversarial tests: small networks trained once on digits."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skphys.neural_network import MLPClassifier


@pytest.fixture(scope="session")
def digits():
    """digits / 16, split 70/30 stratified with random_state=0 (the ANCHORS protocol)."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="session")
def mlp(digits):
    """MLP 64-64-10 trained 40 epochs: ~0.97 clean accuracy."""
    Xtr, _, ytr, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((64,), batch_size=64, max_iter=40, random_state=0).fit(Xtr, ytr)

"""CNNClassifier / CNNRegressor: MNIST-10k, 1-D signals, lattice observables."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skphys.datasets import load_mnist
from skphys.neural_network import CNNClassifier, CNNRegressor


def test_mnist_10k_accuracy_at_least_0975_in_5_epochs(shared_data):
    if not (shared_data / "mnist" / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST 10k test set not found in {shared_data / 'mnist'}")
    X, y = load_mnist(subset="test", data_home=shared_data, normalize=True, return_X_y=True)
    X = X.reshape(-1, 28, 28)
    clf = CNNClassifier((16, 32), hidden_layer_sizes=(64,), batch_size=64,
                        learning_rate_init=2e-3, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:8000], y[:8000])  # (n, 28, 28): single-channel images
    assert clf.input_shape_ == (1, 28, 28)
    assert clf.score(X[8000:], y[8000:]) >= 0.975


def _bumps(n, length=64, seed=0):
    """1-D signals with one bump at a random place: a Gaussian (0) or a box (1)."""
    rng = np.random.RandomState(seed)
    x = np.arange(length)
    centre = rng.randint(8, length - 8, size=n)
    kind = rng.randint(0, 2, size=n)
    gauss = np.exp(-0.5 * ((x - centre[:, None]) / 2.0) ** 2)
    box = (np.abs(x - centre[:, None]) <= 2).astype(float)
    X = np.where(kind[:, None] == 0, gauss, box) + 0.05 * rng.randn(n, length)
    return X, kind


@pytest.mark.parametrize("pooling", ["max", "avg", None])
def test_1d_convolution_finds_translated_shapes(pooling):
    X, y = _bumps(600)
    clf = CNNClassifier((8,), kernel_size=5, pooling=pooling, hidden_layer_sizes=(16,),
                        learning_rate_init=0.01, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:400], y[:400])
    assert clf.input_shape_ == (1, 64)  # flat X is a one-channel 1-D signal
    assert clf.score(X[400:], y[400:]) > 0.95


def test_regressor_learns_lattice_energy():
    """Energy per spin of random 8x8 Ising configurations (nearest-neighbour products)."""
    rng = np.random.RandomState(0)
    p = rng.uniform(0.05, 0.95, size=(1500, 1, 1))
    S = np.where(rng.rand(1500, 8, 8) < p, 1.0, -1.0)
    E = -(S * np.roll(S, 1, 1) + S * np.roll(S, 1, 2)).mean(axis=(1, 2))
    reg = CNNRegressor((16,), kernel_size=3, pooling=None, hidden_layer_sizes=(32,),
                       learning_rate_init=0.005, max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(S[:1200], E[:1200])
    assert reg.score(S[1200:], E[1200:]) > 0.9


def test_strides_channels_and_input_shape():
    rng = np.random.RandomState(0)
    X4 = rng.rand(40, 3, 10, 10).astype(np.float32)  # multichannel images
    y = rng.randint(0, 3, 40)
    clf = CNNClassifier((4, 4), stride=2, padding="same", max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X4, y)
    assert clf.input_shape_ == (3, 10, 10)
    assert clf.predict_proba(X4).shape == (40, 3)
    flat = CNNClassifier((4,), input_shape=(3, 10, 10), padding="valid", max_iter=2,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flat.fit(X4.reshape(40, -1), y)
    assert flat.input_shape_ == (3, 10, 10)
    with pytest.raises(ValueError, match="input_shape"):
        CNNClassifier(input_shape=(7, 7)).fit(X4.reshape(40, -1), y)
    with pytest.raises(ValueError, match="samples of shape"):
        clf.predict(rng.rand(2, 3, 12, 12))

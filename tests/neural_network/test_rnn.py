"""RNNClassifier / RNNRegressor on generated damped-oscillator series."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV

from skphys.neural_network import RNNClassifier, RNNRegressor


def damped_oscillators(n, T=30, horizon=8, dt=0.1, noise=0.05, seed=0):
    """x(t) = A exp(-g t) cos(w t + phi) + noise, random w, g, A, phi per series.

    Returns the first T noisy steps and the clean value ``horizon`` steps after the window,
    plus the frequency of each series.
    """
    rng = np.random.RandomState(seed)
    w, g = rng.uniform(1, 4, n), rng.uniform(0.05, 0.5, n)
    A, phi = rng.uniform(0.5, 1.5, n), rng.uniform(0, 2 * np.pi, n)
    t = np.arange(T + horizon) * dt
    x = A[:, None] * np.exp(-g[:, None] * t) * np.cos(w[:, None] * t + phi[:, None])
    return x[:, :T] + noise * rng.randn(n, T), x[:, T + horizon - 1], w


def test_rnn_beats_lagged_ridge_on_damped_oscillators():
    Xtr, ytr, _ = damped_oscillators(1500)
    Xte, yte, _ = damped_oscillators(600, seed=1)
    ridge = RidgeCV(alphas=np.logspace(-4, 2, 13)).fit(Xtr, ytr)
    ridge_mse = np.mean((ridge.predict(Xte) - yte) ** 2)
    rnn = RNNRegressor(24, "gru", max_iter=30, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rnn.fit(Xtr, ytr)
    rnn_mse = np.mean((rnn.predict(Xte) - yte) ** 2)
    # a linear map of the lags cannot adapt to each series' frequency and damping
    assert rnn_mse < 0.5 * ridge_mse
    assert rnn.input_shape_ == (30, 1)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_classify_frequency_from_3d_input(cell):
    X, _, w = damped_oscillators(600, noise=0.1)
    y = np.digitize(w, [2.0, 3.0])  # three frequency bands
    X3 = np.stack([X, np.gradient(X, axis=1)], axis=2)  # (n, T, 2): value and slope
    clf = RNNClassifier(16, cell, batch_size=32, max_iter=40, learning_rate_init=0.01,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X3[:450], y[:450])
    assert clf.input_shape_ == (30, 2)
    assert clf.score(X3[450:], y[450:]) > 0.8
    flat = RNNClassifier(16, cell, n_features_per_step=2, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flat.fit(X3.reshape(600, -1), y)
    assert flat.input_shape_ == (30, 2)


def test_plain_rnn_cell_learns_a_running_sum():
    """h_t = tanh(W_hh h_{t-1} + W_xh x_t): enough to accumulate a sum over 12 steps."""
    rng = np.random.RandomState(0)
    X = rng.randn(800, 12)
    y = X.sum(axis=1)
    reg = RNNRegressor(16, "rnn", batch_size=32, max_iter=40, learning_rate_init=0.01,
                       random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X[:600], y[:600])
    assert isinstance(reg.net_.module_.recurrent, torch.nn.RNN)
    assert reg.score(X[600:], y[600:]) > 0.95


def test_bidirectional_and_stacked_layers():
    X, y, _ = damped_oscillators(400)
    reg = RNNRegressor(8, "lstm", num_layers=2, bidirectional=True, hidden_layer_sizes=(8,),
                       dropout=0.1, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    rec = reg.net_.module_.recurrent
    assert rec.bidirectional and rec.num_layers == 2
    assert reg.predict(X).shape == (400,)


def test_shape_errors():
    X, y, _ = damped_oscillators(50)
    with pytest.raises(ValueError, match="multiple of n_features_per_step"):
        RNNRegressor(n_features_per_step=7, max_iter=1).fit(X, y)
    reg = RNNRegressor(4, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X[:, :, None], y)
    with pytest.raises(ValueError, match="sequences of shape"):
        reg.predict(np.zeros((2, 30, 2)))

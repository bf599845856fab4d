"""DreamExplainer on digits: certain dreams, honesty measures, hidden units, pipelines."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.inspection import DreamExplainer
from skphys.neural_network import CNNClassifier, MLPClassifier


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def mlp(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((64,), max_iter=30, random_state=0).fit(X, y)


def test_dreams_from_the_class_mean_are_certain_and_recognisable(mlp, data):
    X, y = data
    report = DreamExplainer(FrozenEstimator(mlp), init="class_mean").fit(X, y).dream_classes()
    assert report.dreams.shape == (10, 64)
    assert np.all(report.proba >= 0.99)
    np.testing.assert_array_equal(report.predicted, np.arange(10))
    assert report.reference_agrees.sum() >= 8  # an independent LogisticRegression
    assert np.all(report.n_steps < 200)
    assert np.all(report.nearest_distance_ratio < 2.5)


def test_dreams_stay_in_the_data_range_and_noise_dreams_are_unnatural(mlp, data):
    X, y = data
    explainer = DreamExplainer(FrozenEstimator(mlp), init="noise", random_state=0).fit(X, y)
    noise = explainer.dream_classes()
    assert noise.dreams.min() >= 0 and noise.dreams.max() <= 1
    assert np.all(noise.proba >= 0.99)
    mean = explainer.set_params(init="class_mean").dream_classes()
    # certain, yet far from every training digit: the honesty measure shows it
    assert np.median(noise.nearest_distance_ratio) > 1.5 * np.median(mean.nearest_distance_ratio)
    np.testing.assert_array_equal(
        explainer.set_params(init="noise").dream_classes().dreams, noise.dreams)


def test_penalties_pull_toward_the_seed_and_smooth(mlp, data):
    X, y = data
    ex = DreamExplainer(FrozenEstimator(mlp), init="mean", max_iter=100).fit(X, y)
    plain = ex.dream_classes().dreams
    near = ex.set_params(l2=0.5).dream_classes().dreams
    assert (np.linalg.norm(near - ex.mean_, axis=1).mean()
            < 0.7 * np.linalg.norm(plain - ex.mean_, axis=1).mean())

    def tv(d):
        img = d.reshape(-1, 8, 8)
        return np.abs(np.diff(img, axis=1)).sum() + np.abs(np.diff(img, axis=2)).sum()

    smooth = ex.set_params(l2=0.0, tv=0.02, image_shape=(8, 8)).dream_classes().dreams
    assert tv(smooth) < 0.8 * tv(plain)


def test_transform_sharpens_the_predicted_class(mlp, data):
    X, y = data
    ex = DreamExplainer(FrozenEstimator(mlp), max_iter=50).fit(X, y)
    start = X[:40]
    dreams = ex.transform(start)
    assert dreams.shape == start.shape
    np.testing.assert_array_equal(mlp.predict(dreams), mlp.predict(start))
    p_start = mlp.predict_proba(start).max(1)
    p_dream = mlp.predict_proba(dreams).max(1)
    assert np.all(p_dream >= np.minimum(p_start, 0.99) - 1e-3)
    # toward a given class: every digit becomes a "3" for the network
    report = ex.set_params(max_iter=300).dream(X[:20], target=3)
    assert np.all(report.predicted == 3) and np.all(report.proba >= 0.99)


def test_hidden_unit_target(mlp, data):
    X, y = data
    ex = DreamExplainer(FrozenEstimator(mlp), target=("0", 5), max_iter=50).fit(X, y)
    report = ex.dream()
    seed_activation = mlp.net_.module_[0](
        __import__("torch").from_numpy(ex.mean_[None])).detach().numpy()[0, 5]
    assert report.activation[0] > seed_activation + 1.0
    assert np.isnan(report.proba[0]) and report.target[0] == ("0", 5)
    with pytest.raises(ValueError, match="No layer named"):
        ex.set_params(target=("nope", 0)).fit(X, y)
    with pytest.raises(ValueError, match="not a class label"):
        ex.set_params(target=42).fit(X, y)


def test_pipeline_cnn_and_custom_reference(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=30, random_state=0))
    ex = DreamExplainer(pipe, init="class_mean",
                        reference_estimator=KNeighborsClassifier(3)).fit(X, y)
    report = ex.dream_classes()
    assert np.all(report.proba >= 0.99) and report.reference_agrees.sum() >= 8
    images = X.reshape(-1, 8, 8)
    cnn = CNNClassifier(filters=(8,), hidden_layer_sizes=(32,), batch_size=64, max_iter=12,
                        learning_rate_init=3e-3, random_state=0)
    ex = DreamExplainer(cnn, init="class_mean", tv=0.005).fit(images, y)
    report = ex.dream(target=[0, 1])
    assert report.dreams.shape == (2, 8, 8) and np.all(report.proba >= 0.99)


def test_needs_y_and_a_differentiable_model(data):
    X, y = data
    with pytest.raises(ValueError, match="requires y"):
        DreamExplainer(MLPClassifier()).fit(X, None)
    with pytest.raises(TypeError, match="not differentiable"):
        DreamExplainer(KNeighborsClassifier()).fit(X, y)

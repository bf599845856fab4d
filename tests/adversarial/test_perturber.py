"""AdversarialPerturber: sklearn interface, pipelines in raw space, curves, errors."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler

from skphys.adversarial import AdversarialPerturber
from skphys.adversarial._model import differentiable_model
from skphys.neural_network import CNNClassifier, MLPClassifier


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_frozen_estimator_is_attacked_as_it_is(mlp, digits):
    Xtr, Xte, _, yte = digits
    attack = AdversarialPerturber(FrozenEstimator(mlp), attack="fgsm", eps=0.1).fit(Xtr)
    assert attack.estimator_.estimator is mlp
    assert attack.clip_values_ == (0.0, 1.0)
    X_adv = attack.transform(Xte)
    assert X_adv.shape == Xte.shape and X_adv.dtype == np.float32
    assert np.abs(X_adv - Xte).max() <= 0.1 + 1e-6
    # transform attacks the predictions: the prediction changes on most samples
    assert np.mean(mlp.predict(X_adv) != mlp.predict(Xte)) > 0.4
    assert attack.score(Xte, yte) == pytest.approx(np.mean(mlp.predict(attack.generate(Xte, yte))
                                                           == yte), abs=2e-3)


def test_unfrozen_estimator_is_fitted_and_needs_y(digits):
    Xtr, Xte, ytr, yte = digits
    attack = AdversarialPerturber(MLPClassifier((32,), batch_size=64, max_iter=30, random_state=0),
                                  attack="pgd", eps=0.1)
    with pytest.raises(ValueError, match="requires y"):
        attack.fit(Xtr)
    attack.fit(Xtr, ytr)
    assert attack.estimator_.score(Xte, yte) > 0.9
    assert attack.score(Xte, yte) < 0.6


def test_robustness_curve(mlp, digits):
    Xtr, Xte, _, yte = digits
    attack = AdversarialPerturber(FrozenEstimator(mlp), attack="pgd").fit(Xtr)
    curve = attack.robustness_curve(Xte, yte, eps=[0, 0.05, 0.1, 0.2])
    assert curve.accuracy[0] == pytest.approx(mlp.score(Xte, yte), abs=2e-3)
    assert np.all(np.diff(curve.accuracy) < 0) and np.all(np.diff(curve.mean_norm) > 0)
    assert curve.mean_norm[0] == 0 and curve.mean_norm[-1] <= 0.2 + 1e-6
    fgsm = attack.set_params(attack="fgsm").robustness_curve(Xte, yte, eps=curve.eps)
    assert np.all(curve.accuracy <= fgsm.accuracy)
    # DeepFool: broken samples are those whose minimal perturbation fits in eps (L2)
    df = attack.set_params(attack="deepfool", max_iter=50).robustness_curve(
        Xte, yte, eps=[0, 0.5, 1, 2, 100])
    assert df.norm == 2 and df.accuracy[0] == curve.accuracy[0]
    assert np.all(np.diff(df.accuracy) <= 0) and df.accuracy[-1] < 0.05


def test_targeted_attack(mlp, digits):
    Xtr, Xte, _, yte = digits
    attack = AdversarialPerturber(FrozenEstimator(mlp), attack="pgd", eps=0.3, eps_step=0.02,
                                  max_iter=30, targeted=True).fit(Xtr)
    target = (yte + 3) % 10
    assert np.mean(mlp.predict(attack.generate(Xte, target)) == target) > 0.8
    # transform targets the least likely class
    least = mlp.classes_[mlp.predict_proba(Xte).argmin(1)]
    assert np.mean(mlp.predict(attack.transform(Xte)) == least) > 0.5
    with pytest.raises(ValueError, match="DeepFool"):
        AdversarialPerturber(FrozenEstimator(mlp), attack="deepfool", targeted=True).fit(Xtr)


def test_pipeline_gradients_pass_in_raw_space(digits):
    """Scaler + PCA + MLP: the torch view equals the pipeline; eps is in raw units."""
    Xtr, Xte, ytr, yte = digits
    pipe = make_pipeline(MinMaxScaler(), StandardScaler(), PCA(30, whiten=True),
                         MLPClassifier((32,), max_iter=30, random_state=0)).fit(Xtr, ytr)
    model, clf, n_inputs = differentiable_model(pipe)
    assert n_inputs == 64
    with torch.no_grad():
        proba = torch.softmax(model(torch.from_numpy(Xte)), 1).numpy()
    np.testing.assert_allclose(proba, pipe.predict_proba(Xte), atol=1e-4)
    attack = AdversarialPerturber(FrozenEstimator(pipe), attack="pgd", eps=0.1).fit(Xtr)
    X_adv = attack.transform(Xte)
    assert np.abs(X_adv - Xte).max() <= 0.1 + 1e-6
    assert pipe.score(X_adv, yte) < pipe.score(Xte, yte) - 0.3


def test_non_differentiable_estimators_get_a_clear_error(digits):
    Xtr, _, ytr, _ = digits
    with pytest.raises(TypeError, match="not differentiable"):
        AdversarialPerturber(LogisticRegression(max_iter=200)).fit(Xtr, ytr)
    pipe = make_pipeline(Normalizer(), MLPClassifier((8,), max_iter=5))
    with pytest.raises(TypeError, match="Normalizer"):
        AdversarialPerturber(pipe).fit(Xtr, ytr)


def test_cnn_on_images_and_binary_problem(digits):
    Xtr, Xte, ytr, yte = digits
    keep_tr, keep_te = np.isin(ytr, [3, 8]), np.isin(yte, [3, 8])
    imgs_tr, imgs_te = Xtr[keep_tr].reshape(-1, 8, 8), Xte[keep_te].reshape(-1, 8, 8)
    cnn = CNNClassifier(filters=(8,), hidden_layer_sizes=(32,), max_iter=30, random_state=0)
    attack = AdversarialPerturber(cnn, attack="pgd", eps=0.15).fit(imgs_tr, ytr[keep_tr])
    assert attack.estimator_.net_.module_(torch.zeros(1, 1, 8, 8)).shape == (1, 1)  # one logit
    clean = attack.estimator_.score(imgs_te, yte[keep_te])
    assert clean > 0.9
    X_adv = attack.transform(imgs_te)
    assert X_adv.shape == imgs_te.shape
    assert attack.score(imgs_te, yte[keep_te]) < clean - 0.3
    df = attack.set_params(attack="deepfool", max_iter=50).fit(imgs_tr, ytr[keep_tr])
    flipped = df.estimator_.predict(df.transform(imgs_te)) != df.estimator_.predict(imgs_te)
    assert flipped.mean() >= 0.95


def test_random_start_is_reproducible_and_pickles(mlp, digits):
    Xtr, Xte, _, _ = digits
    attack = AdversarialPerturber(FrozenEstimator(mlp), random_start=True, random_state=0)
    attack.fit(Xtr)
    a, b = attack.transform(Xte[:50]), attack.transform(Xte[:50])
    np.testing.assert_array_equal(a, b)
    c = attack.set_params(random_state=1).transform(Xte[:50])
    assert not np.array_equal(a, c)
    restored = pickle.loads(pickle.dumps(attack.set_params(random_state=0)))
    np.testing.assert_array_equal(restored.transform(Xte[:50]), a)


def test_bad_labels_and_shapes(mlp, digits):
    Xtr, Xte, _, yte = digits
    attack = AdversarialPerturber(FrozenEstimator(mlp)).fit(Xtr)
    with pytest.raises(ValueError, match="classes_"):
        attack.generate(Xte[:5], np.array([0, 1, 2, 3, 42]))
    with pytest.raises(ValueError, match="features"):
        attack.transform(Xte[:, :10])

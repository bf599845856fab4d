"""AutoencoderTransformer: quality against PCA, VAE behaviour, phase detection, API."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

import skphys.datasets
from skphys.decomposition import AutoencoderTransformer

make_ising = getattr(skphys.datasets, "make_ising", None)
needs_ising = pytest.mark.skipif(
    make_ising is None, reason="skphys.datasets.make_ising (Datasets issue) is not available yet"
)

#: a short, fast training schedule that still reaches the anchors' quality on digits
FAST = dict(batch_size=64, learning_rate_init=3e-3, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data / 16.0
    return train_test_split(X, test_size=0.25, random_state=0)


def _sq_error(X, Xr):
    return float(np.square(np.asarray(Xr) - X).sum(1).mean())


@pytest.fixture(scope="module")
def vae(digits):
    Xtr, _ = digits
    return AutoencoderTransformer(10, variational=True, max_iter=100, **FAST).fit(Xtr)


@pytest.mark.parametrize("k", [2, 10])
def test_beats_pca_by_a_quarter_on_held_out_digits(digits, k):
    # ANCHORS.md: PCA 3.38 vs AE 2.36 (k=2), 1.26 vs 0.61 (k=10); the bar is >= 25% better
    Xtr, Xte = digits
    pca = PCA(k).fit(Xtr)
    ae = AutoencoderTransformer(k, max_iter=100, **FAST).fit(Xtr)
    err_pca = _sq_error(Xte, pca.inverse_transform(pca.transform(Xte)))
    err_ae = _sq_error(Xte, ae.inverse_transform(ae.transform(Xte)))
    assert err_ae <= 0.75 * err_pca, (k, err_ae, err_pca)
    # the score is minus the same per-sample error, and the training error is recorded
    assert ae.score(Xte) == pytest.approx(-err_ae, rel=1e-5)
    assert 0 < ae.reconstruction_error_ < err_pca
    assert len(ae.loss_curve_) == ae.n_iter_ and ae.loss_curve_[-1] < ae.loss_curve_[0] / 2


def test_pipeline_grid_search_over_n_components(digits):
    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16.0, y[:600]
    pipe = Pipeline([("ae", AutoencoderTransformer(max_iter=40, **FAST)), ("svc", SVC())])
    search = GridSearchCV(pipe, {"ae__n_components": [2, 12]}, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"ae__n_components": 12}
    assert scores[1] > 0.75 and scores[1] > scores[0] + 0.1, scores


def test_vae_elbo_is_the_training_objective_and_a_density_score(digits, vae):
    Xtr, Xte = digits
    elbo_tr = vae.score(Xtr)
    # the mean ELBO over the training set is minus the (beta=1) training loss
    assert elbo_tr == pytest.approx(-vae.loss_curve_[-1], rel=0.05, abs=1.0)
    # it scores held-out digits far above pixel noise of the same mean and digits shuffled
    rng = np.random.default_rng(0)
    noise = rng.permuted(Xte, axis=1)
    assert vae.score(Xte) > vae.score(noise) + 50
    s = vae.score_samples(Xte[:50])
    assert s.shape == (50,) and np.array_equal(s, vae.score_samples(Xte[:50]))  # deterministic


def test_vae_codes_follow_the_prior_and_samples_look_like_data(digits, vae):
    Xtr, Xte = digits
    Z = vae.transform(Xtr)
    assert np.all(np.abs(Z.mean(0)) < 0.5) and np.all(Z.std(0) < 1.5)
    S = vae.sample(400, random_state=0)
    assert S.shape == (400, 64) and S.min() >= 0 and S.max() <= 1
    assert np.array_equal(S, vae.sample(400, random_state=0))
    # samples resemble digits: their mean image is close to the data's, far closer than noise
    gap = np.abs(S.mean(0) - Xtr.mean(0)).mean()
    assert gap < 0.05, gap
    # and decoding through the VAE reconstructs held-out digits better than PCA does
    pca = PCA(10).fit(Xtr)
    assert _sq_error(Xte, vae.inverse_transform(vae.transform(Xte))) < _sq_error(
        Xte, pca.inverse_transform(pca.transform(Xte)))


def test_plain_autoencoder_cannot_sample(digits):
    ae = AutoencoderTransformer(max_iter=2, **FAST).fit(digits[0][:100])
    assert not hasattr(ae, "sample")
    with pytest.raises(AttributeError) as info:
        ae.sample(3)
    assert "variational=True" in str(info.value.__cause__)


def test_convolutional_autoencoder_keeps_the_image_shape(digits):
    Xtr, Xte = digits
    images = Xtr.reshape(-1, 8, 8)
    ae = AutoencoderTransformer(10, filters=(8,), hidden_layer_sizes=(64,), max_iter=30,
                                **{**FAST, "batch_size": 128}).fit(images)
    assert ae.input_shape_ == (1, 8, 8)
    rec = ae.inverse_transform(ae.transform(Xte.reshape(-1, 8, 8)))
    assert rec.shape == (len(Xte), 8, 8)
    # it learns: far below the error of the mean image (4.7 per digit)
    err_mean = _sq_error(Xte, np.broadcast_to(Xtr.mean(0), Xte.shape))
    assert _sq_error(Xte, rec.reshape(len(Xte), -1)) < 0.5 * err_mean
    # a flat X folded by input_shape gives the same network input
    flat = AutoencoderTransformer(10, filters=(4,), input_shape=(8, 8), max_iter=1, **FAST)
    assert flat.fit(Xtr).input_shape_ == (1, 8, 8)


@needs_ising
def test_vae_latent_space_detects_the_ising_transition():
    temps = np.linspace(1.6, 3.2, 9)
    X, T = make_ising(temps, n_samples=100, L=16, random_state=0)
    m = X.mean(1)
    vae = AutoencoderTransformer(2, variational=True, max_iter=60, **FAST).fit(X)
    Z = vae.transform(X)
    corr_m = [abs(np.corrcoef(Z[:, j], m)[0, 1]) for j in range(2)]
    j = int(np.argmax(corr_m))
    # one latent coordinate is the magnetisation, its size the order parameter |m|
    assert corr_m[j] >= 0.9, corr_m
    assert abs(np.corrcoef(np.abs(Z[:, j]), np.abs(m))[0, 1]) >= 0.9
    # the 2-D latent space separates ordered (T < 2) from disordered (T > 2.6) samples
    far = (T < 2.0) | (T > 2.6)
    clf = LogisticRegression().fit(np.abs(Z[far]), T[far] < 2.27)
    assert clf.score(np.abs(Z[far]), T[far] < 2.27) >= 0.95


def test_input_checks_and_output_api(digits):
    Xtr, _ = digits
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        AutoencoderTransformer(loss="binary_crossentropy", max_iter=1).fit(Xtr * 2 - 1)
    with pytest.raises(ValueError, match="logistic output"):
        AutoencoderTransformer(loss="binary_crossentropy", out_activation="identity",
                               max_iter=1).fit(Xtr)
    ae = AutoencoderTransformer(3, max_iter=2, **FAST).fit(Xtr[:200])
    assert ae.out_activation_ == "logistic"
    assert AutoencoderTransformer(max_iter=1).fit(Xtr[:50] - 0.5).out_activation_ == "identity"
    assert list(ae.get_feature_names_out()) == [f"autoencodertransformer{i}" for i in range(3)]
    pd = pytest.importorskip("pandas")
    out = ae.set_output(transform="pandas").transform(Xtr[:5])
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(ae.get_feature_names_out())
    with pytest.raises(ValueError, match="decodes codes of 3 features"):
        ae.inverse_transform(np.zeros((2, 4)))
    clone = pickle.loads(pickle.dumps(ae.set_output(transform="default")))
    np.testing.assert_array_equal(clone.transform(Xtr[:20]), ae.transform(Xtr[:20]))

"""MLPClassifier / MLPRegressor: quality bars, scikit-learn parity, training behaviour."""

import numbers
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skphys import DivergenceError
from skphys.neural_network import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def fitted(digits):
    Xtr, Xte, ytr, yte = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((128,), max_iter=40, random_state=0).fit(Xtr, ytr)


def test_digits_accuracy_at_least_095(fitted, digits):
    Xtr, Xte, ytr, yte = digits
    assert fitted.score(Xte, yte) >= 0.95


def test_same_attributes_as_sklearn(fitted, digits):
    Xtr, Xte, ytr, yte = digits
    sk = SkMLPClassifier((128,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(Xtr, ytr)
    for name in ["classes_", "loss_", "best_loss_", "loss_curve_", "n_iter_", "t_",
                 "n_features_in_", "n_layers_", "n_outputs_", "out_activation_"]:
        assert hasattr(fitted, name), name
        ours, theirs = getattr(fitted, name), getattr(sk, name)
        kinds = (numbers.Real, str, list, np.ndarray)
        assert [isinstance(ours, k) for k in kinds] == [isinstance(theirs, k) for k in kinds]
    assert [c.shape for c in fitted.coefs_] == [c.shape for c in sk.coefs_]
    assert [b.shape for b in fitted.intercepts_] == [b.shape for b in sk.intercepts_]
    assert fitted.n_iter_ == len(fitted.loss_curve_) == 40
    assert fitted.t_ == 40 * len(Xtr)
    np.testing.assert_array_equal(fitted.classes_, sk.classes_)
    # the loss decreases as it should
    assert fitted.loss_curve_[-1] < 0.2 * fitted.loss_curve_[0]


def test_coefs_are_views_of_the_weights(fitted):
    W = fitted.net_.module_.linears[0].weight
    assert np.shares_memory(fitted.coefs_[0], W.detach().numpy())


def test_predict_proba_is_a_distribution(fitted, digits):
    P = fitted.predict_proba(digits[1])
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(fitted.classes_[P.argmax(1)], fitted.predict(digits[1]))
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(digits[1])), P, rtol=1e-6)


def test_binary_uses_one_logistic_output():
    X, y = make_classification(400, 10, class_sep=2.0, random_state=0)
    clf = MLPClassifier((16,), max_iter=100, random_state=0).fit(X, np.where(y, "yes", "no"))
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    assert clf.coefs_[-1].shape == (16, 1)
    assert clf.score(X, np.where(y, "yes", "no")) > 0.95
    assert clf.predict_proba(X).shape == (400, 2)


def test_same_seed_same_fit_different_seed_different_fit(digits):
    Xtr, Xte, ytr, _ = digits
    kw = dict(hidden_layer_sizes=(32,), max_iter=3, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier(**kw, random_state=1).fit(Xtr, ytr).predict_proba(Xte)
        b = MLPClassifier(**kw, random_state=1).fit(Xtr, ytr).predict_proba(Xte)
        c = MLPClassifier(**kw, random_state=2).fit(Xtr, ytr).predict_proba(Xte)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_regressor_r2_on_a_smooth_function():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(1500, 2))
    y = np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.3 * X[:, 1] ** 2
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(64, 64), learning_rate_init=0.01, max_iter=200,
                       random_state=0).fit(Xtr, ytr)
    assert reg.score(Xte, yte) >= 0.95
    assert reg.predict(Xte).shape == (len(Xte),)


def test_regressor_multioutput_and_poisson():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(800, 3))
    Y = np.c_[X.sum(1), X[:, 0] * X[:, 1]]
    reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=150,
                       random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (800, 2) and reg.score(X, Y) > 0.9
    counts = rng.poisson(np.exp(X[:, 0]))
    pois = MLPRegressor("poisson", (16,), learning_rate_init=0.01, max_iter=100, random_state=0)
    pred = pois.fit(X, counts).predict(X)
    assert pois.out_activation_ == "exp" and (pred > 0).all()
    assert np.corrcoef(pred, np.exp(X[:, 0]))[0, 1] > 0.9
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor("poisson").fit(X, -np.ones(800))


def test_quadratic_cost_learns_slower_from_a_wrong_start(digits):
    """The lecture's point: with saturated outputs the quadratic cost's gradient vanishes."""
    Xtr, _, ytr, _ = digits
    curves = {}
    for loss in ["log_loss", "squared_error"]:
        clf = MLPClassifier((64,), loss=loss, solver="sgd", learning_rate_init=0.05,
                            max_iter=10, random_state=0, n_iter_no_change=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Xtr, ytr)
        curves[loss] = clf.score(Xtr, ytr)
    assert curves["log_loss"] > curves["squared_error"] + 0.1


def test_early_stopping_keeps_best_weights(digits):
    Xtr, Xte, ytr, yte = digits
    clf = MLPClassifier((64,), early_stopping=True, max_iter=200, random_state=0).fit(Xtr, ytr)
    assert clf.n_iter_ < 200
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(Xte, yte) > 0.93


def test_stops_when_training_loss_plateaus_like_sklearn():
    X, y = make_classification(300, 5, random_state=0)
    for tol, patience in [(10.0, 2), (1e-2, 3)]:
        ours = MLPClassifier((8,), tol=tol, n_iter_no_change=patience, random_state=0).fit(X, y)
        theirs = SkMLPClassifier((8,), tol=tol, n_iter_no_change=patience, random_state=0)
        theirs.fit(X, y)
        if tol == 10.0:  # nothing counts as progress: both stop after patience + 2 epochs
            assert ours.n_iter_ == theirs.n_iter_ == patience + 2
        assert ours.n_iter_ < 200


def test_convergence_warning_at_max_iter():
    X, y = make_classification(100, 5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(2\\)"):
        MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_sgd_schedules(digits, schedule):
    Xtr, Xte, ytr, yte = digits
    clf = MLPClassifier((64,), solver="sgd", learning_rate=schedule, learning_rate_init=0.1,
                        momentum=0.9, max_iter=30, random_state=0, n_iter_no_change=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Xtr, ytr)
    lr = clf.net_.optimizer_.param_groups[0]["lr"]
    if schedule == "constant":
        assert lr == 0.1
    elif schedule == "invscaling":
        assert lr == pytest.approx(0.1 / (clf.t_ + 1) ** 0.5)
    assert clf.score(Xte, yte) > (0.9 if schedule != "invscaling" else 0.5)


def test_alpha_shrinks_the_weights(digits):
    Xtr, _, ytr, _ = digits
    norms = []
    for alpha in [0.0, 30.0]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = MLPClassifier((32,), alpha=alpha, max_iter=20, random_state=0).fit(Xtr, ytr)
        norms.append(sum((c**2).sum() for c in clf.coefs_))
        bias_norm = sum((b**2).sum() for b in clf.intercepts_)
        assert bias_norm > 0  # biases are not penalised to zero
    assert norms[1] < 0.5 * norms[0]


def test_partial_fit_and_warm_start(digits):
    Xtr, Xte, ytr, yte = digits
    clf = MLPClassifier((64,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(Xtr, ytr)
    for _ in range(30):
        clf.partial_fit(Xtr, ytr, classes=np.arange(10))
    # scikit-learn's semantics: n_iter_ counts the epochs of the last call, t_ all samples
    assert clf.n_iter_ == 1 and clf.t_ == 30 * len(Xtr) and clf.score(Xte, yte) > 0.93
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(Xtr, ytr + 20)

    warm = MLPClassifier((64,), max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(Xtr, ytr)
        first = list(warm.loss_curve_)
        warm.fit(Xtr, ytr)
    # each warm-started fit runs up to max_iter more epochs; loss_curve_ accumulates
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10 and warm.loss_curve_[:5] == first
    assert warm.loss_curve_[5] < first[0]  # continued, not restarted
    with pytest.raises(ValueError, match="warm_start"):
        warm.fit(Xtr, ytr + 20)


def test_divergence_raises_and_keeps_finite_weights():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 4) * 1e20
    y = rng.randn(200) * 1e20
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1.0, max_iter=20, random_state=0)
    with pytest.raises(DivergenceError, match="diverged"):
        reg.fit(X, y)
    weights = [p.detach().numpy() for p in reg.net_.module_.parameters()]
    assert all(np.isfinite(w).all() for w in weights)
    assert isinstance(DivergenceError("x"), ValueError)


def test_invalid_parameters_raise_at_fit_not_init():
    X, y = make_classification(50, 4, random_state=0)
    clf = MLPClassifier(solver="lbfgs-typo")  # no error yet
    with pytest.raises(InvalidParameterError, match="solver"):
        clf.fit(X, y)
    with pytest.raises(InvalidParameterError, match="dropout"):
        MLPClassifier(dropout=1.5).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(8, 0)).fit(X, y)


def test_unfitted_and_wrong_width_errors(fitted):
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(np.zeros((2, 64)))
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.zeros((2, 63)))


def test_verbose_prints_progress(capsys):
    X, y = make_classification(100, 4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((8,), max_iter=3, verbose=2, random_state=0).fit(X, y)
        out = capsys.readouterr().out
        assert out.count("Iteration") == 3 and "Iteration 3, loss = " in out  # sklearn's lines
        MLPClassifier((8,), max_iter=3, verbose=True, random_state=0).fit(X, y)
    err = capsys.readouterr().err  # verbose=1: a tqdm bar on stderr
    assert "3/3" in err and "MLPClassifier" in err


def test_pickle_clone_and_pipeline_grid_search(fitted, digits):
    Xtr, Xte, ytr, yte = digits
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(Xte), fitted.predict_proba(Xte))
    restored.partial_fit(Xtr, ytr)  # the restored net trains on (fresh optimiser caches)
    fresh = clone(fitted)
    assert not hasattr(fresh, "net_") and fresh.get_params() == fitted.get_params()

    pipe = make_pipeline(StandardScaler(), MLPClassifier((32,), dropout=0.1, max_iter=40,
                                                         random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-3]}, cv=3, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(Xtr, ytr)
    assert search.best_score_ > 0.85 and search.score(Xte, yte) > 0.9
    scores = cross_val_score(MLPClassifier((32,), max_iter=40, random_state=0), Xtr, ytr, cv=3)
    assert scores.min() > 0.85


def test_pandas_input_and_set_output(digits):
    pd = pytest.importorskip("pandas")
    Xtr, Xte, ytr, yte = digits
    cols = [f"px{i}" for i in range(64)]
    pipe = make_pipeline(StandardScaler().set_output(transform="pandas"),
                         MLPClassifier((32,), max_iter=40, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(pd.DataFrame(Xtr, columns=cols), pd.Series(ytr))
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, cols)
    assert pipe.score(pd.DataFrame(Xte, columns=cols), yte) > 0.9


def test_gpu_pickled_model_loads_on_cpu(fitted, digits):
    """A model whose net says 'cuda' (as one fitted on a GPU) unpickles on a CPU-only machine."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this simulates a machine without CUDA")
    state = pickle.dumps(fitted)
    model = pickle.loads(state)
    model.device_ = torch.device("cuda")  # what a GPU-fitted model carries
    with pytest.warns(UserWarning, match="not available here"):
        moved = pickle.loads(pickle.dumps(model))
    assert str(moved.device_) == "cpu"
    np.testing.assert_array_equal(moved.predict(digits[1]), fitted.predict(digits[1]))


def test_divergence_through_overflowing_weights_restores_a_finite_state():
    """Weights can overflow before the loss does: the fit then falls back to the epoch start."""
    import torch

    rng = np.random.RandomState(0)
    X = rng.randn(64, 3).astype(np.float32)
    y = rng.randn(64).astype(np.float32)
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=1e30,
                       momentum=0.0, batch_size=8, max_iter=5, random_state=0)
    with pytest.raises(DivergenceError):
        reg.fit(X, y)
    params = list(reg.net_.module_.parameters())
    assert all(torch.isfinite(p).all() for p in params)


def test_warm_start_fit_uses_a_new_optimiser_like_sklearn(digits):
    Xtr, _, ytr, _ = digits
    clf = MLPClassifier((16,), max_iter=2, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Xtr, ytr)
        weights = clf.coefs_[0].copy()
        clf.set_params(learning_rate_init=0.1234, solver="sgd", max_iter=1)
        clf.fit(Xtr, ytr)
    opt = clf.net_.optimizer_
    assert isinstance(opt, __import__("torch").optim.SGD)
    assert opt.param_groups[0]["lr"] == 0.1234
    assert not np.allclose(clf.coefs_[0], weights)  # trained on, from the previous weights
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 3

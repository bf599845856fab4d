"""RobustnessCurveDisplay and DreamDisplay draw what the estimators compute."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skphys.inspection import DreamExplainer
from skphys.neural_network import MLPClassifier
from skphys.plotting import DreamDisplay, RobustnessCurveDisplay

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((32,), max_iter=30, random_state=0).fit(X[:1200], y[:1200])
    return clf, X[1200:], y[1200:]


def test_robustness_curves_share_an_axes(fitted):
    clf, X, y = fitted
    fig, ax = plt.subplots()
    a = RobustnessCurveDisplay.from_estimator(clf, X, y, eps=[0, 0.1, 0.2], attack="fgsm",
                                              ax=ax, name="fgsm")
    b = RobustnessCurveDisplay.from_estimator(clf, X, y, eps=[0, 0.1, 0.2], attack="pgd",
                                              ax=ax, name="pgd")
    assert a.ax_ is b.ax_ and len(ax.lines) == 2
    np.testing.assert_allclose(a.line_.get_ydata(), a.accuracy)
    assert a.accuracy[0] == pytest.approx(clf.score(X, y), abs=2e-3)
    assert np.all(b.accuracy <= a.accuracy)
    assert "L∞" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fgsm", "pgd"]
    plt.close(fig)


def test_dream_display_titles_carry_the_report(fitted):
    clf, X, y = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ex = DreamExplainer(clf, init="class_mean").fit(X, y)
    report = ex.dream(target=[1, 7])
    disp = DreamDisplay.from_report(report, image_shape=(8, 8))
    assert len(disp.images_) == 2 and disp.images_[0].get_array().shape == (8, 8)
    assert disp.titles[0].startswith(f"1: p={report.proba[0]:.3f}")
    assert "ref:" in disp.titles[1]
    plt.close(disp.figure_)

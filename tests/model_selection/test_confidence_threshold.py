"""ConfidenceThresholdClassifier: abstention, tuned coverage, any classifier, search and pipelines."""

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.model_selection import ConfidenceThresholdClassifier, coverage_accuracy_curve
from skphys.neural_network import MLPClassifier
from skphys.plotting import CoverageAccuracyDisplay

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.5, stratify=y, random_state=0)


def test_curve_by_hand_and_its_ends():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.45, 0.55], [0.6, 0.4]])
    cov, acc, thr = coverage_accuracy_curve([0, 1, 0, 0, 1], proba)
    # thresholds 0.9, 0.8, 0.6 (a tie of two samples), 0.55
    np.testing.assert_allclose(thr, [0.9, 0.8, 0.6, 0.55])
    np.testing.assert_allclose(cov, [0.2, 0.4, 0.8, 1.0])
    np.testing.assert_allclose(acc, [1.0, 1.0, 0.75, 0.6])
    # string classes given explicitly
    cov, acc, _ = coverage_accuracy_curve(["b", "a"], [[0.3, 0.7], [0.6, 0.4]],
                                          classes=["a", "b"])
    np.testing.assert_allclose(acc, [1.0, 1.0])
    with pytest.raises(ValueError, match="classes"):
        coverage_accuracy_curve([0, 1, 2], np.ones((3, 2)) / 2)


def test_abstains_below_the_threshold_and_answers_better(digits):
    X_train, X_test, y_train, y_test = digits
    clf = ConfidenceThresholdClassifier(LogisticRegression(C=0.03), threshold=0.5)
    pred = clf.fit(X_train, y_train).predict(X_test)
    proba = clf.predict_proba(X_test)
    refused = proba.max(1) < 0.5
    assert 0.1 < refused.mean() < 0.9
    assert np.all(pred[refused] == -1) and clf.abstain_label_ == -1
    np.testing.assert_array_equal(pred[~refused], clf.classes_[proba[~refused].argmax(1)])
    report = clf.selective_report(X_test, y_test)
    assert report.coverage == pytest.approx(1 - refused.mean())
    # a weak model: what it answers is much more often right than all it would say
    assert report.selective_accuracy > report.accuracy + 0.04
    assert clf.score(X_test, y_test) == pytest.approx(report.selective_accuracy)
    assert report.accuracy == pytest.approx(LogisticRegression(C=0.03).fit(
        X_train, y_train).score(X_test, y_test))


@pytest.mark.parametrize("cv, refit, lo, hi", [
    (0.3, False, 0.42, 0.58),  # the classifier of the split: coverage as tuned
    (3, True, 0.45, 0.80),  # refitted on all the data: more confident, more coverage
])
def test_tuned_threshold_reaches_the_target_coverage_on_new_data(digits, cv, refit, lo, hi):
    X_train, X_test, y_train, y_test = digits
    clf = ConfidenceThresholdClassifier(LogisticRegression(C=0.03), coverage=0.5, cv=cv,
                                        refit=refit, random_state=0).fit(X_train, y_train)
    assert clf.tuning_coverage_ == pytest.approx(0.5, abs=0.01)
    report = clf.selective_report(X_test, y_test)
    assert lo <= report.coverage <= hi
    assert report.selective_accuracy >= 0.97
    assert report.accuracy < 0.93


def test_skphys_network_in_a_pipeline_and_grid_search(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=30, random_state=0,
                                                         device="cpu"))
    search = GridSearchCV(
        ConfidenceThresholdClassifier(pipe, coverage=0.9, cv=0.25, random_state=0),
        {"estimator__mlpclassifier__alpha": [1e-4, 1e-1]}, cv=2)
    search.fit(X_train, y_train)
    best = search.best_estimator_
    assert isinstance(best.estimator_.steps[-1][1], MLPClassifier)
    report = best.selective_report(X_test, y_test)
    assert report.coverage == pytest.approx(0.9, abs=0.06)
    assert report.selective_accuracy > report.accuracy + 0.02 > 0.87
    assert best.n_features_in_ == 64


def test_frozen_classifier_is_tuned_on_held_out_data_not_refitted(digits):
    X_train, X_test, y_train, y_test = digits
    base = LogisticRegression(C=0.03).fit(X_train, y_train)
    clf = ConfidenceThresholdClassifier(FrozenEstimator(base), coverage=0.6)
    clf.fit(X_test, y_test)
    np.testing.assert_array_equal(clf.estimator_.estimator.coef_, base.coef_)
    conf = base.predict_proba(X_test).max(1)
    assert np.mean(conf >= clf.threshold_) == pytest.approx(0.6, abs=0.01)
    # tuning data that lacks some of the classes the frozen classifier knows
    few = y_test < 5
    clf = ConfidenceThresholdClassifier(FrozenEstimator(base), coverage=0.5)
    clf.fit(X_test[few], y_test[few])
    assert len(clf.classes_) == 10 and clf.tuning_coverage_ == pytest.approx(0.5, abs=0.01)


def test_abstain_labels():
    X = np.r_[np.random.RandomState(0).normal(size=(40, 2)), [[0, 0]]]
    y = np.r_[np.repeat(["cat", "dog"], 20), ["cat"]]
    X[:20] += 3
    clf = ConfidenceThresholdClassifier(LogisticRegression(), threshold=0.99).fit(X, y)
    pred = clf.predict(X)
    assert clf.abstain_label_ == "abstain" and "abstain" in set(pred)
    y_num = np.where(y == "cat", -1, 1)
    clf = ConfidenceThresholdClassifier(LogisticRegression(), threshold=0.99).fit(X, y_num)
    assert clf.abstain_label_ == -2 and -2 in clf.predict(X)
    with pytest.raises(ValueError, match="one of the classes"):
        ConfidenceThresholdClassifier(LogisticRegression(), abstain_label=1).fit(X, y_num)
    clf = ConfidenceThresholdClassifier(LogisticRegression(), threshold=1.0).fit(X, y_num)
    assert clf.score(X, y_num) == 0.0  # declines everything


def test_display(digits):
    X_train, X_test, y_train, y_test = digits
    clf = ConfidenceThresholdClassifier(LogisticRegression(C=0.03), threshold=0.5).fit(
        X_train, y_train)
    disp = CoverageAccuracyDisplay.from_estimator(clf, X_test, y_test)
    report = clf.selective_report(X_test, y_test)
    assert disp.point_.get_xydata()[0].tolist() == pytest.approx(
        [report.coverage, report.selective_accuracy])
    assert disp.coverage[-1] == 1.0 and disp.selective_accuracy[-1] == pytest.approx(
        report.accuracy)
    assert disp.ax_.get_legend().get_texts()[0].get_text() == "LogisticRegression"
    other = CoverageAccuracyDisplay.from_predictions(
        y_test, clf.predict_proba(X_test), name="again", ax=disp.ax_)
    assert len(disp.ax_.lines) == 3 and other.point_ is None
    # a worse curve added later stays in view
    low = CoverageAccuracyDisplay([0.5, 1.0], [0.1, 0.05], name="low").plot(ax=disp.ax_)
    assert low.ax_.get_ylim()[0] <= 0.05
    np.testing.assert_allclose(other.line_.get_xydata(), disp.line_.get_xydata())


# ---- threshold_for_bars ---------------------------------------------------------------------
def test_threshold_for_bars_clears_both_bars_on_held_out_and_fresh_data():
    from skphys.model_selection import threshold_for_bars

    rng = np.random.default_rng(0)

    def draw(n_neg, n_pos):
        y = np.r_[np.zeros(n_neg, int), np.ones(n_pos, int)]
        return y, np.r_[rng.beta(1, 12, n_neg), rng.beta(12, 2, n_pos)]

    y, p = draw(5000, 100)
    t = threshold_for_bars(y, p, precision=0.8, recall=0.9)
    called = p >= t
    assert y[called].mean() >= 0.8 and called[y == 1].mean() >= 0.9
    # on fresh data from the same distributions the bars hold too
    y2, p2 = draw(5000, 100)
    called = p2 >= t
    assert y2[called].mean() >= 0.8 and called[y2 == 1].mean() >= 0.9
    # a higher recall bar moves the threshold down, a higher precision bar up
    assert threshold_for_bars(y, p, precision=0.8, recall=0.97) < t
    assert threshold_for_bars(y, p, precision=0.97, recall=0.8) > t
    with pytest.raises(ValueError, match="0/1 labels"):
        threshold_for_bars(np.r_[y, 2], np.r_[p, 0.5])
    with pytest.raises(ValueError, match="probabilities"):
        threshold_for_bars(y, p * 3)
    with pytest.raises(ValueError, match="precision"):
        threshold_for_bars(y, p, precision=1.5)

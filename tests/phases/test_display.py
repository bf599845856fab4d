"""ConfusionCurveDisplay draws the finder's curve, band, critical point and reference."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skphys.phases import ConfusionPhaseFinder
from skphys.plotting import ConfusionCurveDisplay

plt = pytest.importorskip("matplotlib.pyplot")


def test_display_from_estimator_and_plot():
    rng = np.random.default_rng(0)
    y = np.repeat(np.linspace(0, 1, 11), 20)
    X = rng.normal(size=(len(y), 1)) + 4 * (y > 0.55)[:, None]
    finder = ConfusionPhaseFinder(LogisticRegression(), random_state=0).fit(X, y)
    fig, ax = plt.subplots()
    disp = ConfusionCurveDisplay.from_estimator(finder, reference=0.55, parameter_name="T", ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    np.testing.assert_allclose(disp.line_.get_xydata(), np.column_stack([finder.boundaries_,
                                                                          finder.scores_]))
    assert disp.critical_line_.get_xdata()[0] == pytest.approx(finder.critical_point_)
    assert disp.band_ is not None
    assert "T" in ax.get_xlabel()
    # a second curve on the same axes, straight from arrays
    again = ConfusionCurveDisplay(finder.boundaries_, finder.scores_ - 0.1).plot(ax=ax, label="b")
    assert again.band_ is None and again.critical_line_ is None
    assert len(ax.get_lines()) >= 5
    plt.close(fig)
    with pytest.raises(Exception, match="not fitted"):
        ConfusionCurveDisplay.from_estimator(ConfusionPhaseFinder())

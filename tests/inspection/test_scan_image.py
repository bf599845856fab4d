"""scan_image: tiles in the layout the estimator was trained on, and the map they make."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skphys.inspection import scan_image


class _Recorder(ClassifierMixin, BaseEstimator):
    """Says which tiles it saw: the probability of class 1 is the tile's top-left value."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.shapes_ = []
        return self

    def predict_proba(self, X):
        self.shapes_.append(X.shape)
        first = X.reshape(len(X), -1)[:, 0]
        return np.c_[1 - first, first]

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


@pytest.mark.parametrize("layout", ["gray", "first", "last"])
def test_tiles_positions_and_layout(layout):
    H, W = 20, 27
    value = np.arange(H * W, dtype=float).reshape(H, W) / (H * W)
    if layout == "gray":
        image, axis, tile_shape = value, None, (6, 5)
    elif layout == "first":
        image, axis, tile_shape = np.stack([value, -value]), "first", (2, 6, 5)
    else:
        image, axis, tile_shape = np.stack([value, -value], axis=-1), "last", (6, 5, 2)
    est = _Recorder().fit(np.zeros((2, 1)), [0, 1])
    res = scan_image(est, image, tile_size=(6, 5), stride=(4, 3), channel_axis=axis,
                     batch_size=7)
    assert all(s[1:] == tile_shape for s in est.shapes_)
    rows = np.r_[np.arange(0, 15, 4), 14]  # starts every 4, the last tile ends at the edge
    cols = np.r_[np.arange(0, 23, 3), 22]
    assert res.response.shape == (len(rows), len(cols))
    np.testing.assert_allclose(res.response, value[np.ix_(rows, cols)])
    np.testing.assert_allclose(res.rows, rows + 2.5)
    np.testing.assert_allclose(res.cols, cols + 2.0)
    assert res.pixel_map.shape == (H, W)
    # a pixel's map value is the mean response of the tiles that cover it
    covering = [value[r, c] for r in rows for c in cols if r <= 0 < r + 6 and c <= 0 < c + 5]
    assert res.pixel_map[0, 0] == pytest.approx(np.mean(covering))


def test_finds_the_bright_square():
    rng = np.random.default_rng(0)
    tiles = rng.normal(size=(200, 8, 8))
    tiles[100:, 2:6, 2:6] += 3
    y = np.r_[np.zeros(100), np.ones(100)]
    mean = FunctionTransformer(lambda t: t.reshape(len(t), -1).mean(1, keepdims=True))
    clf = make_pipeline(mean, LogisticRegression()).fit(tiles, y)
    image = rng.normal(size=(40, 40))
    image[24:32, 8:16] += 3
    res = scan_image(clf, image, tile_size=8, stride=2)
    r, c = np.unravel_index(res.response.argmax(), res.response.shape)
    assert (res.rows[r], res.cols[c]) == (27.5, 11.5)
    assert res.pixel_map[28, 12] > 0.9 and res.pixel_map[5, 30] < 0.1
    # decision_function and predict are mapped the same way; multiclass maps every class
    d = scan_image(clf, image, tile_size=8, stride=2, response_method="decision_function")
    assert d.response.argmax() == res.response.argmax()
    three = make_pipeline(mean, LogisticRegression()).fit(tiles, np.arange(200) % 3)
    assert scan_image(three, image, tile_size=8).response.shape == (9, 9, 3)


def test_bad_input():
    est = _Recorder().fit(np.zeros((2, 1)), [0, 1])
    with pytest.raises(ValueError, match="tile_size"):
        scan_image(est, np.zeros((5, 5)), tile_size=6)
    with pytest.raises(ValueError, match="channel_axis"):
        scan_image(est, np.zeros((3, 5, 5)), tile_size=2, channel_axis=None)
    with pytest.raises(ValueError, match="dimensions"):
        scan_image(est, np.zeros(5), tile_size=2)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        scan_image(LogisticRegression(), np.zeros((5, 5)), tile_size=2)

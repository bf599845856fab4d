"""load_uk_food: the lecture's table, and PCA singling out Northern Ireland."""

import runpy
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA

from skphys.datasets import load_uk_food

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "datasets"


def test_table_values():
    food = load_uk_food()
    assert food.data.shape == (4, 17) and food.data.dtype == np.float64
    assert food.target_names == ["England", "N Ireland", "Scotland", "Wales"]
    assert list(food.target) == food.target_names
    assert food.feature_names[0] == "Alcoholic drinks" and food.feature_names[-1] == "Sugars"
    i = food.feature_names.index("Fresh potatoes")
    np.testing.assert_array_equal(food.data[:, i], [720, 1033, 566, 874])
    # the column sums of the printed table
    np.testing.assert_array_equal(food.data.sum(axis=1), [7984, 7309, 7824, 8567])
    X, _ = load_uk_food(return_X_y=True)
    np.testing.assert_array_equal(X, food.data)
    assert "DEFRA" in food.DESCR


def test_as_frame():
    pd = pytest.importorskip("pandas")
    food = load_uk_food(as_frame=True)
    assert isinstance(food.data, pd.DataFrame) and food.frame is food.data
    assert food.frame.T.shape == (17, 4)
    assert food.frame.loc["Wales", "Alcoholic drinks"] == 475
    assert list(food.target) == ["England", "N Ireland", "Scotland", "Wales"]


def test_first_principal_component_singles_out_northern_ireland():
    food = load_uk_food()
    pc = PCA(n_components=2).fit_transform(food.data)
    pc1 = pc[:, 0]
    far = np.abs(pc1 - np.median(pc1))
    outlier = food.target[far.argmax()]
    assert outlier == "N Ireland"
    # and by a wide margin: N Ireland is farther out than the other three are from each other
    others = np.delete(pc1, far.argmax())
    assert far.max() > 2 * (others.max() - others.min())


def test_uk_food_example_runs(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    runpy.run_path(str(EXAMPLES / "plot_uk_food_pca.py"), run_name="__main__")
    plt.close("all")

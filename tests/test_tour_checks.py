"""The tour stops' verdicts: computed from the measured values, typed for the table."""

import numpy as np
import pytest

from skphys._tour import _stops, format_table
from skphys._tour._plot import chance


def _stop(name):
    return next(s for s in _stops() if name in s.__name__)


def test_chance_is_the_majority_rate():
    assert chance(np.repeat(np.arange(10), 5)) == "0.10"
    assert chance([0] * 50 + [1]) == "0.98"
    # the commonest class of the training labels, scored on the test labels
    assert chance([0, 1, 1, 1], [0, 0, 1]) == "0.25"
    assert chance(np.arange(230)) == "0.004"


@pytest.mark.parametrize("name", ["stop_20", "stop_21"])
def test_rows_carry_a_python_verdict(tmp_path, name):
    # the table tests `ok is True`: a numpy bool would print as "-"
    rows = _stop(name).run(tmp_path, True)
    assert all("ok" in r and (r["ok"] is None or type(r["ok"]) is bool) for r in rows)
    assert any(r["ok"] is True for r in rows)


def test_a_missed_reference_is_marked(tmp_path, monkeypatch):
    from sklearn.utils import Bunch

    import skphys.datasets

    food = skphys.datasets.load_uk_food()
    # Northern Ireland's diet under Scotland's name
    swapped = Bunch(**{**food, "data": food.data[[0, 2, 1, 3]]})
    monkeypatch.setattr(skphys.datasets, "load_uk_food", lambda: swapped)
    rows = _stop("stop_21").run(tmp_path, True)
    assert rows[0]["value"] == "Scotland" and rows[0]["ok"] is False
    assert rows[1]["ok"] is True  # the variance ratios do not depend on the names
    assert "MISS" in format_table([{"stop": "s", **r} for r in rows]).splitlines()[3]

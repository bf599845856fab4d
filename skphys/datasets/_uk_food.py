"""The UK food-consumption table of the PCA lecture."""

import csv
from importlib import resources

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

__all__ = ["load_uk_food"]

_DESCR = """UK food consumption
-------------------

Average consumption of 17 types of food in grams per person per week in the four nations of
the United Kingdom (England, Northern Ireland, Scotland, Wales), from the UK Department for
Environment, Food and Rural Affairs (DEFRA) survey, as used in the classic PCA example
(and in the lecture's PCA slide).

Each nation is a sample and each food a feature: ``data`` has shape (4, 17). The table as it
is usually printed (foods in rows, nations in columns) is ``frame.T`` with ``as_frame=True``.
Projected on its first principal component, Northern Ireland stands apart from the other
three nations (more fresh potatoes, less fresh fruit, alcoholic drinks and fresh vegetables).
"""


@validate_params({"return_X_y": ["boolean"], "as_frame": ["boolean"]},
                 prefer_skip_nested_validation=True)
def load_uk_food(*, return_X_y=False, as_frame=False):
    """Load the UK food-consumption table (4 nations x 17 foods, grams/person/week).

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)``, ``target`` being the nation names.
    as_frame : bool, default=False
        ``data`` as a pandas DataFrame indexed by nation with one column per food (and the
        same in ``frame``); ``target`` as a Series.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (4, 17) float64, ``target`` (4,) the nation of each row, ``feature_names``
        (the foods), ``target_names`` (the nations), ``frame``, ``DESCR``.
    (data, target) : tuple if ``return_X_y``

    Examples
    --------
    >>> from sklearn.decomposition import PCA
    >>> from skphys.datasets import load_uk_food
    >>> food = load_uk_food()
    >>> food.data.shape
    (4, 17)
    >>> pc1 = PCA(n_components=1).fit_transform(food.data)[:, 0]
    >>> outlier = abs(pc1 - pc1.mean()).argmax()
    >>> str(food.target[outlier])
    'N Ireland'
    """
    text = resources.files("skphys.datasets").joinpath("data", "uk_food.csv").read_text()
    rows = list(csv.reader(text.splitlines()))
    nations = rows[0][1:]
    foods = [r[0] for r in rows[1:]]
    table = np.array([[float(v) for v in r[1:]] for r in rows[1:]])  # (17 foods, 4 nations)
    data, target = table.T.copy(), np.array(nations, dtype=object)
    frame = None
    if as_frame:
        import pandas as pd

        data = pd.DataFrame(data, index=pd.Index(nations, name="nation"), columns=foods)
        target = pd.Series(nations, index=data.index, name="nation")
        frame = data
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, frame=frame, feature_names=foods,
                 target_names=list(nations), DESCR=_DESCR)

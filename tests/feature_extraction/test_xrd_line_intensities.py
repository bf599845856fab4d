"""XRDIndexingFeatures(line_intensities=True): how the intensity spreads over the lines."""

import numpy as np
import pytest

pytest.importorskip("spglib")
pytest.importorskip("periodictable")

from skphys.datasets import load_xrd_prototypes, make_xrd_patterns  # noqa: E402
from skphys.feature_extraction import XRDIndexingFeatures  # noqa: E402
from skphys.feature_extraction._xrd_indexing import _signal  # noqa: E402
from skphys.feature_extraction._xrd_lines import (  # noqa: E402
    line_feature_names,
    line_intensity_features,
)


@pytest.fixture(scope="module")
def cubic_prototypes():
    p = load_xrd_prototypes()
    keep = np.isin(p.name, ["rock salt", "zinc blende", "copper (fcc)"])
    index = XRDIndexingFeatures((p.two_theta[0], p.two_theta[-1]), line_intensities=True,
                                reflection_conditions=True).set_output(transform="pandas")
    F = index.fit_transform(p.data[keep])
    F.index = p.name[keep]
    return index, F


def test_names_and_shape(cubic_prototypes):
    index, F = cubic_prototypes
    names = list(index.get_feature_names_out())
    assert F.shape[1] == 124 + 192 + 81 == len(names) == len(set(names))
    assert names[-81:] == line_feature_names()
    plain = XRDIndexingFeatures(line_intensities=True).fit(np.ones((1, 851)))
    assert len(plain.get_feature_names_out()) == 124 + 81
    assert list(plain.get_feature_names_out()[-81:]) == line_feature_names()


def test_rock_salt_zinc_blende_and_copper(cubic_prototypes):
    # rock salt's all-odd lines are (f_Na - f_Cl)^2, its all-even ones (f_Na + f_Cl)^2:
    # 200 far above 111; zinc blende's all-odd lines are f_Zn^2 + f_S^2 and its 200 is
    # (f_Zn - f_S)^2: 111 above 200. Copper, one atom in the cell, has every line at the
    # random crystal's mean once the Lorentz-polarisation factor, the multiplicity and the
    # Wilson fall-off are divided out: each ratio 1 (a wrong multiplicity or factor is not)
    _, F = cubic_prototypes
    assert F.loc["rock salt", "cubic_L_N4"] > 10 * F.loc["rock salt", "cubic_L_N3"]
    assert F.loc["zinc blende", "cubic_L_N3"] > 3 * F.loc["zinc blende", "cubic_L_N4"]
    for n in (3, 4, 8):
        assert F.loc["copper (fcc)", f"cubic_L_N{n}"] == pytest.approx(1.0, abs=0.1)
    # a face-centred lattice's mixed-parity lines are empty
    assert F.loc["rock salt", "cubic_L_N5"] < 0.05
    assert F.loc["rock salt", "cubic_L_hk0"] < 0.5 < F.loc["rock salt", "cubic_L_h00"]


def _true_cell_features(groups, family, seed):
    X, y, info = make_xrd_patterns(200 * len(groups), space_groups=groups, n_points=851,
                                   target="space_group", return_info=True, random_state=seed)
    cells = {"cubic": lambda c: {"cubic": c[:1]},
             "tetragonal": lambda c: {"tetragonal": np.array([c[0], c[2]])},
             "monoclinic": lambda c: {"monoclinic": np.array([c[0], c[1], c[2], c[4]])}}
    L = np.array([line_intensity_features(_signal(x), info.two_theta, cells[family](c))
                  for x, c in zip(X, info.cell)])
    names = line_feature_names()
    cols = [i for i, n in enumerate(names) if n.startswith(family)]
    return L[:, cols], y, [names[i] for i in cols]


@pytest.mark.parametrize("groups, family, bar", [
    ((216, 225), "cubic", 0.60),         # F-43m, Fm-3m: 0.65 (0.73 at seeds 3-5; positions 0.5)
    ((99, 123), "tetragonal", 0.65),     # P4mm, P4/mmm: 0.75 (0.69-0.73; 0.5)
    ((5, 8, 12), "monoclinic", 0.45),    # C2, Cm, C2/m: 0.50 (0.49-0.51; 0.33)
])
def test_line_intensities_tell_apart_groups_of_one_powder_class(groups, family, bar):
    # these groups put their peaks at the same angles for every cell: positions allow
    # 1 / len(groups). On the true cell (no indexing), gradient boosting on the family's line
    # features tells them apart (5-fold CV over 200 patterns a group). In the table
    # (benchmarks/bench_xrd_line_intensities.py) the same features on the fitted cells take
    # the right group within the right powder class from 0.745 to 0.760
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    L, y, _ = _true_cell_features(groups, family, seed=1)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    acc = cross_val_score(HistGradientBoostingClassifier(max_iter=100, random_state=0), L, y,
                          cv=cv).mean()
    assert acc >= bar, acc


def test_line_intensities_follow_the_epsilon_factors():
    # Wilson's epsilon: C2's 2-fold axis along b fixes 0k0, Cm's mirror normal to b fixes
    # h0l; m-3m's h00 is fixed by 8 operations, -43m's by 4; P4/mmm's h00 by 4, P4mm's by 2
    def medians(groups, family, zones):
        L, y, names = _true_cell_features(groups, family, seed=2)
        return {g: {z: np.median(L[y == g, names.index(f"{family}_L_{z}")][
            L[y == g, names.index(f"{family}_L_{z}")] >= 0]) for z in zones} for g in groups}

    mono = medians((5, 8), "monoclinic", ("0k0", "h0l"))
    assert mono[5]["0k0"] > 1.5 * mono[8]["0k0"]
    assert mono[8]["h0l"] > 1.15 * mono[5]["h0l"]
    cubic = medians((216, 225), "cubic", ("h00",))
    assert cubic[225]["h00"] > 1.2 * cubic[216]["h00"]
    tet = medians((99, 123), "tetragonal", ("h00",))
    assert tet[123]["h00"] > 1.2 * tet[99]["h00"]


def test_no_cell_gives_minus_one():
    grid = np.linspace(5, 90, 851)
    out = line_intensity_features(np.zeros(851), grid, {})
    assert out.shape == (81,) and np.all(out == -1)

"""CompositionFeaturizer and parse_formula: formulas, exact statistics, sklearn behaviour."""

import pickle
import re

import numpy as np
import pytest

pytest.importorskip("mendeleev")

from sklearn.base import clone  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

from skphys.feature_extraction import (  # noqa: E402
    ELEMENT_PROPERTIES,
    STATISTICS,
    CompositionFeaturizer,
    FormulaError,
    element_properties,
    parse_formula,
)
from skphys.utils import all_estimators  # noqa: E402

# --------------------------------------------------------------------------------------
# formulas
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("formula, expected", [
    ("MgB2", {"Mg": 1, "B": 2}),
    ("YBa2Cu3O7", {"Y": 1, "Ba": 2, "Cu": 3, "O": 7}),
    ("Ba0.2La1.8Cu1O4", {"Ba": 0.2, "La": 1.8, "Cu": 1, "O": 4}),
    ("(Ba0.6K0.4)Fe2As2", {"Ba": 0.6, "K": 0.4, "Fe": 2, "As": 2}),
    ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
    ("K3[Fe(CN)6]", {"K": 3, "Fe": 1, "C": 6, "N": 6}),
    ("(Sr(CuO)2)0.5", {"Sr": 0.5, "Cu": 1, "O": 1}),
    ("CuSO4·5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),
    ("2H2O*NaCl", {"H": 4, "O": 2, "Na": 1, "Cl": 1}),
    ("Y1 Ba2 Cu3 O7", {"Y": 1, "Ba": 2, "Cu": 3, "O": 7}),
    ("CH3COOH", {"C": 2, "H": 4, "O": 2}),
    ("Fe.5Se.5", {"Fe": 0.5, "Se": 0.5}),
    ("Nb1D0.5Cu0", {"Nb": 1, "H": 0.5}),  # deuterium is hydrogen; zero amounts dropped
])
def test_parse_formula(formula, expected):
    got = parse_formula(formula)
    assert got == pytest.approx(expected) and list(got) == list(expected)


@pytest.mark.parametrize("formula, position, reason", [
    ("YBa2Cu3Q7", 7, "'Q' is not an element symbol"),
    ("MgBx2", 2, "'Bx' is not an element symbol"),
    ("Ca(OH2", 2, "'(' is never closed"),
    ("CaOH)2", 4, "')' has no matching '('"),
    ("Ca(OH]2", 5, "']' closes the '(' at position 2"),
    ("La2CuO4-x", 7, "unexpected character '-'"),
    ("Cu()O", 2, "empty group"),
    ("Cu0O0", 0, "no atoms"),
    ("   ", 0, "the formula is empty"),
    ("mgb2", 0, "unexpected character 'm'"),
    ("Sr4V2.7TI0.3O9.5", 7, "'T' is not an element symbol"),  # SuperCon's typo, not H + I
])
def test_bad_formulas_name_formula_and_position(formula, position, reason):
    with pytest.raises(FormulaError, match=re.escape(reason)) as err:
        parse_formula(formula)
    assert err.value.formula == formula and err.value.position == position
    msg = str(err.value)
    assert repr(formula) in msg and f"position {position}" in msg
    # the caret under the offending character
    text_line, caret_line = msg.splitlines()[1:3]
    assert caret_line.index("^") - 4 == position and text_line.strip() == formula.strip()
    assert isinstance(err.value, ValueError)


def test_transform_error_names_the_sample():
    import pandas as pd

    f = CompositionFeaturizer().fit()
    with pytest.raises(FormulaError, match=r"'Nb3Sm2Xy' at position 6.*\(sample 1\)"):
        f.transform(["MgB2", "Nb3Sm2Xy"])
    with pytest.raises(TypeError, match=r"X\[2\] is float \(nan\), not a formula string"):
        f.transform(["MgB2", "Nb", float("nan")])
    with pytest.raises(ValueError, match="string object received"):
        f.transform("MgB2")
    with pytest.raises(ValueError, match="one column of formulas, got 2"):
        f.transform(pd.DataFrame({"a": ["MgB2"], "b": ["Nb"]}))
    with pytest.raises(ValueError, match="0 sample"):
        f.transform([])


# --------------------------------------------------------------------------------------
# values: Hamidieh's data and closed forms
# --------------------------------------------------------------------------------------
def test_hamidieh_first_row_of_the_uci_data():
    # Row 1 of the UCI train.csv (Ba0.2La1.8Cu1O4, T_c 29 K): Hamidieh's atomic-mass and
    # valence statistics. Atomic masses agree to 3e-5 (his O is 15.9994, IUPAC's 15.999);
    # the valence statistics agree to the file's 6 decimals.
    f = CompositionFeaturizer("hamidieh").set_output(transform="pandas")
    row = f.fit_transform(["Ba0.2La1.8Cu1O4"]).iloc[0]
    assert row["number_of_elements"] == 4
    mass = {"mean": 88.9444675, "wtd_mean": 57.862692285714, "gmean": 66.3615924391,
            "wtd_gmean": 36.1166119280, "entropy": 1.18179535, "wtd_entropy": 1.06239554,
            "range": 122.90607, "wtd_range": 31.79492143, "std": 51.96882816,
            "wtd_std": 53.62253533}
    for stat, value in mass.items():
        assert row[f"{stat}_atomic_mass"] == pytest.approx(value, rel=3e-5), stat
    valence = {"mean": 2.25, "wtd_mean": 2.257143, "gmean": 2.213364, "wtd_gmean": 2.219783,
               "entropy": 1.368922, "wtd_entropy": 1.066221, "range": 1.0,
               "wtd_range": 1.085714, "std": 0.433013, "wtd_std": 0.437059}
    for stat, value in valence.items():
        assert row[f"{stat}_Valence"] == pytest.approx(value, abs=1e-6), stat


def test_statistics_closed_forms():
    stats = list(STATISTICS)
    f = CompositionFeaturizer(properties=["atomic_weight"], stats=stats,
                              missing="raise").fit()
    t = {el: float(element_properties().loc[el, "atomic_weight"]) for el in ("Nb", "Sn")}
    nb, sn = t["Nb"], t["Sn"]
    single, a15 = f.transform(["Nb", "Nb3Sn"])
    got = dict(zip(stats, single))
    # one element: every mean is its value, every spread and entropy 0
    for s in ("mean", "wtd_mean", "gmean", "wtd_gmean", "min", "max", "mode"):
        assert got[s] == pytest.approx(nb)
    for s in ("entropy", "wtd_entropy", "range", "wtd_range", "std", "wtd_std", "avg_dev"):
        assert got[s] == pytest.approx(0.0, abs=1e-12)
    got = dict(zip(stats, a15))
    wmean = 0.75 * nb + 0.25 * sn
    w = np.array([nb, sn]) / (nb + sn)
    a = np.array([0.75 * nb, 0.25 * sn]) / wmean
    expected = {
        "mean": (nb + sn) / 2, "wtd_mean": wmean, "gmean": np.sqrt(nb * sn),
        "wtd_gmean": nb ** 0.75 * sn ** 0.25, "entropy": -(w * np.log(w)).sum(),
        "wtd_entropy": -(a * np.log(a)).sum(), "range": sn - nb,
        "wtd_range": 0.75 * nb - 0.25 * sn, "std": (sn - nb) / 2,
        "wtd_std": np.sqrt(0.75 * (nb - wmean) ** 2 + 0.25 * (sn - wmean) ** 2),
        "min": nb, "max": sn, "avg_dev": 0.75 * abs(nb - wmean) + 0.25 * abs(sn - wmean),
        "mode": nb,
    }
    for s, value in expected.items():
        assert got[s] == pytest.approx(value, rel=1e-12), s


def test_mode_tie_and_zero_values_in_geometric_means():
    f = CompositionFeaturizer(properties=["nd_valence"], stats=["mode", "gmean", "wtd_gmean",
                                                               "entropy"]).fit()
    # NbSe: equal amounts, Nb has 4 d electrons in its valence shell, Se a full 3d10 -> the
    # tie takes the smaller; MgB2: neither has d electrons -> geometric means and entropy 0
    (mode, *_), (_, gmean, wgmean, entropy) = f.transform(["NbSe", "MgB2"])
    assert mode == 4 and gmean == 0 and wgmean == 0 and entropy == 0


def test_scale_order_and_notation_do_not_matter():
    f = CompositionFeaturizer("hamidieh").fit()
    X = f.transform(["YBa2Cu3O7", "Y2Ba4Cu6O14", "Cu3O7YBa2", "Y0.5Ba1Cu1.5O3.5",
                     "Y(BaCu)2CuO7"])
    np.testing.assert_allclose(X, np.repeat(X[:1], 5, axis=0), rtol=1e-12)


def test_electron_shells_from_the_configuration():
    table = element_properties()
    # O: 2s2 2p4; Fe: 3d6 4s2; Cu: 3d10 4s1; noble gases have nothing unfilled
    assert table.loc["O", ["ns_valence", "np_valence", "np_unfilled", "n_valence"]].tolist() \
        == [2, 4, 2, 6]
    assert table.loc["Fe", ["nd_valence", "nd_unfilled", "ns_unfilled"]].tolist() == [6, 4, 0]
    assert table.loc["Cu", ["n_valence", "n_unfilled"]].tolist() == [11, 1]
    assert (table.loc[["Ne", "Ar", "Kr", "Xe"], "n_unfilled"] == 0).all()
    assert table.loc["La", "group"] == 3 and table.loc["Lu", "group"] == 3
    assert set(table.columns) == set(ELEMENT_PROPERTIES) and len(table) == 118


def test_missing_values():
    # mendeleev has no thermal conductivity for Ba
    formulas = ["BaFe2As2", "Nb3Sn"]
    kw = dict(properties=["thermal_conductivity"], stats=["wtd_mean", "max"])
    nan = CompositionFeaturizer(missing="nan", **kw).fit()
    X = nan.transform(formulas)
    assert np.isnan(X[0]).all() and np.isfinite(X[1]).all()
    imputed = CompositionFeaturizer(**kw).fit()
    Xi = imputed.transform(formulas)
    assert np.isfinite(Xi).all() and np.array_equal(Xi[1], X[1])
    ba = list(element_properties().index).index("Ba")
    assert imputed.imputed_[ba, 0]
    assert imputed.element_properties_[ba, 0] == pytest.approx(
        np.nanmean(element_properties()["thermal_conductivity"]))
    with pytest.raises(ValueError, match="'BaFe2As2' .*no thermal_conductivity for Ba"):
        CompositionFeaturizer(missing="raise", **kw).fit().transform(formulas)


# --------------------------------------------------------------------------------------
# scikit-learn behaviour (the common checks skip estimators that take strings)
# --------------------------------------------------------------------------------------
def test_presets_names_and_set_output():
    h = CompositionFeaturizer("hamidieh").fit()
    names = h.get_feature_names_out()
    assert len(names) == 81 and names[0] == "number_of_elements"
    assert names[1:11].tolist() == [
        f"{s}_atomic_mass" for s in ("mean", "wtd_mean", "gmean", "wtd_gmean", "entropy",
                                     "wtd_entropy", "range", "wtd_range", "std", "wtd_std")]
    assert {"wtd_std_fie", "gmean_Density", "entropy_ElectronAffinity", "range_FusionHeat",
            "wtd_gmean_ThermalConductivity", "std_Valence"} <= set(names)
    m = CompositionFeaturizer().fit()
    assert len(m.get_feature_names_out()) == 108 == 18 * 6
    df = m.set_output(transform="pandas").transform(["MgB2", "Nb3Sn"])
    assert list(df.columns) == m.get_feature_names_out().tolist() and df.shape == (2, 108)
    assert df.loc[0, "mode_atomic_number"] == 5  # B outnumbers Mg in MgB2
    assert df.loc[1, "max_atomic_number"] == 50


def test_in_pipelines_and_column_transformers():
    import pandas as pd

    formulas = ["MgB2", "Nb3Sn", "YBa2Cu3O7", "Nb", "Pb", "LaFeAsO0.9F0.1", "K3C60", "V3Si"]
    tc = np.array([39, 18, 92, 9.25, 7.2, 26, 18, 17])
    pipe = make_pipeline(CompositionFeaturizer("hamidieh"), StandardScaler(), Ridge())
    assert pipe.fit(formulas, tc).predict(formulas).shape == (8,)
    frame = pd.DataFrame({"formula": formulas, "pressure": np.zeros(8)})
    ct = make_column_transformer((CompositionFeaturizer(), ["formula"]),
                                 ("passthrough", ["pressure"]))
    out = ct.fit_transform(frame)
    assert out.shape == (8, 109)
    assert ct.get_feature_names_out()[0] == "compositionfeaturizer__min_atomic_number"


def test_estimator_basics():
    assert "CompositionFeaturizer" in dict(all_estimators())
    f = CompositionFeaturizer("hamidieh", missing="nan")
    assert f.get_params() == {"preset": "hamidieh", "properties": None, "stats": None,
                              "missing": "nan"}
    tags = f.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    with pytest.raises(NotFittedError):
        f.transform(["MgB2"])
    assert f.fit(["MgB2"]) is f
    X = f.transform(["MgB2", "YBa2Cu3O7"])
    np.testing.assert_array_equal(clone(f).fit().transform(["MgB2", "YBa2Cu3O7"]), X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(f)).transform(
        ["MgB2", "YBa2Cu3O7"]), X)
    np.testing.assert_array_equal(f.transform(np.array([["MgB2"], ["YBa2Cu3O7"]])), X)
    assert X.dtype == np.float64 and np.isnan(X).any()  # missing="nan": Mg's affinity
    assert np.isfinite(clone(f).set_params(missing="impute").fit().transform(["MgB2"])).all()


@pytest.mark.parametrize("params, error, match", [
    ({"preset": "oqmd"}, InvalidParameterError, "'preset' parameter"),
    ({"missing": "drop"}, InvalidParameterError, "'missing' parameter"),
    ({"properties": ["atomic_mass"]}, ValueError, r"unknown properties \['atomic_mass'\]"),
    ({"stats": ["median"]}, ValueError, r"unknown stats \['median'\]"),
    ({"stats": []}, ValueError, "stats must not be empty"),
])
def test_bad_parameters_fail_at_fit(params, error, match):
    f = CompositionFeaturizer(**params)  # __init__ only stores
    with pytest.raises(error, match=match):
        f.fit(["MgB2"])

"""Superconductor data: the shipped sample, the fetcher (offline, from a local mirror), and
the lecture's point that a composition model interpolates but cannot extrapolate."""

import csv
import hashlib
import io
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import (
    KFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import _superconductors, fetch_superconductivity, load_superconductors
from skphys.neural_network import MLPClassifier, MLPRegressor


# --------------------------------------------------------------------------------------
# the shipped sample
# --------------------------------------------------------------------------------------
def test_sample_contents():
    sc = load_superconductors()
    assert sc.data.shape == sc.target.shape == sc.family.shape == sc.reference.shape == (68,)
    counts = {f: int((sc.family == f).sum()) for f in set(sc.family)}
    assert counts["element"] == 21 and counts["cuprate"] == 12 and counts["iron-based"] == 12
    tc = dict(zip(sc.data, sc.target))
    # landmarks of the field
    assert tc["Nb"] == 9.25 and tc["MgB2"] == 39 and tc["Nb3Ge"] == 23.2
    assert tc["HgBa2Ca2Cu3O8"] == 133 and tc["YBa2Cu3O6.9"] == 91
    assert max(tc[f] for f in sc.data[sc.family == "element"]) == tc["Nb"]
    # every cuprate above every element; every row has a reference with a year
    assert sc.target[sc.family == "cuprate"].min() > sc.target[sc.family == "element"].max()
    assert all(r.rstrip().endswith(")") and r[-5:-1].isdigit() for r in sc.reference)
    assert len(set(sc.data)) == 68 and "Roberts" in sc.DESCR


def test_sample_as_frame_and_x_y():
    X, y = load_superconductors(return_X_y=True)
    assert X[0] == "Nb" and y[0] == 9.25
    sc = load_superconductors(as_frame=True)
    assert list(sc.frame.columns) == ["formula", "critical_temperature", "family", "reference"]
    assert sc.data.shape == (68, 1) and sc.target.name == "critical_temperature"


# --------------------------------------------------------------------------------------
# results on the sample (the lecture's slide: interpolates, cannot extrapolate)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample():
    pytest.importorskip("mendeleev")
    from skphys.feature_extraction import CompositionFeaturizer

    sc = load_superconductors()
    X = CompositionFeaturizer("hamidieh").fit_transform(sc.data)
    return sc, X, np.log10(sc.target)


def _mlp_regressor():
    return make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(64,), alpha=1e-2, learning_rate_init=1e-2, max_iter=500,
        random_state=0, device="cpu"))


def test_family_hold_out_is_worse_than_random_splits(sample):
    sc, X, logtc = sample
    models = {"mlp": _mlp_regressor(),
              "forest": RandomForestRegressor(100, random_state=0, n_jobs=1)}
    for name, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            random = cross_val_predict(model, X, logtc,
                                       cv=KFold(5, shuffle=True, random_state=0))
            held_out = cross_val_predict(model, X, logtc, cv=LeaveOneGroupOut(),
                                         groups=sc.family)
        mae_random = mean_absolute_error(logtc, random)
        mae_family = mean_absolute_error(logtc, held_out)
        # measured: mlp 0.56 vs 1.04, forest 0.39 vs 0.67 (log10 K)
        assert mae_family > 1.5 * mae_random, (name, mae_random, mae_family)
        cup = sc.family == "cuprate"
        # a model that never saw a cuprate places them far too low: measured 2.2 and 1.1
        # decades off, against 0.2 when other cuprates are in the training set
        assert mean_absolute_error(logtc[cup], held_out[cup]) > 3 * mean_absolute_error(
            logtc[cup], random[cup]), name
        assert (held_out[cup] < logtc[cup]).mean() >= 0.9, name


def test_classification_at_10_kelvin(sample):
    sc, X, _ = sample
    above = sc.target > 10
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    majority = max(above.mean(), 1 - above.mean())
    for model in (RandomForestClassifier(100, random_state=0, n_jobs=1),
                  make_pipeline(StandardScaler(), MLPClassifier(
                      hidden_layer_sizes=(64,), alpha=1e-2, learning_rate_init=1e-2,
                      max_iter=300, random_state=0, device="cpu"))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            acc = cross_val_score(model, X, above, cv=cv).mean()
        assert acc >= majority + 0.2, (model, acc, majority)  # majority class: 0.54


# --------------------------------------------------------------------------------------
# fetch_superconductivity, offline: files built here and served from file:// URLs
# --------------------------------------------------------------------------------------
ELEMENTS = ["H", "O", "Fe", "Cu", "As", "Nb", "Sn", "Ba", "La"]


def _csv(rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def _uci_files(n=5):
    rng = np.random.default_rng(0)
    tc = np.round(rng.uniform(1, 90, n), 2)
    header = ["number_of_elements"] + [f"f{i}" for i in range(80)] + ["critical_temp"]
    train = [header] + [[2] + list(np.round(rng.normal(size=80), 4)) + [t] for t in tc]
    comps = [{"Ba": 0.2, "La": 1.8, "Cu": 1, "O": 4}, {"Nb": 3, "Sn": 1},
             {"La": 1, "Fe": 1, "As": 1, "O": 1}, {"Cu": 1}, {"H": 3, "O": 1}]
    unique = [ELEMENTS + ["critical_temp", "material"]]
    for c, t in zip(comps[:n], tc):
        unique.append([c.get(e, 0) for e in ELEMENTS]
                      + [t, "".join(f"{e}{a}" for e, a in c.items())])
    return {"train.csv": _csv(train), "unique_m.csv": _csv(unique)}, tc


@pytest.fixture
def uci_mirror(tmp_path, monkeypatch):
    files, tc = _uci_files()
    src = tmp_path / "mirror"
    src.mkdir()
    with zipfile.ZipFile(src / "superconduct.zip", "w") as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    info = dict(_superconductors._SOURCES["uci"], n_samples=5,
                sha256={k: hashlib.sha256(v).hexdigest() for k, v in files.items()},
                mirrors=[(tmp_path / "nowhere.zip").as_uri(),
                         (src / "superconduct.zip").as_uri()])
    monkeypatch.setitem(_superconductors._SOURCES, "uci", info)
    return files, tc


def test_uci_download_from_a_mirror(uci_mirror, tmp_path):
    files, tc = uci_mirror
    home = tmp_path / "home"
    b = fetch_superconductivity(data_home=home)
    assert b.data.shape == (5, 81) and b.feature_names[0] == "number_of_elements"
    np.testing.assert_array_equal(b.target, tc)
    assert b.formulas[1] == "Nb3Sn1" and b.composition.shape == (5, 9)
    assert b.element_names == ELEMENTS
    assert b.family.tolist() == ["cuprate", "other", "iron-based", "other", "other"]
    # the zip is unpacked and removed; the next call reads the CSVs, without network
    assert sorted(p.name for p in (home / "superconductivity").iterdir()) == [
        "train.csv", "unique_m.csv"]
    X, y = fetch_superconductivity(data_home=home, download_if_missing=False,
                                   return_X_y=True, as_frame=True)
    assert X.shape == (5, 81) and y.name == "critical_temp"


def test_uci_from_a_zip_the_user_put_there(uci_mirror, tmp_path):
    files, tc = uci_mirror
    home = tmp_path / "home"
    home.mkdir()
    with zipfile.ZipFile(home / "superconductivty+data.zip", "w") as zf:
        for name, blob in files.items():
            zf.writestr(f"some folder/{name}", blob)
    b = fetch_superconductivity(data_home=home, download_if_missing=False)
    np.testing.assert_array_equal(b.target, tc)
    assert (home / "superconductivty+data.zip").is_file()  # the user's file is left alone


def test_uci_checksum_and_consistency(uci_mirror, tmp_path, monkeypatch):
    home = tmp_path / "home"
    fetch_superconductivity(data_home=home)
    path = home / "superconductivity" / "unique_m.csv"
    path.write_bytes(path.read_bytes().replace(b"Nb3", b"Nb4"))
    with pytest.raises(OSError, match="unique_m.csv has SHA-256 .* not the published"):
        fetch_superconductivity(data_home=home)
    # right checksums but files that do not belong together
    files, tc = _uci_files()
    bad = files["unique_m.csv"].replace(f"{tc[0]}".encode(), b"99.0", 1)
    path.write_bytes(bad)
    info = dict(_superconductors._SOURCES["uci"], sha256={
        "train.csv": hashlib.sha256(files["train.csv"]).hexdigest(),
        "unique_m.csv": hashlib.sha256(bad).hexdigest()})
    monkeypatch.setitem(_superconductors._SOURCES, "uci", info)
    with pytest.raises(ValueError, match="disagree on critical_temp"):
        fetch_superconductivity(data_home=home)


def test_uci_missing_files_give_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        fetch_superconductivity(data_home=tmp_path, download_if_missing=False)
    msg = str(err.value)
    assert "train.csv, unique_m.csv" in msg and str(tmp_path / "superconductivity") in msg
    assert "archive.ics.uci.edu" in msg and "superconduct.zip" in msg
    assert "no download was tried" in msg and "SKPHYS_DATA" in msg


def test_uci_failed_download_lists_the_mirrors(uci_mirror, tmp_path, monkeypatch):
    info = dict(_superconductors._SOURCES["uci"],
                mirrors=[(tmp_path / "a.zip").as_uri(), (tmp_path / "b.zip").as_uri()])
    monkeypatch.setitem(_superconductors._SOURCES, "uci", info)
    with pytest.raises(FileNotFoundError, match=r"(?s)download failed.*a\.zip.*b\.zip"):
        fetch_superconductivity(data_home=tmp_path / "home")


@pytest.fixture
def stanev_mirror(tmp_path, monkeypatch):
    pytest.importorskip("mendeleev")
    body = _csv([["name", "Tc"], ["Ba0.4K0.6Fe2As2", "31.2"], ["Mo0.39Ru0.61", "6.9"],
                 ["Sr4V2.7TI0.3O9.51", "0"], ["D0.9Pd1", "1.5"],
                 ["La1.85Sr0.15Cu1O4", "38"]])
    src = tmp_path / "mirror" / "Supercon_data.csv"
    src.parent.mkdir()
    src.write_bytes(body)
    info = dict(_superconductors._SOURCES["stanev"], n_samples=5,
                md5=hashlib.md5(body).hexdigest(),
                sha256={"Supercon_data.csv": hashlib.sha256(body).hexdigest()},
                mirrors=[src.as_uri()])
    monkeypatch.setitem(_superconductors._SOURCES, "stanev", info)


def test_stanev_download_from_a_mirror(stanev_mirror, tmp_path):
    b = fetch_superconductivity(source="stanev", data_home=tmp_path / "home")
    # the row with the typo "TI" cannot be read and is left out; D counts as hydrogen
    assert b.data.tolist() == ["Ba0.4K0.6Fe2As2", "Mo0.39Ru0.61", "D0.9Pd1",
                               "La1.85Sr0.15Cu1O4"]
    np.testing.assert_array_equal(b.target, [31.2, 6.9, 1.5, 38])
    assert b.family.tolist() == ["iron-based", "other", "other", "cuprate"]
    assert "1 rows whose formula cannot be read" in b.DESCR
    X, y = fetch_superconductivity(source="stanev", data_home=tmp_path / "home",
                                   download_if_missing=False, as_frame=True, return_X_y=True)
    assert list(X.columns) == ["formula"] and len(y) == 4


def test_pinned_checksums_have_the_right_form():
    for info in _superconductors._SOURCES.values():
        for digest in info["sha256"].values():
            assert len(digest) == 64 and int(digest, 16) >= 0
    assert _superconductors._SOURCES["stanev"]["n_samples"] == 16414
    assert _superconductors._SOURCES["uci"]["n_samples"] == 21263


def test_uci_real_data_when_present(shared_data):
    # runs only where the real files are (SKPHYS_DATA or ../shared/data/superconductivity)
    home = shared_data
    if not (home / "superconductivity" / "train.csv").is_file():
        pytest.skip("the UCI superconductivity files are not in the shared data")
    b = fetch_superconductivity(data_home=home, download_if_missing=False)
    assert b.data.shape == (21263, 81) and b.formulas[0] == "Ba0.2La1.8Cu1O4"
    assert b.target[0] == 29


@pytest.mark.parametrize("example", ["plot_superconductor_tc.py",
                                     "plot_superconductor_extrapolation.py",
                                     "plot_radial_distribution.py"])
def test_materials_examples_run(example, tmp_path, monkeypatch):
    # on the shipped sample: an empty data home, so the full data are not found
    pytest.importorskip("mendeleev")
    pytest.importorskip("ase")
    pytest.importorskip("matplotlib")
    import runpy
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("SKPHYS_DATA", str(tmp_path))
    monkeypatch.setattr(plt, "show", lambda: None)
    path = Path(__file__).resolve().parents[2] / "examples" / "materials" / example
    runpy.run_path(str(path), run_name="__main__")
    plt.close("all")

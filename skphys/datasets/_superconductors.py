"""Superconductors and their critical temperatures: a shipped sample and two public sets.

:func:`load_superconductors` reads a few dozen well-documented superconductors shipped with
skphys (literature T_c, one reference per row); :func:`fetch_superconductivity` reads (and
downloads when missing) Hamidieh's UCI data (21,263 materials, 81 composition features) or
Stanev et al.'s SuperCon extract (16,414 formulas with T_c), checked against SHA-256 sums.
"""

import csv
import io
import os
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from ._base import download, file_hash, get_data_home

__all__ = ["fetch_superconductivity", "load_superconductors"]

_FOLDER = "superconductivity"

#: SHA-256 of the files. The UCI sums are of the two CSVs inside the zip (UCI has re-packed
#: its archives, so the zip's own bytes are not stable); they are the ones published in
#: the repository qeremeren/Superconductivity-Data-Analysis (src/data.py, recorded from a
#: download of 2026-09-28): skphys could not download the file to recompute them. Stanev's
#: sum was computed by skphys from the file at the pinned commit of vstanev1/Supercon.
_SOURCES = {
    "uci": {
        "title": "UCI Superconductivity Data (Hamidieh 2018)",
        "archives": ("superconductivty+data.zip", "superconduct.zip"),
        "mirrors": [
            "https://archive.ics.uci.edu/static/public/464/superconductivty+data.zip",
            "https://archive.ics.uci.edu/ml/machine-learning-databases/00464/superconduct.zip",
        ],
        "sha256": {
            "train.csv": "4dfb6e3a1f6ffd969e5a5e42f093c4800d1e2a6c8b1e309f8fcd9f23d86952f3",
            "unique_m.csv": "b68ae6b55ea8581eff8b1ffba073a899db7e2d2f7f3b781bb0802f643f51e5f7",
        },
        "n_samples": 21263,
    },
    "stanev": {
        "title": "SuperCon extract of Stanev et al. (2018)",
        "file": "Supercon_data.csv",
        "mirrors": [
            "https://raw.githubusercontent.com/vstanev1/Supercon/"
            "6e56e577b2239ebb6bebdcaeefc9ba470a3d5ce5/Supercon_data.csv",
        ],
        "md5": "47f1142ba0c47771a44225daa4378654",
        "sha256": {
            "Supercon_data.csv":
                "b34a955cc59f7a1556bc92c4b9db559bfd634c03227b7e95337a2e5d69227dd6",
        },
        "n_samples": 16414,
    },
}

_PNICTOGENS_CHALCOGENS = ("As", "P", "S", "Se", "Te")

_DESCR_SAMPLE = """Superconductors with literature critical temperatures
-----------------------------------------------------

{n} well-documented superconductors shipped with skphys: 21 elements, A15 compounds
(Nb3Sn, Nb3Ge, ...), borides (MgB2, borocarbides), fullerides, heavy-fermion compounds,
bismuthates, other conventional and unconventional superconductors, 12 cuprates and 12
iron-based superconductors. Each row has the formula, the critical temperature T_c in kelvin
as reported in the cited work (ambient pressure), a family label and the reference (the
elements from Roberts' critical evaluation, J. Phys. Chem. Ref. Data 5, 581 (1976); the
compounds from their discovery or standard papers). Reported T_c depend on sample and
criterion (onset, midpoint) by up to a few kelvin. Small, for tests and examples: for
learning, use :func:`fetch_superconductivity`.
"""

_DESCR_UCI = """UCI Superconductivity Data (Hamidieh 2018)
-----------------------------------------

21,263 superconductors from NIMS's SuperCon database with their critical temperature (K)
and 81 features computed from the chemical formula: the number of elements and ten
statistics (mean, weighted mean, geometric and weighted geometric mean, entropy and
weighted entropy, range and weighted range, standard deviation and weighted standard
deviation) of eight elemental properties (atomic mass, first ionisation energy, atomic
radius, density, electron affinity, fusion heat, thermal conductivity, valence); skphys's
``CompositionFeaturizer(preset="hamidieh")`` computes the same statistics from mendeleev's
elemental data. ``formulas`` and ``composition`` come from the archive's unique_m.csv
(row-aligned with train.csv). ``family`` is skphys's rule: "cuprate" (Cu and O),
"iron-based" (Fe with As, P, S, Se or Te), else "other".

Hamidieh's gradient-boosted model: out-of-sample RMSE about 9.5 K.
K. Hamidieh, Comput. Mater. Sci. 154, 346 (2018); https://archive.ics.uci.edu/dataset/464
(CC BY 4.0).
"""

_DESCR_STANEV = """SuperCon extract of Stanev et al. (2018)
---------------------------------------

Chemical formulas and critical temperatures (K) of {n} compounds from NIMS's SuperCon
database as used by Stanev et al., npj Comput. Mater. 4, 29 (2018), published at
https://github.com/vstanev1/Supercon. Compounds without a reported T_c have T_c = 0 (the
data say nothing about what is *not* a superconductor). Stanev et al. classified T_c above
or below 10 K with about 92% out-of-sample accuracy and regressed log(T_c) separately for
the low-T_c, cuprate and iron-based families.
``data`` holds the formulas (for ``CompositionFeaturizer``); deuterium counts as hydrogen;
{dropped} rows whose formula cannot be read (typos such as "TI", charges such as
"O4+2") are left out. ``family`` is skphys's rule: "cuprate" (Cu and O), "iron-based" (Fe
with As, P, S, Se or Te), else "other".
"""


def _family(compositions):
    """Rule-based family of each composition dict: cuprate, iron-based or other."""
    out = []
    for comp in compositions:
        if "Cu" in comp and "O" in comp:
            out.append("cuprate")
        elif "Fe" in comp and any(e in comp for e in _PNICTOGENS_CHALCOGENS):
            out.append("iron-based")
        else:
            out.append("other")
    return np.array(out, dtype=object)


@validate_params({"return_X_y": ["boolean"], "as_frame": ["boolean"]},
                 prefer_skip_nested_validation=True)
def load_superconductors(*, return_X_y=False, as_frame=False):
    """Load a few dozen well-documented superconductors with literature T_c (shipped).

    68 materials from elements to cuprates and iron pnictides (see ``DESCR``), each with its
    critical temperature, a family label (element, A15, boride, fulleride, heavy-fermion,
    bismuthate, other, cuprate, iron-based) and the literature reference. For tests and
    examples of :class:`~skphys.feature_extraction.CompositionFeaturizer`; the data to learn
    from are :func:`fetch_superconductivity`'s.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(formulas, critical_temperature)`` instead of a Bunch.
    as_frame : bool, default=False
        ``data`` as a one-column pandas DataFrame (``formula``), ``target`` a Series, and
        ``frame`` all columns.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (68,) the formulas, ``target`` (68,) T_c in K, ``family``, ``reference``,
        ``feature_names``, ``target_names``, ``frame`` (with ``as_frame``), ``DESCR``.
    (data, target) : tuple if ``return_X_y``

    Examples
    --------
    >>> from skphys.datasets import load_superconductors
    >>> sc = load_superconductors()
    >>> sc.data[sc.target.argmax()], float(sc.target.max())
    ('HgBa2Ca2Cu3O8', 133.0)
    >>> sorted(set(sc.family))[:3]
    ['A15', 'bismuthate', 'boride']
    """
    text = resources.files("skphys.datasets").joinpath("data", "superconductors.csv") \
        .read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    formulas = np.array([r["formula"] for r in rows], dtype=object)
    target = np.array([float(r["critical_temperature"]) for r in rows])
    family = np.array([r["family"] for r in rows], dtype=object)
    reference = np.array([r["reference"] for r in rows], dtype=object)
    data, frame = formulas, None
    if as_frame:
        import pandas as pd

        frame = pd.DataFrame({"formula": formulas, "critical_temperature": target,
                              "family": family, "reference": reference})
        data, target = frame[["formula"]], frame["critical_temperature"]
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, family=family, reference=reference, frame=frame,
                 feature_names=["formula"], target_names=["critical_temperature"],
                 DESCR=_DESCR_SAMPLE.format(n=len(formulas)))


def _find(names, folder, home):
    found = {}
    for name in names:
        for candidate in (folder / name, home / name):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def _missing_error(info, folder, names, download_if_missing, reasons):
    lines = [f"{info['title']}: file(s) not found: {', '.join(names)}.",
             f"Put them (unchanged) in {folder}/ -- from any of",
             *[f"    {url}" for url in info["mirrors"]],
             ("-- or point data_home (or the SKPHYS_DATA environment variable) at a folder "
              f"that holds them or a '{_FOLDER}' subfolder with them.")]
    if "archives" in info:
        lines.insert(2 + len(info["mirrors"]), f"(or put the zip archive there, "
                     f"{' or '.join(info['archives'])}: skphys unpacks it)")
    if not download_if_missing:
        lines.append("(download_if_missing=False: no download was tried.)")
    elif reasons:
        lines += ["The download failed:", *[f"    {r}" for r in reasons]]
    return FileNotFoundError("\n".join(lines))


def _check_sha256(info, paths):
    for name, path in paths.items():
        got = file_hash(path, "sha256")
        if got != info["sha256"][name]:
            raise OSError(f"{path} has SHA-256 {got}, not the published "
                          f"{info['sha256'][name]}: the file is damaged or is not the "
                          "original; delete it and fetch again.")


def _extract(archive, names, folder):
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        members = {Path(m).name: m for m in zf.namelist()}
        absent = [n for n in names if n not in members]
        if absent:
            raise OSError(f"{archive} does not contain {', '.join(absent)}.")
        for name in names:
            (folder / name).write_bytes(zf.read(members[name]))
    return {name: folder / name for name in names}


def _locate_uci(info, data_home, download_if_missing):
    home = get_data_home(data_home)
    folder = home / _FOLDER
    names = list(info["sha256"])
    found = _find(names, folder, home)
    if len(found) < len(names):
        archives = _find(info["archives"], folder, home)
        reasons = []
        if not archives and download_if_missing:
            target = folder / info["archives"][-1]
            reasons = download(info["mirrors"], target, None) or []
            if not reasons:
                archives = {target.name: target}
        if not archives:
            raise _missing_error(info, folder, [n for n in names if n not in found],
                                 download_if_missing, reasons)
        archive = next(iter(archives.values()))
        found = _extract(archive, names, folder)
        if archive.parent == folder and archive.name == info["archives"][-1]:
            archive.unlink()  # downloaded by skphys: the CSVs are what is kept
    _check_sha256(info, found)
    return found


def _locate_stanev(info, data_home, download_if_missing):
    home = get_data_home(data_home)
    folder = home / _FOLDER
    name = info["file"]
    found = _find([name], folder, home)
    if not found:
        reasons = []
        if download_if_missing:
            reasons = download(info["mirrors"], folder / name, info["md5"]) or []
            if not reasons:
                found = {name: folder / name}
        if not found:
            raise _missing_error(info, folder, [name], download_if_missing, reasons)
    _check_sha256(info, found)
    return found[name]


def _read_uci(info, paths):
    with open(paths["train.csv"], newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    with open(paths["unique_m.csv"], newline="") as f:
        urows = list(csv.reader(f))
    uheader, ubody = urows[0], urows[1:]
    n = info["n_samples"]
    if (len(header) != 82 or header[-1] != "critical_temp" or header[0] != "number_of_elements"
            or len(body) != n):
        raise ValueError(f"{paths['train.csv']}: expected {n} rows x 82 columns ending in "
                         f"'critical_temp', got {len(body)} x {len(header)}.")
    if uheader[-2:] != ["critical_temp", "material"] or len(ubody) != n:
        raise ValueError(f"{paths['unique_m.csv']}: expected {n} rows ending in "
                         f"'critical_temp', 'material', got {len(ubody)} x {len(uheader)}.")
    table = np.array(body, dtype=float)
    amounts = np.array([r[:-2] for r in ubody], dtype=float)
    if not np.allclose(table[:, -1], np.array([r[-2] for r in ubody], dtype=float)):
        raise ValueError("train.csv and unique_m.csv disagree on critical_temp: the files do "
                         "not belong together.")
    elements = uheader[:-2]
    compositions = [{e: a for e, a in zip(elements, row) if a > 0} for row in amounts]
    return Bunch(data=table[:, :-1], target=table[:, -1], feature_names=header[:-1],
                 formulas=np.array([r[-1] for r in ubody], dtype=object),
                 composition=amounts, element_names=elements,
                 family=_family(compositions), DESCR=_DESCR_UCI)


def _read_stanev(info, path):
    from ..feature_extraction._formula import FormulaError, parse_formula

    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if header != ["name", "Tc"] or len(body) != info["n_samples"]:
        raise ValueError(f"{path}: expected {info['n_samples']} rows with columns name, Tc; "
                         f"got {len(body)} rows with {header}.")
    formulas, tc, comps = [], [], []
    for name, t in body:
        try:
            comps.append(parse_formula(name))
        except FormulaError:
            continue
        formulas.append(name)
        tc.append(float(t))
    dropped = len(body) - len(formulas)
    return Bunch(data=np.array(formulas, dtype=object), target=np.array(tc),
                 feature_names=["formula"], family=_family(comps),
                 DESCR=_DESCR_STANEV.format(n=len(body), dropped=dropped))


@validate_params(
    {"source": [StrOptions({"uci", "stanev"})], "data_home": [str, os.PathLike, None],
     "download_if_missing": ["boolean"], "return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True)
def fetch_superconductivity(*, source="uci", data_home=None, download_if_missing=True,
                            return_X_y=False, as_frame=False):
    """Load superconductor data sets with T_c, downloading them if they are missing.

    ``source="uci"``: Hamidieh's UCI data, 21,263 materials from SuperCon with 81 features
    computed from the formula and the critical temperature; ``source="stanev"``: the
    SuperCon extract of Stanev et al. (16,414 formulas with T_c, 0 where none was
    reported), whose ``data`` are formulas for
    :class:`~skphys.feature_extraction.CompositionFeaturizer`. Files are read from
    ``data_home`` and checked against SHA-256 sums; a missing file is downloaded (the UCI
    zip is unpacked into ``train.csv`` and ``unique_m.csv``).

    Parameters
    ----------
    source : {"uci", "stanev"}, default="uci"
        Which data set.
    data_home : str or path-like, default=None
        Folder that holds the files, directly or in a ``superconductivity`` subfolder (for
        UCI: ``train.csv`` and ``unique_m.csv``, or the zip); default
        :func:`get_data_home`. Downloads go to ``data_home/superconductivity``.
    download_if_missing : bool, default=True
        Download missing files. Without them and without network, a
        :class:`FileNotFoundError` says which files to put where.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        ``data`` as a pandas DataFrame, ``target`` as a Series, ``frame`` both.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: (21263, 81) features (UCI) or (n,) formulas (Stanev); ``target`` T_c in
        K; ``family`` ("cuprate", "iron-based", "other"); ``feature_names``; ``DESCR``; for
        UCI also ``formulas``, ``composition`` (21263, 86) element amounts and
        ``element_names``.
    (data, target) : tuple if ``return_X_y``

    See Also
    --------
    load_superconductors : a small shipped sample with literature references.

    Notes
    -----
    Sources: https://archive.ics.uci.edu/dataset/464 (K. Hamidieh, Comput. Mater. Sci.
    154, 346 (2018), CC BY 4.0) and https://github.com/vstanev1/Supercon (V. Stanev et al.,
    npj Comput. Mater. 4, 29 (2018)). The UCI SHA-256 sums are of the CSVs inside the zip,
    as published by a third party; skphys could not recompute them, so on a mismatch first
    compare with the sums UCI may publish, and report it.

    Examples
    --------
    >>> from skphys.datasets import fetch_superconductivity
    >>> uci = fetch_superconductivity()  # doctest: +SKIP
    >>> uci.data.shape, uci.formulas[0], float(uci.target[0])  # doctest: +SKIP
    ((21263, 81), 'Ba0.2La1.8Cu1O4', 29.0)
    """
    info = _SOURCES[source]
    if source == "uci":
        bunch = _read_uci(info, _locate_uci(info, data_home, download_if_missing))
    else:
        bunch = _read_stanev(info, _locate_stanev(info, data_home, download_if_missing))
    bunch.target_names = ["critical_temp"]
    bunch.frame = None
    if as_frame:
        import pandas as pd

        if source == "uci":
            bunch.data = pd.DataFrame(bunch.data, columns=bunch.feature_names)
        else:
            bunch.data = pd.DataFrame({"formula": bunch.data})
        bunch.target = pd.Series(bunch.target, name="critical_temp")
        bunch.frame = pd.concat([bunch.data, bunch.target], axis=1)
    if return_X_y:
        return bunch.data, bunch.target
    return bunch

"""Test configuration: one thread everywhere, a ``gpu`` marker, the shared data folder."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# With 2 threads on these 2-core machines torch epochs were seen to slow down 10-100x.
torch.set_num_threads(1)

#: ../shared/data beside the checkout (or SKPHYS_SHARED_DATA).
SHARED_DATA = Path(
    os.environ.get("SKPHYS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data():
    """Path of ``../shared/data``; tests that need a file skip when it is absent."""
    return SHARED_DATA


#: generated patterns (the 0.1-degree grid) whose 124 indexing features are stored in
#: tests/data/<name>.npz: indexing them takes a minute of one core, longer than a test
#: may. Rebuild with ``python tests/conftest.py``.
XRD_STORED = {
    # groups uniform over the 230
    "xrd_indexing_800": dict(n_samples=800, target="space_group", random_state=0),
    # P3 and P6, the same peak positions for every cell
    "xrd_indexing_p3_p6_400": dict(n_samples=400, space_groups=[143, 168],
                                   target="space_group", random_state=0),
    # orthorhombic and monoclinic
    "xrd_indexing_ortho_mono_200": dict(n_samples=200,
                                        crystal_systems=["orthorhombic", "monoclinic"],
                                        random_state=1),
}


def _xrd_stored_path(name):
    return Path(__file__).parent / "data" / f"{name}.npz"


def _xrd_patterns(name):
    from skphys.datasets import make_xrd_patterns

    return make_xrd_patterns(**XRD_STORED[name], n_points=851, return_info=True)


def _stored_xrd(name):
    """``(X, y, info, F)``: the patterns of ``XRD_STORED[name]`` and their stored features
    (a DataFrame). Every 25th row is indexed again and compared, so a stale file fails."""
    pytest.importorskip("spglib")
    pytest.importorskip("periodictable")
    pd = pytest.importorskip("pandas")
    from skphys.feature_extraction import XRDIndexingFeatures

    X, y, info = _xrd_patterns(name)
    index = XRDIndexingFeatures().fit(X[:1])
    F = np.load(_xrd_stored_path(name))["F"]
    rows = np.arange(0, len(X), 25)
    np.testing.assert_allclose(index.transform(X[rows]), F[rows], rtol=1e-6, atol=1e-9,
                               err_msg="stale features: run python tests/conftest.py")
    return X, y, info, pd.DataFrame(F, columns=index.get_feature_names_out())


@pytest.fixture(scope="session")
def xrd_indexing_800():
    return _stored_xrd("xrd_indexing_800")


@pytest.fixture(scope="session")
def xrd_indexing_p3_p6_400():
    return _stored_xrd("xrd_indexing_p3_p6_400")


@pytest.fixture(scope="session")
def xrd_indexing_ortho_mono_200():
    return _stored_xrd("xrd_indexing_ortho_mono_200")


def pytest_terminal_summary(terminalreporter):
    """Seconds per test file (setup, call and teardown), for the CI log: the suite runs
    against a time budget, and --durations lists single tests, not the files that add up."""
    seconds = {}
    for reports in terminalreporter.stats.values():
        for rep in reports:
            if hasattr(rep, "duration") and hasattr(rep, "nodeid"):
                path = rep.nodeid.split("::")[0]
                seconds[path] = seconds.get(path, 0.0) + rep.duration
    total = sum(seconds.values())
    if not total:
        return
    terminalreporter.write_sep("=", f"slowest 15 test files ({total:.0f} s in all)")
    for path, sec in sorted(seconds.items(), key=lambda kv: -kv[1])[:15]:
        terminalreporter.write_line(f"{sec:8.1f}s {100 * sec / total:5.1f}%  {path}")


if __name__ == "__main__":
    from skphys.feature_extraction import XRDIndexingFeatures

    for name in XRD_STORED:
        F = XRDIndexingFeatures().fit_transform(_xrd_patterns(name)[0])
        np.savez_compressed(_xrd_stored_path(name), F=F)

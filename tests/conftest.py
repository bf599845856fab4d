"""Test configuration: one thread everywhere, a ``gpu`` marker, the shared data folder."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

from pathlib import Path  # noqa: E402

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

"""Workers: ``device="auto"`` on a worker that owns one GPU of several, and cold start.

No GPU here: CUDA's availability and device count are monkeypatched (``torch.device("cuda", k)``
is a plain value and needs no GPU). The cold-start tests import skphys in a fresh interpreter
and read its ``sys.modules``: what a data-generation worker of joblib, dask or ray pays.
"""

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

from skphys.utils import resolve_device, worker_gpu_index

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def four_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.delenv("LOCAL_RANK", raising=False)


def fake_dask(monkeypatch, name):
    def get_worker():
        if name is None:
            raise ValueError("No worker found")
        return types.SimpleNamespace(name=name)

    monkeypatch.setitem(sys.modules, "distributed",
                        types.SimpleNamespace(get_worker=get_worker))


def test_auto_without_a_worker_rule_is_the_current_cuda_device(four_gpus, monkeypatch):
    fake_dask(monkeypatch, None)  # dask imported, but this is not a worker
    assert worker_gpu_index() is None
    assert resolve_device("auto") == torch.device("cuda")


def test_auto_follows_local_rank(four_gpus, monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "2")
    assert resolve_device("auto") == torch.device("cuda", 2)
    monkeypatch.setenv("LOCAL_RANK", "5")  # more ranks than GPUs: shared round-robin
    assert resolve_device("auto") == torch.device("cuda", 1)


@pytest.mark.parametrize("name, expected", [(0, 0), (3, 3), (6, 2), ("tcp-worker", None)])
def test_auto_on_a_dask_worker_takes_the_worker_number(four_gpus, monkeypatch, name, expected):
    fake_dask(monkeypatch, name)
    want = torch.device("cuda") if expected is None else torch.device("cuda", expected)
    assert resolve_device("auto") == want


def test_local_rank_wins_over_the_dask_worker_name(four_gpus, monkeypatch):
    fake_dask(monkeypatch, 3)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert resolve_device("auto") == torch.device("cuda", 1)


def test_auto_is_the_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert resolve_device("auto") == torch.device("cpu")


def imported_by(statement):
    code = (f"import sys; {statement}; import json; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'skorch', 'skphys', 'distributed', 'ray'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={"PYTHONPATH": str(ROOT),
                                                     "OMP_NUM_THREADS": "1",
                                                     "PATH": "/usr/bin:/bin"})
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", ["skphys", "skphys.datasets", "skphys.model_selection",
                                    "skphys.utils"])
def test_import_does_not_pull_torch(module):
    mods = imported_by(f"import {module}")
    assert f"{module}" in mods
    assert not {m for m in mods if m.split(".")[0] in ("torch", "skorch")}


def test_generating_data_does_not_pull_torch():
    # what a data-generation worker runs: the numpy Ising sampler and its seeding
    mods = imported_by("from skphys.datasets import make_ising; "
                       "make_ising([2.0], 4, L=8, random_state=0)")
    assert not {m for m in mods if m.split(".")[0] in ("torch", "skorch")}


def test_divergence_error_is_still_at_the_top_level():
    mods = imported_by("import skphys; skphys.DivergenceError")
    assert "torch" in mods  # imported on first use
    import skphys
    from skphys.base import DivergenceError

    assert skphys.DivergenceError is DivergenceError
    assert "DivergenceError" in dir(skphys)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getattr(skphys, "nope")  # noqa: B009


def test_ray_backend_puts_array_likes_by_their_size():
    # what skphys.utils.register_ray's backend puts in ray's store (>= 100 kB), without ray
    import numpy as np
    import scipy.sparse as sp

    from skphys.utils._parallel import _PUT_BYTES, _nbytes

    assert _nbytes(np.zeros((100, 125))) == _PUT_BYTES
    assert _nbytes(sp.random(1000, 100, density=0.5, format="csr", random_state=0)) > 4e5
    pd = pytest.importorskip("pandas")
    assert _nbytes(pd.DataFrame(np.zeros((1000, 20)))) >= 160_000
    assert _nbytes(pd.Series(np.zeros(1000))) == 8000
    assert _nbytes([1.0] * 10_000) == 0 and _nbytes("text") == 0

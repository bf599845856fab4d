"""Data generation with n_jobs: chunks seeded by the arguments, so any n_jobs gives one result."""

import numpy as np
import pytest

from skphys.datasets import _ising, make_ising, make_xrd_patterns, onsager_energy
from skphys.datasets._ising import _temperatures_per_chunk
from skphys.datasets._xrd import _CHUNK


def test_make_ising_chunks():
    # 64 chains per temperature (the default up to 512 samples): 256 temperatures per chunk at
    # L=16, 64 at L=32, 16 at L=64, 4 at L=128, one from L=256
    assert [_temperatures_per_chunk(L, 64) for L in (16, 32, 64, 128, 256)] == [256, 64, 16,
                                                                                 4, 1]


def test_make_ising_does_not_depend_on_n_jobs(monkeypatch):
    # smaller chunks than the default (which need large lattices to split): at L=32 with 64
    # chains per temperature, 4 temperatures per chunk, so 2 chunks here
    monkeypatch.setattr(_ising, "_T_CHUNK_WORDS", 1024)
    assert _temperatures_per_chunk(32, 64) == 4
    T = np.r_[np.linspace(1.2, 1.8, 4), np.linspace(3.4, 4.4, 4)]
    X1, y1, obs = make_ising(T, 16, L=32, random_state=0, n_jobs=1, return_observables=True)
    X2, y2 = make_ising(T, 16, L=32, random_state=0, n_jobs=2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    # each chunk's rows are where they belong: the energies of their temperatures
    e = obs["energy"].reshape(len(T), 16).mean(axis=1)
    np.testing.assert_allclose(e, onsager_energy(T), atol=0.03)
    # the chunks have streams of their own: no two temperatures share configurations
    assert len({x.tobytes() for x in X1[:64]}) == 64
    # the default puts all eight in one chunk: another draw (the chunks set the streams)
    monkeypatch.undo()
    assert not np.array_equal(make_ising(T, 16, L=32, random_state=0)[0], X1)


def test_make_ising_in_one_chunk_is_unchanged_by_n_jobs_too():
    T = [1.5, 2.27, 3.5]  # L=8: everything in one chunk, two method groups
    a = make_ising(T, 20, L=8, random_state=3)
    b = make_ising(T, 20, L=8, random_state=3, n_jobs=2)
    np.testing.assert_array_equal(a[0], b[0])


def test_make_xrd_patterns_does_not_depend_on_n_jobs():
    n = 2 * _CHUNK + 76  # three chunks
    kw = {"space_groups": "holohedral", "n_points": 300, "random_state": 0,
          "return_info": True}
    X1, y1, info1 = make_xrd_patterns(n, n_jobs=1, **kw)
    X2, y2, info2 = make_xrd_patterns(n, n_jobs=2, **kw)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(info1.cell, info2.cell)
    # the classes still come in equal numbers across the chunks, and no pattern repeats
    counts = np.bincount(y1)
    assert counts.max() - counts.min() <= 1
    assert len({x.tobytes() for x in X1}) == n


@pytest.mark.parametrize("n_jobs", [1.5, "2"])
def test_n_jobs_is_validated(n_jobs):
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        make_ising([2.0], 4, L=8, n_jobs=n_jobs)
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        make_xrd_patterns(7, n_jobs=n_jobs)

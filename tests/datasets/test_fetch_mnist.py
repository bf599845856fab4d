"""MNIST / Fashion-MNIST loaders: IDX parsing, checksums, data home, downloads, errors."""

import gzip
import hashlib

import numpy as np
import pytest

from skphys.datasets import (
    _mnist,
    fetch_fashion_mnist,
    fetch_mnist,
    get_data_home,
    load_fashion_mnist,
    load_mnist,
)
from skphys.datasets._mnist import read_idx

# digit counts of the official MNIST test set
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_home(shared_data):
    if not (shared_data / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the MNIST test set is not in {shared_data / 'mnist'}")
    return shared_data


def test_mnist_test_set_from_shared_data(mnist_home):
    b = fetch_mnist(subset="test", data_home=mnist_home, normalize=True)
    assert b.data.shape == (10000, 784) and b.data.dtype == np.float32
    assert b.images.shape == (10000, 28, 28)
    assert b.data.min() == 0.0 and b.data.max() == 1.0
    np.testing.assert_array_equal(b.data[:3], b.images[:3].reshape(3, -1))
    assert b.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(b.target), TEST_COUNTS)
    assert b.target_names == [str(d) for d in range(10)]
    assert len(b.feature_names) == 784 and "MNIST" in b.DESCR
    # the first test digits of MNIST
    np.testing.assert_array_equal(b.target[:8], [7, 2, 1, 0, 4, 1, 4, 9])


def test_mnist_variants(mnist_home):
    # data_home may also be the folder that holds the files; no download is needed
    X, y = load_mnist(subset="test", data_home=mnist_home / "mnist", return_X_y=True)
    assert X.dtype == np.uint8 and X.max() == 255 and len(y) == 10000  # raw by default
    Xf, yf = fetch_mnist(subset="test", data_home=mnist_home, return_X_y=True, as_frame=True,
                         normalize=True)
    assert Xf.shape == (10000, 784) and yf.name == "class"
    np.testing.assert_allclose(Xf.to_numpy(), X / 255.0, rtol=1e-6)


def test_missing_files_give_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_fashion_mnist(subset="test", data_home=tmp_path)
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "fashion-mnist") in msg
    assert "no download was tried" in msg and "SKPHYS_DATA" in msg


def test_missing_train_images_in_shared_data(mnist_home):
    # the shared copy has the train labels but not the train images: only those are named
    with pytest.raises(FileNotFoundError, match="1 file.*train-images-idx3-ubyte.gz"):
        load_mnist(subset="train", data_home=mnist_home)


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKPHYS_DATA", str(tmp_path / "here"))
    assert get_data_home() == tmp_path / "here" and (tmp_path / "here").is_dir()
    assert get_data_home(tmp_path / "there") == tmp_path / "there"


# --------------------------------------------------------------------------------------
# downloads, served from a local "mirror" (file:// URLs)
# --------------------------------------------------------------------------------------
def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    src = tmp_path / "mirror"
    src.mkdir()
    md5 = {}
    for part, n in (("train", 12), ("t10k", 5)):
        md5[f"{part}-images-idx3-ubyte.gz"] = _write_idx(
            src / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        md5[f"{part}-labels-idx1-ubyte.gz"] = _write_idx(
            src / f"{part}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    info = dict(_mnist._DATASETS["fashion-mnist"], md5=md5,
                mirrors=[(tmp_path / "nowhere").as_uri() + "/", src.as_uri() + "/"])
    monkeypatch.setitem(_mnist._DATASETS, "fashion-mnist", info)
    return src


def test_download_from_a_mirror(mirror, tmp_path):
    home = tmp_path / "home"
    b = fetch_fashion_mnist(subset="all", data_home=home, normalize=True)
    assert b.data.shape == (17, 784) and b.target_names[0] == "T-shirt/top"
    assert sorted(p.name for p in (home / "fashion-mnist").iterdir()) == sorted(
        p.name for p in mirror.iterdir())
    np.testing.assert_array_equal(b.images[12:], read_idx(mirror / "t10k-images-idx3-ubyte.gz")
                                  / np.float32(255))
    # a second call reads the local copy
    np.testing.assert_array_equal(fetch_fashion_mnist(subset="all", data_home=home).target,
                                  b.target)


def test_download_with_a_wrong_checksum(mirror, tmp_path, monkeypatch):
    info = dict(_mnist._DATASETS["fashion-mnist"])
    info["md5"] = dict(info["md5"], **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    monkeypatch.setitem(_mnist._DATASETS, "fashion-mnist", info)
    with pytest.raises(FileNotFoundError, match="wrong checksum"):
        fetch_fashion_mnist(subset="test", data_home=tmp_path / "home")
    assert not list((tmp_path / "home" / "fashion-mnist").glob("*labels*"))


def test_damaged_local_file(mirror, tmp_path):
    home = tmp_path / "home"
    fetch_fashion_mnist(subset="test", data_home=home)
    path = home / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(OSError, match="MD5"):
        fetch_fashion_mnist(subset="test", data_home=home)


def test_read_idx_checks_the_header(tmp_path):
    good = tmp_path / "a.gz"
    _write_idx(good, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(read_idx(good), np.arange(6).reshape(2, 3))
    bad = tmp_path / "b"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad)
    short = tmp_path / "c"
    short.write_bytes(bytes([0, 0, 8, 1]) + np.array([5], ">i4").tobytes() + b"\x00\x01")
    with pytest.raises(ValueError, match="header says"):
        read_idx(short)

"""MNIST and Fashion-MNIST from their IDX (gzip) files, checked against the official MD5s."""

import gzip
import os

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from ._base import download, file_hash, get_data_home

__all__ = ["fetch_fashion_mnist", "fetch_mnist", "load_fashion_mnist", "load_mnist"]

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_DATASETS = {
    "mnist": {
        "title": "MNIST",
        "folder": "mnist",
        "md5": {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        "mirrors": [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ],
        "target_names": [str(d) for d in range(10)],
        "descr": (
            "MNIST handwritten digits (LeCun, Cortes and Burges): 28x28 grey-level images of\n"
            "the digits 0-9, 60,000 for training and 10,000 for testing, from the IDX files of\n"
            "http://yann.lecun.com/exdb/mnist/."
        ),
    },
    "fashion-mnist": {
        "title": "Fashion-MNIST",
        "folder": "fashion-mnist",
        "md5": {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        "mirrors": [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ],
        "target_names": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "descr": (
            "Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28x28 grey-level images of 10\n"
            "kinds of clothing from Zalando, 60,000 for training and 10,000 for testing, in\n"
            "MNIST's IDX format (https://github.com/zalandoresearch/fashion-mnist)."
        ),
    },
}


def read_idx(path):
    """Read an IDX file (gzip or plain) into a numpy array of its declared shape and type.

    The header is a magic number ``0 0 <type> <ndim>`` followed by ``ndim`` big-endian int32
    sizes; type 0x08 is unsigned bytes (MNIST's images and labels).
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX data type 0x{raw[2]:02x}.")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    dtype = np.dtype(dtypes[raw[2]])
    offset = 4 + 4 * ndim
    count = int(np.prod(shape))
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"{path}: the header says {shape} ({count * dtype.itemsize} bytes), "
                         f"the file holds {len(raw) - offset} bytes of data.")
    return np.frombuffer(raw, dtype, count=count, offset=offset).reshape(shape).astype(
        dtype.newbyteorder("="))


def _locate(info, names, data_home, download_if_missing):
    """Paths of ``names``: in ``data_home/<folder>``, or ``data_home`` itself; else download."""
    home = get_data_home(data_home)
    folder = home / info["folder"]
    found, missing = {}, []
    for name in names:
        for candidate in (folder / name, home / name):
            if candidate.is_file():
                found[name] = candidate
                break
        else:
            missing.append(name)
    reasons = []
    if missing and download_if_missing:
        for name in list(missing):
            why = download([url + name for url in info["mirrors"]], folder / name,
                           info["md5"][name])
            if why is None:
                found[name] = folder / name
                missing.remove(name)
            else:
                reasons += why
    if missing:
        lines = [f"{info['title']}: {len(missing)} file(s) not found: {', '.join(missing)}.",
                 f"Put them (unchanged, gzip) in {folder}/ -- from any of",
                 *[f"    {url}" for url in info["mirrors"]],
                 ("-- or point data_home (or the SKPHYS_DATA environment variable) at a folder "
                  f"that holds them or a '{info['folder']}' subfolder with them.")]
        if not download_if_missing:
            lines.append("(download_if_missing=False: no download was tried.)")
        elif reasons:
            lines += ["The download failed:", *[f"    {r}" for r in reasons]]
        raise FileNotFoundError("\n".join(lines))
    for name, path in found.items():
        got = file_hash(path)
        if got != info["md5"][name]:
            raise OSError(f"{path} has MD5 {got}, not the official {info['md5'][name]}: the "
                          "file is damaged or is not the original; delete it and fetch again.")
    return [found[name] for name in names]


def _fetch(key, subset, data_home, download_if_missing, return_X_y, as_frame, normalize):
    info = _DATASETS[key]
    subsets = ["train", "test"] if subset == "all" else [subset]
    images, labels = [], []
    for part in subsets:
        img_path, lbl_path = _locate(info, _FILES[part], data_home, download_if_missing)
        img, lbl = read_idx(img_path), read_idx(lbl_path)
        if img.ndim != 3 or lbl.ndim != 1 or len(img) != len(lbl):
            raise ValueError(f"{img_path} and {lbl_path} do not match: {img.shape}, {lbl.shape}.")
        images.append(img)
        labels.append(lbl)
    images = np.concatenate(images) if len(images) > 1 else images[0]
    target = (np.concatenate(labels) if len(labels) > 1 else labels[0]).astype(np.int64)
    if normalize:
        images = images.astype(np.float32) / np.float32(255.0)
    n, h, w = images.shape
    data = images.reshape(n, h * w)
    feature_names = [f"pixel_{i}_{j}" for i in range(h) for j in range(w)]
    frame = None
    if as_frame:
        import pandas as pd

        data = pd.DataFrame(data, columns=feature_names)
        target = pd.Series(target, name="class")
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, frame=frame, images=images,
                 feature_names=feature_names, target_names=list(info["target_names"]),
                 DESCR=info["descr"] + f"\n\nsubset={subset!r}: {n} images.")


_PARAMS = {
    "subset": [StrOptions({"train", "test", "all"})],
    "data_home": [str, os.PathLike, None],
    "download_if_missing": ["boolean"],
    "return_X_y": ["boolean"],
    "as_frame": ["boolean"],
    "normalize": ["boolean"],
}

_DOC_PARAMS = """
    Parameters
    ----------
    subset : {{"train", "test", "all"}}, default="train"
        The 60,000 training images, the 10,000 test images, or both (train first).
    data_home : str or path-like, default=None
        Folder that holds the IDX files, directly or in a ``{folder}`` subfolder; default
        :func:`get_data_home` (``SKPHYS_DATA`` or ``~/skphys_data``). Downloads go to
        ``data_home/{folder}``.
    download_if_missing : bool, default={download}
        Download missing files from the official mirrors (checked against their MD5). Without
        the files, and without network, a :class:`FileNotFoundError` says which files to put
        where.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        ``data`` as a pandas DataFrame and ``target`` as a Series (and ``frame`` both).
    normalize : bool, default=False
        Pixels as float32 in [0, 1]; by default the raw uint8 values 0-255 of the files (as
        torchvision and Keras give them).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 784), ``images`` (n, 28, 28), ``target`` (n,) int64 class indices,
        ``target_names``, ``feature_names``, ``frame`` (with ``as_frame``), ``DESCR``.
    (data, target) : tuple if ``return_X_y``
"""


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def fetch_mnist(*, subset="train", data_home=None, download_if_missing=True, return_X_y=False,
                as_frame=False, normalize=False):
    return _fetch("mnist", subset, data_home, download_if_missing, return_X_y, as_frame,
                  normalize)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def load_mnist(*, subset="train", data_home=None, download_if_missing=False, return_X_y=False,
               as_frame=False, normalize=False):
    return _fetch("mnist", subset, data_home, download_if_missing, return_X_y, as_frame,
                  normalize)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def fetch_fashion_mnist(*, subset="train", data_home=None, download_if_missing=True,
                        return_X_y=False, as_frame=False, normalize=False):
    return _fetch("fashion-mnist", subset, data_home, download_if_missing, return_X_y,
                  as_frame, normalize)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def load_fashion_mnist(*, subset="train", data_home=None, download_if_missing=False,
                       return_X_y=False, as_frame=False, normalize=False):
    return _fetch("fashion-mnist", subset, data_home, download_if_missing, return_X_y,
                  as_frame, normalize)


fetch_mnist.__doc__ = """Load the MNIST digits, downloading the IDX files if they are missing.

    The files are read from ``data_home`` and checked against the official MD5 checksums.
    :func:`load_mnist` is the same without any download.
    """ + _DOC_PARAMS.format(folder="mnist", download="True") + """
    See Also
    --------
    load_mnist, fetch_fashion_mnist

    Examples
    --------
    >>> from skphys.datasets import fetch_mnist
    >>> test = fetch_mnist(subset="test", normalize=True)  # doctest: +SKIP
    >>> test.data.shape, test.images.shape, float(test.data.max())  # doctest: +SKIP
    ((10000, 784), (10000, 28, 28), 1.0)
    """

load_mnist.__doc__ = """Load the MNIST digits from local IDX files (never downloads).

    Same as :func:`fetch_mnist` with ``download_if_missing=False`` by default.
    """ + _DOC_PARAMS.format(folder="mnist", download="False")

fetch_fashion_mnist.__doc__ = """Load Fashion-MNIST, downloading the IDX files if they are missing.

    Zalando's drop-in replacement for MNIST (10 kinds of clothing, same format and sizes),
    checked against the official MD5 checksums. :func:`load_fashion_mnist` never downloads.
    """ + _DOC_PARAMS.format(folder="fashion-mnist", download="True") + """
    See Also
    --------
    fetch_mnist
    """

load_fashion_mnist.__doc__ = """Load Fashion-MNIST from local IDX files (never downloads).

    Same as :func:`fetch_fashion_mnist` with ``download_if_missing=False`` by default.
    """ + _DOC_PARAMS.format(folder="fashion-mnist", download="False")

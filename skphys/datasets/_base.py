"""Where datasets live, and how their files are checked and downloaded."""

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

__all__ = ["clear_data_home", "get_data_home"]

#: Seconds to wait for a mirror before trying the next one.
DOWNLOAD_TIMEOUT = 20


def get_data_home(data_home=None):
    """The folder where skphys keeps downloaded datasets, created if needed.

    ``data_home`` if given, else the ``SKPHYS_DATA`` environment variable, else
    ``~/skphys_data`` (as scikit-learn's ``get_data_home`` with ``SCIKIT_LEARN_DATA``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use.

    Returns
    -------
    data_home : pathlib.Path

    Examples
    --------
    >>> from skphys.datasets import get_data_home
    >>> get_data_home("/tmp/skphys_example_data").name
    'skphys_example_data'
    """
    if data_home is None:
        data_home = os.environ.get("SKPHYS_DATA", Path("~") / "skphys_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def clear_data_home(data_home=None):
    """Delete everything in the data home (see :func:`get_data_home`)."""
    shutil.rmtree(get_data_home(data_home))


def file_hash(path, algorithm="md5"):
    """Hex digest of a file."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(urls, target, md5):
    """Fetch ``target`` from the first of ``urls`` that answers with the right checksum.

    The file is written under a temporary name and moved into place only once its MD5 is
    right (``md5=None``: no check here, for archives whose members the caller checks).
    Returns None on success, else a one-line reason per mirror.
    """
    reasons = []
    target = Path(target)
    for url in urls:
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".",
                                       suffix=".part")
            with os.fdopen(fd, "wb") as out, \
                    urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
                shutil.copyfileobj(response, out)
            got = file_hash(tmp) if md5 is not None else None
            if got != md5:
                reasons.append(f"{url}: wrong checksum (md5 {got}, expected {md5})")
                continue
            os.replace(tmp, target)
            return None
        except Exception as exc:  # noqa: BLE001 - any failure means: try the next mirror
            reasons.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)
    return reasons

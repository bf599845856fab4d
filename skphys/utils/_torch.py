"""Small torch helpers shared by every estimator: device choice, seeding, tensors.

torch is imported inside the helpers that use it, not at the top: the data generators import
:func:`draw_seed` from here, and ``import skphys.datasets`` (on a joblib, dask or ray worker
that only generates data) must not pay torch's second of start-up.
"""

import contextlib
import os
import sys
import threading
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError

__all__ = ["draw_seed", "resolve_device", "seeded", "to_tensor", "worker_gpu_index"]


def resolve_device(device, estimator=None):
    """Turn the ``device`` parameter into a concrete ``torch.device``.

    ``"auto"`` picks CUDA when it is available and the CPU otherwise; on a machine with
    several GPUs, a worker that owns one of them uses that one (see :func:`worker_gpu_index`).
    ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"`` or a :class:`torch.device` name one.
    Anything else raises scikit-learn's
    :class:`~sklearn.utils._param_validation.InvalidParameterError` naming the parameter (and
    ``estimator``'s class when given); an unavailable device raises a :class:`ValueError` that
    says so.
    """
    import torch

    owner = f" of {type(estimator).__name__}" if estimator is not None else ""
    if isinstance(device, str) and device == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        index = worker_gpu_index()
        if index is None:
            return torch.device("cuda")  # the current CUDA device
        return torch.device("cuda", index % torch.cuda.device_count())
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.type not in ("cpu", "cuda", "mps"):
        raise InvalidParameterError(
            f"The 'device' parameter{owner} must be 'auto', 'cpu', 'cuda', 'cuda:<index>' "
            f"or 'mps'. Got {device!r} instead.")
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(parsed)!r} was requested but CUDA is not available; "
            "use device='auto' or device='cpu'."
        )
    if parsed.type == "cuda" and parsed.index is not None \
            and parsed.index >= torch.cuda.device_count():
        raise ValueError(f"device={str(parsed)!r}: this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s).")
    if parsed.type == "mps" and not (getattr(torch.backends, "mps", None)
                                     and torch.backends.mps.is_available()):
        raise ValueError("device='mps' was requested but MPS is not available; use "
                         "device='auto' or device='cpu'.")
    return parsed


def worker_gpu_index():
    """The GPU that this worker owns among those it sees, or None for "no rule applies".

    ``device="auto"`` uses it when CUDA is available, so that one worker per GPU (the set-up
    skorch's documentation recommends with dask) puts each worker's fits on its own GPU:

    1. ``LOCAL_RANK`` (set by ``torchrun``, ``accelerate`` and SLURM launch wrappers): the
       process's rank on its node;
    2. a dask worker with an integer name (``LocalCluster`` names its workers 0, 1, ...): that
       number;
    3. otherwise None: the current CUDA device, which is device 0 of those listed in
       ``CUDA_VISIBLE_DEVICES``. A worker started with ``CUDA_VISIBLE_DEVICES=<its GPU>``
       (dask-cuda's ``LocalCUDACluster``, ray's tasks that ask for ``num_gpus``) sees only
       its GPU, so device 0 is the right one.

    The caller takes the index modulo the number of visible GPUs.

    Examples
    --------
    >>> import os
    >>> from skphys.utils import worker_gpu_index
    >>> os.environ["LOCAL_RANK"] = "1"  # as torchrun sets it for the second process
    >>> worker_gpu_index()
    1
    >>> del os.environ["LOCAL_RANK"]
    """
    rank = os.environ.get("LOCAL_RANK", "").strip()
    if rank.isdigit():
        return int(rank)
    if "distributed" in sys.modules:  # never import dask just to ask
        try:
            name = sys.modules["distributed"].get_worker().name
        except (ValueError, AttributeError):  # not running on a dask worker
            name = None
        if isinstance(name, Integral) and not isinstance(name, bool) and name >= 0:
            return int(name)
    return None


def draw_seed(random_state):
    """One integer seed for torch, drawn from an sklearn-style ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


#: one seeded block at a time per process: torch's generators are global, so two fits in
#: threads of one process would otherwise draw from each other's streams.
_SEED_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded(seed, device):
    """Run the block with torch's global RNGs seeded, restoring them afterwards.

    Module initialisation and dropout draw from torch's global generators; forking them keeps
    a fit reproducible without changing the caller's random state. Blocks in different
    threads take turns (a lock), so threaded fits stay reproducible too. Only the generators
    of the CPU and of ``device`` are touched (``torch.manual_seed`` would also queue a lazy
    seed for every CUDA device, recording a stack trace each time: ~3 ms a fit).
    """
    import torch

    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with _SEED_LOCK, torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.random.default_generator.manual_seed(seed)
        if devices:
            with torch.cuda.device(devices[0]):
                torch.cuda.manual_seed(seed)
        yield


def to_tensor(array, device, dtype=None):
    """A numpy array as a tensor on ``device``, copying only when needed.

    Read-only arrays (memory maps) are copied, since torch cannot share read-only memory.
    """
    import torch

    if not array.flags.writeable:
        array = np.array(array)
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if dtype is not None:
        tensor = tensor.to(dtype)
    return tensor.to(device, non_blocking=True)

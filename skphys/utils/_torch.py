"""Small torch helpers shared by every estimator: device choice, seeding, tensors."""

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError

__all__ = ["resolve_device", "seeded", "draw_seed", "to_tensor"]


def resolve_device(device, estimator=None):
    """Turn the ``device`` parameter into a concrete ``torch.device``.

    ``"auto"`` picks CUDA when it is available and the CPU otherwise; ``"cpu"``, ``"cuda"``,
    ``"cuda:<index>"``, ``"mps"`` or a :class:`torch.device` name one. Anything else raises
    scikit-learn's :class:`~sklearn.utils._param_validation.InvalidParameterError` naming
    the parameter (and ``estimator``'s class when given); an unavailable device raises a
    :class:`ValueError` that says so.
    """
    owner = f" of {type(estimator).__name__}" if estimator is not None else ""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
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
    if not array.flags.writeable:
        array = np.array(array)
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if dtype is not None:
        tensor = tensor.to(dtype)
    return tensor.to(device, non_blocking=True)

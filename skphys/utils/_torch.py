"""Small torch helpers shared by every estimator: device choice, seeding, tensors."""

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["resolve_device", "seeded", "draw_seed", "to_tensor"]


def resolve_device(device):
    """Turn the ``device`` parameter into a concrete ``torch.device``.

    ``"auto"`` picks CUDA when it is available and the CPU otherwise; any other string
    (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) is passed to :class:`torch.device`.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was requested but CUDA is not available; "
            "use device='auto' or device='cpu'."
        )
    return device


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

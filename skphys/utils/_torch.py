"""Small torch helpers shared by every estimator: device choice, seeding, tensors."""

import contextlib

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


@contextlib.contextmanager
def seeded(seed, device):
    """Run the block with torch's global RNGs seeded, restoring them afterwards.

    Module initialisation and dropout draw from torch's global generators; forking them keeps
    a fit reproducible without changing the caller's random state.
    """
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices, device_type=device.type if devices else "cuda"):
        torch.manual_seed(seed)
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

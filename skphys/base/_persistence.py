"""Portable state: a fitted estimator's pickle holds numpy arrays, never torch objects.

Every skphys estimator turns its torch state (the skorch net's module weights, optimiser
moments and history; a GAN's players; a wave function's parameters) into plain Python and
numpy values in ``__getstate__`` and rebuilds it in ``__setstate__``. So:

* :mod:`skops.io` can save and load any fitted skphys estimator with its trusted-type
  mechanism, without running code on load (a pickle runs arbitrary code);
* a model fitted on a GPU loads on a CPU-only machine (tensors come back on the CPU);
* pickles are smaller and independent of skorch's and torch's internals.
"""

import warnings

import numpy as np
import torch

__all__ = ["to_portable", "from_portable", "device_for_loading", "module_state",
           "load_module_state"]

_TENSOR, _DEVICE, _DTYPE = "__torch_tensor__", "__torch_device__", "__torch_dtype__"


def to_portable(value):
    """Replace tensors, devices and dtypes in ``value`` (recursively) by plain values."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        return {_TENSOR: t.numpy().copy() if t.dtype != torch.bfloat16 else
                t.float().numpy(), "dtype": str(t.dtype).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {_DEVICE: str(value)}
    if isinstance(value, torch.dtype):
        return {_DTYPE: str(value).removeprefix("torch.")}
    if isinstance(value, dict):
        return {k: to_portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_portable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_portable(v) for v in value)
    return value


def from_portable(value, device=None):
    """Inverse of :func:`to_portable`; tensors are placed on ``device`` (default CPU)."""
    if isinstance(value, dict):
        if _TENSOR in value:
            t = torch.from_numpy(np.array(value[_TENSOR]))
            t = t.to(getattr(torch, value["dtype"]))
            return t if device is None else t.to(device)
        if _DEVICE in value:
            return device_for_loading(value[_DEVICE])
        if _DTYPE in value:
            return getattr(torch, value[_DTYPE])
        return {k: from_portable(v, device) for k, v in value.items()}
    if isinstance(value, list):
        return [from_portable(v, device) for v in value]
    if isinstance(value, tuple):
        return tuple(from_portable(v, device) for v in value)
    return value


def device_for_loading(device):
    """The device to load onto: ``device`` when available, else the CPU (with a warning)."""
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        warnings.warn(f"The model was fitted on {device}, which is not available here: it is "
                      "loaded on the CPU.", UserWarning, stacklevel=4)
        return torch.device("cpu")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None)
                                     and torch.backends.mps.is_available()):
        return torch.device("cpu")
    return device


def module_state(module):
    """A module's ``state_dict`` as portable numpy values."""
    return to_portable(dict(module.state_dict()))


def load_module_state(module, state):
    """Load a portable ``state_dict`` into ``module`` (on the module's device and dtype)."""
    tensors = from_portable(state)
    module.load_state_dict(tensors)
    return module

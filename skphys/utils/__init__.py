"""Shared helpers: devices, seeding, discovery of the public estimators."""

from ._discovery import all_estimators
from ._torch import draw_seed, resolve_device, seeded, to_tensor, worker_gpu_index

__all__ = ["all_estimators", "draw_seed", "resolve_device", "seeded", "to_tensor",
           "worker_gpu_index"]

"""Shared helpers: devices, seeding, discovery of the public estimators, ray's joblib backend."""

from ._discovery import all_estimators
from ._parallel import register_ray
from ._torch import draw_seed, resolve_device, seeded, to_tensor, worker_gpu_index

__all__ = ["all_estimators", "draw_seed", "register_ray", "resolve_device", "seeded", "to_tensor",
           "worker_gpu_index"]

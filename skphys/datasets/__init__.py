"""Datasets: generators and loaders for machine learning in condensed-matter physics.

In scikit-learn's style: ``make_*`` generators take a ``random_state``; ``load_*`` read data
shipped with skphys or already on disk, ``fetch_*`` download what is missing into
:func:`get_data_home`; loaders return a :class:`~sklearn.utils.Bunch`, or ``(X, y)`` with
``return_X_y=True``, and pandas objects with ``as_frame=True``.
"""

from ._base import clear_data_home, get_data_home
from ._flakes import make_flake_images, substrate_contrast
from ._ising import (
    ising_critical_temperature,
    make_ising,
    onsager_energy,
    onsager_magnetization,
)
from ._measurements import make_quantum_snapshots
from ._mnist import fetch_fashion_mnist, fetch_mnist, load_fashion_mnist, load_mnist
from ._superconductors import fetch_superconductivity, load_superconductors
from ._stm import STM_ORDERS, make_stm_images
from ._uk_food import load_uk_food
from ._xrd import BRAVAIS_LATTICES, CRYSTAL_SYSTEMS, make_xrd_patterns
from ._xrd_pattern import log_d_autocorrelation, resample_log_d, xrd_pattern
from ._xrd_prototypes import load_xrd_prototypes
from ._xrd_spacegroups import xrd_extinction_classes

__all__ = [
    "BRAVAIS_LATTICES",
    "CRYSTAL_SYSTEMS",
    "STM_ORDERS",
    "clear_data_home",
    "fetch_fashion_mnist",
    "fetch_mnist",
    "fetch_superconductivity",
    "get_data_home",
    "ising_critical_temperature",
    "load_fashion_mnist",
    "load_mnist",
    "load_superconductors",
    "load_uk_food",
    "make_flake_images",
    "load_xrd_prototypes",
    "make_ising",
    "make_quantum_snapshots",
    "make_stm_images",
    "make_xrd_patterns",
    "onsager_energy",
    "onsager_magnetization",
    "substrate_contrast",
    "resample_log_d",
    "log_d_autocorrelation",
    "xrd_extinction_classes",
    "xrd_pattern",
]

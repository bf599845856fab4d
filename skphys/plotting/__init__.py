"""``*Display`` classes in scikit-learn's Display style (``from_estimator``, ``plot(ax=...)``).

Each topic keeps its displays in a private module ``skphys/plotting/_<topic>.py`` with an
``__all__``; they are collected here, so adding a display needs no edit of this file.
matplotlib is needed only when a display is plotted (the ``plot`` extra).
"""

import importlib as _importlib
import pkgutil as _pkgutil

__all__ = []
for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_") and not _info.name.startswith("__"):
        _module = _importlib.import_module(f"{__name__}.{_info.name}")
        for _name in getattr(_module, "__all__", []):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
__all__.sort()

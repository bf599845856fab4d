"""Find the public estimators of skphys (as :func:`sklearn.utils.all_estimators` does)."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator


def all_estimators():
    """Public estimator classes of skphys, as a sorted list of ``(name, class)``.

    A class counts when it is a :class:`~sklearn.base.BaseEstimator`, is importable from a
    public ``skphys`` subpackage, and is not abstract.
    """
    import skphys

    found = {}
    for info in pkgutil.walk_packages(skphys.__path__, prefix="skphys."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or parts[1] in {"tests", "utils", "nn", "base"}:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                    and not inspect.isabstract(obj) and not name.startswith("_")):
                found[name] = obj
    return sorted(found.items())

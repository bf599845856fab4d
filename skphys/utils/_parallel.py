"""joblib on ray with the data sent once per call: ray's joblib backend, mended."""

import joblib

__all__ = ["register_ray"]

#: arguments at least this large (bytes) go to ray's object store once per call
_PUT_BYTES = 100_000


def _nbytes(obj):
    """The size of an array-like argument (numpy, pandas, scipy.sparse), 0 for anything else."""
    size = getattr(obj, "nbytes", None)  # numpy arrays, pandas Series
    if isinstance(size, int):
        return size
    if hasattr(obj, "memory_usage") and hasattr(obj, "columns"):  # a pandas DataFrame
        return int(obj.memory_usage(index=True).sum())
    data = getattr(obj, "data", None)  # scipy.sparse
    if hasattr(obj, "indices") and isinstance(getattr(data, "nbytes", None), int):
        return data.nbytes + obj.indices.nbytes
    return 0


class _SharedDataBatch:
    """A batch of joblib calls whose large arguments travel as references to ray's store."""

    def __init__(self, batch, put):
        self.items = [(f, [put(a) for a in args], {k: put(v) for k, v in kwargs.items()})
                      for f, args, kwargs in batch.items]
        self.backend, self.n_jobs = batch._backend, batch._n_jobs

    def __call__(self):
        import ray

        def get(x):
            return ray.get(x) if isinstance(x, ray.ObjectRef) else x

        with joblib.parallel_config(backend=self.backend, n_jobs=self.n_jobs):
            return [f(*[get(a) for a in args], **{k: get(v) for k, v in kwargs.items()})
                    for f, args, kwargs in self.items]

    def __len__(self):
        return len(self.items)


def register_ray():
    """Register ray's joblib backend as ``"ray"``, with large arguments put in ray's store once.

    The same as :func:`ray.util.joblib.register_ray`, with the data sharing repaired. Ray's
    backend meant to put every argument of a :class:`joblib.Parallel` call (the training data
    of a ``GridSearchCV``, say) into ray's object store once and hand the tasks a reference;
    that code looks for a joblib class removed in joblib 1.3 and is switched off, so the
    arguments are pickled into *every* task. Here each argument of at least 100 kB (numpy
    arrays, pandas and scipy.sparse objects) is put once per call, and the workers of a node
    read it from the store's shared memory.

    Ray's backend starts a pool of fresh worker processes (actors) for every ``Parallel``
    call, so each call pays the workers' start-up: importing torch and skorch, and torch's
    first optimiser (see the "Scaling out" page of the documentation).

    Needs ray (``pip install 'skphys[ray]'``) and a ray session (``ray.init(...)``, or one
    started on first use).

    Examples
    --------
    >>> import joblib
    >>> from skphys.utils import register_ray
    >>> register_ray()  # doctest: +SKIP
    >>> with joblib.parallel_backend("ray", n_jobs=2):  # doctest: +SKIP
    ...     search.fit(X, y)
    """
    try:
        import ray
        from ray.util.joblib.ray_backend import RayBackend
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("register_ray needs ray: pip install 'skphys[ray]'.") from exc

    class SharedDataRayBackend(RayBackend):
        """Ray's joblib backend; arguments of >= 100 kB are put in ray's store once per call."""

        def configure(self, *args, **kwargs):
            self._refs = {}  # id -> (object, its reference): one put per object per call
            return super().configure(*args, **kwargs)

        def _put(self, obj):
            if _nbytes(obj) < _PUT_BYTES:
                return obj
            key = id(obj)
            if key not in self._refs:  # the object is kept alive with it: ids stay unique
                self._refs[key] = (obj, ray.put(obj))
            return self._refs[key][1]

        def submit(self, func, callback=None):
            return super().submit(_SharedDataBatch(func, self._put), callback=callback)

        def terminate(self):
            self._refs = {}
            return super().terminate()

    joblib.register_parallel_backend("ray", SharedDataRayBackend)

"""Shared benchmark plumbing: one-thread pinning, timing, table and JSON output."""

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

torch.set_num_threads(1)

RESULTS = Path(__file__).parent / "results"


def timed(fn, repeats):
    """Run ``fn`` ``repeats`` times; return (median seconds, all seconds, last result)."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def report(name, rows, columns, meta):
    """Print ``rows`` (list of dicts) as a table and write them with ``meta`` to JSON."""
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))
    RESULTS.mkdir(exist_ok=True)
    import numpy
    import scipy
    import sklearn

    # cached features and fitted figures are comparable only within one environment
    main = sys.modules.get("__main__")
    script = Path(getattr(main, "__file__", "") or "").name
    if "protocol" not in meta and getattr(main, "__doc__", None):
        # the script's docstring up to its usage line is its protocol
        meta = {"protocol": main.__doc__.split("\n    python")[0].strip(), **meta}
    meta = {**meta, "script": script, "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "machine": platform.machine(),
            "threads": torch.get_num_threads()}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"\nwritten: {path}")


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)

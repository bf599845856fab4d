"""The tour: ``python -m skphys`` fits what skphys offers and prints a results table.

Each stop is a module ``skphys/_tour/stop_<NN>_<name>.py`` with a ``TITLE`` and a function
``run(out_dir, quick)`` returning rows ``{"result": str, "value": str, "reference": str}``;
figures go to ``out_dir``. Stops run in the order of their number; adding a capability means
adding a stop file, nothing else.
"""

import argparse
import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path


def _stops():
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("stop_"))
    return [importlib.import_module(f"{__name__}.{n}") for n in names]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skphys", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="skphys_tour", help="folder for figures and results")
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")
    parser.add_argument("--only", default=None, help="run only stops whose name contains this")
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    import torch
    from threadpoolctl import threadpool_limits

    threads = int(os.environ["OMP_NUM_THREADS"])
    torch.set_num_threads(threads)
    threadpool_limits(threads)  # numpy's BLAS was loaded before the variables were set
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for stop in _stops():
        if args.only and args.only not in stop.__name__:
            continue
        print(f"== {stop.TITLE}", flush=True)
        t0 = time.perf_counter()
        for row in stop.run(out, args.quick):
            rows.append({"stop": stop.TITLE, **row})
            print(f"   {row['result']}: {row['value']}  (reference: {row.get('reference', '')})",
                  flush=True)
        print(f"   [{time.perf_counter() - t0:.1f} s]", flush=True)
    _table(rows)
    lines = [f"{r['stop']} | {r['result']} | {r['value']} | {r.get('reference', '')}" for r in rows]
    (out / "results.txt").write_text("\n".join(lines) + "\n")
    print(f"\nfigures and results.txt in {out.resolve()}")
    return 0


def _table(rows):
    cols = ["stop", "result", "value", "reference"]
    width = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in cols}
    print("\n" + "  ".join(c.ljust(width[c]) for c in cols))
    print("  ".join("-" * width[c] for c in cols))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(width[c]) for c in cols))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

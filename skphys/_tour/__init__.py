"""The tour: ``python -m skphys`` fits what skphys offers and prints a results table.

Each stop is a module ``skphys/_tour/stop_<NN>_<name>.py`` with a ``TITLE`` and a function
``run(out_dir, quick)`` returning rows ``{"result": str, "value": str, "reference": str}``, and
optionally ``"ok"`` (True when the value meets its reference, False when it misses it) and
``"chance"`` (the chance level of an accuracy); figures go to ``out_dir``. Stops run in the order
of their number; adding a capability means adding a stop file, nothing else.

The run prints one progress line per stop (with its time); the results table is printed once,
at the end, cut to fit a terminal (``--width``, default 100 columns), with a pass/miss column;
the full table goes to ``results.txt`` and ``results.md`` in the output folder.
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
    parser.add_argument("--width", type=int, default=100, help="width of the printed table")
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
    stops = [s for s in _stops() if not args.only or args.only in s.__name__]
    t_all = time.perf_counter()
    for i, stop in enumerate(stops, 1):
        print(f"[{i}/{len(stops)}] {stop.TITLE} ...", flush=True)
        t0 = time.perf_counter()
        for row in stop.run(out, args.quick):
            rows.append({"stop": stop.TITLE, **row})
        print(f"      done in {time.perf_counter() - t0:.1f} s "
              f"({time.perf_counter() - t_all:.0f} s so far)", flush=True)
    print()
    print(format_table(rows, width=args.width))
    (out / "results.txt").write_text(format_table(rows, width=None) + "\n")
    (out / "results.md").write_text(markdown_table(rows))
    missed = sum(r.get("ok") is False for r in rows)
    print(f"\n{len(rows)} results, {missed} below their reference; figures, results.txt and "
          f"results.md in {out.resolve()}")
    return 0


def say(message):
    """A progress line from inside a long stop (what it is doing now)."""
    print(f"      - {message}", flush=True)


_COLUMNS = ("stop", "result", "value", "chance", "reference", "check")
_PRINTED = ("result", "value", "chance", "reference", "check")


def _cells(row):
    ok = row.get("ok")
    return {"stop": str(row.get("stop", "")), "result": str(row.get("result", "")),
            "value": str(row.get("value", "")), "chance": str(row.get("chance") or ""),
            "reference": str(row.get("reference", "")),
            "check": "pass" if ok is True else "MISS" if ok is False else "-"}


def format_table(rows, width=100):
    """The results as a plain-text table, each stop's title on a line above its rows.

    With ``width``, the result and reference columns are cut to fit it (value, chance and
    check are never cut); without, nothing is.
    """
    cells = [_cells(r) for r in rows]
    widths = {c: max([len(c)] + [len(x[c]) for x in cells]) for c in _PRINTED}
    if width is not None:
        fixed = sum(widths[c] for c in ("value", "chance", "check")) + 2 * (len(_PRINTED) - 1)
        budget = max(width - fixed, 20)
        ref = min(widths["reference"], int(0.45 * budget))
        widths["result"] = max(len("result"), min(widths["result"], budget - ref))
        widths["reference"] = max(len("reference"), min(widths["reference"],
                                                        budget - widths["result"]))

    def cut(text, n):
        return text if width is None or len(text) <= n else text[: max(n - 1, 0)] + "…"

    lines = ["  ".join(c.ljust(widths[c]) for c in _PRINTED).rstrip(),
             "  ".join("-" * widths[c] for c in _PRINTED)]
    previous = None
    for x in cells:
        if x["stop"] != previous:
            lines.append(cut(f"[{x['stop']}]", width or len(x["stop"]) + 2))
            previous = x["stop"]
        lines.append("  ".join(cut(x[c], widths[c]).ljust(widths[c])
                               for c in _PRINTED).rstrip())
    return "\n".join(lines)


def markdown_table(rows):
    """The full results as a Markdown table."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for r in rows:
        x = _cells(r)
        lines.append("| " + " | ".join(x[c].replace("|", "\\|") for c in _COLUMNS) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

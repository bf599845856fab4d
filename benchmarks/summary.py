"""Collect every benchmark's results into one Markdown page: ``benchmarks/results/SUMMARY.md``.

Each ``bench_*.py`` writes ``results/<name>.json`` with ``meta`` (its ``protocol`` among them)
and ``rows``; this script puts each benchmark's protocol and table on one page, which the
README's speed section quotes. ``make bench`` runs it after the benchmarks.

    python benchmarks/summary.py
"""

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
_SKIP = {"times_s", "batches"}


def _cell(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, dict)):
        return ""
    return "" if v is None else str(v).replace("|", "\\|")


def table(rows):
    cols = []
    for r in rows:
        cols += [k for k in r if k not in cols and k not in _SKIP]
    cols = [c for c in cols if any(_cell(r.get(c)) for r in rows)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main():
    parts = ["# Benchmark summary", "",
             "Every figure below was printed by a `benchmarks/bench_*.py` script in one run, skphys "
             "and its peers side by side; each section states the script's protocol. A `peer ran: "
             "no` row means the peer was not installed when the script ran: its figures are then "
             "not measured and no ratio is claimed.", ""]
    paths = sorted(RESULTS.glob("*.json")) + sorted(RESULTS.glob("gpu/*.json"))
    for path in paths:
        data = json.loads(path.read_text())
        meta = data.get("meta", {})
        where = " (on a GPU machine)" if path.parent.name == "gpu" else ""
        parts += [f"## {path.stem}{where}", ""]
        protocol = meta.get("protocol")
        parts += [protocol.strip() if protocol else "_(no protocol recorded)_", ""]
        if meta.get("script"):
            parts += [f"Written by `benchmarks/{meta['script']}`.", ""]
        env = ", ".join(f"{k} {meta[k]}" for k in ("machine", "python", "torch", "numpy", "scipy",
                                                   "scikit-learn", "threads")
                        if k in meta)
        if env:
            parts += [f"Environment: {env}.", ""]
        parts += [table(data.get("rows", [])), ""]
    out = RESULTS / "SUMMARY.md"
    out.write_text("\n".join(parts))
    print(f"written: {out}")


if __name__ == "__main__":
    main()

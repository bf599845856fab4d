"""Print the slowest gallery examples of the last ``make docs`` (sphinx-gallery's own timings).

CI runs the gallery against a time budget; the build log does not say where the time went.
"""

import re
import sys
from pathlib import Path

path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/sg_execution_times.rst")
if not path.exists():
    sys.exit(f"{path}: no gallery timings")
rows = [(int(m) * 60 + float(s), name) for name, m, s in re.findall(
    r"``\.\./examples/(\S+?)``\)\s*\n\s*- (\d+):([\d.]+)", path.read_text())]
rows.sort(reverse=True)
print(f"==== slowest 15 gallery examples ({sum(t for t, _ in rows):.0f} s in all, "
      f"{len(rows)} examples)")
for seconds, name in rows[:15]:
    print(f"{seconds:8.1f}s  {name}")

"""Cold start of a worker: imports, the first fit, and the first n_jobs search, beside scikit-learn.

Protocol (one thread per process; every figure from a fresh interpreter started with this
Python, so nothing is warm; the machine may be shared, so the figures are wall-clock seconds
of one run each, noisy):

1. Imports: ``import M`` for skphys, ``skphys.datasets`` (what a data-generation worker
   imports), ``skphys.neural_network`` (what unpickling a skphys estimator imports), and the
   peer ``sklearn.neural_network``; whether torch was imported.
2. First fit: the README's pipeline (StandardScaler + MLP (128,), 50 epochs on digits) fitted
   twice in one fresh process: the first fit's extra time is what a fresh worker pays on its
   first task (torch's first optimiser imports ``torch._dynamo``); peer: scikit-learn's
   ``MLPClassifier`` with the same settings (no dropout).
3. The README's search (``GridSearchCV``, 2 values of alpha, cv=3): sequential, then
   ``n_jobs=2`` twice in one process (the first starts joblib's loky workers, the second
   reuses them); the first parallel call's excess over the second is the workers' start-up.

    python benchmarks/bench_cold_start.py
"""

import json
import subprocess
import sys
from pathlib import Path

from _common import report

ROOT = Path(__file__).resolve().parents[1]
ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}


def fresh(code):
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned parsed."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=ENV, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


IMPORT = """
import time, sys, json
t = time.perf_counter()
import {module}
print(json.dumps({{"s": time.perf_counter() - t, "torch": "torch" in sys.modules}}))
"""

SETUP = """
import time, json, warnings
warnings.simplefilter("ignore")
import torch
torch.set_num_threads(1)
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_digits(return_X_y=True)
if {peer}:
    from sklearn.neural_network import MLPClassifier
    net = MLPClassifier(hidden_layer_sizes=(128,), max_iter=50, random_state=0)
else:
    from skphys.neural_network import MLPClassifier
    net = MLPClassifier(hidden_layer_sizes=(128,), dropout=0.1, max_iter=50, random_state=0)
clf = make_pipeline(StandardScaler(), net)
def t(fn):
    t0 = time.perf_counter(); fn(); return time.perf_counter() - t0
"""

FIRST_FIT = SETUP + """
print(json.dumps({"first": t(lambda: clf.fit(X, y)), "second": t(lambda: clf.fit(X, y))}))
"""

SEARCH = SETUP + """
if __name__ == "__main__":
    s = lambda n: GridSearchCV(clf, {{"mlpclassifier__alpha": [1e-4, 1e-3]}}, cv=3,
                               n_jobs=n).fit(X, y)
    print(json.dumps({{"sequential": t(lambda: s(1)), "first_n_jobs_2": t(lambda: s(2)),
                       "second_n_jobs_2": t(lambda: s(2))}}))
"""


def main():
    rows = []
    for module in ["skphys", "skphys.datasets", "skphys.neural_network",
                   "sklearn.neural_network"]:
        r = fresh(IMPORT.format(module=module))
        rows.append({"case": f"import {module}", "seconds": r["s"],
                     "torch imported": "yes" if r["torch"] else "no", "peer ran": "yes"})
    for peer, name in [(False, "skphys"), (True, "scikit-learn")]:
        r = fresh(FIRST_FIT.replace("{peer}", str(peer)))
        rows.append({"case": f"{name}: first fit in a fresh process", "seconds": r["first"],
                     "peer ran": "yes"})
        rows.append({"case": f"{name}: second fit", "seconds": r["second"], "peer ran": "yes"})
    for peer, name in [(False, "skphys"), (True, "scikit-learn")]:
        code = SEARCH.replace("{peer}", str(peer)).replace("{{", "{").replace("}}", "}")
        r = fresh(code)
        for key in ["sequential", "first_n_jobs_2", "second_n_jobs_2"]:
            rows.append({"case": f"{name}: search, {key.replace('_', ' ')}",
                         "seconds": r[key], "peer ran": "yes"})
        rows.append({"case": f"{name}: worker start-up (first - second n_jobs=2)",
                     "seconds": r["first_n_jobs_2"] - r["second_n_jobs_2"], "peer ran": "yes"})
    report("cold_start", rows, ["case", "seconds", "torch imported", "peer ran"],
           {"protocol": "fresh interpreter per figure, one thread, wall-clock, one run"})


if __name__ == "__main__":
    main()

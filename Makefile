# Two commands do the whole set-up on a fresh machine (only python3 needed):
#   make demo   - the tour: fits what skphys offers, prints a results table, saves figures
#   make test   - the test suite
# Both create .venv, install the pinned CPU torch wheel first (an unpinned torch pulls a
# multi-GB CUDA build), then skphys with its test, plot, dask, ray, materials, optics and xrd
# extras.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_PIN ?= torch==2.13.0
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# the project's shared data (MNIST-10k, ...) beside the checkout, unless the user set their own
SKPHYS_DATA ?= $(abspath ../shared/data)
export SKPHYS_DATA

# pip byte-compiles all it installs (16,000 files), most of an install's time: here it
# installs without, and python compiles the modules a run imports when it first imports
# them, and keeps the bytecode for the next process (so PYTHONDONTWRITEBYTECODE, which
# would make every process compile them again, is not passed on). The docs extra is small:
# pip compiles it.
PIP_INSTALL := $(PY) -m pip install -q --no-compile
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test test-gpu docs docs-install bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PIP_INSTALL) "$(TORCH_PIN)"
	$(PIP_INSTALL) -e ".[test,plot,dask,ray,materials,optics,xrd]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(THREADS) $(PY) -m skphys --out skphys_tour

test: install
	$(THREADS) $(PY) -m pytest -q -p no:cacheprovider --durations=15 tests --doctest-modules skphys --ignore=skphys/__main__.py

test-gpu: install
	$(PY) -m pytest -q -m gpu tests

$(VENV)/.docs: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[docs]"
	touch $@

docs-install: $(VENV)/.docs

docs: $(VENV)/.docs
	$(THREADS) $(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(THREADS) $(PY) $$b || exit 1; done
	$(PY) benchmarks/summary.py

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated skphys_tour benchmarks/results

"""Sphinx configuration: numpydoc API reference generated from the docstrings, a gallery."""

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skphys  # noqa: E402

project = "skphys"
author = "the skphys developers"
copyright = "2026, the skphys developers"
release = skphys.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples", "**/sg_execution_times.rst"]
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
default_role = "literal"
suppress_warnings = ["config.cache"]
nitpicky = False

intersphinx_mapping = {}  # offline builds: no inventories fetched

html_theme = "alabaster"
html_static_path = []

# The gallery: every example runs in the build, so each page shows its figures and printed
# results (SKPHYS_DOCS_RUN_EXAMPLES=0 skips them for a quick local build). CI builds the docs
# beside the test suite, one core each (.ci/run).
_run = os.environ.get("SKPHYS_DOCS_RUN_EXAMPLES", "1") == "1"
# Every example starts from the warning filters the first one started from (the build's and
# sphinx-gallery's own): an example that ignores a warning class (many ignore
# ConvergenceWarning) must not hide it in the examples after it.
_WARNING_FILTERS = None


def _reset_warning_filters(gallery_conf, fname):
    global _WARNING_FILTERS
    if _WARNING_FILTERS is None:
        _WARNING_FILTERS = list(warnings.filters)
        return
    warnings.filters[:] = _WARNING_FILTERS
    getattr(warnings, "_filters_mutated", lambda: None)()  # the registries see the change


sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": _run,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": (_reset_warning_filters,),
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skphys",),
}


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated ``set_*_request`` methods (documented by sklearn)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)


def _write_api_page():
    """api.rst from the packages' ``__all__``: a new public name needs no docs edit."""
    import importlib
    import pkgutil

    lines = ["API reference", "=============", "",
             "Everything public, grouped as in scikit-learn (generated from each package's",
             "``__all__``).", ""]
    for info in sorted(pkgutil.iter_modules(skphys.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or not info.ispkg:
            continue
        mod = importlib.import_module(f"skphys.{info.name}")
        # names re-exported at the top level (skphys.DivergenceError) are documented there
        names = sorted(n for n in getattr(mod, "__all__", [])
                       if getattr(skphys, n, None) is not getattr(mod, n))
        if not names:
            continue
        title = f":mod:`skphys.{info.name}`"
        (mod.__doc__ or "").strip().splitlines()
        lines += [title, "-" * len(title), "", f".. automodule:: skphys.{info.name}",
                  "   :no-members:", "   :no-inherited-members:", "",
                  f".. currentmodule:: skphys.{info.name}", "",
                  ".. autosummary::", "   :toctree: generated/", "   :nosignatures:", ""]
        lines += [f"   {n}" for n in names] + [""]
    lines += [":mod:`skphys` (top level)", "--------------------------", "",
              ".. currentmodule:: skphys", "", ".. autosummary::", "   :toctree: generated/",
              "", "   DivergenceError", ""]
    text = "\n".join(lines)
    path = HERE / "api.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


_write_api_page()

"""Phases and phase transitions: learning by confusion, supervised crossings, finite-size scaling.

:class:`ConfusionPhaseFinder` locates a transition without labelled phases (learning by
confusion, per boundary or multi-task); :func:`phase_crossing` and
:func:`finite_size_extrapolation` take the supervised route (Carrasquilla & Melko);
:func:`make_kitaev_chain` generates entanglement spectra across a topological transition.
"""

from ._confusion import ConfusionPhaseFinder
from ._critical import finite_size_extrapolation, phase_crossing
from ._kitaev import make_kitaev_chain

__all__ = [
    "ConfusionPhaseFinder",
    "finite_size_extrapolation",
    "make_kitaev_chain",
    "phase_crossing",
]

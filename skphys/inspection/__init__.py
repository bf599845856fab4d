"""Inspection: what a trained network has learned.

:class:`DreamExplainer` fixes the network's output and optimises its input ("dreaming"),
and reports how far each dream can be trusted.
"""

from ._dream import DreamExplainer

__all__ = ["DreamExplainer"]

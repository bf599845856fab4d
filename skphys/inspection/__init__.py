"""Inspection: what a trained network has learned.

:class:`DreamExplainer` fixes the network's output and optimises its input ("dreaming"),
and reports how far each dream can be trusted. :func:`scan_image` slides a fitted tile
classifier across a large image and maps its response (the automated search of a wafer).
"""

from ._dream import DreamExplainer
from ._scan import scan_image

__all__ = ["DreamExplainer", "scan_image"]

"""Photonic inverse design: differentiable simulators and the device designer.

2-D FDFD for the Ez field (adjoint gradients through one sparse LU per wavelength), a batched
transfer-matrix method for planar multilayers, :class:`InverseDeviceDesigner` (topology
optimisation as an sklearn estimator) and inverse design through a neural surrogate
(gradient descent on the input, or a tandem network). The simulations are 2-D; 3-D devices
need an iterative or GPU solver.
"""

from ._designer import InverseDeviceDesigner
from ._fdfd import FDFD, solve_ez
from ._surrogate import invert_surrogate, surrogate_forward, tandem_inverse_design
from ._tmm import layer_indices, make_thin_film_spectra, transfer_matrix

__all__ = [
    "FDFD",
    "InverseDeviceDesigner",
    "invert_surrogate",
    "layer_indices",
    "make_thin_film_spectra",
    "solve_ez",
    "surrogate_forward",
    "tandem_inverse_design",
    "transfer_matrix",
]

"""InverseDeviceDesigner: adjoint topology optimisation of a 2-D photonic device.

The optimisation runs on the shared :class:`~skphys.base.IterationDriver` (one progress
format, one history, the divergence guard with rollback, user callbacks, the interruption
contract). Memory stays bounded in the number of wavelengths: the objective is a sum of
per-wavelength terms, so each iteration solves the wavelengths block by block (a block is as
many wavelengths as fit in ``_BLOCK_UNKNOWNS`` unknowns), taking the block's forward solve,
objective terms and adjoint solve before the next block is factorised; the gradients with
respect to the permittivity add up, and at most one block's LU factors are alive at a time.
"""

import copy
import itertools
import math
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import IterationDriver
from ..utils._torch import draw_seed
from ._fdfd import FDFD, solve_ez

#: largest block-diagonal system (unknowns) factorised at once: small grids batch many
#: wavelengths, large ones solve one or two at a time (the LU memory grows with the block)
_BLOCK_UNKNOWNS = 50_000

#: grid cells per wavelength in the core below which a wavelength is refused / warned about.
#: The 3-point Laplacian's numerical dispersion: measured on the 400 nm Si guide, the guided
#: mode's effective index is off by ~2-3 % at 8 cells per wavelength in the core, ~5 % at 6,
#: ~10 % at 4.5 and ~40 % at 3.1; below pi cells the grid carries no wave at all. 8 cells is
#: the low end of the usual finite-difference rule of thumb (8-10 cells per wavelength in the
#: highest-index material).
_MIN_CELLS, _GOOD_CELLS = 4.0, 8.0

#: largest fraction of a port mode's power that may lie in the PML (or beyond the grid): past
#: it the modal normalisation fails (a straight guide no longer transmits 1; measured: 0.91
#: at 10 µm on the default grid, where 0.2 % of the mode is in the PML)
_MAX_MODE_LEAK = 1e-3

#: largest overlap of neighbouring port modes: transmissions are overlaps with each port's
#: isolated-guide mode, which double-count up to (1 + overlap) of the power when the output
#: guides are coupled (at 2 %, the crosstalk floor is -34 dB)
_MAX_PORT_OVERLAP = 0.02

#: largest simulation grid (cells): one LU of a 10^6-unknown 2-D system takes gigabytes
_MAX_CELLS = 1_000_000

__all__ = ["InverseDeviceDesigner"]


def _pair(value, name):
    """``value`` (a number or a pair) as two positive finite floats; errors name ``name``."""
    if isinstance(value, Real) and not isinstance(value, bool):
        pair = (value, value)
    else:
        pair = tuple(value)
    ok = len(pair) == 2 and all(isinstance(v, Real) and not isinstance(v, bool)
                                and math.isfinite(v) and v > 0 for v in pair)
    if not ok:
        raise ValueError(f"The '{name}' parameter of InverseDeviceDesigner must be a positive "
                         f"finite number or a pair (x, y) of them (µm). Got {value!r} instead.")
    return float(pair[0]), float(pair[1])


class _Geometry:
    """Cells of the simulation: PML | margin | design region | margin | PML along x and y.

    One input waveguide enters the design region from the left at mid-height; ``n_ports``
    output waveguides leave it on the right, evenly spaced about mid-height. Raises a
    ``ValueError`` naming the parameter when the layout cannot be built.
    """

    def __init__(self, est, n_ports):
        if not est.eps_core > est.eps_clad:
            raise ValueError(
                "eps_core must exceed eps_clad: the waveguides guide light in a core of higher "
                f"permittivity than the cladding. Got eps_core={est.eps_core!r}, "
                f"eps_clad={est.eps_clad!r}.")
        dl = float(est.grid_spacing)
        self.dl = dl
        size = _pair(est.design_size, "design_size")
        dx, dy = (max(1, round(v / dl)) for v in size)
        mx, my = (max(2, round(v / dl)) for v in _pair(est.margin, "margin"))
        npml = max(1, round(est.pml_thickness / dl))
        self.npml = npml
        self.design_shape = (dx, dy)
        self.shape = (dx + 2 * (mx + npml), dy + 2 * (my + npml))
        cells = self.shape[0] * self.shape[1]
        if cells > _MAX_CELLS:
            raise ValueError(
                f"grid_spacing={est.grid_spacing!r} makes a grid of {self.shape[0]} x "
                f"{self.shape[1]} = {cells} cells, more than the {_MAX_CELLS} the designer "
                "factorises (one sparse LU of that size needs gigabytes per wavelength); use "
                "a coarser grid_spacing or a smaller design_size, margin or pml_thickness.")
        ny = self.shape[1]
        self.x0, self.y0 = mx + npml, my + npml  # lower corner of the design region
        w = max(1, round(est.waveguide_width / dl))
        self.width = w
        centre = ny // 2
        spacing = (size[1] / n_ports if est.port_spacing is None else float(est.port_spacing))
        self.port_centres = [centre + round((k - (n_ports - 1) / 2) * spacing / dl)
                             for k in range(n_ports)]
        self.input_centre = centre
        lows = [c - w // 2 for c in self.port_centres]
        if n_ports > 1 and min(np.diff(lows)) <= w:
            raise ValueError(
                f"The {n_ports} output waveguides (waveguide_width={est.waveguide_width!r}) "
                f"overlap at a centre-to-centre spacing of {spacing:g} µm (port_spacing="
                f"{est.port_spacing!r}, design_size={est.design_size!r}): the spacing must "
                "exceed the width by at least one grid cell. Use a larger port_spacing or "
                "design_size, or a narrower waveguide_width.")
        guides = [*lows, centre - w // 2]
        if min(guides) < npml or max(guides) + w > ny - npml:
            raise ValueError(
                f"The output waveguides (port_spacing={est.port_spacing!r}, design_size="
                f"{est.design_size!r}, {n_ports} ports) reach into the PML: the outermost "
                f"port centres lie {abs(self.port_centres[0] - centre) * dl:g} µm from the "
                f"axis, the PML starts {(centre - npml) * dl:g} µm from it. Use a smaller "
                "port_spacing or a larger margin.")
        eps = np.full(self.shape, float(est.eps_clad))
        core = float(est.eps_core)
        lo = centre - w // 2
        eps[: self.x0, lo : lo + w] = core
        for lo_k in lows:
            eps[self.x0 + dx :, lo_k : lo_k + w] = core
        self.background = eps
        self.line = np.full(ny, float(est.eps_clad))  # an isolated guide's cross-section
        self.line[lo : lo + w] = core
        self.n_core = math.sqrt(core)
        # source half-way through the left margin, port monitors half-way through the right
        self.source_x = npml + max(1, mx // 2) - 1
        self.monitor_x = self.x0 + dx + mx // 2

    def shifted(self, psi, centre):
        """``psi`` (computed for a guide at ``input_centre``) moved to ``centre``."""
        out = np.zeros_like(psi)
        s = centre - self.input_centre
        if s >= 0:
            out[s:] = psi[: len(psi) - s]
        else:
            out[:s] = psi[-s:]
        return out

    def port_overlap(self, psi):
        """Largest overlap ``sum(psi_i psi_j) dl`` of the modes of neighbouring output ports."""
        q = [self.shifted(psi, c) for c in self.port_centres]
        return max((abs(np.sum(a * b)) * self.dl for a, b in itertools.pairwise(q)), default=0.0)

    def mode_leak(self, psi):
        """Largest fraction of a port's mode power in the PML or shifted off the grid."""
        p = self.npml
        worst = 0.0
        for c in [self.input_centre, *self.port_centres]:
            q = self.shifted(psi, c)
            inside = np.sum(q[p:-p] ** 2) * self.dl
            worst = max(worst, 1.0 - inside)
        return worst


def _cone_kernel(radius_cells):
    r = math.floor(radius_cells)
    if radius_cells <= 1 or r < 1:
        return None
    ax = np.arange(-r, r + 1)
    d = np.hypot(ax[:, None], ax[None, :])
    w = np.maximum(0.0, 1.0 - d / radius_cells)
    return torch.from_numpy(w / w.sum())[None, None]


class InverseDeviceDesigner(ClassifierMixin, BaseEstimator):
    """Fit a 2-D photonic device that routes each wavelength to its output port.

    Topology optimisation with adjoint gradients: the design region's permittivity is a
    density in [0, 1], smoothed by a cone filter of radius ``filter_radius`` (the minimum
    feature size), pushed towards 0/1 by a tanh projection whose sharpness ``beta`` grows
    geometrically from 1 to ``beta_max`` over the iterations, and binarised at the end. Each
    iteration solves the 2-D Ez (TM) Maxwell problem by FDFD once per wavelength (one sparse
    LU factorisation, reused for the adjoint solve) and takes an Adam step on the density.
    Wavelengths are solved in small blocks, each freed before the next, so the memory a fit
    needs does not grow with the number of wavelengths.

    ``fit(X, y)`` designs the device: each row of ``X`` is a channel, its columns are free-space
    wavelengths (µm) sampled in that channel (one column for single wavelengths), and ``y``
    is the output port the channel must reach; the distinct labels of ``y`` are the ports,
    bottom to top. The defaults are the 1300/1550 nm demultiplexer of Piggott et al. (2015):
    a 2.8 x 2.8 µm silicon (eps = 12.25) design region in silica (eps = 2.25), 400 nm
    waveguides, on a 40 nm grid.

    The simulation is 2-D (an infinitely tall slab, Ez polarisation): the right model for
    studying the method, not a substitute for a 3-D simulation of a real chip, which needs an
    iterative or GPU solver.

    Parameters
    ----------
    design_size : float or (float, float), default=(2.8, 2.8)
        Size (µm) of the design region along x (propagation) and y.
    grid_spacing : float, default=0.04
        Cell size (µm). Every wavelength must span at least 4 cells in the core
        (``wavelength / sqrt(eps_core) >= 4 * grid_spacing``); below 8 cells ``fit`` warns
        that the discretisation error is large (see Notes).
    waveguide_width : float, default=0.4
        Width (µm) of the input and output waveguides.
    port_spacing : float or None, default=None
        Centre-to-centre distance (µm) of the output waveguides; None is the design height
        divided by the number of ports.
    margin : float or (float, float), default=(1.2, 0.9)
        Space (µm) between the design region and the PML along x and y; the source and the
        port monitors sit half-way through the x margins.
    pml_thickness : float, default=0.4
        Thickness (µm) of the perfectly matched layer on every edge.
    eps_core, eps_clad : float, default=12.25, 2.25
        Relative permittivities of the waveguide/device material (Si) and the cladding (SiO2);
        ``eps_core`` must exceed ``eps_clad``.
    filter_radius : float, default=0.1
        Radius (µm) of the cone filter applied to the density (minimum feature size).
    beta_max : float, default=64.0
        Final sharpness of the tanh projection.
    max_iter : int, default=60
        Number of optimisation iterations.
    learning_rate : float, default=0.1
        Adam step size on the density.
    crosstalk_weight : float, default=0.3
        Weight of the power in the wrong ports in the objective
        ``mean(-log T_target + crosstalk_weight * log(1 + 100 * sum T_wrong))``.
        Below about -30 dB that term is nearly flat, so at the default weight the final
        crosstalk varies by 10-15 dB from seed to seed (in ceviche too, from the same start);
        ``crosstalk_weight=3`` buys lower crosstalk for some insertion loss (Piggott's
        demultiplexer, medians of 3 seeds in ``benchmarks/bench_photonics.py``: crosstalk
        -47 / -45 dB and loss -0.49 / -0.41 dB at 1550 / 1300 nm, against -36 / -43 dB and
        -0.10 / -0.15 dB at 0.3).
    random_state : int, RandomState instance or None, default=None
        Seeds the small random perturbation of the initial (grey) density.
    verbose : bool or int, default=False
        0 silent, 1 a progress bar, 2 one line per iteration (skphys's one format).
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Called around every iteration with skorch's protocol (``on_epoch_end(net)`` with
        ``net.history`` and ``net.estimator``; ``net.publish()`` writes the current design
        into the fitted attributes). Raising ``KeyboardInterrupt`` from ``on_epoch_end``
        (skorch's ``EarlyStopping`` does) ends the fit early.

    Attributes
    ----------
    classes_ : ndarray of shape (n_ports,)
        Port labels, bottom to top.
    n_features_in_ : int
        Number of wavelengths per channel (columns of ``X``).
    density_ : ndarray of shape (nx_design, ny_design)
        Filtered and projected density of the last iteration (before binarisation).
    permittivity_ : ndarray of shape (nx_design, ny_design)
        Binarised permittivity of the design region (the fitted device).
    structure_ : ndarray of shape (nx, ny)
        Permittivity of the whole simulation grid with the fitted device.
    history_ : list of dict
        One row per iteration: ``loss`` (the objective), ``beta`` (projection sharpness) and
        ``dur`` (seconds).
    loss_curve_ : list of float
        Objective at each iteration.
    n_iter_ : int
        Number of iterations run.
    transmission_ : ndarray of shape (n_samples, n_ports)
        Power transmission of the binarised device into each port for the training channels
        (mean over each channel's wavelengths), normalised to a straight waveguide.
    insertion_loss_ : ndarray of shape (n_samples,)
        ``10 log10`` of the transmission into the target port (dB, 0 is lossless).
    crosstalk_ : ndarray of shape (n_samples,)
        ``10 log10`` of the strongest wrong port relative to the target port (dB).
    wavelengths_ : ndarray of shape (n_wavelengths,)
        The distinct training wavelengths (µm).
    grid_shape_ : tuple of int
        Size ``(nx, ny)`` of the simulation grid.

    See Also
    --------
    skphys.photonics.FDFD : The differentiable solver.
    skphys.plotting.DeviceDisplay : Permittivity, fields and spectra of a fitted device.

    Notes
    -----
    Transmissions are the power in the fundamental mode of each port's waveguide relative to
    the power launched into the input waveguide's fundamental mode, which is what a straight
    waveguide transmits (checked by the tests).

    Wavelengths are validated against the grid. A wavelength must be positive and finite; it
    must span at least 4 grid cells in the core material (below that the discrete guided
    mode's effective index is off by more than ~10 %, and below pi cells the grid carries no
    wave at all), and ``fit`` warns below 8 cells (the usual finite-difference rule of thumb
    of 8-10 cells per wavelength in the highest-index material; measured here, the effective
    index is then off by ~2-3 %). Long wavelengths are refused when more than 0.1 % of a
    port mode's power lies in the PML (the mode is no longer confined to the simulation
    window and the normalisation fails) or when the modes of neighbouring output ports
    overlap by more than 2 % (coupled output guides: the port transmissions would count the
    same power twice).

    Interrupted by Ctrl-C, the fit stops at the end of the iteration in flight, keeps the
    design of the last complete iteration (every fitted attribute is set from it), warns,
    and raises ``KeyboardInterrupt``; interrupted before the first iteration, the designer
    is left unfitted.

    References
    ----------
    A. Y. Piggott et al., "Inverse design and demonstration of a compact and broadband
    on-chip wavelength demultiplexer", Nature Photonics 9, 374 (2015).

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.photonics import InverseDeviceDesigner
    >>> X, y = np.array([[1.55], [1.30]]), np.array([0, 1])
    >>> demux = InverseDeviceDesigner(design_size=1.4, grid_spacing=0.045, margin=0.5,
    ...                               pml_thickness=0.4, max_iter=3, random_state=0)
    >>> demux.fit(X, y).predict_proba(X).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "design_size": [Interval(Real, 0, None, closed="neither"), tuple, list],
        "grid_spacing": [Interval(Real, 0, None, closed="neither")],
        "waveguide_width": [Interval(Real, 0, None, closed="neither")],
        "port_spacing": [Interval(Real, 0, None, closed="neither"), None],
        "margin": [Interval(Real, 0, None, closed="neither"), tuple, list],
        "pml_thickness": [Interval(Real, 0, None, closed="neither")],
        "eps_core": [Interval(Real, 0, None, closed="neither")],
        "eps_clad": [Interval(Real, 0, None, closed="neither")],
        "filter_radius": [Interval(Real, 0, None, closed="left")],
        "beta_max": [Interval(Real, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "crosstalk_weight": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    def __init__(
        self,
        design_size=(2.8, 2.8),
        *,
        grid_spacing=0.04,
        waveguide_width=0.4,
        port_spacing=None,
        margin=(1.2, 0.9),
        pml_thickness=0.4,
        eps_core=12.25,
        eps_clad=2.25,
        filter_radius=0.1,
        beta_max=64.0,
        max_iter=60,
        learning_rate=0.1,
        crosstalk_weight=0.3,
        random_state=None,
        verbose=False,
        callbacks=None,
    ):
        self.design_size = design_size
        self.grid_spacing = grid_spacing
        self.waveguide_width = waveguide_width
        self.port_spacing = port_spacing
        self.margin = margin
        self.pml_thickness = pml_thickness
        self.eps_core = eps_core
        self.eps_clad = eps_clad
        self.filter_radius = filter_radius
        self.beta_max = beta_max
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.crosstalk_weight = crosstalk_weight
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # ---- simulation ---------------------------------------------------------------------
    def _setup(self, n_ports):
        self._geom = _Geometry(self, n_ports)
        self._fdfd = FDFD(self._geom.shape, self._geom.dl, self._geom.npml)
        self._kernel = _cone_kernel(self.filter_radius / self._geom.dl)

    def _structure(self, rho_projected):
        """Full-grid permittivity (torch, float64) with the design region filled in."""
        g = self._geom
        eps = torch.from_numpy(g.background.copy())
        dx, dy = g.design_shape
        region = self.eps_clad + rho_projected * (self.eps_core - self.eps_clad)
        eps = eps.index_put((torch.arange(g.x0, g.x0 + dx)[:, None],
                             torch.arange(g.y0, g.y0 + dy)[None, :]), region)
        return eps

    def _blocks(self, n):
        """Index ranges of the wavelength blocks solved together (one LU each)."""
        g = self._geom
        chunk = max(1, _BLOCK_UNKNOWNS // (g.shape[0] * g.shape[1]))
        return [np.arange(s, min(s + chunk, n)) for s in range(0, n, chunk)]

    def _block_transmissions(self, eps, lams, fields=False):
        """Port transmissions ``(len(lams), n_ports)`` of one block of positive wavelengths.

        ``eps`` a tensor that requires grad: a differentiable torch result whose backward
        pass takes the adjoint solves with the block's LU (freed with the graph); otherwise
        numpy, and with ``fields=True`` also the fields ``(len(lams), nx, ny)``.
        """
        g, fd = self._geom, self._fdfd
        ref = g.dl**2  # amplitude a straight guide carries for this source (see mode_source)
        sources, ports = [], []
        for psi, beta in zip(*fd.modes(g.line, lams)):
            sources.append(fd.mode_source(psi, beta, g.source_x, slice(None)))
            ports.append(np.stack([g.shifted(psi, c) for c in g.port_centres]))
        ports = np.stack(ports)  # (n_lambda, n_ports, ny)
        if isinstance(eps, torch.Tensor) and eps.requires_grad:
            e = solve_ez(fd, eps, lams, np.stack(sources))
            amps = torch.einsum("ly,lpy->lp", e[:, g.monitor_x],
                                torch.from_numpy(ports).to(e.dtype)) * g.dl
            return (amps.abs() / ref) ** 2
        eps = eps.detach().numpy() if isinstance(eps, torch.Tensor) else eps
        e = fd.factorize(eps, lams).solve(np.stack(sources)).reshape((len(lams),) + g.shape)
        amps = np.einsum("ly,lpy->lp", e[:, g.monitor_x], ports) * g.dl
        T = (np.abs(amps) / ref) ** 2
        return (T, e) if fields else T

    def _transmissions(self, eps, wavelengths):
        """Port transmissions ``(n_wavelengths, n_ports)`` (numpy) of the permittivity ``eps``."""
        lams = np.asarray(wavelengths, dtype=float).ravel()
        parts = [self._block_transmissions(eps, lams[b]) for b in self._blocks(lams.size)]
        return np.concatenate(parts) if parts else np.zeros((0, len(self._geom.port_centres)))

    def _project(self, rho, beta):
        x = rho[None, None]
        if self._kernel is not None:
            r = self._kernel.shape[-1] // 2
            ones = torch.ones_like(x)
            x = (torch.nn.functional.conv2d(torch.nn.functional.pad(x, (r, r, r, r)), self._kernel)
                 / torch.nn.functional.conv2d(torch.nn.functional.pad(ones, (r, r, r, r)),
                                              self._kernel))
        x = x[0, 0]
        eta = 0.5
        t = math.tanh(beta * eta)
        return (t + torch.tanh(beta * (x - eta))) / (t + math.tanh(beta * (1 - eta)))

    # ---- validation ---------------------------------------------------------------------
    def _check_wavelengths(self, lams, *, warn, source="X"):
        """Refuse wavelengths the grid cannot represent (and warn about coarse ones).

        ``lams``: the distinct wavelengths (µm). Raises ``ValueError`` naming ``X`` (and the
        grid parameters) for non-positive, non-finite, unresolved or unconfined wavelengths.
        """
        name = type(self).__name__
        lams = np.asarray(lams, dtype=float)
        bad = lams[~(np.isfinite(lams) & (lams > 0))]
        if bad.size:
            what = (f"Negative values in data passed to {name}" if np.any(bad < 0)
                    else name)
            raise ValueError(
                f"{what}: {source} must hold free-space wavelengths (µm), positive and "
                f"finite; got {float(bad[0])!r}.")
        g = self._geom
        cells = lams / (g.n_core * g.dl)
        shortest = float(lams.min()) if lams.size else np.inf
        fix = (f"use wavelengths >= {_MIN_CELLS * g.n_core * g.dl:.3g} µm or a grid_spacing <= "
               f"{shortest / (_MIN_CELLS * g.n_core):.3g} µm")
        if lams.size and cells.min() < _MIN_CELLS:
            raise ValueError(
                f"{name}: the wavelength {shortest:g} µm in {source} spans only {cells.min():.2f} grid "
                f"cells in the core (wavelength / (sqrt(eps_core) * grid_spacing) with "
                f"eps_core={self.eps_core!r}, grid_spacing={self.grid_spacing!r}); the FDFD "
                f"grid needs at least {_MIN_CELLS:g} cells per wavelength in the core "
                f"({_GOOD_CELLS:g} or more recommended): {fix}.")
        if warn and lams.size and cells.min() < _GOOD_CELLS:
            warnings.warn(
                f"{name}: the wavelength {shortest:g} µm spans {cells.min():.2f} grid cells in "
                f"the core (eps_core={self.eps_core!r}, grid_spacing={self.grid_spacing!r}), "
                f"fewer than the {_GOOD_CELLS:g} recommended: the discretisation error is "
                "several percent in the guided mode's effective index. Use a grid_spacing <= "
                f"{shortest / (_GOOD_CELLS * g.n_core):.3g} µm for an accurate design.",
                UserWarning, stacklevel=4)
        if lams.size:
            longest = float(lams.max())
            psi, _ = self._fdfd.mode(g.line, longest)
            leak = g.mode_leak(psi)
            if leak > _MAX_MODE_LEAK:
                raise ValueError(
                    f"{name}: at the wavelength {longest:g} µm in {source} the guided mode of the "
                    f"{self.waveguide_width!r} µm waveguide is not confined to the simulation "
                    f"window: {100 * leak:.2g} % of its power lies in the PML (at most "
                    f"{100 * _MAX_MODE_LEAK:g} % allowed). Use shorter wavelengths, a larger "
                    "margin or a wider waveguide_width.")
            overlap = g.port_overlap(psi)
            if overlap > _MAX_PORT_OVERLAP:
                raise ValueError(
                    f"{name}: at the wavelength {longest:g} µm in {source} the output "
                    f"waveguides are coupled: the modes of neighbouring ports overlap by "
                    f"{100 * overlap:.2g} % (at most {100 * _MAX_PORT_OVERLAP:g} % allowed; "
                    "the port transmissions would count the same power twice). Use a larger "
                    "port_spacing or design_size, or shorter wavelengths.")

    def _validate_X(self, X):
        """``X`` for prediction: validated, and its distinct wavelengths checked."""
        X = validate_data(self, X, reset=False, dtype=np.float64)
        self._check_wavelengths(np.unique(X), warn=False)
        return X

    # ---- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Design the device.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Free-space wavelengths (µm, positive); each row is a channel sampled at
            ``n_features`` wavelengths.
        y : array-like of shape (n_samples,)
            Output port of each channel.

        Returns
        -------
        self : object
            The fitted designer.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, target = np.unique(y, return_inverse=True)
        self._setup(len(classes))
        lams, inverse = np.unique(X, return_inverse=True)
        self._check_wavelengths(lams, warn=True)
        self.classes_ = classes
        self.grid_shape_ = self._geom.shape
        self.wavelengths_ = lams
        n_ports = len(classes)
        # the objective is a sum over the entries (channel, column) of X: per entry its
        # wavelength, the target port and the mask of the wrong ports
        entry_lam = inverse.ravel()
        entry_target = np.repeat(target, X.shape[1])
        wrong = np.ones((entry_lam.size, n_ports))
        wrong[np.arange(entry_lam.size), entry_target] = 0.0
        blocks = []
        for b in self._blocks(lams.size):
            rows = np.flatnonzero(np.isin(entry_lam, b))
            local = np.searchsorted(b, entry_lam[rows])
            blocks.append((b, torch.from_numpy(local), torch.from_numpy(entry_target[rows]),
                           torch.from_numpy(wrong[rows])))
        n_entries = entry_lam.size

        rng = np.random.RandomState(draw_seed(self.random_state))
        rho = torch.from_numpy(0.5 + 0.01 * rng.standard_normal(self._geom.design_shape))
        rho.requires_grad_(True)
        state = {"rho": rho, "opt": torch.optim.Adam([rho], lr=self.learning_rate)}
        n = self.max_iter

        def step(it, state):
            rho, opt = state["rho"], state["opt"]
            beta = float(self.beta_max ** (it / max(n - 1, 1)))
            opt.zero_grad()
            eps = self._structure(self._project(rho, beta))
            leaf = eps.detach().requires_grad_(True)
            loss = 0.0
            for b, local, tgt, wrong_b in blocks:  # one block's LU alive at a time
                T = self._block_transmissions(leaf, lams[b])[local]
                t_target = T.gather(1, tgt[:, None])[:, 0]
                part = (-torch.log(t_target + 1e-9) + self.crosstalk_weight
                        * torch.log1p(100 * (T * wrong_b).sum(1))).sum() / n_entries
                part.backward()
                loss += part.item()
                del T, t_target, part
            if math.isfinite(loss):
                eps.backward(leaf.grad)
                opt.step()
                with torch.no_grad():
                    rho.clamp_(0.0, 1.0)
            return {"loss": loss, "beta": beta}

        def snapshot(state):
            return {"rho": state["rho"].detach().clone(),
                    "opt": copy.deepcopy(state["opt"].state_dict())}

        def restore(state, snap):
            with torch.no_grad():
                state["rho"].copy_(snap["rho"])
            state["opt"].load_state_dict(snap["opt"])

        driver = IterationDriver(self, n, callbacks=self.callbacks, verbose=int(self.verbose),
                                 desc=type(self).__name__)

        def publish(state):
            self._publish(state["rho"].detach(), driver, X, target)

        driver.run(step, state, snapshot=snapshot, restore=restore, publish=publish,
                   divergence_hint="Lower learning_rate.")
        return self

    def _publish(self, rho, driver, X, target):
        """Write the design ``rho`` and the driver's history into the fitted attributes."""
        self.history_ = driver.history_list()
        self.loss_curve_ = [float(v) for v in driver.records("loss")]
        self.n_iter_ = driver.n_iter
        with torch.no_grad():
            projected = self._project(rho, self.beta_max)
        self.density_ = projected.numpy()
        binary = torch.from_numpy((self.density_ > 0.5).astype(np.float64))
        self.permittivity_ = (self.eps_clad + binary * (self.eps_core - self.eps_clad)).numpy()
        self.structure_ = self._structure(binary).numpy()
        T = self._port_transmissions(X)
        self.transmission_ = T
        rows = np.arange(len(target))
        t_target = T[rows, target]
        self.insertion_loss_ = 10 * np.log10(np.maximum(t_target, 1e-300))
        others = T.copy()
        others[rows, target] = 0.0
        others = others.max(1) if T.shape[1] > 1 else np.zeros(len(target))
        self.crosstalk_ = 10 * np.log10(np.maximum(others, 1e-300) / np.maximum(t_target, 1e-300))

    # ---- persistence ----------------------------------------------------------------------
    def __getstate__(self):
        # plain Python and numpy only (skops loads it without running code): the simulation
        # objects (grid, operators, the filter kernel tensor) are rebuilt on load
        state = dict(super().__getstate__())
        for key in ("_geom", "_fdfd", "_kernel"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "classes_" in state:
            self._setup(len(self.classes_))

    # ---- prediction ---------------------------------------------------------------------
    def _port_transmissions(self, X):
        lams, inverse = np.unique(X, return_inverse=True)
        T = self._transmissions(self.structure_, lams)
        return T[inverse.reshape(X.shape)].mean(1)

    def transmission(self, X):
        """Power transmission of the fitted device into each port.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm); each row is averaged over its columns.

        Returns
        -------
        T : ndarray of shape (n_samples, n_ports)
            Transmission into each port (columns ordered as ``classes_``), normalised to a
            straight waveguide.
        """
        check_is_fitted(self)
        return self._port_transmissions(self._validate_X(X))

    def spectrum(self, wavelengths):
        """Transmission spectrum of the fitted device.

        Parameters
        ----------
        wavelengths : array-like of shape (n_wavelengths,)
            Free-space wavelengths (µm).

        Returns
        -------
        T : ndarray of shape (n_wavelengths, n_ports)
            Transmission into each port at each wavelength.
        """
        check_is_fitted(self)
        lams = np.asarray(wavelengths, dtype=np.float64).ravel()
        self._check_wavelengths(np.unique(lams), warn=False, source="wavelengths")
        return self._transmissions(self.structure_, lams)

    def fields(self, wavelength):
        """Complex Ez on the simulation grid at ``wavelength`` (µm), shape ``grid_shape_``."""
        check_is_fitted(self)
        lam = np.asarray([wavelength], dtype=np.float64).ravel()
        self._check_wavelengths(lam, warn=False, source="wavelength")
        _, e = self._block_transmissions(self.structure_, lam, fields=True)
        return e[0]

    def predict_proba(self, X):
        """Fraction of the transmitted power that reaches each port.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_ports)
            ``T / T.sum(1)``, columns ordered as ``classes_``.
        """
        T = self.transmission(X)
        total = T.sum(1, keepdims=True)
        return np.where(total > 0, T / np.where(total > 0, total, 1.0), 1.0 / T.shape[1])

    def predict(self, X):
        """The port that receives the most power.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm).

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Port labels.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.transmission(X), axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean transmission into the target port (1 is a lossless, crosstalk-free device).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Wavelengths (µm).
        y : array-like of shape (n_samples,)
            Target ports.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Weighted mean of the target-port transmission.
        """
        T = self.transmission(X)
        y = np.asarray(y).ravel()
        cols = np.searchsorted(self.classes_, y)
        cols = np.clip(cols, 0, len(self.classes_) - 1)
        ok = self.classes_[cols] == y
        t = np.where(ok, T[np.arange(len(y)), cols], 0.0)
        return float(np.average(t, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # a device routes physical wavelengths; random blobs are not separable by one
        tags.classifier_tags.poor_score = True
        tags.input_tags.positive_only = True  # wavelengths
        return tags

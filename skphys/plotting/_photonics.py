"""Displays for photonic devices: permittivity, fields and transmission spectra."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["DeviceDisplay"]


class DeviceDisplay:
    """A fitted device at a glance: permittivity map, ``|Ez|`` at each design wavelength, spectra.

    Create it with :meth:`from_estimator` from a fitted
    :class:`~skphys.photonics.InverseDeviceDesigner`, or directly from arrays.

    Parameters
    ----------
    structure : ndarray of shape (nx, ny)
        Permittivity of the simulation grid.
    grid_spacing : float
        Cell size (µm), for the axes.
    fields : dict of {float: ndarray of shape (nx, ny)}, default=None
        Complex Ez at some wavelengths (µm); ``|Ez|`` is drawn over the device outline.
    wavelengths : ndarray of shape (n_wavelengths,) or None, default=None
        Wavelengths (µm) of the spectrum.
    spectrum : ndarray of shape (n_wavelengths, n_ports) or None, default=None
        Transmission into each port.
    port_labels : sequence of str or None, default=None
        Legend labels of the ports.
    design_wavelengths : sequence of float or None, default=None
        Marked on the spectrum.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        Permittivity, field and spectrum axes, in that order.
    spectrum_lines_ : list of matplotlib Line2D
        One line per port (empty without a spectrum).
    figure_ : matplotlib Figure
        Figure of the axes.

    See Also
    --------
    skphys.photonics.InverseDeviceDesigner : Fits the device.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skphys.photonics import InverseDeviceDesigner
    >>> from skphys.plotting import DeviceDisplay
    >>> est = InverseDeviceDesigner(design_size=1.6, grid_spacing=0.08, margin=0.5,
    ...                             pml_thickness=0.4, max_iter=2, random_state=0)
    >>> est = est.fit([[1.55], [1.30]], [0, 1])
    >>> disp = DeviceDisplay.from_estimator(est, wavelengths=np.linspace(1.2, 1.65, 4))
    >>> len(disp.axes_), len(disp.spectrum_lines_)
    (4, 2)
    """

    def __init__(self, structure, grid_spacing, *, fields=None, wavelengths=None, spectrum=None,
                 port_labels=None, design_wavelengths=None):
        self.structure = structure
        self.grid_spacing = grid_spacing
        self.fields = fields
        self.wavelengths = wavelengths
        self.spectrum = spectrum
        self.port_labels = port_labels
        self.design_wavelengths = design_wavelengths

    @classmethod
    def from_estimator(cls, estimator, *, design_wavelengths=None, wavelengths=None, axes=None):
        """Plot a fitted :class:`~skphys.photonics.InverseDeviceDesigner`.

        Parameters
        ----------
        estimator : InverseDeviceDesigner
            A fitted designer.
        design_wavelengths : sequence of float or None, default=None
            Wavelengths (µm) whose fields are drawn; None: the training wavelengths
            (``estimator.wavelengths_``).
        wavelengths : array-like or None, default=None
            Wavelengths (µm) of the spectrum; None draws no spectrum.
        axes : sequence of matplotlib Axes or None, default=None
            ``2 + len(design_wavelengths)`` axes; None makes a new figure.

        Returns
        -------
        display : DeviceDisplay
            The display, plotted.
        """
        check_is_fitted(estimator, "structure_")
        if design_wavelengths is None:
            design_wavelengths = estimator.wavelengths_
        fields = {float(lam): estimator.fields(lam) for lam in design_wavelengths}
        spectrum = None
        if wavelengths is not None:
            wavelengths = np.asarray(wavelengths, dtype=float)
            spectrum = estimator.spectrum(wavelengths)
        disp = cls(estimator.structure_, estimator._geom.dl, fields=fields,
                   wavelengths=wavelengths, spectrum=spectrum,
                   port_labels=[f"port {c}" for c in estimator.classes_],
                   design_wavelengths=list(design_wavelengths))
        return disp.plot(axes=axes)

    def plot(self, axes=None):
        """Draw the panels.

        Parameters
        ----------
        axes : sequence of matplotlib Axes or None, default=None
            One axes per panel (permittivity, each field, spectrum); None makes a figure.

        Returns
        -------
        display : DeviceDisplay
            This display.
        """
        import matplotlib.pyplot as plt

        fields = self.fields or {}
        n = 1 + len(fields) + (self.spectrum is not None)
        if axes is None:
            _, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.2))
        axes = np.atleast_1d(np.asarray(axes, dtype=object))
        eps = np.asarray(self.structure)
        nx, ny = eps.shape
        extent = (0, nx * self.grid_spacing, 0, ny * self.grid_spacing)
        ax = axes[0]
        ax.imshow(eps.T, origin="lower", extent=extent, cmap="Greys")
        ax.set(title="permittivity", xlabel="x (µm)", ylabel="y (µm)")
        for ax, (lam, ez) in zip(axes[1:], fields.items()):
            ax.imshow(np.abs(ez).T, origin="lower", extent=extent, cmap="magma")
            ax.contour(eps.T, levels=[0.5 * (eps.min() + eps.max())], colors="w",
                       linewidths=0.4, extent=extent)
            ax.set(title=f"|Ez| at {lam * 1000:.0f} nm", xlabel="x (µm)")
        self.spectrum_lines_ = []
        if self.spectrum is not None:
            ax = axes[1 + len(fields)]
            T = np.asarray(self.spectrum)
            labels = self.port_labels or [f"port {k}" for k in range(T.shape[1])]
            for k in range(T.shape[1]):
                (line,) = ax.plot(np.asarray(self.wavelengths) * 1000,
                                  10 * np.log10(np.maximum(T[:, k], 1e-6)), label=labels[k])
                self.spectrum_lines_.append(line)
            for lam in self.design_wavelengths or ():
                ax.axvline(lam * 1000, color="grey", linestyle=":")
            ax.set(title="transmission", xlabel="wavelength (nm)", ylabel="dB", ylim=(-40, 1))
            ax.legend(fontsize="small")
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self

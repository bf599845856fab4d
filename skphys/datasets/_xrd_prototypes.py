"""Real structure types (rock salt, rutile, corundum, quartz, kyanite, ...) and their patterns."""

import json
from importlib import resources
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._torch import draw_seed
from ._xrd_pattern import ProfileRenderer, _require, cell_matrix, reflections


def _read():
    text = resources.files("skphys.datasets").joinpath("data/xrd_prototypes.json").read_text()
    return json.loads(text)


def _expand(entry):
    """Lattice (3, 3), fractional positions and element symbols of the whole cell."""
    from ._xrd_spacegroups import SpaceGroup, space_group

    g = SpaceGroup(entry["hall_number"]) if "hall_number" in entry else space_group(
        entry["space_group"])
    positions, species = [], []
    for symbol, *x in entry["sites"]:
        orbit = g.full_orbit(np.array(x, dtype=float))
        positions.append(orbit)
        species += [symbol] * len(orbit)
    return cell_matrix(*entry["cell"]), np.concatenate(positions), np.array(species), g


@validate_params(
    {
        "target": [StrOptions({"crystal_system", "bravais_lattice", "space_group"})],
        "two_theta_range": [tuple, list],
        "n_points": [Interval(Integral, 16, None, closed="left")],
        "wavelength": [Interval(Real, 0, None, closed="neither")],
        "peak_width": [Interval(Real, 0, None, closed="neither")],
        "lorentz_fraction": [Interval(Real, 0, 1, closed="both")],
        "B_iso": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "return_X_y": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def load_xrd_prototypes(*, target="space_group", two_theta_range=(5.0, 90.0), n_points=1701,
                        wavelength=1.5406, peak_width=0.1, lorentz_fraction=0.5, B_iso=0.5,
                        noise=0.0, return_X_y=False, random_state=None):
    """Powder patterns of 36 real structure types, built from their published Wyckoff positions.

    The stand-in for measured patterns when testing a classifier trained on
    :func:`make_xrd_patterns`: rock salt, CsCl, diamond, zinc blende, fluorite, perovskite,
    spinel, pyrite, fcc/bcc metals, Cu3Au, cuprite (cubic); wurtzite, graphite, hcp Mg, NiAs,
    molybdenite, h-BN (hexagonal); corundum, alpha quartz, calcite, Bi2Te3, CdI2 (trigonal);
    rutile, anatase, zircon, chalcopyrite, CuAu (tetragonal); forsterite, marcasite,
    andalusite, iodine (orthorhombic); tenorite, baddeleyite, beta-Ga2O3 (monoclinic);
    kyanite (triclinic). Room-temperature cells and coordinates from the literature
    (``skphys/datasets/data/xrd_prototypes.json`` says where from); the independent sites
    are expanded with the space group's operations (spglib), and the tests check that spglib
    finds each structure's group, its formula and its bond lengths. The patterns are
    computed as :func:`xrd_pattern` does, on the grid of :func:`make_xrd_patterns`, each
    scaled to a maximum of 1. Needs the ``xrd`` extra.

    Parameters
    ----------
    target : {"crystal_system", "bravais_lattice", "space_group"}, default="space_group"
        What ``target`` holds (as in :func:`make_xrd_patterns`: crystal systems are indices
        into :data:`CRYSTAL_SYSTEMS`).
    two_theta_range : (float, float), default=(5.0, 90.0)
        The 2theta range in degrees.
    n_points : int, default=1701
        Points of the 2theta grid.
    wavelength : float, default=1.5406
        X-ray wavelength in angstrom (Cu K-alpha1).
    peak_width : float, default=0.1
        FWHM of the peaks in degrees at low angle (growing as ``1 + tan theta``).
    lorentz_fraction : float, default=0.5
        Lorentzian fraction of the pseudo-Voigt peaks.
    B_iso : float, default=0.5
        Isotropic Debye-Waller factor in angstrom^2.
    noise : float, default=0.0
        Standard deviation of Gaussian noise relative to the strongest peak.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise.

    Returns
    -------
    data : Bunch
        ``data`` (36, n_points) float32 patterns; ``target``; ``two_theta`` (the grid);
        ``name``, ``formula``, ``mineral``, ``space_group`` (number),
        ``space_group_symbol``, ``crystal_system`` and ``bravais_lattice`` per structure;
        ``structures`` (a list of Bunch with ``lattice`` (3, 3), ``positions``,
        ``species`` and ``cell``); ``DESCR``.
    (data, target) : tuple if ``return_X_y``

    See Also
    --------
    make_xrd_patterns : Patterns of random crystals for training.
    xrd_pattern : The pattern of any crystal.

    Examples
    --------
    >>> from skphys.datasets import load_xrd_prototypes
    >>> protos = load_xrd_prototypes(n_points=851)
    >>> protos.data.shape, int(protos.target[protos.name.tolist().index("rutile")])
    ((36, 851), 136)
    >>> sorted(set(protos.crystal_system.tolist()))[:3]
    ['cubic', 'hexagonal', 'monoclinic']
    """
    from ._xrd import CRYSTAL_SYSTEMS

    _require("spglib")
    lo, hi = (float(v) for v in two_theta_range)
    if not 0 < lo < hi < 180:
        raise ValueError(f"two_theta_range must satisfy 0 < low < high < 180, got "
                         f"{two_theta_range}.")
    doc = _read()
    grid = np.linspace(lo, hi, n_points)
    renderer = ProfileRenderer(grid, max_fwhm=2 * peak_width)
    centres, intensities, structures, groups = [], [], [], []
    for entry in doc["prototypes"]:
        lattice, positions, species, g = _expand(entry)
        refl = reflections(lattice, positions, species, laue=g.laue,
                           wavelength=wavelength, two_theta_max=min(hi + 2.0, 179.0),
                           B_iso=B_iso)
        centres.append(refl.two_theta)
        intensities.append(refl.intensity)
        structures.append(Bunch(lattice=lattice, positions=positions, species=species,
                                cell=np.array(entry["cell"], dtype=float)))
        groups.append(g)
    n = len(structures)
    X = renderer.render(centres, intensities, np.full(n, peak_width),
                        np.full(n, lorentz_fraction))
    X /= X.max(axis=1, keepdims=True)
    if noise > 0:
        rng = np.random.default_rng(draw_seed(random_state))
        X += noise * rng.standard_normal(X.shape)
        X /= X.max(axis=1, keepdims=True)
    bunch = Bunch(
        data=X.astype(np.float32),
        two_theta=grid,
        name=np.array([e["name"] for e in doc["prototypes"]]),
        formula=np.array([e["formula"] for e in doc["prototypes"]]),
        mineral=np.array([e["mineral"] for e in doc["prototypes"]]),
        space_group=np.array([g.number for g in groups]),
        space_group_symbol=np.array([g.symbol for g in groups]),
        crystal_system=np.array([g.crystal_system for g in groups]),
        bravais_lattice=np.array([g.bravais_lattice for g in groups]),
        structures=structures,
        DESCR=doc["description"],
    )
    if target == "crystal_system":
        bunch.target = np.array([CRYSTAL_SYSTEMS.index(s) for s in bunch.crystal_system])
    elif target == "bravais_lattice":
        bunch.target = bunch.bravais_lattice
    else:
        bunch.target = bunch.space_group
    return (bunch.data, bunch.target) if return_X_y else bunch

"""RadialDistributionFeaturizer: crystal structures -> (partial) radial distribution functions."""

from itertools import combinations_with_replacement
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

__all__ = ["RadialDistributionFeaturizer"]


def _import_ase():
    try:
        from ase import Atoms
        from ase.geometry.rdf import get_rdf
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "RadialDistributionFeaturizer needs the 'ase' package (Atomic Simulation "
            "Environment), which is not installed. Install the materials extra: "
            "pip install 'skphys[materials]'  (or: pip install ase)") from exc
    return Atoms, get_rdf


class RadialDistributionFeaturizer(TransformerMixin, BaseEstimator):
    """Crystal structures to their radial distribution functions g(r), total or partial.

    The structure descriptor of Schütt et al. (2014): the radial distribution function of a
    periodic crystal, histogrammed on ``n_bins`` shells up to ``r_max``; with
    ``partial=True`` one function ``g_AB(r)`` per pair of elements (their "partial radial
    distribution functions"). g(r) is computed by the Atomic Simulation Environment
    (``ase.geometry.rdf.get_rdf``, the ``skphys[materials]`` extra) on a supercell large
    enough to hold a sphere of radius ``r_max``; it is normalised by the number density, so
    g(r) -> 1 at large r and ``4 pi r^2 rho g(r) dr`` counts neighbours.

    Parameters
    ----------
    r_max : float, default=6.0
        Largest distance, in the units of the structures' cells (angstrom for ase).
    n_bins : int, default=60
        Number of distance shells of width ``r_max / n_bins``.
    partial : bool, default=False
        One g(r) per unordered pair of elements (``g_AB = g_BA``) instead of the total one.
    species : list of str, default=None
        Elements of the partial functions; default those found in ``fit``. Pairs with an
        element a structure does not hold are zero.

    Attributes
    ----------
    species_ : list of str
        The elements of the partial functions (``partial=True``), else ``[]``.
    pairs_ : list of tuple
        The element pairs, in the order of the output blocks.
    bin_centers_ : ndarray of shape (n_bins,)
        The middle of each distance shell.

    See Also
    --------
    CompositionFeaturizer : features from the chemical formula alone.

    Notes
    -----
    Structures are :class:`ase.Atoms` with a periodic cell (pymatgen structures are
    converted with their ``to_ase_atoms`` method). With ``c_A`` the atomic fractions, the
    partial functions add up to the total one: ``g = sum_A c_A^2 g_AA + 2 sum_{A<B} c_A
    c_B g_AB`` (ase's convention, as LAMMPS's ``compute rdf``).

    References
    ----------
    K. T. Schütt, H. Glawe, F. Brockherde, A. Sanna, K. R. Müller, E. K. U. Gross, "How to
    represent crystal structures for machine learning: towards fast prediction of
    electronic properties", Phys. Rev. B 89, 205118 (2014).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from skphys.feature_extraction import RadialDistributionFeaturizer
    >>> rdf = RadialDistributionFeaturizer(r_max=4.0, n_bins=40)
    >>> g = rdf.fit_transform([bulk("Cu", "fcc", a=3.615)])
    >>> float(rdf.bin_centers_[g[0].argmax()])  # nearest neighbours at a / sqrt(2)
    2.55
    """

    _parameter_constraints = {
        "r_max": [Interval(Real, 0, None, closed="neither")],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "partial": ["boolean"],
        "species": [list, tuple, None],
    }

    def __init__(self, r_max=6.0, n_bins=60, *, partial=False, species=None):
        self.r_max = r_max
        self.n_bins = n_bins
        self.partial = partial
        self.species = species

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the elements of the partial functions (nothing else is learned).

        Parameters
        ----------
        X : list of ase.Atoms
            Periodic structures.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        structures = _structures(X)
        if self.partial:
            if self.species is not None:
                species = list(self.species)
            else:
                found = {s for atoms in structures for s in atoms.get_chemical_symbols()}
                species = sorted(found, key=_atomic_number)
            self.species_ = species
            self.pairs_ = list(combinations_with_replacement(species, 2))
        else:
            self.species_ = []
            self.pairs_ = [("all", "all")]
        edges = np.linspace(0.0, self.r_max, self.n_bins + 1)
        self.bin_centers_ = 0.5 * (edges[1:] + edges[:-1])
        return self

    def transform(self, X):
        """Radial distribution functions of structures.

        Parameters
        ----------
        X : list of ase.Atoms
            Periodic structures.

        Returns
        -------
        X_new : ndarray of shape (n_structures, n_pairs * n_bins)
            g(r) on the shells ``bin_centers_``, one block of ``n_bins`` per pair.
        """
        check_is_fitted(self, "pairs_")
        _, get_rdf = _import_ase()
        out = np.zeros((len(X), len(self.pairs_), self.n_bins))
        for k, atoms in enumerate(_structures(X)):
            cell = _supercell(atoms, self.r_max)
            symbols = set(atoms.get_chemical_symbols())
            for j, pair in enumerate(self.pairs_):
                if pair == ("all", "all"):
                    out[k, j] = get_rdf(cell, self.r_max, self.n_bins, no_dists=True)
                elif set(pair) <= symbols:
                    out[k, j] = get_rdf(cell, self.r_max, self.n_bins, elements=pair,
                                        no_dists=True)
        return out.reshape(len(X), -1)

    def get_feature_names_out(self, input_features=None):
        """Names ``g_<r>`` or ``g_<A>-<B>_<r>``, with r the middle of the shell.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "pairs_")
        names = []
        for a, b in self.pairs_:
            prefix = "g" if a == "all" else f"g_{a}-{b}"
            names += [f"{prefix}_{r:.3f}" for r in self.bin_centers_]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = False
        return tags


def _atomic_number(symbol):
    from ._elements import symbols

    return symbols().index(symbol) if symbol in symbols() else len(symbols())


def _structures(X):
    """X as a list of ase.Atoms with a periodic, non-degenerate cell."""
    Atoms, _ = _import_ase()
    if isinstance(X, Atoms):
        raise ValueError("Expected a list of structures, got a single ase.Atoms (wrap it in "
                         "a list: [atoms]).")
    out = []
    for k, atoms in enumerate(X):
        if not isinstance(atoms, Atoms) and hasattr(atoms, "to_ase_atoms"):
            atoms = atoms.to_ase_atoms()  # pymatgen Structure
        if not isinstance(atoms, Atoms):
            raise TypeError(f"X[{k}] is {type(atoms).__name__}, not an ase.Atoms structure.")
        if not atoms.pbc.all() or atoms.cell.rank < 3 or len(atoms) == 0:
            raise ValueError(f"X[{k}] ({atoms.get_chemical_formula()}) is not a periodic "
                             "crystal: it needs atoms, a 3-D cell and pbc=True.")
        out.append(atoms)
    if not out:
        raise ValueError("Found 0 structures while a minimum of 1 is required.")
    return out


def _supercell(atoms, r_max):
    """``atoms`` repeated until every cell height exceeds 2 r_max (as get_rdf requires)."""
    cell = np.asarray(atoms.cell)
    volume = abs(np.linalg.det(cell))
    heights = [volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3]))
               for i in range(3)]
    reps = [int(np.floor(2 * r_max / h)) + 1 for h in heights]
    return atoms.repeat(reps) if max(reps) > 1 else atoms

"""CompositionFeaturizer: chemical formulas -> statistics of elemental properties."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._elements import ELEMENT_PROPERTIES, property_table, symbols
from ._formula import FormulaError, parse_formula

__all__ = ["STATISTICS", "CompositionFeaturizer"]

#: statistic -> definition, for element fractions p_i (sum 1) and property values t_i of the
#: N elements of a formula; w_i = t_i / sum t, A_i = p_i w_i / sum p w (Hamidieh 2018).
STATISTICS = {
    "mean": "mean of t over the elements, (1/N) sum t_i",
    "wtd_mean": "fraction-weighted mean, sum p_i t_i",
    "gmean": "geometric mean, (prod t_i)^(1/N) (0 if some t_i <= 0)",
    "wtd_gmean": "weighted geometric mean, prod t_i^p_i (0 if some t_i <= 0)",
    "entropy": "entropy of the shares w_i of the total, -sum w_i ln w_i",
    "wtd_entropy": "entropy of the weighted shares A_i, -sum A_i ln A_i",
    "range": "max t_i - min t_i",
    "wtd_range": "max p_i t_i - min p_i t_i",
    "std": "standard deviation, sqrt((1/N) sum (t_i - mean)^2)",
    "wtd_std": "weighted standard deviation, sqrt(sum p_i (t_i - wtd_mean)^2)",
    "min": "smallest t_i",
    "max": "largest t_i",
    "avg_dev": "mean absolute deviation, sum p_i |t_i - wtd_mean|",
    "mode": "t of the most abundant element (the smallest t on a tie)",
}

_PRESETS = {
    # Hamidieh, Comput. Mater. Sci. 154, 346 (2018): 8 properties x 10 statistics + count,
    # named and ordered as the columns of the UCI train.csv
    "hamidieh": {
        "properties": ("atomic_weight", "first_ionization_energy", "atomic_radius", "density",
                       "electron_affinity", "fusion_heat", "thermal_conductivity", "valence"),
        "stats": ("mean", "wtd_mean", "gmean", "wtd_gmean", "entropy", "wtd_entropy", "range",
                  "wtd_range", "std", "wtd_std"),
        "aliases": {"atomic_weight": "atomic_mass", "first_ionization_energy": "fie",
                    "density": "Density", "electron_affinity": "ElectronAffinity",
                    "fusion_heat": "FusionHeat", "thermal_conductivity": "ThermalConductivity",
                    "valence": "Valence"},
    },
    # Ward et al., npj Comput. Mater. 2, 16028 (2016), as matminer's ElementProperty
    # "magpie" preset: the statistics of Magpie over the properties mendeleev carries
    "magpie": {
        "properties": ("atomic_number", "mendeleev_number", "atomic_weight", "melting_point",
                       "group", "period", "covalent_radius", "electronegativity",
                       "ns_valence", "np_valence", "nd_valence", "nf_valence", "n_valence",
                       "ns_unfilled", "np_unfilled", "nd_unfilled", "nf_unfilled",
                       "n_unfilled"),
        "stats": ("min", "max", "range", "wtd_mean", "avg_dev", "mode"),
        "aliases": {},
    },
}


class CompositionFeaturizer(TransformerMixin, BaseEstimator):
    """Chemical formulas to statistics of elemental properties weighted by composition.

    Each formula (``"YBa2Cu3O7"``, ``"MgB2"``, ``"Ba0.2La1.8CuO4"``, ``"(Ba0.6K0.4)Fe2As2"``)
    is read into element fractions ``p_i`` (summing to 1), each element ``i`` gets its value
    ``t_i`` of every property, and each property is summarised by statistics such as the
    mean, the fraction-weighted mean, geometric means, entropies, ranges and standard
    deviations. Two feature sets of the literature are presets:

    - ``"hamidieh"``: the 81 features of Hamidieh (2018) for the UCI superconductivity data:
      the number of elements, then 10 statistics of 8 properties (atomic mass, first
      ionisation energy, atomic radius, density, electron affinity, fusion heat, thermal
      conductivity, valence), with the column names of the UCI ``train.csv``;
    - ``"magpie"``: the Magpie statistics (Ward et al. 2016; matminer's ``ElementProperty``
      "magpie" preset: minimum, maximum, range, weighted mean, mean absolute deviation and
      mode) of 18 Magpie properties: 108 features.

    Elemental data come from the mendeleev package (install ``skphys[materials]``).

    Parameters
    ----------
    preset : {"magpie", "hamidieh"}, default="magpie"
        The feature set; ``properties`` and ``stats`` override its parts (then the output
        is ``<stat>_<property>`` for each pair, without Hamidieh's ``number_of_elements``).
    properties : list of str, default=None
        Elemental properties, names of :data:`ELEMENT_PROPERTIES`; default the preset's.
    stats : list of str, default=None
        Statistics, names of :data:`STATISTICS`; default the preset's.
    missing : {"impute", "nan", "raise"}, default="impute"
        What an element without a value of a property gets (mendeleev lacks, e.g., the
        thermal conductivity of Ba and As and the fusion heat of O): ``"impute"`` the mean
        of that property over all elements that have it (as matminer's ``impute_nan``),
        ``"nan"`` NaN (its statistics are NaN), ``"raise"`` a ValueError naming the
        formula, element and property.

    Attributes
    ----------
    properties_ : list of str
        The properties used.
    stats_ : list of str
        The statistics used.
    element_properties_ : ndarray of shape (118, n_properties)
        The value of each property for H ... Og after the ``missing`` rule.
    imputed_ : ndarray of bool, shape (118, n_properties)
        Where mendeleev has no value (imputed with ``missing="impute"``).

    See Also
    --------
    parse_formula : reads one formula.
    element_properties : the elemental data, as a table.
    skphys.datasets.fetch_superconductivity : Hamidieh's and Stanev's superconductor data.

    Notes
    -----
    A formula's features depend only on its element fractions, so ``"YBa2Cu3O7"`` and
    ``"Y2Ba4Cu6O14"`` give the same row. With ``p_i``, ``t_i`` as above, ``N`` the number of
    elements, ``w_i = t_i / sum_j t_j`` and ``A_i = p_i w_i / sum_j p_j w_j``, the
    statistics are (Hamidieh 2018, Table 2; Ward et al. 2016): mean ``sum t_i / N``,
    wtd_mean ``sum p_i t_i``, gmean ``(prod t_i)^(1/N)``, wtd_gmean ``prod t_i^p_i``,
    entropy ``-sum w_i ln w_i``, wtd_entropy ``-sum A_i ln A_i``, range ``max t - min t``,
    wtd_range ``max p t - min p t``, std and wtd_std the plain and weighted (population)
    standard deviations, avg_dev ``sum p_i |t_i - wtd_mean|``, mode the value of the most
    abundant element. Geometric means are 0 when a value is 0.

    Where mendeleev's data differ from the tables the papers used (Hamidieh took his from
    Mathematica's ``ElementData``, Magpie from its own files), features differ by as much.
    Magpie's four computed or structural properties (DFT volume, band gap and magnetic
    moment of the elemental solid, its space group) are not in mendeleev and are left out.

    References
    ----------
    K. Hamidieh, "A data-driven statistical model for predicting the critical temperature
    of a superconductor", Comput. Mater. Sci. 154, 346 (2018).

    L. Ward, A. Agrawal, A. Choudhary, C. Wolverton, "A general-purpose machine learning
    framework for predicting properties of inorganic materials", npj Comput. Mater. 2, 16028
    (2016).

    Examples
    --------
    >>> from skphys.feature_extraction import CompositionFeaturizer
    >>> featurizer = CompositionFeaturizer(preset="hamidieh")
    >>> X = featurizer.fit_transform(["MgB2", "YBa2Cu3O7", "Nb3Sn"])
    >>> X.shape
    (3, 81)
    >>> featurizer.get_feature_names_out()[:3].tolist()
    ['number_of_elements', 'mean_atomic_mass', 'wtd_mean_atomic_mass']
    >>> [round(float(v), 3) for v in X[:, 2]]  # mean atomic mass per atom
    [15.308, 51.245, 99.357]
    """

    _parameter_constraints = {
        "preset": [StrOptions(set(_PRESETS))],
        "properties": [list, tuple, None],
        "stats": [list, tuple, None],
        "missing": [StrOptions({"impute", "nan", "raise"})],
    }

    def __init__(self, preset="magpie", *, properties=None, stats=None, missing="impute"):
        self.preset = preset
        self.properties = properties
        self.stats = stats
        self.missing = missing

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the parameters and load the elemental data; the formulas are not needed.

        Parameters
        ----------
        X : array-like of str, default=None
            Ignored (formulas are featurized one by one); accepted for pipelines.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        preset = _PRESETS[self.preset]
        for name, given, known in (("properties", self.properties, ELEMENT_PROPERTIES),
                                   ("stats", self.stats, STATISTICS)):
            if given is None:
                continue
            if len(given) == 0:
                raise ValueError(f"{name} must not be empty.")
            unknown = [g for g in given if g not in known]
            if unknown:
                raise ValueError(f"unknown {name} {unknown}; choose from {sorted(known)}.")
        self.properties_ = list(preset["properties"] if self.properties is None
                                else self.properties)
        self.stats_ = list(preset["stats"] if self.stats is None else self.stats)
        table = np.array(property_table(self.properties_))
        self.imputed_ = np.isnan(table)
        if self.missing == "impute":
            table = np.where(self.imputed_, np.nanmean(table, axis=0), table)
        self.element_properties_ = table
        if X is not None:
            _formulas(X)  # bad input fails at fit, as sklearn's vectorizers
        return self

    def transform(self, X):
        """Featurize formulas.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)
            Chemical formulas (a list, array, pandas Series or one-column DataFrame).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The features, float64, named by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "element_properties_")
        formulas = _formulas(X)
        index = {s: i for i, s in enumerate(symbols())}
        comps = []
        for k, formula in enumerate(formulas):
            try:
                comps.append(parse_formula(formula, symbols=index))
            except TypeError as exc:
                raise TypeError(f"X[{k}]: {exc}") from None
            except FormulaError as exc:
                raise FormulaError(exc.formula, exc.position,
                                   f"{exc.reason} (sample {k})") from None
        width = max(len(c) for c in comps)
        idx = np.zeros((len(comps), width), dtype=np.intp)
        amount = np.zeros((len(comps), width))
        for k, comp in enumerate(comps):
            idx[k, :len(comp)] = [index[el] for el in comp]
            amount[k, :len(comp)] = list(comp.values())
        present = amount > 0
        if self.missing == "raise":
            self._raise_missing(formulas, idx, present)
        frac = amount / amount.sum(axis=1, keepdims=True)
        columns = _statistics(self.element_properties_[idx], frac[..., None],
                              present[..., None], self.stats_)
        out = np.stack([columns[s] for s in self.stats_], axis=2)  # (n, q, n_stats)
        out = out.reshape(len(comps), -1)
        if self.preset == "hamidieh" and self.properties is None and self.stats is None:
            out = np.column_stack([present.sum(axis=1).astype(float), out])
        return out

    def _raise_missing(self, formulas, idx, present):
        bad = self.imputed_[idx] & present[..., None]
        if bad.any():
            k, j, q = np.argwhere(bad)[0]
            raise ValueError(
                f"formula {formulas[k]!r} (sample {k}): mendeleev has no "
                f"{self.properties_[q]} for {symbols()[idx[k, j]]}; use missing='impute' "
                "or missing='nan'.")

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, ``<statistic>_<property>``.

        The ``"hamidieh"`` preset uses the column names of the UCI ``train.csv``
        (``mean_atomic_mass``, ``wtd_entropy_ThermalConductivity``, ...).

        Parameters
        ----------
        input_features : None
            Ignored (the input is one column of formulas).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "element_properties_")
        aliases = _PRESETS[self.preset]["aliases"]
        names = [f"{s}_{aliases.get(p, p)}" for p in self.properties_ for s in self.stats_]
        if self.preset == "hamidieh" and self.properties is None and self.stats is None:
            names = ["number_of_elements", *names]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


def _formulas(X):
    """The formulas of X (1-D, or one column), as a list; sklearn-style errors otherwise."""
    if isinstance(X, str):
        raise ValueError("Iterable over raw formula strings expected, string object received "
                         "(wrap a single formula in a list: [formula]).")
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # DataFrame
        if X.shape[1] != 1:
            raise ValueError(f"X must be one column of formulas, got {X.shape[1]} columns.")
        X = X.iloc[:, 0]
    values = np.asarray(X, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError("X must be a 1-D sequence of formulas (or one column), got shape "
                         f"{values.shape}.")
    if len(values) == 0:
        raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 is "
                         "required.")
    for k, v in enumerate(values):
        if not isinstance(v, str):
            what = "nan" if isinstance(v, numbers.Real) and v != v else repr(v)
            raise TypeError(f"X[{k}] is {type(v).__name__} ({what}), not a formula string.")
    return list(values)


def _statistics(t, p, m, wanted):
    """Statistics over axis 1 of values t (n, k, q), fractions p (n, k, 1), mask m (n, k, 1)."""
    out = {}
    zero = np.where(m, t, 0.0)
    n_el = m.sum(axis=1)
    mean = zero.sum(axis=1) / n_el
    wmean = (p * zero).sum(axis=1)
    if {"mean", "std"} & set(wanted):
        out["mean"] = mean
        out["std"] = np.sqrt((np.where(m, t - mean[:, None], 0.0) ** 2).sum(axis=1) / n_el)
    out["wtd_mean"] = wmean
    if {"wtd_std", "avg_dev"} & set(wanted):
        dev = np.where(m, t - wmean[:, None], 0.0)
        out["wtd_std"] = np.sqrt((p * dev ** 2).sum(axis=1))
        out["avg_dev"] = (p * np.abs(dev)).sum(axis=1)
    if {"gmean", "wtd_gmean"} & set(wanted):
        with np.errstate(divide="ignore", invalid="ignore"):
            logt = np.where(m & (t > 0), np.log(np.where(t > 0, t, 1.0)), 0.0)
            nonpos = (m & (t <= 0)).any(axis=1)
            out["gmean"] = np.where(nonpos, 0.0, np.exp(logt.sum(axis=1) / n_el))
            out["wtd_gmean"] = np.where(nonpos, 0.0, np.exp((p * logt).sum(axis=1)))
        nan = np.isnan(zero).any(axis=1)
        out["gmean"][nan] = np.nan
        out["wtd_gmean"][nan] = np.nan
    if {"entropy", "wtd_entropy"} & set(wanted):
        out["entropy"] = _entropy(zero)
        out["wtd_entropy"] = _entropy(p * zero)
    if {"min", "max", "range"} & set(wanted):
        out["max"] = np.where(m, t, -np.inf).max(axis=1)
        out["min"] = np.where(m, t, np.inf).min(axis=1)
        out["range"] = out["max"] - out["min"]
    if "wtd_range" in wanted:
        pt = p * t
        out["wtd_range"] = (np.where(m, pt, -np.inf).max(axis=1)
                            - np.where(m, pt, np.inf).min(axis=1))
    if "mode" in wanted:
        top = m & (p == p.max(axis=1, keepdims=True))
        out["mode"] = np.where(top, t, np.inf).min(axis=1)
        out["mode"][np.isnan(np.where(top, t, 0.0)).any(axis=1)] = np.nan
    return out


def _entropy(x):
    """-sum s ln s over axis 1 of the shares s = x / sum x (0 where the sum is 0)."""
    total = x.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, x / total, 0.0)
        terms = np.where(share > 0, -share * np.log(np.where(share > 0, share, 1.0)), 0.0)
    ent = terms.sum(axis=1)
    ent[np.isnan(total[:, 0])] = np.nan
    return ent

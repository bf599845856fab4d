"""Features of materials: chemical formulas to vectors of elemental-property statistics.

:class:`CompositionFeaturizer` turns formulas such as ``"YBa2Cu3O7"`` into Hamidieh's
(2018) or Magpie's (Ward et al. 2016) composition features, from the elemental data of the
mendeleev package (the ``skphys[materials]`` extra); :func:`parse_formula` reads one formula.
:class:`RadialDistributionFeaturizer` turns crystal structures (``ase.Atoms``) into their total
or partial radial distribution functions (Schütt et al. 2014), computed by ase.
:class:`XRDIndexingFeatures` indexes powder patterns in each crystal system (figures of merit,
fitted cells, centring shares).
"""

from ._composition import STATISTICS, CompositionFeaturizer
from ._elements import ELEMENT_PROPERTIES, element_properties
from ._formula import FormulaError, parse_formula
from ._structure import RadialDistributionFeaturizer
from ._xrd_indexing import XRDIndexingFeatures

__all__ = [
    "ELEMENT_PROPERTIES",
    "STATISTICS",
    "CompositionFeaturizer",
    "FormulaError",
    "RadialDistributionFeaturizer",
    "XRDIndexingFeatures",
    "element_properties",
    "parse_formula",
]

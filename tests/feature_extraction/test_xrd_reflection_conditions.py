"""XRDIndexingFeatures(reflection_conditions=True): systematic absences of the indexed cell."""

import numpy as np
import pytest

pytest.importorskip("spglib")
pytest.importorskip("periodictable")

from skphys.datasets import make_xrd_patterns, xrd_pattern  # noqa: E402
from skphys.datasets._xrd_spacegroups import _METRIC_FAMILY, crystal_system_of  # noqa: E402
from skphys.feature_extraction import XRDIndexingFeatures  # noqa: E402
from skphys.feature_extraction._xrd_extinction import extinction_tables  # noqa: E402
from skphys.feature_extraction._xrd_indexing import (  # noqa: E402
    reflection_condition_features,
)

F_CUBIC = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0)]


def _class_columns(family, group):
    """Names of the (unexplained, absent) columns of the class holding ``group``."""
    from skphys.datasets._xrd_spacegroups import space_group

    classes, _ = extinction_tables()[family]
    (c,) = [c for c in classes if group in c]
    sym = space_group(c[0]).symbol
    return f"ext_{family}_{sym}_unexplained", f"ext_{family}_{sym}_absent"


def test_rock_salt_and_silicon_absences():
    nacl = xrd_pattern((5.64,) * 3 + (90,) * 3,
                       F_CUBIC + [tuple(np.add(p, .5) % 1) for p in F_CUBIC],
                       ["Na"] * 4 + ["Cl"] * 4)
    si = xrd_pattern((5.431,) * 3 + (90,) * 3, F_CUBIC + [tuple(np.add(p, .25)) for p in F_CUBIC],
                     ["Si"] * 8)
    index = XRDIndexingFeatures(reflection_conditions=True).set_output(transform="pandas")
    f = index.fit_transform(np.stack([nacl.pattern, si.pattern]))
    assert f.shape == (2, 124 + 192)
    nacl_f, si_f = f.iloc[0], f.iloc[1]
    # Fm-3m (225): F centring explains every peak and leaves no line of its own empty
    u, a = _class_columns("cubic", 225)
    assert nacl_f[u] == 0 and nacl_f[a] == 0
    # a primitive cubic lattice (Pm-3m, 221) predicts lines rock salt does not have
    u, a = _class_columns("cubic", 221)
    assert nacl_f[u] == 0 and nacl_f[a] > 0.4
    # I centring forbids 111, rock salt's first peak
    u, _ = _class_columns("cubic", 229)
    assert nacl_f[u] > 0
    # silicon, Fd-3m (227): the d glide's extinctions (200, 420, ...) leave fewer allowed
    # lines empty than F centring alone, and no class with I centring explains 111
    u_d, a_d = _class_columns("cubic", 227)
    u_f, a_f = _class_columns("cubic", 225)
    assert si_f[u_d] == 0 and si_f[u_f] == 0 and si_f[a_d] < si_f[a_f]
    assert si_f[_class_columns("cubic", 229)[0]] > 0.5
    # the features of a stored row of 124 are the same as those of the transform
    row = f.iloc[1, :124].to_numpy()
    again = reflection_condition_features(si.pattern, row, si.two_theta)
    np.testing.assert_array_equal(again, f.iloc[1, 124:].to_numpy())


def test_the_true_class_has_the_fewest_violations_on_generated_patterns():
    """Within the true lattice family, the class with the least unexplained intensity (then
    the fewest empty lines) is the true powder class of most generated crystals of the 230
    groups; a random class of the family would be right 1 time in ~20."""
    X, sg, info = make_xrd_patterns(150, target="space_group", n_points=851,
                                    return_info=True, random_state=7)
    index = XRDIndexingFeatures((info.two_theta[0], info.two_theta[-1]),
                                reflection_conditions=True).fit(X)
    names = list(index.get_feature_names_out())
    F = index.transform(X)
    hits, total, chance = 0, 0, 0.0
    for row, g in zip(F, sg):
        family = _METRIC_FAMILY[crystal_system_of(int(g))]
        if family == "triclinic":
            continue
        classes, _ = extinction_tables()[family]
        cols = [names.index(c) for c in classes_columns(family, classes)]
        u, a = row[cols[0::2]], row[cols[1::2]]
        best = np.lexsort((a, u))[0]
        hits += int(g) in classes[best]
        chance += 1 / len(classes)
        total += 1
    # measured 49/148 = 0.33; a random class of the family: 7.0 of 148 expected (0.048)
    print(f"true class by the fewest violations: {hits}/{total}")
    assert hits / total >= 0.30 > 4 * chance / total


def classes_columns(family, classes):
    from skphys.datasets._xrd_spacegroups import space_group

    out = []
    for c in classes:
        sym = space_group(c[0]).symbol
        out += [f"ext_{family}_{sym}_unexplained", f"ext_{family}_{sym}_absent"]
    return out

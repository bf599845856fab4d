"""load_xrd_prototypes: real structure types, checked by spglib, formula and bond lengths."""

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("spglib")
pytest.importorskip("periodictable")

from skphys.datasets import CRYSTAL_SYSTEMS, load_xrd_prototypes, xrd_pattern  # noqa: E402
from skphys.datasets._xrd_spacegroups import spglib_number  # noqa: E402


@pytest.fixture(scope="module")
def protos():
    return load_xrd_prototypes()


def _formula_counts(formula):
    import re

    return {el: int(n or 1) for el, n in re.findall(r"([A-Z][a-z]?)(\d*)", formula)}


def _min_distance(lattice, positions, a_species, b_species, species):
    A = positions[species == a_species]
    B = positions[species == b_species]
    d = A[:, None, :] - B[None, :, :]
    d -= np.round(d)
    shifts = np.stack(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1]), -1).reshape(-1, 3)
    dist = np.linalg.norm((d[..., None, :] + shifts) @ lattice, axis=-1)
    dist[dist < 1e-6] = np.inf
    return dist.min()


def test_every_crystal_system_and_spglib_agrees(protos):
    assert len(protos.name) == 36
    assert set(protos.crystal_system) == set(CRYSTAL_SYSTEMS)
    for s, name, number in zip(protos.structures, protos.name, protos.space_group):
        _, Z = np.unique(s.species, return_inverse=True)
        assert spglib_number(s.lattice, s.positions, Z) == number, name


def test_formulas_match_the_expanded_cells(protos):
    for s, name, formula in zip(protos.structures, protos.name, protos.formula):
        counts = Counter(s.species.tolist())
        want = _formula_counts(formula)
        assert set(counts) == set(want), name
        z = Fraction(counts[next(iter(want))], want[next(iter(want))])
        assert z.denominator == 1 and all(counts[el] == z * n for el, n in want.items()), name


@pytest.mark.parametrize("name, a, b, bond", [
    ("rock salt", "Na", "Cl", 2.820), ("alpha quartz", "Si", "O", 1.605),
    ("rutile", "Ti", "O", 1.946), ("corundum", "Al", "O", 1.855), ("calcite", "C", "O", 1.286),
    ("wurtzite", "Zn", "O", 1.974), ("zircon", "Si", "O", 1.622), ("kyanite", "Si", "O", 1.621),
    ("forsterite (olivine)", "Si", "O", 1.613), ("graphite", "C", "C", 1.423),
    ("tenorite", "Cu", "O", 1.951), ("spinel", "Al", "O", 1.929),
])
def test_bond_lengths(protos, name, a, b, bond):
    s = protos.structures[protos.name.tolist().index(name)]
    assert _min_distance(s.lattice, s.positions, a, b, s.species) == pytest.approx(bond,
                                                                                  abs=0.01)


def test_patterns_match_xrd_pattern_and_targets(protos):
    assert protos.data.shape == (36, 1701) and protos.data.dtype == np.float32
    np.testing.assert_allclose(protos.data.max(1), 1.0, rtol=1e-6)
    for k in (0, 19, 35):  # rock salt, alpha quartz, kyanite
        s = protos.structures[k]
        res = xrd_pattern(s.lattice, s.positions, s.species, peak_width=0.1, B_iso=0.5)
        np.testing.assert_allclose(protos.data[k], res.pattern, atol=1e-5)
    X, y = load_xrd_prototypes(target="crystal_system", n_points=400, return_X_y=True)
    assert X.shape == (36, 400)
    assert [CRYSTAL_SYSTEMS[i] for i in y] == protos.crystal_system.tolist()
    Xn, _ = load_xrd_prototypes(n_points=400, noise=0.05, return_X_y=True, random_state=0)
    assert 0.03 < np.std(Xn - X) < 0.07

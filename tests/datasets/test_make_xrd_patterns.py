"""make_xrd_patterns: physically checkable facts of the generated powder patterns."""

import numpy as np
import pytest
from scipy.signal import find_peaks

from skphys.datasets import CRYSTAL_SYSTEMS, make_xrd_patterns
from skphys.datasets._xrd import (
    _CENTRING,
    _GENERATORS,
    BRAVAIS_LATTICES,
    _random_cell,
    _reflections,
    _structure,
    cell_matrix,
    point_group,
)

CU = 1.5406


def test_shapes_labels_and_info():
    X, y, info = make_xrd_patterns(28, n_points=400, space_groups="holohedral",
                                   return_info=True, random_state=0)
    assert X.shape == (28, 400) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [4] * 7  # crystal systems in equal numbers
    np.testing.assert_allclose(X.max(axis=1), 1.0, rtol=1e-6)
    assert info.two_theta[0] == 5.0 and info.two_theta[-1] == 90.0
    assert [CRYSTAL_SYSTEMS[k] for k in y] == list(info.crystal_system)
    for system, sg, bravais in zip(info.crystal_system, info.space_group, info.bravais_lattice):
        assert any(v[0] == system and v[2] == sg and k.startswith(bravais)
                   for k, v in BRAVAIS_LATTICES.items())
    _, y_sg, info_sg = make_xrd_patterns(30, n_points=400, space_groups="holohedral",
                                         target="space_group", return_info=True,
                                         random_state=0)
    assert np.bincount(y_sg)[sorted(set(y_sg))].tolist() == [2] * 15  # groups balanced
    np.testing.assert_array_equal(y_sg, info_sg.space_group)
    _, y_b, info_b = make_xrd_patterns(28, n_points=400, space_groups="holohedral",
                                       target="bravais_lattice", return_info=True,
                                       random_state=0)
    np.testing.assert_array_equal(y_b, info_b.bravais_lattice)
    assert set(y_b) == {k.split("-")[0] for k in BRAVAIS_LATTICES}
    X2, _ = make_xrd_patterns(28, n_points=400, space_groups="holohedral", random_state=0)
    np.testing.assert_array_equal(X, X2)


def test_only_some_systems_and_bad_input():
    _, y = make_xrd_patterns(6, n_points=100, crystal_systems=["cubic", "hexagonal"],
                             random_state=0)
    assert set(y) == {CRYSTAL_SYSTEMS.index("cubic"), CRYSTAL_SYSTEMS.index("hexagonal")}
    with pytest.raises(ValueError, match="crystal_systems"):
        make_xrd_patterns(3, crystal_systems=["hexagonl"])
    with pytest.raises(ValueError, match="two_theta_range"):
        make_xrd_patterns(3, two_theta_range=(50, 10))


def test_point_groups_and_cells_have_the_lattice_symmetry():
    orders = {"triclinic": 2, "monoclinic": 4, "orthorhombic": 8, "tetragonal": 16,
              "trigonal": 12, "hexagonal": 24, "cubic": 48}
    rng = np.random.default_rng(0)
    for key, (system, centring, _, _) in BRAVAIS_LATTICES.items():
        ops = point_group(system)
        assert len(ops) == orders[system]
        A = cell_matrix(*_random_cell(system, centring, rng))
        G = A @ A.T  # metric tensor: invariant under every operation (M^T G M = G)
        for M in ops:
            np.testing.assert_allclose(M.T @ G @ M, G, atol=1e-9)
        # the structure is invariant under the point group (its generators) and the centring
        pos, Z = _structure(system, centring, 3, rng)
        for M in _GENERATORS[system]:
            for t in _CENTRING[centring]:
                moved = pos @ M.T + np.asarray(t)
                diff = moved[:, None, :] - pos[None, :, :]
                dist = np.abs(diff - np.round(diff)).max(axis=2)  # (moved, original), mod 1
                same = (dist < 1e-6) & (Z[:, None] == Z[None, :])
                assert np.all(same.sum(axis=1) == 1), (key, M, t)


def _cubic_N(refl, a):
    return 4 * a ** 2 * np.sin(np.radians(refl.two_theta / 2)) ** 2 / CU ** 2


@pytest.mark.parametrize("centring, allowed", [
    ("P", lambda h, k, l: np.ones_like(h, bool)),
    ("I", lambda h, k, l: (h + k + l) % 2 == 0),
    ("F", lambda h, k, l: (h % 2 == k % 2) & (k % 2 == l % 2)),
])
def test_cubic_reflections_and_systematic_absences(centring, allowed):
    rng = np.random.default_rng(1)
    for _ in range(5):
        a = rng.uniform(3, 8)
        pos, Z = _structure("cubic", centring, 2, rng)
        refl = _reflections((a, a, a, 90, 90, 90), "cubic", centring, pos, Z, CU, 150)
        h, k, l = refl.hkl.T
        N = _cubic_N(refl, a)
        # Bragg's law on a cubic lattice: sin^2(theta) is proportional to h^2 + k^2 + l^2
        np.testing.assert_allclose(N, h ** 2 + k ** 2 + l ** 2, atol=1e-8)
        # the centring extinguishes exactly the reflections it should
        assert np.all(allowed(h, k, l))
        assert np.all(refl.multiplicity <= 48) and np.all(48 % refl.multiplicity == 0)
    # reflections of the centred lattice vanish only by symmetry: P lists every N


def test_absences_of_the_other_centrings():
    rng = np.random.default_rng(2)
    rules = {"C": lambda h, k, l: (h + k) % 2 == 0,
             "I": lambda h, k, l: (h + k + l) % 2 == 0,
             "F": lambda h, k, l: (h % 2 == k % 2) & (k % 2 == l % 2),
             "R": lambda h, k, l: (-h + k + l) % 3 == 0}
    for key, (system, centring, _, _) in BRAVAIS_LATTICES.items():
        if centring == "P":
            continue
        cell = _random_cell(system, centring, rng)
        pos, Z = _structure(system, centring, 2, rng)
        refl = _reflections(cell, system, centring, pos, Z, CU, 120)
        assert len(refl.hkl) > 5
        # the representative hkl of each orbit, and all its symmetry images, obey the rule
        images = np.einsum("gji,nj->gni", point_group(system), refl.hkl).reshape(-1, 3)
        assert np.all(rules[centring](*images.T)), key


def test_multiplicities_cover_every_reflection():
    cell = (5.0, 5.0, 7.0, 90, 90, 120)
    pos, Z = np.array([[1 / 3, 2 / 3, 0.1], [2 / 3, 1 / 3, 0.9]]), np.array([30, 30])
    refl = _reflections(cell, "hexagonal", "P", pos, Z, CU, 90)
    recip = np.linalg.inv(cell_matrix(*cell)).T
    d_min = CU / (2 * np.sin(np.radians(45)))
    g = np.stack(np.meshgrid(*[np.arange(-12, 13)] * 3, indexing="ij"), -1).reshape(-1, 3)
    n_sphere = np.sum((np.linalg.norm(g @ recip, axis=1) <= 1 / d_min) & np.any(g != 0, 1))
    assert refl.multiplicity.sum() <= n_sphere  # absent orbits are dropped
    assert set(refl.multiplicity) <= {2, 6, 12, 24}


def test_body_centred_cubic_pattern_starts_at_110():
    # a noiseless bcc pattern: the peaks sit at N = h^2+k^2+l^2 = 2, 4, 6, ... (never odd)
    X, _, info = make_xrd_patterns(30, crystal_systems=["cubic"], space_groups="holohedral",
                                   target="bravais_lattice", noise=0.0, background=0.0,
                                   peak_width=0.04, n_points=4251, return_info=True,
                                   random_state=3)
    grid = info.two_theta
    checked = 0
    for x, bravais, cell in zip(X, info.bravais_lattice, info.cell):
        peaks, _ = find_peaks(x, height=0.02)
        N = 4 * cell[0] ** 2 * np.sin(np.radians(grid[peaks] / 2)) ** 2 / CU ** 2
        # peak positions follow the integer ratios of h^2 + k^2 + l^2 (to the 0.02 deg grid
        # step and zero shift)
        dN = 8 * cell[0] ** 2 * np.sin(np.radians(grid[peaks])) * np.radians(0.08) / CU ** 2 / 2
        assert np.all(np.abs(N - np.round(N)) <= dN + 0.05)
        Nr = np.round(N).astype(int)
        assert not set(Nr) & {7, 15, 23, 28}  # not sums of three squares
        if bravais == "cI":
            assert np.all(Nr % 2 == 0)
            checked += 1
        if bravais == "cF":
            hkl = np.stack(np.meshgrid(*[np.arange(12)] * 3), -1).reshape(-1, 3)
            unmixed = hkl[(hkl % 2 == hkl[:, :1] % 2).all(1)]
            assert set(Nr) <= set((unmixed ** 2).sum(1))
    assert checked >= 3


def test_peak_width_and_noise_parameters():
    X0, _ = make_xrd_patterns(7, n_points=800, noise=0.0, background=0.0, random_state=0)
    X1, _ = make_xrd_patterns(7, n_points=800, noise=0.05, background=0.0, random_state=0)
    assert X0.min() >= 0 and np.median(X0) < 0.01
    residual = X1 * X1.max(1, keepdims=True) - X0  # scaled to the same peak, up to noise
    assert 0.03 < np.median(np.std(residual, axis=1)) < 0.08

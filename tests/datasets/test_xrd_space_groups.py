"""make_xrd_patterns(space_groups="all"): the 230 groups, crystals verified by spglib, extinctions."""

import numpy as np
import pytest

pytest.importorskip("spglib")
pytest.importorskip("periodictable")

from skphys.datasets import CRYSTAL_SYSTEMS, make_xrd_patterns  # noqa: E402
from skphys.datasets._xrd import _ELEMENTS, _random_cell  # noqa: E402
from skphys.datasets._xrd_pattern import cell_matrix, reflections  # noqa: E402
from skphys.datasets._xrd_spacegroups import (  # noqa: E402
    random_structure,
    space_group,
    spglib_number,
)

GROUPS = [space_group(n) for n in range(1, 231)]


def test_the_230_groups_and_their_tables():
    counts = {s: sum(g.crystal_system == s for g in GROUPS) for s in CRYSTAL_SYSTEMS}
    assert list(counts.values()) == [2, 13, 59, 68, 25, 27, 36]
    lattices = {g.bravais_lattice for g in GROUPS}
    assert lattices == {"aP", "mP", "mC", "oP", "oC", "oF", "oI", "tP", "tI", "hP", "hR",
                        "cP", "cF", "cI"}
    n_centring = {"P": 1, "A": 2, "B": 2, "C": 2, "I": 2, "F": 4, "R": 3}
    for g in GROUPS:
        assert len(g.centring_vectors) == n_centring[g.centring], g
        assert len(g.rotations) == len(g.coset_rotations) * len(g.centring_vectors)
        # the rotations form a group (closure) and the Laue group holds them and -1
        keys = {r.tobytes() for r in g.coset_rotations}
        for a in g.coset_rotations[:8]:
            for b in g.coset_rotations:
                assert (a @ b).tobytes() in keys
        laue = {r.tobytes() for r in g.laue}
        assert keys <= laue and (-np.eye(3, dtype=int)).tobytes() in laue
    assert space_group(227).symbol == "Fd-3m" and space_group(14).symbol == "P2_1/c"
    assert space_group(166).bravais_lattice == "hR" and space_group(38).bravais_lattice == "oC"
    with pytest.raises(ValueError, match="1 to 230"):
        space_group(231)


def test_random_crystals_have_their_group_by_spglib():
    # every group, three crystals each: spglib finds exactly the group that built them
    rng = np.random.default_rng(0)
    wrong = []
    for g in GROUPS:
        for _ in range(3):
            A = cell_matrix(*_random_cell(g.crystal_system, g.centring, rng))
            pos, Z = random_structure(g, A, int(rng.integers(2, 4)), _ELEMENTS, rng)
            assert len(set(Z)) >= 2
            found = spglib_number(A, pos, Z, g)
            if found != g.number:
                wrong.append((g.number, found))
    assert wrong == []


def test_special_positions_have_smaller_orbits():
    rng = np.random.default_rng(1)
    g = space_group(225)  # Fm-3m: general position 192 = 48 x 4
    sizes = set()
    for _ in range(200):
        x = g.special_position(rng.random(3), rng, n_ops=int(rng.integers(1, 3)))
        if x is not None:
            sizes.add(len(g.full_orbit(x)))
    assert len(g.full_orbit(rng.random(3))) == 192
    assert sizes <= {4, 8, 24, 32, 48, 96} and len(sizes) >= 4  # Wyckoff multiplicities


@pytest.mark.parametrize("number, absent", [
    # P2_1/c (unique axis b): h0l with l odd (c glide), 0k0 with k odd (2_1 screw)
    (14, lambda h, k, l: ((k == 0) & (l % 2 == 1)) | ((h == 0) & (l == 0) & (k % 2 == 1))),
    # P2_12_12_1: h00, 0k0, 00l odd
    (19, lambda h, k, l: ((k == 0) & (l == 0) & (h % 2 == 1)) | ((h == 0) & (l == 0)
                         & (k % 2 == 1)) | ((h == 0) & (k == 0) & (l % 2 == 1))),
    # Ia-3d: I centring (h+k+l odd) and, among others, 0kl with k or l odd
    (230, lambda h, k, l: ((h + k + l) % 2 == 1) | ((h == 0) & ((k % 2 == 1) | (l % 2 == 1)))),
    # R-3c (hexagonal axes): obverse R (-h+k+l not 3n) and h-h0l with l odd
    (167, lambda h, k, l: ((-h + k + l) % 3 != 0) | ((h == -k) & (l % 2 == 1))),
    # P6_3/mmc: hh-2hl with l odd
    (194, lambda h, k, l: (h == k) & (l % 2 == 1)),
])
def test_generated_crystals_obey_the_reflection_conditions(number, absent):
    g = space_group(number)
    rng = np.random.default_rng(number)
    for _ in range(3):
        A = cell_matrix(*_random_cell(g.crystal_system, g.centring, rng))
        A *= 9.0 / np.linalg.norm(A, axis=1).min()  # enough reflections to check
        pos, Z = random_structure(g, A, 2, _ELEMENTS, rng)
        refl = reflections(A, pos, Z, laue=g.laue, centring=g.centring_vectors,
                           two_theta_max=150)
        assert len(refl.hkl) > 10
        images = np.einsum("gji,nj->gni", g.laue, refl.hkl).reshape(-1, 3)
        assert not np.any(absent(*images.T))


def test_all_groups_labels_balance_and_info():
    X, y, info = make_xrd_patterns(690, target="space_group", n_points=300, return_info=True,
                                   random_state=0)
    assert X.shape == (690, 300) and X.dtype == np.float32
    assert np.bincount(y)[1:].tolist() == [3] * 230  # every group, in equal numbers
    np.testing.assert_allclose(X.max(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(y, info.space_group)
    assert info.target_names == list(range(1, 231))
    systems = [space_group(n).crystal_system for n in y]
    assert systems == list(info.crystal_system)
    _, y_cs = make_xrd_patterns(70, n_points=300, random_state=0)
    assert np.bincount(y_cs).tolist() == [10] * 7
    _, y_b = make_xrd_patterns(28, target="bravais_lattice", n_points=300, random_state=0)
    assert len(set(y_b)) == 14
    # a list of groups, and a crystal-system filter
    _, y_l = make_xrd_patterns(20, space_groups=[14, 62, 225], target="space_group",
                               n_points=300, random_state=0)
    assert set(y_l) == {14, 62, 225}
    _, y_c = make_xrd_patterns(20, crystal_systems=["cubic"], target="space_group",
                               n_points=300, random_state=0)
    assert set(y_c) <= set(range(195, 231))
    # verify=True gives the same kind of data (labels checked by spglib)
    _, y_v = make_xrd_patterns(40, target="space_group", verify=True, n_points=300,
                               random_state=1)
    assert len(set(y_v)) == 40


def test_patterns_put_peaks_where_the_cell_says():
    # noiseless, no zero shift: every strong maximum sits on a Bragg angle of the cell
    X, _, info = make_xrd_patterns(20, crystal_systems=["cubic"], noise=0.0, background=0.0,
                                   zero_shift=0.0, peak_width=0.03, n_points=4251,
                                   return_info=True, random_state=3)
    from scipy.signal import find_peaks

    for x, cell in zip(X, info.cell):
        peaks, _ = find_peaks(x, height=0.05)
        N = 4 * cell[0] ** 2 * np.sin(np.radians(info.two_theta[peaks] / 2)) ** 2 / 1.5406 ** 2
        assert np.all(np.abs(N - np.round(N)) < 0.05 * np.maximum(1, N / 20))


def test_bad_space_groups_and_ranges():
    with pytest.raises(ValueError, match="space_groups"):
        make_xrd_patterns(3, space_groups=[0, 5])
    with pytest.raises(ValueError, match="space_groups"):
        make_xrd_patterns(3, space_groups=["P1"])
    with pytest.raises(ValueError, match="crystal systems"):
        make_xrd_patterns(3, space_groups=[225], crystal_systems=["triclinic"])
    with pytest.raises(ValueError, match="lorentz_fraction"):
        make_xrd_patterns(3, lorentz_fraction=(0.5, 0.2))
    with pytest.raises(ValueError, match="preferred_orientation"):
        make_xrd_patterns(3, preferred_orientation=(0.0, 0.5))
    X, _ = make_xrd_patterns(4, preferred_orientation=(0.6, 0.9), n_points=200,
                             random_state=0)
    assert np.isfinite(X).all()


def test_powder_classes_merge_groups_with_the_same_peaks():
    from skphys.datasets._xrd_spacegroups import powder_classes

    classes = powder_classes()
    assert sorted(g for c in classes for g in c) == list(range(1, 231))
    # 97 classes: peak positions alone tell at best 97 / 230 = 0.42 of uniformly drawn
    # groups (the bound printed by benchmarks/bench_xrd.py); 108 without permuting the
    # orthorhombic axes
    assert len(classes) == 97
    assert len(powder_classes(settings=False)) == 108
    member = {g: c for c in classes for g in c}
    assert member[16] == (16, 25, 47)  # P222, Pmm2, Pmmm: no extinctions
    assert member[14] == (14,) and member[230] == (230,)  # P2_1/c, Ia-3d: unique
    assert {76, 78} <= set(member[76])  # enantiomorphs P4_1 / P4_3
    assert member[225] == (196, 202, 209, 216, 225)  # the F cubic groups
    # the textbook pairs of the International Tables' diffraction symbols (any setting)
    assert member[62] == (33, 62)  # Pna2_1 / Pnma
    assert member[71] == (23, 24, 44, 71)  # I222, I2_12_12_1, Imm2, Immm
    assert member[65] == (21, 35, 38, 65)  # C222, Cmm2, Amm2 (axes permuted), Cmmm
    assert member[227] != member[225] and member[194] != member[191]  # Fd-3m, P6_3/mmc
    # the analysis agrees with generated crystals: same cell, same peak positions
    rng = np.random.default_rng(5)
    for a, b in [(16, 47), (196, 225), (143, 164), (194, 191), (227, 225)]:
        ga, gb = space_group(a), space_group(b)
        same = member[a] == member[b]
        A = cell_matrix(*_random_cell(ga.crystal_system, ga.centring, rng))
        peaks = []
        for g in (ga, gb):
            pos, Z = random_structure(g, A, 3, _ELEMENTS, rng)
            refl = reflections(A, pos, Z, laue=g.laue, centring=g.centring_vectors)
            peaks.append(np.unique(np.round(refl.two_theta, 6)))
        assert same == (len(peaks[0]) == len(peaks[1]) and np.allclose(*peaks))
    # ... and after permuting the axes: Pmc2_1 (26) in (a, b, c) is Pma2 (28) in (c, b, a)
    cell = np.array([4.1, 5.3, 6.7])
    peaks = []
    for g, abc in [(space_group(26), cell), (space_group(28), cell[::-1]),
                   (space_group(27), cell[::-1])]:
        A = cell_matrix(*abc, 90, 90, 90)
        pos, Z = random_structure(g, A, 3, _ELEMENTS, rng)
        refl = reflections(A, pos, Z, laue=g.laue, centring=g.centring_vectors)
        peaks.append(np.unique(np.round(refl.two_theta[refl.intensity > 1e-8], 6)))
    assert len(peaks[0]) == len(peaks[1]) and np.allclose(peaks[0], peaks[1])
    assert member[27] != member[26] and len(peaks[2]) != len(peaks[0])  # Pcc2 differs


def test_xrd_extinction_classes_bounds():
    from skphys.datasets import xrd_extinction_classes
    from skphys.datasets._xrd_spacegroups import crystal_system_of

    ext = xrd_extinction_classes()
    assert ext.labels[0] == -1 and (ext.labels[1:] >= 0).all()
    assert ext.space_group_bound == pytest.approx(97 / 230)
    assert all(ext.labels[g] == k for k, c in enumerate(ext.classes) for g in c)
    # only trigonal and hexagonal groups share classes across crystal systems
    mixed = [c for c in ext.classes if len({crystal_system_of(g) for g in c}) > 1]
    assert all({crystal_system_of(g) for g in c} == {"trigonal", "hexagonal"} for c in mixed)
    # closed form: the classes' loss is the trigonal (1/25 each) or hexagonal (1/27 each)
    # mass that is not the class's larger one, over 7 balanced systems
    lost = sum(min(sum(crystal_system_of(g) == s for g in c) / n for s, n in
                   [("trigonal", 25), ("hexagonal", 27)]) for c in mixed) / 7
    assert ext.crystal_system_bound == pytest.approx(1 - lost)
    assert 0.9 < ext.crystal_system_bound < 0.92
    lost = sum(min(sum(crystal_system_of(g) == s for g in c) for s in ("trigonal", "hexagonal"))
               for c in mixed) / 230
    assert ext.crystal_system_bound_uniform_groups == pytest.approx(1 - lost)
    # weighted bounds: equal weights give the uniform-groups bounds; one group per class
    # (weight on the class's first member only) makes every class's guess certain
    flat = xrd_extinction_classes(space_group_weights=np.ones(230))
    assert flat.space_group_bound_weighted == pytest.approx(ext.space_group_bound)
    assert flat.crystal_system_bound_weighted == pytest.approx(
        ext.crystal_system_bound_uniform_groups)
    one = np.zeros(230)
    one[[c[0] - 1 for c in ext.classes]] = 1.0
    sharp = xrd_extinction_classes(space_group_weights=one)
    assert sharp.space_group_bound_weighted == pytest.approx(1.0)
    assert sharp.crystal_system_bound_weighted == pytest.approx(1.0)
    assert "space_group_bound_weighted" not in ext


def test_space_group_weights_draw_groups_as_often_as_real_crystals():
    from scipy.stats import binomtest

    from skphys.datasets._xrd_spacegroups import _space_group_counts

    counts = _space_group_counts()
    assert counts.shape == (231,) and counts.sum() == 88678 and counts[0] == 0
    assert np.count_nonzero(counts) == 225  # the docstring's figures
    # the most frequent groups among real crystals, and none in P1 in this table
    assert set(np.argsort(-counts)[:3]) == {2, 225, 14} and counts[1] == 0
    _, y, info = make_xrd_patterns(3000, n_points=300, target="space_group",
                                   space_group_weights="materials_project",
                                   return_info=True, random_state=0)
    np.testing.assert_array_equal(y, info.space_group)
    assert set(y) <= set(np.flatnonzero(counts))  # groups of weight 0 never drawn
    p = counts / counts.sum()
    for g in (2, 14, 225, 62, 194):  # drawn as often as the weights say (binomial test)
        assert binomtest(int(np.sum(y == g)), len(y), p[g]).pvalue > 1e-3, g
    # the crystal systems now in real proportions: monoclinic most, hexagonal least of
    # the six; uniform groups would give cubic 36/230 and triclinic 2/230
    share = {s: np.mean(info.crystal_system == s) for s in CRYSTAL_SYSTEMS}
    assert max(share, key=share.get) == "monoclinic"
    assert share["triclinic"] > 0.05  # 2/230 = 0.009 with uniform groups
    # the default is unchanged: the classes of target in equal numbers
    _, y_default = make_xrd_patterns(14, n_points=300, random_state=0)
    assert np.bincount(y_default).tolist() == [2] * 7


def test_space_group_weights_as_an_array_and_bad_weights():
    from sklearn.utils._param_validation import InvalidParameterError

    w = np.zeros(230)
    w[14 - 1], w[225 - 1], w[2 - 1] = 1.0, 3.0, 5.0
    _, y = make_xrd_patterns(400, n_points=300, target="space_group", space_group_weights=w,
                             crystal_systems=["monoclinic", "cubic"], random_state=1)
    assert set(y) == {14, 225}  # P-1 is triclinic: outside crystal_systems
    assert 0.65 < np.mean(y == 225) < 0.85  # 3 / 4
    with pytest.raises(ValueError, match="230 finite, non-negative"):
        make_xrd_patterns(5, space_group_weights=np.ones(229))
    with pytest.raises(ValueError, match="230 finite, non-negative"):
        make_xrd_patterns(5, space_group_weights=-w)
    with pytest.raises(ValueError, match="no weight"):
        make_xrd_patterns(5, space_group_weights=w, crystal_systems=["tetragonal"])
    with pytest.raises(InvalidParameterError, match="space_group_weights"):
        make_xrd_patterns(5, space_group_weights="icsd")


def test_shipped_space_group_counts_are_pyxtals():
    """The shipped table is pyxtal's Materials Project statistics summed per group."""
    import csv
    from importlib import resources

    pytest.importorskip("pyxtal")
    from skphys.datasets._xrd_spacegroups import _space_group_counts

    path = resources.files("pyxtal").joinpath("database", "spg_num_wps_mp.csv")
    counts = np.zeros(231, dtype=np.int64)
    with path.open() as f:
        for row in csv.DictReader(f):
            counts[int(row["spg"])] += int(row["count"])
    np.testing.assert_array_equal(_space_group_counts(), counts)

"""RadialDistributionFeaturizer: exact coordination shells of the textbook lattices."""

import numpy as np
import pytest

pytest.importorskip("ase")
pytest.importorskip("mendeleev")

from ase.build import bulk  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

from skphys.feature_extraction import RadialDistributionFeaturizer  # noqa: E402

R_MAX, N_BINS = 5.0, 100


def _neighbours(atoms, g, centers, r_cut):
    """Neighbours within r_cut: the integral of 4 pi r^2 rho g(r) dr."""
    rho = len(atoms) / atoms.get_volume()
    dr = centers[1] - centers[0]
    shell = centers < r_cut
    return float((4 * np.pi * centers[shell] ** 2 * rho * g[shell] * dr).sum())


@pytest.mark.parametrize("atoms, r_nn, n_nn", [
    (bulk("Cu", "fcc", a=3.615), 3.615 / np.sqrt(2), 12),
    (bulk("Fe", "bcc", a=2.866), 2.866 * np.sqrt(3) / 2, 8),
    (bulk("Po", "sc", a=3.36), 3.36, 6),
    (bulk("Si", "diamond", a=5.431), 5.431 * np.sqrt(3) / 4, 4),
    (bulk("Mg", "hcp", a=3.21, c=3.21 * np.sqrt(8 / 3)), 3.21, 12),  # ideal c/a
])
def test_first_shell_position_and_coordination(atoms, r_nn, n_nn):
    rdf = RadialDistributionFeaturizer(r_max=R_MAX, n_bins=N_BINS)
    g = rdf.fit_transform([atoms])[0]
    centers = rdf.bin_centers_
    first = np.flatnonzero(g > 0)[0]
    # the first non-empty shell holds the nearest-neighbour distance
    assert centers[first] - 0.025 <= r_nn < centers[first] + 0.025
    assert _neighbours(atoms, g, centers, 1.07 * r_nn) == pytest.approx(n_nn, abs=1e-2)
    # nothing closer than the nearest neighbours
    assert g[:first].sum() == 0


def test_partial_functions_of_rock_salt():
    nacl = bulk("NaCl", "rocksalt", a=5.64)
    rdf = RadialDistributionFeaturizer(r_max=R_MAX, n_bins=N_BINS, partial=True).fit([nacl])
    assert rdf.species_ == ["Na", "Cl"]  # by atomic number
    assert rdf.pairs_ == [("Na", "Na"), ("Na", "Cl"), ("Cl", "Cl")]
    g = rdf.transform([nacl])[0].reshape(3, N_BINS)
    centers = rdf.bin_centers_
    # unlike neighbours at a/2 (6 of them), like neighbours at a/sqrt(2) (12)
    assert centers[np.flatnonzero(g[1])[0]] == pytest.approx(2.82, abs=0.025)
    assert centers[np.flatnonzero(g[0])[0]] == pytest.approx(5.64 / np.sqrt(2), abs=0.025)
    np.testing.assert_array_equal(g[0], g[2])
    # the total function is the concentration-weighted sum of the partial ones
    total = RadialDistributionFeaturizer(r_max=R_MAX, n_bins=N_BINS).fit_transform([nacl])[0]
    np.testing.assert_allclose(total, 0.25 * g[0] + 0.5 * g[1] + 0.25 * g[2], atol=1e-12)
    names = rdf.get_feature_names_out()
    assert names[0] == "g_Na-Na_0.025" and names[-1] == "g_Cl-Cl_4.975" and len(names) == 300
    # a pair the structure lacks is zero
    other = RadialDistributionFeaturizer(r_max=R_MAX, n_bins=N_BINS, partial=True,
                                         species=["Na", "Cl", "K"]).fit([nacl])
    gk = other.transform([nacl]).reshape(6, N_BINS)
    assert [other.pairs_[i] for i in (2, 4, 5)] == [("Na", "K"), ("Cl", "K"), ("K", "K")]
    assert not gk[[2, 4, 5]].any() and gk[[0, 1, 3]].any(axis=1).all()


def test_same_crystal_any_cell():
    cu = bulk("Cu", "fcc", a=3.615)
    rdf = RadialDistributionFeaturizer(r_max=R_MAX, n_bins=N_BINS).fit([cu])
    g = rdf.transform([cu, cu.repeat((2, 1, 3)), bulk("Cu", "fcc", a=3.615, cubic=True)])
    np.testing.assert_allclose(g[1:], np.repeat(g[:1], 2, axis=0), atol=1e-10)


def test_lattices_told_apart_from_noisy_structures(seed=0):
    # four lattices with the same nearest-neighbour distance (2.5 A) give or take 2%,
    # thermally rattled; fcc and hcp differ only from their third shell on
    rng = np.random.default_rng(seed)
    d = 2.5
    prototypes = {"fcc": ("Cu", dict(a=d * np.sqrt(2))), "bcc": ("Fe", dict(a=d * 2 / np.sqrt(3))),
                  "hcp": ("Mg", dict(a=d, c=d * np.sqrt(8 / 3))),
                  "diamond": ("Si", dict(a=d * 4 / np.sqrt(3)))}
    structures, labels = [], []
    for label, (el, kw) in prototypes.items():
        for _ in range(20):
            scale = rng.uniform(0.98, 1.02)
            atoms = bulk(el, label, **{k: v * scale for k, v in kw.items()}).repeat(2)
            atoms.rattle(0.03, seed=int(rng.integers(1 << 30)))
            structures.append(atoms)
            labels.append(label)
    labels = np.array(labels)
    test = np.arange(len(labels)) % 4 == 0
    model = make_pipeline(RadialDistributionFeaturizer(r_max=5.0, n_bins=50),
                          RandomForestClassifier(100, random_state=0))
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    model.fit([structures[i] for i in train_idx], labels[~test])
    accuracy = np.mean(model.predict([structures[i] for i in test_idx]) == labels[test])
    assert accuracy >= 0.9, accuracy  # seeds 0-4 all pass


def test_estimator_basics_and_errors():
    rdf = RadialDistributionFeaturizer(r_max=3.0, n_bins=10)
    assert rdf.get_params() == {"r_max": 3.0, "n_bins": 10, "partial": False,
                                "species": None}
    cu = bulk("Cu", "fcc", a=3.615)
    with pytest.raises(NotFittedError):
        rdf.transform([cu])
    out = rdf.fit([cu]).set_output(transform="pandas").transform([cu])
    assert list(out.columns) == rdf.get_feature_names_out().tolist() and out.shape == (1, 10)
    np.testing.assert_array_equal(clone(rdf).fit([cu]).transform([cu]), out.to_numpy())
    with pytest.raises(ValueError, match="single ase.Atoms"):
        rdf.transform(cu)
    with pytest.raises(TypeError, match=r"X\[1\] is str"):
        rdf.transform([cu, "Cu"])
    from ase import Atoms

    with pytest.raises(ValueError, match="not a periodic crystal"):
        rdf.transform([Atoms("H2", positions=[(0, 0, 0), (0, 0, 0.74)])])
    with pytest.raises(InvalidParameterError, match="r_max"):
        RadialDistributionFeaturizer(r_max=-1.0).fit([cu])

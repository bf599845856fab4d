"""xrd_pattern: textbook powder patterns (NaCl, CsCl, diamond Si, rutile), exactly checked.

Peak positions follow Bragg's law from the cell alone, extinctions follow the International
Tables' reflection conditions; intensities are compared with pymatgen's XRDCalculator when
pymatgen is installed (the peers' environment of benchmarks/bench_xrd.py).
"""

import numpy as np
import pytest

pytest.importorskip("periodictable")

from skphys.datasets import xrd_pattern  # noqa: E402
from skphys.datasets._xrd_pattern import (  # noqa: E402
    ProfileRenderer,
    gaussian_form_factor,
    reflections,
    waasmaier_kirfel_form_factor,
)

CU = 1.5406
FCC = np.array([(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)])


def nacl(a=5.640):
    pos = np.concatenate([FCC, (FCC + 0.5) % 1])
    return (a, a, a, 90, 90, 90), pos, ["Na"] * 4 + ["Cl"] * 4


def cscl(a=4.123):
    return (a, a, a, 90, 90, 90), [(0, 0, 0), (0.5, 0.5, 0.5)], ["Cs", "Cl"]


def silicon(a=5.431):
    pos = np.concatenate([FCC, (FCC + 0.25) % 1])
    return (a, a, a, 90, 90, 90), pos, [14] * 8


def rutile(a=4.594, c=2.959, x=0.3053):
    pos = [(0, 0, 0), (0.5, 0.5, 0.5), (x, x, 0), (-x, -x, 0), (0.5 + x, 0.5 - x, 0.5),
           (0.5 - x, 0.5 + x, 0.5)]
    return (a, a, c, 90, 90, 90), np.array(pos) % 1, ["Ti", "Ti", "O", "O", "O", "O"]


def bragg_two_theta(d):
    d = d[d > CU / 2]  # the others do not diffract
    return np.degrees(2 * np.arcsin(CU / (2 * d)))


def all_hkl(n=12):
    r = np.arange(-n, n + 1)
    hkl = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    return hkl[np.any(hkl != 0, axis=1)]


def expected_cubic(a, allowed):
    """Angles of the distinct h^2+k^2+l^2 allowed by ``allowed`` inside 5-90 degrees."""
    hkl = all_hkl()
    N = np.unique((hkl[allowed(*hkl.T)] ** 2).sum(1))
    tt = bragg_two_theta(a / np.sqrt(N))
    return tt[(tt >= 5) & (tt <= 90)]


@pytest.mark.parametrize("structure, allowed, strongest", [
    # rock salt: F centring, all hkl unmixed; 200 strongest (f_Na + f_Cl)
    (nacl, lambda h, k, l: (h % 2 == k % 2) & (k % 2 == l % 2), (2, 0, 0)),
    # CsCl: primitive, everything allowed; 110 strongest (100 has f_Cs - f_Cl)
    (cscl, lambda h, k, l: np.ones_like(h, bool), (1, 1, 0)),
    # diamond: F plus the d-glide: unmixed and (all odd or h+k+l = 4n); 200 and 222 absent
    (silicon, lambda h, k, l: ((h % 2 == k % 2) & (k % 2 == l % 2))
     & ((h % 2 == 1) | ((h + k + l) % 4 == 0)), (1, 1, 1)),
])
def test_cubic_textbook_peaks_and_extinctions(structure, allowed, strongest):
    cell, pos, species = structure()
    res = xrd_pattern(cell, pos, species)
    want = expected_cubic(cell[0], allowed)
    np.testing.assert_allclose(res.peaks.two_theta, want, atol=1e-9)
    h, k, l = res.peaks.hkl.T
    assert np.all(allowed(h, k, l))
    assert tuple(res.peaks.hkl[np.argmax(res.peaks.intensity)]) == strongest
    assert res.peaks.intensity.max() == pytest.approx(100.0)
    # the profile has a maximum at each strong peak (to the 0.05 degree grid step)
    for tt, inten in zip(res.peaks.two_theta, res.peaks.intensity):
        if inten > 5:
            window = np.abs(res.two_theta - tt) < 0.2
            top = res.two_theta[window][np.argmax(res.pattern[window])]
            assert abs(top - tt) <= 0.026


def test_silicon_forbidden_reflections_and_multiplicities():
    res = xrd_pattern(*silicon())
    N = (res.peaks.hkl ** 2).sum(1).tolist()
    assert N == [3, 8, 11, 16, 19, 24]  # 111 220 311 400 331 422; 200 (4) and 222 (12) absent
    assert res.peaks.multiplicity.tolist() == [8, 12, 24, 6, 24, 24]


def test_nacl_weak_odd_reflections_follow_the_form_factor_difference():
    # odd hkl: F = 4 (f_Na - f_Cl); even: 4 (f_Na + f_Cl)
    res = xrd_pattern(*nacl())
    odd = res.peaks.hkl[:, 0] % 2 == 1
    assert res.peaks.intensity[odd].max() < 10 and res.peaks.intensity[~odd].min() > 5
    s = 1 / (2 * res.peaks.d[:2])
    f = waasmaier_kirfel_form_factor(["Na", "Cl"], s)
    theta = np.radians(res.peaks.two_theta[:2] / 2)
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    ratio = (8 * (f[0, 0] - f[0, 1]) ** 2 * lp[0]) / (6 * (f[1, 0] + f[1, 1]) ** 2 * lp[1])
    assert res.peaks.intensity[0] / res.peaks.intensity[1] == pytest.approx(ratio, rel=1e-9)


def test_rutile_tetragonal_positions_and_glide_extinctions():
    cell, pos, species = rutile()
    res = xrd_pattern(cell, pos, species)
    a, c = cell[0], cell[2]
    hkl = all_hkl(8)
    h, k, l = hkl.T
    # P4_2/mnm: 0kl only k + l even (n glide), h00 and 00l only even (screw axes)
    allowed = ~((h == 0) & ((k + l) % 2 == 1)) & ~((k == 0) & ((h + l) % 2 == 1))
    d = 1 / np.sqrt((h ** 2 + k ** 2) / a ** 2 + l ** 2 / c ** 2)
    tt = np.unique(np.round(bragg_two_theta(d[allowed]), 9))
    tt = tt[(tt >= 5) & (tt <= 90)]
    # a few allowed reflections are accidentally zero? none for rutile: all appear
    np.testing.assert_allclose(res.peaks.two_theta, tt, atol=1e-7)
    got = {tuple(x) for x in np.abs(res.peaks.hkl)}
    assert not got & {(1, 0, 0), (0, 0, 1), (0, 1, 0), (3, 0, 0), (0, 0, 3), (0, 1, 2)}
    assert tuple(res.peaks.hkl[np.argmax(res.peaks.intensity)]) == (1, 1, 0)
    # the textbook order of the next strongest: 211 then 101
    order = [tuple(res.peaks.hkl[i]) for i in np.argsort(-res.peaks.intensity)[:3]]
    assert order[1:] == [(2, 1, 1), (1, 0, 1)]


def test_cell_parameters_or_matrix_and_input_errors():
    cell, pos, species = cscl()
    r1 = xrd_pattern(cell, pos, species)
    r2 = xrd_pattern(np.diag([4.123] * 3), pos, [55, 17])
    np.testing.assert_allclose(r1.peaks.intensity, r2.peaks.intensity)
    np.testing.assert_allclose(r1.pattern, r2.pattern)
    with pytest.raises(ValueError, match="lattice"):
        xrd_pattern(np.eye(2), pos, species)
    with pytest.raises(ValueError, match="positions"):
        xrd_pattern(cell, pos, ["Cs"])
    with pytest.raises(ValueError, match="form factor"):
        xrd_pattern(cell, pos, ["Cs", "Xx"])
    with pytest.raises(ValueError, match="two_theta_range"):
        xrd_pattern(cell, pos, species, two_theta_range=(50, 10))


def test_profile_renderer_matches_directly_evaluated_pseudo_voigt():
    grid = np.linspace(5, 90, 1701)
    centres = np.array([10.0, 33.333, 61.7, 88.9])
    heights = np.array([1.0, 0.5, 2.0, 1.0])
    for w0, eta in [(0.05, 0.0), (0.1, 0.5), (0.25, 1.0)]:
        got = ProfileRenderer(grid, max_fwhm=0.6).render([centres], [heights], [w0], [eta])[0]
        fwhm = w0 * (1 + np.tan(np.radians(centres / 2)))
        x = grid[:, None] - centres
        g = np.sqrt(4 * np.log(2) / np.pi) / fwhm * np.exp(-4 * np.log(2) * (x / fwhm) ** 2)
        lor = 2 / (np.pi * fwhm) / (1 + 4 * (x / fwhm) ** 2)
        want = ((eta * lor + (1 - eta) * g) * heights).sum(1)
        assert np.abs(got - want).max() < 0.02 * want.max(), (w0, eta)
        # unit area: the sum over the grid times the step is the total intensity
        assert got.sum() * 0.05 == pytest.approx(heights.sum(), rel=0.02)


def test_preferred_orientation_strengthens_the_chosen_direction():
    cell, pos, species = rutile()
    A = np.diag(cell[:3])
    laue = np.array([np.eye(3), -np.eye(3)], dtype=int)
    plain = reflections(A, pos, species, laue=laue, wavelength=CU)
    platy = reflections(A, pos, species, laue=laue, wavelength=CU,
                        preferred_orientation=(0.6, (0, 0, 1)))
    gain = platy.intensity / plain.intensity
    along = (platy.hkl[:, 0] == 0) & (platy.hkl[:, 1] == 0)
    inplane = platy.hkl[:, 2] == 0
    np.testing.assert_allclose(gain[along], 0.6 ** -3)  # March-Dollase P(0) = r^-3
    np.testing.assert_allclose(gain[inplane], 0.6 ** 1.5)  # P(90 deg) = r^(3/2)


def test_gaussian_form_factor_counts_the_electrons():
    np.testing.assert_allclose(gaussian_form_factor([8, 26], [0.0])[0], [8, 26])
    f = waasmaier_kirfel_form_factor([8, 26, "O2-"], [0.0, 0.5])
    np.testing.assert_allclose(f[0], [8, 26, 10], atol=0.02)
    assert np.all(f[1] < f[0])


def test_intensities_agree_with_pymatgen():
    pytest.importorskip("pymatgen")
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice, Structure

    calc = XRDCalculator(wavelength=CU)
    for make in (nacl, cscl, silicon, rutile):
        cell, pos, species = make()
        s = Structure(Lattice.from_parameters(*cell), [str(x) if not isinstance(x, int)
                                                       else "Si" for x in species], pos)
        pm = calc.get_pattern(s, two_theta_range=(5, 90))
        ours = xrd_pattern(cell, pos, species).peaks
        np.testing.assert_allclose(ours.two_theta, pm.x, atol=1e-3)
        # within 3% of the strongest peak (different form-factor fits: pymatgen's own)
        np.testing.assert_allclose(ours.intensity, pm.y, atol=3.0)


def test_resample_log_d_turns_a_bigger_cell_into_a_shift():
    from skphys.datasets import resample_log_d

    grid = np.linspace(5, 90, 4001)
    cell, pos, species = nacl()
    small = xrd_pattern(cell, pos, species, n_points=4001, peak_width=0.02)
    big = xrd_pattern((cell[0] * 1.05,) * 3 + cell[3:], pos, species, n_points=4001,
                      peak_width=0.02)
    u = np.log(np.sin(np.radians(grid / 2)))
    step = (u[-1] - u[0]) / 4000
    shift = np.log(1.05) / step  # ln d grows by ln 1.05: the pattern moves to lower angles
    a, b = resample_log_d(np.stack([small.pattern, big.pattern]), grid)
    ia, ib = np.argmax(a), np.argmax(b)  # the 200 peak of each
    assert ia - ib == pytest.approx(shift, abs=1.0)
    with pytest.raises(ValueError, match="increasing"):
        resample_log_d(np.ones((2, 5)), np.arange(5)[::-1])


def test_log_d_autocorrelation_forgets_the_cells_size_not_its_shape():
    """NaCl's cell 10% larger keeps its autocorrelation (correlation > 0.9) while the
    patterns no longer overlap; a tetragonal distortion (c/a = 1.1) changes it more."""
    from skphys.datasets import log_d_autocorrelation, resample_log_d

    grid = np.linspace(5, 90, 1701)
    cell, pos, species = nacl()

    def pattern(a, c):
        return xrd_pattern((a, a, c, 90, 90, 90), pos, species, n_points=1701).pattern

    X = np.stack([pattern(cell[0], cell[0]), pattern(1.1 * cell[0], 1.1 * cell[0]),
                  pattern(cell[0], 1.1 * cell[0])])
    A = log_d_autocorrelation(X, grid, n_lags=800)
    L = resample_log_d(X, grid)
    assert A.shape == (3, 800) and A.dtype == np.float32
    np.testing.assert_allclose(A[:, 0], 1.0, rtol=1e-6)
    scaled, distorted = np.corrcoef(A)[0, 1:]
    assert scaled > 0.9 > distorted + 0.1
    assert np.corrcoef(L)[0, 1] < 0.2  # the patterns themselves moved
    assert not np.any(log_d_autocorrelation(np.ones((2, 50)), grid[:50], n_lags=10))
    with pytest.raises(ValueError, match="n_lags"):
        log_d_autocorrelation(X, grid, n_lags=2000)

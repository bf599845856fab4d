"""
Dreaming digits: what has the network learned?
==============================================

Fix the output of a trained network, optimise its *input* until the network is certain,
and look at the result. :class:`~skphys.inspection.DreamExplainer` does this for any skphys
classifier, keeping the dream inside the data range, and reports for each dream two
honesty measures: its distance to the nearest training digit of its class (relative to the
typical distance between neighbouring digits of that class), and whether an independent
classifier (a logistic regression) agrees.

Started from the mean of all digits, the dreams stay close to real digits. Started
from noise, the network is just as certain, yet the dreams are three times farther from any
digit than digits are from each other: certainty is not understanding.
"""

import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator

from skphys.inspection import DreamExplainer
from skphys.neural_network import MLPClassifier
from skphys.plotting import DreamDisplay

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
mlp = MLPClassifier((64, 128, 64), batch_size=64, max_iter=60, random_state=0).fit(X, y)


def show(report, start):
    """The dreams of a report, each titled with its class, the network's probability, the
    distance to the nearest training digit of its class over the typical distance between
    neighbouring digits ("dist"), and whether the logistic regression agrees ("LR")."""
    titles = [f"{t}: p = {p:.3f}\ndist {r:.2f}, LR {'agrees' if a else 'disagrees'}"
              for t, p, r, a in zip(report.target, report.proba,
                                    report.nearest_distance_ratio, report.reference_agrees)]
    disp = DreamDisplay(report.dreams, titles, image_shape=(8, 8)).plot()
    disp.figure_.suptitle(f"Dreams from {start}\ndist: to the nearest digit of the class, "
                          "over the typical neighbour distance", fontsize=10)
    disp.figure_.subplots_adjust(top=0.8, hspace=0.45)
    return disp


# %%
# Dreams from the mean of all digits, with a little total variation to keep them smooth.
explainer = DreamExplainer(FrozenEstimator(mlp), init="mean", tv=0.002,
                           image_shape=(8, 8)).fit(X, y)
report = explainer.dream_classes()
print("probability reached:", np.round(report.proba, 3))
print("distance / typical distance:", np.round(report.nearest_distance_ratio, 2))
print("logistic regression agrees on", report.reference_agrees.sum(), "of 10")
show(report, "the mean digit")

# %%
# The same network dreaming from uniform noise: as certain, but far from every digit.
noise = explainer.set_params(init="noise", tv=0.0, random_state=0).dream_classes()
print("distance / typical distance:", np.round(noise.nearest_distance_ratio, 2))
show(noise, "uniform noise")

# %%
# A hidden unit can be dreamt of too: the input that excites one neuron of the first layer.
units = [explainer.set_params(target=("0", k), init="mean", max_iter=100).dream()
         for k in range(5)]
fig, axes = plt.subplots(1, 5, figsize=(10, 2.4))
for k, (ax, r) in enumerate(zip(axes, units)):
    ax.imshow(r.dreams[0].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"unit {k}: activation {r.activation[0]:.1f}", fontsize=9)
    ax.set_axis_off()
fig.suptitle("Inputs that excite units of the first hidden layer", fontsize=10)
plt.show()

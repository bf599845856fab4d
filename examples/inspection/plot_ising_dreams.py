"""
Dreams and adversarial spins of an Ising phase classifier
=========================================================

A convolutional network learns to tell ordered (T < T_c) from disordered (T > T_c)
configurations of the 2-D Ising model (Carrasquilla & Melko 2017). What has it learned?
Dreaming of "ordered" from random spins gives mostly magnetised lattices, dreaming of
"disordered" lattices with almost no net magnetisation (the ``|m|`` of each dream is printed
and in its title): the network found an order parameter. It is sure of "ordered" already at a
moderate ``|m|``, where a logistic regression on ``|m|`` (the physicist's classifier) mostly is
not, and a dream made of domains of opposite spin can be "ordered" to the network with almost
no net ``|m|``: its notion of order looks local (aligned neighbours) rather than global.

Yet it is fragile. Flipping a handful of spins, chosen along the gradient of the network,
changes its phase prediction for configurations that a physicist would classify by their
magnetisation without hesitation: "be prepared to give up some scientific rigour".
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
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skphys.adversarial import AdversarialPerturber
from skphys.datasets import make_ising
from skphys.inspection import DreamExplainer
from skphys.neural_network import CNNClassifier
from skphys.plotting import DreamDisplay

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)
T_C = 2 / np.log(1 + np.sqrt(2))

temperatures = np.r_[np.linspace(1.6, 2.1, 6), np.linspace(2.5, 3.5, 6)]
X, T = make_ising(temperatures, n_samples=100, L=16, flat=False, random_state=0)
phase = np.where(T < T_C, "ordered", "disordered")
Xtr, Xte, ytr, yte, Ttr, Tte = train_test_split(X, phase, T, test_size=0.3, stratify=phase,
                                                random_state=0)
cnn = CNNClassifier(filters=(8,), hidden_layer_sizes=(16,), batch_size=32, max_iter=15,
                    random_state=0).fit(Xtr, ytr)
print(f"test accuracy {cnn.score(Xte, yte):.3f}")


# %%
# Dreams from random spins. The independent check is a logistic regression on ``|m|``, the
# physicist's classifier.
def abs_magnetisation(X):
    return np.abs(X.mean(axis=1, keepdims=True))


physicist = make_pipeline(FunctionTransformer(abs_magnetisation), LogisticRegression())
explainer = DreamExplainer(FrozenEstimator(cnn), max_iter=300, target_proba=0.9999,
                           learning_rate=0.5, reference_estimator=physicist).fit(Xtr, ytr)
random_spins = np.random.default_rng(0).choice([-1.0, 1.0], size=(3, 16, 16))
dreams = [explainer.dream(random_spins, target=label) for label in cnn.classes_]
for label, report in zip(cnn.classes_, dreams):
    m = np.abs(report.dreams.mean(axis=(1, 2)))
    print(f"dreams of {label}: p = {np.round(report.proba, 4)}, mean |m| = {m.mean():.2f}, "
          f"|m| classifier agrees on {report.reference_agrees.sum()} of 3")
fig, axes = plt.subplots(2, 3, figsize=(7.5, 6))
for row, report in enumerate(dreams):
    m = np.abs(report.dreams.mean(axis=(1, 2)))
    titles = [f"{t}: p = {p:.3f}, |m| = {mi:.2f}\n"
              f"dist {r:.1f}, |m| rule {'agrees' if a else 'disagrees'}"
              for t, p, mi, r, a in zip(report.target, report.proba, m,
                                        report.nearest_distance_ratio, report.reference_agrees)]
    DreamDisplay(report.dreams, titles).plot(axes=axes[row], cmap="RdBu", vmin=-1, vmax=1)
fig.suptitle("Dreams of the phase CNN from random spins, L = 16 (red -1, blue +1)\n"
             "dist: to the nearest training configuration, over the typical neighbour distance",
             fontsize=10)
fig.subplots_adjust(top=0.83, hspace=0.35)

# %%
# Adversarial spins: flip, one at a time, the spin whose flip raises the loss most (to first
# order, ``-2 s_i dL/ds_i``), until the phase prediction changes. Test configurations
# closest to T_c need fewest flips.
module = cnn.net_.module_.eval()
target_of = {label: k for k, label in enumerate(cnn.classes_)}


def spins_to_flip(config, label, limit=60):
    s = torch.tensor(config[None, None], dtype=torch.float32)
    y = torch.tensor([[float(target_of[label])]])
    for n in range(limit + 1):
        s.requires_grad_(True)
        logit = module(s)
        if (logit.item() > 0) != bool(y.item()):
            return n
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y)
        (grad,) = torch.autograd.grad(loss, s)
        s = s.detach()
        gain = (-2 * s * grad).flatten()
        i = int(gain.argmax())
        s.view(-1)[i] *= -1
    return None


correct = cnn.predict(Xte) == yte
flips = np.array([spins_to_flip(x, label) or np.nan for x, label in
                  zip(Xte[correct], yte[correct])], dtype=float)
for t in np.unique(Tte):
    sel = Tte[correct] == t
    print(f"T = {t:.2f}: median spins flipped to change the phase: "
          f"{np.nanmedian(flips[sel]):.0f} of 256")

# %%
# The same with a continuous PGD attack in the spins' range [-1, 1]: how large must a
# perturbation be to flip the predictions?
attack = AdversarialPerturber(FrozenEstimator(cnn), attack="pgd", eps=0.1).fit(Xtr)
curve = attack.robustness_curve(Xte, yte, eps=[0, 0.1, 0.2, 0.4, 0.8])
print("PGD accuracy:", dict(zip(curve.eps, np.round(curve.accuracy, 3))))

fig, ax = plt.subplots(figsize=(5, 3.5))
temps = np.unique(Tte)
ax.plot(temps, [np.nanmedian(flips[Tte[correct] == t]) for t in temps], "o-")
ax.axvline(T_C, color="grey", ls=":", label="T_c (Onsager)")
ax.set_xlabel("temperature T")
ax.set_ylabel("spins flipped (median over test set)")
ax.set_title("Flips of 256 spins (L = 16) that change the predicted phase", fontsize=10)
ax.legend()
fig.tight_layout()
plt.show()

"""
Adversarial examples and adversarial training on digits
=======================================================

A perturbation of at most ``eps`` per pixel, chosen along the gradient of the loss (FGSM,
PGD), makes a digit classifier fail although the images look unchanged (Goodfellow et al.
2014). Training on Gaussian noise of the same size barely helps; training on PGD examples
of each batch (Madry et al. 2017, :class:`~skphys.adversarial.AdversarialTrainingClassifier`)
keeps the accuracy high up to the ``eps`` it was trained for, at a small cost in clean
accuracy. The protocol is the one of the reference toolkits' numbers (ART, torchattacks):
digits / 16, 70/30 split, MLP 64-128-64-10, Adam, 60 epochs.
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
from sklearn.model_selection import train_test_split

from skphys.adversarial import AdversarialPerturber, AdversarialTrainingClassifier
from skphys.neural_network import MLPClassifier
from skphys.plotting import RobustnessCurveDisplay

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
mlp = MLPClassifier((64, 128, 64), batch_size=64, max_iter=60, tol=0, n_iter_no_change="inf",
                    random_state=0)
models = {
    "clean training": MLPClassifier(**mlp.get_params()).fit(Xtr, ytr),
    "Gaussian noise, sigma 0.1": AdversarialTrainingClassifier(
        mlp, attack="noise", eps=0.1).fit(Xtr, ytr),
    "PGD-7 adversarial, eps 0.1": AdversarialTrainingClassifier(
        mlp, attack="pgd", eps=0.1, max_iter=7).fit(Xtr, ytr),
}

# %%
# Adversarial examples of the clean model: PGD with eps = 0.1 (L∞), images clipped to [0, 1].
clean = models["clean training"]
attack = AdversarialPerturber(FrozenEstimator(clean), attack="pgd", eps=0.1,
                              clip_values=(0, 1)).fit(Xtr)
X_adv = attack.generate(Xte[:6], yte[:6])
fig, axes = plt.subplots(3, 6, figsize=(9, 5.4))
for i in range(6):
    for row, (img, title) in enumerate([
            (Xte[i], f"true {yte[i]}\npredicted {clean.predict(Xte[i:i + 1])[0]}"),
            (X_adv[i] - Xte[i], "perturbation δ"),
            (X_adv[i], f"predicted {clean.predict(X_adv[i:i + 1])[0]}")]):
        style = ({"cmap": "gray_r", "vmin": 0, "vmax": 1} if row != 1 else
                 {"cmap": "RdBu", "vmin": -0.1, "vmax": 0.1})
        axes[row, i].imshow(img.reshape(8, 8), **style)
        axes[row, i].set_title(title, fontsize=9)
        axes[row, i].set_axis_off()
fig.suptitle("Top: test digits; middle: PGD perturbation, |δ| ≤ 0.1 (red -0.1, blue +0.1); "
             "bottom: adversarial digits", fontsize=10)

# %%
# Robustness curves: accuracy under PGD-10 against eps for the three trainings.
fig, ax = plt.subplots(figsize=(6, 4))
for name, model in models.items():
    RobustnessCurveDisplay.from_estimator(model, Xte, yte, eps=np.linspace(0, 0.25, 11),
                                          attack="pgd", clip_values=(0, 1), name=name, ax=ax)
ax.axvline(0.1, color="grey", ls=":", label="eps of the training attack")
ax.axhline(0.1, color="grey", ls="--", lw=1, label="chance (10 classes)")
ax.set_title("digits MLP under PGD-10 (L∞, pixels in [0, 1])", fontsize=10)
ax.legend(fontsize=8)
plt.show()

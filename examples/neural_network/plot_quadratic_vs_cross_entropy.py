"""
=========================================================
Quadratic cost vs cross-entropy: slow learning when wrong
=========================================================

The lecture's argument for the cross-entropy: with the quadratic cost
``C = sum_k (y_k - a_k)^2 / 2`` on a sigmoid/softmax output ``a = sigma(z)``, the gradient with
respect to ``z`` carries the factor ``sigma'(z)``, which vanishes when the output saturates. A
network that is *confidently wrong* therefore learns slowly. The cross-entropy's gradient is
``a - y``: the more wrong, the faster it learns.

We train the same :class:`~skphys.neural_network.MLPClassifier` on the digits with plain SGD,
changing only ``loss``, from a deliberately bad start: the output layer's weights are scaled up
so that the first predictions are saturated and mostly wrong.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skphys.neural_network import MLPClassifier

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0, stratify=y)

curves = {}
for loss in ["log_loss", "squared_error"]:
    clf = MLPClassifier((64,), loss=loss, solver="sgd", learning_rate_init=0.05,
                        momentum=0.0, max_iter=1, random_state=0)
    clf.partial_fit(X_train, y_train, classes=np.arange(10))
    with torch.no_grad():  # saturate the output: confidently wrong predictions
        clf.net_.module_.linears[-1].weight.mul_(20.0)
    accuracy = [clf.score(X_test, y_test)]
    for epoch in range(30):
        clf.partial_fit(X_train, y_train)
        accuracy.append(clf.score(X_test, y_test))
    curves[loss] = accuracy
    print(f"{loss:>13}: test accuracy after 1, 10, 30 epochs: "
          f"{accuracy[1]:.3f}, {accuracy[10]:.3f}, {accuracy[30]:.3f}")

fig, ax = plt.subplots(figsize=(6, 4))
for loss, acc in curves.items():
    ax.plot(acc, label={"log_loss": "cross-entropy", "squared_error": "quadratic cost"}[loss])
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.set_title("Learning from a saturated, wrong start")
ax.legend()
plt.show()

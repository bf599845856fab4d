"""
==================================
A small CNN on MNIST in five lines
==================================

:class:`~skphys.neural_network.CNNClassifier` on the MNIST 10k test set (the only MNIST images
shipped with the project's shared data), split 8000/2000: two convolution blocks, a dense head,
three epochs on the CPU. Images of shape ``(n, 28, 28)`` go in as they are.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from skphys.datasets import load_mnist
from skphys.neural_network import CNNClassifier

torch.set_num_threads(1)
# the 10k MNIST test set, from the data home: SKPHYS_DATA (``make docs`` points it at the
# project's shared data) or ~/skphys_data
X, y = load_mnist(subset="test", normalize=True, return_X_y=True)
X = X.reshape(-1, 28, 28)
clf = CNNClassifier((16, 32), hidden_layer_sizes=(64,), batch_size=64, learning_rate_init=2e-3,
                    max_iter=3, random_state=0).fit(X[:8000], y[:8000])
print(f"test accuracy: {clf.score(X[8000:], y[8000:]):.4f} after {clf.n_iter_} epochs")

wrong = np.flatnonzero(clf.predict(X[8000:]) != y[8000:])[:8]
fig, axes = plt.subplots(1, len(wrong), figsize=(1.5 * len(wrong), 2))
for ax, i in zip(np.atleast_1d(axes), wrong):
    ax.imshow(X[8000 + i], cmap="gray_r")
    ax.set_title(f"{y[8000 + i]} → {clf.predict(X[8000 + i : 8001 + i])[0]}")
    ax.axis("off")
fig.suptitle("Misclassified test digits (true → predicted)")
plt.show()

"""
How many latent neurons? Autoencoder against PCA
================================================

An autoencoder squeezes each image through ``n_components`` latent neurons and rebuilds it.
PCA is the best *linear* autoencoder; a non-linear one reconstructs held-out digits with a
smaller error when the latent layer is narrow. The same comparison on MNIST-10k (when the
shared data folder is present), and images drawn from a variational autoencoder.
"""

import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skphys.decomposition import AutoencoderTransformer

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)


def errors(X, ks, epochs):
    Xtr, Xte = train_test_split(X, test_size=0.25, random_state=0)
    out = {"PCA": [], "autoencoder": []}
    for k in ks:
        models = {"PCA": PCA(k), "autoencoder": AutoencoderTransformer(
            k, hidden_layer_sizes=(256,), batch_size=64, learning_rate_init=3e-3,
            max_iter=epochs, random_state=0)}
        for name, model in models.items():
            model.fit(Xtr)
            rec = model.inverse_transform(model.transform(Xte))
            out[name].append(np.square(rec - Xte).sum(1).mean())
    return out


# epochs per data set: MNIST-10k's 7,500 training images give 117 steps an epoch (digits:
# 21), and 5 epochs already put the autoencoder below PCA at every width there
datasets = {"digits (8x8)": load_digits().data / 16.0}
epochs = {"digits (8x8)": 50, "MNIST-10k (28x28)": 5}
try:
    from skphys.datasets import load_mnist

    X_mnist = load_mnist(subset="test", normalize=True, return_X_y=True)[0]
    datasets["MNIST-10k (28x28)"] = X_mnist.reshape(-1, 784)
except Exception:  # noqa: BLE001 - the MNIST file is optional
    pass

ks = [2, 5, 10, 20, 32]
fig, axes = plt.subplots(1, len(datasets) + 1, figsize=(5 * (len(datasets) + 1), 4))
for ax, (name, X) in zip(axes, datasets.items()):
    for method, e in errors(X, ks, epochs=epochs[name]).items():
        ax.plot(ks, e, "o-", label=method)
    ax.set(title=name, xlabel="latent neurons", ylabel="held-out squared error per image",
           yscale="log")
    ax.legend()

# %%
# A variational autoencoder adds a KL term that makes the latent space a standard normal:
# decoding codes drawn from it gives new digits.
vae = AutoencoderTransformer(8, variational=True, batch_size=64, learning_rate_init=3e-3,
                             max_iter=80, random_state=0).fit(datasets["digits (8x8)"])
samples = vae.sample(40, random_state=0).reshape(4, 10, 8, 8)
axes[-1].imshow(samples.transpose(0, 2, 1, 3).reshape(32, 80), cmap="gray_r")
axes[-1].set(title="VAE samples", xticks=[], yticks=[])
fig.tight_layout()
plt.show()

"""Tour stop: how many latent neurons? Autoencoder against PCA on digits, and VAE samples."""

import warnings

import numpy as np

from ._plot import pyplot

TITLE = "Autoencoder vs PCA (digits)"


def run(out_dir, quick):
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    from skphys.decomposition import AutoencoderTransformer

    X = load_digits().data / 16.0
    Xtr, Xte = train_test_split(X, test_size=0.25, random_state=0)
    ks = (2, 10) if quick else (2, 5, 10, 20, 32)
    epochs = 40 if quick else 150
    params = dict(batch_size=64, learning_rate_init=3e-3, max_iter=epochs, random_state=0)
    err = {"PCA": [], "AE": []}
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for k in ks:
            pca = PCA(k).fit(Xtr)
            ae = AutoencoderTransformer(k, **params).fit(Xtr)
            for name, m in (("PCA", pca), ("AE", ae)):
                err[name].append(float(np.square(m.inverse_transform(m.transform(Xte)) - Xte)
                                       .sum(1).mean()))
            if k in (2, 10):
                ref = {2: "PCA 3.38 vs AE 2.36", 10: "PCA 1.26 vs AE 0.61"}[k]
                rows.append({"result": f"held-out squared error per digit, k={k}",
                             "value": f"PCA {err['PCA'][-1]:.2f} vs AE {err['AE'][-1]:.2f}",
                             "reference": f"ANCHORS.md {ref}; bar: AE >= 25% better"})
        vae = AutoencoderTransformer(10, variational=True, **params).fit(Xtr)
    rows.append({"result": "VAE held-out ELBO per digit (nats)",
                 "value": f"{vae.score(Xte):.1f}",
                 "reference": "higher is better; pixel noise scores far lower"})

    plt = pyplot()
    if plt is not None:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        for name, e in err.items():
            ax.plot(ks, e, "o-", label=name)
        ax.set(xlabel="latent neurons k", ylabel="held-out squared error per digit",
               yscale="log", title="How many latent neurons?")
        ax.legend()
        samples = vae.sample(40, random_state=0).reshape(4, 10, 8, 8)
        ax2.imshow(samples.transpose(0, 2, 1, 3).reshape(32, 80), cmap="gray_r")
        ax2.set(title="VAE samples (codes from the prior)", xticks=[], yticks=[])
        fig.tight_layout()
        fig.savefig(out_dir / "unsupervised_autoencoder.png", dpi=100)
        plt.close(fig)
    return rows

"""
=========================================================
Radial distribution functions of crystals as features
=========================================================

Schütt et al. (2014) described a crystal to a learning machine by its radial distribution
function g(r): how many atoms sit at distance r from an average atom, relative to a uniform
gas of the same density. :class:`~skphys.feature_extraction.RadialDistributionFeaturizer`
computes it with the Atomic Simulation Environment (ase) for any periodic structure, total or
per pair of elements. Here: four lattices of the elements, thermally disordered, and a
network that tells them apart from g(r) alone.
"""

# %%
# Four lattices with the same nearest-neighbour distance, 2.5 angstrom, with lattice
# constants spread by 2% and random displacements of 0.05 angstrom.
import matplotlib.pyplot as plt
import numpy as np
import torch
from ase.build import bulk
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.feature_extraction import RadialDistributionFeaturizer
from skphys.neural_network import MLPClassifier

torch.set_num_threads(1)
d = 2.5
lattices = {"fcc": ("Cu", dict(a=d * np.sqrt(2))), "bcc": ("Fe", dict(a=d * 2 / np.sqrt(3))),
            "hcp": ("Mg", dict(a=d, c=d * np.sqrt(8 / 3))),
            "diamond": ("Si", dict(a=d * 4 / np.sqrt(3)))}
rng = np.random.default_rng(0)
structures, labels = [], []
for name, (el, kw) in lattices.items():
    for _ in range(40):
        scale = rng.uniform(0.98, 1.02)
        atoms = bulk(el, name, **{k: v * scale for k, v in kw.items()}).repeat(2)
        atoms.rattle(0.05, seed=int(rng.integers(1 << 30)))
        structures.append(atoms)
        labels.append(name)
labels = np.array(labels)

# %%
# g(r) on 0.05-angstrom shells. The first shell holds 12 (fcc, hcp), 8 (bcc) or 4 (diamond)
# neighbours; fcc and hcp differ only from the third shell on.
rdf = RadialDistributionFeaturizer(r_max=5.0, n_bins=100)
X = rdf.fit_transform(structures)
fig, ax = plt.subplots(figsize=(8, 3.5))
for name in lattices:
    ax.plot(rdf.bin_centers_, X[labels == name].mean(axis=0), lw=1.2, label=name)
ax.set(xlabel="r (angstrom)", ylabel="g(r), mean over 40 samples",
       title="Four lattices, thermally disordered")
ax.legend()
fig.tight_layout()

# %%
# A skphys MLP learns the lattice from g(r).
X_train, X_test, y_train, y_test = train_test_split(X, labels, test_size=0.25,
                                                    stratify=labels, random_state=0)
clf = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=300,
                                                    learning_rate_init=1e-2, random_state=0))
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.2f}")
plt.show()

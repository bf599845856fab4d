"""
=======================================================
A topological transition by confusion: the Kitaev chain
=======================================================

Learning by confusion is not tuned to the Ising model. The Kitaev chain of spinless fermions
with p-wave pairing is topological for ``|mu| < 2t``: its ground state hosts Majorana modes,
which show up as exactly degenerate pairs in the entanglement spectrum of half the chain.
:func:`~skphys.phases.make_kitaev_chain` computes those spectra exactly (free fermions), with
the pairing drawn at random for every sample; the finder sees only the spectra and the chemical
potential, and places the transition at ``mu = 2t``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from skphys.neural_network import MLPClassifier
from skphys.phases import ConfusionPhaseFinder, make_kitaev_chain
from skphys.plotting import ConfusionCurveDisplay

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)

mu = np.linspace(0.05, 3.95, 21)
X, y = make_kitaev_chain(mu, n_samples=20, random_state=0)

fig, (ax_es, ax) = plt.subplots(1, 2, figsize=(10, 4))
for m in (0.5, 1.9, 2.1, 3.5):
    i = np.flatnonzero(np.isclose(y, mu[np.argmin(abs(mu - m))]))[0]
    ax_es.semilogy(np.arange(1, 9), X[i, :8], "o-", label=f"mu = {y[i]:.2f}")
ax_es.set_xlabel("level")
ax_es.set_ylabel("Schmidt probability")
ax_es.set_ylim(1e-4, 1.2)
ax_es.legend(fontsize="small")
ax_es.set_title("Entanglement spectra")

finder = ConfusionPhaseFinder(MLPClassifier((32,), max_iter=150, learning_rate_init=0.01),
                              strategy="multitask", random_state=0).fit(X, y)
print(f"confusion peak: mu_c = {finder.critical_point_:.3f} (exact 2t = 2)")
ConfusionCurveDisplay.from_estimator(finder, ax=ax, reference=2.0, parameter_name="mu / t")
ax.set_title("Learning by confusion, Kitaev chain")
plt.tight_layout()
plt.show()

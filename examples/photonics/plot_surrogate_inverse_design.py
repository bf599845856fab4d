"""
===========================================================================
Inverse design through a neural surrogate: gradient descent vs tandem net
===========================================================================

The machine-learning route to inverse design (Peurifoy et al. 2018, Liu et al. 2018): train a
network to imitate a simulator, then invert the network. The simulator here is the
transfer-matrix method (:func:`~skphys.photonics.transfer_matrix`) for stacks of 5-10
alternating TiO2/SiO2 layers 30-70 nm thick; the surrogate is an
:class:`~skphys.neural_network.MLPRegressor` from thicknesses to the reflectance at 64
wavelengths (400-800 nm).

Two inversions, both through the trained ``net_.module_``:

* **gradient descent on the input** (:func:`~skphys.photonics.invert_surrogate`): the design
  itself is optimised, from several random starts, to make the predicted spectrum match;
* **tandem network** (:func:`~skphys.photonics.tandem_inverse_design`): an inverse network
  (spectrum -> design) is trained through the frozen surrogate, after which designing is
  one forward pass.

Every design is re-simulated with the true TMM and compared with the target spectrum.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.neural_network import MLPRegressor
from skphys.photonics import (
    invert_surrogate,
    layer_indices,
    make_thin_film_spectra,
    tandem_inverse_design,
    transfer_matrix,
)

torch.set_num_threads(1)
wl = np.linspace(400.0, 800.0, 64)
X, Y = make_thin_film_spectra(5200, wavelengths=wl, random_state=0)
X_train, Y_train, X_test, Y_test = X[:5000], Y[:5000], X[5000:], Y[5000:]

surrogate = make_pipeline(StandardScaler(), MLPRegressor(
    hidden_layer_sizes=(256, 256, 256), learning_rate_init=2e-3, batch_size=100, alpha=0.0,
    max_iter=40, tol=0.0, n_iter_no_change=1000, warm_start=True, random_state=0))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    surrogate.fit(X_train, Y_train)
    for lr in (6e-4, 2e-4):  # two more rounds at smaller steps
        surrogate[-1].set_params(learning_rate_init=lr)
        surrogate[-1].set_params(max_iter=10)
        surrogate.fit(X_train, Y_train)


def rel_error(pred, true):
    return np.abs(pred - true).sum(1) / np.abs(true).sum(1)


def resimulate(designs):
    return transfer_matrix(designs, layer_indices(designs.shape[1]), wl)[0].numpy()


surrogate_error = rel_error(surrogate.predict(X_test), Y_test).mean()
print(f"surrogate error on held-out stacks: {surrogate_error:.3f}")

mask = X_test > 0  # each target's number of layers is given
designs = {
    "random": np.random.RandomState(1).uniform(30, 70, mask.shape) * mask,
    "gradient (Peurifoy)": invert_surrogate(surrogate, Y_test, bounds=(30, 70), mask=mask,
                                            n_starts=4, random_state=0),
    "tandem (Liu)": tandem_inverse_design(surrogate, Y_train, Y_test, bounds=(30, 70),
                                          mask_train=X_train > 0, mask=mask, max_iter=20,
                                          random_state=0)[0],
}
errors = {name: rel_error(resimulate(d), Y_test) for name, d in designs.items()}
for name, e in errors.items():
    print(f"{name:>20s}: re-simulated relative error {e.mean():.3f} (median {np.median(e):.3f})")

# %%
# One target and what each method found for it.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
i = 0
ax1.plot(wl, Y_test[i], "k", lw=2, label="target")
for name, d in designs.items():
    ax1.plot(wl, resimulate(d[i : i + 1])[0], label=name)
ax1.set(xlabel="wavelength (nm)", ylabel="reflectance", title="re-simulated spectra")
ax1.legend(fontsize="small")
ax2.boxplot(list(errors.values()), tick_labels=list(errors), showfliers=False)
ax2.set(yscale="log", ylabel="relative error", title=f"{len(Y_test)} held-out targets")
fig.tight_layout()
plt.show()

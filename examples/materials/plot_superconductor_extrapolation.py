"""
=====================================================================
Interpolates, cannot extrapolate: holding out a superconductor family
=====================================================================

The lecture's warning about T_c models: a network trained on SuperCon interpolates well
between known compounds, but it cannot extrapolate in a complex parameter space, and the
data hold no information about what is *not* a superconductor. The test of that is to
train without a whole family and predict it: cross validation by family
(:class:`~sklearn.model_selection.LeaveOneGroupOut`, a :class:`~sklearn.model_selection.GroupKFold`
with one family per fold) instead of random folds.

By default the example uses the 68 superconductors shipped with skphys (nine families, from
elements to cuprates); with Stanev's SuperCon extract downloaded
(``fetch_superconductivity(source="stanev")``) it uses the compounds above 10 K, in three
families (cuprates, iron-based, others).
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import KFold, LeaveOneGroupOut, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import fetch_superconductivity, load_superconductors
from skphys.feature_extraction import CompositionFeaturizer
from skphys.neural_network import MLPRegressor

torch.set_num_threads(1)
warnings.filterwarnings("ignore", category=ConvergenceWarning)

try:
    data = fetch_superconductivity(source="stanev", download_if_missing=False)
    keep = data.target > 10
except FileNotFoundError:
    data = load_superconductors()
    keep = data.target > 0
formulas, family = data.data[keep], data.family[keep]
y = np.log10(data.target[keep])
full = len(y) > 1000
X = CompositionFeaturizer("magpie").fit_transform(formulas)
names, counts = np.unique(family, return_counts=True)
print(dict(zip(names, counts.tolist())))

# %%
# The same two models, scored twice: random 5-fold splits (every family is seen in
# training) and one fold per family (the family to predict is never seen).
models = {
    "skphys MLPRegressor": make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(128, 64), alpha=1e-3 if full else 1.0,
        learning_rate_init=1e-3 if full else 1e-2, max_iter=200 if full else 300,
        early_stopping=full, random_state=0)),
    "random forest": RandomForestRegressor(50 if full else 100, max_features=0.3,
                                           random_state=0, n_jobs=1),
}
splits = {"random folds": dict(cv=KFold(5, shuffle=True, random_state=0)),
          "family held out": dict(cv=LeaveOneGroupOut(), groups=family)}
pred = {(m, s): cross_val_predict(model, X, y, **kw)
        for m, model in models.items() for s, kw in splits.items()}

# %%
# Mean absolute error of log10 T_c for each family: a factor of 10 ** MAE off on average.
print(f"{'model':22s} {'family':14s} {'random folds':>13s} {'family held out':>16s}")
for m in models:
    for fam in names:
        rows = family == fam
        errs = [mean_absolute_error(y[rows], pred[m, s][rows]) for s in splits]
        print(f"{m:22s} {fam:14s} {errs[0]:13.2f} {errs[1]:16.2f}")
    errs = [mean_absolute_error(y, pred[m, s]) for s in splits]
    print(f"{m:22s} {'all':14s} {errs[0]:13.2f} {errs[1]:16.2f}")

# %%
# Held out, the cuprates (and, on the full data, the iron-based superconductors) are put
# near the T_c of the families the model has seen: far too low.
fig, axes = plt.subplots(2, 2, figsize=(10, 9), sharex=True, sharey=True)
colors = dict(zip(names, plt.cm.tab10(np.arange(len(names)) % 10)))
for i, m in enumerate(models):
    for j, s in enumerate(splits):
        ax = axes[i, j]
        for fam in names:
            rows = family == fam
            ax.scatter(10 ** y[rows], 10 ** pred[m, s][rows], s=6 if full else 25,
                       alpha=0.5 if full else 0.9, color=colors[fam], label=fam)
        lim = [10 ** y.min() * 0.7, 10 ** y.max() * 1.4]
        ax.plot(lim, lim, "k--", lw=1)
        ax.set(xscale="log", yscale="log", title=f"{m}, {s}\nMAE(log10 T_c) = "
               f"{mean_absolute_error(y, pred[m, s]):.2f}")
        if i == 1:
            ax.set_xlabel("measured T_c (K)")
        if j == 0:
            ax.set_ylabel("predicted T_c (K)")
axes[0, 0].legend(fontsize=7, markerscale=1.5)
fig.tight_layout()
plt.show()

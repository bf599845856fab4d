"""
=====================================================================
Critical temperatures from chemical formulas: MLPs beside a forest
=====================================================================

The lecture's slide "Machine learning modeling of T_c of superconductors": a chemical
formula becomes a vector of statistics of elemental properties
(:class:`~skphys.feature_extraction.CompositionFeaturizer`), and a network learns whether
T_c is above 10 K (Stanev et al. 2018: about 92% out-of-sample accuracy on SuperCon) and
how large log T_c is. skphys's :class:`~skphys.neural_network.MLPClassifier` and
:class:`~skphys.neural_network.MLPRegressor` sit beside scikit-learn's random forest, the
model Stanev et al. used.

By default the example uses the 68 superconductors shipped with skphys
(:func:`~skphys.datasets.load_superconductors`), where the numbers are rough (5-fold cross
validation on a few dozen materials). If Stanev's SuperCon extract has been downloaded
(``fetch_superconductivity(source="stanev")``, 16,414 compounds), it is used instead, with
an 80/20 split, and the printed figures can be set beside the paper's.
"""

# %%
# The data: formulas and T_c.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import fetch_superconductivity, load_superconductors
from skphys.feature_extraction import CompositionFeaturizer
from skphys.neural_network import MLPClassifier, MLPRegressor

torch.set_num_threads(1)
warnings.filterwarnings("ignore", category=ConvergenceWarning)

try:
    data = fetch_superconductivity(source="stanev", download_if_missing=False)
    name = "Stanev et al.'s SuperCon extract"
except FileNotFoundError:
    data = load_superconductors()
    name = "the 68 superconductors shipped with skphys"
formulas, tc = data.data, data.target
full = len(tc) > 1000
print(f"{name}: {len(tc)} compounds, {np.mean(tc > 10):.0%} with T_c above 10 K")

# %%
# Magpie's composition features (Ward et al. 2016): six statistics of 18 elemental
# properties, from the mendeleev package's periodic table.
featurizer = CompositionFeaturizer("magpie")
X = featurizer.fit_transform(formulas)
print(X.shape, featurizer.get_feature_names_out()[:4])


# %%
# Out-of-sample predictions: an 80/20 split on the full data, 5-fold cross validation on
# the small sample.
def out_of_sample(model, X, y, stratify):
    if full:
        idx = np.arange(len(y))
        train, test = train_test_split(idx, test_size=0.2, random_state=0,
                                       stratify=y if stratify else None)
        pred = np.full(len(y), np.nan)
        pred[test] = model.fit(X[train], y[train]).predict(X[test])
        return test, pred[test]
    cv = (StratifiedKFold if stratify else KFold)(5, shuffle=True, random_state=0)
    return np.arange(len(y)), cross_val_predict(model, X, y, cv=cv)


# A network fitted to a few dozen materials needs strong weight decay (alpha).
def mlp(cls, **kw):
    return make_pipeline(StandardScaler(), cls(
        hidden_layer_sizes=(128, 64), alpha=1e-3 if full else 1.0,
        learning_rate_init=1e-3 if full else 1e-2,
        max_iter=200 if full else 300, early_stopping=full, random_state=0, **kw))


# %%
# Above or below 10 K.
above = tc > 10
classifiers = {
    "skphys MLPClassifier": mlp(MLPClassifier),
    "random forest": RandomForestClassifier(100, random_state=0, n_jobs=1),
}
accuracy = {}
for label, model in classifiers.items():
    rows, pred = out_of_sample(model, X, above, stratify=True)
    accuracy[label] = accuracy_score(above[rows], pred)
    print(f"T_c > 10 K, {label}: accuracy {accuracy[label]:.3f}")
print("Stanev et al. 2018 (random forest, SuperCon): about 0.92")

# %%
# log10 T_c of the superconductors above 10 K (Stanev et al.'s regression set on the full
# data; on the small sample, all of them).
keep = above if full else tc > 0
Xr, yr = X[keep], np.log10(tc[keep])
regressors = {
    "skphys MLPRegressor": mlp(MLPRegressor),
    "random forest": RandomForestRegressor(100, max_features=0.3, random_state=0, n_jobs=1),
}
predictions = {}
for label, model in regressors.items():
    rows, pred = out_of_sample(model, Xr, yr, stratify=False)
    predictions[label] = (yr[rows], pred)
    print(f"log10 T_c, {label}: R^2 {r2_score(yr[rows], pred):.3f}")

# %%
# Predicted against measured T_c.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
for ax, (label, (true, pred)) in zip(axes, predictions.items()):
    ax.scatter(10 ** true, 10 ** pred, s=8 if full else 20, alpha=0.5 if full else 0.9)
    lim = [10 ** yr.min() * 0.8, 10 ** yr.max() * 1.2]
    ax.plot(lim, lim, "k--", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="measured T_c (K)", title=(
        f"{label}: R$^2$ = {r2_score(true, pred):.2f} (log T_c)"))
axes[0].set_ylabel("predicted T_c (K)")
fig.tight_layout()
plt.show()

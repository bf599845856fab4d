"""
==================================================================
Choosing the filter radius and design size with GridSearchCV
==================================================================

A device designer is an estimator, so scikit-learn's model selection applies. Here each
channel is sampled at three wavelengths (±20 nm around 1300 and 1550 nm); a 3-fold
stratified split designs the device on two of them per channel and scores it, with
:meth:`~skphys.photonics.InverseDeviceDesigner.score` (mean transmission into the target
port), on the held-out one: a cross-validated measure of how broadband the design is.
The search runs over the minimum feature size (``filter_radius``) and the footprint
(``design_size``).
"""

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skphys.photonics import InverseDeviceDesigner

torch.set_num_threads(1)

X = np.array([[1.28], [1.30], [1.32], [1.53], [1.55], [1.57]])
y = np.array([1, 1, 1, 0, 0, 0])
search = GridSearchCV(
    InverseDeviceDesigner(grid_spacing=0.05, max_iter=10, random_state=0),
    {"filter_radius": [0.05, 0.15], "design_size": [1.6, 2.4]},
    cv=StratifiedKFold(3),
)
search.fit(X, y)
table = pd.DataFrame(search.cv_results_)[
    ["param_design_size", "param_filter_radius", "mean_test_score", "std_test_score"]]
print(table.sort_values("mean_test_score", ascending=False).to_string(index=False))
print("best:", search.best_params_)
best = search.best_estimator_
print("insertion loss (dB) at the training wavelengths:", np.round(best.insertion_loss_, 2))

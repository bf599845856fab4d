"""
===========================================================
Swapping the import: scikit-learn's MLP, trained by PyTorch
===========================================================

:class:`skphys.neural_network.MLPClassifier` takes scikit-learn's parameters and exposes its
fitted attributes, so ``Pipeline``, ``GridSearchCV`` and ``cross_val_score`` work unchanged;
``dropout`` and ``device`` come on top. Here both versions are grid-searched over ``alpha``
on the digits in the same five lines.
"""

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.neural_network import MLPClassifier

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

for name, cls, extra in [("scikit-learn", SklearnMLP, {}),
                         ("skphys", MLPClassifier, {"dropout": 0.1})]:
    pipe = make_pipeline(StandardScaler(), cls((128,), max_iter=60, random_state=0, **extra))
    search = GridSearchCV(pipe, {f"{pipe.steps[-1][0]}__alpha": [1e-4, 1e-2]}, cv=3, n_jobs=2)
    search.fit(X_train, y_train)
    mlp = search.best_estimator_[-1]
    print(f"{name:>12}: best alpha {mlp.alpha:g}, {mlp.n_iter_} epochs, "
          f"test accuracy {search.score(X_test, y_test):.3f}, "
          f"coefs_ shapes {[c.shape for c in mlp.coefs_]}")

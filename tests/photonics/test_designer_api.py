"""scikit-learn's estimator checks for InverseDeviceDesigner, on wavelengths.

The common checks (tests/test_common.py) feed generic blobs, which hold zero, negative,
sub-grid and very long "wavelengths" that the designer refuses; the checks that fit such
data are expected failures there. Here the same checks run on a subclass that only maps
every finite number monotonically onto six wavelengths, 1.46-1.56 µm, before the designer
sees it (NaN and infinities are passed on, as are inputs that are not numeric arrays), so
each check tests the designer's API on wavelengths its grid resolves; few distinct
wavelengths keep the solves cheap.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from skphys.photonics import InverseDeviceDesigner


def _to_wavelengths(X):
    if sp.issparse(X):
        return X
    try:
        A = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return X  # strings, dicts, ...: the designer's own validation answers
    if A.ndim != 2:
        return X
    M = np.where(np.isfinite(A), 1.46 + 0.02 * np.round(2.5 + 2.5 * np.tanh(A)), A)
    if hasattr(X, "columns"):  # a DataFrame keeps its feature names
        return type(X)(M, columns=X.columns, index=X.index)
    return M


class DesignerOnWavelengths(InverseDeviceDesigner):
    def fit(self, X, y):
        return super().fit(_to_wavelengths(X), y)

    def transmission(self, X):
        return super().transmission(_to_wavelengths(X))

    def predict(self, X):
        return super().predict(_to_wavelengths(X))

    def predict_proba(self, X):
        return super().predict_proba(_to_wavelengths(X))

    def score(self, X, y, sample_weight=None):
        return super().score(_to_wavelengths(X), y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = False  # any number maps to a wavelength
        return tags


#: 70 x 70 cells (Si in SiO2, 50 nm grid: >= 8.3 cells per wavelength in the core); three
#: ports 0.7 µm apart stay uncoupled and confined up to 1.56 µm
INSTANCE = DesignerOnWavelengths(design_size=1.4, grid_spacing=0.05, port_spacing=0.7,
                                 margin=0.8, pml_thickness=0.25, filter_radius=0.0,
                                 max_iter=1, random_state=0)


@parametrize_with_checks([INSTANCE])
def test_sklearn_checks_on_wavelengths(estimator, check):
    check(estimator)

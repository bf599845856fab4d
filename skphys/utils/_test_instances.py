"""Fast instances of each estimator for the common checks, and reasoned expected failures.

As in scikit-learn's ``instance_generator.py``: one place that says how each estimator is
made quick enough for ``parametrize_with_checks`` and why a check, if any, is expected to
fail. Keys are class names, so subpackages add their estimators here without imports.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression

from skphys.neural_network import MLPClassifier as _MLPClassifier
from skphys.nn import MLP as _MLP
from skphys.quantum import RBMWavefunction as _RBMWavefunction
from skphys.quantum import TransverseFieldIsing as _TFIM

#: constructor arguments that make each estimator fast on the checks' tiny data sets
# (the networks' max_iter: every check also passes with fewer, 40 for the classifiers, 60
# for the regressors, 90 for the RNN regressor; the RNN classifier keeps 100)
TEST_PARAMS = {
    "MLPClassifier": dict(hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01,
                          random_state=0),
    "MLPRegressor": dict(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01,
                         random_state=0),
    "CNNClassifier": dict(filters=(4,), hidden_layer_sizes=(16,), max_iter=50,
                          learning_rate_init=0.01, random_state=0),
    "CNNRegressor": dict(filters=(4,), hidden_layer_sizes=(16,), max_iter=100,
                         learning_rate_init=0.01, random_state=0),
    "TorchClassifier": dict(module=_MLP, module__hidden_layer_sizes=(16,), max_iter=50,
                            learning_rate_init=0.01, random_state=0),
    "TorchRegressor": dict(module=_MLP, module__hidden_layer_sizes=(16,), max_iter=100,
                           learning_rate_init=0.01, random_state=0),
    "RNNClassifier": dict(hidden_size=8, max_iter=100, learning_rate_init=0.02, random_state=0),
    "RNNRegressor": dict(hidden_size=8, max_iter=120, learning_rate_init=0.02, random_state=0),
    # a 50 x 50-cell demux (1.4 µm design, 50 nm grid), one iteration
    "InverseDeviceDesigner": dict(design_size=1.4, grid_spacing=0.05, margin=0.3,
                                  pml_thickness=0.25, filter_radius=0.0, max_iter=1,
                                  random_state=0),
    # binarize: the checks fit continuous data, which plain spin snapshots refuse
    "RBMWavefunction": dict(max_iter=20, binarize=0.5, random_state=0),
    # two levels of a 3-spin Ising ring, a few exact-sampling iterations each
    "ExcitedStates": dict(estimator=_RBMWavefunction(_TFIM(3), sampler="exact", max_iter=5,
                                                     n_samples=50, random_state=0),
                          n_states=2),
    # two steps of the dynamics of 3 spins (exact sums)
    "TimeEvolution": dict(hamiltonian=_TFIM(3), t_final=0.02, dt=0.01),
    "ConfusionPhaseFinder": dict(estimator=LogisticRegression(), boundaries=3, cv=2,
                                 random_state=0),
    "AutoencoderTransformer": dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
    "GANSampler": dict(n_components=4, generator_layer_sizes=(8,), discriminator_layer_sizes=(8,),
                       max_iter=3, random_state=0),
    "AdversarialPerturber": dict(estimator=_MLPClassifier((8,), max_iter=30, random_state=0),
                                 attack="pgd", eps=0.1, max_iter=3),
    "AdversarialTrainingClassifier": dict(
        estimator=_MLPClassifier((16,), max_iter=100, learning_rate_init=0.01, random_state=0),
        eps=0.05, max_iter=2),
    "DreamExplainer": dict(estimator=_MLPClassifier((8,), max_iter=30, random_state=0),
                           max_iter=5),
    # threshold 0 never abstains: the checks compare predict with argmax(predict_proba) and
    # want labels from classes_; abstention is tested in tests/model_selection
    "ConfidenceThresholdClassifier": dict(estimator=LogisticRegression(), threshold=0.0),
}

#: data for skphys's own checks where generic blobs are not valid input (X with units)
TEST_DATA = {
    # free-space wavelengths (µm) that the instance above resolves (>= 8.6 cells in Si) and
    # whose port modes stay apart: two channels per port
    "InverseDeviceDesigner": lambda: (np.array([[1.55], [1.50], [1.60], [1.52]]),
                                      np.array([0, 1, 0, 1])),
}


#: the checks that fit validates X: not for estimators whose fit reads no data (the problem
#: is in their parameters; X is accepted and ignored so that GridSearchCV can pass it)
_X_NOT_READ = [
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_complex_data",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_estimators_nan_inf",
    "check_estimator_sparse_tag",
    "check_fit1d",
]

_NOT_WAVELENGTHS = (
    "scikit-learn's generic data are not wavelengths: its blobs (shifted to >= 0 by the "
    "positive_only tag) hold a zero, sub-grid and very long wavelengths, which the designer "
    "refuses with a ValueError naming X and the valid range (tests/photonics covers the "
    "same API on physical wavelengths)")

#: {class name: {check name: reason}}; every entry must say why
_STOCHASTIC_PERTURBATION = (
    "the training batches are perturbed with random draws (PGD's random start) whose "
    "sequence depends on the number of rows, so repeating a sample is not the same as "
    "doubling its weight")
EXPECTED_FAILED_CHECKS = {
    "InverseDeviceDesigner": dict.fromkeys([
        "check_classifier_data_not_an_array",
        "check_classifiers_classes",
        "check_classifiers_one_label",
        "check_classifiers_train",
        "check_classifiers_train(readonly_memmap=True)",
        "check_classifiers_train(readonly_memmap=True,X_dtype=float32)",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_estimators_pickle(readonly_memmap=True)",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_non_transformer_estimators_n_iter",
        "check_pipeline_consistency",
        "check_readonly_memmap_input",
        "check_supervised_y_2d",
    ], _NOT_WAVELENGTHS),
    "AdversarialTrainingClassifier": {
        "check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_PERTURBATION,
    },
    "TimeEvolution": dict.fromkeys(_X_NOT_READ, (
        "fit takes no data: the dynamics is fixed by the parameters (hamiltonian, "
        "initial_state, t_final), and X is accepted and ignored, as in a ground-state fit of "
        "RBMWavefunction, so the checks that fit validates X do not apply (every other check "
        "passes; tests/quantum/test_tdvp.py covers the estimator)")),
    "AdversarialPerturber": {"check_transformer_n_iter": (
        "max_iter is the number of attack steps in transform (ART's name); fit does not "
        "iterate, so there is no n_iter_")},
    "ExcitedStates": dict.fromkeys(_X_NOT_READ, (
        "fit takes no data: the Hamiltonian of its estimator is the problem, and X is ignored "
        "(accepted only so that GridSearchCV can pass it), as by RBMWavefunction with a "
        "hamiltonian; the checks' X is never read (tests/quantum/test_excited.py covers the "
        "estimator on its own terms)")),
    "DreamExplainer": {
        "check_transformer_n_iter": (
            "max_iter bounds the dreaming steps in transform; fit does not iterate, so "
            "there is no n_iter_ (the steps of each dream are in dream()'s report)"),
        "check_methods_sample_order_invariance": (
            "float32: a permuted batch changes BLAS blocking, so dreams differ by ~1 ulp "
            "(3e-8), above the check's atol=1e-9"),
    },
}


def test_data(estimator):
    """``(X, y)`` for skphys's checks of ``estimator``, or None for the generic data."""
    make = TEST_DATA.get(type(estimator).__name__)
    return None if make is None else make()


test_data.__test__ = False  # not a pytest test


def test_instance(cls):
    """An instance of ``cls`` configured for the common checks."""
    return cls(**TEST_PARAMS.get(cls.__name__, {}))


test_instance.__test__ = False  # not a pytest test


def expected_failed_checks(estimator):
    """The expected failures (with reasons) of ``estimator`` for ``parametrize_with_checks``."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})

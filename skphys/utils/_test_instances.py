"""Fast instances of each estimator for the common checks, and reasoned expected failures.

As in scikit-learn's ``instance_generator.py``: one place that says how each estimator is
made quick enough for ``parametrize_with_checks`` and why a check, if any, is expected to
fail. Keys are class names, so subpackages add their estimators here without imports.
"""

from sklearn.linear_model import LogisticRegression

from skphys.neural_network import MLPClassifier as _MLPClassifier
from skphys.nn import MLP as _MLP

#: constructor arguments that make each estimator fast on the checks' tiny data sets
TEST_PARAMS = {
    "MLPClassifier": dict(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01,
                          random_state=0),
    "MLPRegressor": dict(hidden_layer_sizes=(16,), max_iter=200, learning_rate_init=0.01,
                         random_state=0),
    "CNNClassifier": dict(filters=(4,), hidden_layer_sizes=(16,), max_iter=100,
                          learning_rate_init=0.01, random_state=0),
    "CNNRegressor": dict(filters=(4,), hidden_layer_sizes=(16,), max_iter=200,
                         learning_rate_init=0.01, random_state=0),
    "TorchClassifier": dict(module=_MLP, module__hidden_layer_sizes=(16,), max_iter=100,
                            learning_rate_init=0.01, random_state=0),
    "TorchRegressor": dict(module=_MLP, module__hidden_layer_sizes=(16,), max_iter=200,
                           learning_rate_init=0.01, random_state=0),
    "RNNClassifier": dict(hidden_size=8, max_iter=100, learning_rate_init=0.02, random_state=0),
    "RNNRegressor": dict(hidden_size=8, max_iter=200, learning_rate_init=0.02, random_state=0),
    # a 12 x 12-cell device, one iteration: the checks fit hundreds of random "wavelengths"
    "InverseDeviceDesigner": dict(design_size=0.4, grid_spacing=0.1, waveguide_width=0.2,
                                  margin=0.2, pml_thickness=0.2, filter_radius=0.0,
                                  max_iter=1, random_state=0),
    # binarize: the checks fit continuous data, which plain spin snapshots refuse
    "RBMWavefunction": dict(max_iter=20, binarize=0.5, random_state=0),
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

#: {class name: {check name: reason}}; every entry must say why
_STOCHASTIC_PERTURBATION = (
    "the training batches are perturbed with random draws (PGD's random start) whose "
    "sequence depends on the number of rows, so repeating a sample is not the same as "
    "doubling its weight")
EXPECTED_FAILED_CHECKS = {
    "AdversarialTrainingClassifier": {
        "check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_PERTURBATION,
    },
    "AdversarialPerturber": {"check_transformer_n_iter": (
        "max_iter is the number of attack steps in transform (ART's name); fit does not "
        "iterate, so there is no n_iter_")},
    "DreamExplainer": {
        "check_transformer_n_iter": (
            "max_iter bounds the dreaming steps in transform; fit does not iterate, so "
            "there is no n_iter_ (the steps of each dream are in dream()'s report)"),
        "check_methods_sample_order_invariance": (
            "float32: a permuted batch changes BLAS blocking, so dreams differ by ~1 ulp "
            "(3e-8), above the check's atol=1e-9"),
    },
}


def test_instance(cls):
    """An instance of ``cls`` configured for the common checks."""
    return cls(**TEST_PARAMS.get(cls.__name__, {}))


test_instance.__test__ = False  # not a pytest test


def expected_failed_checks(estimator):
    """The expected failures (with reasons) of ``estimator`` for ``parametrize_with_checks``."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})

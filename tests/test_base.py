"""The shared base: batching, seeding, devices, tags."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from skphys.base import SliceBatches, TensorData
from skphys.neural_network import CNNClassifier, MLPClassifier, RNNRegressor
from skphys.utils import draw_seed, resolve_device, seeded, to_tensor


def test_slice_batches_cover_every_sample_once_in_a_new_order_each_epoch():
    X = torch.arange(23.0)[:, None]
    y = torch.arange(23)
    batches = SliceBatches(TensorData(X, y), batch_size=5, shuffle=True,
                           random_state=np.random.RandomState(0))
    assert len(batches) == 5
    orders = []
    for _ in range(2):
        seen = [(xb, yb) for xb, yb in batches]
        assert [len(yb) for _, yb in seen] == [5, 5, 5, 5, 3]
        order = torch.cat([yb for _, yb in seen])
        assert sorted(order.tolist()) == list(range(23))
        assert all(torch.equal(xb[:, 0].long(), yb) for xb, yb in seen)  # rows stay paired
        orders.append(order)
    assert not torch.equal(orders[0], orders[1])
    plain = torch.cat([yb for _, yb in SliceBatches(TensorData(X, y), batch_size=10)])
    assert torch.equal(plain, y)


def test_batches_are_views_without_shuffle():
    X = torch.randn(10, 3)
    xb, _ = next(iter(SliceBatches(TensorData(X), batch_size=4)))
    assert xb.data_ptr() == X.data_ptr()


def test_seeded_block_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded(7, torch.device("cpu")):
        a = torch.rand(2)
    after = torch.rand(3)
    with seeded(7, torch.device("cpu")):
        b = torch.rand(2)
    assert torch.equal(a, b) and torch.equal(after, expected)
    assert draw_seed(0) == draw_seed(0) != draw_seed(1)


def test_fit_does_not_consume_torch_global_rng():
    X, y = np.random.RandomState(0).rand(30, 4), np.arange(30) % 2
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    assert torch.equal(torch.rand(2), expected)


def test_device_auto_and_tensor_conversion():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")
    ro = np.arange(6.0).reshape(2, 3)
    ro.setflags(write=False)
    t = to_tensor(ro, torch.device("cpu"), dtype=torch.float32)
    assert t.dtype == torch.float32 and t.shape == (2, 3)


def test_fitted_estimator_reports_device_and_net():
    X, y = np.random.RandomState(0).rand(30, 4), np.arange(30) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((4,), max_iter=2, random_state=0, device="auto").fit(X, y)
    assert clf.device_ == resolve_device("auto")
    assert len(clf.net_.history) == clf.n_iter_ == 2
    assert clf.net_.history[-1, "train_loss"] == pytest.approx(clf.loss_)


def test_tags_follow_the_input_layout():
    assert MLPClassifier().__sklearn_tags__().input_tags.three_d_array is False
    assert CNNClassifier().__sklearn_tags__().input_tags.three_d_array is True
    tags = RNNRegressor().__sklearn_tags__()
    assert tags.input_tags.three_d_array and tags.target_tags.multi_output


def test_nn_modules_import_neither_sklearn_nor_skorch():
    import ast
    from pathlib import Path

    import skphys.nn

    for path in Path(skphys.nn.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] in {"sklearn", "skorch"} for n in names), path


def test_threaded_fits_are_reproducible():
    """torch's generators are global: fits in threads of one process must not interleave."""
    from joblib import Parallel, delayed

    X, y = np.random.RandomState(0).rand(200, 8), np.arange(200) % 3

    def fit(seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = MLPClassifier((16,), dropout=0.3, max_iter=3, random_state=seed)
            return clf.fit(X, y).predict_proba(X)

    sequential = [fit(s) for s in range(4)]
    threaded = Parallel(n_jobs=4, backend="threading")(delayed(fit)(s) for s in range(4))
    for a, b in zip(sequential, threaded):
        np.testing.assert_array_equal(a, b)

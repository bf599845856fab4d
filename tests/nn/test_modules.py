"""The pure torch modules: shapes, layers, activations."""

import pytest
import torch

from skphys.nn import CNN, MLP, RNN, HybridCNN, make_activation


def test_mlp_layers_and_shapes():
    m = MLP(5, (7, 3), 2, activation="tanh", dropout=0.5)
    assert [lin.weight.shape for lin in m.linears] == [(7, 5), (3, 7), (2, 3)]
    assert sum(isinstance(x, torch.nn.Dropout) for x in m) == 2
    assert m(torch.zeros(4, 5)).shape == (4, 2)


@pytest.mark.parametrize("shape", [(1, 16), (2, 16), (1, 9, 9), (3, 8, 6)])
@pytest.mark.parametrize("pooling", ["max", "avg", None])
def test_cnn_any_input_shape(shape, pooling):
    net = CNN(shape, 4, filters=(3, 5), pooling=pooling, hidden_layer_sizes=(6,))
    assert net(torch.zeros(2, *shape)).shape == (2, 4)
    conv = net.features[0]
    assert isinstance(conv, torch.nn.Conv1d if len(shape) == 2 else torch.nn.Conv2d)


def test_cnn_tiny_input_survives_pooling():
    net = CNN((1, 1), 2, filters=(2, 2, 2))
    assert net(torch.zeros(3, 1, 1)).shape == (3, 2)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_rnn_reads_the_last_step(cell):
    net = RNN(2, 3, hidden_size=4, cell=cell, bidirectional=True)
    x = torch.randn(5, 7, 2)
    assert net(x).shape == (5, 3)
    # changing only the last step changes the output (the readout sees it)
    x2 = x.clone()
    x2[:, -1] += 1.0
    assert not torch.allclose(net(x), net(x2))


def test_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation"):
        make_activation("swishy")


def test_hybrid_cnn_splits_the_row_into_signal_and_side_features():
    torch.manual_seed(0)
    net = HybridCNN(60 + 3, 5, n_pattern=60, filters=(4, 6), hidden_layer_sizes=(8,))
    assert net(torch.randn(2, 63)).shape == (2, 5)
    assert net.head[0].in_features == 6 + 3  # one maximum per filter of the last block + side
    # the signal passes through the convolutions; shifting it by a multiple of the pooling
    # strides (3 x 3), away from the edges, leaves the global maxima, hence the output, as
    # they were; the side features reach the head
    x = torch.zeros(1, 63)
    x[0, 25:29] = torch.tensor([0.2, 1.0, 0.5, 0.1])
    shifted = x.clone()
    shifted[0, :60] = torch.roll(x[0, :60], 9)
    assert torch.allclose(net(x), net(shifted), atol=1e-6)
    assert not torch.allclose(net(x), net(torch.zeros(1, 63)))
    side = x.clone()
    side[0, 61] = 1.0
    assert not torch.allclose(net(x), net(side))
    flat = HybridCNN(43, 5, n_pattern=40, filters=(4,), pool_size=2, global_pooling=False)
    assert flat.head[0].in_features == 4 * 20 + 3
    plain = HybridCNN(7, 2, n_pattern=0, hidden_layer_sizes=(4,))
    assert plain.features is None and plain(torch.zeros(3, 7)).shape == (3, 2)
    with pytest.raises(ValueError, match="n_pattern"):
        HybridCNN(7, 2, n_pattern=8)

"""The pure torch modules: shapes, layers, activations."""

import pytest
import torch

from skphys.nn import CNN, MLP, RNN, make_activation


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

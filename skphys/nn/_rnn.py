"""Recurrent network over sequences."""

import torch
from torch import nn

from ._mlp import dense_stack

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNN(nn.Module):
    """A recurrent layer stack read out from its last step by a dense head.

    The plain cell is ``h_t = g(W_hh h_{t-1} + W_xh x_t + b)`` with ``g = tanh`` (or relu);
    ``"lstm"`` and ``"gru"`` are the gated cells. Input is ``(batch, T, n_inputs)``.

    Parameters
    ----------
    n_inputs : int
        Features per time step.
    n_outputs : int
        Width of the output.
    hidden_size : int, default=64
        Width of the hidden state.
    num_layers : int, default=1
        Stacked recurrent layers.
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        Recurrent cell.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        ``g`` for the plain ``"rnn"`` cell.
    bidirectional : bool, default=False
        Read the sequence in both directions.
    hidden_layer_sizes : sequence of int, default=()
        Dense layers between the last hidden state and the output.
    dropout : float, default=0.0
        Dropout between stacked recurrent layers and in the head.
    """

    def __init__(self, n_inputs, n_outputs, hidden_size=64, num_layers=1, cell="lstm",
                 nonlinearity="tanh", bidirectional=False, hidden_layer_sizes=(), dropout=0.0):
        super().__init__()
        kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.recurrent = _CELLS[cell](
            n_inputs, hidden_size, num_layers=num_layers, batch_first=True,
            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0, **kwargs,
        )
        width = hidden_size * (2 if bidirectional else 1)
        self.head = nn.Sequential(*dense_stack(width, hidden_layer_sizes, n_outputs, "relu", dropout))

    def forward(self, x):
        out, _ = self.recurrent(x)
        if self.recurrent.bidirectional:  # forward state at the end, backward at the start
            h = self.recurrent.hidden_size
            return self.head(torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1))
        return self.head(out[:, -1])

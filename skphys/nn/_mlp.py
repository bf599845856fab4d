"""Multi-layer perceptron."""

from torch import nn

from ._activations import make_activation


def dense_stack(n_inputs, hidden_layer_sizes, n_outputs, activation="relu", dropout=0.0):
    """Linear layers with activation (and dropout) between them, as a list of modules."""
    layers = []
    width = n_inputs
    for size in hidden_layer_sizes:
        layers.append(nn.Linear(width, size))
        layers.append(make_activation(activation))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return layers


class MLP(nn.Sequential):
    """Fully connected network ``n_inputs -> hidden_layer_sizes -> n_outputs``.

    The output layer is linear (raw scores); the loss or the estimator applies softmax,
    sigmoid or nothing. Weights use PyTorch's default (Kaiming-uniform) initialisation.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Width of the output.
    activation : str, default="relu"
        Hidden activation: "relu", "tanh", "logistic", "identity" (and "gelu", "elu",
        "leaky_relu").
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    """

    def __init__(self, n_inputs, hidden_layer_sizes, n_outputs, activation="relu", dropout=0.0):
        super().__init__(*dense_stack(n_inputs, hidden_layer_sizes, n_outputs, activation, dropout))

    @property
    def linears(self):
        """The :class:`torch.nn.Linear` layers, input to output."""
        return [m for m in self if isinstance(m, nn.Linear)]

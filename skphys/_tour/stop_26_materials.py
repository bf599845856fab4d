"""Tour stop: superconductors from their formulas; random folds against a held-out family."""

import warnings

import numpy as np

from . import say
from ._plot import chance, pyplot

TITLE = "Superconductors from composition (CompositionFeaturizer, load_superconductors)"


def run(out_dir, quick):
    try:
        import mendeleev  # noqa: F401
    except ImportError:
        return [{"result": "skipped: needs the materials extra (mendeleev)", "value": "",
                 "reference": "pip install 'skphys[materials]'", "ok": None}]
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import mean_absolute_error
    from sklearn.model_selection import (
        KFold,
        LeaveOneGroupOut,
        StratifiedKFold,
        cross_val_predict,
        cross_val_score,
    )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..datasets import load_superconductors
    from ..feature_extraction import CompositionFeaturizer
    from ..neural_network import MLPClassifier, MLPRegressor

    trees = 50 if quick else 200
    sc = load_superconductors()
    say(f"{len(sc.target)} superconductors: MLP and random forest ({trees} trees), "
        "random folds and each family held out in turn")
    X = CompositionFeaturizer("hamidieh").fit_transform(sc.data)
    y = np.log10(sc.target)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, clf in (("MLP", make_pipeline(StandardScaler(), MLPClassifier(
                hidden_layer_sizes=(64,), alpha=1e-2, learning_rate_init=1e-2, max_iter=300,
                random_state=0, device="cpu"))),
                          ("random forest", RandomForestClassifier(trees, random_state=0))):
            above = sc.target > 10
            acc = cross_val_score(clf, X, above,
                                  cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
            # issue 18 sets no accuracy bar on the shipped sample: Stanev's figure is for
            # another data set, 200 times larger
            rows.append({"result": f"T_c above 10 K, {name}, 5-fold accuracy "
                                   f"({len(above)} materials)",
                         "value": f"{acc:.2f}",
                         "reference": "for scale: Stanev 2018 ~0.92 on 12,000 SuperCon "
                                      "compounds (issue 18: no bar here)",
                         "ok": None, "chance": chance(above)})
        mae = {}
        for name, reg in (("MLP", make_pipeline(StandardScaler(), MLPRegressor(
                hidden_layer_sizes=(64,), alpha=1e-2, learning_rate_init=1e-2, max_iter=500,
                random_state=0, device="cpu"))),
                          ("random forest", RandomForestRegressor(trees, random_state=0))):
            random = cross_val_predict(reg, X, y, cv=KFold(5, shuffle=True, random_state=0))
            held = cross_val_predict(reg, X, y, cv=LeaveOneGroupOut(), groups=sc.family)
            mae[name] = (mean_absolute_error(y, random), mean_absolute_error(y, held))
            rows.append({"result": f"log10 T_c MAE, {name}: random folds / family held out",
                         "value": f"{mae[name][0]:.2f} / {mae[name][1]:.2f}",
                         "reference": "lecture: interpolates, cannot extrapolate (issue 18 "
                                      "bar: held out worse)",
                         "ok": bool(mae[name][1] > mae[name][0])})
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for j, (name, (a, b)) in enumerate(mae.items()):
            ax.bar([j - 0.2, j + 0.2], [a, b], 0.4, color=["C0", "C3"],
                   label=["random folds", "family held out"] if j == 0 else None)
        ax.set_xticks(range(len(mae)), list(mae))
        ax.set(ylabel="MAE of log10(T_c / K)",
               title=f"Superconductors ({len(y)} materials): a family never seen")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "superconductors_family_hold_out.png", dpi=100)
        plt.close(fig)
    return rows

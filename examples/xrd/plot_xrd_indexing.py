"""
==============================================================================
Indexing powder patterns: the crystal system from figures of merit
==============================================================================

Before a crystallographer names a space group, they *index* the pattern: find the cell
whose reflections ``Q(hkl) = 1/d^2`` account for the observed peaks, trying the crystal
systems from cubic (one parameter) down to monoclinic (four). A system that fits every
peak with few calculated lines (a high de Wolff figure of merit) is the answer; a lower
system always fits too, with more lines. :class:`~skphys.feature_extraction.XRDIndexingFeatures`
does this for every pattern and returns the figures of merit, the fitted cells and the
shares of indexed peaks that obey centring conditions; a gradient-boosting classifier
learns the crystallographer's rule from them. A higher-symmetry cell often indexes a
lower-symmetry pattern within the tolerance (an orthorhombic cell whose ``a`` and ``b``
differ by a few per cent), so each fit is also judged by how *well* it explains the data:
the residual of its peaks, the share within a quarter of the tolerance, the calculated
lines it predicts where there is no peak, and a whole-pattern check of its lines against
the pattern's signal, weak peaks included.

Two limits set what any classifier can reach from peak positions:
:func:`~skphys.datasets.xrd_extinction_classes` groups the 230 space groups into the
classes that give the same peaks for every cell (same metric, same systematic absences).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import ConfusionMatrixDisplay

from skphys.datasets import (
    CRYSTAL_SYSTEMS,
    load_xrd_prototypes,
    make_xrd_patterns,
    xrd_extinction_classes,
    xrd_pattern,
)
from skphys.feature_extraction import XRDIndexingFeatures

# %%
# Textbook cases: rutile (TiO2, tetragonal) and wurtzite (ZnO, hexagonal) from the
# prototypes. Each indexes fully in its own system with the published cell; the cubic
# search leaves peaks over or needs a large cell with a poor figure of merit.
protos = load_xrd_prototypes(n_points=851)
index = XRDIndexingFeatures().set_output(transform="pandas")
F_protos = index.fit_transform(protos.data)  # all 36; a classifier reads them below
names = list(protos.name)
picks = [names.index("rutile"), [n.startswith("wurtzite") for n in names].index(True)]
F = F_protos.iloc[picks]
F.index = [names[i] for i in picks]
print(F[["cubic_indexed", "cubic_log_M", "tetragonal_indexed", "tetragonal_log_M",
         "tetragonal_a", "tetragonal_c", "hexagonal_indexed", "hexagonal_log_M",
         "hexagonal_a", "hexagonal_c"]].round(3).T)

# %%
# A pseudo-tetragonal crystal: orthorhombic with ``b`` 6% longer than ``a``, with 1% noise.
# Both cells may index its peaks; the orthorhombic one lands its lines within the
# peak-position noise, predicts fewer absent lines, and more of its lines carry signal.
res = xrd_pattern((4.0, 4.25, 6.0, 90, 90, 90), [(0, 0, 0), (.5, .5, .5), (.5, 0, .27)],
                  ["Cs", "Cl", "O"], n_points=851)
x = res.pattern / res.pattern.max()
x = x + 0.01 * np.random.default_rng(0).standard_normal(len(x))
f = index.fit_transform(x[None]).iloc[0]
print(f[[f"{s}_{k}" for k in ("indexed", "resid", "tight", "absent", "line_support")
         for s in ("tetragonal", "orthorhombic")]].round(3))

# %%
# The bounds from peak positions alone, for labels drawn as ``make_xrd_patterns`` draws
# them: groups uniform over the 230 (``target="space_group"``) or crystal systems balanced.
ext = xrd_extinction_classes()
print(f"{len(ext.classes)} classes of powder-indistinguishable space groups")
print(f"best space-group accuracy, groups uniform: {ext.space_group_bound:.3f}")
print(f"best crystal-system accuracy, groups uniform: "
      f"{ext.crystal_system_bound_uniform_groups:.3f}, systems balanced: "
      f"{ext.crystal_system_bound:.3f}")

# %%
# The space group shows in which of the indexed cell's reflections are missing. With
# ``reflection_conditions=True`` every class of groups with the same powder peaks gets two
# numbers on the cell fitted in its lattice family: ``unexplained``, the share of the peak
# intensity that the cell indexes but the class forbids, and ``absent``, the share of the
# lines the class allows (weighted by their expected height) that carry no signal. Rock
# salt (Fm-3m, class F23) and silicon (Fd-3m, class Fd-3): a primitive lattice (P23) leaves
# many allowed lines empty, I centring forbids 111 (weak in rock salt, strong in silicon),
# and only silicon's d glide empties 200 and 420 (F23 then leaves lines empty that Fd-3
# forbids). On the 0.1-degree grid used below, rock salt's weak 111 is not picked and the
# primitive cell of half the edge (2.82 angstrom) indexes the rest: the features describe
# the peaks that are there.
rock_salt = xrd_pattern((5.64,) * 3 + (90,) * 3,
                        [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0),
                         (.5, .5, .5), (.5, 0, 0), (0, .5, 0), (0, 0, .5)],
                        ["Na"] * 4 + ["Cl"] * 4)
f_sites = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0)]
silicon = xrd_pattern((5.431,) * 3 + (90,) * 3,
                      f_sites + [tuple(np.add(p, .25)) for p in f_sites], ["Si"] * 8)
ref = XRDIndexingFeatures(reflection_conditions=True).set_output(transform="pandas")
R = ref.fit_transform(np.stack([rock_salt.pattern, silicon.pattern]))
R.index = ["rock salt", "silicon"]
print(R[[f"ext_cubic_{c}_{k}" for c in ("P23", "I23", "F23", "Fd-3")
         for k in ("unexplained", "absent")]].round(2).T)

# %%
# Trigonal or hexagonal? P3 (143) and P6 (168) put their peaks at the same angles for every
# cell, so positions cannot tell them apart; intensities can, on average. Under a 6-fold
# axis the 00l reflections are fixed by six rotations, under a 3-fold axis by three, and
# Wilson's statistics multiply their expected intensity accordingly.
# ``hexagonal_I_00l`` is the mean 00l intensity of the fitted hexagonal cell over that of
# a random crystal's line (Lorentz-polarisation, multiplicity and the Wilson-plot fall-off
# divided out; -1 when no clean 00l line is in the grid).
X2, g2 = make_xrd_patterns(100, space_groups=[143, 168], target="space_group", n_points=851,
                           random_state=1)
i00l = XRDIndexingFeatures().set_output(transform="pandas").fit_transform(X2)[
    "hexagonal_I_00l"].to_numpy()
for g, symbol in [(143, "P3"), (168, "P6")]:
    print(f"{symbol}: median hexagonal_I_00l {np.median(i00l[(g2 == g) & (i00l >= 0)]):.2f}")

# %%
# Generated patterns of the 230 groups (groups uniform, the 0.1-degree grid of
# ``benchmarks/bench_xrd.py``), indexed and classified by crystal system: 400 patterns
# here (indexing them is most of this example's time), 30,000 in the benchmark.
N_TRAIN, N_TEST = 280, 120
X, _, info = make_xrd_patterns(N_TRAIN + N_TEST, target="space_group", n_points=851,
                               return_info=True, random_state=0)
y = np.array([CRYSTAL_SYSTEMS.index(s) for s in info.crystal_system])
F = XRDIndexingFeatures().fit_transform(X)
clf = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(F[:N_TRAIN],
                                                                         y[:N_TRAIN])
print(f"crystal system, generated test patterns: {clf.score(F[N_TRAIN:], y[N_TRAIN:]):.2f}"
      f" (majority class {np.bincount(y[N_TRAIN:]).max() / N_TEST:.2f})")
y_proto = np.array([CRYSTAL_SYSTEMS.index(s) for s in protos.crystal_system])
print(f"crystal system, the 36 prototypes: {clf.score(F_protos.to_numpy(), y_proto):.2f}")

# %%
# A convolutional network that also reads the indexing: :class:`~skphys.nn.HybridCNN`
# passes the pattern (on the ``ln d`` grid, where a cell's size is a shift) through
# convolutions, takes each filter's maximum over the grid and joins those numbers to the
# standardised indexing features before its dense layers; ``TorchClassifier`` makes it a
# scikit-learn classifier. A CNN that reads the pattern alone learns little from so few
# patterns (``tests/neural_network/test_hybrid_cnn_xrd.py``: 0.26 on 600 training patterns
# of this kind, the hybrid 0.645); ``benchmarks/bench_xrd.py`` trains the hybrid on 30,000
# patterns (and the space groups) and also feeds it the reflection-condition features, with
# the indexing on the generator's 0.05-degree grid: 0.83 on the crystal system with the
# groups uniform, 0.85 with the groups as among real crystals, also for the soft vote of
# five such networks that differ only in their seed (scikit-learn's ``VotingClassifier``,
# a deep ensemble: 0.854 against 0.846).
import warnings

from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skphys.datasets import resample_log_d
from skphys.neural_network import TorchClassifier
from skphys.nn import HybridCNN

L = resample_log_d(X, info.two_theta)
LF = np.hstack([L, F]).astype(np.float32)  # the network trains in its input's precision
hybrid = make_pipeline(
    ColumnTransformer([("pattern", "passthrough", slice(0, L.shape[1])),
                       ("features", StandardScaler(), slice(L.shape[1], None))]),
    TorchClassifier(HybridCNN, module__n_pattern=L.shape[1], module__filters=(8, 16, 32),
                    module__hidden_layer_sizes=(128,), module__dropout=0.2, max_iter=20,
                    random_state=0))
with warnings.catch_warnings():  # 20 epochs, by design: no convergence to wait for
    warnings.simplefilter("ignore", ConvergenceWarning)
    hybrid.fit(LF[:N_TRAIN], y[:N_TRAIN])
print(f"hybrid CNN, crystal system, generated test patterns: "
      f"{hybrid.score(LF[N_TRAIN:], y[N_TRAIN:]):.2f}")

# %%
# Where the errors fall: trigonal and hexagonal share the hexagonal lattice (and, for
# many groups, the same peaks: the bound above); the rest are mostly patterns with few
# peaks above the noise, which cells of several systems index equally well.
present = np.unique(y)
ConfusionMatrixDisplay.from_estimator(
    clf, F[N_TRAIN:], y[N_TRAIN:], labels=present,
    display_labels=[CRYSTAL_SYSTEMS[k][:5] for k in present], colorbar=False)
plt.title("Crystal system from indexing features")
plt.tight_layout()
plt.show()

"""Powder XRD: generator speed and intensities beside pyxtal + pymatgen; Vecsei et al.'s table.

Protocol (one thread; the peers are used when installed, else a warning line says so):

1. Speed. ``make_xrd_patterns(space_groups="all")`` on its default grid (5-90 degrees, 1701
   points, Cu K-alpha1): random crystals of the 230 groups, 2-3 sites of distinct elements,
   patterns with profiles, background and noise; median of ``--repeats`` runs of
   ``--n-speed`` patterns, once without and once with the spglib check of every label
   (``verify=True``); wall-clock and CPU time (the machine is shared: CPU seconds are what
   one core costs). Peer: pyxtal's random crystal of a random space group (two species, one
   general orbit each) and pymatgen's ``XRDCalculator`` peak list for it (no profile: that
   only favours the peer), ``--n-peer`` patterns.
2. Intensities. skphys's ``xrd_pattern`` against pymatgen's ``XRDCalculator`` (same
   wavelength 1.5406 A, no Debye-Waller factor) for the 36 prototypes of
   ``load_xrd_prototypes``: peaks matched by angle, largest difference of the intensities
   in % of the strongest peak.
3. The table of Vecsei et al. (PRB 99, 245120 (2019)): dense and convolutional networks
   trained on ``--n-train`` generated patterns (groups uniform over all 230, or with
   ``--space-group-weights materials_project`` as often as among the Materials Project's
   crystals, as the paper's ICSD crystals came; generated on the generator's default grid,
   0.05 degree (``--feature-points 1701``), from which the indexing features below are
   computed, while the networks read every other point, the grid at 0.1 degree: 851 points
   (the tables before 2026-11-26 were generated on that grid and indexed there too,
   ``--feature-points 851``; on the finer grid the indexing finds the generating cell far
   more often: orthorhombic 0.56 against 0.47, monoclinic 0.27 against 0.17 in
   ``tests/feature_extraction/test_xrd_indexing.py``), resampled on an even ln d grid; a third network, dense, reads the
   pattern's autocorrelation on that grid, ``log_d_autocorrelation``, where the cell's size
   drops out) for the crystal system and for the space group, tested on ``--n-test`` new generated patterns and on the 36 prototypes. Refusal:
   a ``ConfidenceThresholdClassifier`` on the fitted (frozen) network, its threshold tuned
   for 50% coverage on half of the generated test patterns; coverage and selective
   accuracy on the other half and on the prototypes. Paper (computed ICSD patterns, ~10^5):
   CNN 85% / 76%, dense 73% / 57% (crystal system / space group); measured RRUFF 56% / 42%,
   with refusal 54% -> 82% at about half coverage. For the space group also: the share of
   predictions in the right powder class (groups whose peaks sit at the same angles for any
   cell, ``powder_classes``), and the bounds that peak positions alone allow when the groups
   are drawn uniformly (``xrd_extinction_classes``: number of classes / 230 for the space
   group; for the crystal system, all but the trigonal/hexagonal groups that share a class).
   Indexing rows: ``XRDIndexingFeatures`` (each pattern indexed in five crystal systems;
   figures of merit, fitted cells, centring shares, the hexagonal cell's line intensities),
   computed once for all patterns
   (``featurise s``, ``--feature-jobs`` processes), read by a ``HistGradientBoostingClassifier``
   and, with the ln-d autocorrelation beside them, by the dense network. Reflection-condition
   rows add the 192 features of ``XRDIndexingFeatures(reflection_conditions=True)`` (for each
   powder extinction class, the peaks the fitted cell indexes but the class forbids and the
   allowed lines left empty; ``reflections s``): for the crystal system, gradient boosting
   tuned on the training set (learning rate 0.05, early stopping after 30 stale iterations)
   on them plus contrasts between the systems' fits (``indexing_contrasts``), and its soft
   vote (0.6 / 0.4) with the dense network on them plus the ln-d autocorrelation; for the
   space group, ``SpaceGroupRanker`` (one gradient-boosting model scores every pair of a
   pattern and a powder class; a group gets its class's share). The space-group rows also
   give the accuracy over the test patterns of each crystal system.
   Hybrid rows: one network fitted on the space groups (``hybrid_cnn``, ``HybridCNN`` through
   ``TorchClassifier``): convolutions over the pattern on the ln d grid, their maxima over the
   grid concatenated with the standardised indexing + reflection-condition features and
   contrasts before the dense layers; its space-group row is the network, its crystal-system
   row the sum of its groups' probabilities (``SystemFromGroups``); the same network without
   the convolutional branch beside it; and a soft vote (0.5 / 0.5, fixed beforehand) of the
   tuned boosting and the fitted hybrid (``fit s``: the boosting's); and a deep ensemble of
   the hybrid (``hybrid_ensemble``: the soft vote of ``N_SEEDS`` networks that differ only in
   their random seed, the hybrid above as seed 0; ``fit s``: all of them), on both tasks.
   Powder-class rows: the hybrid with a powder-class scorer (``ClassScoredHybrid``: one small
   network shared by the 97 powder classes reads each class's own features,
   ``class_features``, and adds its score to the logits of the class's groups; label
   smoothing 0.1), its deep ensemble likewise, and each fused with ``SpaceGroupRanker``
   (``PowderClassFusion``: the network's class probabilities pulled towards the ranker's,
   exponent ``FUSION_BETA``; scorer and exponent chosen on the training set's 24,000 /
   6,000 split, not on the test patterns). Peak-list row: the scored hybrid with
   ``peak_list`` beside the indexing features (the lowest 20 peaks' ``ln(Q_k / Q_1)`` and
   prominences, picked on the indexing's grid).

    python benchmarks/bench_xrd.py [--n-train 30000] [--n-test 6000] [--skip-table]
                                   [--models NAME ...] [--n-jobs N] [--batch-size B]
                                   [--feature-jobs N] [--feature-cache F.npz]
                                   [--ensemble-jobs N] [--name bench_xrd_table]
                                   [--space-group-weights materials_project]
                                   [--feature-points 1701]
"""

import argparse
import os
import time
import warnings

import numpy as np
import torch
from _common import report, timed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    QuantileTransformer,
    SplineTransformer,
    StandardScaler,
)

from skphys.datasets import (
    CRYSTAL_SYSTEMS,
    load_xrd_prototypes,
    log_d_autocorrelation,
    make_xrd_patterns,
    resample_log_d,
    xrd_extinction_classes,
    xrd_pattern,
)
from skphys.datasets._xrd_spacegroups import crystal_system_of, powder_classes
from skphys.feature_extraction import XRDIndexingFeatures
from skphys.feature_extraction._xrd_extinction import FAMILIES, extinction_tables
from skphys.feature_extraction._xrd_extinction import feature_names as reflection_names
from skphys.feature_extraction._xrd_indexing import _feature_names as indexing_names
from skphys.feature_extraction._xrd_indexing import pick_peaks
from skphys.feature_extraction._xrd_indexing import reflection_condition_features
from skphys.model_selection import ConfidenceThresholdClassifier
from skphys.neural_network import CNNClassifier, MLPClassifier, TorchClassifier
from skphys.nn import HybridCNN

PAPER = {("convolutional", "crystal system"): 0.85, ("convolutional", "space group"): 0.76,
         ("dense", "crystal system"): 0.73, ("dense", "space group"): 0.57}


def have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        print(f"WARNING: {module} is not installed; its rows are left empty (peer ran: no).")
        return False


def peer_patterns(n, seed=0):
    """pyxtal random crystals + pymatgen peak lists; returns (seconds, successes, atoms)."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pyxtal import pyxtal
    from pyxtal.symmetry import Group

    calc = XRDCalculator(wavelength=1.5406)
    rng = np.random.default_rng(seed)
    ok, atoms = 0, []
    t0 = time.perf_counter()
    for _ in range(n):
        sg = int(rng.integers(1, 231))
        m = Group(sg)[0].multiplicity
        crystal = pyxtal()
        try:
            crystal.from_random(3, sg, ["Na", "Cl"], [m, m])
            s = crystal.to_pymatgen()
            calc.get_pattern(s, two_theta_range=(5, 90))
        except Exception:  # noqa: BLE001 - pyxtal gives up on some draws
            continue
        ok += 1
        atoms.append(len(s))
    return time.perf_counter() - t0, ok, float(np.mean(atoms)) if atoms else float("nan")


def speed_rows(args):
    rows = []
    make_xrd_patterns(200, random_state=0)  # build the group and orbit tables once
    for verify in (False, True):
        cpu = []

        def run(v=verify, cpu=cpu):
            c0 = time.process_time()
            out = make_xrd_patterns(args.n_speed, verify=v, return_info=True, random_state=1)
            cpu.append(time.process_time() - c0)
            return out

        med, times, (_, _, info) = timed(run, args.repeats)
        rows.append({"what": f"skphys make_xrd_patterns (verify={verify})", "peer ran": "-",
                     "patterns/s": args.n_speed / med,
                     "patterns per CPU s": args.n_speed / float(np.median(cpu)),
                     "mean atoms/cell": info.n_atoms.mean(),
                     "note": f"{args.n_speed} patterns, runs {[round(t, 2) for t in times]} s"})
    if have("pyxtal") and have("pymatgen"):
        c0 = time.process_time()
        sec, ok, atoms = peer_patterns(args.n_peer)
        cpu = time.process_time() - c0
        rows.append({"what": "pyxtal random crystal + pymatgen XRDCalculator", "peer ran": "yes",
                     "patterns/s": ok / sec, "patterns per CPU s": ok / cpu,
                     "mean atoms/cell": atoms,
                     "note": f"{ok}/{args.n_peer} crystals made; peaks only, no profile"})
    else:
        rows.append({"what": "pyxtal random crystal + pymatgen XRDCalculator",
                     "peer ran": "no"})
    return rows


def intensity_rows():
    if not have("pymatgen"):
        return [{"what": "intensities vs pymatgen XRDCalculator", "peer ran": "no"}]
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice, Structure

    calc = XRDCalculator(wavelength=1.5406)
    protos = load_xrd_prototypes(B_iso=0.0)
    worst, worst_name, dpos, n_peaks = 0.0, "", 0.0, 0
    for name, s in zip(protos.name, protos.structures):
        pm = calc.get_pattern(Structure(Lattice(s.lattice), s.species.tolist(), s.positions),
                              two_theta_range=(5, 90))
        ours = xrd_pattern(s.lattice, s.positions, s.species).peaks
        for x, y in zip(pm.x, pm.y):
            j = np.argmin(np.abs(ours.two_theta - x))
            dpos = max(dpos, abs(ours.two_theta[j] - x))
            if abs(ours.intensity[j] - y) > worst:
                worst, worst_name = abs(ours.intensity[j] - y), name
            n_peaks += 1
    return [{"what": "intensities vs pymatgen XRDCalculator (36 prototypes)", "peer ran": "yes",
             "max |dI| % of strongest": worst, "max |d 2theta| deg": dpos,
             "note": f"{n_peaks} peaks; largest difference: {worst_name}"}]


def models(two_theta, cnn_epochs, batch_size=128):
    def log_d():  # the cell's scale becomes a shift (see resample_log_d)
        return FunctionTransformer(resample_log_d, kw_args={"two_theta": two_theta})

    return {
        "dense": make_pipeline(log_d(), MLPClassifier(
            (512, 256), dropout=0.2, batch_size=batch_size, max_iter=60, early_stopping=True,
            n_iter_no_change=6, random_state=0, device="auto")),
        # the autocorrelation on the ln d grid: where the peaks lie relative to each other,
        # not where they lie (the cell's size drops out)
        "dense, ln-d autocorrelation": make_pipeline(
            FunctionTransformer(log_d_autocorrelation, kw_args={"two_theta": two_theta}),
            MLPClassifier((512, 256), dropout=0.2, batch_size=batch_size, max_iter=60,
                          early_stopping=True, n_iter_no_change=6, random_state=0,
                          device="auto")),
        "convolutional": make_pipeline(log_d(), CNNClassifier(
            (16, 32, 64, 128), kernel_size=7, pool_size=3, hidden_layer_sizes=(512,),
            dropout=0.3, batch_size=batch_size, max_iter=cnn_epochs, random_state=0,
            device="auto")),
    }


N_INDEX = len(indexing_names())  # the 124 indexing features
N_REFLECT = len(reflection_names())  # the 192 reflection-condition features

#: pairs of crystal systems whose fits the contrasts compare (higher symmetry first)
CONTRAST_PAIRS = [("cubic", "tetragonal"), ("cubic", "hexagonal"), ("tetragonal", "orthorhombic"),
                  ("hexagonal", "orthorhombic"), ("orthorhombic", "monoclinic"),
                  ("cubic", "orthorhombic"), ("tetragonal", "monoclinic"),
                  ("hexagonal", "monoclinic"), ("tetragonal", "hexagonal")]
CONTRAST_QUALITIES = ["indexed", "indexed_intensity", "unexplained_signal", "log_M",
                      "first_miss", "tight", "line_support", "worst_miss"]


def indexing_contrasts(F):
    """The indexing features (first 124 columns, the rest passed on) and how each pair of
    systems' fits compare: differences of their qualities, log ratio of their residuals (the
    classifier picks the highest symmetry that explains the peaks as well as a lower one)."""
    F = np.asarray(F, dtype=float)
    col = {n: i for i, n in enumerate(indexing_names())}
    out = []
    for s, t in CONTRAST_PAIRS:
        out += [F[:, col[f"{s}_{q}"]] - F[:, col[f"{t}_{q}"]] for q in CONTRAST_QUALITIES]
        out.append(np.log(F[:, col[f"{s}_resid"]] + 1e-4)
                   - np.log(F[:, col[f"{t}_resid"]] + 1e-4))
    return np.hstack([F, np.stack(out, axis=1)])


def _columns(stop):
    return FunctionTransformer(lambda F, stop=stop: np.asarray(F)[:, :stop])


def tuned_boosting():
    """Gradient boosting as tuned on the training set (24,000 / 6,000 split of the 30,000,
    held-out accuracy: learning rate 0.05 with early stopping after 30 stale iterations
    0.7747 against 0.7723 for the defaults; max_leaf_nodes 63 or l2 1.0 no better)."""
    return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=1500,
                                          early_stopping=True, n_iter_no_change=30,
                                          random_state=0)


def _class_layout():
    """The 97 powder classes as the reflection-condition features hold them: the classes
    (tuples of group numbers; the 96 of ``extinction_tables`` family by family, then the
    triclinic one), the lattice family of each (0-4 in ``FAMILIES``' order, 5: triclinic) and,
    for the 96, the column of the class's ``unexplained`` feature in the indexing +
    reflection-condition features (its ``absent`` feature follows it)."""
    classes, family, cols, start = [], [], [], 0
    for f, (members, _) in enumerate(extinction_tables().values()):
        for k, c in enumerate(members):
            classes.append(c)
            family.append(f)
            cols.append(N_INDEX + start + 2 * k)
        start += 2 * len(members)
    classes.append((1, 2))  # triclinic: no cell, no conditions
    family.append(5)
    return classes, np.array(family), np.array(cols)


def _class_shares(F):
    """Each powder class's unexplained share ``U`` and absent share ``A`` (``(n, 97)``, in
    ``_class_layout``'s order; the triclinic class 0), ``U`` less the smallest of its family,
    and the class's rank in its family (0: the best, by ``U`` then ``A``), from the indexing +
    reflection-condition features ``F``."""
    F = np.asarray(F, dtype=float)
    classes, family, cols = _class_layout()
    n, K = len(F), len(classes)
    U, A = np.zeros((n, K)), np.zeros((n, K))
    U[:, :-1], A[:, :-1] = F[:, cols], F[:, cols + 1]
    dU, rank = np.zeros((n, K)), np.zeros((n, K))
    for f in range(6):
        w = family == f
        dU[:, w] = U[:, w] - U[:, w].min(axis=1, keepdims=True)
        rank[:, w] = np.argsort(np.argsort(U[:, w] * 1000 + A[:, w], axis=1), axis=1)
    return U, A, dU, rank


class SpaceGroupRanker(ClassifierMixin, BaseEstimator):
    """The space group by ranking the powder extinction classes of each pattern.

    Reads the 124 indexing features and the 192 reflection-condition features. A
    gradient-boosting model of the crystal system (its probabilities on the training
    patterns cross-validated, ``cv`` folds) gives each lattice family its probability;
    every (pattern, class) pair, 97 a pattern (the 96 classes of
    ``XRDIndexingFeatures(reflection_conditions=True)`` and the triclinic one), gets the
    class (categorical), its unexplained share and share of empty lines, the unexplained
    share over the family's best, the class's rank in its family, the family's probability
    and the class's size; one binary gradient-boosting model scores the pairs (1: the true
    class). A group's probability is its class's score (normalised over the classes) shared
    among the class's groups in proportion to their crystal system's probability (trigonal
    and hexagonal groups share classes).
    """

    def __init__(self, cv=3, random_state=0):
        self.cv = cv
        self.random_state = random_state

    def _layout(self):
        return _class_layout()

    @staticmethod
    def _family_proba(P):  # CRYSTAL_SYSTEMS -> cubic, tetr., hex. + trig., orth., mono., tricl.
        return np.stack([P[:, 6], P[:, 3], P[:, 4] + P[:, 5], P[:, 2], P[:, 1], P[:, 0]], 1)

    def _pairs(self, X, P_sys):
        classes, family, _ = self._layout()
        n, K = len(X), len(classes)
        U, A, dU, rank = _class_shares(X)
        size = np.log([len(c) for c in classes])
        Z = np.stack([np.broadcast_to(np.arange(K), (n, K)), U, A, dU, rank,
                      self._family_proba(P_sys)[:, family], np.broadcast_to(size, (n, K))], -1)
        return Z.reshape(n * K, -1)

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        F = X[:, :N_INDEX]
        systems = np.array([CRYSTAL_SYSTEMS.index(crystal_system_of(int(g))) for g in y])
        self.system_model_ = HistGradientBoostingClassifier(max_iter=300, random_state=0)
        P = cross_val_predict(self.system_model_, F, systems, cv=self.cv,
                              method="predict_proba")
        self.system_model_.fit(F, systems)
        classes, _, _ = self._layout()
        of = np.zeros(231, dtype=int)
        for k, c in enumerate(classes):
            of[list(c)] = k
        target = (of[y][:, None] == np.arange(len(classes))[None]).ravel()
        self.ranker_ = HistGradientBoostingClassifier(
            max_iter=300, categorical_features=[0], early_stopping=True,
            random_state=self.random_state).fit(self._pairs(X, P), target)
        self.classes_ = np.arange(1, 231)
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        P_sys = self.system_model_.predict_proba(X[:, :N_INDEX])
        classes, _, _ = self._layout()
        S = self.ranker_.predict_proba(self._pairs(X, P_sys))[:, 1].reshape(len(X), -1)
        S /= S.sum(axis=1, keepdims=True)
        out = np.zeros((len(X), 231))
        sys_of = np.array([0] + [CRYSTAL_SYSTEMS.index(crystal_system_of(g))
                                 for g in range(1, 231)])
        for k, c in enumerate(classes):
            w = P_sys[:, sys_of[list(c)]] + 1e-12  # (n, members)
            out[:, list(c)] += S[:, [k]] * w / w.sum(axis=1, keepdims=True)
        return out[:, 1:]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


#: each lattice family's fit qualities (the indexing features ``<family>_<quality>``) that
#: the class scorer reads beside a class's own features
CLASS_QUALITIES = ("indexed", "log_M", "completeness", "resid", "unexplained_signal",
                   "line_support", "indexed_intensity", "first_miss", "tight", "worst_miss")
#: numbers per powder class in ``class_features``
N_CLASS_FEATURES = 6 + len(CLASS_QUALITIES) + 6


def class_features(F):
    """Each powder class's own features, ``(n, 97 * N_CLASS_FEATURES)``, class after class in
    ``_class_layout``'s order, from the indexing + reflection-condition features (the first
    316 columns of ``F``): the class's unexplained and absent shares, the same less its
    family's best (the ranker's order: unexplained, then absent), its rank in the family
    (over the family's size), the log of its number of groups, its family's
    ``CLASS_QUALITIES`` (the residual's log) and its family one-hot (five families and the
    triclinic class, which has no cell: zeros but its size and family)."""
    F = np.asarray(F, dtype=float)
    classes, family, _ = _class_layout()
    n, K = len(F), len(classes)
    U, A, dU, rank = _class_shares(F)
    dA = np.zeros((n, K))
    quality = np.zeros((n, K, len(CLASS_QUALITIES)))
    column = {name: i for i, name in enumerate(indexing_names())}
    resid = CLASS_QUALITIES.index("resid")
    for f, name in enumerate(FAMILIES):
        w = family == f
        dA[:, w] = A[:, w] - np.sum(A[:, w] * (rank[:, w] == 0), axis=1, keepdims=True)
        rank[:, w] /= w.sum()
        q = np.stack([F[:, column[f"{name}_{quality}"]] for quality in CLASS_QUALITIES], 1)
        q[:, resid] = np.log(q[:, resid] + 1e-4)
        quality[:, w] = q[:, None]
    size = np.broadcast_to(np.log([len(c) for c in classes]), (n, K))
    one_hot = np.broadcast_to(np.eye(6)[family], (n, K, 6))
    Z = np.concatenate([np.stack([U, A, dU, dA, rank, size], axis=-1), quality, one_hot], -1)
    return Z.reshape(n, -1)


class ClassScoredHybrid(HybridCNN):
    """``HybridCNN`` whose score of each space group adds the score of its powder class.

    A row ends in the ``97 * N_CLASS_FEATURES`` numbers of ``class_features``; the rest is
    ``HybridCNN``'s input. One small network (two hidden layers of ``scorer_width``, ReLU),
    shared by the 97 classes, reads each class's features and gives the class a score, added
    to the logit of every group of the class (``group_class[k]``: the class of output ``k``).
    How a class's features bear on it (peaks its allowed reflections leave unexplained, lines
    it predicts that are empty) is learned once for all classes rather than group by group,
    which the groups with few training patterns need.
    """

    def __init__(self, n_features_in, n_outputs, n_pattern, group_class=(), scorer_width=64,
                 **kwargs):
        n_block = len(_class_layout()[0]) * N_CLASS_FEATURES
        super().__init__(n_features_in - n_block, n_outputs, n_pattern, **kwargs)
        if len(group_class) != n_outputs:
            raise ValueError(f"group_class has {len(group_class)} entries for {n_outputs} "
                             "outputs.")
        self.n_block = n_block
        self.scorer = torch.nn.Sequential(
            torch.nn.Linear(N_CLASS_FEATURES, scorer_width), torch.nn.ReLU(),
            torch.nn.Linear(scorer_width, scorer_width), torch.nn.ReLU(),
            torch.nn.Linear(scorer_width, 1))
        self.register_buffer("group_class", torch.as_tensor(group_class, dtype=torch.long))

    def forward(self, x):
        z = x[:, -self.n_block:].reshape(len(x), -1, N_CLASS_FEATURES)
        score = self.scorer(z).squeeze(-1)
        return super().forward(x[:, :-self.n_block]) + score[:, self.group_class]


class PowderClassScored(ClassifierMixin, BaseEstimator):
    """Fits a clone of ``estimator`` (a pipeline ending in a ``TorchClassifier`` of
    ``ClassScoredHybrid``) with the network's ``module__group_class`` set to the powder class
    of each group among the training labels, in the order of the network's outputs (the
    sorted labels)."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        groups = np.unique(np.asarray(y, dtype=int))
        self.estimator_ = clone(self.estimator)
        last = self.estimator_.steps[-1][0]
        class_of = _powder_class_of(_class_layout()[0])  # the scorer's order of the classes
        self.estimator_.set_params(**{f"{last}__module__group_class":
                                      tuple(int(k) for k in class_of[groups])})
        self.estimator_.fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def pool_powder_classes(P, groups, R, r_groups, beta):
    """``PowderClassFusion``'s probabilities: ``P`` (columns: ``groups``) with its powder
    classes' probabilities pulled towards those of ``R`` (columns: ``r_groups``)."""
    of = _powder_class_of()
    own, theirs = of[np.asarray(groups, dtype=int)], of[np.asarray(r_groups, dtype=int)]
    P_class, R_class = np.zeros((len(P), of.max() + 1)), np.zeros((len(P), of.max() + 1))
    np.add.at(P_class.T, own, np.asarray(P).T)
    np.add.at(R_class.T, theirs, np.asarray(R).T)
    Q = P * ((R_class[:, own] + 1e-6) / (P_class[:, own] + 1e-6)) ** beta
    return Q / Q.sum(axis=1, keepdims=True)


class PowderClassFusion(ClassifierMixin, BaseEstimator):
    """The space group from a network and a model of the powder class, pooled.

    ``network`` gives each group ``g`` a probability ``P(g)``, hence each powder class ``c`` a
    probability ``P(c)`` (the sum over its groups); ``class_model`` (a group classifier such
    as ``SpaceGroupRanker``) gives ``R(c)`` likewise. The fused probability of a group is
    ``P(g) (R(c) / P(c))^beta``, normalised: ``beta`` 0 keeps the network, 1 puts the class
    model's class probabilities in place of the network's and keeps the network's split of a
    class among its groups. Both are fitted as clones (wrap a fitted one in
    ``FrozenEstimator`` to keep it).
    """

    def __init__(self, network, class_model, beta=0.5):
        self.network = network
        self.class_model = class_model
        self.beta = beta

    def fit(self, X, y):
        self.network_ = clone(self.network).fit(X, y)
        self.class_model_ = clone(self.class_model).fit(X, y)
        self.classes_ = self.network_.classes_
        return self

    def predict_proba(self, X):
        return pool_powder_classes(self.network_.predict_proba(X), self.classes_,
                                   self.class_model_.predict_proba(X),
                                   self.class_model_.classes_, self.beta)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


#: models that read precomputed features: name -> (features, estimator factory, tasks)
FEATURE_MODELS = {
    "indexing features, gradient boosting": (
        "indexing", lambda batch_size: HistGradientBoostingClassifier(
            max_iter=300, early_stopping="auto", random_state=0), None),
    "dense, indexing + ln-d autocorrelation": (
        "indexing+autocorrelation", lambda batch_size: make_pipeline(
            StandardScaler(), MLPClassifier(
                (512, 256), dropout=0.2, batch_size=batch_size, max_iter=60,
                early_stopping=True, n_iter_no_change=6, random_state=0, device="auto")),
        None),
    "indexing + reflection conditions + contrasts, gradient boosting (tuned)": (
        "indexing+reflections", lambda batch_size: make_pipeline(
            FunctionTransformer(indexing_contrasts), tuned_boosting()),
        ("crystal system",)),
    # soft vote of the boosting above and a dense network on the same features plus the
    # ln-d autocorrelation; weights 0.6 / 0.4 chosen on the training set's 24,000 / 6,000
    # split (0.5: 0.7882, 0.6: 0.7910, 0.7: 0.7903 held out)
    "soft vote: tuned boosting + dense (indexing, reflection conditions)": (
        "indexing+reflections+autocorrelation", lambda batch_size: VotingClassifier(
            [("boosting", make_pipeline(_columns(N_INDEX + N_REFLECT),
                                        FunctionTransformer(indexing_contrasts),
                                        tuned_boosting())),
             ("dense", make_pipeline(StandardScaler(), MLPClassifier(
                 (512, 256), dropout=0.2, batch_size=batch_size, max_iter=60,
                 early_stopping=True, n_iter_no_change=6, random_state=0, device="auto")))],
            voting="soft", weights=[0.6, 0.4]),
        ("crystal system",)),
    "reflection conditions, class ranking (gradient boosting)": (
        "indexing+reflections", lambda batch_size: SpaceGroupRanker(), ("space group",)),
}

#: the table's 2theta grid (851 points, 0.1 degree), on which the hybrid networks resample
GRID = np.linspace(5.0, 90.0, 851)


def hybrid_cnn(batch_size, *, conv=True, epochs=30, random_state=0, class_scorer=False,
               label_smoothing=0.0):
    """The hybrid network: convolutions over the pattern on the ln d grid (``HybridCNN``: three
    blocks of 16, 32, 64 filters, kernel 7, max pooling 3, then the maximum over the grid),
    concatenated with the indexing + reflection-condition features and their contrasts (397
    numbers, each mapped to its quantile in the training set and expanded in 8 cubic
    B-splines: 3,176 inputs), dense layers 1024 and 512 (dropout 0.4; until 2026-11-27 512
    and 256 with dropout 0.2: on the table's patterns with the groups as among real crystals
    the wider head gave space group 0.496 against 0.485, seed 0); Adam, learning rate
    1e-3 annealed to 0 over ``epochs`` epochs (cosine; no early stopping). ``conv=False``:
    the same network without the convolutional branch (the pattern dropped), the ablation.
    Chosen on 5,000 / 2,000 and 30,000 / 6,000 runs of the table's patterns (see the
    changelog): the cosine schedule, training on space groups (``SystemFromGroups``) and the
    spline expansion of the features each gained a few tenths of a point of crystal-system
    accuracy over early stopping on the crystal system with standardised features.
    ``class_scorer``: each powder class's own features (``class_features``, standardised)
    join the input, and ``ClassScoredHybrid`` adds a score of each group's class to the
    group's (the network wrapped in ``PowderClassScored``). ``label_smoothing``: of the
    cross-entropy (0: the recipe's plain one)."""
    from skorch.callbacks import LRScheduler

    n_pattern = len(GRID)
    prepare = ColumnTransformer([
        ("pattern", FunctionTransformer(resample_log_d, kw_args={"two_theta": GRID})
         if conv else "drop", slice(0, n_pattern)),
        ("features", make_pipeline(FunctionTransformer(indexing_contrasts),
                                   QuantileTransformer(random_state=0),
                                   SplineTransformer(n_knots=6, degree=3)),
         slice(n_pattern, None))]
        + ([("classes", make_pipeline(FunctionTransformer(class_features), StandardScaler()),
             slice(n_pattern, None))] if class_scorer else []))
    net = TorchClassifier(
        ClassScoredHybrid if class_scorer else HybridCNN,
        module__n_pattern=n_pattern if conv else 0,
        module__hidden_layer_sizes=(1024, 512), module__dropout=0.4, batch_size=batch_size,
        max_iter=epochs, n_iter_no_change=epochs + 1, learning_rate_init=1e-3,
        callbacks=[LRScheduler(policy="CosineAnnealingLR", T_max=epochs)],
        random_state=random_state, device="auto")
    if label_smoothing:
        net.set_params(criterion=torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing))
    # float32: the network trains in the input's precision (float64 convolutions cost
    # several times as much on a CPU)
    pipe = make_pipeline(prepare, FunctionTransformer(_float32), net)
    return PowderClassScored(pipe) if class_scorer else pipe


def _float32(A):
    return np.asarray(A, dtype=np.float32)


#: peaks in ``peak_list``
N_PEAKS = 20


def peak_list(X, two_theta, n_peaks=N_PEAKS):
    """The lowest peaks of each pattern as numbers the network reads beside the indexing:
    ``(n, 2 * n_peaks)``, in the first ``n_peaks`` columns ``ln(Q_k / Q_1)`` of peak ``k`` =
    2, 3, ... over the first (``Q = sin^2 theta``; the ratios that tell a cubic P, I or F
    lattice, or a hexagonal one, whatever the cell's size), in the others each peak's
    prominence over the largest (the intensities), zero where a pattern has fewer peaks
    (``pick_peaks``' defaults: prominence 4% of the maximum; ``n_peaks`` 20 leaves the
    ratios' last column zero). Patterns on the indexing's grid (``fine``)."""
    out = np.zeros((len(X), 2 * n_peaks), dtype=np.float32)
    for i, x in enumerate(X):
        tt, prom = pick_peaks(x, two_theta, n_peaks=n_peaks, return_prominence=True)
        if len(tt):
            q = np.sin(np.radians(tt) / 2) ** 2
            out[i, :len(tt) - 1] = np.log(q[1:] / q[0])
            out[i, n_peaks:n_peaks + len(tt)] = prom / prom.max()
    return out


class SystemFromGroups(ClassifierMixin, BaseEstimator):
    """The crystal system from a space-group classifier.

    ``fit(X, groups)`` fits a clone of ``estimator`` on the space-group numbers; the
    probability of a crystal system is the sum of those of its groups (``classes_``: the
    indices into ``CRYSTAL_SYSTEMS``). Training on the 230 groups rather than the seven
    systems gives the network finer targets (the systems' groups differ in extinctions).
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, groups):
        self.estimator_ = clone(self.estimator).fit(X, groups)
        self.classes_ = np.arange(len(CRYSTAL_SYSTEMS))
        # the crystal system of each of the estimator's groups (an index into classes_)
        self.system_of_group_ = np.array([CRYSTAL_SYSTEMS.index(crystal_system_of(int(g)))
                                          for g in self.estimator_.classes_])
        return self

    def predict_proba(self, X):
        P = self.estimator_.predict_proba(X)
        out = np.zeros((len(P), len(CRYSTAL_SYSTEMS)))
        np.add.at(out.T, self.system_of_group_, P.T)
        return out

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


HYBRID = "hybrid CNN: ln-d pattern (convolutions) + indexing, reflection conditions"

#: soft votes with a network fitted above (frozen, not refitted): name -> weights
#: (boosting, hybrid); 0.5 / 0.5 fixed beforehand, not tuned
VOTES = {"soft vote: tuned boosting + hybrid CNN (0.5 / 0.5)": (0.5, 0.5)}


#: networks in the seed ensemble of the hybrid
N_SEEDS = 5
ENSEMBLE = f"hybrid CNN, {N_SEEDS} seeds (soft vote of the networks)"
SCORED = "hybrid CNN + powder-class scorer (label smoothing 0.1)"
SCORED_ENSEMBLE = f"{SCORED}, {N_SEEDS} seeds"
FUSED = f"{SCORED}; fused with the class ranker"
FUSED_ENSEMBLE = f"{SCORED_ENSEMBLE}; fused with the class ranker"
PEAKS = "hybrid CNN + powder-class scorer + peak list (label smoothing 0.1)"


def hybrid_ensemble(batch_size, *, first=None, n_jobs=None, **kwargs):
    """A deep ensemble: the soft vote (mean of the probabilities) of ``N_SEEDS`` hybrid
    networks that differ only in their ``random_state`` (initial weights, batch order,
    dropout masks). ``first``: the seed-0 network already fitted, taken frozen (not fitted
    again); ``n_jobs``: networks fitted at once (one thread each); ``kwargs``: of
    ``hybrid_cnn``."""
    first = hybrid_cnn(batch_size, **kwargs) if first is None else FrozenEstimator(first)
    networks = [("seed 0", first)] + [
        (f"seed {s}", hybrid_cnn(batch_size, random_state=s, **kwargs))
        for s in range(1, N_SEEDS)]
    if kwargs.get("class_scorer"):  # the scorer needs the group numbers as labels (SoftVote)
        return SoftVote(networks, n_jobs=n_jobs)
    return VotingClassifier(networks, voting="soft", n_jobs=n_jobs)


#: the hybrid with the powder-class scorer (``hybrid_cnn(class_scorer=True)``), with label
#: smoothing 0.1; validation (the first 24,000 training patterns, scored on the last 6,000;
#: seed 0; ``bench_xrd_hybrid_search_class_scorer``): space group 0.5077 against 0.4975
#: without the scorer
SCORED_KWARGS = {"class_scorer": True, "label_smoothing": 0.1}
#: the powder-class fusion's exponent, chosen on that validation split (networks and
#: ``SpaceGroupRanker`` fitted on the 24,000, seed 0; beta 0.25 / 0.5 / 0.75: the scored
#: hybrid 0.517 / 0.5165 / 0.5077 (alone 0.5077), the hybrid with label smoothing 0.1
#: 0.5103 / 0.5148 / 0.5115 (alone 0.4975): 0.5 is best on the two together)
FUSION_BETA = 0.5


def _fit_clone(estimator, X, y):
    return clone(estimator).fit(X, y)


class SoftVote(ClassifierMixin, BaseEstimator):
    """The mean of the probabilities of ``estimators`` (``(name, estimator)`` pairs), each
    fitted as a clone on the labels as given (a ``FrozenEstimator`` is kept as fitted),
    ``n_jobs`` at once. ``VotingClassifier`` fits them on encoded labels instead, which
    ``PowderClassScored`` cannot read (it needs the group numbers)."""

    def __init__(self, estimators, n_jobs=None):
        self.estimators = estimators
        self.n_jobs = n_jobs

    def fit(self, X, y):
        from joblib import Parallel, delayed

        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_clone)(e, X, y) for _, e in self.estimators)
        self.classes_ = self.estimators_[0].classes_
        if any(not np.array_equal(e.classes_, self.classes_) for e in self.estimators_):
            raise ValueError("the estimators were fitted on different classes")
        return self

    def predict_proba(self, X):
        return np.mean([e.predict_proba(X) for e in self.estimators_], axis=0)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def fused_with_ranker(network, beta=FUSION_BETA):
    """``PowderClassFusion`` of ``network`` and ``SpaceGroupRanker`` (on the indexing and
    reflection-condition columns: the pattern's dropped)."""
    return PowderClassFusion(network, make_pipeline(FunctionTransformer(_features_only),
                                                    SpaceGroupRanker()), beta=beta)


def _powder_class_of(classes=None):
    """The index of each space group's powder class in ``classes`` (default
    ``powder_classes()``; ``_class_layout``'s order for the class scorer): an int array of
    shape (231,) indexed by the group's number (index 0 unused)."""
    of = np.zeros(231, dtype=int)
    for k, members in enumerate(powder_classes() if classes is None else classes):
        of[list(members)] = k
    return of


class WithinClassPrior(ClassifierMixin, BaseEstimator):
    """The space group from a group classifier's powder class and the groups' frequencies.

    ``fit`` fits a clone of ``estimator`` (a ``FrozenEstimator``: not refitted). The
    probability of a powder class (``powder_classes``: groups whose peaks sit at the same
    angles) is the sum of the estimator's probabilities of its groups; it is shared among
    the class's groups in proportion to ``weights``, the frequencies the groups were drawn
    with (``make_xrd_patterns(space_group_weights=)``). Peak positions cannot tell a class's
    groups apart: where a network's split of a class among its groups is noisier than the
    known frequencies, this decodes better; where intensities tell, worse.
    """

    def __init__(self, estimator, weights="materials_project"):
        self.estimator = estimator
        self.weights = weights

    def fit(self, X, y):
        from skphys.datasets._xrd_spacegroups import _group_weights

        self.estimator_ = clone(self.estimator).fit(X, y)
        self.class_of_group_ = _powder_class_of()  # index: the group's number
        w = _group_weights(self.weights)
        total = np.bincount(self.class_of_group_, weights=w)[self.class_of_group_]
        self.share_ = np.divide(w, total, out=np.zeros(231), where=total > 0)[1:]
        self.classes_ = np.arange(1, 231)
        return self

    def predict_proba(self, X):
        P = self.estimator_.predict_proba(X)
        C = np.zeros((len(P), self.class_of_group_.max() + 1))
        np.add.at(C.T, self.class_of_group_[self.estimator_.classes_.astype(int)], P.T)
        return C[:, self.class_of_group_[1:]] * self.share_

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _features_only(A):  # the pattern's columns dropped (the table's grid: 851 points)
    return np.asarray(A)[:, len(GRID):]


#: networks fitted once on the space groups: their space-group row is the network itself,
#: their crystal-system row ``SystemFromGroups`` of it (name -> (features, factory))
GROUP_MODELS = {
    HYBRID: ("pattern+indexing+reflections", hybrid_cnn),
    "dense, indexing + reflection conditions (the hybrid without convolutions)": (
        "pattern+indexing+reflections", lambda batch_size: hybrid_cnn(batch_size, conv=False)),
    # fitted in table_rows with the hybrid above as its seed 0
    ENSEMBLE: ("pattern+indexing+reflections", hybrid_ensemble),
    SCORED: ("pattern+indexing+reflections",
             lambda batch_size: hybrid_cnn(batch_size, **SCORED_KWARGS)),
    SCORED_ENSEMBLE: ("pattern+indexing+reflections",
                      lambda batch_size, **first: hybrid_ensemble(batch_size, **first,
                                                                  **SCORED_KWARGS)),
    FUSED: ("pattern+indexing+reflections", lambda batch_size, first, n_jobs=None:
            fused_with_ranker(FrozenEstimator(first))),
    FUSED_ENSEMBLE: ("pattern+indexing+reflections", lambda batch_size, first, n_jobs=None:
                     fused_with_ranker(FrozenEstimator(first))),
    # the scored hybrid with ``peak_list`` beside the indexing features (through the same
    # quantile and spline expansion; the class scorer reads the same class features)
    PEAKS: ("pattern+indexing+reflections+peaks",
            lambda batch_size: hybrid_cnn(batch_size, **SCORED_KWARGS)),
}
#: networks built on one fitted above, taken frozen (its fit time counted in theirs)
BUILT_ON = {ENSEMBLE: HYBRID, SCORED_ENSEMBLE: SCORED, FUSED: SCORED,
            FUSED_ENSEMBLE: SCORED_ENSEMBLE}


#: space-group rows decoded from a network fitted above (with --space-group-weights):
#: its powder class, the group by the frequencies within the class (``WithinClassPrior``)
PRIOR_DECODED = {f"{HYBRID}; group by frequency within its powder class": HYBRID,
                 f"{ENSEMBLE}; group by frequency within its powder class": ENSEMBLE}


def features(kind, X, protos, two_theta, n_jobs, cache, path=None, fine=None):
    """Indexing (and autocorrelation) features of the patterns and the prototypes, once.

    ``fine``: the same patterns and prototypes on a finer grid, ``(X, protos, two_theta)``,
    from which the indexing and reflection-condition features are computed (the pattern's
    own columns and the autocorrelation stay on ``two_theta``).

    With ``path`` (``--feature-cache``), the indexing features are read from that ``.npz``
    when it holds as many rows and the transformer's columns, else computed and saved there
    (re-running the table with other models then costs the fits only; a run stopped while
    featurising resumes from ``<path>.partial.npz``, see ``_transform_in_chunks``); the
    reflection-condition features likewise (``E``, ``Ep`` in the same file), computed from
    the stored indexing features' cells when absent (``reflection_condition_features``: the
    same numbers as ``XRDIndexingFeatures(reflection_conditions=True)``)."""
    _index_features(kind, *(fine or (X, protos, two_theta)), n_jobs, cache, path)
    if kind not in cache:
        parts = [(X, protos)] if kind.startswith("pattern") else []
        parts.append(cache["indexing"])
        if "reflections" in kind:
            parts.append(cache["reflections"])
        if "autocorrelation" in kind:
            parts.append((log_d_autocorrelation(X, two_theta),
                          log_d_autocorrelation(protos, two_theta)))
        if "peaks" in kind:  # picked on the indexing's grid, as the indexing picks them
            X_f, protos_f, tt_f = fine or (X, protos, two_theta)
            parts.append((peak_list(X_f, tt_f), peak_list(protos_f, tt_f)))
        cache[kind] = (np.hstack([p[0] for p in parts]), np.hstack([p[1] for p in parts]))
    return cache[kind]



def _index_features(kind, X, protos, two_theta, n_jobs, cache, path):
    """The indexing (and, for a ``kind`` with reflections, reflection-condition) features of
    ``X`` and ``protos`` on ``two_theta`` into ``cache``, once (see ``features``)."""
    if "indexing" not in cache:
        t0 = time.perf_counter()
        index = XRDIndexingFeatures((two_theta[0], two_theta[-1]), n_jobs=n_jobs).fit(X)
        names = list(index.get_feature_names_out())
        stored = np.load(path, allow_pickle=False) if path and os.path.exists(path) else None
        if (stored is not None and list(stored["names"]) == names
                and stored["F"].shape[0] == len(X) and stored["Fp"].shape[0] == len(protos)):
            cache["indexing"] = (stored["F"], stored["Fp"])
            cache["featurise s"] = float(stored["seconds"])
            # the stored features must be those of these patterns (a few rows recomputed)
            rows = np.linspace(0, len(X) - 1, 5).astype(int)
            if not np.allclose(index.transform(X[rows]), stored["F"][rows]):
                raise RuntimeError(f"{path} holds the features of other patterns")
            print(f"indexing features read from {path}", flush=True)
        else:
            F, seconds = _transform_in_chunks(index, X, path)
            t0 = time.perf_counter()
            cache["indexing"] = (F, index.transform(protos))
            cache["featurise s"] = seconds + time.perf_counter() - t0
            if path:
                np.savez(path, F=cache["indexing"][0], Fp=cache["indexing"][1],
                         names=np.array(names), seconds=cache["featurise s"])
        if stored is not None and "E" in stored.files and "indexing" in cache \
                and stored["E"].shape == (len(X), N_REFLECT):
            cache["reflections"] = (stored["E"], stored["Ep"])
            cache["reflections s"] = float(stored["reflections_seconds"])
        print(f"indexing features: {cache['featurise s']:.0f} s", flush=True)
    if "reflections" in kind and "reflections" not in cache:
        t0 = time.perf_counter()
        F, Fp = cache["indexing"]
        cache["reflections"] = (reflections(X, F, two_theta), reflections(protos, Fp, two_theta))
        cache["reflections s"] = time.perf_counter() - t0
        print(f"reflection-condition features: {cache['reflections s']:.0f} s", flush=True)
        if path:
            np.savez(path, F=F, Fp=Fp, names=np.array(indexing_names()),
                     seconds=cache["featurise s"], E=cache["reflections"][0],
                     Ep=cache["reflections"][1], reflections_seconds=cache["reflections s"])

def reflections(patterns, F, two_theta):
    """The reflection-condition features of ``patterns`` from their indexing features ``F``."""
    return np.array([reflection_condition_features(x, f, two_theta) for x, f in zip(patterns, F)])


def _transform_in_chunks(index, X, path, chunk=1000):
    """``index.transform(X)``, with ``path``, 1,000 rows at a time, each chunk saved to
    ``<path>.partial.npz``: a run stopped while featurising resumes where it stopped (the
    rows are featurised independently, so the result is the same). Returns the features and
    the seconds spent on them, over all runs."""
    if not path:
        t0 = time.perf_counter()
        return index.transform(X), time.perf_counter() - t0
    partial = f"{path}.partial.npz"
    names = np.array(index.get_feature_names_out(), dtype=str)
    done, seconds = [], 0.0
    if os.path.exists(partial):
        stored = np.load(partial, allow_pickle=False)
        if int(stored["n"]) == len(X) and list(stored["names"]) == list(names):
            done, seconds = [stored["F"]], float(stored["seconds"])
            # the stored rows must be those of these patterns
            k = len(stored["F"]) - 1
            if k >= 0 and not np.allclose(index.transform(X[k:k + 1]), stored["F"][k:]):
                raise RuntimeError(f"{partial} holds the features of other patterns")
            print(f"{len(stored['F'])} rows of features read from {partial}", flush=True)
    start = sum(len(d) for d in done)
    for lo in range(start, len(X), chunk):
        t0 = time.perf_counter()
        done.append(index.transform(X[lo:lo + chunk]))
        seconds += time.perf_counter() - t0
        np.savez(partial, F=np.concatenate(done), names=names, n=len(X), seconds=seconds)
        print(f"featurised {lo + len(done[-1])} / {len(X)} ({seconds:.0f} s)", flush=True)
    return (np.concatenate(done) if done else index.transform(X[:0])), seconds


def generate(n, n_points, n_jobs=1, weights=None):
    """``n`` patterns (labels in ``info``; groups uniform, or drawn with ``weights``, see
    ``make_xrd_patterns(space_group_weights=)``); with ``n_jobs`` > 1 made in that many
    processes, each its own random stream (``random_state`` 0 with one process, 1000 + i
    otherwise)."""
    return generate_sets([(n, n_jobs)], n_points, weights, n_jobs)[0]


def generate_sets(sets, n_points, weights=None, processes=1):
    """Several sets of patterns at once: ``generate(n, n_points, n_jobs, weights)`` for each
    ``(n, n_jobs)`` in ``sets`` (the same patterns), their random streams made in
    ``processes`` processes together. Returns a list of ``(X, info)``."""
    kw = {"target": "space_group", "n_points": n_points, "return_info": True,
          "space_group_weights": weights}
    streams = [[(n, 0)] if n_jobs == 1 else
               [(len(part), 1000 + i)
                for i, part in enumerate(np.array_split(np.arange(n), n_jobs))]
               for n, n_jobs in sets]
    flat = [s for group in streams for s in group]
    if processes == 1:
        parts = [make_xrd_patterns(m, random_state=rs, **kw) for m, rs in flat]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=processes)(
            delayed(make_xrd_patterns)(m, random_state=rs, **kw) for m, rs in flat)
    out, start = [], 0
    for group in streams:
        mine, start = parts[start:start + len(group)], start + len(group)
        info = mine[0][2]
        for key, value in info.items():
            if isinstance(value, np.ndarray) and key != "two_theta":
                info[key] = np.concatenate([p[2][key] for p in mine])
        out.append((np.concatenate([p[0] for p in mine]), info))
    return out


def _every(A, step):
    """Every ``step``-th point of each pattern, scaled to a maximum of 1 again (as the
    generator scales its patterns on any grid)."""
    if step == 1:
        return A
    A = np.ascontiguousarray(A[:, ::step])
    return A / A.max(axis=1, keepdims=True)


def table_rows(args):
    # patterns on the feature grid (--feature-points, 0.05 degree by default: the indexing
    # finds more cells than on 0.1 degree, see the protocol); the networks read every
    # ``step``-th point, the table's 0.1-degree GRID
    n_points = args.feature_points
    step = (n_points - 1) // (len(GRID) - 1)
    if step < 1 or (n_points - 1) % (len(GRID) - 1):
        raise ValueError(f"--feature-points must be 1 + a multiple of {len(GRID) - 1}")
    t0 = time.perf_counter()
    X_fine, info = generate(args.n_train + args.n_test, n_points, args.n_jobs,
                            args.space_group_weights)
    t_gen = time.perf_counter() - t0
    protos = load_xrd_prototypes(n_points=n_points)
    fine = (X_fine, protos.data, info.two_theta) if step > 1 else None
    X, two_theta = _every(X_fine, step), info.two_theta[::step]
    protos_data = _every(protos.data, step)
    labels = {"crystal system": np.array([CRYSTAL_SYSTEMS.index(s)
                                          for s in info.crystal_system]),
              "space group": info.space_group}
    proto_labels = {"crystal system": np.array([CRYSTAL_SYSTEMS.index(s)
                                                for s in protos.crystal_system]),
                    "space group": protos.space_group}
    n = args.n_train
    # groups whose peaks sit at the same angles for any cell (see powder_classes)
    powder_class = _powder_class_of()

    def same_class(a, b):
        return powder_class[np.asarray(a, dtype=int)] == powder_class[np.asarray(b, dtype=int)]
    rows, cache, on_groups, group_fit_s = [], {}, {}, {}
    if not np.allclose(two_theta, GRID):
        raise RuntimeError("the table's patterns are not on GRID")
    for task, y in labels.items():
        candidates = [(arch, model, None) for arch, model in
                      models(two_theta, args.cnn_epochs, args.batch_size).items()]
        candidates += [(arch, make(args.batch_size), kind)
                       for arch, (kind, make, tasks) in FEATURE_MODELS.items()
                       if tasks is None or task in tasks]
        candidates += [(arch, None, kind) for arch, (kind, _) in GROUP_MODELS.items()]
        if task == "crystal system":
            candidates += [(arch, None, "pattern+indexing+reflections") for arch in VOTES]
        elif args.space_group_weights is not None:
            candidates += [(arch, None, "pattern+indexing+reflections")
                           for arch in PRIOR_DECODED]
        for arch, model, kind in candidates:
            if args.models and arch not in args.models \
                    and PRIOR_DECODED.get(arch) not in args.models:
                continue
            if kind is None:
                X_all, X_proto = X, protos_data
            else:
                X_all, X_proto = features(kind, X, protos_data, two_theta,
                                          args.feature_jobs or args.n_jobs, cache,
                                          args.feature_cache, fine)
            t0 = time.perf_counter()
            def fitted_on_groups(name):  # once, on the space groups
                if name not in on_groups:
                    first, before = {}, 0.0
                    if name in BUILT_ON:  # e.g. seed 0: the hybrid (its fit time counted)
                        first = {"first": fitted_on_groups(BUILT_ON[name]).estimator_,
                                 "n_jobs": args.ensemble_jobs}
                        before = group_fit_s[BUILT_ON[name]]
                    t_start = time.perf_counter()
                    on_groups[name] = SystemFromGroups(GROUP_MODELS[name][1](
                        args.batch_size, **first)).fit(X_all[:n], labels["space group"][:n])
                    group_fit_s[name] = before + time.perf_counter() - t_start
                return on_groups[name]

            if arch in GROUP_MODELS:
                model = fitted_on_groups(arch)
                model = model if task == "crystal system" else model.estimator_
            elif arch in PRIOR_DECODED:  # no fit: the network above, decoded otherwise
                model = WithinClassPrior(
                    FrozenEstimator(fitted_on_groups(PRIOR_DECODED[arch]).estimator_),
                    args.space_group_weights).fit(X_all[:n], y[:n])
            else:
                if arch in VOTES:  # the hybrid as fitted above (fitted here if it was not)
                    hybrid = fitted_on_groups(HYBRID)
                    model = VotingClassifier(
                        [("boosting", make_pipeline(FunctionTransformer(_features_only),
                                                    FunctionTransformer(indexing_contrasts),
                                                    tuned_boosting())),
                         ("hybrid", FrozenEstimator(hybrid))],
                        voting="soft", weights=list(VOTES[arch]))
                    t0 = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        model.fit(X_all[:n], y[:n])
                except ValueError as exc:  # e.g. early stopping's stratified split when a
                    # group has one training pattern: a row that says so, the others kept
                    rows.append({"task": task, "network": arch, "train patterns": n,
                                 "note": f"fit failed: {str(exc)[:160]}"})
                    print(rows[-1], flush=True)
                    continue
            t_fit = group_fit_s.get(PRIOR_DECODED.get(arch, arch), time.perf_counter() - t0)
            X_test, y_test = X_all[n:], y[n:]
            half = len(y_test) // 2
            refuse = ConfidenceThresholdClassifier(FrozenEstimator(model), coverage=0.5)
            refuse.fit(X_test[:half], y_test[:half])
            gen = refuse.selective_report(X_test[half:], y_test[half:])
            proto = refuse.selective_report(X_proto, proto_labels[task])
            proba = model.predict_proba(X_test)
            top5 = model.classes_[np.argsort(-proba, axis=1)[:, :5]]
            pred = model.predict(X_test)
            by_system = None
            if task == "space group":  # accuracy over the test patterns of each system
                system = np.array([crystal_system_of(int(g)) for g in y_test])
                by_system = {s: round(float(np.mean(pred[system == s] == y_test[system == s])),
                                      4) for s in CRYSTAL_SYSTEMS if np.any(system == s)}
            rows.append({
                "task": task, "network": arch, "train patterns": n,
                "test accuracy": float(np.mean(pred == y_test)),
                "test top-5": float(np.mean(np.any(top5 == y_test[:, None], axis=1))),
                "majority class": float(np.bincount(y_test).max() / len(y_test)),
                "right powder class": (float(np.mean(same_class(model.predict(X_test), y_test)))
                                       if task == "space group" else None),
                "paper (computed)": PAPER.get(("convolutional" if arch.startswith("hybrid CNN")
                                               else arch.split(",")[0], task)),
                "prototypes accuracy": proto.accuracy,
                "refusal: test coverage": gen.coverage,
                "test selective acc.": gen.selective_accuracy,
                "prototype coverage": proto.coverage,
                "prototype selective acc.": proto.selective_accuracy,
                "fit s": t_fit,
                "trained on": "space groups" if arch in GROUP_MODELS or arch in PRIOR_DECODED
                else (
                    "crystal system (the hybrid: space groups, frozen)" if arch in VOTES
                    else task),
                "featurise s": cache.get("featurise s") if kind else None,
                "reflections s": cache.get("reflections s") if kind and "reflections" in kind
                else None,
                "space group accuracy by system": by_system,
            })
            print(rows[-1], flush=True)
    ext = xrd_extinction_classes(space_group_weights=args.space_group_weights)
    weighted = args.space_group_weights is not None
    rows.append({"task": "crystal system", "network": "peak positions alone (bound)",
                 "test accuracy": ext.crystal_system_bound_weighted if weighted
                 else ext.crystal_system_bound_uniform_groups,
                 "note": "trigonal and hexagonal groups with the same peaks cannot be told "
                         "apart; groups " + (f"drawn with {args.space_group_weights!r} "
                                             "weights" if weighted else "uniform")
                         + f" (balanced systems: {ext.crystal_system_bound:.3f})"})
    rows.append({"task": "space group", "network": "peak positions alone (bound)",
                 "test accuracy": ext.space_group_bound_weighted if weighted
                 else ext.space_group_bound,
                 "note": f"{len(ext.classes)} classes of groups with identical peak "
                         "positions (orthorhombic axes in any order): the best accuracy "
                         "from positions, groups " + (
                             f"drawn with {args.space_group_weights!r} weights (uniform: "
                             f"{ext.space_group_bound:.3f})" if weighted else "uniform")})
    return rows, t_gen



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-speed", type=int, default=2000)
    parser.add_argument("--n-peer", type=int, default=40)
    parser.add_argument("--n-train", type=int, default=30000)
    parser.add_argument("--n-test", type=int, default=6000)
    parser.add_argument("--cnn-epochs", type=int, default=25)
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="processes generating the table's patterns (a GPU machine's cores)")
    parser.add_argument("--space-group-weights", default=None, choices=["materials_project"],
                        help="draw the table's groups as often as among real crystals "
                             "(make_xrd_patterns(space_group_weights=); default: uniform)")
    parser.add_argument("--ensemble-jobs", type=int, default=1,
                        help="networks of the hybrid's seed ensemble fitted at once")
    parser.add_argument("--feature-points", type=int, default=1701,
                        help="grid points (5-90 degrees) of the patterns the indexing "
                             "features are computed from: 1701 (0.05 degree, the default) "
                             "or 851 (0.1 degree, the tables before 2026-11-26); the "
                             "networks read the 851-point grid either way")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--feature-jobs", type=int, default=None,
                        help="processes computing the indexing features (default: --n-jobs)")
    parser.add_argument("--feature-cache", default=None,
                        help="an .npz to read the indexing features from, or to save them to")
    parser.add_argument("--name", default="bench_xrd_table",
                        help="the table's result name (benchmarks/results/NAME.json)")
    parser.add_argument("--models", nargs="+", default=None,
                        help="only these networks (default: all), e.g. 'dense, ln-d "
                             "autocorrelation'")
    args = parser.parse_args()
    if not args.skip_speed:
        rows = speed_rows(args) + intensity_rows()
        report("bench_xrd_speed", rows, ["what", "peer ran", "patterns/s", "patterns per CPU s",
                                         "mean atoms/cell", "max |dI| % of strongest",
                                         "max |d 2theta| deg", "note"],
               {"protocol": __doc__, "n_speed": args.n_speed, "n_peer": args.n_peer})
    if args.skip_table:
        return
    rows, t_gen = table_rows(args)
    report(args.name, rows, list(dict.fromkeys(k for r in rows for k in r)),
           {"protocol": __doc__, "n_train": args.n_train, "n_test": args.n_test,
            "generation_s": t_gen, "cnn_epochs": args.cnn_epochs, "n_jobs": args.n_jobs,
            "ensemble_jobs": args.ensemble_jobs, "feature_points": args.feature_points,
            "space_group_weights": args.space_group_weights,
            "batch_size": args.batch_size,
            "device": _device()})


def _device():
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"


if __name__ == "__main__":
    main()

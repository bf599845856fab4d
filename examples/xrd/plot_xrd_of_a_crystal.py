"""
====================================================
The powder pattern of a crystal, and its extinctions
====================================================

:func:`skphys.datasets.xrd_pattern` computes the powder X-ray diffraction pattern of a
structure you give (cell, fractional positions, elements): Bragg angles from the cell,
intensities from the structure factor with the Waasmaier-Kirfel atomic form factors, the
multiplicities, the Lorentz-polarisation and Debye-Waller factors. Here: silicon, whose
diamond structure extinguishes 200 and 222 although its face-centred lattice allows them,
beside rock salt, and the 36 real structure types of
:func:`skphys.datasets.load_xrd_prototypes`, one per row, sorted by crystal system.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skphys.datasets import CRYSTAL_SYSTEMS, load_xrd_prototypes, xrd_pattern

fcc = np.array([(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)])
silicon = xrd_pattern((5.431, 5.431, 5.431, 90, 90, 90), np.r_[fcc, fcc + 0.25], ["Si"] * 8)
salt = xrd_pattern((5.640, 5.640, 5.640, 90, 90, 90), np.r_[fcc, (fcc + 0.5) % 1],
                   ["Na"] * 4 + ["Cl"] * 4)

fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
for ax, (name, res) in zip(axes, [("Si (diamond)", silicon), ("NaCl (rock salt)", salt)]):
    ax.plot(res.two_theta, res.pattern, lw=0.8)
    for tt, inten, hkl in zip(res.peaks.two_theta, res.peaks.intensity, res.peaks.hkl):
        ax.annotate("".join(map(str, hkl)), (tt, inten / 100), fontsize=7, ha="center",
                    xytext=(0, 3), textcoords="offset points")
    ax.set(ylabel="intensity", ylim=(0, 1.2), title=name)
axes[-1].set_xlabel("2 theta (degrees, Cu K-alpha1)")
fig.tight_layout()

# %%
# Peak list of silicon: only ``hkl`` all odd, or all even with ``h + k + l = 4n`` (the
# diamond glide), with their multiplicities.
print(" hkl   2theta      d   mult  intensity")
for tt, d, hkl, m, inten in zip(silicon.peaks.two_theta, silicon.peaks.d, silicon.peaks.hkl,
                                silicon.peaks.multiplicity, silicon.peaks.intensity):
    print(f" {''.join(map(str, hkl))}  {tt:7.3f}  {d:6.4f}  {m:4d}  {inten:9.1f}")

# %%
# The prototypes: real structure types from their published Wyckoff positions, the stand-in
# for measured patterns when testing a classifier trained on generated ones.
protos = load_xrd_prototypes()
order = np.lexsort((protos.space_group, [CRYSTAL_SYSTEMS.index(s)
                                         for s in protos.crystal_system]))
fig, ax = plt.subplots(figsize=(8, 10))
for row, k in enumerate(order):
    ax.plot(protos.two_theta, protos.data[k] * 0.9 + row, lw=0.6)
    ax.text(90.5, row + 0.2, f"{protos.name[k]} ({protos.space_group_symbol[k]}, "
            f"{protos.crystal_system[k]})", fontsize=7)
ax.set(xlabel="2 theta (degrees)", yticks=[], xlim=(5, 125))
fig.tight_layout()
plt.show()

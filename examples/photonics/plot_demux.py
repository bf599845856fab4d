"""
===================================================================
A 1300/1550 nm wavelength demultiplexer by adjoint inverse design
===================================================================

The last application of the lecture: "build a photonic element that splits 1300 nm and
1550 nm light and has a small footprint" (Piggott et al. 2015). An
:class:`~skphys.photonics.InverseDeviceDesigner` *fits a device*: ``X`` holds the
wavelengths (µm) and ``y`` the output port each must reach. Every iteration solves the 2-D
Maxwell equations (Ez, FDFD) once per wavelength with one sparse LU factorisation, reused
for the adjoint solve that gives the gradient with respect to every pixel of the design
region; a cone filter sets the minimum feature size and a tanh projection of growing
sharpness drives the design to silicon or silica, binarised at the end.

This is the small version of the issue (2.0 x 2.0 µm, 50 nm grid, 25 iterations, a few
seconds); the defaults give Piggott's 2.8 x 2.8 µm device on a 40 nm grid (see
``benchmarks/bench_photonics.py``). The designer checks every wavelength against its grid:
1300 nm spans only 7.4 cells of 50 nm in silicon, below the 8 cells per wavelength that
finite differences need for an effective index within ~2-3 %, so this small fit warns; the
default 40 nm grid does not. The simulation is 2-D: a model of the method, not of a
real 3-D chip, which needs an iterative or GPU solver.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from skphys.photonics import InverseDeviceDesigner
from skphys.plotting import DeviceDisplay

torch.set_num_threads(1)

X = np.array([[1.55], [1.30]])  # wavelengths (µm)
y = np.array([0, 1])  # 1550 nm -> lower port, 1300 nm -> upper port
demux = InverseDeviceDesigner(design_size=2.0, grid_spacing=0.05, max_iter=25, random_state=0)
demux.fit(X, y)

for lam, il, xt in zip(X[:, 0], demux.insertion_loss_, demux.crosstalk_):
    print(f"{lam * 1000:.0f} nm: insertion loss {il:.2f} dB, crosstalk {xt:.1f} dB")
print(f"score (mean transmission into the target port): {demux.score(X, y):.3f}")

# %%
# Permittivity, fields at both wavelengths and the transmission spectra of both ports.
disp = DeviceDisplay.from_estimator(demux, wavelengths=np.linspace(1.2, 1.65, 46))
disp.figure_.tight_layout()

# %%
# The objective during the optimisation (``history_`` also records the projection's
# sharpness ``beta``, which grows as it goes).
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(demux.loss_curve_)
ax.set(xlabel="iteration", ylabel="objective", yscale="log")
ax2 = ax.twinx()
ax2.plot([row["beta"] for row in demux.history_], color="tab:gray", ls="--")
ax2.set(ylabel="projection beta", yscale="log")
fig.tight_layout()
plt.show()

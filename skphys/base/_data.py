"""Training data and mini-batches: tensors sliced in place, no per-sample Dataset/DataLoader.

The data go to the device once per fit. Without shuffling a batch is a view of the data;
with shuffling, each pass draws a permutation and gathers the rows a *chunk* at a time
(at most ``chunk_bytes``, default 512 kB, and at least one batch), so memory never holds a
second copy of a large ``X`` and the gathered rows are still in the core's cache when the
batch step reads them (8 MB chunks, which left that cache, made a 1024-wide fit ~15%
slower on a busy machine), while narrow data still take few gathers per epoch (an
``index_select`` of many rows was measured ~6x faster than per-sample indexing; per-sample
``__getitem__`` and collate of a ``DataLoader`` cost about half of a small network's epoch). A sparse ``X``
stays a scipy CSR matrix on the CPU and is densified one chunk (or batch) at a time.
"""

import math

import numpy as np
import scipy.sparse as sp
import torch

__all__ = ["TensorData", "SliceBatches"]

#: largest gathered chunk of shuffled rows
CHUNK_BYTES = 2**19


class TensorData(torch.utils.data.Dataset):
    """In-memory training data: ``X`` (a tensor on the device, or a CSR matrix), ``y``, weights.

    Parameters
    ----------
    X : torch.Tensor or scipy.sparse matrix
        Samples. A sparse matrix stays on the CPU and is densified per chunk.
    y : torch.Tensor or None
        Targets (on the device).
    sample_weight : torch.Tensor or None
        Per-sample weights (on the device); batches then carry ``y`` as ``(y, weight)``.
    device, dtype : torch.device, torch.dtype
        Where and in which precision densified sparse rows go.
    """

    def __init__(self, X, y=None, sample_weight=None, device=None, dtype=None):
        self.X = X.tocsr() if sp.issparse(X) else X
        self.y = y
        self.sample_weight = sample_weight
        self.device = device if device is not None else getattr(X, "device", None)
        self.dtype = dtype

    def __len__(self):
        return self.X.shape[0]

    @property
    def sparse(self):
        return sp.issparse(self.X)

    def row_bytes(self):
        """Bytes of one dense row of ``X`` (what a gathered chunk costs per sample)."""
        width = math.prod(self.X.shape[1:])
        size = (torch.empty((), dtype=self.dtype).element_size() if self.dtype is not None
                else self.X.dtype.itemsize if self.sparse else self.X.element_size())
        return max(1, width * size)

    def _dense(self, X):
        return torch.from_numpy(X.toarray()).to(self.device, self.dtype)

    def _target(self, y, w):
        return y if w is None else (y, w)

    def span(self, start, stop):
        """Rows ``start:stop`` as ``(X, y)``: views for dense data."""
        X = self.X[start:stop]
        if self.sparse:
            X = self._dense(X)
        y = None if self.y is None else self.y[start:stop]
        w = None if self.sample_weight is None else self.sample_weight[start:stop]
        return X, self._target(y, w)

    def take(self, idx):
        """Rows ``idx`` (a 1-D integer tensor) gathered into a new dense :class:`TensorData`."""
        if self.sparse:
            X = self._dense(self.X[idx.cpu().numpy()])
        else:
            X = torch.index_select(self.X, 0, idx.to(self.X.device))
        y = None if self.y is None else torch.index_select(self.y, 0, idx.to(self.y.device))
        w = (None if self.sample_weight is None
             else torch.index_select(self.sample_weight, 0, idx.to(self.sample_weight.device)))
        return TensorData(X, y, w, device=self.device, dtype=self.dtype)


class SliceBatches:
    """Mini-batches of a :class:`TensorData` by slicing.

    With ``shuffle``, each pass draws a new order from ``random_state`` (a
    :class:`numpy.random.RandomState` shared across passes, so each epoch has its own order and
    a seeded fit repeats exactly) and gathers rows ``chunk_bytes`` at a time.
    """

    def __init__(self, dataset, batch_size, shuffle=False, random_state=None,
                 chunk_bytes=CHUNK_BYTES):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.chunk_bytes = chunk_bytes

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        data, bs = self.dataset, self.batch_size
        n = len(data)
        if not (self.shuffle and n > 1):
            for start in range(0, n, bs):
                yield data.span(start, start + bs)
            return
        perm = torch.from_numpy(self.random_state.permutation(n))
        rows = max(1, self.chunk_bytes // data.row_bytes()) // bs * bs or bs
        device = data.device if not data.sparse else None
        if device is not None:
            perm = perm.to(device)
        for c0 in range(0, n, rows):
            chunk = data.take(perm[c0 : c0 + rows])
            for start in range(0, len(chunk), bs):
                yield chunk.span(start, start + bs)


def as_numpy_rows(X):
    """``X`` as something :class:`TensorData` accepts from numpy: dense stays, sparse CSR."""
    return X.tocsr() if sp.issparse(X) else np.asarray(X)

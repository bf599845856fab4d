"""scan_image: a fitted tile classifier slid across a large image (a probability map)."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils._response import _get_response_values
from sklearn.utils.validation import check_is_fitted

__all__ = ["scan_image"]


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "image": ["array-like"],
        "tile_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "stride": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "channel_axis": [StrOptions({"first", "last"}), None],
        "response_method": [StrOptions({"predict_proba", "decision_function", "predict",
                                        "auto"})],
        "pos_label": "no_validation",
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def scan_image(estimator, image, *, tile_size, stride=None, channel_axis="first",
               response_method="auto", pos_label=None, batch_size=1024):
    """Slide a fitted tile classifier across a large image: the automated search.

    The image is cut into tiles of ``tile_size`` every ``stride`` pixels (the last row and
    column of tiles end at the image's edge), each tile is given to the estimator in the
    layout it was trained on, and its response (by default the probability of the positive
    class) is arranged on the grid of tile positions. This is how a flake hunter turns a
    tile classifier into a map of where to look on a wafer, as
    :class:`sklearn.inspection.DecisionBoundaryDisplay` evaluates an estimator over a grid
    of inputs.

    Parameters
    ----------
    estimator : fitted estimator
        A classifier (or pipeline ending in one) trained on tiles of ``tile_size``, e.g. a
        :class:`~skphys.neural_network.CNNClassifier`.
    image : array-like of shape (H, W), (C, H, W) or (H, W, C)
        The image to scan.
    tile_size : int or (int, int)
        Tile height and width in pixels.
    stride : int, (int, int) or None, default=None
        Step between tiles; None: half the tile.
    channel_axis : {"first", "last"} or None, default="first"
        Where the channels of a 3-D ``image`` are: ``(C, H, W)`` (tiles ``(n, C, h, w)``,
        the layout of :class:`~skphys.neural_network.CNNClassifier`) or ``(H, W, C)``
        (tiles ``(n, h, w, C)``). Ignored for a 2-D image (tiles ``(n, h, w)``).
    response_method : {"auto", "predict_proba", "decision_function", "predict"}, \
default="auto"
        What is mapped; "auto" tries predict_proba, then decision_function, then predict.
    pos_label : label or None, default=None
        The class whose probability (or decision) is mapped for a binary classifier; None:
        ``estimator.classes_[1]``. A multiclass classifier maps all classes.
    batch_size : int, default=1024
        Tiles given to the estimator at a time.

    Returns
    -------
    result : Bunch
        ``response``: ndarray of shape (n_rows, n_cols) (or (n_rows, n_cols, n_classes)
        for multiclass probabilities); ``rows`` and ``cols``: the pixel coordinates of the
        tile centres; ``extent``, for ``imshow(result.response, extent=result.extent)``
        over the image (one cell of ``stride`` per tile; the last row and column of tiles
        may sit closer to their neighbours); ``pixel_map``:
        ndarray of shape (H, W) (or (H, W, n_classes)), the mean response of the tiles
        covering each pixel.

    See Also
    --------
    skphys.datasets.make_flake_images : Micrographs of 2-D flakes, tiles and whole wafers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skphys.inspection import scan_image
    >>> rng = np.random.default_rng(0)
    >>> tiles = rng.normal(size=(200, 8, 8))
    >>> tiles[100:, 2:6, 2:6] += 3  # a bright square: class 1
    >>> y = np.r_[np.zeros(100), np.ones(100)]
    >>> mean = FunctionTransformer(lambda t: t.reshape(len(t), -1).mean(1, keepdims=True))
    >>> clf = make_pipeline(mean, LogisticRegression()).fit(tiles, y)
    >>> image = rng.normal(size=(32, 32))
    >>> image[20:28, 4:12] += 3
    >>> result = scan_image(clf, image, tile_size=8, stride=4)
    >>> result.response.shape
    (7, 7)
    >>> np.unravel_index(result.response.argmax(), result.response.shape)
    (np.int64(5), np.int64(1))
    """
    check_is_fitted(estimator)
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have 2 or 3 dimensions, got shape {image.shape}.")
    if image.ndim == 3 and channel_axis is None:
        raise ValueError("A 3-D image needs channel_axis='first' or 'last'.")
    first = image.ndim == 3 and channel_axis == "first"
    H, W = image.shape[1:] if first else image.shape[:2]
    th, tw = (tile_size, tile_size) if np.isscalar(tile_size) else (int(v) for v in tile_size)
    if stride is None:
        sh, sw = max(th // 2, 1), max(tw // 2, 1)
    else:
        sh, sw = (stride, stride) if np.isscalar(stride) else (int(v) for v in stride)
    if th > H or tw > W or th < 1 or tw < 1:
        raise ValueError(f"tile_size=({th}, {tw}) does not fit in the image of {H} x {W} "
                         "pixels.")
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be positive, got {stride}.")
    rows = _starts(H, th, sh)
    cols = _starts(W, tw, sw)
    if image.ndim == 2:
        view = np.lib.stride_tricks.sliding_window_view(image, (th, tw))  # (H', W', th, tw)
    elif first:
        view = np.lib.stride_tricks.sliding_window_view(image, (th, tw), axis=(1, 2))
        view = view.transpose(1, 2, 0, 3, 4)  # (H', W', C, th, tw)
    else:
        view = np.lib.stride_tricks.sliding_window_view(image, (th, tw), axis=(0, 1))
        view = view.transpose(0, 1, 3, 4, 2)  # (H', W', th, tw, C)
    R, C = np.meshgrid(rows, cols, indexing="ij")
    R, C = R.ravel(), C.ravel()
    chunks = []
    method = (["predict_proba", "decision_function", "predict"] if response_method == "auto"
              else response_method)
    for start in range(0, len(R), batch_size):
        tiles = np.ascontiguousarray(view[R[start:start + batch_size],
                                          C[start:start + batch_size]])
        response, _ = _get_response_values(estimator, tiles, response_method=method,
                                           pos_label=pos_label)
        chunks.append(np.asarray(response, dtype=float))
    response = np.concatenate(chunks).reshape(len(rows), len(cols), *chunks[0].shape[1:])
    # mean response of the tiles covering each pixel
    total = np.zeros((H, W) + response.shape[2:])
    count = np.zeros((H, W) + (1,) * (response.ndim - 2))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            total[r:r + th, c:c + tw] += response[i, j]
            count[r:r + th, c:c + tw] += 1
    rc, cc = rows + (th - 1) / 2, cols + (tw - 1) / 2
    return Bunch(response=response, rows=rc, cols=cc, pixel_map=total / count,
                 extent=(cc[0] - sw / 2, cc[-1] + sw / 2, rc[-1] + sh / 2, rc[0] - sh / 2))


def _starts(length, tile, stride):
    """Tile starts every ``stride`` pixels, the last one ending at the edge."""
    starts = np.arange(0, length - tile + 1, stride)
    if starts[-1] != length - tile:
        starts = np.r_[starts, length - tile]
    return starts

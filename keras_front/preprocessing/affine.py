"""Affine image transforms (rotation, shift, shear, zoom), flips and channel shifts on
NumPy image arrays, done with scipy.ndimage as Keras 1.2.2 does them.

A transform is a 3x3 homogeneous matrix mapping output (row, col) coordinates to the
input coordinates read (nearest pixel, order 0); `apply_transform` runs it over every
channel of an image.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.ndimage as ndi

FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror", "grid-wrap",
              "grid-mirror", "grid-constant")


def check_fill_mode(fill_mode: str, where: str) -> str:
    """fill_mode, or a ValueError naming `where` and the accepted modes."""
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{where}: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    return fill_mode


def rotation_matrix(theta: float) -> np.ndarray:
    """Rotation by theta radians."""
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def shift_matrix(tx: float, ty: float) -> np.ndarray:
    """Shift by tx rows and ty columns."""
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def shear_matrix(shear: float) -> np.ndarray:
    """Shear by an angle of `shear` radians."""
    return np.array([[1.0, -np.sin(shear), 0.0], [0.0, np.cos(shear), 0.0], [0.0, 0.0, 1.0]])


def zoom_matrix(zx: float, zy: float) -> np.ndarray:
    """Zoom by zx along rows and zy along columns (factors below 1 enlarge the image)."""
    return np.array([[zx, 0.0, 0.0], [0.0, zy, 0.0], [0.0, 0.0, 1.0]])


def transform_matrix_offset_center(matrix: np.ndarray, x: int, y: int) -> np.ndarray:
    """`matrix` made to act around the centre of an x-by-y image instead of its corner."""
    o_x, o_y = float(x) / 2 + 0.5, float(y) / 2 + 0.5
    offset = np.array([[1.0, 0.0, o_x], [0.0, 1.0, o_y], [0.0, 0.0, 1.0]])
    reset = np.array([[1.0, 0.0, -o_x], [0.0, 1.0, -o_y], [0.0, 0.0, 1.0]])
    return offset @ matrix @ reset


def composed_affine(theta: float, tx: float, ty: float, shear: float, zx: float, zy: float,
                    rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(2x2 matrix, offset) of rotation @ shift @ shear @ zoom about the image centre:
    the product transform_matrix_offset_center(rotation_matrix(theta) @ shift_matrix(tx,
    ty) @ shear_matrix(shear) @ zoom_matrix(zx, zy), rows, cols) computes, written out
    with Python floats (the augmentation loop makes one per image)."""
    c, s = math.cos(theta), math.sin(theta)
    ssh, csh = math.sin(shear), math.cos(shear)
    a = ((c * zx, (-c * ssh - s * csh) * zy), (s * zx, (-s * ssh + c * csh) * zy))
    t0, t1 = c * tx - s * ty, s * tx + c * ty
    o0, o1 = rows / 2 + 0.5, cols / 2 + 0.5
    offset = (t0 + o0 - (a[0][0] * o0 + a[0][1] * o1), t1 + o1 - (a[1][0] * o0 + a[1][1] * o1))
    return np.array(a), np.array(offset)


def apply_affine(x: np.ndarray, matrix: np.ndarray, offset: np.ndarray, channel_axis: int,
                 fill_mode: str = "nearest", cval: float = 0.0) -> np.ndarray:
    """x with every channel read at matrix @ (row, col) + offset (nearest pixel).

    One 2-d scipy.ndimage.affine_transform per channel, written straight into the result:
    for images of a few channels this is faster than one 3-d call over all of them.
    """
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    for c in range(x.shape[channel_axis]):
        index = (slice(None),) * (channel_axis % x.ndim) + (c,)
        ndi.affine_transform(x[index], matrix, offset, order=0, mode=fill_mode, cval=cval,
                             output=out[index])
    return out


def apply_transform(x: np.ndarray, transform_matrix: np.ndarray, channel_axis: int = 0,
                    fill_mode: str = "nearest", cval: float = 0.0) -> np.ndarray:
    """The 3-d image `x` transformed by `transform_matrix` (nearest pixel; points from
    outside the image filled by `fill_mode`, with `cval` for 'constant')."""
    return apply_affine(x, transform_matrix[:2, :2], transform_matrix[:2, 2], channel_axis,
                        fill_mode, cval)


def flip_axis(x: np.ndarray, axis: int) -> np.ndarray:
    """x reversed along `axis`."""
    return np.flip(np.asarray(x), axis)


def channel_shift(x: np.ndarray, shifts: Any, channel_axis: int = 0) -> np.ndarray:
    """Each channel plus its shift, clipped to the image's original [min, max]."""
    x = np.asarray(x)
    shape = [1] * x.ndim
    shape[channel_axis] = x.shape[channel_axis]
    shifted = x + np.asarray(shifts, dtype=x.dtype).reshape(shape)
    return shifted.clip(x.min(), x.max(), out=shifted)


def _centered(x: np.ndarray, matrix: np.ndarray, row_axis: int, col_axis: int,
              channel_axis: int, fill_mode: str, cval: float) -> np.ndarray:
    h, w = x.shape[row_axis], x.shape[col_axis]
    return apply_transform(x, transform_matrix_offset_center(matrix, h, w), channel_axis,
                           fill_mode, cval)


def random_rotation(x: np.ndarray, rg: float, row_axis: int = 1, col_axis: int = 2,
                    channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0
                    ) -> np.ndarray:
    """x rotated by a random angle in [-rg, rg] degrees (NumPy's global random state)."""
    theta = np.pi / 180 * np.random.uniform(-rg, rg)
    return _centered(x, rotation_matrix(theta), row_axis, col_axis, channel_axis, fill_mode,
                     cval)


def random_shift(x: np.ndarray, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0
                 ) -> np.ndarray:
    """x shifted by random fractions of its height (hrg) and width (wrg)."""
    tx = np.random.uniform(-hrg, hrg) * x.shape[row_axis]
    ty = np.random.uniform(-wrg, wrg) * x.shape[col_axis]
    return apply_transform(x, shift_matrix(tx, ty), channel_axis, fill_mode, cval)


def random_shear(x: np.ndarray, intensity: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0
                 ) -> np.ndarray:
    """x sheared by a random angle in [-intensity, intensity] radians."""
    shear = np.random.uniform(-intensity, intensity)
    return _centered(x, shear_matrix(shear), row_axis, col_axis, channel_axis, fill_mode,
                     cval)


def random_zoom(x: np.ndarray, zoom_range: Any, row_axis: int = 1, col_axis: int = 2,
                channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0
                ) -> np.ndarray:
    """x zoomed by random factors in zoom_range = (low, high), one per axis."""
    if len(zoom_range) != 2:
        raise ValueError(f"random_zoom: zoom_range should be a tuple or list of two floats, "
                         f"got {zoom_range!r}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1.0, 1.0
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return _centered(x, zoom_matrix(zx, zy), row_axis, col_axis, channel_axis, fill_mode,
                     cval)


def random_channel_shift(x: np.ndarray, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """Each channel shifted by its own random amount in [-intensity, intensity]."""
    n = np.asarray(x).shape[channel_axis]
    return channel_shift(x, [np.random.uniform(-intensity, intensity) for _ in range(n)],
                         channel_axis)

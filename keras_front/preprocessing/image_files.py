"""Images as files and as arrays: load_img, array_to_img, img_to_array, list_pictures.

Reading and writing image files needs Pillow, an optional extra (`pip install
'symgraph[images]'`); everything else in keras_front.preprocessing.image works without
it. The ImportError says so.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from .. import backend as K
from ..utils.data_utils import atomic_open

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff", "gif")


def pil_image(what: str) -> Any:
    """PIL.Image, or an ImportError naming `what` needed it and how to install Pillow."""
    try:
        from PIL import Image  # optional dependency: imported only when images are used
    except ImportError:
        raise ImportError(f"{what} needs Pillow to read and write image files: install the "
                          f"'images' extra (pip install 'symgraph[images]') or Pillow itself "
                          f"(pip install Pillow)") from None
    return Image


def _ordering(dim_ordering: str | None) -> str:
    return K.normalize_dim_ordering(dim_ordering)


def array_to_img(x: Any, dim_ordering: str = "default", scale: bool = True) -> Any:
    """A PIL image of the 3-d array x (1 channel: grayscale 'L'; 3: 'RGB'; 4: 'RGBA').

    With `scale`, values are shifted up to 0 when negative and stretched to 0..255.
    """
    image = pil_image("array_to_img")
    x = np.asarray(x, dtype=K.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected a 3-d image array, got shape {x.shape}")
    if _ordering(dim_ordering) == "th":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x + max(-np.min(x), 0)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 1:
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported number of channels {channels} in shape "
                     f"{x.shape} (expected 1, 3 or 4)")


def img_to_array(img: Any, dim_ordering: str = "default") -> np.ndarray:
    """A PIL image as a floatx array: (rows, cols, channels) for 'tf', (channels, rows,
    cols) for 'th' (grayscale images get one channel)."""
    ordering = _ordering(dim_ordering)
    x = np.asarray(img, dtype=K.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x.transpose(2, 0, 1) if ordering == "th" else x


def load_img(path: str, grayscale: bool = False, target_size: Any = None,
             interpolation: str = "nearest") -> Any:
    """The image file at `path` as a PIL image in 'RGB' (or 'L' when grayscale), resized
    to target_size = (rows, cols) when given."""
    image = pil_image("load_img")
    try:
        with image.open(path) as opened:
            img = opened.convert("L" if grayscale else "RGB")
    except FileNotFoundError:
        raise FileNotFoundError(f"load_img: no such file: {path}") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise ValueError(f"load_img: cannot read {path} as an image ({e})") from e
    if target_size:
        resample = getattr(image.Resampling, interpolation.upper(), None)
        if resample is None:
            raise ValueError(f"load_img: unknown interpolation {interpolation!r}")
        rows, cols = target_size
        if img.size != (cols, rows):
            img = img.resize((int(cols), int(rows)), resample)
    return img


def save_img(path: str, x: np.ndarray, dim_ordering: str = "default",
             file_format: str | None = None, scale: bool = True) -> None:
    """Write the 3-d array x as an image file (atomically: a failed write leaves none)."""
    img = array_to_img(x, dim_ordering, scale=scale)
    fmt = file_format or os.path.splitext(path)[1].lstrip(".") or "png"
    with atomic_open(path) as f:
        img.save(f, format=fmt)


def is_image_file(fname: str, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> bool:
    """Whether the file name ends with one of the image extensions (any case)."""
    return fname.lower().endswith(tuple("." + e for e in extensions))


def list_pictures(directory: str, ext: str = "jpg|jpeg|bmp|png") -> list[str]:
    """Paths of the pictures under `directory` whose extension matches `ext`."""
    pattern = re.compile(r"([\w]+\.(?:" + ext + "))")
    return [os.path.join(root, f) for root, _, files in os.walk(directory) for f in files
            if pattern.match(f)]

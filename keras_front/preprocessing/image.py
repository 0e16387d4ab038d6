"""Image preprocessing and real-time augmentation (Keras 1.2.2's
keras.preprocessing.image): ImageDataGenerator, its iterators, and the array/file helpers.

    datagen = ImageDataGenerator(rotation_range=15, width_shift_range=0.1,
                                 horizontal_flip=True, featurewise_center=True)
    datagen.fit(x_train)                       # the dataset's mean (std, ZCA) when needed
    model.fit_generator(datagen.flow(x_train, y_train, batch_size=32),
                        samples_per_epoch=len(x_train), nb_epoch=10)

Transforms run with scipy.ndimage (nearest pixel, as Keras 1.2.2); reading and writing
image files (load_img, array_to_img, flow_from_directory, save_to_dir) needs Pillow,
the 'images' extra.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import linalg

from .. import backend as K
from .affine import (
    apply_affine,
    apply_transform,
    channel_shift,
    check_fill_mode,
    composed_affine,
    flip_axis,
    random_channel_shift,
    random_rotation,
    random_shear,
    random_shift,
    random_zoom,
    transform_matrix_offset_center,
)
from .image_files import array_to_img, img_to_array, list_pictures, load_img, save_img
from .iterators import DirectoryIterator, Iterator, NumpyArrayIterator, as_image_batch

__all__ = [
    "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
    "array_to_img", "img_to_array", "load_img", "save_img", "list_pictures", "apply_transform",
    "flip_axis", "random_rotation", "random_shift", "random_shear", "random_zoom",
    "random_channel_shift", "transform_matrix_offset_center",
]

ZCA_EPSILON = 1e-6  # Keras 1.2.2's 10e-7, added to the eigenvalues before the square root


def _not_fitted(what: str) -> None:
    warnings.warn(f"This ImageDataGenerator specifies `{what}`, but it hasn't been fit on any "
                  f"training data. Fit it first by calling `.fit(numpy_data)`.", stacklevel=3)


class ImageDataGenerator:
    """Batches of images with real-time augmentation, and the statistics to normalize them.

    Normalization: featurewise_center / featurewise_std_normalization (the dataset's
    per-channel mean / std, from fit()), samplewise_center /
    samplewise_std_normalization (each image's own mean / std), zca_whitening (from
    fit()). Augmentation, drawn anew for every image: rotation_range (degrees),
    width_shift_range / height_shift_range (fractions of the size), shear_range
    (radians), zoom_range (z or (low, high)), channel_shift_range, horizontal_flip /
    vertical_flip; fill_mode and cval say how points from outside the image are filled.
    rescale multiplies first of all; preprocessing_function(image) runs before anything.
    dim_ordering 'th' / 'tf' (Keras 2: data_format) says where the channels are.
    """

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False,
                 samplewise_std_normalization: bool = False, zca_whitening: bool = False,
                 rotation_range: float = 0.0, width_shift_range: float = 0.0,
                 height_shift_range: float = 0.0, shear_range: float = 0.0,
                 zoom_range: Any = 0.0, channel_shift_range: float = 0.0,
                 fill_mode: str = "nearest", cval: float = 0.0, horizontal_flip: bool = False,
                 vertical_flip: bool = False, rescale: float | None = None,
                 preprocessing_function: Callable[[np.ndarray], np.ndarray] | None = None,
                 dim_ordering: str = "default", *, data_format: str | None = None):
        if data_format is not None:
            dim_ordering = data_format
        self.dim_ordering = K.normalize_dim_ordering(dim_ordering)
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = check_fill_mode(fill_mode, "ImageDataGenerator")
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(f"ImageDataGenerator: preprocessing_function must be callable, got "
                            f"{preprocessing_function!r}")
        self.preprocessing_function = preprocessing_function
        if self.dim_ordering == "th":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.principal_components: np.ndarray | None = None
        if np.isscalar(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"ImageDataGenerator: zoom_range should be a float or a tuple or "
                             f"list of two floats, got {zoom_range!r}")

    # ------------------------------------------------------------ iterators

    def flow(self, X: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             seed: int | None = None, save_to_dir: str | None = None, save_prefix: str = "",
             save_format: str = "jpeg") -> NumpyArrayIterator:
        """An endless iterator of augmented batches (x, y) of X (and y); with save_to_dir,
        each batch's images are also written there (needs Pillow)."""
        return NumpyArrayIterator(X, y, self, batch_size=batch_size, shuffle=shuffle,
                                  seed=seed, dim_ordering=self.dim_ordering,
                                  save_to_dir=save_to_dir, save_prefix=save_prefix,
                                  save_format=save_format)

    def flow_from_directory(self, directory: str, target_size: Any = (256, 256),
                            color_mode: str = "rgb", classes: list[str] | None = None,
                            class_mode: str | None = "categorical", batch_size: int = 32,
                            shuffle: bool = True, seed: int | None = None,
                            save_to_dir: str | None = None, save_prefix: str = "",
                            save_format: str = "jpeg", follow_links: bool = False
                            ) -> DirectoryIterator:
        """An endless iterator of augmented batches read from `directory`, one sub-folder
        per class (sorted names, or `classes`); see DirectoryIterator. Needs Pillow."""
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, dim_ordering=self.dim_ordering,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links)

    # ------------------------------------------------------------ one image

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """One image normalized: preprocessing_function, rescale, sample-wise then
        feature-wise centering and scaling, ZCA (each as configured)."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x = x * self.rescale
        if self.samplewise_center:
            x = x - np.mean(x)
        if self.samplewise_std_normalization:
            x = x / (np.std(x) + K.epsilon())
        if self.featurewise_center:
            if self.mean is not None:
                x = x - self.mean
            else:
                _not_fitted("featurewise_center")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x = x / (self.std + K.epsilon())
            else:
                _not_fitted("featurewise_std_normalization")
        if self.zca_whitening:
            if self.principal_components is not None:
                x = np.reshape(np.reshape(x, -1) @ self.principal_components, x.shape)
            else:
                _not_fitted("zca_whitening")
        return np.asarray(x, dtype=K.floatx())

    def random_transform(self, x: np.ndarray, seed: int | None = None) -> np.ndarray:
        """One image with random rotation, shift, shear, zoom, channel shift and flips as
        configured (drawn from NumPy's global random state, or from `seed`)."""
        rng = np.random.RandomState(seed) if seed is not None else np.random
        return self._random_transform(x, rng)

    def random_transform_with(self, x: np.ndarray, rng: Any) -> np.ndarray:
        """random_transform drawing from `rng` (what the iterators call; a subclass that
        overrides random_transform gets its own method called instead)."""
        if type(self).random_transform is not ImageDataGenerator.random_transform:
            return self.random_transform(x)
        return self._random_transform(x, rng)

    def _random_transform(self, x: np.ndarray, rng: Any) -> np.ndarray:
        # The draws come in Keras 1.2.2's order, so a given seed of NumPy's global random
        # state augments images as Keras 1.2.2 would.
        row, col, channel = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        theta = np.pi / 180 * rng.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0.0
        tx = rng.uniform(-self.height_shift_range, self.height_shift_range) * x.shape[row] \
            if self.height_shift_range else 0.0
        ty = rng.uniform(-self.width_shift_range, self.width_shift_range) * x.shape[col] \
            if self.width_shift_range else 0.0
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0.0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1.0, 1.0
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        if theta or tx or ty or shear or zx != 1 or zy != 1:
            matrix, offset = composed_affine(theta, tx, ty, shear, zx, zy, x.shape[row],
                                             x.shape[col])
            x = apply_affine(x, matrix, offset, channel, self.fill_mode, self.cval)
        if self.channel_shift_range != 0:
            shifts = [rng.uniform(-self.channel_shift_range, self.channel_shift_range)
                      for _ in range(x.shape[channel])]
            x = channel_shift(x, shifts, channel)
        if self.horizontal_flip and rng.random_sample() < 0.5:
            x = flip_axis(x, col)
        if self.vertical_flip and rng.random_sample() < 0.5:
            x = flip_axis(x, row)
        return x

    # ------------------------------------------------------------ dataset statistics

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: int | None = None
            ) -> None:
        """Compute what featurewise_center, featurewise_std_normalization and
        zca_whitening need from the images x (rank 4), optionally from `rounds` randomly
        augmented copies of them."""
        x = np.array(as_image_batch(x, self.dim_ordering, "ImageDataGenerator.fit: x"))
        rng = np.random.RandomState(seed) if seed is not None else np.random
        if augment:
            x = np.stack([self.random_transform_with(img, rng)
                          for _ in range(rounds) for img in x]).astype(K.floatx())
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), shape)
            x = x - self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), shape)
            x = x / (self.std + K.epsilon())
        if self.zca_whitening:
            flat = np.reshape(x, (x.shape[0], -1)).astype("float64")
            sigma = flat.T @ flat / flat.shape[0]
            u, s, _ = linalg.svd(sigma)
            pcs = (u * (1.0 / np.sqrt(s + ZCA_EPSILON))) @ u.T
            self.principal_components = pcs.astype(K.floatx())

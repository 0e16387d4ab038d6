"""The batch iterators ImageDataGenerator.flow and .flow_from_directory return.

Each is an endless iterator of batches (Keras 1.2.2's protocol, what fit_generator
draws from): batch i of an epoch holds samples [i*batch_size, (i+1)*batch_size) of the
epoch's order, the last batch may be smaller, and shuffling happens at each epoch's
start. With a `seed` the iterator draws its shuffles and its augmentations from its own
numpy.random.RandomState, so two iterators with the same seed give the same batches
(without a seed it uses NumPy's global random state, as Keras does). The lock makes
`next()` safe to call from several threads; the images of a batch are transformed
outside it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator as IteratorABC
from typing import Any

import numpy as np

from .. import backend as K
from .image_files import IMAGE_EXTENSIONS, img_to_array, is_image_file, load_img, save_img

CLASS_MODES = ("categorical", "binary", "sparse", "input", None)


class Iterator:
    """Index bookkeeping shared by the image iterators: `n` samples in batches."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.rng: Any = np.random.RandomState(seed) if seed is not None else np.random
        self.index_generator = self._flow_index()

    def reset(self) -> None:
        """Start a new epoch at the next batch."""
        self.batch_index = 0

    def _flow_index(self) -> IteratorABC[tuple[np.ndarray, int, int]]:
        self.reset()
        index_array = np.arange(self.n)
        while True:
            if self.batch_index == 0:
                index_array = self.rng.permutation(self.n) if self.shuffle \
                    else np.arange(self.n)
            current_index = (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                current_batch_size = self.batch_size
                self.batch_index += 1
            else:
                current_batch_size = self.n - current_index
                self.batch_index = 0
            self.total_batches_seen += 1
            yield (index_array[current_index:current_index + current_batch_size],
                   current_index, current_batch_size)

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        return self.next()

    def __len__(self) -> int:
        """Batches per epoch."""
        return -(-self.n // self.batch_size)

    def next(self) -> Any:
        """The next batch."""
        with self.lock:
            index_array, current_index, _ = next(self.index_generator)
        return self._batch(index_array, current_index)

    def _batch(self, index_array: np.ndarray, current_index: int) -> Any:
        raise NotImplementedError

    def _augment(self, generator: Any, x: np.ndarray) -> np.ndarray:
        """random_transform then standardize one image (a subclass's overrides honoured)."""
        x = generator.random_transform_with(x, self.rng)
        return generator.standardize(x)

    def _save(self, batch_x: np.ndarray, current_index: int) -> None:
        for i, x in enumerate(batch_x):
            fname = (f"{self.save_prefix}_{current_index + i}_{self.rng.randint(10000)}."
                     f"{self.save_format}")
            save_img(os.path.join(self.save_to_dir, fname), x, self.dim_ordering,
                     file_format=self.save_format)

    def _set_saving(self, save_to_dir: str | None, save_prefix: str, save_format: str) -> None:
        if save_to_dir is not None and not os.path.isdir(save_to_dir):
            raise FileNotFoundError(f"save_to_dir: no such folder: {save_to_dir}")
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format


def _channels_axis(dim_ordering: str) -> int:
    return 3 if dim_ordering == "tf" else 1


def as_image_batch(x: Any, dim_ordering: str, where: str) -> np.ndarray:
    """x as a floatx array of shape (n, ...) holding 1, 3 or 4 channels where
    dim_ordering puts them; errors name `where`, the shape and the channel axis."""
    if isinstance(x, (list, tuple)) and x:
        shapes = {np.shape(item) for item in x}
        if len(shapes) > 1:
            first = np.shape(x[0])
            odd = next(i for i, item in enumerate(x) if np.shape(item) != first)
            raise ValueError(f"{where}: the images have different shapes: {first} (image 0) "
                             f"and {np.shape(x[odd])} (image {odd}); resize them to one size")
    x = np.asarray(x, dtype=K.floatx())
    if x.ndim != 4:
        raise ValueError(f"{where}: expected a rank-4 array of images (n, rows, cols, "
                         f"channels) for 'tf', (n, channels, rows, cols) for 'th'; got an "
                         f"array with shape {x.shape}")
    axis = _channels_axis(dim_ordering)
    if x.shape[axis] not in (1, 3, 4):
        raise ValueError(f"{where}: with dim_ordering {dim_ordering!r} the channels are on "
                         f"axis {axis}, which should hold 1, 3 or 4 channels; got an array "
                         f"with shape {x.shape} ({x.shape[axis]} channels)")
    return x


class NumpyArrayIterator(Iterator):
    """Batches (x, y) — or x alone when y is None — of augmented images from arrays."""

    def __init__(self, x: Any, y: Any, image_data_generator: Any, batch_size: int = 32,
                 shuffle: bool = False, seed: int | None = None,
                 dim_ordering: str = "default", save_to_dir: str | None = None,
                 save_prefix: str = "", save_format: str = "jpeg"):
        self.dim_ordering = K.normalize_dim_ordering(dim_ordering)
        self.x = as_image_batch(x, self.dim_ordering, "ImageDataGenerator.flow: x")
        if len(self.x) == 0:
            raise ValueError("ImageDataGenerator.flow: x holds no images")
        if y is not None and len(self.x) != len(y):
            raise ValueError(f"ImageDataGenerator.flow: x (images) and y (labels) should have "
                             f"the same length; got x.shape = {self.x.shape}, "
                             f"y.shape = {np.shape(y)}")
        self.y = np.asarray(y) if y is not None else None
        self.image_data_generator = image_data_generator
        self._set_saving(save_to_dir, save_prefix, save_format)
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _batch(self, index_array: np.ndarray, current_index: int) -> Any:
        batch_x = np.empty((len(index_array),) + self.x.shape[1:], dtype=K.floatx())
        for i, j in enumerate(index_array):
            batch_x[i] = self._augment(self.image_data_generator, self.x[j])
        if self.save_to_dir:
            self._save(batch_x, current_index)
        if self.y is None:
            return batch_x
        return batch_x, self.y[index_array]


def _walk(folder: str, follow_links: bool) -> list[str]:
    """Image files under `folder` (recursively, sorted), relative to `folder`."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        dirs.sort()
        for fname in sorted(files):
            if is_image_file(fname):
                found.append(os.path.relpath(os.path.join(root, fname), folder))
    return found


class DirectoryIterator(Iterator):
    """Batches of augmented images read from one sub-folder per class of `directory`.

    class_mode: 'categorical' (one-hot labels), 'binary' (0/1, exactly two classes),
    'sparse' (class indices), 'input' (the images themselves) or None (images only).
    target_size=None keeps the files' own size, which must then be the same for all.
    """

    def __init__(self, directory: str, image_data_generator: Any,
                 target_size: Any = (256, 256), color_mode: str = "rgb",
                 dim_ordering: str = "default", classes: list[str] | None = None,
                 class_mode: str | None = "categorical", batch_size: int = 32,
                 shuffle: bool = True, seed: int | None = None,
                 save_to_dir: str | None = None, save_prefix: str = "",
                 save_format: str = "jpeg", follow_links: bool = False):
        where = "ImageDataGenerator.flow_from_directory"
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{where}: directory {directory!r} does not exist")
        if color_mode not in ("rgb", "grayscale"):
            raise ValueError(f"{where}: invalid color_mode {color_mode!r}; expected 'rgb' or "
                             f"'grayscale'")
        if class_mode not in CLASS_MODES:
            raise ValueError(f"{where}: invalid class_mode {class_mode!r}; expected one of "
                             f"'categorical', 'binary', 'sparse', 'input' or None")
        self.directory = directory
        self.image_data_generator = image_data_generator
        self.dim_ordering = K.normalize_dim_ordering(dim_ordering)
        self.color_mode = color_mode
        self.class_mode = class_mode
        self._set_saving(save_to_dir, save_prefix, save_format)
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        for name in classes:
            if not os.path.isdir(os.path.join(directory, name)):
                raise FileNotFoundError(f"{where}: class folder {name!r} not found in "
                                        f"{directory}")
        if class_mode == "binary" and len(classes) != 2:
            raise ValueError(f"{where}: class_mode='binary' needs exactly 2 classes, found "
                             f"{len(classes)} in {directory}: {classes}; use 'categorical' "
                             f"or 'sparse'")
        self.class_indices = {name: i for i, name in enumerate(classes)}
        self.nb_class = self.num_classes = len(classes)
        self.filenames: list[str] = []
        labels: list[int] = []
        for name in classes:
            for rel in _walk(os.path.join(directory, name), follow_links):
                self.filenames.append(os.path.join(name, rel))
                labels.append(self.class_indices[name])
        self.classes = np.asarray(labels, dtype="int32")
        self.nb_sample = self.samples = len(self.filenames)
        print(f"Found {self.nb_sample} images belonging to {self.nb_class} classes.")
        if not self.filenames:
            raise ValueError(f"{where}: no images found in {directory} (looked in the "
                             f"class folders {classes} for files ending in "
                             f"{', '.join('.' + e for e in IMAGE_EXTENSIONS)})")
        self.target_size = tuple(target_size) if target_size else None
        channels = 3 if color_mode == "rgb" else 1
        size = self.target_size or self._size_of(self.filenames[0])
        self.image_shape = size + (channels,) if self.dim_ordering == "tf" \
            else (channels,) + size
        super().__init__(self.nb_sample, batch_size, shuffle, seed)

    def _size_of(self, fname: str) -> tuple[int, int]:
        img = load_img(os.path.join(self.directory, fname))
        return img.size[1], img.size[0]

    def _load(self, fname: str) -> np.ndarray:
        img = load_img(os.path.join(self.directory, fname),
                       grayscale=self.color_mode == "grayscale", target_size=self.target_size)
        x = img_to_array(img, dim_ordering=self.dim_ordering)
        if x.shape != self.image_shape:
            raise ValueError(f"ImageDataGenerator.flow_from_directory: {fname} is "
                             f"{img.size[1]}x{img.size[0]} but the first image, "
                             f"{self.filenames[0]}, is {self.image_shape}; pass target_size to "
                             f"resize the images to one size")
        return x

    def _batch(self, index_array: np.ndarray, current_index: int) -> Any:
        batch_x = np.empty((len(index_array),) + self.image_shape, dtype=K.floatx())
        for i, j in enumerate(index_array):
            batch_x[i] = self._augment(self.image_data_generator, self._load(self.filenames[j]))
        if self.save_to_dir:
            self._save(batch_x, current_index)
        labels = self.classes[index_array]
        if self.class_mode == "sparse":
            return batch_x, labels
        if self.class_mode == "binary":
            return batch_x, labels.astype(K.floatx())
        if self.class_mode == "categorical":
            return batch_x, np.eye(self.nb_class, dtype=K.floatx())[labels]
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        return batch_x

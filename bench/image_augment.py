"""ImageDataGenerator.flow throughput with every augmentation on, against the same
transforms written as a plain loop of scipy.ndimage calls.

    python -m bench.image_augment [--batches 20] [--repeats 3]

Two workloads, batches of 128 images: 28x28x1 (MNIST-shaped) and 32x32x3 (CIFAR-shaped),
float32, 'tf' ordering. The generator has rotation, width/height shift, shear, zoom,
channel shift, horizontal and vertical flips and rescale on. The reference loop draws
the same kind of random parameters per image and applies Keras 1.2.2's recipe: the
composed 3x3 matrix, one scipy.ndimage.affine_transform per channel (order 0), channel
shift, flips. Images per second (higher is better), best of --repeats, both measured in
the same run, alternating; the ratio is ours / reference.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import scipy
import scipy.ndimage as ndi

from keras_front.preprocessing.image import ImageDataGenerator

AUGMENT = dict(rotation_range=20.0, width_shift_range=0.1, height_shift_range=0.1,
               shear_range=0.2, zoom_range=0.15, channel_shift_range=0.1,
               horizontal_flip=True, vertical_flip=True, rescale=1 / 255.0,
               fill_mode="nearest", dim_ordering="tf")


def reference_batch(images: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """The augmentations as a plain loop of scipy.ndimage calls (Keras 1.2.2's recipe)."""
    out = np.empty_like(images)
    h, w = images.shape[1:3]
    o_x, o_y = h / 2 + 0.5, w / 2 + 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    for i, img in enumerate(images):
        theta = np.deg2rad(rng.uniform(-20, 20))
        tx, ty = rng.uniform(-0.1, 0.1) * h, rng.uniform(-0.1, 0.1) * w
        shear = rng.uniform(-0.2, 0.2)
        zx, zy = rng.uniform(0.85, 1.15, 2)
        m = (np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0],
                       [0, 0, 1]])
             @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
             @ np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
             @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
        m = offset @ m @ reset
        x = np.stack([ndi.affine_transform(img[..., c], m[:2, :2], m[:2, 2], order=0,
                                           mode="nearest") for c in range(img.shape[-1])], -1)
        lo, hi = x.min(), x.max()
        x = np.clip(x + np.array([rng.uniform(-0.1, 0.1) for _ in range(x.shape[-1])],
                                 dtype=x.dtype), lo, hi)
        if rng.random_sample() < 0.5:
            x = x[:, ::-1]
        if rng.random_sample() < 0.5:
            x = x[::-1]
        out[i] = x * (1 / 255.0)
    return out


def measure(shape: tuple[int, ...], n_batches: int, repeats: int) -> tuple[float, float]:
    """(ours, reference) in images per second, best of `repeats`."""
    images = np.random.RandomState(0).rand(128 * 4, *shape).astype("float32") * 255
    flow = ImageDataGenerator(**AUGMENT).flow(images, batch_size=128, seed=0)
    rng = np.random.RandomState(1)
    next(flow)
    reference_batch(images[:128], rng)  # warm both up
    ours, theirs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n_batches):
            next(flow)
        ours.append(128 * n_batches / (time.perf_counter() - start))
        start = time.perf_counter()
        for b in range(n_batches):
            reference_batch(images[(b % 4) * 128:(b % 4 + 1) * 128], rng)
        theirs.append(128 * n_batches / (time.perf_counter() - start))
    return max(ours), max(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"NumPy {np.__version__}, SciPy {scipy.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}; batches of 128, every "
          f"augmentation on; images/s, best of {args.repeats}")
    print(f"{'images':<12}{'ImageDataGenerator.flow':>26}{'scipy.ndimage loop':>22}"
          f"{'ratio':>8}")
    for shape in ((28, 28, 1), (32, 32, 3)):
        ours, theirs = measure(shape, args.batches, args.repeats)
        label = "x".join(str(d) for d in shape)
        print(f"{label:<12}{ours:>26,.0f}{theirs:>22,.0f}{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()

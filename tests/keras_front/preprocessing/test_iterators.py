"""keras_front/preprocessing/iterators.py: flow over arrays and flow_from_directory over a
temporary tree of real PNG files; fit_generator drawing from flow()."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from keras_front.datasets import digits
from keras_front.layers import Dense, Flatten
from keras_front.models import Sequential
from keras_front.preprocessing.image import ImageDataGenerator, img_to_array, load_img
from keras_front.utils.np_utils import to_categorical


def _indexed(n=10, shape=(4, 4, 1)):
    """Images whose every pixel is their own index (to check x and y stay paired)."""
    return np.arange(n, dtype="float32")[:, None, None, None] * np.ones((1,) + shape, "float32")


def test_flow_visits_every_sample_once_per_epoch_in_batches():
    x = _indexed(10)
    it = ImageDataGenerator(dim_ordering="tf").flow(x, np.arange(10), batch_size=4, seed=0)
    assert len(it) == 3
    for _ in range(2):  # two epochs
        seen = []
        for size in (4, 4, 2):
            bx, by = next(it)
            assert bx.shape == (size, 4, 4, 1) and len(by) == size
            np.testing.assert_array_equal(bx[:, 0, 0, 0], by)
            seen += by.tolist()
        assert sorted(seen) == list(range(10))
    ordered = ImageDataGenerator(dim_ordering="tf").flow(x, batch_size=6, shuffle=False)
    np.testing.assert_array_equal(next(ordered)[:, 0, 0, 0], np.arange(6))


def test_the_same_seed_gives_the_same_augmented_batches():
    x = np.random.RandomState(0).rand(20, 8, 8, 3).astype("float32")
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, zoom_range=0.2,
                             horizontal_flip=True, channel_shift_range=0.1, dim_ordering="tf")
    def batches(seed):
        it = gen.flow(x, np.arange(20), batch_size=8, seed=seed)
        return [next(it) for _ in range(4)]
    for (a, ya), (b, yb) in zip(batches(5), batches(5), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(batches(5)[0][0], batches(6)[0][0])


def test_save_to_dir_writes_each_batch_as_images(tmp_path):
    x = np.random.RandomState(1).rand(5, 6, 6, 3).astype("float32")
    it = ImageDataGenerator(dim_ordering="tf").flow(x, batch_size=3, shuffle=False,
                                                    save_to_dir=str(tmp_path), save_prefix="aug",
                                                    save_format="png", seed=1)
    batch = next(it)
    files = sorted(tmp_path.iterdir())
    assert len(files) == 3 and all(f.name.startswith("aug_") for f in files)
    first = [f for f in files if f.name.startswith("aug_0_")][0]
    saved = img_to_array(load_img(str(first)), "tf")
    scaled = batch[0] - min(batch[0].min(), 0)
    np.testing.assert_array_equal(saved, np.floor(scaled / scaled.max() * 255))
    with pytest.raises(FileNotFoundError, match="save_to_dir: no such folder"):
        ImageDataGenerator().flow(x, save_to_dir=str(tmp_path / "absent"))


def test_flow_rejects_bad_data_by_name():
    gen = ImageDataGenerator(dim_ordering="tf")
    with pytest.raises(ValueError, match=r"different shapes: \(4, 4, 1\) \(image 0\) and "
                                         r"\(5, 4, 1\) \(image 2\)"):
        gen.flow([np.zeros((4, 4, 1)), np.zeros((4, 4, 1)), np.zeros((5, 4, 1))])
    with pytest.raises(ValueError, match="expected a rank-4 array"):
        gen.flow(np.arange(32))
    with pytest.raises(ValueError, match="should have the same length"):
        gen.flow(np.zeros((3, 4, 4, 1)), [1, 2])
    with pytest.raises(ValueError, match="channels are on axis 1"):
        ImageDataGenerator(dim_ordering="th").flow(np.zeros((2, 5, 4, 3)))


@pytest.fixture
def png_tree(tmp_path):
    """root/<class>/[sub/]image-<i>.png: 3 classes of real PNGs, plus a stray text file."""
    rng = np.random.RandomState(0)
    root = tmp_path / "images"
    pixels = {}
    for i in range(9):
        cls = ["cat", "dog", "emu"][i % 3]
        folder = root / cls / ("sub" if i % 2 else "")
        folder.mkdir(parents=True, exist_ok=True)
        arr = rng.randint(0, 256, (12, 10, 3)).astype("uint8")
        Image.fromarray(arr).save(folder / f"image-{i}.png")
        pixels[str((folder / f"image-{i}.png").relative_to(root))] = (arr, cls)
    (root / "cat" / "readme.txt").write_text("not an image")
    return root, pixels


def test_flow_from_directory_finds_classes_files_and_pixels(png_tree):
    root, pixels = png_tree
    it = ImageDataGenerator(dim_ordering="tf").flow_from_directory(
        str(root), target_size=None, batch_size=4, shuffle=False)
    assert it.class_indices == {"cat": 0, "dog": 1, "emu": 2}
    assert sorted(it.filenames) == sorted(pixels) and it.nb_sample == 9
    for fname, label in zip(it.filenames, it.classes, strict=True):
        assert pixels[fname][1] == ["cat", "dog", "emu"][label]
    bx, by = next(it)
    assert bx.shape == (4, 12, 10, 3)
    for img, onehot, fname in zip(bx, by, it.filenames[:4], strict=True):
        np.testing.assert_array_equal(img, pixels[fname][0])
        assert onehot.tolist() == to_categorical([it.class_indices[pixels[fname][1]]], 3)[0] \
            .tolist()


@pytest.mark.parametrize("class_mode", ["sparse", "input", None])
def test_class_modes_color_modes_and_sizes(png_tree, class_mode):
    root, _ = png_tree
    it = ImageDataGenerator(dim_ordering="th").flow_from_directory(
        str(root), target_size=(6, 5), color_mode="grayscale", class_mode=class_mode,
        batch_size=9, shuffle=False)
    out = next(it)
    bx = out if class_mode is None else out[0]
    assert bx.shape == (9, 1, 6, 5)
    if class_mode == "sparse":
        np.testing.assert_array_equal(out[1], it.classes)
    if class_mode == "input":
        np.testing.assert_array_equal(out[1], bx)


def test_binary_mode_with_two_classes(png_tree):
    root, _ = png_tree
    it = ImageDataGenerator().flow_from_directory(str(root), classes=["dog", "cat"],
                                                  class_mode="binary", target_size=(4, 4))
    assert it.class_indices == {"dog": 0, "cat": 1} and it.nb_sample == 6
    bx, by = next(it)
    assert set(by.tolist()) <= {0.0, 1.0} and by.dtype == np.float32


def test_flow_from_directory_errors_name_the_problem(png_tree, tmp_path):
    root, _ = png_tree
    gen = ImageDataGenerator()
    with pytest.raises(ValueError, match="invalid class_mode 'multi'"):
        gen.flow_from_directory(str(root), class_mode="multi")
    with pytest.raises(ValueError, match="class_mode='binary' needs exactly 2 classes, found 3"):
        gen.flow_from_directory(str(root), class_mode="binary")
    with pytest.raises(ValueError, match="invalid color_mode 'cmyk'"):
        gen.flow_from_directory(str(root), color_mode="cmyk")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gen.flow_from_directory(str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="class folder 'yak' not found"):
        gen.flow_from_directory(str(root), classes=["yak"])
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    (empty / "a" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"no images found in .*empty"):
        gen.flow_from_directory(str(empty))
    Image.fromarray(np.zeros((3, 3, 3), "uint8")).save(root / "dog" / "tiny.png")
    it = gen.flow_from_directory(str(root), target_size=None, batch_size=10, shuffle=False)
    with pytest.raises(ValueError, match=r"dog/tiny\.png is 3x3 but the first image"):
        next(it)


def test_fit_generator_trains_on_flow_with_workers_arguments():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train / 16.0)[..., None].astype("float32")
    x_test = (x_test / 16.0)[..., None].astype("float32")
    np.random.seed(0)
    model = Sequential([Flatten(input_shape=(8, 8, 1)), Dense(32, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    gen = ImageDataGenerator(width_shift_range=0.05, dim_ordering="tf")
    history = model.fit_generator(gen.flow(x_train, to_categorical(y_train, 10),
                                           batch_size=64, seed=0),
                                  samples_per_epoch=len(x_train), nb_epoch=12, verbose=0,
                                  nb_worker=2, pickle_safe=True)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    assert acc > 0.9  # chance is 0.1

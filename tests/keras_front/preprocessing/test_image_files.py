"""keras_front/preprocessing/image_files.py: arrays <-> Pillow images <-> files."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from keras_front.preprocessing import image_files
from keras_front.preprocessing.image_files import array_to_img, img_to_array, load_img


@pytest.mark.parametrize("ordering, shape", [("th", (3, 10, 8)), ("th", (1, 10, 8)),
                                             ("tf", (10, 8, 3)), ("tf", (10, 8, 1)),
                                             ("tf", (10, 8, 4))])
def test_array_to_img_and_back(ordering, shape):
    x = np.random.RandomState(0).randint(0, 256, shape).astype("float32")
    img = array_to_img(x, dim_ordering=ordering, scale=False)
    assert img.size == (8, 10)
    back = img_to_array(img, dim_ordering=ordering)
    np.testing.assert_array_equal(back, x)
    assert back.dtype == np.float32


def test_scale_shifts_negative_values_and_stretches_to_255():
    x = np.array([[[-1.0], [0.0], [3.0]]])  # 1x3 grayscale, tf
    got = np.asarray(array_to_img(x, dim_ordering="tf"))
    np.testing.assert_array_equal(got, [[0, 63, 255]])  # (x + 1) / 4 * 255, truncated
    with pytest.raises(ValueError, match="unsupported number of channels 2"):
        array_to_img(np.zeros((4, 4, 2)), dim_ordering="tf")
    with pytest.raises(ValueError, match="expected a 3-d image array"):
        array_to_img(np.zeros((4, 4)))


def test_load_img_converts_and_resizes(tmp_path):
    pixels = np.random.RandomState(1).randint(0, 256, (6, 4, 3)).astype("uint8")
    path = tmp_path / "a.png"
    Image.fromarray(pixels).save(path)
    img = load_img(str(path))
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), pixels)
    gray = load_img(str(path), grayscale=True)
    assert gray.mode == "L" and gray.size == (4, 6)
    small = load_img(str(path), target_size=(3, 2))
    assert small.size == (2, 3)
    np.testing.assert_array_equal(np.asarray(small), pixels[1::2, 1::2])  # nearest centre


def test_unreadable_and_missing_files_are_named(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"cannot read .*bad\.png as an image"):
        load_img(str(bad))
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_img(str(tmp_path / "gone.png"))


def test_without_pillow_the_error_names_pillow_and_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"load_img needs Pillow.*'images' extra"):
        image_files.load_img("x.png")
    with pytest.raises(ImportError, match="array_to_img needs Pillow"):
        array_to_img(np.zeros((2, 2, 3)))


def test_save_img_and_list_pictures(tmp_path):
    x = np.random.RandomState(2).randint(0, 256, (5, 6, 3)).astype("float32")
    image_files.save_img(str(tmp_path / "out.png"), x, dim_ordering="tf", scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(str(tmp_path / "out.png")), "tf"), x)
    (tmp_path / "notes.txt").write_text("x")
    assert image_files.list_pictures(str(tmp_path)) == [str(tmp_path / "out.png")]
    assert [p.name for p in tmp_path.iterdir()] != []  # no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "out.png"]

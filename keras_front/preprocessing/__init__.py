"""keras_front.preprocessing: Keras 1.2.2's sequence, text and image preprocessing.

`image` needs Pillow only to read and write image files (the `images` extra)."""

from . import image, sequence, text

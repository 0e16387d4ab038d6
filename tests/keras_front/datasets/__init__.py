"""Tests of keras_front.datasets (a package, as tests/keras_front/saving, so module names stay unique)."""

"""Tests of keras_front.preprocessing (a package, as tests/keras_front/saving, so module names stay unique)."""

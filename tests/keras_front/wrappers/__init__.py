"""Tests of keras_front.wrappers (a package, as tests/keras_front/saving, so module names stay unique)."""

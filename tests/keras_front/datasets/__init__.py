"""Tests of keras_front.datasets (a package, like tests/keras_front/saving, so that
module names stay unique)."""

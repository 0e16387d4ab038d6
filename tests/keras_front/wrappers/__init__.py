"""Tests of keras_front.wrappers (a package, like tests/keras_front/saving, so that
module names stay unique)."""

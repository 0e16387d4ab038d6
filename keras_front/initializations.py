"""Keras 1.x's name for the initializers module: `keras_front.initializations` is
`keras_front.initializers` (one module object, so settings and lookups are shared)."""

import sys

from . import initializers

sys.modules[__name__] = initializers

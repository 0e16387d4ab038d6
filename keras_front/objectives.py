"""Keras 1.x's name for the losses module: `keras_front.objectives` is
`keras_front.losses` (one module object)."""

import sys

from . import losses

sys.modules[__name__] = losses

"""Keras 2's `keras.utils.vis_utils`: `plot_model` and `model_to_dot` (the same functions
as Keras 1.2's `visualize_util`, where they are written)."""

from .visualize_util import ModelDot, model_to_dot, plot_model

__all__ = ["ModelDot", "model_to_dot", "plot_model"]

"""Layers that resize sequences, images and volumes without weights: UpSampling1D/2D/3D
(repeat), ZeroPadding1D/2D/3D (surround with zeros), Cropping1D/2D/3D (trim) -- Keras
1.2.2's arguments and configs (importable from keras_front.layers.convolutional, where
Keras 1.2.2 defines them), with Keras 2's forms accepted: `size` for UpSampling1D's
`length`, ints for symmetric sizes, ((before, after), ...) pairs, `data_format`.

One deliberate difference: the 2-d and 3-d layers put `dim_ordering` in their config
(Keras 1.2.2 leaves it out, so a layer rebuilt from its config silently took the global
ordering instead of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from ..engine.base_layer import InputSpec, Layer
from .arguments import renamed
from .conv_base import int_tuple, ordering, spatial_axes

Pairs = tuple[tuple[int, int], ...]


def _pairs(layer: str, arg: str, value: Any, n: int) -> Pairs:
    """n (before, after) pairs from an int, n ints (symmetric) or n pairs."""
    if isinstance(value, int):
        return ((value, value),) * n
    items = tuple(value)
    if len(items) != n:
        raise ValueError(f"{layer}: `{arg}` must be an int, {n} ints or {n} (before, after) "
                         f"pairs, got {value!r}")
    pairs = []
    for item in items:
        pair = (item, item) if isinstance(item, int) else tuple(item)
        if len(pair) != 2 or any(not isinstance(v, int) or v < 0 for v in pair):
            raise ValueError(f"{layer}: `{arg}` must hold non-negative ints or (before, "
                             f"after) pairs, got {value!r}")
        pairs.append((int(pair[0]), int(pair[1])))
    return tuple(pairs)


def _keyed(layer: str, value: dict[str, int], keys: Sequence[str]) -> tuple[int, ...]:
    """Keras 1.2.2's dict form of a padding ({'left_pad': 1, ...}; missing keys are 0)."""
    unknown = set(value) - set(keys)
    if unknown:
        raise ValueError(f"{layer}: unexpected key(s) {sorted(unknown)} in `padding`; keys "
                         f"have to be in {set(keys)}")
    return tuple(int(value.get(k, 0)) for k in keys)


def _grow(lengths: Sequence[int | None], pairs: Pairs, sign: int) -> list[int | None]:
    return [None if n is None else n + sign * (lo + hi) for n, (lo, hi) in
            zip(lengths, pairs, strict=True)]


class _Spatial(Layer):
    """A weightless layer over `rank` spatial dims of a (batch, ...) tensor."""

    rank = 1

    def _set_ordering(self, dim_ordering: Any, data_format: Any) -> None:
        self.dim_ordering = ordering(type(self).__name__, dim_ordering, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self) -> range:
        return spatial_axes(self.rank, getattr(self, "dim_ordering", "tf"))

    def _reshape(self, input_shape: Sequence[int | None], lengths: list[int | None]) -> tuple:
        out = list(input_shape)
        for axis, n in zip(self._axes(), lengths, strict=True):
            out[axis] = n
        return tuple(out)

    def _spatial(self, input_shape: Sequence[int | None]) -> list[int | None]:
        return [input_shape[a] for a in self._axes()]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.rank > 1:
            config["dim_ordering"] = self.dim_ordering
        return config


# ---------------------------------------------------------------- upsampling


class UpSampling1D(_Spatial):
    """Repeat each step `length` times (Keras 2: size): (samples, steps, features)."""

    def __init__(self, length: int | None = None, *, size: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.length = int_tuple("UpSampling1D", "length", renamed(
            "UpSampling1D", ("length", length), ("size", size), 2), 1)[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """Each step repeated `length` times."""
        return K.repeat_elements(inputs, self.length, axis=1)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, steps * length, features)."""
        n = input_shape[1]
        return (input_shape[0], None if n is None else n * self.length, input_shape[2])

    def get_config(self) -> dict[str, Any]:
        """The config: length."""
        return {**super().get_config(), "length": self.length}


class _UpSampling(_Spatial):
    def __init__(self, size: Any, dim_ordering: str | None, data_format: str | None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.size = int_tuple(type(self).__name__, "size", size, self.rank)
        self._set_ordering(dim_ordering, data_format)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs with each spatial index repeated size[i] times."""
        if self.rank == 2:
            return K.resize_images(inputs, *self.size, self.dim_ordering)
        return K.resize_volumes(inputs, *self.size, self.dim_ordering)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The spatial lengths multiplied by size."""
        return self._reshape(input_shape, [None if n is None else n * s for n, s in
                                           zip(self._spatial(input_shape), self.size,
                                               strict=True)])

    def get_config(self) -> dict[str, Any]:
        """The config: size and dim_ordering."""
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_UpSampling):
    """Repeat rows size[0] times and columns size[1] times."""

    rank = 2

    def __init__(self, size: Any = (2, 2), dim_ordering: str | None = "default", *,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(size, dim_ordering, data_format, **kwargs)


class UpSampling3D(_UpSampling):
    """Repeat the three spatial dims size[0], size[1], size[2] times."""

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), dim_ordering: str | None = "default", *,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(size, dim_ordering, data_format, **kwargs)


# ---------------------------------------------------------------- zero padding


class _ZeroPadding(_Spatial):
    pads: Pairs

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs surrounded by zeros."""
        if self.rank == 1:
            return K.temporal_padding(inputs, self.pads[0])
        pad = K.spatial_2d_padding if self.rank == 2 else K.spatial_3d_padding
        return pad(inputs, self.pads, dim_ordering=self.dim_ordering)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The spatial lengths grown by the padding."""
        return self._reshape(input_shape, _grow(self._spatial(input_shape), self.pads, 1))

    def get_config(self) -> dict[str, Any]:
        """The config: padding, as given."""
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps: padding = n (both sides), (left, right), or
    {'left_pad': .., 'right_pad': ..}."""

    def __init__(self, padding: Any = 1, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = padding
        if isinstance(padding, dict):
            self.left_pad, self.right_pad = _keyed("ZeroPadding1D", padding,
                                                   ("left_pad", "right_pad"))
        else:
            value = padding if isinstance(padding, int) else (tuple(padding),)
            ((self.left_pad, self.right_pad),) = _pairs("ZeroPadding1D", "padding", value, 1)
        self.pads = ((self.left_pad, self.right_pad),)
        self.input_spec = InputSpec(ndim=3)


class ZeroPadding2D(_ZeroPadding):
    """Zeros around rows and columns: padding = (rows, cols) (both sides), (top, bottom,
    left, right), {'top_pad', 'bottom_pad', 'left_pad', 'right_pad'}, or Keras 2's int /
    ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding: Any = (1, 1), dim_ordering: str | None = "default", *,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = padding
        keys = ("top_pad", "bottom_pad", "left_pad", "right_pad")
        if isinstance(padding, dict):
            t, b, left, r = _keyed("ZeroPadding2D", padding, keys)
            self.pads = ((t, b), (left, r))
        elif not isinstance(padding, int) and len(tuple(padding)) == 4:
            t, b, left, r = (int(v) for v in padding)
            self.pads = ((t, b), (left, r))
        else:
            self.pads = _pairs("ZeroPadding2D", "padding", padding, 2)
        (self.top_pad, self.bottom_pad), (self.left_pad, self.right_pad) = self.pads
        self._set_ordering(dim_ordering, data_format)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around the three spatial dims: padding = 3 ints (both sides), an int, or
    Keras 2's three (before, after) pairs."""

    rank = 3

    def __init__(self, padding: Any = (1, 1, 1), dim_ordering: str | None = "default", *,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = padding
        self.pads = _pairs("ZeroPadding3D", "padding", padding, 3)
        self._set_ordering(dim_ordering, data_format)


# ---------------------------------------------------------------- cropping


class _Cropping(_Spatial):
    def _set_cropping(self, cropping: Any) -> None:
        self.crops = _pairs(type(self).__name__, "cropping", cropping, self.rank)
        self.cropping = self.crops[0] if self.rank == 1 else self.crops

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Check the crops fit in every known length (cropping all of it leaves 0)."""
        for n, (lo, hi) in zip(self._spatial(input_shape), self.crops, strict=True):
            if n is not None and lo + hi > n:
                raise ValueError(f"{type(self).__name__} {self.name!r}: cropping "
                                 f"{self.cropping} is more than an input of shape "
                                 f"{tuple(input_shape)} holds")
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs without the cropped borders."""
        index: list[Any] = [slice(None)] * K.ndim(inputs)
        for axis, (lo, hi) in zip(self._axes(), self.crops, strict=True):
            index[axis] = slice(lo, -hi if hi else None)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The spatial lengths shrunk by the crops."""
        return self._reshape(input_shape, _grow(self._spatial(input_shape), self.crops, -1))

    def get_config(self) -> dict[str, Any]:
        """The config: cropping."""
        return {**super().get_config(), "cropping": self.cropping}


class Cropping1D(_Cropping):
    """Trim cropping = (start, end) steps (Keras 2: or one int for both)."""

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(**kwargs)
        self._set_cropping(cropping if isinstance(cropping, int) else (tuple(cropping),))
        self.input_spec = InputSpec(ndim=3)


class Cropping2D(_Cropping):
    """Trim cropping = ((top, bottom), (left, right)) (Keras 2: or an int, or (rows,
    cols) for both sides)."""

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), dim_ordering: str | None = "default",
                 *, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._set_cropping(cropping)
        self._set_ordering(dim_ordering, data_format)


class Cropping3D(_Cropping):
    """Trim cropping = three (start, end) pairs off the three spatial dims."""

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)),
                 dim_ordering: str | None = "default", *, data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self._set_cropping(cropping)
        self._set_ordering(dim_ordering, data_format)

"""What `from_json` checks before it builds anything: a graph file is data, never code.

Every value that can reach generated source is checked and rebuilt from a parsed form:
op parameters against their declared types (an int is a JSON integer, a dtype one of
symgraph's dtypes, a reduction kind one the op knows, an index entry a tagged tuple of
ints), a fused kernel's scalar constants parsed as numbers of their dtype and written
back in canonical form, names and source lines as single-line printable text. Ops that
ordinary `to_json` output never holds, in-place ops, are rebuilt as their out-of-place
forms (in-place decisions belong to the compiler); fused kernels (`Composite`) are rebuilt
from their validated steps. Ops that are not public frozen dataclasses, or with a
parameter of a type this module has no rule for, are refused.

The document's structure is checked first (`serialize_structure.py`); this module holds
the checks of values: plain JSON values, arrays, kernel constants, op parameters.

Every problem raises `GraphFormatError` (a ValueError) naming what is wrong and where
(`node 3 (Reduce), params.kind`); nothing else escapes from a malformed document. A
string parameter is a word unless `STRING_RULES` says otherwise (dtypes, labels); a
parameter type with no rule (`_field_checker`) makes the op unreadable from files.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .ops.composite import Composite
from .ops.elemwise import TABLE, Elemwise, cast_op
from .ops.registry import op_key

# Static dims and element counts past this cannot be an array on any machine.
MAX_DIM = 2**48
MAX_NDIM = 32
MAX_TEXT = 4096
DTYPES = dtypes.ALL_DTYPES
KINDS = ("input", "constant", "shared", "computed")


class GraphFormatError(ValueError):
    """A JSON graph that is malformed or unsafe; the message says what and where."""


def fail(where: str, what: str) -> GraphFormatError:
    """The error for a problem at `where` (e.g. 'node 3 (Reduce), params.kind')."""
    return GraphFormatError(f"from_json: {where}: {what}")


def show(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------- plain values


def check_int(v: Any, where: str, lo: int = -MAX_DIM, hi: int = MAX_DIM) -> int:
    """A JSON integer (not a bool) within [lo, hi]."""
    if not isinstance(v, int) or isinstance(v, bool):
        raise fail(where, f"expected an integer, got {show(v)}")
    if not lo <= v <= hi:
        raise fail(where, f"{v} is out of range [{lo}, {hi}]")
    return v


def check_bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise fail(where, f"expected true or false, got {show(v)}")
    return v


def check_float(v: Any, where: str) -> float:
    """A JSON number, or {"float": "inf" | "-inf" | "nan"} (what to_json writes for those)."""
    if isinstance(v, dict) and set(v) == {"float"} and v["float"] in ("inf", "-inf", "nan"):
        return float(v["float"])
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    raise fail(where, f"expected a number, got {show(v)}")


def check_text(v: Any, where: str, optional: bool = False) -> str | None:
    """Printable single-line text (names, labels, file names): nothing that could end a
    comment or a string in generated source."""
    if v is None and optional:
        return None
    if not isinstance(v, str):
        raise fail(where, f"expected a string, got {show(v)}")
    if len(v) > MAX_TEXT or not v.isprintable():
        raise fail(where, f"{show(v)} is not printable single-line text of at most "
                          f"{MAX_TEXT} characters")
    return v


def check_choice(v: Any, where: str, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise fail(where, f"{show(v)} is not one of {', '.join(choices)}")
    return v


def check_list(v: Any, where: str, max_len: int = MAX_DIM) -> list:
    if not isinstance(v, list):
        raise fail(where, f"expected a list, got {show(v)}")
    if len(v) > max_len:
        raise fail(where, f"a list of {len(v)} entries (at most {max_len})")
    return v


def check_dict(v: Any, where: str, required: tuple[str, ...] = ()) -> dict:
    if not isinstance(v, dict):
        raise fail(where, f"expected an object, got {show(v)}")
    missing = [k for k in required if k not in v]
    if missing:
        raise fail(where, f"missing field(s) {', '.join(missing)}")
    return v


def check_shape(v: Any, where: str) -> list[int | None]:
    """A static shape: at most MAX_NDIM dims, each None or an int in [0, MAX_DIM], with
    a product of known dims of at most MAX_DIM."""
    dims = check_list(v, where, MAX_NDIM)
    out = [None if d is None else check_int(d, f"{where}[{i}]", 0) for i, d in enumerate(dims)]
    size = 1
    for d in out:
        size *= d if d is not None else 1
        if size > MAX_DIM:
            raise fail(where, f"{v} has more than {MAX_DIM} elements")
    return out


# ---------------------------------------------------------------- arrays


def decode_array(d: Any, where: str, dtype: str | None = None,
                 shape: list | None = None) -> np.ndarray:
    """encode_array's output read back strictly: a symgraph dtype, a sane shape, data of
    exactly that many elements, numbers (no strings) of the dtype's kind."""
    d = check_dict(d, where, ("dtype", "shape"))
    dt = check_choice(d["dtype"], f"{where}.dtype", DTYPES)
    dims = check_shape(d["shape"], f"{where}.shape")
    if dtype is not None and dt != dtype:
        raise fail(where, f"holds {dt} data, the variable is {dtype}")
    if shape is not None and (len(shape) != len(dims) or any(
            a is not None and a != b for a, b in zip(shape, dims, strict=True))):
        raise fail(where, f"holds data of shape {dims}, the variable is {shape}")
    size = int(np.prod(dims, dtype=np.int64))
    if ("list" in d) == ("b64" in d):
        raise fail(where, "needs exactly one of 'list' and 'b64'")
    if "list" in d:
        flat = _flat_numbers(d["list"], dims, f"{where}.list", np.dtype(dt).kind)
        try:
            return np.array(flat, dtype=dt).reshape(dims)
        except (OverflowError, ValueError, TypeError) as e:
            raise fail(f"{where}.list", f"not {dt} values ({e})") from None
    raw_text = d["b64"]
    if not isinstance(raw_text, str) or len(raw_text) > 4 * size * 16 // 3 + 8:
        raise fail(f"{where}.b64", "expected base64 text as long as the data")
    try:
        raw = base64.b64decode(raw_text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise fail(f"{where}.b64", f"not base64 ({e})") from None
    little = np.dtype(dt).newbyteorder("<")
    if len(raw) != size * little.itemsize:
        raise fail(f"{where}.b64", f"{len(raw)} bytes, a {dt} array of shape {dims} has "
                                   f"{size * little.itemsize}")
    return np.frombuffer(raw, dtype=little).astype(dt).reshape(dims)


def _flat_numbers(v: Any, dims: list[int], where: str, kind: str) -> list:
    """Nested lists exactly of shape `dims` holding numbers of the dtype's kind, flattened
    (walked iteratively: depth is bounded by the shape, not by Python's stack)."""
    ok: Callable[[Any], bool]
    if kind == "b":
        def ok(x: Any) -> bool:
            return isinstance(x, bool)
    elif kind in "iu":
        def ok(x: Any) -> bool:
            return isinstance(x, int) and not isinstance(x, bool)
    else:
        def ok(x: Any) -> bool:
            return isinstance(x, (int, float)) and not isinstance(x, bool)
    level = [v]
    for depth, n in enumerate(dims):
        nxt: list = []
        for item in level:
            if not isinstance(item, list) or len(item) != n:
                raise fail(where, f"is not nested lists of shape {dims} (level {depth})")
            nxt.extend(item)
        level = nxt
    bad = next((x for x in level if not ok(x)), _NONE)
    if bad is not _NONE:
        raise fail(where, f"holds {show(bad)}, not a number of this dtype")
    return level


_NONE = object()


# ---------------------------------------------------------------- scalar constants of kernels

_INT_TEXT = re.compile(r"-?[0-9]{1,40}")
_FLOAT_TEXT = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,4})?|-?inf|nan")
_COMPLEX_TEXT = re.compile(r"\(?[-+0-9.eEj]{1,80}\)?")


def scalar_text(dtype: Any, text: Any, where: str) -> str:
    """A fused kernel's scalar constant: parsed as a number of `dtype`, returned in the
    canonical text the fusion pass writes (str of the NumPy scalar)."""
    dt = check_choice(dtype, f"{where}.dtype", DTYPES)
    if not isinstance(text, str):
        raise fail(where, f"expected the constant's text, got {show(text)}")
    kind = np.dtype(dt).kind
    try:
        if kind == "b" and text in ("True", "False"):
            return str(np.bool_(text == "True"))
        if kind in "iu" and _INT_TEXT.fullmatch(text):
            info = np.iinfo(dt)
            if info.min <= int(text) <= info.max:
                return str(np.dtype(dt).type(int(text)))
        if kind == "f" and _FLOAT_TEXT.fullmatch(text):
            with np.errstate(over="ignore"):
                return str(np.dtype(dt).type(float(text)))
        if kind == "c" and _COMPLEX_TEXT.fullmatch(text):
            value = np.dtype(dt).type(complex(text))
            if np.isfinite(value):
                return str(value)
    except (ValueError, OverflowError):
        pass
    raise fail(where, f"{show(text)} is not a {dt} number")


# ---------------------------------------------------------------- op parameters

Checker = Callable[[Any, str], Any]


def _optional(check: Checker) -> Checker:
    return lambda v, where: None if v is None else check(v, where)


def _tuple_of(check: Checker, length: int | None = None, max_len: int = MAX_NDIM * 4
              ) -> Checker:
    """A tuple as to_json writes it ({"tuple": [...]}, or a plain list)."""
    def run(v: Any, where: str) -> tuple:
        items = v["tuple"] if isinstance(v, dict) and set(v) == {"tuple"} else v
        items = check_list(items, where, max_len)
        if length is not None and len(items) != length:
            raise fail(where, f"expected {length} entries, got {len(items)}")
        return tuple(check(e, f"{where}[{i}]") for i, e in enumerate(items))
    return run


def _one_of(*checks: Checker) -> Checker:
    def run(v: Any, where: str) -> Any:
        errors = []
        for check in checks:
            try:
                return check(v, where)
            except GraphFormatError as e:
                errors.append(str(e).split(": ", 2)[-1])
        raise fail(where, " / ".join(dict.fromkeys(errors)))
    return run


def _int(lo: int = -MAX_DIM, hi: int = MAX_DIM) -> Checker:
    return lambda v, where: check_int(v, where, lo, hi)


def _choices(values: tuple[str, ...]) -> Checker:
    return lambda v, where: check_choice(v, where, values)


def _index_entry(v: Any, where: str) -> tuple:
    """One entry of an index: ("int", i | "$"), ("slice", a, b, c), ("new",), ("adv",)."""
    e = _tuple_of(lambda x, w: x, max_len=4)(v, where)
    part = _one_of(_int(), _choices(("$",)))
    bound = _optional(part)
    if e[:1] == ("int",) and len(e) == 2:
        return ("int", part(e[1], f"{where}[1]"))
    if e[:1] == ("slice",) and len(e) == 4:
        return ("slice", *(bound(x, f"{where}[{i + 1}]") for i, x in enumerate(e[1:])))
    if e in (("new",), ("adv",)):
        return e
    raise fail(where, f"{show(v)} is not an index entry (int, slice, new or adv)")


def _row(v: Any, where: str) -> Any:
    """A table row, named as {"scalar_op": name} (cast rows are made on demand)."""
    name = check_dict(v, where, ("scalar_op",))["scalar_op"]
    if isinstance(name, str) and name.startswith("cast{") and name.endswith("}") and \
            name[5:-1] in DTYPES:
        cast_op(name[5:-1])
    if not isinstance(name, str) or name not in TABLE:
        raise fail(where, f"{show(name)} is not an elementwise op")
    return TABLE[name]


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def check_token(v: Any, where: str) -> str:
    """A word (letters, digits, underscores): what a string parameter such as a reduction
    kind, a pool mode or a distribution holds. It cannot end a name, a string or a line
    of generated code, whatever an op does with it; the op's own checks (make_node, its
    tables) then decide whether it is one it knows."""
    if not isinstance(v, str) or not _TOKEN.fullmatch(v):
        raise fail(where, f"{show(v)} is not a word (letters, digits and underscores)")
    return v


# String parameters with a stricter rule than `check_token`, by parameter name.
STRING_RULES: dict[str, Checker] = {
    "dtype": lambda v, where: check_choice(v, where, DTYPES),
    "label": check_text,  # free text, used only in messages and names made identifiers
}

_SHAPE_TUPLE = _tuple_of(_optional(_int(0)))
# Untyped `tuple` parameters, by parameter name.
_TUPLES: dict[str, Checker] = {
    "idx": _tuple_of(_index_entry, max_len=MAX_NDIM * 2),
    "pattern": _tuple_of(_one_of(_int(0, MAX_NDIM), _choices(("x",)))),
    "static": _SHAPE_TUPLE,
    "input_shape": _SHAPE_TUPLE,
    "filter_shape": _SHAPE_TUPLE,
}


def _field_checker(name: str, annotation: str) -> Checker | None:
    """The checker for a dataclass field from its declared type (None: no rule)."""
    parts = [p.strip() for p in annotation.split("|")]
    if len(parts) > 1:
        if "None" not in parts:
            alts = [_field_checker(name, p) for p in parts]
            return None if None in alts else _one_of(*alts)  # type: ignore[arg-type]
        rest = _field_checker(name, " | ".join(p for p in parts if p != "None"))
        return None if rest is None else _optional(rest)
    simple: dict[str, Checker] = {
        "int": _int(), "bool": check_bool, "float": check_float,
        "tuple[int, ...]": _tuple_of(_int()), "tuple[bool, ...]": _tuple_of(check_bool),
        "Pair": _tuple_of(_int(), 2), "Dims": _tuple_of(_int(), max_len=MAX_NDIM),
        "ScalarOp": _row,
    }
    if annotation in simple:
        return simple[annotation]
    if annotation == "str":
        return STRING_RULES.get(name, check_token)
    if annotation == "BorderMode":  # a mode name or one padding per spatial dim
        return _one_of(check_token, _tuple_of(_int(0), max_len=MAX_NDIM))
    if annotation == "tuple" and name in _TUPLES:
        return _TUPLES[name]
    return None


def op_from_json(cls: type, params: Any, where: str, subgraph: Callable[[Any, str], Any]
                 ) -> Any:
    """The op of class `cls` from its JSON parameters, every one checked.

    `subgraph(ref, where)` reads a step graph ({"subgraph": k}). In-place ops come back as
    their out-of-place forms; a Composite is rebuilt from its checked steps.
    """
    params = check_dict(params, f"{where}, params")
    key = op_key(cls)  # a user's class of the same name is not one of these
    if key == "Composite":
        return _composite(params, where)
    if key == "InplaceElemwise":
        _exact_keys(params, ("row", "destroy"), where)
        return Elemwise(_row(params["row"], f"{where}, params.row"))
    if cls.__name__.startswith("_") or not dataclasses.is_dataclass(cls) or \
            not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise fail(where, f"op class {cls.__name__} cannot be read from JSON (only public, "
                          f"frozen dataclass ops can)")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise fail(f"{where}, params", f"unknown parameter(s) {', '.join(unknown)} for "
                                       f"{cls.__name__}")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        at = f"{where}, params.{name}"
        if name not in params:
            if f.default is dataclasses.MISSING and \
                    f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
                raise fail(at, "missing")
            continue
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        if annotation == "StepGraph":
            values[name] = subgraph(params[name], at)
            continue
        check = _field_checker(name, annotation)
        if check is None:
            raise fail(at, f"{cls.__name__} declares it as {annotation!r}, a type from_json "
                           f"has no check for, so the op cannot be read from a file")
        values[name] = check(params[name], at)
    if values.get("inplace") is True and key == "Gemm":
        values["inplace"] = False  # in-place decisions are the compiler's
    try:
        return cls(**values)
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise fail(f"{where}, params", f"{cls.__name__} refuses them: {e}") from None


def _exact_keys(params: dict, keys: tuple[str, ...], where: str) -> None:
    if set(params) - set(keys) or set(keys) - set(params):
        raise fail(f"{where}, params", f"expected exactly the fields {', '.join(keys)}")


def _composite(params: dict, where: str) -> Any:
    """A fused kernel rebuilt from checked parts: every step a table row applied to inputs
    in range, earlier steps, or scalar constants parsed as numbers of their dtype."""
    for k in set(params) - {"nin", "body", "inplace", "full_inputs"}:
        raise fail(f"{where}, params", f"unknown parameter {k} for Composite")
    nin = check_int(params.get("nin"), f"{where}, params.nin", 1, 1 << 16)
    body_items = _tuple_of(lambda x, w: x, max_len=1 << 20)(
        params.get("body"), f"{where}, params.body")
    if not body_items:
        raise fail(f"{where}, params.body", "a kernel needs at least one step")
    body = []
    for j, raw in enumerate(body_items):
        at = f"{where}, params.body[{j}]"
        step = _tuple_of(lambda x, w: x, 2)(raw, at)
        name = step[0]
        if isinstance(name, str) and name.startswith("cast{") and name.endswith("}") and \
                name[5:-1] in DTYPES:
            cast_op(name[5:-1])
        if not isinstance(name, str) or name not in TABLE:
            raise fail(f"{at}[0]", f"{show(name)} is not an elementwise op")
        args = _tuple_of(lambda x, w: x, TABLE[name].nin)(step[1], f"{at}[1]")
        body.append((name, tuple(_ref(a, nin, j, f"{at}[1][{i}]")
                                 for i, a in enumerate(args))))
    full = _tuple_of(_int(0, nin - 1))(params.get("full_inputs", []),
                                       f"{where}, params.full_inputs")
    if params.get("inplace") is not None:
        check_int(params["inplace"], f"{where}, params.inplace", 0, nin - 1)
    return Composite(nin, tuple(body), None, full)  # in-place: the compiler decides


def _ref(v: Any, nin: int, step: int, where: str) -> tuple:
    """A step argument: ("i", input), ("t", earlier step) or ("c", dtype, number text)."""
    ref = _tuple_of(lambda x, w: x, max_len=3)(v, where)
    if len(ref) == 2 and ref[0] == "i":
        return ("i", check_int(ref[1], f"{where}[1]", 0, nin - 1))
    if len(ref) == 2 and ref[0] == "t":
        if step == 0:
            raise fail(where, "the first step cannot read an earlier step")
        return ("t", check_int(ref[1], f"{where}[1]", 0, step - 1))
    if len(ref) == 3 and ref[0] == "c":
        return ("c", ref[1], scalar_text(ref[1], ref[2], f"{where}[2]"))
    raise fail(where, f"{show(v)} is not an input, step or constant reference")

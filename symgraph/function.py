"""`function()`: inputs and outputs -> rewrite passes -> generated code -> a callable.

Compile once, call many times: the graph is cloned, rewritten and turned into source
once; each call only checks its arguments (skippable with `f.trust_input = True`) and
runs the generated function.
"""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from .codegen.numpy_backend import generate
from .config import config
from .fgraph import FunctionGraph
from .graph import (
    Apply,
    Constant,
    SharedVariable,
    Variable,
    as_list,
    clone_replace,
    format_trace,
    free_inputs,
)
from .memory import retain_freed_memory
from .nan_guard import EXCLUDED_PASSES, as_guard, guarded_runner
from .ops.elemwise import cast_same_kind
from .tensor import TensorType, as_tensor, is_masked

if TYPE_CHECKING:
    from .rewrite import RewriteLog

# How many functions were compiled (tests assert "compiled exactly once" with it).
stats: Counter = Counter()
# backend='auto' (the default) uses the C backend when a C compiler works (probed once
# per process), else NumPy with one warning. The test suite pins NumPy for most tests
# (tests/conftest.py: on a cold cache every distinct function would compile a module) and
# runs C where it tests C; where C differs from NumPy: codegen/c_backend.py's docstring.
AUTO_USES_C = True
_WARNED: set[str] = set()


def _fall_back(reason: str) -> None:
    """backend='auto' without a working C compiler: the NumPy backend, one warning."""
    if reason in _WARNED:
        return
    _WARNED.add(reason)
    import warnings
    warnings.warn(f"symgraph: backend='auto' uses the NumPy backend: {reason}",
                  RuntimeWarning, stacklevel=4)


class SymgraphRuntimeError(RuntimeError):
    """An op failed while running a compiled function."""


def function(inputs: Sequence[Variable] | Variable, outputs: Any = None, updates: Any = None,
             givens: Any = None, backend: str | None = None, rewrites: Any = None,
             allow_input_downcast: bool = False, on_unused_input: str = "raise",
             name: str | None = None, include: Sequence[str] = (),
             exclude: Sequence[str] = (), check_rewrites: bool = False,
             trust_input: bool = False, nan_guard: Any = None) -> Function:
    """Compile `outputs` (one variable or a list) as a function of `inputs`.

    `updates` (a dict or list of (shared, new value) pairs) are applied after every
    output is computed, all at once. `givens` replaces variables before compiling.
    `nan_guard=True` (or `sg.NanGuard(...)`; default `sg.config.nan_guard`) names the
    first node computing a NaN or inf when called (symgraph/nan_guard.py).
    """
    return Function(inputs, outputs, updates, givens, backend or config.backend,
                    config.rewrites if rewrites is None else rewrites, allow_input_downcast,
                    on_unused_input, name, include, exclude, check_rewrites, trust_input,
                    config.nan_guard if nan_guard is None else nan_guard)


def _pairs(x: Any, what: str) -> list[tuple[Any, Any]]:
    if x is None:
        return []
    if isinstance(x, dict):
        return list(x.items())
    try:
        pairs = [tuple(p) for p in x]
    except TypeError as e:
        raise TypeError(f"{what} must be a dict or a list of pairs") from e
    if any(len(p) != 2 for p in pairs):
        raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs")
    return pairs


class Function:
    """A compiled function: `f(*arrays)`; `f.source`, `f.graph`, `f.rewrite_log`, `f.dump()`."""

    def __init__(self, inputs: Any, outputs: Any, updates: Any, givens: Any, backend: str,
                 rewrites: Any, allow_input_downcast: bool, on_unused_input: str,
                 name: str | None, include: Sequence[str], exclude: Sequence[str],
                 check_rewrites: bool, trust_input: bool, nan_guard: Any = None):
        self.name = name or "f"
        self.nan_guard = as_guard(nan_guard)
        if self.nan_guard is not None:
            exclude = (*exclude, *EXCLUDED_PASSES)
        self.inputs: list[Variable] = self._check_inputs(as_list(inputs))
        self.single = outputs is not None and not isinstance(outputs, (list, tuple))
        self.outputs: list[Variable] = [as_tensor(o) for o in as_list(outputs)] \
            if outputs is not None else []
        self.updates = self._check_updates(_pairs(updates, "updates"))
        self.allow_input_downcast = allow_input_downcast
        self.trust_input = trust_input
        if on_unused_input not in ("raise", "warn", "ignore"):
            raise ValueError("on_unused_input must be 'raise', 'warn' or 'ignore'")

        values = self.outputs + [v for _, v in self.updates]
        give = _pairs(givens, "givens")
        if give:
            rep = {}
            for old, new in give:
                new = as_tensor(new)
                if old.type.ndim != new.type.ndim:
                    raise TypeError(f"givens: {old!r} and its replacement {new!r} differ in "
                                    f"rank")
                rep[old] = new if new.dtype == old.dtype else new.astype(old.dtype)
            values = clone_replace(values, rep)
        self._check_used(values, on_unused_input)
        self.original = (list(self.inputs), list(values))

        # The rewrite passes load with the first compile, not with `import symgraph`.
        from .rewrite import RewriteLog, rewrite_graph
        self.rewrite_log: RewriteLog = RewriteLog()
        self.rewrites = rewrites
        self._requested_backend = backend
        self.backend = self._choose_backend(backend)
        # Compiling allocates many small objects and frees few: Python's cyclic collector
        # would rescan the growing heap again and again (a quadratic cost on big graphs).
        with _gc_paused():
            def rewrite(skip: Sequence[str] = ()) -> FunctionGraph:
                fgraph = FunctionGraph(self.inputs, values)
                fgraph.updates = {len(self.outputs) + j: s
                                  for j, (s, _) in enumerate(self.updates)}
                checker = None
                if check_rewrites:
                    from .rewrite.check import RewriteChecker  # loaded only when asked for
                    checker = RewriteChecker(self.inputs, values)
                rewrite_graph(fgraph, rewrites, include, (*exclude, *skip),
                              self.rewrite_log, after_pass=checker)
                return fgraph

            if check_rewrites or self.nan_guard is not None:
                self.fgraph = rewrite()
            else:  # a graph compiled before, in any process, skips rewriting
                from . import function_cache  # here: `python -m symgraph.cache` runs it
                self.fgraph = function_cache.rewritten(self, function_cache.Request(
                    self.inputs, values, [s for s, _ in self.updates], rewrites, include,
                    exclude, self.backend), rewrite)
            self._compile()
        if config.retain_memory:   # calls reuse freed memory instead of refaulting it
            retain_freed_memory()
        stats["compiled"] += 1

    # ---- construction helpers
    @staticmethod
    def _check_inputs(inputs: list[Any]) -> list[Variable]:
        seen: set[Variable] = set()
        for i, v in enumerate(inputs):
            if not isinstance(v, Variable):
                raise TypeError(f"function input {i} is {v!r}, not a symbolic variable")
            if isinstance(v, SharedVariable):
                raise TypeError(f"function input {i} ({v.name or repr(v)}) is a shared variable: "
                                f"shared variables are implicit inputs, do not list them")
            if isinstance(v, Constant):
                raise TypeError(f"function input {i} is a constant; inputs must be symbolic "
                                f"variables such as sg.matrix('x')")
            if v.owner is not None:
                raise TypeError(f"function input {i} ({v!r}) is computed by "
                                f"{v.owner.op}; inputs must be leaves (use givens= to "
                                f"replace an intermediate)")
            if v in seen:
                raise ValueError(f"function input {v.name or i} is listed twice")
            seen.add(v)
        return inputs

    @staticmethod
    def _check_updates(pairs: list[tuple[Any, Any]]) -> list[tuple[SharedVariable, Variable]]:
        out: list[tuple[SharedVariable, Variable]] = []
        seen: set[Variable] = set()
        for var, value in pairs:
            if not isinstance(var, SharedVariable):
                raise TypeError(f"updates: {var!r} is not a shared variable; only "
                                f"sg.shared(...) variables can be updated")
            if var in seen:
                raise ValueError(f"updates: shared variable {var.name!r} is updated twice")
            seen.add(var)
            if not isinstance(var.type, TensorType):
                out.append((var, value))
                continue
            value = as_tensor(value)
            if value.ndim != var.ndim:
                raise TypeError(f"updates: {var.name or 'shared'} is {var.type}, its new value "
                                f"is {value.type} (different rank)")
            for a, b in zip(value.type.shape, var.type.shape, strict=True):
                if a is not None and b is not None and a != b:
                    raise ValueError(f"updates: {var.name or 'shared'} has static shape "
                                     f"{var.type.shape}, its new value has {value.type.shape}")
            value = cast_same_kind(value, var.dtype, f"updates: {var.name or 'shared'} is "
                                   f"{var.dtype}, its new value is {value.dtype}")
            out.append((var, value))
        return out

    def _check_used(self, values: list[Variable], on_unused: str) -> None:
        needed = free_inputs(values)
        given = set(self.inputs)
        missing = [v for v in needed if v not in given]
        if missing:
            v = missing[0]
            raise ValueError(f"{self.name}: the outputs depend on input {v.name or repr(v)} "
                             f"({v.type}, created at {format_trace(v.trace)}), which is not "
                             f"in the inputs list")
        unused = [v for v in self.inputs if v not in set(needed)]
        if unused and on_unused != "ignore":
            msg = (f"{self.name}: input(s) {', '.join(v.name or '?' for v in unused)} are not "
                   f"used to compute the outputs (pass on_unused_input='ignore' to allow it)")
            if on_unused == "raise":
                raise ValueError(msg)
            import warnings
            warnings.warn(msg, stacklevel=4)

    @staticmethod
    def _choose_backend(backend: str) -> str:
        """'numpy' or 'c': 'auto' is C when a C compiler works (probed once per process)."""
        if backend not in ("auto", "numpy", "c"):
            raise ValueError(f"backend must be 'auto', 'numpy' or 'c', got {backend!r}")
        if backend == "numpy" or (backend == "auto" and not AUTO_USES_C):
            return "numpy"
        from .codegen import cbuild  # loaded only when a C backend is asked for (import time)
        try:
            cbuild.compiler()
        except cbuild.CompileError as e:
            if backend == "c":
                raise
            _fall_back(str(e))
            return "numpy"
        return "c"

    def _compile(self) -> None:
        args = (self.fgraph, len(self.outputs), [s for s, _ in self.updates], self.name,
                self.single)
        self._c_source = ""
        if self.backend == "c":
            from .codegen import c_backend, cbuild  # loaded only when backend='c' (import time)
            try:
                gen, self._c_source = c_backend.compile_c(*args)
            except cbuild.CompileError as e:
                if self._requested_backend == "c":
                    raise
                _fall_back(str(e))
                self.backend = "numpy"
                gen = generate(*args)
        else:
            gen = generate(*args)
        self._gen = gen
        self._fn = gen.fn
        updated = sorted((s.container for s, _ in self.updates), key=lambda c: c.uid)
        self._locks = tuple(c.lock for c in updated)
        if self.nan_guard is not None:
            self._fn = guarded_runner(self.fgraph, len(self.outputs),
                                      [s for s, _ in self.updates], self.single,
                                      self.nan_guard)
        self._in_types = [v.type for v in self.inputs]
        # (dtype, ndim, static shape if any dim is known) per tensor input; None for
        # non-tensor inputs (random generators inside scan steps), which pass unchecked.
        self._fast = [(np.dtype(t.dtype), t.ndim, t.shape if any(
            d is not None for d in t.shape) else None) if isinstance(t, TensorType) else None
            for t in self._in_types]

    # ---- public views
    @property
    def source(self) -> str:
        """The generated source: the C module (C backend), the fused NumPy kernels, then
        the Python function calling them."""
        kernels = [getattr(v, "__symgraph_source__", None)
                   for v in self._gen.fn.__globals__.values()]
        c = f"/* C module */\n{self._c_source}\n# Python driver\n" if self._c_source else ""
        return c + "".join(k + "\n" for k in kernels if isinstance(k, str)) + \
            self._gen.source

    @property
    def graph(self) -> FunctionGraph:
        """The rewritten graph."""
        return self.fgraph

    def dump(self, before: bool = False, file: Any = None) -> Any:
        """Print the compiled graph (and, with before=True, the graph before rewriting);
        `file='str'` returns the text instead, as `sg.debugprint` does."""
        from .printing import dump_function, emit  # upward: printing shows functions
        return emit(dump_function(self, before), file)

    def __str__(self) -> str:
        from .printing import function_listing  # upward: printing shows functions
        return function_listing(self)

    def __repr__(self) -> str:
        ins = ", ".join(f"{v.name or '?'}:{v.type}" for v in self.inputs)
        return f"<symgraph.Function {self.name}({ins})>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter shows the listing and a picture of the compiled graph (display.py)."""
        from .display import function_bundle  # display imports the printers, as __str__
        return function_bundle(self)

    # ---- calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            args = self._bind_kwargs(args, kwargs)
        if not self.trust_input:
            args = self._check_args(args)
        locks = self._locks
        try:
            if not locks:
                return self._fn(*args)
            # Calls updating the same shared variables run one at a time (no lost
            # updates); the locks are taken in one global order, so none can deadlock.
            for lock in locks:
                lock.acquire()
            try:
                return self._fn(*args)
            finally:
                for lock in locks:
                    lock.release()
        except Exception as e:
            new = self._explain(e)
            if new is e:
                raise
            raise new from e

    def _bind_kwargs(self, args: tuple, kwargs: dict) -> tuple:
        by_name: dict[str, int] = {}
        twice: dict[str, list[int]] = {}
        for i, v in enumerate(self.inputs):
            if v.name in by_name:
                twice.setdefault(v.name, [by_name[v.name]]).append(i)
            elif v.name:
                by_name[v.name] = i
        full: list[Any] = list(args) + [_MISSING] * (len(self.inputs) - len(args))
        for k, val in kwargs.items():
            if k in twice:
                which = ", ".join(map(str, twice[k][:-1])) + f" and {twice[k][-1]}"
                raise TypeError(f"{self.name}(): keyword argument {k!r} is ambiguous: inputs "
                                f"{which} are all named {k!r}; pass them by position")
            if k not in by_name:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {k!r}")
            if full[by_name[k]] is not _MISSING:
                raise TypeError(f"{self.name}() got multiple values for argument {k!r}")
            full[by_name[k]] = val
        if any(a is _MISSING for a in full):
            missing = [self.inputs[i].name or str(i) for i, a in enumerate(full) if a is _MISSING]
            raise TypeError(f"{self.name}() missing argument(s): {', '.join(missing)}")
        return tuple(full)

    def _check_args(self, args: tuple) -> tuple:
        if len(args) != len(self.inputs):
            sig = ", ".join(f"{v.name or '?'}:{v.type}" for v in self.inputs)
            raise TypeError(f"{self.name}({sig}) takes {len(self.inputs)} argument(s), "
                            f"got {len(args)}")
        out: list[Any] | None = None  # copied only when an argument needs converting
        for i, a in enumerate(args):
            fast = self._fast[i]
            if fast is None:
                continue
            dt, nd, shape = fast
            # The common case, kept cheap: an ndarray of exactly the declared dtype and rank.
            if type(a) is np.ndarray and (a.dtype is dt or a.dtype == dt) and a.ndim == nd:
                if shape is not None and not self._in_types[i].accepts_shape(a.shape):
                    raise ValueError(self._arg_msg(i, f"got shape {a.shape}, expected "
                                                      f"{_shape_text(shape)}"))
                continue
            if out is None:
                out = list(args)
            out[i] = self._convert(i, a)
        return args if out is None else tuple(out)

    def _arg_msg(self, i: int, what: str) -> str:
        v = self.inputs[i]
        return f"{self.name}: argument {i} ({v.name or '?'}: {v.type}) {what}"

    def _convert(self, i: int, a: Any) -> np.ndarray:
        t = self._in_types[i]
        if isinstance(a, Variable):
            raise TypeError(self._arg_msg(i, "got a symbolic variable; compiled functions "
                                             "take arrays"))
        if is_masked(a):
            raise TypeError(self._arg_msg(i, "got a masked array, whose mask would be "
                                             "ignored; pass a.filled(value) (or a.data) to "
                                             "say which values to use"))
        try:
            arr = np.asarray(a)
        except ValueError as e:  # ragged nested lists
            raise ValueError(self._arg_msg(i, f"is not a rectangular array ({e})")) from None
        if arr.dtype.kind not in "biufc":
            raise TypeError(self._arg_msg(i, f"got {type(a).__name__}, not a numeric array"))
        if arr.dtype.name != t.dtype:
            ok = np.can_cast(arr.dtype, t.dtype, casting="safe")
            if not ok and not isinstance(a, (np.ndarray, np.generic)):
                # Python data (numbers, nested lists) converts when no value changes:
                # f([1, 2]) and f(0.5) work on a float32 input; f(0.1) needs
                # allow_input_downcast=True, because 0.1 changes when rounded to float32.
                ok = dtypes.casts_exactly(arr, t.dtype)
            if not ok and self.allow_input_downcast and np.can_cast(
                    arr.dtype, t.dtype, casting="same_kind"):
                ok = True
            if not ok:
                hint = " (pass allow_input_downcast=True to sg.function to cast it)" if \
                    np.can_cast(arr.dtype, t.dtype, casting="same_kind") else ""
                raise TypeError(self._arg_msg(
                    i, f"got dtype {arr.dtype.name}, which cannot be converted to {t.dtype} "
                       f"without loss{hint}"))
            arr = arr.astype(t.dtype)
        if arr.ndim != t.ndim:
            raise TypeError(self._arg_msg(i, f"got a {arr.ndim}-d array of shape {arr.shape}, "
                                             f"expected {t.ndim} dims"))
        if not t.accepts_shape(arr.shape):
            raise ValueError(self._arg_msg(i, f"got shape {arr.shape}, expected "
                                              f"{_shape_text(t.shape)}"))
        return arr

    def _explain(self, e: Exception) -> Exception:
        """Name the op, its input shapes and the user's line for an error raised inside."""
        tb = e.__traceback__
        node: Apply | None = None
        frame_locals: dict[str, Any] = {}
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self._gen.filename:
                node = self._gen.line_nodes.get(tb.tb_lineno)
                frame_locals = tb.tb_frame.f_locals
            tb = tb.tb_next
        if node is None:
            return e
        names = self._gen.names
        parts = []
        for v in node.inputs:
            val = frame_locals.get(names.get(v, ""), None)
            if isinstance(v, Constant):
                val = v.data
            if isinstance(val, (np.ndarray, np.generic)):
                parts.append(f"{np.asarray(val).dtype.name}{list(np.shape(val))}")
            else:
                parts.append(str(v.type))
        msg = (f"{type(e).__name__} in {node.op} (inputs {', '.join(parts)}), "
               f"node built at {format_trace(node.trace)}: {e}")
        try:
            new = type(e)(msg)
        except Exception:
            # A type that cannot be made from a message (NumPy's MemoryError subclass):
            # the error itself, still catchable as what it is, with the context as a note.
            e.add_note(msg)
            return e
        return new

    def copy(self) -> Function:
        """This function again (functions hold no per-call state; shared storage is shared)."""
        return self


_MISSING = object()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Turn off the cyclic garbage collector for a block (restored after, even on error)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _shape_text(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


_EVAL_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def eval_expression(var: Variable, inputs: dict[Variable, Any]) -> np.ndarray:
    """`var.eval({x: value})`: compiled once per (variable, input set), then cached."""
    keys = tuple(inputs)
    per_var = _EVAL_CACHE.setdefault(var, {})
    fn = per_var.get(keys)
    if fn is None:
        fn = function(list(keys), var, on_unused_input="ignore", name="eval",
                      allow_input_downcast=True)
        per_var[keys] = fn
    return fn(*(inputs[k] for k in keys))

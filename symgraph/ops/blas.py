"""Gemm: beta * z + alpha * dot(x, y) in one BLAS call (scipy.linalg.blas.{s,d}gemm).

The specialize pass builds it from `z - lr * dot(a, b)` (SGD updates) and similar sums;
users do not call it. The in-place variant (`inplace=True`, destroy_map {0: 0}) writes the
result into z's buffer; the inplace pass picks it only when nothing else needs z.

NumPy arrays are row-major and BLAS is column-major: a C-contiguous z is handed to BLAS as
its (column-major) transpose, computing z.T = alpha * y.T @ x.T + beta * z.T, so no operand
is copied. With beta = 0 BLAS ignores z's contents (a nan in z does not propagate).

Two BLAS libraries: pip's NumPy and SciPy wheels each bundle their own OpenBLAS, each with
its own thread pool. When a function alternates np.dot (NumPy's pool) and ?gemm (SciPy's),
the idle pool's spinning threads compete with the busy one: measured 10x slower matrix
products on a 2-core machine. So SciPy's gemm is called when it cannot hurt -- SciPy and
NumPy report the same BLAS library, or BLAS runs single-threaded (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS or MKL_NUM_THREADS set to 1) -- and otherwise the same sum is computed with
NumPy's matmul and `out=` (one temporary for the product instead of NumPy's usual three).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import cache, dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, broadcast_shapes
from . import elemwise as ew
from .grad_ops import sum_to_shape_of
from .linalg import dot
from .reduce import sum as sum_
from .registry import Op, RenderContext
from .shape import broadcast_shape_symbolic, transpose

# SciPy's BLAS routine per dtype, by name: scipy.linalg.blas is imported on the first call.
_GEMM = {"float32": "sgemm", "float64": "dgemm"}


def _blas_info(module: Any) -> tuple | None:
    try:
        info = module.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return info.get("name"), info.get("lib directory"), info.get("version")
    except Exception:  # an old NumPy/SciPy without show_config(mode=...)
        return None


def _blas_single_threaded() -> bool:
    return any(os.environ.get(v) == "1"
               for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))


def scipy_blas_is_safe() -> bool:
    """True when calling SciPy's BLAS next to NumPy's cannot make two thread pools fight."""
    if _blas_single_threaded():
        return True
    import scipy
    ours, theirs = _blas_info(np), _blas_info(scipy)
    return ours is not None and ours == theirs


# Decided on the first gemm call (None until then): deciding imports SciPy, so the answer
# is remembered on disk for the installed NumPy and SciPy (`gemm_blas_decision`).
USE_SCIPY_GEMM: bool | None = None


def gemm_blas_decision() -> bool:
    """scipy_blas_is_safe(), asked once per installation of NumPy and SciPy: the answer is
    kept in the cache (kind `blas`) under their configuration files' paths and times, so
    a warm start imports neither SciPy's package nor NumPy's build configuration (11-16 ms).
    A thread-count variable set to 1 decides without looking."""
    if _blas_single_threaded():
        return True
    key = _installation_key()
    if key is None:
        return scipy_blas_is_safe()
    return cache.remembered("blas", key, lambda: "1" if scipy_blas_is_safe() else "0",
                            lambda answer: answer in ("0", "1")) == "1"


def _installation_key() -> str | None:
    """NumPy's and SciPy's build configuration files as installed now (found, not
    imported), or None when SciPy's cannot be found."""
    import importlib.util
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        return None
    ours, theirs = (os.path.join(folder, "__config__.py") for folder in (
        os.path.dirname(np.__file__), spec.submodule_search_locations[0]))
    try:
        return cache.key("blas", *cache.stamp(ours), *cache.stamp(theirs))
    except OSError:
        return None


def _fblas() -> Any:
    """SciPy's Fortran BLAS wrappers (`scipy.linalg._fblas`, what scipy.linalg.blas
    re-exports), without running the `scipy` and `scipy.linalg` package imports (0.25 s,
    most of a first call's time): the extension module is loaded from its file under its
    own name, so a later `import scipy.linalg` finds and reuses it. Falls back to the
    import."""
    name = "scipy.linalg._fblas"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    try:
        import importlib.machinery
        import importlib.util

        # Found, not imported: SciPy's package import costs 12 ms of a warm start.
        spec = importlib.util.find_spec("scipy")
        folder = os.path.join(spec.submodule_search_locations[0], "linalg")  # type: ignore
        path = next(p for p in (os.path.join(folder, "_fblas" + s)
                                for s in importlib.machinery.EXTENSION_SUFFIXES)
                    if os.path.exists(p))
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        sys.modules[name] = mod
        return mod
    except Exception:  # noqa: BLE001 -- another SciPy layout: the ordinary import
        import scipy.linalg.blas
        return scipy.linalg.blas


def _operand(a: np.ndarray, want_transposed: bool) -> tuple[np.ndarray, int]:
    """(column-major array, trans flag) whose op() is `a.T` if want_transposed else `a`."""
    if a.flags.f_contiguous:
        return a, int(want_transposed)
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    return a.T, int(not want_transposed)


def gemm(z: np.ndarray, alpha: Any, x: np.ndarray, y: np.ndarray, beta: Any,
         overwrite: bool = False) -> np.ndarray:
    """beta * z + alpha * (x @ y); the result is written into z itself when `overwrite`.

    A z that only broadcasts against x @ y (a shape the graph could not rule out) is
    handled by NumPy instead of BLAS.
    """
    if z.shape != (x.shape[0], y.shape[1]):
        return np.asarray(beta * z + alpha * np.dot(x, y), dtype=z.dtype)
    global USE_SCIPY_GEMM
    if USE_SCIPY_GEMM is None:
        USE_SCIPY_GEMM = gemm_blas_decision()
    if USE_SCIPY_GEMM:
        return gemm_blas(z, alpha, x, y, beta, overwrite)
    return gemm_numpy(z, alpha, x, y, beta, overwrite)


def gemm_numpy(z: np.ndarray, alpha: Any, x: np.ndarray, y: np.ndarray, beta: Any,
               overwrite: bool = False) -> np.ndarray:
    """gemm with NumPy's own BLAS: the product in one temporary, the rest with out=."""
    alpha, beta = z.dtype.type(alpha), z.dtype.type(beta)
    prod = np.matmul(x, y)
    if alpha != 1:
        np.multiply(prod, alpha, out=prod)
    if overwrite and z.flags.writeable:
        if beta != 1:
            np.multiply(z, beta, out=z)
        return np.add(z, prod, out=z)
    return np.add(prod, z if beta == 1 else z * beta, out=prod)


def gemm_blas(z: np.ndarray, alpha: Any, x: np.ndarray, y: np.ndarray, beta: Any,
              overwrite: bool = False) -> np.ndarray:
    """gemm with SciPy's ?gemm: one BLAS call, writing into z when `overwrite`."""
    out = z if overwrite and z.flags.writeable and (
        z.flags.c_contiguous or z.flags.f_contiguous) else np.array(z, order="C")
    alpha, beta = float(alpha), float(beta)
    if out.size == 0:
        return out
    if x.shape[1] == 0:  # BLAS wants k >= 1; an empty product adds nothing
        out *= beta
        return out
    fn = getattr(_fblas(), _GEMM[out.dtype.name])
    if out.flags.c_contiguous:  # out.T (column-major) = alpha * y.T @ x.T + beta * out.T
        a, ta = _operand(y, True)
        b, tb = _operand(x, True)
        target = out.T
    else:
        a, ta = _operand(x, False)
        b, tb = _operand(y, False)
        target = out
    res = fn(alpha, a, b, beta, target, trans_a=ta, trans_b=tb, overwrite_c=1)
    if res is not target and not np.shares_memory(res, target):
        target[...] = res
    return out


@dataclass(frozen=True)
class Gemm(Op):
    """beta * z + alpha * dot(x, y) for float32/float64 matrices, through BLAS gemm.

    z may broadcast against dot(x, y) (its dims unknown when the graph was built); the
    BLAS call is made when it has the product's shape, which is what the rewrite expects.
    """

    inplace: bool = False

    @property
    def destroy_map(self) -> dict[int, int]:  # type: ignore[override]
        return {0: 0} if self.inplace else {}

    def without_inplace(self) -> Gemm:
        return Gemm()

    @property
    def name(self) -> str:
        return "gemm_inplace" if self.inplace else "gemm"

    def __str__(self) -> str:
        return self.name

    def make_node(self, z: Any, alpha: Any, x: Any, y: Any, beta: Any) -> Apply:
        z, x, y = as_tensor(z), as_tensor(x), as_tensor(y)
        alpha, beta = as_tensor(alpha), as_tensor(beta)
        if (z.ndim, x.ndim, y.ndim) != (2, 2, 2):
            raise TypeError(f"gemm: z, x and y must be matrices, got {z.type}, {x.type}, "
                            f"{y.type}")
        if z.dtype not in _GEMM or not z.dtype == x.dtype == y.dtype:
            raise TypeError(f"gemm: z, x and y need one dtype, float32 or float64; got "
                            f"{z.type}, {x.type}, {y.type}")
        if alpha.ndim or beta.ndim or not all(
                dtypes.is_float(s.dtype) or dtypes.is_int(s.dtype) for s in (alpha, beta)):
            raise TypeError(f"gemm: alpha and beta must be numeric scalars, got {alpha.type} "
                            f"and {beta.type}")
        (m, k1), (k2, n) = x.type.shape, y.type.shape
        try:
            if k1 is not None and k2 is not None and k1 != k2:
                raise ValueError
            shape = broadcast_shapes(z.type.shape, (m, n))
        except ValueError:
            raise ValueError(f"gemm: shapes do not line up: z {z.type}, x {x.type}, "
                             f"y {y.type}") from None
        alpha, beta = ew.cast(alpha, z.dtype), ew.cast(beta, z.dtype)
        return Apply(self, [z, alpha, x, y, beta], [TensorType(z.dtype, shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(gemm, "gemm")
        return f"{fn}({', '.join(ins)}, overwrite={self.inplace})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        z, alpha, x, y, beta = inputs
        (g,) = output_grads
        xy = dot(x, y)
        # z may have been broadcast against the product: its gradient is summed back
        gz = sum_to_shape_of(g * beta, z, [z, xy])
        return [gz, sum_(g * xy), alpha * dot(g, transpose(y)),
                alpha * dot(transpose(x), g), sum_(g * z)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        (zs, _, xs, ys, _), out = input_shapes, node.outputs[0]
        dot_like = TensorType(out.dtype, (node.inputs[2].type.shape[0],
                                          node.inputs[3].type.shape[1])).make_variable()
        return [broadcast_shape_symbolic([node.inputs[0], dot_like], [zs, [xs[0], ys[1]]],
                                         out)]

"""C kernels of the C backend for reductions (sum, mean, prod, max, min over any axes,
keepdims; argmax / argmin) and the softmax family (softmax, log_softmax).

A reduction walks its input once in memory order, accumulating into the output's slot
(float32 sums and products accumulate in double): reducing the last axis is a
vectorized dot-like loop, reducing a leading axis (a bias gradient's sum over the
batch) adds contiguous rows. max and min propagate NaN as NumPy does; argmax returns
the first NaN's index, as NumPy. softmax and log_softmax run row by row along their axis
(rows split over threads), three passes per row: max, sum of exp (libmvec), scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..graph import Apply
from ..ops.elemwise import C_DTYPES, dtypes_c
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Argmax, Reduce
from ..ops.registry import RenderContext, normalize_axis
from ..tensor import TensorType
from .c_backend import CModule, _c_string, _npy_type, renders

_INIT = {"sum": "0", "mean": "0", "prod": "1"}


def _ok(node: Apply) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    return isinstance(x.type, TensorType) and x.ndim > 0 and x.dtype in C_DTYPES and \
        out.dtype in C_DTYPES


def reduce_kernel(cname: str, what: str, kind: str, nd: int, axes: Sequence[int],
                  keepdims: bool, in_dtype: str, out_dtype: str, initial: float | None) -> str:
    """C source of a reduction kernel (see the module docstring)."""
    ti, to = dtypes_c(in_dtype), dtypes_c(out_dtype)
    acc = "npy_float64" if out_dtype == "float32" and kind in ("sum", "mean", "prod") else to
    red = [int(d in axes) for d in range(nd)]
    ond = nd if keepdims else nd - len(axes)
    if kind in ("max", "min"):
        big = "INFINITY" if in_dtype.startswith("float") else \
            f"NPY_MAX_{in_dtype.upper()}" if in_dtype != "bool" else "1"
        small = f"-{big}" if in_dtype.startswith("float") else \
            f"NPY_MIN_{in_dtype.upper()}" if in_dtype.startswith("int") else "0"
        init = (small if kind == "max" else big) if initial is None else \
            {"inf": "INFINITY", "-inf": "(-INFINITY)"}.get(repr(float(initial)),
                                                           repr(float(initial)))
        cmp = ">" if kind == "max" else "<"
        step = f"s = (s != s) ? s : (v != v || v {cmp} s) ? v : s;"
        red_op = "max" if kind == "max" else "min"
        nan = "if (nan) mm = NAN; " if in_dtype.startswith("float") else ""
        inner_red = (f"{acc} mm = s; int nan = 0;\n"
                     f"            #pragma omp simd reduction({red_op}:mm) reduction(|:nan)\n"
                     f"            for (npy_intp j = 0; j < n; j++) {{ const {acc} v = p[j * sx]; "
                     f"mm = v {cmp} mm ? v : mm; nan |= v != v; }}\n"
                     f"            {nan}s = (s != s) ? s : mm;")
        inner_keep = (f"for (npy_intp j = 0; j < n; j++) {{ const {acc} v = p[j * sx]; "
                      f"{acc} s = o[j * so]; {step} o[j * so] = s; }}")
    else:
        init = _INIT[kind]
        op = "*" if kind == "prod" else "+"
        inner_red = (f"#pragma omp simd reduction({op}:s)\n"
                     f"            for (npy_intp j = 0; j < n; j++) s {op}= ({acc})p[j * sx];")
        inner_keep = (f"#pragma omp simd\n"
                      f"            for (npy_intp j = 0; j < n; j++)\n"
                      f"                o[j * so] {op}= ({acc})p[j * sx];")
    inner_keep = (f"if (sx == 1 && so == 1) {{\n            "
                  f"{inner_keep.replace('j * sx', 'j').replace('j * so', 'j')}\n"
                  f"            }} else {{\n            {inner_keep}\n            }}")
    last_red = red[nd - 1] == 1
    inner = (f"{acc} s = o[0];\n            {inner_red}\n            o[0] = s;" if last_red
             else inner_keep)
    empty_check = ""
    if kind in ("max", "min") and initial is None:
        empty_check = (f"    if (count == 0 && nout > 0) {{ PyErr_SetString(PyExc_ValueError, "
                       f"\"{kind}: zero-size array to reduction operation, which has no "
                       f"identity\"); goto done; }}\n")
    final = "(acc_[i] / (npy_float64)count)" if kind == "mean" else "acc_[i]"
    return f"""
static PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    static const int types[1] = {{{_npy_type(in_dtype)}}};
    static const char red[{nd}] = {{{", ".join(map(str, red))}}};
    const char *what = {_c_string(what)};
    PyArrayObject *a[1], *out = NULL;
    {acc} *acc_ = NULL;
    if (sg_inputs(args, nargs, 1, types, a, what) < 0) return NULL;
    PyArrayObject *x = a[0];
    if (PyArray_NDIM(x) != {nd}) {{
        PyErr_Format(PyExc_ValueError, "%s: expected {nd} dims, got %d", what, PyArray_NDIM(x));
        goto done;
    }}
    npy_intp oshape[{max(ond, 1)}], ost[{nd}], count = 1, nout = 1;
    int od = 0;
    const npy_intp *dims = PyArray_DIMS(x);
    for (int d = 0; d < {nd}; d++) {{
        if (red[d]) {{ count *= dims[d]; if ({int(keepdims)}) oshape[od++] = 1; }}
        else {{ oshape[od++] = dims[d]; nout *= dims[d]; }}
    }}
{empty_check}    out = (PyArrayObject *)PyArray_SimpleNew({ond}, oshape, {_npy_type(out_dtype)});
    acc_ = ({acc} *)malloc(sizeof({acc}) * (size_t)(nout ? nout : 1));
    if (out == NULL || acc_ == NULL) {{ if (out) PyErr_NoMemory(); Py_CLEAR(out); goto done; }}
    for (npy_intp i = 0; i < nout; i++) acc_[i] = ({acc})({init});
    {{  /* output element strides per input dim (0 along reduced dims) */
        npy_intp s = 1;
        for (int d = {nd} - 1; d >= 0; d--) {{
            ost[d] = red[d] ? 0 : s;
            if (!red[d]) s *= dims[d];
        }}
    }}
    if (count > 0 && nout > 0) {{
        const npy_intp n = dims[{nd} - 1];
        const npy_intp sx = PyArray_STRIDES(x)[{nd} - 1] / (npy_intp)sizeof({ti});
        const npy_intp so = ost[{nd} - 1];
        npy_intp rows = 1;
        for (int d = 0; d < {nd} - 1; d++) rows *= dims[d];
        Py_BEGIN_ALLOW_THREADS
        for (npy_intp r = 0; r < rows; r++) {{
            npy_intp rem = r, oo = 0;
            const char *q = PyArray_BYTES(x);
            for (int d = {nd} - 2; d >= 0; d--) {{
                npy_intp idx = rem % dims[d];
                rem /= dims[d];
                q += idx * PyArray_STRIDES(x)[d];
                oo += idx * ost[d];
            }}
            const {ti} *p = (const {ti} *)q;
            {acc} *o = acc_ + oo;
            {inner}
        }}
        Py_END_ALLOW_THREADS
    }}
    {{
        {to} *po = ({to} *)PyArray_DATA(out);
        for (npy_intp i = 0; i < nout; i++) po[i] = ({to}){final};
    }}
done:
    free(acc_);
    sg_release(a, 1);
    return out ? PyArray_Return(out) : NULL;
}}
"""


@renders(Reduce)
def render_reduce(cm: CModule, ctx: RenderContext, node: Apply,
                  ins: Sequence[str]) -> str | None:
    op: Reduce = node.op
    if op.kind not in ("sum", "mean", "prod", "max", "min") or not _ok(node):
        return None
    x, out = node.inputs[0], node.outputs[0]
    if out.dtype == "bool" and op.kind not in ("max", "min"):
        return None
    if op.initial is not None and (op.initial != op.initial or (
            not x.dtype.startswith("float") and abs(op.initial) == float("inf"))):
        return None  # NaN, or an infinite start on integers: NumPy's business
    axes = tuple(range(x.ndim)) if op.axis is None else op.axis
    key = ("reduce", op, x.type.dtype, x.ndim, out.dtype)
    return cm.call(ctx, key, lambda cname: reduce_kernel(
        cname, str(op), op.kind, x.ndim, axes, op.keepdims, x.dtype, out.dtype,
        op.initial), ins)


def argmax_kernel(cname: str, what: str, nd: int, axis: int | None, keepdims: bool,
                  minimum: bool, in_dtype: str) -> str:
    """argmax / argmin along one axis (axis None: of the flattened array)."""
    ti = dtypes_c(in_dtype)
    cmp = "<" if minimum else ">"
    if axis is None:
        ond = nd if keepdims else 0
        shape = "for (int d = 0; d < ond; d++) oshape[d] = 1;"
        prep = "x = (PyArrayObject *)PyArray_NewCopy(a[0], NPY_CORDER); if (!x) goto done;"
        geometry = "n = PyArray_SIZE(x); sx = 1; rows = 1;"
        row = "const char *q = PyArray_BYTES(x);"
    else:
        ond = nd if keepdims else nd - 1
        shape = (f"for (int d = 0, k = 0; d < {nd}; d++) {{ "
                 f"if (d == {axis}) {{ if ({int(keepdims)}) "
                 f"oshape[k++] = 1; }} else oshape[k++] = PyArray_DIMS(x)[d]; }}")
        prep = "x = a[0]; Py_INCREF(x);"
        geometry = (f"n = PyArray_DIMS(x)[{axis}]; sx = PyArray_STRIDES(x)[{axis}] / "
                    f"(npy_intp)sizeof({ti}); rows = n ? PyArray_SIZE(x) / n : 0;")
        row = (f"npy_intp rem = r; const char *q = PyArray_BYTES(x);\n"
               f"            for (int d = {nd} - 1; d >= 0; d--) {{ if (d == {axis}) continue; "
               f"npy_intp idx = rem % PyArray_DIMS(x)[d]; rem /= PyArray_DIMS(x)[d]; "
               f"q += idx * PyArray_STRIDES(x)[d]; }}")
    return f"""
static PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    static const int types[1] = {{{_npy_type(in_dtype)}}};
    const char *what = {_c_string(what)};
    PyArrayObject *a[1], *x = NULL, *out = NULL;
    const int ond = {ond};
    npy_intp oshape[{max(ond, 1)}], n, sx, rows;
    if (sg_inputs(args, nargs, 1, types, a, what) < 0) return NULL;
    if (PyArray_NDIM(a[0]) != {nd}) {{
        PyErr_Format(PyExc_ValueError, "%s: expected {nd} dims, got %d", what, PyArray_NDIM(a[0]));
        goto done;
    }}
    {prep}
    {shape}
    {geometry}
    if (n == 0) {{
        PyErr_Format(PyExc_ValueError, "%s: attempt to get the index of an empty sequence", what);
        goto done;
    }}
    out = (PyArrayObject *)PyArray_SimpleNew(ond, oshape, NPY_INT64);
    if (out == NULL) goto done;
    npy_int64 *po = (npy_int64 *)PyArray_DATA(out);
    for (npy_intp r = 0; r < rows; r++) {{
        {row}
        const {ti} *p = (const {ti} *)q;
        {ti} best = p[0];
        npy_int64 at = 0;
        if (best == best)
            for (npy_intp j = 1; j < n; j++) {{
                const {ti} v = p[j * sx];
                if (v != v) {{ at = j; break; }}
                if (v {cmp} best) {{ best = v; at = j; }}
            }}
        po[r] = at;
    }}
done:
    Py_XDECREF(x);
    sg_release(a, 1);
    return out ? PyArray_Return(out) : NULL;
}}
"""


@renders(Argmax)
def render_argmax(cm: CModule, ctx: RenderContext, node: Apply,
                  ins: Sequence[str]) -> str | None:
    op: Argmax = node.op
    if not _ok(node):
        return None
    x = node.inputs[0]
    axis = None if op.axis is None else normalize_axis(op.axis, x.ndim, op.name)[0]
    key = ("argmax", op, x.dtype, x.ndim)
    return cm.call(ctx, key, lambda cname: argmax_kernel(
        cname, str(op), x.ndim, axis, op.keepdims, op.minimum, x.dtype), ins)


def softmax_kernel(cname: str, what: str, nd: int, axis: int, dtype: str, log: bool) -> str:
    """softmax / log_softmax along `axis`, row by row (threads over rows)."""
    t = dtypes_c(dtype)
    perm = ", ".join(map(str, [d for d in range(nd) if d != axis] + [axis]))
    if log:
        finish = ("const " + t + " ls = log(s);\n"
                  "    #pragma omp simd\n"
                  "    for (npy_intp j = 0; j < n; j++) po[j * so] = (p[j * sx] - m) - ls;")
    else:
        finish = ("const " + t + " inv = 1 / s;\n"
                  "    #pragma omp simd\n"
                  "    for (npy_intp j = 0; j < n; j++) po[j * so] *= inv;")
    return f"""
static inline __attribute__((always_inline)) void {cname}_row(
        const {t} *restrict p, {t} *restrict po, npy_intp n,
                        npy_intp sx, npy_intp so) {{
    {t} m = -INFINITY, s = 0;
    int nan = 0;
    #pragma omp simd reduction(max:m) reduction(|:nan)
    for (npy_intp j = 0; j < n; j++) {{
        const {t} v = p[j * sx];
        m = v > m ? v : m;
        nan |= v != v;
    }}
    if (nan) m = NAN;
    #pragma omp simd reduction(+:s)
    for (npy_intp j = 0; j < n; j++) {{
        const {t} e = exp(p[j * sx] - m);
        {"" if log else "po[j * so] = e; "}s += e;
    }}
    {finish}
}}

static void {cname}_rows(const sg_task *t, npy_intp a, npy_intp b) {{
    char *q[2];
    const npy_intp n = t->inner, sx = t->st[0][t->nd - 1] / (npy_intp)sizeof({t});
    const npy_intp so = t->st[1][t->nd - 1] / (npy_intp)sizeof({t});
    for (npy_intp r = a; r < b; r++) {{
        sg_row(t, r, q);
        if (sx == 1 && so == 1) {cname}_row((const {t} *)q[0], ({t} *)q[1], n, 1, 1);
        else {cname}_row((const {t} *)q[0], ({t} *)q[1], n, sx, so);
    }}
}}

static PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    static const int types[1] = {{{_npy_type(dtype)}}};
    const char *what = {_c_string(what)};
    PyArrayObject *a[1], *out = NULL;
    sg_task t;
    if (sg_inputs(args, nargs, 1, types, a, what) < 0) return NULL;
    PyArrayObject *x = a[0];
    if (PyArray_NDIM(x) != {nd}) {{
        PyErr_Format(PyExc_ValueError, "%s: expected {nd} dims, got %d", what, PyArray_NDIM(x));
        goto done;
    }}
    out = (PyArrayObject *)PyArray_SimpleNew({nd}, PyArray_DIMS(x), {_npy_type(dtype)});
    if (out == NULL) goto done;
    /* the axis moved last: rows are every other index */
    t.nd = {nd}; t.nargs = 2; t.n = PyArray_SIZE(x);
    static const int perm[{nd}] = {{{perm}}};
    for (int d = 0; d < {nd}; d++) {{
        const int src = perm[d];
        t.shape[d] = PyArray_DIMS(x)[src];
        t.st[0][d] = PyArray_STRIDES(x)[src];
        t.st[1][d] = PyArray_STRIDES(out)[src];
    }}
    t.data[0] = PyArray_BYTES(x); t.data[1] = PyArray_BYTES(out);
    t.inner = t.shape[{nd} - 1];
    t.outer = t.inner ? t.n / t.inner : 0;
    if (t.n > 0) {{
        Py_BEGIN_ALLOW_THREADS
        sg_parallel({cname}_rows, &t, t.outer, t.n * 10);
        Py_END_ALLOW_THREADS
    }}
done:
    sg_release(a, 1);
    return (PyObject *)out;
}}
"""


@renders(Softmax, LogSoftmax)
def render_softmax(cm: CModule, ctx: RenderContext, node: Apply,
                   ins: Sequence[str]) -> str | None:
    x = node.inputs[0]
    if not _ok(node) or not x.dtype.startswith("float"):
        return None
    axis = normalize_axis(node.op.axis, x.ndim, node.op.name)[0]
    key = ("softmax", node.op, x.dtype, x.ndim)
    return cm.call(ctx, key, lambda cname: softmax_kernel(
        cname, str(node.op), x.ndim, axis, x.dtype, isinstance(node.op, LogSoftmax)), ins)

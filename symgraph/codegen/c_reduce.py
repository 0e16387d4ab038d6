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
from ..ops.elemwise import C_DTYPES, c_temp, dtypes_c
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Argmax, Reduce
from ..ops.registry import RenderContext, normalize_axis
from ..tensor import TensorType
from .c_backend import CModule, _c_comment, _c_string, _npy_type, renders, types_key

_INIT = {"sum": "0", "mean": "0", "prod": "1"}


def _ok(node: Apply) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    return isinstance(x.type, TensorType) and x.ndim > 0 and x.dtype in C_DTYPES and \
        out.dtype in C_DTYPES


def reduce_kernel(cname: str, what: str, kind: str, axes: Sequence[int], keepdims: bool,
                  in_types: Sequence[TensorType], nd: int, lines: Sequence[str],
                  value: str, value_dtype: str, out_dtype: str,
                  initial: float | None) -> str:
    """C source of a reduction kernel: the value `value` (computed per element of the
    broadcast `nd`-dim shape of the inputs by `lines`: one input and no lines for a plain
    reduction, a fused elementwise producer otherwise) reduced over `axes`."""
    nin = len(in_types)
    ct = [dtypes_c(t.dtype) for t in in_types]
    tt = [c_temp(t.dtype) for t in in_types]
    scalar = [all(d == 1 for d in t.shape) for t in in_types]
    to = dtypes_c(out_dtype)
    acc = "npy_float64" if out_dtype == "float32" and kind in ("sum", "mean", "prod") else to
    red = [int(d in axes) for d in range(nd)]
    ond = nd if keepdims else nd - len(axes)
    body = "".join(f" {line}" for line in lines)

    def loads(unit: bool) -> str:
        at = ["0" if scalar[k] else "j" if unit else f"j * s{k}" for k in range(nin)]
        return "".join(f"const {tt[k]} i{k} = p{k}[{at[k]}]; " for k in range(nin))

    def loop(unit: bool, last_red: bool) -> str:
        o = "o[j]" if unit else "o[j * so]"
        head = "for (npy_intp j = 0; j < n; j++) {"
        elem = f"{loads(unit)}{body} const {acc} v = ({acc})({value});"
        if kind in ("max", "min"):
            cmp = ">" if kind == "max" else "<"
            if last_red:
                return (f"#pragma omp simd reduction({kind}:mm) reduction(|:nan)\n"
                        f"                {head} {elem} mm = v {cmp} mm ? v : mm; "
                        f"nan |= v != v; }}")
            return (f"{head} {elem} {acc} s = {o}; "
                    f"s = (s != s) ? s : (v != v || v {cmp} s) ? v : s; {o} = s; }}")
        op = "*" if kind == "prod" else "+"
        if last_red:
            return (f"#pragma omp simd reduction({op}:s)\n"
                    f"                {head} {elem} s {op}= v; }}")
        return f"#pragma omp simd\n                {head} {elem} {o} {op}= v; }}"

    last_red = bool(red[nd - 1])
    if kind in ("max", "min"):
        fl = value_dtype.startswith("float")
        big = "INFINITY" if fl else \
            f"NPY_MAX_{value_dtype.upper()}" if value_dtype != "bool" else "1"
        small = f"-{big}" if fl else \
            f"NPY_MIN_{value_dtype.upper()}" if value_dtype.startswith("int") else "0"
        init = (small if kind == "max" else big) if initial is None else \
            {"inf": "INFINITY", "-inf": "(-INFINITY)"}.get(repr(float(initial)),
                                                           repr(float(initial)))
        pre = f"{acc} mm = o[0]; int nan = 0;" if last_red else ""
        post = (f"{'if (nan) mm = NAN; ' if fl else ''}o[0] = (o[0] != o[0]) ? o[0] : mm;"
                if last_red else "")
    else:
        init = _INIT[kind]
        pre, post = (f"{acc} s = o[0];", "o[0] = s;") if last_red else ("", "")
    unit = " && ".join(["1"] + [f"s{k} == 1" for k in range(nin) if not scalar[k]] +
                       ([] if last_red else ["so == 1"]))
    empty_check = ""
    if kind in ("max", "min") and initial is None:
        empty_check = (f"    if (count == 0 && nout > 0) {{ PyErr_SetString(PyExc_ValueError, "
                       f"\"{kind}: zero-size array to reduction operation, which has no "
                       f"identity\"); goto done; }}\n")
    final = "(acc_[i] / (npy_float64)count)" if kind == "mean" else "acc_[i]"
    ptrs = "".join(f"            const {ct[k]} *p{k} = (const {ct[k]} *)q[{k}];\n"
                   for k in range(nin))
    strides = "".join(f"        const npy_intp s{k} = t.st[{k}][{nd} - 1] / "
                      f"(npy_intp)sizeof({ct[k]});\n" for k in range(nin))
    return f"""
/* {_c_comment(what)} */
SG_KERNEL PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    static const int types[{nin}] = {{{", ".join(_npy_type(t.dtype) for t in in_types)}}};
    static const char red[{nd}] = {{{", ".join(map(str, red))}}};
    const char *what = {_c_string(what)};
    PyArrayObject *a[{nin}], *out = NULL;
    {acc} *acc_ = NULL;
    sg_task t;
    if (sg_inputs(args, nargs, {nin}, types, a, what) < 0) return NULL;
    if (sg_broadcast(&t, a, {nin}, {nd}, what) < 0) goto done;
    t.data[{nin}] = NULL;
    for (int d = 0; d < {nd}; d++) t.st[{nin}][d] = 0;
    npy_intp oshape[{max(ond, 1)}], ost[{nd}], count = 1, nout = 1;
    int od = 0;
    const npy_intp *dims = t.shape;
    for (int d = 0; d < {nd}; d++) {{
        if (red[d]) {{ count *= dims[d]; if ({int(keepdims)}) oshape[od++] = 1; }}
        else {{ oshape[od++] = dims[d]; nout *= dims[d]; }}
    }}
{empty_check}    out = (PyArrayObject *)PyArray_SimpleNew({ond}, oshape, {_npy_type(out_dtype)});
    acc_ = ({acc} *)malloc(sizeof({acc}) * (size_t)(nout ? nout : 1));
    if (out == NULL || acc_ == NULL) {{ if (out) PyErr_NoMemory(); Py_CLEAR(out); goto done; }}
    for (npy_intp i = 0; i < nout; i++) acc_[i] = ({acc})({init});
    {{  /* output element strides per dim (0 along reduced dims) */
        npy_intp s = 1;
        for (int d = {nd} - 1; d >= 0; d--) {{
            ost[d] = red[d] ? 0 : s;
            if (!red[d]) s *= dims[d];
        }}
    }}
    if (count > 0 && nout > 0) {{
        const npy_intp n = dims[{nd} - 1], so = ost[{nd} - 1];
{strides}        const int unit = {unit};
        char *q[{nin + 1}];
        Py_BEGIN_ALLOW_THREADS
        for (npy_intp r = 0; r < t.outer; r++) {{
            npy_intp rem = r, oo = 0;
            for (int d = {nd} - 2; d >= 0; d--) {{
                oo += (rem % dims[d]) * ost[d];
                rem /= dims[d];
            }}
            sg_row(&t, r, q);
{ptrs}            {acc} *o = acc_ + oo;
            {pre}
            if (unit) {{
                {loop(True, last_red)}
            }} else {{
                {loop(False, last_red)}
            }}
            {post}
        }}
        Py_END_ALLOW_THREADS
    }}
    {{
        {to} *po = ({to} *)PyArray_DATA(out);
        for (npy_intp i = 0; i < nout; i++) po[i] = ({to}){final};
    }}
done:
    free(acc_);
    sg_release(a, {nin});
    return out ? PyArray_Return(out) : NULL;
}}
"""


def reducible(node: Apply) -> bool:
    """The C backend has a kernel for this reduction node."""
    op = node.op
    if not isinstance(op, Reduce) or op.kind not in ("sum", "mean", "prod", "max", "min") \
            or not _ok(node):
        return False
    x, out = node.inputs[0], node.outputs[0]
    if out.dtype == "bool" and op.kind not in ("max", "min"):
        return False
    return op.initial is None or not (op.initial != op.initial or (
        not x.dtype.startswith("float") and abs(op.initial) == float("inf")))


@renders(Reduce)
def render_reduce(cm: CModule, ctx: RenderContext, node: Apply,
                  ins: Sequence[str]) -> str | None:
    """A reduction, reading its elementwise producer's inputs when the producer was fused
    into it (in CModule.fuse: the producer's only use is this reduction)."""
    op: Reduce = node.op
    if not reducible(node):
        return None
    x, out = node.inputs[0], node.outputs[0]
    axes = tuple(range(x.ndim)) if op.axis is None else op.axis
    producer = cm.deferred.get(x)
    if producer is None:
        in_types, lines, value, args, what = [x.type], [], "i0", list(ins), str(op)
        key: tuple = ("reduce", op, (x.dtype, x.ndim, False), out.dtype)
    else:
        pnode, args, (lines, value) = producer
        in_types = [v.type for v in pnode.inputs]
        what = f"{op} of {pnode.op}"
        key = ("reduce", op, pnode.op, types_key(in_types), out.dtype)
    return cm.call(ctx, key, lambda cname: reduce_kernel(
        cname, what, op.kind, axes, op.keepdims, in_types, x.ndim, lines, value, x.dtype,
        out.dtype, op.initial), args)


def argmax_kernel(cname: str, what: str, nd: int, axis: int | None, keepdims: bool,
                  minimum: bool, in_dtype: str) -> str:
    """argmax / argmin along one axis (axis None: of the flattened array)."""
    ti = dtypes_c(in_dtype)
    cmp = "<" if minimum else ">"
    if axis is None:
        ond = nd if keepdims else 0
        shape = "for (int d = 0; d < ond; d++) oshape[d] = 1;"
        prep = "x = PyArray_GETCONTIGUOUS(a[0]); if (!x) goto done;"  # copies only if needed
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
SG_KERNEL PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
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
    block = not log and axis == nd - 1  # the block path: softmax along the last axis
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

/* Short rows of a C-contiguous input along its last axis (10 classes): the exp runs as one
   vector loop over the whole block instead of a 10-element loop per row. */
static void {cname}_block(const {t} *restrict p, {t} *restrict po, npy_intp rows,
                          npy_intp n) {{
    for (npy_intp r = 0; r < rows; r++) {{
        const {t} *x = p + r * n;
        {t} *o = po + r * n;
        {t} m = -INFINITY;
        int nan = 0;
        for (npy_intp j = 0; j < n; j++) {{ m = x[j] > m ? x[j] : m; nan |= x[j] != x[j]; }}
        if (nan) m = NAN;
        for (npy_intp j = 0; j < n; j++) o[j] = x[j] - m;
    }}
    const npy_intp total = rows * n;
    #pragma omp simd
    for (npy_intp i = 0; i < total; i++) po[i] = exp(po[i]);
    for (npy_intp r = 0; r < rows; r++) {{
        {t} *o = po + r * n, s = 0;
        for (npy_intp j = 0; j < n; j++) s += o[j];
        const {t} inv = 1 / s;
        for (npy_intp j = 0; j < n; j++) o[j] *= inv;
    }}
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

SG_KERNEL PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
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
    if (t.n > 0 && {int(block)} && t.inner <= 32 && t.n < 65536 &&
            PyArray_IS_C_CONTIGUOUS(x) && PyArray_IS_C_CONTIGUOUS(out)) {{
        {cname}_block(({t} *)PyArray_DATA(x), ({t} *)PyArray_DATA(out), t.outer, t.inner);
    }} else if (t.n > 0) {{
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

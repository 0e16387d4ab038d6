"""C kernel of the C backend for Bernoulli draws (`binomial` with n=1 and a scalar p: the
dropout masks), drawing the very numbers the NumPy backend draws.

The NumPy backend renders such a draw as `rng.random(size, dtype) < p` cast to the output
dtype: three passes and two temporary arrays. The kernel writes the mask in one pass,
reading the generator through NumPy's public bit-generator interface (the `bitgen_t`
function table in `bit_generator.capsule`, under `bit_generator.lock` as NumPy does), and
forms each uniform as NumPy does: float32 `(next_uint32 >> 8) * 2**-24`, float64
`next_double`. For PCG64 (what `sg.RandomStream` uses), 32-bit draws come from one 64-bit
draw each pair (low half first, the high half kept for the next draw: PCG64's own
`next_uint32`), which halves the calls; the half a previous draw may have kept is taken
first and the last one or two go through `next_uint32`, so the stream and the generator's
state stay NumPy's to the bit.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..graph import Apply, Constant
from ..ops.elemwise import C_DTYPES, dtypes_c
from ..ops.random import RandomVariable
from ..ops.registry import RenderContext
from ..tensor import TensorType
from .c_backend import CModule, _c_string, _npy_type, renders

# NumPy's bitgen_t (numpy/random/bitgen.h), the interface NumPy documents for C users.
_BITGEN = """
#ifndef SG_BITGEN
#define SG_BITGEN
typedef struct {
    void *state;
    npy_uint64 (*next_uint64)(void *st);
    npy_uint32 (*next_uint32)(void *st);
    double (*next_double)(void *st);
    npy_uint64 (*next_raw)(void *st);
} sg_bitgen;

/* The generator's bit generator, its function table and lock (new references). */
static int sg_bitgen_of(PyObject *rng, PyObject **bitgen, sg_bitgen **table, PyObject **lock,
                        const char *what) {
    PyObject *capsule = NULL;
    *lock = NULL;
    *bitgen = PyObject_GetAttrString(rng, "bit_generator");
    if (*bitgen == NULL) goto fail;
    capsule = PyObject_GetAttrString(*bitgen, "capsule");
    if (capsule == NULL) goto fail;
    *table = (sg_bitgen *)PyCapsule_GetPointer(capsule, "BitGenerator");
    Py_DECREF(capsule);
    if (*table == NULL) goto fail;
    *lock = PyObject_GetAttrString(*bitgen, "lock");
    if (*lock == NULL) goto fail;
    return 0;
fail:
    if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a numpy.random.Generator, got %s",
                     what, Py_TYPE(rng)->tp_name);
    }
    Py_XDECREF(*bitgen);
    Py_XDECREF(*lock);
    return -1;
}

/* 1 when the bit generator is PCG64 and holds a kept 32-bit half, 0 when it holds none,
   -1 when it is another kind (then every 32-bit draw goes through next_uint32). */
static int sg_pcg64_kept(PyObject *bitgen) {
    static PyObject *pcg = NULL;  /* numpy.random.PCG64, kept for the process */
    if (pcg == NULL) {
        PyObject *mod = PyImport_ImportModule("numpy.random");
        if (mod == NULL) { PyErr_Clear(); return -1; }
        pcg = PyObject_GetAttrString(mod, "PCG64");
        Py_DECREF(mod);
        if (pcg == NULL) { PyErr_Clear(); return -1; }
    }
    if ((PyObject *)Py_TYPE(bitgen) != pcg) return -1;
    PyObject *state = PyObject_GetAttrString(bitgen, "state");
    if (state == NULL) { PyErr_Clear(); return -1; }
    PyObject *kept = PyDict_Check(state) ? PyDict_GetItemString(state, "has_uint32") : NULL;
    long k = kept ? PyLong_AsLong(kept) : -1;
    Py_DECREF(state);
    if (k == -1 && PyErr_Occurred()) PyErr_Clear();
    return k == 0 ? 0 : k == 1 ? 1 : -1;
}
#endif
"""


def bernoulli_kernel(cname: str, what: str, nd: int, p_dtype: str, out_dtype: str) -> str:
    """C source of `cname(rng, size, p)`: an array of shape `size` whose elements are 1
    where the generator's next uniform (of p's dtype) is below p, else 0."""
    pt, ot = dtypes_c(p_dtype), dtypes_c(out_dtype)
    res = "(u < p)" if out_dtype == "bool" else f"({ot})(u < p)"
    if p_dtype == "float32":
        draw = f"""
    const float scale = 1.0f / 16777216.0f;
#define SG_U32 ((float)(g->next_uint32(g->state) >> 8) * scale)
    npy_intp i = 0;
    int kept = n > 0 ? sg_pcg64_kept(bitgen) : -1;
    if (kept < 0) {{
        for (; i < n; i++) {{
            const float u = SG_U32;
            o[i] = {res};
        }}
    }} else {{
        if (kept) {{ const float u = SG_U32; o[i++] = {res}; }}
        /* the last one or two through next_uint32, which leaves the generator's kept
           half (and its stale copy) exactly as NumPy's own draws would */
        for (; i + 2 < n; i += 2) {{
            const npy_uint64 r = g->next_uint64(g->state);
            float u = (float)((npy_uint32)r >> 8) * scale;
            o[i] = {res};
            u = (float)((npy_uint32)(r >> 32) >> 8) * scale;
            o[i + 1] = {res};
        }}
        for (; i < n; i++) {{ const float u = SG_U32; o[i] = {res}; }}
    }}
#undef SG_U32"""
    else:
        draw = f"""
    for (npy_intp i = 0; i < n; i++) {{
        const double u = g->next_double(g->state);
        o[i] = {res};
    }}"""
    return f"""{_BITGEN}
SG_KERNEL PyObject *{cname}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    const char *what = {_c_string(what)};
    if (nargs != 3) {{
        PyErr_Format(PyExc_TypeError, "%s takes 3 arguments, got %zd", what, nargs);
        return NULL;
    }}
    PyArrayObject *size = NULL, *pa = NULL, *out = NULL;
    PyObject *bitgen = NULL, *lock = NULL, *r = NULL;
    sg_bitgen *g;
    npy_intp dims[{max(nd, 1)}];
    size = (PyArrayObject *)PyArray_FromAny(args[1], PyArray_DescrFromType(NPY_INT64), 1, 1,
                                            NPY_ARRAY_CARRAY_RO | NPY_ARRAY_FORCECAST, NULL);
    if (size == NULL) goto done;
    if (PyArray_SIZE(size) != {nd}) {{
        PyErr_Format(PyExc_ValueError, "%s: size has %zd dims, expected {nd}", what,
                     (Py_ssize_t)PyArray_SIZE(size));
        goto done;
    }}
    for (int d = 0; d < {nd}; d++) {{
        dims[d] = (npy_intp)((const npy_int64 *)PyArray_DATA(size))[d];
        if (dims[d] < 0) {{
            PyErr_Format(PyExc_ValueError, "%s: negative dimensions are not allowed", what);
            goto done;
        }}
    }}
    pa = (PyArrayObject *)PyArray_FromAny(args[2], PyArray_DescrFromType({_npy_type(p_dtype)}),
                                          0, 0, NPY_ARRAY_CARRAY_RO | NPY_ARRAY_FORCECAST, NULL);
    if (pa == NULL) goto done;
    if (PyArray_SIZE(pa) != 1) {{
        PyErr_Format(PyExc_ValueError, "%s: p must be one number, got %zd", what,
                     (Py_ssize_t)PyArray_SIZE(pa));
        goto done;
    }}
    const {pt} p = *(const {pt} *)PyArray_DATA(pa);
    if (sg_bitgen_of(args[0], &bitgen, &g, &lock, what) < 0) goto done;
    out = (PyArrayObject *)PyArray_SimpleNew({nd}, dims, {_npy_type(out_dtype)});
    if (out == NULL) goto done;
    {ot} *o = ({ot} *)PyArray_DATA(out);
    const npy_intp n = PyArray_SIZE(out);
    r = PyObject_CallMethod(lock, "acquire", NULL);
    if (r == NULL) {{ Py_CLEAR(out); goto done; }}
    Py_DECREF(r);
    {draw}
    r = PyObject_CallMethod(lock, "release", NULL);
    if (r == NULL) Py_CLEAR(out);
    Py_XDECREF(r);
done:
    Py_XDECREF(size);
    Py_XDECREF(pa);
    Py_XDECREF(bitgen);
    Py_XDECREF(lock);
    return (PyObject *)out;
}}
"""


def bernoulli_p(node: Apply) -> Constant | None:
    """n of a binomial draw is the constant 1 and p one number: a Bernoulli draw the
    kernel runs (None otherwise)."""
    op = node.op
    if not isinstance(op, RandomVariable) or op.dist != "binomial" or len(node.inputs) != 4:
        return None
    n, p = node.inputs[2], node.inputs[3]
    if not (isinstance(n, Constant) and n.data.size and (n.data == 1).all()):
        return None
    if not isinstance(p.type, TensorType) or p.ndim != 0 or \
            p.dtype not in ("float16", "float32", "float64"):
        return None
    return p


@renders(RandomVariable)
def render_bernoulli(cm: CModule, ctx: RenderContext, node: Apply,
                     ins: Sequence[str]) -> str | None:
    """Bernoulli draws (dropout masks) in one C pass; other draws stay on NumPy."""
    p = bernoulli_p(node)
    out = node.outputs[0]
    if p is None or out.dtype not in C_DTYPES or out.ndim == 0:
        return None
    p_dtype = "float32" if p.dtype in ("float16", "float32") else "float64"
    rng, size, _, p_name = ins
    key = ("bernoulli", p_dtype, out.dtype, out.ndim)
    return cm.call(ctx, key, lambda cname: bernoulli_kernel(
        cname, str(node.op), out.ndim, p_dtype, out.dtype), [rng, size, p_name])

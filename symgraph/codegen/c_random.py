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

/* PCG64 (numpy/random/src/pcg64): its state as NumPy lays it out -- a pointer to the
   128-bit LCG state and increment, then the kept 32-bit half -- checked once per process
   against NumPy's own draws (sg_pcg64_checked) before any generator is read this way. */
typedef struct { __uint128_t state, inc; } sg_pcg128;
typedef struct { sg_pcg128 *pcg; int has_uint32; npy_uint32 uinteger; } sg_pcg64;
#define SG_PCG_MULT (((__uint128_t)2549297995355413924ULL << 64) + 4865540595714422341ULL)

static inline npy_uint64 sg_pcg_out(__uint128_t s) {   /* XSL-RR: PCG64's output */
    const npy_uint64 x = (npy_uint64)(s >> 64) ^ (npy_uint64)s;
    const unsigned r = (unsigned)(s >> 122);
    return (x >> r) | (x << ((-r) & 63u));
}

/* The next m 64-bit draws into buf, advancing *st: four interleaved LCG lanes (each
   stepping by a^4), so the 128-bit multiplies overlap instead of waiting on each other. */
static void sg_pcg_block(__uint128_t *st, __uint128_t inc, npy_uint64 *buf, npy_intp m) {
    const __uint128_t a = SG_PCG_MULT;
    __uint128_t s = *st;
    npy_intp j = 0;
    if (m >= 8) {
        const __uint128_t a2 = a * a, a4 = a2 * a2, c4 = inc * (a2 * a + a2 + a + 1);
        __uint128_t s0 = s * a + inc, s1 = s0 * a + inc, s2 = s1 * a + inc, s3 = s2 * a + inc;
        for (; j + 4 <= m; j += 4) {
            buf[j] = sg_pcg_out(s0); buf[j + 1] = sg_pcg_out(s1);
            buf[j + 2] = sg_pcg_out(s2); buf[j + 3] = sg_pcg_out(s3);
            s = s3;
            s0 = s0 * a4 + c4; s1 = s1 * a4 + c4; s2 = s2 * a4 + c4; s3 = s3 * a4 + c4;
        }
    }
    for (; j < m; j++) { s = s * a + inc; buf[j] = sg_pcg_out(s); }
    *st = s;
}

/* 1 when NumPy's PCG64 is laid out and draws as above: a fresh PCG64's next draws through
   its own function table, 64-bit and 32-bit (keeping and then giving the high half),
   match what sg_pcg64 and sg_pcg_block predict. Checked once per process. */
static int sg_pcg64_checked(void) {
    static int ok = -1;
    if (ok >= 0) return ok;
    ok = 0;
    PyObject *mod = PyImport_ImportModule("numpy.random");
    PyObject *bg = mod ? PyObject_CallMethod(mod, "PCG64", "i", 20261206) : NULL;
    PyObject *cap = bg ? PyObject_GetAttrString(bg, "capsule") : NULL;
    sg_bitgen *g = cap ? (sg_bitgen *)PyCapsule_GetPointer(cap, "BitGenerator") : NULL;
    if (g != NULL) {
        sg_pcg64 *p = (sg_pcg64 *)g->state;
        __uint128_t st = p->pcg->state;
        npy_uint64 want[12];
        sg_pcg_block(&st, p->pcg->inc, want, 12);
        int good = p->has_uint32 == 0;
        for (int k = 0; k < 10 && good; k++) good = g->next_uint64(g->state) == want[k];
        good = good && g->next_uint32(g->state) == (npy_uint32)want[10] &&
               p->has_uint32 == 1 && p->uinteger == (npy_uint32)(want[10] >> 32) &&
               g->next_uint32(g->state) == (npy_uint32)(want[10] >> 32) &&
               p->has_uint32 == 0 && g->next_uint64(g->state) == want[11] &&
               p->pcg->state == st;
        ok = good;
    }
    PyErr_Clear();
    Py_XDECREF(cap);
    Py_XDECREF(bg);
    Py_XDECREF(mod);
    return ok;
}

/* The PCG64 state of this bit generator when it is a PCG64 laid out as checked, else NULL
   (then every draw goes through the function table). */
static sg_pcg64 *sg_pcg64_of(PyObject *bitgen, sg_bitgen *g) {
    static PyObject *pcg = NULL;  /* numpy.random.PCG64, kept for the process */
    if (pcg == NULL) {
        PyObject *mod = PyImport_ImportModule("numpy.random");
        if (mod == NULL) { PyErr_Clear(); return NULL; }
        pcg = PyObject_GetAttrString(mod, "PCG64");
        Py_DECREF(mod);
        if (pcg == NULL) { PyErr_Clear(); return NULL; }
    }
    if ((PyObject *)Py_TYPE(bitgen) != pcg || !sg_pcg64_checked()) return NULL;
    return (sg_pcg64 *)g->state;
}
#endif
"""


def bernoulli_kernel(cname: str, what: str, nd: int, p_dtype: str, out_dtype: str) -> str:
    """C source of `cname(rng, size, p)`: an array of shape `size` whose elements are 1
    where the generator's next uniform (of p's dtype) is below p, else 0."""
    pt, ot = dtypes_c(p_dtype), dtypes_c(out_dtype)
    res = "(u < p)" if out_dtype == "bool" else f"({ot})(u < p)"
    if p_dtype == "float32":
        # NumPy's next_float: (32-bit draw >> 8) * 2**-24. PCG64's 32-bit draws are the
        # halves of its 64-bit ones, low first, the high one kept for the next draw.
        draw = f"""
    const float scale = 1.0f / 16777216.0f;
#define SG_U32(x) ((float)((npy_uint32)(x) >> 8) * scale)
    npy_intp i = 0;
    sg_pcg64 *pc = sg_pcg64_of(bitgen, g);
    if (pc == NULL) {{
        for (; i < n; i++) {{ const float u = SG_U32(g->next_uint32(g->state)); o[i] = {res}; }}
    }} else if (n > 0) {{
        if (pc->has_uint32) {{
            const float u = SG_U32(pc->uinteger);
            pc->has_uint32 = 0;
            o[i++] = {res};
        }}
        __uint128_t st = pc->pcg->state;
        const __uint128_t inc = pc->pcg->inc;
        npy_uint64 buf[256], last = 0;
        npy_intp pairs = (n - i) / 2;
        while (pairs > 0) {{
            const npy_intp m = pairs < 256 ? pairs : 256;
            sg_pcg_block(&st, inc, buf, m);
            {ot} *restrict oo = o + i;
            #pragma omp simd
            for (npy_intp k = 0; k < m; k++) {{
                float u = SG_U32(buf[k]);
                oo[2 * k] = {res};
                u = SG_U32(buf[k] >> 32);
                oo[2 * k + 1] = {res};
            }}
            i += 2 * m;
            last = buf[m - 1];
            pairs -= m;
        }}
        if (i < n) {{  /* an odd count: one more draw, its high half kept */
            sg_pcg_block(&st, inc, buf, 1);
            const float u = SG_U32(buf[0]);
            o[i++] = {res};
            pc->has_uint32 = 1;
            last = buf[0];
        }}
        if (i > 0 && st != pc->pcg->state) pc->uinteger = (npy_uint32)(last >> 32);
        pc->pcg->state = st;
    }}
#undef SG_U32"""
    else:
        # NumPy's next_double: (64-bit draw >> 11) * 2**-53 (PCG64's keeps no half).
        draw = f"""
    sg_pcg64 *pc = sg_pcg64_of(bitgen, g);
    if (pc == NULL) {{
        for (npy_intp i = 0; i < n; i++) {{
            const double u = g->next_double(g->state);
            o[i] = {res};
        }}
    }} else {{
        __uint128_t st = pc->pcg->state;
        npy_uint64 buf[256];
        for (npy_intp i = 0; i < n; i += 256) {{
            const npy_intp m = n - i < 256 ? n - i : 256;
            sg_pcg_block(&st, pc->pcg->inc, buf, m);
            for (npy_intp k = 0; k < m; k++) {{
                const double u = (double)(buf[k] >> 11) * (1.0 / 9007199254740992.0);
                o[i + k] = {res};
            }}
        }}
        pc->pcg->state = st;
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

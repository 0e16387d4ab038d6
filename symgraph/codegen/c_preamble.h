/* symgraph's C backend: what every generated module shares (codegen/c_backend.py). */
#define PY_SSIZE_T_CLEAN
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL sg_ARRAY_API  /* one NumPy API table for all the files */
#include <Python.h>
#include <numpy/arrayobject.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

/* glibc's SIMD math (libmvec): declared here, not by math.h (which does so only under
   -ffast-math), so `#pragma omp simd` loops call the vector variants while NaN and inf
   keep their meaning. The parentheses keep tgmath.h's macros out of the names. */
#pragma omp declare simd notinbranch
double (exp)(double);
#pragma omp declare simd notinbranch
float (expf)(float);
#pragma omp declare simd notinbranch
double (log)(double);
#pragma omp declare simd notinbranch
float (logf)(float);
#pragma omp declare simd notinbranch
double (sin)(double);
#pragma omp declare simd notinbranch
float (sinf)(float);
#pragma omp declare simd notinbranch
double (cos)(double);
#pragma omp declare simd notinbranch
float (cosf)(float);
#pragma omp declare simd notinbranch
double (tan)(double);
#pragma omp declare simd notinbranch
float (tanf)(float);
#pragma omp declare simd notinbranch
double (exp2)(double);
#pragma omp declare simd notinbranch
float (exp2f)(float);
#pragma omp declare simd notinbranch
double (expm1)(double);
#pragma omp declare simd notinbranch
float (expm1f)(float);
#pragma omp declare simd notinbranch
double (log2)(double);
#pragma omp declare simd notinbranch
float (log2f)(float);
#pragma omp declare simd notinbranch
double (log10)(double);
#pragma omp declare simd notinbranch
float (log10f)(float);
#pragma omp declare simd notinbranch
double (log1p)(double);
#pragma omp declare simd notinbranch
float (log1pf)(float);
#pragma omp declare simd notinbranch
double (asin)(double);
#pragma omp declare simd notinbranch
float (asinf)(float);
#pragma omp declare simd notinbranch
double (acos)(double);
#pragma omp declare simd notinbranch
float (acosf)(float);
#pragma omp declare simd notinbranch
double (atan)(double);
#pragma omp declare simd notinbranch
float (atanf)(float);
#pragma omp declare simd notinbranch
double (sinh)(double);
#pragma omp declare simd notinbranch
float (sinhf)(float);
#pragma omp declare simd notinbranch
double (cosh)(double);
#pragma omp declare simd notinbranch
float (coshf)(float);
#pragma omp declare simd notinbranch
double (tanh)(double);
#pragma omp declare simd notinbranch
float (tanhf)(float);
#pragma omp declare simd notinbranch
double (erf)(double);
#pragma omp declare simd notinbranch
float (erff)(float);
#pragma omp declare simd notinbranch
double (erfc)(double);
#pragma omp declare simd notinbranch
float (erfcf)(float);
#pragma omp declare simd notinbranch
double (pow)(double, double);
#pragma omp declare simd notinbranch
float (powf)(float, float);
#include <tgmath.h>

#define SG_MAXARGS 40
#define SG_MAXDIM 32

/* NumPy's maximum/minimum: a NaN on either side wins. */
#define sg_max(a, b) ((a) != (a) ? (a) : (b) != (b) ? (b) : (a) >= (b) ? (a) : (b))
#define sg_min(a, b) ((a) != (a) ? (a) : (b) != (b) ? (b) : (a) <= (b) ? (a) : (b))
#define sg_clip(x, lo, hi) sg_min(sg_max((x), (lo)), (hi))
#define sg_sigmoid(x) (1 / (1 + exp(-(x))))
#define sg_softplus(x) (sg_max((x), 0) + log1p(exp(-fabs(x))))

/* Integer division and remainder as NumPy: floor semantics, 0 when dividing by 0. */
static inline npy_int64 sg_floordiv_i(npy_int64 a, npy_int64 b) {
    if (b == 0) return 0;
    if (b == -1) return (npy_int64)(0ULL - (npy_uint64)a);
    npy_int64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
static inline npy_int64 sg_mod_i(npy_int64 a, npy_int64 b) {
    if (b == 0 || b == -1) return 0;
    npy_int64 r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline npy_uint64 sg_div_u(npy_uint64 a, npy_uint64 b) { return b ? a / b : 0; }
static inline npy_uint64 sg_mod_u(npy_uint64 a, npy_uint64 b) { return b ? a % b : 0; }
/* Floats: npy_divmod's algorithm (floor_divide(1, 0) = inf, remainder(x, 0) = nan). */
#define SG_FLOAT_DIVMOD(T, sfx)                                                        \
static inline T sg_floordiv_##sfx(T a, T b) {                                         \
    T mod = fmod(a, b);                                                                \
    if (!b) return a / b;                                                              \
    T div = (a - mod) / b;                                                             \
    if (mod) { if ((b < 0) != (mod < 0)) div -= 1; }                                   \
    if (div) { T f = floor(div); if (div - f > (T)0.5) f += 1; return f; }             \
    return copysign((T)0, a / b);                                                      \
}                                                                                      \
static inline T sg_mod_##sfx(T a, T b) {                                              \
    T mod = fmod(a, b);                                                                \
    if (!b) return mod;                                                                \
    if (mod) { if ((b < 0) != (mod < 0)) mod += b; }                                   \
    else mod = copysign((T)0, b);                                                      \
    return mod;                                                                        \
}
SG_FLOAT_DIVMOD(double, d)
SG_FLOAT_DIVMOD(float, f)

/* One kernel call: the arrays (inputs, then the output), the broadcast shape, and each
   array's byte strides along it (0 where it broadcasts). */
typedef struct {
    int nargs, nd;
    npy_intp n, inner, outer;
    npy_intp shape[SG_MAXDIM];
    char *data[SG_MAXARGS];
    npy_intp st[SG_MAXARGS][SG_MAXDIM];
} sg_task;

typedef void (*sg_range_fn)(const sg_task *, npy_intp, npy_intp);
typedef struct { sg_range_fn fn; const sg_task *t; npy_intp a, b; } sg_chunk;
extern int sg_threads;          /* defined once, in the module's first file */
extern npy_intp sg_par_min;
#define SG_KERNEL                /* kernels are seen by the module's first file */

static void *sg_chunk_run(void *p) {
    sg_chunk *c = (sg_chunk *)p;
    c->fn(c->t, c->a, c->b);
    return NULL;
}

/* fn over [0, count), split over sg_threads threads when `work` is big enough. */
static void sg_parallel(sg_range_fn fn, const sg_task *t, npy_intp count, npy_intp work) {
    int nt = sg_threads;
    if (nt > 16) nt = 16;
    if (nt > count) nt = (int)count;
    if (work < sg_par_min || nt <= 1) { fn(t, 0, count); return; }
    pthread_t th[16];
    int started[16];
    sg_chunk c[16];
    for (int k = 0; k < nt; k++) {
        c[k].fn = fn; c[k].t = t;
        c[k].a = count * k / nt; c[k].b = count * (k + 1) / nt;
    }
    for (int k = 1; k < nt; k++)
        started[k] = pthread_create(&th[k], NULL, sg_chunk_run, &c[k]) == 0;
    fn(t, c[0].a, c[0].b);
    for (int k = 1; k < nt; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else fn(t, c[k].a, c[k].b);
    }
}

static PyObject *sg_set_threads(PyObject *self, PyObject *const *args, Py_ssize_t n) {
    if (n != 2) { PyErr_SetString(PyExc_TypeError, "_set_threads(threads, min_work)"); return NULL; }
    sg_threads = (int)PyLong_AsLong(args[0]);
    sg_par_min = (npy_intp)PyLong_AsSsize_t(args[1]);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

/* The arguments as aligned arrays of the kernel's dtypes (new references). */
static int sg_inputs(PyObject *const *args, Py_ssize_t nargs, int nin, const int *types,
                     PyArrayObject **a, const char *what) {
    if (nargs != nin) {
        PyErr_Format(PyExc_TypeError, "%s takes %d arguments, got %zd", what, nin, nargs);
        return -1;
    }
    for (int k = 0; k < nin; k++) a[k] = NULL;
    for (int k = 0; k < nin; k++) {
        PyObject *o = args[k];
        PyArrayObject *arr;
        if (PyArray_Check(o) && PyArray_TYPE((PyArrayObject *)o) == types[k] &&
                PyArray_ISALIGNED((PyArrayObject *)o) && PyArray_ISNOTSWAPPED((PyArrayObject *)o)) {
            Py_INCREF(o);
            arr = (PyArrayObject *)o;
        } else {
            arr = (PyArrayObject *)PyArray_FromAny(o, PyArray_DescrFromType(types[k]), 0, 0,
                                                  NPY_ARRAY_ALIGNED | NPY_ARRAY_NOTSWAPPED |
                                                  NPY_ARRAY_FORCECAST, NULL);
            if (arr == NULL) goto fail;
        }
        npy_intp item = PyArray_ITEMSIZE(arr);
        for (int d = 0; d < PyArray_NDIM(arr); d++) {
            if (PyArray_STRIDES(arr)[d] % item != 0) {
                PyArrayObject *c = (PyArrayObject *)PyArray_NewCopy(arr, NPY_CORDER);
                Py_DECREF(arr);
                arr = c;
                if (arr == NULL) goto fail;
                break;
            }
        }
        a[k] = arr;
    }
    return 0;
fail:
    for (int k = 0; k < nin; k++) Py_XDECREF(a[k]);
    return -1;
}

static void sg_release(PyArrayObject **a, int nin) {
    for (int k = 0; k < nin; k++) Py_XDECREF(a[k]);
}

static void sg_shape_text(char *buf, size_t size, PyArrayObject *a) {
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < PyArray_NDIM(a) && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? ", %ld" : "%ld",
                                 (long)PyArray_DIMS(a)[d]);
    if (used < size) snprintf(buf + used, size - used, PyArray_NDIM(a) == 1 ? ",)" : ")");
}

/* Broadcast the inputs to an nd-dim shape (NumPy's rule) and fill the task's strides. */
static int sg_broadcast(sg_task *t, PyArrayObject **a, int nin, int nd, const char *what) {
    int nd1 = nd > 0 ? nd : 1;
    t->nd = nd1;
    t->nargs = nin + 1;
    for (int d = 0; d < nd1; d++) t->shape[d] = 1;
    for (int k = 0; k < nin; k++) {
        int kd = PyArray_NDIM(a[k]);
        if (kd > nd) {
            PyErr_Format(PyExc_ValueError, "%s: input %d has %d dims, expected at most %d",
                         what, k, kd, nd);
            return -1;
        }
        for (int i = 0; i < kd; i++) {
            int d = nd - kd + i;
            npy_intp s = PyArray_DIMS(a[k])[i];
            if (s == 1) continue;
            if (t->shape[d] == 1) t->shape[d] = s;
            else if (t->shape[d] != s) {
                char msg[1024];
                size_t used = (size_t)snprintf(msg, sizeof msg, "%s: operands could not be "
                                               "broadcast together with shapes", what);
                for (int j = 0; j < nin && used < sizeof msg - 4; j++) {
                    msg[used++] = ' ';
                    sg_shape_text(msg + used, sizeof msg - used, a[j]);
                    used = strlen(msg);
                }
                PyErr_SetString(PyExc_ValueError, msg);
                return -1;
            }
        }
    }
    for (int k = 0; k < nin; k++) {
        int kd = PyArray_NDIM(a[k]);
        t->data[k] = PyArray_BYTES(a[k]);
        for (int d = 0; d < nd1; d++) {
            int i = d - (nd - kd);
            t->st[k][d] = (nd == 0 || i < 0 || PyArray_DIMS(a[k])[i] == 1) ? 0
                          : PyArray_STRIDES(a[k])[i];
        }
    }
    t->n = 1;
    for (int d = 0; d < nd1; d++) t->n *= t->shape[d];
    t->inner = t->shape[nd1 - 1];
    t->outer = t->inner ? t->n / t->inner : 0;
    return 0;
}

/* The output array: a fresh C-contiguous one, or input `inplace` (the in-place pass's
   choice, checked to have the broadcast shape). */
static PyArrayObject *sg_output(sg_task *t, PyArrayObject **a, int nin, int nd, int type,
                                int inplace, const char *what) {
    PyArrayObject *out;
    if (inplace >= 0) {
        out = a[inplace];
        int ok = PyArray_NDIM(out) == nd && PyArray_ISWRITEABLE(out);
        for (int d = 0; ok && d < nd; d++) ok = PyArray_DIMS(out)[d] == t->shape[d];
        if (!ok) {
            PyErr_Format(PyExc_ValueError, "%s: cannot write the result into input %d",
                         what, inplace);
            return NULL;
        }
        Py_INCREF(out);
    } else {
        out = (PyArrayObject *)PyArray_SimpleNew(nd, t->shape, type);
        if (out == NULL) return NULL;
    }
    t->data[nin] = PyArray_BYTES(out);
    for (int d = 0; d < t->nd; d++)
        t->st[nin][d] = (nd == 0 || t->shape[d] == 1) ? 0 : PyArray_STRIDES(out)[d];
    return out;
}

/* True when every input not known to be a scalar is C-contiguous with n elements, and
   so is the output: one flat loop then covers the whole call. */
static int sg_flat(const sg_task *t, PyArrayObject **a, int nin, const char *scalar,
                   PyArrayObject *out) {
    if (!PyArray_IS_C_CONTIGUOUS(out)) return 0;
    for (int k = 0; k < nin; k++)
        if (!scalar[k] && !(PyArray_IS_C_CONTIGUOUS(a[k]) && PyArray_SIZE(a[k]) == t->n))
            return 0;
    return 1;
}

/* Row r's starting address in every array (the outer dims of the task). */
static inline void sg_row(const sg_task *t, npy_intp r, char **q) {
    for (int k = 0; k < t->nargs; k++) q[k] = t->data[k];
    for (int d = t->nd - 2; d >= 0; d--) {
        npy_intp idx = r % t->shape[d];
        r /= t->shape[d];
        for (int k = 0; k < t->nargs; k++) q[k] += idx * t->st[k][d];
    }
}

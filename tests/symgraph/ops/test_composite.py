"""Composite (fused elementwise kernels) and InplaceElemwise, tested as ops."""

import numpy as np
import pytest
import scipy.special

import symgraph as sg
from symgraph.codegen.kernels import kernel_source
from symgraph.ops.composite import Composite, InplaceElemwise, row_of
from symgraph.ops.registry import RenderContext

# exp(i0 * i1 + 1.0) - i1
BODY = (("mul", (("i", 0), ("i", 1))), ("add", (("t", 0), ("c", "float64", "1.0"))),
        ("exp", (("t", 1),)), ("sub", (("t", 2), ("i", 1))))
OP = Composite(2, BODY)


def expected(a, b):
    return np.exp(a * b + 1.0) - b


def run(op, *values):
    xs = [sg.tensor(f"i{k}", np.asarray(v).dtype.name, (None,) * np.ndim(v))
          for k, v in enumerate(values)]
    return sg.function(xs, op(*xs), rewrites="none")(*values)


def test_expression_and_name():
    assert OP.expression() == "exp(i0 * i1 + 1.0) - i1"
    assert str(OP) == "composite{exp(i0 * i1 + 1.0) - i1}"
    nested = Composite(2, (("sub", (("i", 0), ("i", 1))), ("sub", (("i", 0), ("t", 0)))))
    assert nested.expression() == "i0 - (i0 - i1)"


def test_values_with_broadcasting():
    a = np.linspace(-1, 1, 12).reshape(3, 4)
    b = np.array([0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(run(OP, a, b), expected(a, b))
    np.testing.assert_allclose(run(OP, b, a), expected(b, a))


def test_dtype_rules_of_the_rows():
    i = sg.ivector("i")
    x = sg.vector("x", dtype="float32")
    assert OP(i, i).dtype == "float64"  # exp of int32 computes in float64
    op = Composite(2, (("mul", (("i", 0), ("i", 1))), ("gt", (("t", 0), ("c", "float32",
                                                                          "0.5")))))
    assert op(x, x).dtype == "bool"
    got = run(op, np.array([1.0, 0.1], "float32"), np.array([1.0, 1.0], "float32"))
    np.testing.assert_array_equal(got, [True, False])


def test_float_rows_compute_in_float_on_integers():
    op = Composite(1, (("reciprocal", (("i", 0),)), ("mul", (("t", 0), ("i", 0)))))
    got = run(op, np.array([2, 4], "int64"))
    np.testing.assert_allclose(got, [1.0, 1.0])


@pytest.mark.parametrize("row", ["sigmoid", "erf", "erfc"])
def test_scipy_rows_on_bool_compute_float16_without_a_float16_loop(row):
    # Found by the random-graph tests: SciPy's expit/erf/erfc have no float16 loop, so
    # `expit(b, out=buf, dtype=np.float16)` raised; full-buffer and partial steps alike.
    full = Composite(1, ((row, (("i", 0),)), ("mul", (("t", 0), ("c", "float16", "0.5")))))
    partial = Composite(2, ((row, (("i", 0),)), ("mul", (("t", 0), ("i", 1)))))
    b = np.array([[True, False, True]])
    fn = getattr(scipy.special, {"sigmoid": "expit"}.get(row, row))
    want = fn(b.astype("float16")).astype("float16")
    got = run(full, b)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, want * np.float16(0.5), rtol=1e-3)
    got = run(partial, b[0, :1], np.ones((2, 1), "float16"))
    assert got.dtype == np.float16 and got.shape == (2, 1)
    np.testing.assert_allclose(got, np.broadcast_to(want[0, :1], (2, 1)), rtol=1e-3)


def test_kernel_reuses_one_buffer_for_a_chain():
    ctx = RenderContext()
    x = sg.dmatrix("x")
    node = OP.make_node(x, x)
    src = kernel_source(OP, ctx, "_k", node)
    assert src.count("np.empty(") == 1 and src.count("out=b0") == 4
    assert src.splitlines()[1] == "    # exp(i0 * i1 + 1.0) - i1"


def test_full_inputs_let_partial_looking_steps_use_buffers():
    x, b = sg.dmatrix("x"), sg.dmatrix("b")
    op = Composite(2, BODY[:3] + (("sub", (("t", 2), ("i", 1))),), full_inputs=(0,))
    src = kernel_source(op, RenderContext(), "_k", op.make_node(x, b))
    assert "t0 =" not in src  # every step writes into a buffer


def test_inplace_kernel_writes_into_its_input():
    op = Composite(2, BODY, inplace=0)
    assert op.destroy_map == {0: 0}
    a = np.ones((2, 3))
    b = np.full((2, 3), 2.0)
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    node = op.make_node(x, y)
    out = op.perform(node, a, b)
    assert out is a
    np.testing.assert_allclose(a, expected(np.ones((2, 3)), b))


def test_inplace_needs_an_input_of_the_result_type():
    with pytest.raises(TypeError, match="composite: cannot write a float64"):
        Composite(2, BODY, inplace=1)(sg.dmatrix("x"), sg.dvector("y"))
    with pytest.raises(TypeError, match="takes 2 inputs, got 1"):
        OP(sg.dvector("x"))


def test_gradient_expands_the_expression():
    sg.verify_grad(lambda a, b: OP(a, b), [np.array([0.1, 0.5]), np.array([1.5, -0.5])])


def test_c_code_composes_the_row_templates():
    lines, result = OP.c_code(["a", "b"], ["float64", "float64"])
    assert lines == ["npy_float64 t0 = (a * b);",
                     "npy_float64 t1 = (t0 + ((npy_float64)1.0));",
                     "npy_float64 t2 = exp(t1);",
                     "npy_float64 t3 = (t2 - b);"]
    assert result == "t3"
    lines, _ = OP.c_code(["a", "b"], ["int32", "int32"])  # exp computes in float64
    assert lines[:3] == ["npy_int32 t0 = (a * b);",
                         "npy_float64 t1 = (((npy_float64)t0) + ((npy_float64)1.0));",
                         "npy_float64 t2 = exp(t1);"]
    sq = Composite(1, (("sqrt", (("i", 0),)),))
    assert sq.c_code(["a"], ["int16"])[0] == ["npy_float32 t0 = sqrt(((npy_float32)a));"]


def test_json_parameters_round_trip():
    params = OP.to_json_params()
    assert Composite.from_json_params(params) == OP


def test_inplace_elemwise():
    add = row_of("add")
    op = InplaceElemwise(add, 0)
    x, y = sg.dmatrix("x"), sg.dvector("y")
    node = op.make_node(x, y)
    assert str(op) == "add{inplace=i0}" and op.destroy_map == {0: 0}
    assert op.render(RenderContext(), node, ["a", "b"]) == "np.add(a, b, out=a)"
    a = np.zeros((2, 2))
    assert op.perform(node, a, np.array([1.0, 2.0])) is a
    np.testing.assert_array_equal(a, [[1, 2], [1, 2]])
    with pytest.raises(TypeError, match="cannot write"):
        InplaceElemwise(add, 1).make_node(x, y)  # y is smaller than the result
    assert InplaceElemwise.from_json_params(op.to_json_params()) == op
    assert InplaceElemwise.supports(row_of("relu")) and not InplaceElemwise.supports(
        row_of("switch"))


def test_expression_text_is_bounded_for_long_kernels():
    # Every step's text used to be kept whole: a 40,000-step chain held 40,000 ever
    # longer strings (4.7 GB). Each is cut now, so listings and comments stay short.
    n = 5000
    body = (("tanh", (("i", 0),)),) + tuple(("tanh", (("t", j),)) for j in range(n - 1))
    op = Composite(1, body)
    text = op.expression()
    assert len(text) <= 400 and text.startswith("tanh(tanh(") and text.endswith("…")
    assert len(str(op)) <= len("composite{}") + 70
    short = Composite(1, body[:3])
    assert short.expression() == "tanh(tanh(tanh(i0)))"


def test_step_references_name_their_parts_and_keep_the_json_form():
    from symgraph.ops.composite import Composite, Ref
    op = Composite(2, (("mul", (("i", 0), ("i", 1))), ("add", (("t", 0), ("c", "float32", "1.0")))))
    (_, (a, b)), (_, (t, c)) = op.body
    assert all(isinstance(r, Ref) for r in (a, b, t, c))
    assert (a.is_input, a.number, t.is_step, t.number) == (True, 0, True, 0)
    assert not (c.is_input or c.is_step) and (c.dtype, c.text) == ("float32", "1.0")
    assert Ref.input(1) == ("i", 1) and Ref.const("float32", "1.0") == c  # the JSON form
    assert op == Composite(2, op.body) and hash(op) == hash(Composite(2, op.body))
    assert op.expression() == "i0 * i1 + 1.0"

"""JSON round trips: every op family rebuilt from JSON computes what the original computes."""

import dataclasses
import json

import numpy as np
import pytest

import symgraph as sg
from symgraph.graph import Constant, SharedVariable, free_inputs, toposort
from symgraph.ops.elemwise import TABLE
from symgraph.ops.registry import Op
from symgraph.ops.scan import Scan
from symgraph.serialize import FunctionSpec, decode_array, encode_array

rng = np.random.default_rng(0)
XM = rng.normal(size=(4, 5)).astype("float32")
XV = rng.normal(size=5).astype("float32")


def same_structure(a, b):
    """Two graphs apply equal ops, in the same order, to corresponding inputs."""
    na, nb = toposort(a), toposort(b)
    assert len(na) == len(nb)
    for u, w in zip(na, nb, strict=True):
        assert same_op(u.op, w.op), (u.op, w.op)
    for u, v in zip(na, nb, strict=True):
        assert [str(i.type) for i in u.inputs] == [str(i.type) for i in v.inputs]
        assert [o.type for o in u.outputs] == [o.type for o in v.outputs]
        for i, j in zip(u.inputs, v.inputs, strict=True):
            assert type(i) is type(j) and i.name == j.name
            if isinstance(i, Constant):
                assert i.data.dtype == j.data.dtype
                np.testing.assert_array_equal(i.data, j.data)


def same_op(a, b):
    """Equal ops; a scan's step graph is compared by structure (it is rebuilt, not shared)."""
    if isinstance(a, Scan) and isinstance(b, Scan):
        same_structure(a.step.outputs, b.step.outputs)
        return dataclasses.replace(a, step=b.step) == b
    return a == b


def roundtrip_function(inputs, outputs, args, updates=None):
    """Compile, save, load, compile again: outputs (and updated values) must agree."""
    f = sg.function(inputs, outputs, updates=updates, on_unused_input="ignore")
    spec = sg.from_json(sg.to_json(f))
    assert isinstance(spec, FunctionSpec)
    same_structure(f.original[1], [*as_list(spec.outputs), *(v for _, v in spec.updates)])
    g = sg.function(spec.inputs, spec.outputs, updates=spec.updates, on_unused_input="ignore")
    expected, got = as_list(f(*args)), as_list(g(*args))
    assert len(expected) == len(got)
    for e, r in zip(expected, got, strict=True):
        assert np.asarray(r).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(r, e, rtol=1e-6, atol=1e-7)
    for (s, _), (s2, _) in zip(f.updates, spec.updates, strict=True):
        np.testing.assert_allclose(s2.get_value(), s.get_value(), rtol=1e-6)
    return f, g, spec


def as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


x, v = sg.fmatrix("x"), sg.vector("v", dtype="float32")
i, idx = sg.iscalar("i"), sg.lvector("idx")


# ---------------------------------------------------------------- op families


def test_elementwise_and_cast():
    roundtrip_function([x, v], [
        sg.cast(x, "float64") + v, sg.switch(x > 0, x, v), sg.clip(x, -0.5, 0.5),
        sg.sigmoid(x) ** 2, sg.cast(x > v, "int8") * 3, (x < 0) | (v > 1),
        sg.maximum(x, v) / sg.exp(v), sg.floor(x * 4) // 3, sg.softplus(x)], [XM, XV])


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_elementwise_row_round_trips(name):
    row = TABLE[name]
    dtype = "bool" if name in ("and_", "or_", "xor", "invert") else "float64"
    ins = [sg.vector(f"a{k}", dtype=dtype) for k in range(row.nin)]
    if name == "switch":
        ins[0] = sg.bvector("c")
    out = sg.ops.elemwise.elemwise_op(name)(*ins)
    back = sg.from_json(sg.to_json(out))
    same_structure([out], [back])
    assert back.owner.op == out.owner.op
    assert back.owner.op.scalar is row  # the very row of the table, not a copy


def test_reductions():
    roundtrip_function([x], [
        x.sum(axis=0), x.mean(axis=1, keepdims=True), x.max(), x.argmax(axis=1),
        x.argmin(), x.prod(axis=0), (x > 0).all(axis=1), (x > 1).any(), x.var(axis=0),
        x.std(ddof=1), sg.logsumexp(x, axis=1), sg.sum(x, axis=1, dtype="float64")], [XM])


def test_shape_ops():
    roundtrip_function([x, v], [
        x.reshape((5, 4)), x.flatten(), x.T, x.dimshuffle(1, "x", 0), sg.expand_dims(v, 0),
        sg.squeeze(sg.expand_dims(v, 1)), sg.concatenate([x, x], axis=0), sg.stack([v, v]),
        sg.repeat(v, 2), sg.tile(x, (2, 1)), sg.ones_like(x), sg.zeros((2, 3)),
        sg.alloc(1.0, x.shape[0], 3), sg.arange(x.shape[0]), sg.eye(3), sg.shape(x),
        x.reshape((x.shape[1], -1))], [XM, XV])


def test_indexing_basic_and_advanced():
    mask_const = np.array([True, False, True, True, False])
    roundtrip_function([x, i, idx], [
        x[1:i, None], x[i], x[-1], x[::-1, 2], x[..., 0], x[idx], x[x > 0], x[:, idx],
        x[idx, idx], x[:, mask_const], sg.take(x, idx, axis=1),
        sg.set_subtensor(x[1:3], 0.0), sg.inc_subtensor(x[i:, 1], 2.0),
        sg.inc_subtensor(x[idx], 1.0), sg.set_subtensor(x[x < 0], 0.0)],
        [XM, 3, np.array([0, 2, 2])])


def test_linear_algebra():
    roundtrip_function([x, v], [
        sg.dot(x, v), sg.matmul(x, x.T), x @ x.T, sg.tensordot(x, x, axes=([1], [1])),
        sg.outer(v, v), sg.linalg.inv(sg.dot(x, x.T) + sg.eye(4)), sg.linalg.det(x[:, :4]),
        sg.linalg.solve(sg.dot(x, x.T) + sg.eye(4), x[:, 0])], [XM, XV])


def test_nnet():
    p = sg.nnet.softmax(x)
    roundtrip_function([x], [
        p, sg.nnet.log_softmax(x, axis=0), sg.nnet.relu(x),
        sg.nnet.categorical_crossentropy(p, p), sg.nnet.binary_crossentropy(
            sg.nnet.sigmoid(x), sg.cast(x > 0, "float32"))], [XM])


def test_ifelse_single_and_multiple():
    roundtrip_function([i, x, v], sg.ifelse(i > 0, x.sum(), v.sum()), [1, XM, XV])
    for c in (0, 1):
        roundtrip_function([i, x, v], sg.ifelse(i > 0, [x, v], [x * 2, v * 2]),
                           [c, XM, XV])


def test_gradients_and_updates():
    W = sg.shared(rng.normal(size=5).astype("float32"), "W")
    b = sg.shared(np.float32(0.5), "b")
    cost = sg.sum((x * W + b) ** 2)
    gW, gx, gb = sg.grad(cost, [W, x, b])
    f, g, spec = roundtrip_function([x], [cost, gx], [XM],
                                    updates={W: W - 0.1 * gW, b: b - 0.1 * gb})
    # the rebuilt function has its own copies of the shared variables
    assert {s.name for s, _ in spec.updates} == {"W", "b"}
    assert all(s2 is not s for (s, _), (s2, _) in zip(f.updates, spec.updates, strict=True))


def test_random_draws_round_trip_generator_state():
    s = sg.RandomStream(3)
    draws = [s.uniform((2, 3)), s.normal((3,), 1.0, 2.0), s.binomial((4,), 1, 0.3),
             s.choice((3,), 5), s.choice((2,), 3, p=[0.2, 0.3, 0.5]), s.permutation(6)]
    f = sg.function([], draws)
    f()  # advance the generators: the saved state is the current one, not the seed
    text = sg.to_json(f)
    spec = sg.from_json(text)
    g = sg.function(spec.inputs, spec.outputs)
    for _ in range(2):  # same numbers now and on the next call
        for a, b in zip(f(), g(), strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    # the copies are independent: drawing from g does not advance f
    before = f.original[1][0].owner.inputs[0].get_value()
    g()
    after = f.original[1][0].owner.inputs[0].get_value()
    assert before.bit_generator.state == after.bit_generator.state


def test_scan_round_trips_with_its_step_graph():
    seq = sg.fmatrix("seq")
    h0 = sg.vector("h0", dtype="float32")
    W = sg.shared(np.eye(5, dtype="float32") * 0.5, "W")
    outs, _ = sg.scan(lambda xt, h, W: sg.tanh(xt + sg.dot(h, W)), sequences=[seq],
                      outputs_info=[h0], non_sequences=[W])
    g = sg.grad(outs.sum(), W)
    _, _, spec = roundtrip_function([seq, h0], [outs, g], [XM, XV])
    doc = json.loads(sg.to_json(sg.function([seq, h0], [outs, g])))
    assert len(doc["subgraphs"]) == 2  # the forward step and its backward (gradient) step


# ---------------------------------------------------------------- graphs, not functions


def test_graph_structure_single_list_tuple():
    a = sg.exp(v)
    back = sg.from_json(sg.to_json(a))
    assert isinstance(back, sg.TensorVariable)
    same_structure([a], [back])
    (vin,) = free_inputs([back])
    assert vin.name == "v" and vin is not v
    assert isinstance(sg.from_json(sg.to_json([a, -v])), list)
    assert isinstance(sg.from_json(sg.to_json((a, -v))), tuple)
    b1, b2 = sg.from_json(sg.to_json([a, a * 2]))
    assert b2.owner.inputs[0] is b1  # a shared subexpression stays shared


def test_graph_roundtrip_keeps_names_and_source_lines():
    h = sg.tanh(x)
    h.name = "hidden"
    y = h * 2
    back = sg.from_json(sg.to_json(y))
    assert back.owner.inputs[0].name == "hidden"
    assert back.owner.trace == y.owner.trace != h.owner.trace
    assert back.owner.inputs[0].owner.trace == h.owner.trace


def test_constants_are_dtype_exact():
    values = [np.float32(0.1), np.array([1e-45, 3.4e38, -0.0], "float32"),
              np.array([np.nan, np.inf, -np.inf]), np.arange(40, dtype="int16").reshape(5, 8),
              np.array([2**63 - 1, -2**63]), np.array([True, False]),
              np.array([1 + 2j], "complex64"), np.float16(0.333)]
    for val in values:
        c = sg.constant(val)
        back = sg.from_json(sg.to_json(c + 0 if c.dtype != "bool" else ~c))
        c2 = back.owner.inputs[0]
        assert c2.data.dtype == c.data.dtype
        np.testing.assert_array_equal(c2.data, c.data)
        assert c2.data.tobytes() == c.data.tobytes()


@pytest.mark.parametrize("value", [
    np.float32(0.1), np.array([[1.5, -2.0]], "float64"), np.arange(100, dtype="uint8"),
    np.array([np.nan, 1.0], "float16"), np.zeros((0, 3), "int32")])
def test_encode_array_round_trip(value):
    a = np.asarray(value)
    text = json.dumps(encode_array(a))
    back = decode_array(json.loads(text))
    assert back.dtype == a.dtype and back.shape == a.shape
    assert back.tobytes() == a.tobytes()


def test_shared_variables_can_be_mapped_to_live_ones():
    W = sg.shared(np.ones(5, dtype="float32"), "W")
    f = sg.function([v], (v * W).sum(), updates={W: W * 2})
    W_live = sg.shared(np.full(5, 3.0, dtype="float32"), "W")
    spec = sg.from_json(sg.to_json(f), shared={"W": W_live})
    assert spec.updates[0][0] is W_live
    g = sg.function(spec.inputs, spec.outputs, updates=spec.updates)
    assert g(np.ones(5, "float32")) == pytest.approx(15.0)
    np.testing.assert_array_equal(W_live.get_value(), np.full(5, 6.0))
    np.testing.assert_array_equal(W.get_value(), np.ones(5))  # untouched


def test_shared_variable_with_open_shape_keeps_its_type():
    W = sg.shared(np.ones((2, 3), "float32"), "W", shape=(None, 3))
    back = sg.from_json(sg.to_json(W * 2))
    W2 = back.owner.inputs[0]
    assert isinstance(W2, SharedVariable) and W2.type == W.type
    np.testing.assert_array_equal(W2.get_value(), W.get_value())


def test_function_spec_keeps_input_order_unused_inputs_and_name():
    a, b = sg.vector("a"), sg.vector("b")
    f = sg.function([b, a], a * 2, on_unused_input="ignore", name="double")
    spec = sg.from_json(sg.to_json(f))
    assert [s.name for s in spec.inputs] == ["b", "a"]
    assert spec.name == "double" and not isinstance(spec.outputs, list)


# ---------------------------------------------------------------- errors


def test_from_json_errors_are_clear():
    with pytest.raises(ValueError, match="not JSON"):
        sg.from_json("{")
    with pytest.raises(ValueError, match="not a symgraph graph"):
        sg.from_json('{"a": 1}')
    doc = json.loads(sg.to_json(sg.exp(v)))
    doc["version"] = 99
    with pytest.raises(ValueError, match="format version 99.*up to 1"):
        sg.from_json(json.dumps(doc))
    doc["version"] = 1
    doc["nodes"][0]["op"] = "NoSuchOp"
    with pytest.raises(ValueError, match="op class 'NoSuchOp', which is not registered"):
        sg.from_json(json.dumps(doc))
    doc["nodes"][0]["op"] = "Reduce"
    doc["nodes"][0]["params"] = {"kind": "sum", "bogus": 1}
    with pytest.raises(sg.GraphFormatError, match=r"node 0 \(Reduce\), params: unknown "
                                                  r"parameter\(s\) bogus"):
        sg.from_json(json.dumps(doc))
    doc["nodes"][0]["params"] = {"kind": "sum", "axis": {"tuple": [3]}}
    with pytest.raises(sg.GraphFormatError, match=r"node 0 \(Reduce\): rebuilding "
                                                  r"sum\{axis=\(3,\)\} on inputs f32\[\?\] "
                                                  r"failed: sum: axis"):
        sg.from_json(json.dumps(doc))


def test_from_json_shared_mapping_errors():
    W = sg.shared(np.ones(3, "float32"), "W")
    text = sg.to_json(W * 2)
    with pytest.raises(TypeError, match=r"shared\['W'\] is f32\[2,2\], the graph expects "
                                        r"float32\[3\]"):
        sg.from_json(text, shared={"W": sg.shared(np.ones((2, 2), "float32"), "W")})
    with pytest.raises(TypeError, match=r"shared\['W'\] is a TensorVariable, not a shared"):
        sg.from_json(text, shared={"W": sg.vector()})
    W2 = sg.shared(np.ones(3, "float32"), "W")
    with pytest.raises(ValueError, match="2 shared variables are named 'W'"):
        sg.from_json(sg.to_json(W * W2), shared={"W": W})


class OpaqueOp(Op):
    """A test op whose parameter (a Python function) has no JSON form."""

    def __init__(self, fn):
        self.fn = fn

    def params(self):
        return {"fn": self.fn}

    def make_node(self, a):
        from symgraph.graph import Apply
        return Apply(self, [a], [a.type])


def test_to_json_names_ops_whose_params_do_not_serialize():
    with pytest.raises(TypeError, match="op opaqueop.*OpaqueOp.*not JSON-serializable"):
        sg.to_json(OpaqueOp(abs)(v))


def test_to_json_rejects_non_graphs():
    with pytest.raises(TypeError, match="to_json\\(\\) takes .* got dict"):
        sg.to_json({"a": v})


def _train_step():
    """An MLP step whose rewritten graph holds gemm, fused kernels and in-place ops."""
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    W = sg.shared(rng.normal(size=(3, 2)), "W")
    b = sg.shared(np.zeros(2), "b")
    h = sg.tanh(sg.dot(x, W) + b)
    loss = sg.mean((h - y) ** 2)
    gW, gb = sg.grad(loss, [W, b])
    f = sg.function([x, y], loss, updates={W: W - 0.1 * gW, b: b - 0.1 * gb})
    return f, W, b


def test_rewritten_graphs_round_trip():
    # The compiled graph (after every pass) as JSON: fused Composites, in-place gemm and
    # kernels, and a scan, rebuilt and run without rewrites, compute what f computes.
    # Rewrites leave downstream static shapes less known than the rebuilt ops infer
    # (reshape(x, shape(x)) whose shape became a constant): from_json merges the two.
    f, W, b = _train_step()
    kinds = {type(n.op).__name__ + ("_inplace" if n.op.destroy_map else "")
             for n in f.graph.apply_nodes}
    assert {"Gemm_inplace", "Composite", "Composite_inplace"} <= kinds
    s = sg.dmatrix("s")
    steps, _ = sg.scan(lambda r, acc: sg.tanh(acc + r), sequences=[s],
                       outputs_info=[sg.zeros_like(s[0])])
    g = sg.function([s], [steps, sg.grad(sg.sum(steps), s)])
    xv, yv, sv = rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    for fn, args in ((f, (xv, yv)), (g, (sv,))):
        want = [v for v in fn.graph.outputs]
        back = sg.from_json(sg.to_json(want))
        assert [str(v.type) for v in back] == [str(v.type) for v in want]
        leaves = {v.name: v for v in free_inputs(back)}
        plain = sg.function([leaves[v.name] for v in fn.inputs], back, rewrites="none",
                            on_unused_input="ignore")
        compiled = sg.function(fn.inputs, want, rewrites="none", on_unused_input="ignore")
        for a, c in zip(plain(*args), compiled(*args), strict=True):
            np.testing.assert_allclose(a, c)
    x = sg.tensor("x", "float64", (2, 1))
    h = sg.function([x], sg.exp(x.reshape((x.shape[0], -1))))
    (out,) = h.graph.outputs
    assert out.type.shape == (None, None)  # shape(x) became the constant (2, -1) upstream
    (back,) = sg.from_json(sg.to_json([out]))
    assert back.type.shape == (2, 1)


def test_in_place_ops_read_back_never_overwrite_what_the_caller_owns():
    # A rewritten train step read back with the live weights, compiled as plain outputs:
    # its in-place gemm used to overwrite W's storage; an in-place op built by hand
    # overwrote the caller's array. function() starts from fresh buffers and lets the
    # inplace pass decide again for the graph at hand.
    f, W, b = _train_step()
    back = sg.from_json(sg.to_json(list(f.graph.outputs)), shared={"W": W, "b": b})
    leaves = {v.name: v for v in free_inputs(back)}
    g = sg.function([leaves["x"], leaves["y"]], back)
    w0 = W.get_value()
    _, new_w, _ = g(rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    np.testing.assert_array_equal(W.get_value(), w0)
    assert not np.array_equal(new_w, w0)
    from symgraph.ops.composite import InplaceElemwise
    v = sg.dvector("v")
    h = sg.function([v], [InplaceElemwise(TABLE["add"], 0)(v, 1.0), v * 2])
    a = np.zeros(3)
    one, two = h(a)
    np.testing.assert_array_equal(a, np.zeros(3))
    np.testing.assert_array_equal(one, np.ones(3))
    np.testing.assert_array_equal(two, np.zeros(3))

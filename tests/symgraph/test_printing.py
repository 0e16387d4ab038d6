"""Text views of graphs: debugprint trees, print(f) listings, f.dump(), pprint one-liners."""

import inspect
import io

import numpy as np
import pytest

import symgraph as sg
from symgraph.printing import dump_function, function_listing, node_id


def lineno() -> int:
    """The caller's line number (listings name the user's line)."""
    return inspect.currentframe().f_back.f_lineno


# ---------------------------------------------------------------- debugprint


def test_debugprint_golden_tree():
    x, w = sg.vector("x"), sg.vector("w")
    loss = sg.sum(sg.exp(x * w + 1.0))
    assert debug(loss) == (
        "sum{axis=None} [id A] f32[]\n"
        " └─ exp [id B] f32[?]\n"
        "    └─ add [id C] f32[?]\n"
        "       ├─ mul [id D] f32[?]\n"
        "       │  ├─ x [id E] f32[?]\n"
        "       │  └─ w [id F] f32[?]\n"
        "       └─ 1.0 [id G] f32[]")


def debug(x, **kw):
    return sg.debugprint(x, file="str", **kw)


def test_debugprint_shared_subexpression_printed_once():
    x = sg.dvector("x")
    a = sg.exp(x)
    b = a * a + a
    assert debug(b) == (
        "add [id A] f64[?]\n"
        " ├─ mul [id B] f64[?]\n"
        " │  ├─ exp [id C] f64[?]\n"
        " │  │  └─ x [id D] f64[?]\n"
        " │  └─ exp [id C] f64[?] ···\n"
        " └─ exp [id C] f64[?] ···")


def test_debugprint_several_roots_share_ids():
    x = sg.dvector("x")
    a = sg.exp(x)
    assert debug([a * 2.0, a]) == (
        "mul [id A] f64[?]\n"
        " ├─ exp [id B] f64[?]\n"
        " │  └─ x [id C] f64[?]\n"
        " └─ 2.0 [id D] f64[]\n"
        "exp [id B] f64[?] ···")


def test_debugprint_leaves_constants_names_and_multi_output():
    c = sg.iscalar("c")
    x = sg.fmatrix("x")
    big = sg.constant(np.ones((3, 4), dtype="float32"))
    h = x + big
    h.name = "h"
    then, other = sg.ifelse(c, [h, sg.constant(np.array([1.5, 2.5], "float32"))],
                            [x, sg.tensor(dtype="float32", shape=(2,))])
    out = debug([then, other])
    assert out == (
        "ifelse{n=2}.0 [id A] f32[?,?]\n"
        " ├─ c [id B] i32[]\n"
        " ├─ add 'h' [id C] f32[3,4]\n"
        " │  ├─ x [id D] f32[?,?]\n"
        " │  └─ const [id E] f32[3,4]\n"
        " ├─ [1.5, 2.5] [id F] f32[2]\n"
        " ├─ x [id D] f32[?,?]\n"
        " └─ <input> [id G] f32[2]\n"
        "ifelse{n=2}.1 [id A] f32[2] ···")


def test_debugprint_depth_and_print_type():
    x = sg.vector("x")
    y = sg.exp(sg.log(sg.sqrt(x)))
    assert debug(y, depth=2) == "exp [id A] f32[?]\n └─ log [id B] f32[?]"
    assert debug(y, print_type=False) == (
        "exp [id A]\n └─ log [id B]\n    └─ sqrt [id C]\n       └─ x [id D]")


def test_debugprint_function_marks_updates():
    x = sg.vector("x")
    W = sg.shared(np.ones(3, dtype="float32"), "W")
    f = sg.function([x], sg.sum(x * W), updates={W: W - x})
    assert debug(f) == (
        "sum{axis=None} [id A] f32[]\n"
        " └─ mul [id B] f32[3]\n"
        "    ├─ x [id C] f32[?]\n"
        "    └─ W [id D] f32[3]\n"
        "sub{inplace=i0} [id E] f32[3] (update of W)\n"
        " ├─ W [id D] f32[3]\n"
        " └─ x [id C] f32[?]")


def test_debugprint_shows_loop_inner_graphs():
    seq, h0 = sg.dmatrix("seq"), sg.dvector("h0")
    outs, _ = sg.scan(lambda xt, h: sg.tanh(xt + h), sequences=[seq], outputs_info=[h0])
    assert debug(outs[-1]) == (
        "subtensor{-1} [id A] f64[?]\n"
        " └─ scan{scan, seqs=1, states=1, maps=0} [id B] f64[?,?]\n"
        "    ├─ shape_i{0} [id C] i64[]\n"
        "    │  └─ seq [id D] f64[?,?]\n"
        "    ├─ seq [id D] f64[?,?]\n"
        "    └─ h0 [id E] f64[?]\n"
        "\n"
        "Inner graph of scan{scan, seqs=1, states=1, maps=0} [id B]:\n"
        "tanh [id F] f64[?]\n"
        " └─ add [id G] f64[?]\n"
        "    ├─ s0 [id H] f64[?]\n"
        "    └─ h0 [id I] f64[?]")


def test_debugprint_of_the_function_graph():
    x = sg.vector("x")
    f = sg.function([x], [sg.exp(x), -x])
    assert debug(f.graph) == debug(f) == debug(f.fgraph.outputs)


def test_debugprint_prints_once_and_returns_text_only_when_asked(capsys):
    x = sg.vector("x")
    text = sg.debugprint(-x, file="str")
    assert capsys.readouterr().out == ""  # 'str': returned, not printed
    assert text.splitlines() == ["neg [id A] f32[?]", " └─ x [id B] f32[?]"]
    assert sg.debugprint(-x) is None  # printed, and nothing for a REPL to show again
    assert capsys.readouterr().out == text + "\n"
    buf = io.StringIO()
    assert sg.debugprint(-x, file=buf) is buf  # Theano returns the file it wrote to
    assert buf.getvalue() == text + "\n"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("bad", [3, "x", np.ones(3), None])
def test_debugprint_rejects_non_graphs(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        sg.debugprint(bad)
    with pytest.raises(TypeError, match="item 1 of the list is a int"):
        sg.debugprint([sg.vector(), 1])


def test_node_ids_follow_theano():
    assert [node_id(i) for i in (0, 1, 25, 26, 27, 51, 52, 26 * 26)] == \
        ["A", "B", "Z", "BA", "BB", "BZ", "CA", "BAA"]


def test_debugprint_deep_chain_is_iterative_and_bounded():
    x = sg.dvector("x")
    y = x
    for _ in range(3000):  # deeper than the recursion limit
        y = y + 1.0
    lines = debug(y).splitlines()
    assert lines[0] == "add [id A] f64[?]"
    assert len(lines) == 3000 * 2 + 1  # each add, its own constant 1.0, and x
    assert sum("add [id" in line for line in lines) == 3000
    assert max(len(line) for line in lines) < 200  # margins fold instead of growing


def test_debugprint_ids_distinct_past_z():
    xs = [sg.scalar(f"x{i}") for i in range(30)]
    total = xs[0]
    for v in xs[1:]:
        total = total + v
    ids = [line.split("[id ")[1].split("]")[0] for line in debug(total).splitlines()]
    assert len(ids) == len(set(ids)) == 59
    assert "BA" in ids and "BB" in ids


# ---------------------------------------------------------------- print(f)


def test_function_listing_golden():
    with sg.config.change(trace_source=False):
        x, w = sg.vector("x"), sg.vector("w")
        f = sg.function([x, w], sg.sum(x * w), rewrites="none")
    assert function_listing(f) == (
        "f(x:f32[?], w:f32[?]) -> (f32[],)\n"
        "  a:f32[?] = mul x w\n"
        "  b:f32[]  = sum{axis=None} a\n"
        "  return (b,)")
    assert str(f) == function_listing(f)


def test_function_listing_shared_constants_updates_and_source_lines():
    x = sg.dvector("x")
    W = sg.shared(np.zeros(3), "W")
    big = sg.constant(np.arange(12.0).reshape(3, 4))
    line = lineno() + 1
    y = sg.dot(x * W, big)
    f = sg.function([x], [y, y.sum()], updates={W: W + 1.0}, rewrites="none", name="step")
    text = function_listing(f)
    here = f"# test_printing.py:{line}"
    assert text.splitlines() == [
        "step(x:f64[?]) -> (f64[4], f64[])",
        "  shared W:f64[3]",
        "  const c:f64[3,4]",
        f"  a:f64[3] = mul x W           {here}",
        f"  b:f64[4] = dot a c           {here}",
        f"  d:f64[]  = sum{{axis=None}} b  # test_printing.py:{line + 1}",
        f"  e:f64[3] = add W 1.0         # test_printing.py:{line + 1}",
        "  W <- e",
        "  return (b, d)"]


def test_function_listing_keeps_user_names_and_avoids_clashes():
    with sg.config.change(trace_source=False):
        a, b = sg.vector("a"), sg.vector("b")
        h = a + b
        h.name = "hidden out"
        f = sg.function([a, b], sg.exp(h) * h, rewrites="none")
    assert function_listing(f).splitlines() == [
        "f(a:f32[?], b:f32[?]) -> (f32[?],)",
        "  hidden_out:f32[?] = add a b",
        "  c:f32[?]          = exp hidden_out",
        "  d:f32[?]          = mul c hidden_out",
        "  return (d,)"]


def test_function_listing_multi_output_node():
    with sg.config.change(trace_source=False):
        c, x = sg.iscalar("c"), sg.vector("x")
        t, e = sg.ifelse(c, [x, x * 2], [-x, x])
        f = sg.function([c, x], [t, e], rewrites="none")
    lines = function_listing(f).splitlines()
    assert lines[0] == "f(c:i32[], x:f32[?]) -> (f32[?], f32[?])"
    assert "  d:f32[?] e:f32[?] = ifelse{n=2} c x a b x" in lines
    assert lines[-1] == "  return (d, e)"


# ---------------------------------------------------------------- f.dump()


def test_dump_is_the_compiled_debugprint():
    x = sg.vector("x")
    f = sg.function([x], sg.exp(x))
    assert dump_function(f) == debug(f)
    buf = io.StringIO()
    assert f.dump(file=buf) is buf and buf.getvalue() == debug(f) + "\n"
    assert f.dump(file="str") == debug(f)


def test_dump_before_and_after_side_by_side():
    x = sg.dvector("x")
    f = sg.function([x], x * (sg.constant(2.0) * sg.constant(3.0)))
    assert f.rewrite_log, "constant folding should have rewritten this graph"
    text = dump_function(f, before=True)
    lines = text.splitlines()
    before, after = debug(f.original[1]), debug(f)
    width = max(len(s) for s in before.splitlines()) + 4
    assert lines[0] == "before rewriting".ljust(width) + "after rewriting"
    assert lines[1] == ""
    for row, left in zip(lines[2:], before.splitlines(), strict=False):
        assert row[:width].rstrip() == left
    right_col = [row[width:] for row in lines[2:2 + len(after.splitlines())]]
    assert right_col == after.splitlines()
    counts = f.rewrite_log.counts()
    summary = lines[-1]
    assert summary.startswith(f"{sum(counts.values())} rewrites applied (")
    for name, k in counts.items():
        assert f"{name} {k}" in summary
    assert summary.endswith("2 nodes before, 1 after")


def test_dump_before_without_rewrites():
    x = sg.vector("x")
    f = sg.function([x], sg.exp(x), rewrites="none")
    assert dump_function(f, before=True).splitlines()[-1] == "no rewrites applied; 1 nodes"


# ---------------------------------------------------------------- pprint

X, Y, Z = sg.dvector("x"), sg.dvector("y"), sg.dvector("z")


@pytest.mark.parametrize("expr, text", [
    (sg.sum(sg.exp(X * Y + 1.0)), "sum(exp(x * y + 1.0))"),
    ((X - Y) - Z, "x - y - z"),
    (X - (Y - Z), "x - (y - z)"),
    ((X + Y) * Z, "(x + y) * z"),
    (X / (Y * Z), "x / (y * z)"),
    (-X ** 2, "-x ** 2.0"),
    ((-X) ** 2, "(-x) ** 2.0"),
    ((X ** Y) ** Z, "(x ** y) ** z"),
    (X ** (Y ** Z), "x ** y ** z"),
    (X ** -Y, "x ** -y"),
    (-(X + Y), "-(x + y)"),
    ((X < Y) & (Y < Z), "(x < y) & (y < z)"),
    (X * -1.0, "x * -1.0"),
    (X[1:3] + 1, "x[1:3] + 1.0"),
    ((X + Y)[0], "(x + y)[0]"),
    (sg.mean(sg.dmatrix("m"), axis=1, keepdims=True), "mean(m, axis=1, keepdims=True)"),
    (sg.dmatrix("a") @ sg.dmatrix("b"), "a @ b"),
    (sg.cast(X, "float32"), "cast{float32}(x)"),
])
def test_pprint_infix_and_calls(expr, text):
    assert sg.pprint(expr) == text


@pytest.mark.parametrize("make", [
    lambda x, y, z: (x - y) - z * 2.0,
    lambda x, y, z: x - (y - z) / (x + 3.0),
    lambda x, y, z: -(x + y) ** 2.0 * z,
    lambda x, y, z: (-x) ** 2.0 - x ** -y,
    lambda x, y, z: x ** y ** 0.5 + (x ** y) ** 0.5,
    lambda x, y, z: (x * y) % (z + 5.0) // 2.0,
    lambda x, y, z: ((x < y) & (y < z)) | (x >= z),
    lambda x, y, z: sg.eq(x < y, y < z) | sg.neq(x, z),
])
def test_pprint_means_what_the_graph_computes(make):
    """The one-liner is valid Python: evaluating it on arrays gives the compiled result."""
    xs = np.array([0.5, 1.5, 2.0]), np.array([2.0, 0.25, 1.0]), np.array([1.0, 3.0, 0.5])
    expr = make(X, Y, Z)
    text = sg.pprint(expr)
    f = sg.function([X, Y, Z], expr, on_unused_input="ignore")
    expected = f(*xs)
    got = eval(text, {}, dict(zip("xyz", xs, strict=True)))
    np.testing.assert_allclose(got, expected)


def test_pprint_names_shared_subexpressions():
    x, y = sg.dvector("x"), sg.dvector("y")
    a = sg.exp(x + y) * sg.log(x - y)
    b = a * a / sg.sqrt(x)
    assert sg.pprint(b) == "t0 * t0 / sqrt(x)  where t0 = exp(x + y) * log(x - y)"
    assert sg.pprint(sg.exp(x) * sg.exp(x)) == "exp(x) * exp(x)"  # short: repeated


def test_pprint_several_outputs_define_names_below():
    x, y = sg.dvector("x"), sg.dvector("y")
    a = sg.exp(x + y) * sg.log(x - y)
    c = sg.tanh(a + sg.sqrt(x * y))
    assert sg.pprint([a * a, c * c]) == (
        "t0 * t0\n"
        "t1 * t1\n"
        "where t0 = exp(x + y) * log(x - y)\n"
        "      t1 = tanh(t0 + sqrt(x * y))")


def test_pprint_stays_linear_on_heavy_sharing():
    x = sg.dvector("x")
    y = sg.exp(x) + 1.0
    for _ in range(40):  # fully expanded, this would be 2**40 copies of exp(x)
        y = y * y + 1.0
    text = sg.pprint(y)
    assert len(text) < 3000
    assert text.count("where") == 1


def test_pprint_lists_and_functions():
    x = sg.vector("x")
    W = sg.shared(np.ones(3, "float32"), "W")
    assert sg.pprint([x + 1.0, -x]) == "x + 1.0\n-x"
    f = sg.function([x], sg.sum(x * W), updates={W: W * 0.5}, rewrites="none")
    assert sg.pprint(f) == "sum(x * W)\nW <- W * 0.5"


def test_pprint_rejects_non_graphs():
    with pytest.raises(TypeError, match="pprint\\(\\) takes a symbolic variable.*dict"):
        sg.pprint({})


def test_printing_large_graph_smoke():
    # 10k nodes of a wide, shared DAG: every text view completes (speed lives in bench/).
    x = sg.dvector("x")
    vals = [x]
    for i in range(10_000):
        vals.append(vals[-1] * 0.5 + vals[i // 2])
    y = vals[-1]
    assert debug(y).count("\n") > 10_000
    assert "where" in sg.pprint(y)

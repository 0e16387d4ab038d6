"""The driver: passes run to a fixpoint, every change logged, budgets and type guards."""

import os

import numpy as np
import pytest

import symgraph as sg
from symgraph.fgraph import RewriteTypeError
from symgraph.ops import elemwise as ew
from symgraph.rewrite import Pass, Rewrite, register_rewrite, unregister_rewrite
from symgraph.rewrite.driver import RewriteLog, expr_str

from .helpers import assert_same, compile_both, fired, op_names

HERE = os.path.basename(__file__)


@pytest.fixture
def registered():
    """Register test rewrites (off by default) and remove them afterwards."""
    added = []

    def add(pass_name, name, fn, tracks):
        register_rewrite(pass_name, Rewrite(name, fn, tracks, default=False))
        added.append((pass_name, name))

    yield add
    for pass_name, name in added:
        unregister_rewrite(pass_name, name)


def test_log_records_pass_rule_before_after_and_the_users_line():
    x = sg.dvector("x")
    out = sg.log(sg.exp(x)) * 1  # this line is in the log
    line = __import__("inspect").currentframe().f_lineno - 1
    f = sg.function([x], out)
    records = f.rewrite_log.of("log_exp")
    assert len(records) == 1
    r = records[0]
    assert (r.pass_name, r.before, r.after) == ("canonicalize", "log(exp(x))", "x")
    assert r.source.endswith(f"{HERE}:{line}")
    assert "canonicalize.log_exp: log(exp(x))  ->  x   [" in str(f.rewrite_log)


def test_an_unused_rewrite_is_off_until_included(registered):
    registered("canonicalize", "exp_to_sqrt", lambda fg, node: [ew.sqrt(node.inputs[0])],
               ("exp",))
    x = sg.dvector("x")
    assert op_names(sg.function([x], sg.exp(x))) == ["exp"]
    f = sg.function([x], sg.exp(x), include=["exp_to_sqrt"])
    assert op_names(f) == ["sqrt"] and fired(f, "exp_to_sqrt") == 1


def test_a_looping_rewrite_stops_at_the_budget_with_a_warning(registered):
    def loop(fgraph, node):  # exp(x) -> a fresh exp(x), forever
        return [ew.exp(node.inputs[0])]

    registered("canonicalize", "endless", loop, ("exp",))
    x = sg.dvector("x")
    with pytest.warns(RuntimeWarning, match="pass 'canonicalize' stopped: budget exceeded.*"
                                            "rewrite 'endless' fired"):
        f = sg.function([x], sg.exp(x) + 1.0, include=["endless"], exclude=["merge"])
    np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0])


def test_a_growing_rewrite_stops_at_the_growth_budget(registered):
    registered("canonicalize", "grow", lambda fg, node: [ew.exp(node.inputs[0]) * 1.5 / 1.5],
               ("exp",))
    x = sg.dvector("x")
    with pytest.warns(RuntimeWarning, match="graph grew.*'grow'"):
        sg.function([x], sg.exp(x), include=["grow"], exclude=["merge"])


def test_a_replacement_of_another_dtype_is_caught(registered):
    registered("canonicalize", "bad_dtype", lambda fg, node: [ew.cast(node.outputs[0]
                                                                      .owner.inputs[0],
                                                                      "float32")], ("exp",))
    x = sg.dvector("x")
    with pytest.raises(RewriteTypeError, match=r"rewrite canonicalize\.bad_dtype replaced a "
                                               r"f64\[\?\] variable by a f32\[\?\] one"):
        sg.function([x], sg.exp(x), include=["bad_dtype"])


def test_a_replacement_of_another_static_shape_is_caught(registered):
    registered("canonicalize", "bad_shape",
               lambda fg, node: [sg.zeros((4,), dtype="float64")], ("exp",))
    x = sg.tensor("x", "float64", (3,))
    with pytest.raises(RewriteTypeError, match=r"bad_shape replaced a f64\[3\] variable by "
                                               r"a f64\[4\]"):
        sg.function([x], sg.exp(x), include=["bad_shape"])


def test_a_replacement_that_uses_what_it_replaces_is_caught(registered):
    registered("canonicalize", "cyclic", lambda fg, node: [node.outputs[0] + 0.0], ("exp",))
    x = sg.dvector("x")
    with pytest.raises(AssertionError, match="cyclic replaced exp"):
        sg.function([x], sg.exp(x), include=["cyclic"])


def test_nodes_a_rewrite_duplicates_are_merged(registered):
    registered("canonicalize", "tanh_to_exps",
               lambda fg, node: [ew.exp(node.inputs[0]) - ew.exp(node.inputs[0])], ("tanh",))
    x = sg.dvector("x")
    f = sg.function([x], sg.tanh(x), include=["tanh_to_exps"], exclude=["sub_self"],
                    rewrites=["canonicalize"])
    assert fired(f, "merge") == 1 and op_names(f) == ["exp", "sub"]


@pytest.mark.parametrize("mode, passes", [
    ("none", set()),
    ("fast_compile", {"merge", "constant_fold"}),
    (["canonicalize"], {"canonicalize"}),
])
def test_modes_select_passes(mode, passes):
    x = sg.dvector("x")
    c = sg.constant(2.0, "float64")
    out = sg.exp(c) * (x + x) * 1 + sg.log(sg.exp(x)) + sg.exp(x)  # exp(x) twice: merge
    f, g = compile_both([x], out, rewrites=mode)
    assert {r.pass_name for r in f.rewrite_log} == passes
    assert_same(f, g, np.array([0.5, 1.0]))


def test_fast_run_runs_every_pass_in_order():
    assert list(sg.rewrite.PIPELINE) == ["merge", "constant_fold", "canonicalize",
                                         "stabilize", "specialize", "fusion", "inplace"]
    x = sg.dvector("x")
    f = sg.function([x], sg.log(1 + sg.exp(x) * 1) ** 2 + sg.exp(x) + x)
    order = [sg.rewrite.PIPELINE.index(r.pass_name) for r in f.rewrite_log]
    assert order == sorted(order) and len(set(order)) >= 4


def test_exclude_by_rewrite_name():
    x = sg.dvector("x")
    f = sg.function([x], x * 1, exclude=["mul_one"], rewrites=["canonicalize"])
    assert op_names(f) == ["mul"]


def test_excluding_or_including_an_unknown_name_is_an_error():
    x = sg.dvector("x")
    with pytest.raises(ValueError, match="no rewrite or pass named 'mul_onee'"):
        sg.function([x], x * 1, exclude=["mul_onee"])
    with pytest.raises(ValueError, match="no rewrite or pass named 'nope'"):
        sg.function([x], x * 1, include=["nope"])
    with pytest.raises(ValueError, match="unknown rewrite pass"):
        sg.function([x], x * 1, rewrites=["canonicalise"])


def test_an_included_rewrite_runs_alone_in_an_unselected_pass():
    x = sg.dvector("x")
    f = sg.function([x], sg.log(1 + x) * 1, rewrites="fast_compile", include=["log1p"])
    assert fired(f, "log1p") == 1 and fired(f, "mul_one") == 0
    assert sorted(op_names(f)) == ["log1p", "mul"]


def test_pass_rejects_a_second_rewrite_of_the_same_name():
    p = Pass("p", [Rewrite("r", lambda fg, n: None)])
    with pytest.raises(ValueError, match="already has a rewrite named 'r'"):
        p.add(Rewrite("r", lambda fg, n: None))


def test_log_helpers_and_expr_str():
    x = sg.dvector("x")
    f = sg.function([x], sg.log(sg.exp(x * 1)))
    assert isinstance(f.rewrite_log, RewriteLog)
    assert f.rewrite_log.counts()["mul_one"] == 1
    assert f.rewrite_log.names().index("mul_one") < f.rewrite_log.names().index("log_exp")
    assert expr_str(sg.exp(sg.log(sg.exp(sg.exp(x))))) == "exp(log(exp(…)))"
    assert str(RewriteLog()) == "(no rewrites applied)"


def test_rewrites_keep_the_users_names():
    x = sg.dmatrix("x")
    h = sg.tanh(x * 1.0)
    h.name = "hidden"
    f = sg.function([x], [h * 2.0, h])
    assert "hidden" in f.source


def test_every_registered_rewrite_is_named_by_a_rewrite_test():
    """A new rewrite without a test (that checks it fires, by name) fails here."""
    import pathlib
    import re

    from symgraph.rewrite import PASSES
    names = {r.name for p in PASSES.values() for r in p.rewrites if r.default}
    here = pathlib.Path(__file__).parent
    quoted = set()
    for path in here.glob("test_*.py"):
        quoted |= set(re.findall(r'"([a-z0-9_]+)"', path.read_text()))
    assert sorted(names - quoted) == []


def test_a_rewrite_that_raises_is_named_with_the_node_and_the_users_line(registered):
    # A bug in a rewrite (log(sigmoid(b)) on bool b once raised "neg is not defined for
    # dtype(s) bool" from deep inside the pass) is reported naming the rewrite, the node,
    # its input types and the line that built it, with the way around it.
    def broken(fgraph, node):
        raise TypeError("boom")

    registered("canonicalize", "broken_on_exp", broken, ("exp",))
    x = sg.dvector("x")
    out = sg.exp(x)
    line = __import__("inspect").currentframe().f_lineno - 1
    with pytest.raises(RuntimeError, match=rf"rewrite 'broken_on_exp' failed on exp\(x\) "
                                           rf"\(inputs f64\[\?\]\), built at .*{HERE}:{line}: "
                                           rf"TypeError: boom \(exclude='broken_on_exp'"):
        sg.function([x], out, include=["broken_on_exp"])

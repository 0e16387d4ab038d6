"""FunctionGraph: a private copy with clients tracked; replace, prune, type checks."""

import numpy as np
import pytest

import symgraph as sg
from symgraph.fgraph import OUTPUT, FunctionGraph, RewriteTypeError, check_replacement


def build():
    x = sg.dvector("x")
    a = sg.exp(x)
    b = sg.log(a)
    out = b + a
    return x, out


def test_the_copy_is_private_and_clients_are_tracked():
    x, out = build()
    fg = FunctionGraph([x], [out])
    fg.check_integrity()
    assert len(fg) == 3
    assert fg.outputs[0] is not out  # cloned: rewriting it cannot touch the user's graph
    assert not (set(fg.apply_nodes) & set(sg.toposort([out])))
    (add,) = [n for n in fg.apply_nodes if n.op.name == "add"]
    exp_out = add.inputs[1]
    assert exp_out.owner.op.name == "exp"
    users = {client.op.name for client, _ in fg.clients[exp_out]}
    assert users == {"log", "add"}
    assert list(fg.clients[fg.outputs[0]]) == [(OUTPUT, 0)]
    assert list(fg.clients[x]) == [(exp_out.owner, 0)]


def test_replace_redirects_every_use_and_prunes_dead_nodes():
    x, out = build()
    fg = FunctionGraph([x], [out])
    (log_node,) = [n for n in fg.apply_nodes if n.op.name == "log"]
    revision = fg.revision
    fg.replace(log_node.outputs[0], x, reason="test.log_exp")
    fg.check_integrity()
    assert fg.revision == revision + 1
    assert log_node not in fg.apply_nodes
    assert {n.op.name for n in fg.apply_nodes} == {"exp", "add"}
    f = sg.function([x], out)
    v = np.array([0.5, 2.0])
    np.testing.assert_allclose(f(v), v + np.exp(v))


def test_replacing_an_output_updates_the_outputs_list():
    x, out = build()
    fg = FunctionGraph([x], [out])
    new = sg.sin(x)
    imported = fg.replace(fg.outputs[0], new)
    assert fg.outputs == [new]
    assert [n.op.name for n in imported] == ["sin"]
    assert len(fg) == 1
    fg.check_integrity()


def test_replace_with_itself_does_nothing():
    x, out = build()
    fg = FunctionGraph([x], [out])
    assert fg.replace(fg.outputs[0], fg.outputs[0]) == []
    assert fg.revision == 0


def test_import_var_brings_in_only_new_nodes_in_order():
    x, out = build()
    fg = FunctionGraph([x], [out])
    (exp_node,) = [n for n in fg.apply_nodes if n.op.name == "exp"]
    y = sg.cos(sg.sin(exp_node.outputs[0]))
    new_nodes = fg.import_var(y)
    assert [n.op.name for n in new_nodes] == ["sin", "cos"]
    assert fg.import_var(y) == []


@pytest.mark.parametrize("replacement, what", [
    (lambda x: sg.exp(x).astype("float32"), r"f64\[\?\] variable by a f32\[\?\]"),
    (lambda x: sg.exp(x).dimshuffle("x", 0), r"f64\[\?\] variable by a f64\[1,\?\]"),
])
def test_a_replacement_of_another_type_is_refused(replacement, what):
    x, out = build()
    fg = FunctionGraph([x], [out])
    with pytest.raises(RewriteTypeError, match=rf"rewrite bad.rule replaced a {what}"):
        fg.replace(fg.outputs[0], replacement(x), reason="bad.rule")


def test_a_replacement_must_agree_with_known_static_dims():
    old = sg.dvector("a", shape=(3,))
    check_replacement(old, sg.dvector("b"))  # unknown agrees with anything
    check_replacement(old, sg.dvector("c", shape=(3,)))
    with pytest.raises(RewriteTypeError, match=r"replaced a f64\[3\] variable by a f64\[4\]"):
        check_replacement(old, sg.dvector("d", shape=(4,)))


def test_shared_and_constant_leaves_are_kept_not_copied():
    w = sg.shared(np.ones(2), "w")
    x = sg.dvector("x")
    fg = FunctionGraph([x], [x * w + 1.0])
    leaves = {v for n in fg.apply_nodes for v in n.inputs if v.owner is None}
    assert w in leaves and x in leaves


def test_ordering_constraints_carry_over_to_replacements_both_ways():
    # The reverse index (node -> nodes waiting for it) moves with the constraints; it
    # replaced a scan of every constraint per replacement.
    x = sg.dvector("x")
    a, b, c = sg.exp(x), sg.log(x), sg.sin(x)
    fg = FunctionGraph([x], [a, b, c])
    na, nb, nc = (v.owner for v in fg.outputs)
    fg.add_ordering(nc, {na, nb})  # c waits for a and b
    assert fg.waiting[na] == {nc} and fg.waiting[nb] == {nc}
    new_a = sg.cos(fg.outputs[0].owner.inputs[0])
    fg.replace(fg.outputs[0], new_a)
    assert new_a.owner in fg.orderings[nc] and fg.waiting[new_a.owner] == {nc}
    new_c = sg.tan(fg.outputs[2].owner.inputs[0])
    fg.replace(fg.outputs[2], new_c)
    assert fg.orderings[new_c.owner] >= {new_a.owner, nb}
    assert new_c.owner in fg.waiting[nb]
    order = fg.toposort()
    assert order.index(new_c.owner) > order.index(new_a.owner)
    assert order.index(new_c.owner) > order.index(nb)

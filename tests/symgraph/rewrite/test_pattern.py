"""Declarative patterns: matching, bindings, commutativity, op parameters, fit_to."""

import numpy as np

import symgraph as sg
from symgraph.rewrite.pattern import P, fit_to, rule

x, y = P.var("x"), P.var("y")


def test_op_pattern_binds_variables():
    a = sg.dvector("a")
    b = P.log(P.exp(x)).match(sg.log(sg.exp(a)), {})
    assert b == {"x": a}
    assert P.log(P.exp(x)).match(sg.exp(sg.log(a)), {}) is None


def test_a_name_used_twice_must_bind_the_same_variable():
    a, c = sg.dvector("a"), sg.dvector("c")
    assert (x - x).match(a - a, {}) == {"x": a}
    assert (x - x).match(a - c, {}) is None


def test_commutative_rows_match_both_orders():
    a = sg.dvector("a")
    assert (x * 1).match(1.0 * a, {}) == {"x": a}
    assert (x * 1).match(a * 1.0, {}) == {"x": a}
    assert (x - 0).match(0.0 - a, {}) is None  # sub is not commutative


def test_constants_must_be_scalar_like_and_equal():
    a = sg.dvector("a")
    assert (x + 0).match(a + np.zeros((1,)), {}) == {"x": a}
    assert (x + 0).match(a + np.zeros(3), {}) is None  # not size 1
    assert (x + 0).match(a + 1e-300, {}) is None
    assert P.const("c").match(sg.constant(3.0), {})["c"].data == 3.0


def test_when_guards_a_variable():
    a, i = sg.dvector("a"), sg.ivector("i")
    pat = P.var("v", when=lambda v: v.dtype == "int32") * 2
    assert pat.match(i * 2, {}) is not None and pat.match(a * 2, {}) is None


def test_op_parameters_must_equal():
    m = sg.dmatrix("m")
    assert P.sum(x, axis=(1,)).match(m.sum(axis=1), {}) == {"x": m}
    assert P.sum(x, axis=(0,)).match(m.sum(axis=1), {}) is None


def test_rule_applies_replacement_and_casts_to_the_old_dtype():
    r = rule("double_neg", P.neg(P.neg(x)), lambda x: x)
    a = sg.dvector("a")
    out = -(sg.neg(a))
    (new,) = r.fn(None, out.owner)
    assert new is a
    assert r.tracks == ("neg",) and "neg(neg(x))" in r.doc


def test_a_replacement_taking_out_gets_the_replaced_variable():
    seen = []
    r = rule("neg_in_out_dtype", 0 - x, lambda x, out: seen.append(out) or sg.neg(x))
    a = sg.ivector("a")
    old = sg.constant(0, "int64") - a
    (new,) = r.fn(None, old.owner)
    assert seen == [old] and new.dtype == "int64"


def test_fit_to_casts_and_refuses_shape_changes():
    a = sg.vector("a", dtype="float32")
    old = sg.dvector("old")
    assert fit_to(a, old).dtype == "float64"
    assert fit_to(sg.dmatrix("m"), old) is None  # another rank
    fixed = sg.tensor("f", "float64", (3,))
    assert fit_to(sg.tensor("one", "float64", (1,)), fixed) is None  # a 1 for a 3
    assert fit_to(sg.dvector("v"), fixed) is not None  # unknown is fine

"""The op contract's registry and declared facts: a user's op of a built-in's class name
does not replace the built-in; every op answers lazy / elementwise / fresh /
nondeterministic as plain attributes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import symgraph as sg
from symgraph.graph import Apply
from symgraph.ops.reduce import Reduce as BuiltinReduce
from symgraph.ops.registry import OPS, Op, find_op_class, op_key
from symgraph.serialize import from_json, to_json


def _user_reduce() -> type[Op]:
    @dataclass(frozen=True)
    class Reduce(Op):  # the same class name as the built-in reduction
        """Doubles its input (a user's op that happens to be called Reduce)."""

        def make_node(self, x):
            x = sg.as_tensor(x)
            return Apply(self, [x], [x.type])

        def perform(self, node, x):
            return 2 * x

    return Reduce


def test_a_user_op_named_like_a_builtin_does_not_replace_it():
    user = _user_reduce()
    assert OPS["Reduce"] is BuiltinReduce
    assert OPS[op_key(user)] is user and op_key(user).endswith("_user_reduce.<locals>.Reduce")
    x = sg.dvector("x")
    (y,) = from_json(to_json([sg.sum(x)]))  # the built-in still reads back
    f = sg.function([y.owner.inputs[0]], y)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 4.0])), 7.0)


def test_a_user_op_round_trips_under_its_qualified_name():
    user = _user_reduce()
    x = sg.dvector("x")
    doc = to_json([user()(x)])
    assert op_key(user) in doc
    (y,) = from_json(doc)
    assert type(y.owner.op) is user
    np.testing.assert_allclose(sg.function([y.owner.inputs[0]], y)(np.array([1.5])), [3.0])


def test_a_plain_class_name_still_finds_a_unique_class():
    assert find_op_class("Reduce") is BuiltinReduce
    assert find_op_class("NoSuchOp") is None


def test_op_facts_are_declared_with_defaults():
    x = sg.dvector("x")
    plain, draw = sg.exp(x).owner.op, BuiltinReduce("sum")
    assert (plain.lazy, plain.nondeterministic) == (False, False)
    assert plain.elementwise and plain.fresh  # an Elemwise row computes a new array
    assert not sg.exp(sg.dmatrix("m")).T.owner.op.fresh  # a view
    assert draw.fresh and not Op.fresh and not Op.elementwise and not Op.lazy
    branch = sg.ifelse(sg.constant(True), x, x).owner.op
    assert branch.lazy
    assert sg.RandomStream(0).normal((2,)).owner.op.nondeterministic


def test_a_user_op_named_gemm_keeps_its_own_inplace_parameter():
    @dataclass(frozen=True)
    class Gemm(Op):  # the same class name as the built-in BLAS op
        """Adds 1, or 2 when `inplace` (a user's parameter that only shares the name)."""

        inplace: bool = False

        def make_node(self, x):
            x = sg.as_tensor(x)
            return Apply(self, [x], [x.type])

        def perform(self, node, x):
            return x + (2 if self.inplace else 1)

    x = sg.dvector("x")
    (y,) = from_json(to_json([Gemm(inplace=True)(x)]))
    assert type(y.owner.op) is Gemm and y.owner.op.inplace  # not turned off as symgraph's
    np.testing.assert_allclose(sg.function([y.owner.inputs[0]], y)(np.array([1.0])), [3.0])

"""Buffer aliasing (symgraph/alias.py): views lead back to the owner of the memory."""

import symgraph as sg
from symgraph.alias import alias_inputs, buffer_origin, buffer_origins


def test_views_lead_back_to_the_allocating_variable():
    x = sg.dmatrix("x")
    e = sg.exp(x)  # a new array
    v = e.T.dimshuffle(1, 0)  # views of it
    assert buffer_origins(v) == {e} and buffer_origin(v) is e
    assert buffer_origin(x) is x and alias_inputs(e.owner, 0) == []
    assert alias_inputs(v.owner, 0) == [v.owner.inputs[0]]


def test_ifelse_may_pass_either_branch_so_the_origin_is_not_one():
    a, b = sg.dvector("a"), sg.dvector("b")
    c = sg.ifelse(sg.bscalar("c"), a, b)
    assert buffer_origins(c) == {a, b} and buffer_origin(c) is None
    same = sg.ifelse(sg.bscalar("c"), a, a)
    assert buffer_origin(same) is a

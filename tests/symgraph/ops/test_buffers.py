"""Double-buffered updates: the private spare is used only when nothing else holds it."""

import json

import numpy as np

import symgraph as sg
from symgraph.graph import StorageCell, toposort
from symgraph.ops.buffers import UpdateBuffer, take_spare


def test_take_spare_reuses_only_a_private_array_of_the_right_kind():
    like = np.ones((2, 3))
    slot = StorageCell(np.zeros((2, 3)))
    spare_id = id(slot.value)
    assert id(take_spare(slot, like)) == spare_id
    held = slot.value  # someone else holds it now
    fresh = take_spare(slot, like)
    assert fresh is not held and fresh.shape == (2, 3)
    del held
    slot.value = np.zeros((3, 3))
    assert take_spare(slot, like).shape == (2, 3)  # wrong shape: a new array
    slot.value = np.zeros((2, 3), dtype="float32")
    assert take_spare(slot, like).dtype == np.float64
    ro = np.zeros((2, 3))
    ro.setflags(write=False)
    slot.value = ro
    del ro
    assert take_spare(slot, like).flags.writeable
    slot.value = np.zeros((2, 3))
    copied = take_spare(slot, like, copy=True)
    np.testing.assert_array_equal(copied, like)
    assert copied is not like


def test_a_shared_variable_whose_shape_changes_between_calls():
    w = sg.shared(np.zeros(3), name="w", shape=(None,))
    f = sg.function([], [], updates={w: w + 1.0})
    f()
    w.set_value(np.zeros(5))
    f()
    f()
    np.testing.assert_array_equal(w.get_value(), np.full(5, 2.0))


def test_a_rewritten_graph_with_update_buffers_reads_back_from_json():
    w = sg.shared(np.arange(3.0), name="w")
    f = sg.function([], [], updates={w: w * 2.0})
    assert any(isinstance(n.op, UpdateBuffer) for n in f.graph.apply_nodes)
    text = sg.to_json(list(f.graph.outputs))
    assert '"UpdateBuffer"' in json.loads(json.dumps(text))
    (back,) = sg.from_json(text, shared={"w": w})
    (buf,) = [n for n in toposort([back]) if isinstance(n.op, UpdateBuffer)]
    assert buf.op is not next(n.op for n in f.graph.apply_nodes
                              if isinstance(n.op, UpdateBuffer))  # a slot of its own
    g = sg.function([], back)
    np.testing.assert_array_equal(g(), [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0])

"""The NumPy backend's aliasing rules: what a compiled function hands out never shares
memory with the caller's arrays, shared storage (old or new), constants or another
output; every shared variable owns its buffer; updates apply all at once, after the
outputs. Checked with and without rewrites (the in-place pass writes into buffers)."""

import numpy as np
import pytest

import symgraph as sg

MODES = ["fast_run", "none"]


def shares(a, b):
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.shares_memory(a, b)


def no_two_share(arrays):
    return not any(shares(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])


@pytest.mark.parametrize("mode", MODES)
def test_outputs_never_alias_the_arguments_or_each_other(mode):
    x = sg.dmatrix("x")
    outs = [x, x.T, x.reshape((-1,)), x[1:], x.dimshuffle(1, 0), sg.identity(x), x[:, None],
            sg.ifelse(sg.gt(sg.sum(x), -1e9), x, x * 2), sg.flatten(x), sg.squeeze(x[:1]),
            sg.disconnected_grad(x)]
    f = sg.function([x], outs, rewrites=mode)
    a = np.arange(6.0).reshape(2, 3)
    res = f(a)
    assert not any(shares(r, a) for r in res)
    assert no_two_share(res)
    np.testing.assert_array_equal(res[1], a.T)


@pytest.mark.parametrize("mode", MODES)
def test_outputs_never_alias_shared_storage(mode):
    s = sg.shared(np.arange(6.0).reshape(2, 3), "s")
    c = sg.bscalar("c")
    outs = [s, s.T, s[1:], s.reshape((-1,)), sg.ifelse(c, s, s * 2), s * 1, s + 0]
    res = sg.function([c], outs, rewrites=mode)(True)
    assert not any(shares(r, s.get_value(borrow=True)) for r in res)
    res[0][0, 0] = 100.0
    assert s.get_value()[0, 0] == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_constants_are_handed_out_as_writable_copies(mode):
    k = sg.constant(np.arange(4.0))
    f = sg.function([], [k, k[1:], k.reshape((2, 2))], rewrites=mode)
    for r in f():
        assert r.flags.writeable
        r[...] = -1.0
    np.testing.assert_array_equal(f()[0], np.arange(4.0))


@pytest.mark.parametrize("mode", MODES)
def test_an_output_that_is_also_updated_shows_the_old_value(mode):
    s = sg.shared(np.ones(3), "s")
    f = sg.function([], s, updates={s: s + 1}, rewrites=mode)
    first, second = f(), f()
    np.testing.assert_array_equal(first, np.ones(3))
    np.testing.assert_array_equal(second, np.full(3, 2.0))
    g = sg.function([], s * 2, updates={s: s * 2}, rewrites=mode)  # one node, two uses
    out = g()
    out[...] = 0.0
    np.testing.assert_array_equal(s.get_value(), np.full(3, 6.0))


@pytest.mark.parametrize("mode", MODES)
def test_updates_apply_at_once(mode):
    a, b, c = (sg.shared(np.array(v), n) for v, n in
               (([1.0, 2.0], "a"), ([3.0, 4.0], "b"), ([5.0, 6.0], "c")))
    rotate = sg.function([], [], updates=[(a, b), (b, c), (c, a)], rewrites=mode)
    rotate()
    assert [list(v.get_value()) for v in (a, b, c)] == [[3, 4], [5, 6], [1, 2]]
    rotate()
    assert [list(v.get_value()) for v in (a, b, c)] == [[5, 6], [1, 2], [3, 4]]
    assert no_two_share([v.get_value(borrow=True) for v in (a, b, c)])
    a.set_value(np.array([1.0, 2.0]))
    b.set_value(np.array([3.0, 4.0]))
    sg.function([], [], updates=[(a, a + b), (b, a - b)], rewrites=mode)()
    assert list(a.get_value()) == [4, 6] and list(b.get_value()) == [-2, -2]


@pytest.mark.parametrize("mode", MODES)
def test_an_update_to_a_view_of_another_shared_variable_or_an_argument_is_a_copy(mode):
    a = sg.shared(np.arange(4.0).reshape(2, 2), "a")
    b = sg.shared(np.arange(4.0, 8.0).reshape(2, 2), "b")
    x = sg.dmatrix("x")
    xv = np.array([[9.0, 8.0], [7.0, 6.0]])
    sg.function([x], [], updates=[(a, b.T), (b, x[::-1])], rewrites=mode)(xv)
    assert not shares(a.get_value(borrow=True), b.get_value(borrow=True))
    np.testing.assert_array_equal(a.get_value(), [[4.0, 6.0], [5.0, 7.0]])
    xv[...] = 0.0
    assert b.get_value()[0, 0] == 7.0


@pytest.mark.parametrize("mode", MODES)
def test_two_updates_to_one_value_get_buffers_of_their_own(mode):
    # Both shared variables were given the same array, so updating one in place (the
    # in-place pass does that for a + 1) changed the other.
    a, b = sg.shared(np.zeros(2), "a"), sg.shared(np.zeros(2), "b")
    x = sg.dvector("x")
    bump = sg.function([], [], updates={a: a + 1}, rewrites=mode)
    for value_a, value_b in ((x * 2, x * 2), (sg.exp(x), sg.exp(x)[::-1])):
        sg.function([x], [], updates={a: value_a, b: value_b}, rewrites=mode)(np.zeros(2))
        assert not shares(a.get_value(borrow=True), b.get_value(borrow=True))
        before = b.get_value()
        bump()
        np.testing.assert_array_equal(b.get_value(), before)
    out = sg.function([x], x * 2, updates={a: x * 2, b: x * 2}, rewrites=mode)(np.ones(2))
    assert no_two_share([out, a.get_value(borrow=True), b.get_value(borrow=True)])


@pytest.mark.parametrize("mode", MODES)
def test_in_place_updates_wait_for_every_reader_of_the_old_value(mode):
    w = sg.shared(np.ones((3, 3)), "w")
    x = sg.dmatrix("x")
    y = sg.dot(x, w)
    g = sg.grad(sg.sum(y ** 2), w)
    f = sg.function([x], [y, w * 1, w, w[1:]], updates={w: w - 0.1 * g}, rewrites=mode)
    xv, w0 = np.eye(3) * 2.0, w.get_value()
    yv, w1, w2, w3 = f(xv)
    np.testing.assert_allclose(yv, xv @ w0)
    np.testing.assert_array_equal(w1, w0)
    np.testing.assert_array_equal(w2, w0)
    np.testing.assert_array_equal(w3, w0[1:])
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * 2 * xv.T @ (xv @ w0))


@pytest.mark.parametrize("mode", MODES)
def test_updates_reading_the_old_value_of_an_updated_variable(mode):
    a, b = sg.shared(np.ones(3), "a"), sg.shared(np.zeros(3), "b")
    m = sg.shared(np.arange(4.0).reshape(2, 2), "m")
    v = sg.shared(np.zeros(4), "v")
    f = sg.function([], [], updates={a: a * 3, b: a + b, m: m * 2 + 1,
                                     v: m.reshape((-1,)) + m.T.reshape((-1,))}, rewrites=mode)
    m0 = m.get_value()
    f()
    np.testing.assert_array_equal(b.get_value(), np.ones(3))
    np.testing.assert_array_equal(v.get_value(), m0.ravel() + m0.T.ravel())
    f()
    np.testing.assert_array_equal(a.get_value(), np.full(3, 9.0))
    np.testing.assert_array_equal(b.get_value(), np.full(3, 4.0))


@pytest.mark.parametrize("mode", MODES)
def test_repeated_calls_leave_earlier_results_alone(mode):
    x = sg.dvector("x")
    out = sg.exp(x) * 2 + 1
    f = sg.function([x], [out, out * 3], rewrites=mode)
    first = f(np.zeros(3))
    kept = [r.copy() for r in first]
    second = f(np.ones(3))
    assert all(np.array_equal(a, b) for a, b in zip(first, kept, strict=True))
    assert no_two_share(first + second)


@pytest.mark.parametrize("mode", MODES)
def test_scan_state_from_a_shared_variable_and_its_update(mode):
    s = sg.shared(np.zeros(2), "s")
    x = sg.dmatrix("x")
    outs, _ = sg.scan(lambda row, acc: acc + row, sequences=[x], outputs_info=[s])
    f = sg.function([x], [outs, s], updates={s: outs[-1]}, rewrites=mode)
    steps, old = f(np.ones((3, 2)))
    np.testing.assert_array_equal(steps[:, 0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(old, np.zeros(2))
    assert no_two_share([steps, old, s.get_value(borrow=True)])
    steps[...] = -5.0
    np.testing.assert_array_equal(s.get_value(), np.full(2, 3.0))
    steps, old = f(np.ones((3, 2)))
    np.testing.assert_array_equal(steps[-1], np.full(2, 6.0))


@pytest.mark.parametrize("mode", MODES)
def test_ifelse_passing_shared_variables_through(mode):
    s, t = sg.shared(np.ones(2), "s"), sg.shared(np.full(2, 2.0), "t")
    c = sg.bscalar("c")
    f = sg.function([c], sg.ifelse(c, s, t), updates={s: sg.ifelse(c, t, s), t: s + t},
                    rewrites=mode)
    out = f(True)
    np.testing.assert_array_equal(out, np.ones(2))
    assert no_two_share([out, s.get_value(borrow=True), t.get_value(borrow=True)])
    assert list(s.get_value()) == [2, 2] and list(t.get_value()) == [3, 3]
    out = f(False)
    np.testing.assert_array_equal(out, np.full(2, 3.0))
    assert list(s.get_value()) == [2, 2] and list(t.get_value()) == [5, 5]


def test_many_values_of_one_name_and_many_kernels_get_distinct_names():
    # Names are handed out with a counter per base name (the source of a function with
    # 2,000 kernels or 2,000 values named alike used to rescan every earlier suffix).
    x = sg.dvector("x")
    outs = []
    for k in range(300):
        h = sg.exp(x * float(k)) + 1.0
        h.name = "h"
        outs.append(h)
    f = sg.function([x], outs)
    defs = [line.split("(")[0][4:] for line in f.source.splitlines()
            if line.startswith("def _fused")]
    assert defs[:3] == ["_fused", "_fused1", "_fused2"] and len(set(defs)) == 300
    assigned = [line.split("=")[0].strip() for line in f.source.splitlines()
                if line.startswith("    h")]
    assert assigned[:3] == ["h", "h_1", "h_2"] and len(set(assigned)) == 300
    got = f(np.array([0.5]))
    np.testing.assert_allclose(got[299], np.exp(0.5 * 299.0) + 1.0)


def test_a_call_that_fails_leaves_every_shared_value_as_it_was():
    # W's update runs in place; it used to run as soon as its inputs were ready, so when
    # b's update failed afterwards (a bad argument), W was already changed.
    w, b = sg.shared(np.ones((2, 2)), "W"), sg.shared(np.ones(2), "b")
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f = sg.function([x, y], [], updates=[(w, w - 0.1 * x),
                                         (b, b - 0.1 * sg.sum(sg.dot(y, y), axis=0))])
    assert sum(1 for n in f.graph.apply_nodes if n.op.destroy_map) == 2
    with pytest.raises(ValueError, match="in dot"):
        f(np.ones((2, 2)), np.ones((2, 3)))
    np.testing.assert_array_equal(w.get_value(), np.ones((2, 2)))
    np.testing.assert_array_equal(b.get_value(), np.ones(2))
    f(np.ones((2, 2)), np.ones((2, 2)))
    np.testing.assert_allclose(w.get_value(), np.full((2, 2), 0.9))
    np.testing.assert_allclose(b.get_value(), np.full(2, 0.6))


def test_a_comment_stays_one_line_whatever_the_source_line_holds():
    # Node comments carry the op and the user's file name; a line break in either must
    # not end the comment and turn the rest into code.
    from symgraph.graph import trace_as
    x = sg.dvector("x")
    with trace_as(("evil\n    raise SystemExit('ran')\n#", 1)):
        y = sg.exp(x)
    f = sg.function([x], y, rewrites="none")
    np.testing.assert_allclose(f(np.zeros(2)), [1.0, 1.0])
    assert "raise SystemExit" in f.source and "\n    raise" not in f.source

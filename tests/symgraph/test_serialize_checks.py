"""from_json reads data, never code: crafted documents never run anything, malformed ones
raise GraphFormatError saying what and where, and nothing is built before the checks."""

import copy
import dataclasses
import io
import json
import re

import numpy as np
import pytest

import symgraph as sg
from symgraph.graph import as_list, free_inputs, toposort
from symgraph.ops.registry import OPS
from symgraph.serialize import FunctionSpec

# ---------------------------------------------------------------- documents to attack


def _catalogue():
    """Small functions (inputs, outputs, updates) whose graphs, before and after
    rewriting, hold every public op: one small document per op family keeps the
    number of (leaf, payload) documents and the size of each one small."""
    x, m, i = sg.dvector("x"), sg.dmatrix("m"), sg.lscalar("i")
    img, k = sg.dtensor4("img"), sg.dtensor4("k")
    W = sg.shared(np.ones((3, 3)), "W")
    srng = sg.RandomStream(1)
    steps, _ = sg.scan(lambda r, acc: sg.tanh(acc + r), sequences=[m],
                       outputs_info=[sg.zeros_like(m[0])])
    pooled = sg.nnet.max_pool2d(img, (2, 2))
    pool_grad = sg.grad(sg.sum(pooled ** 2), img)
    return [
        ([x], [sg.exp(x) * 2.5 + 1], None),
        ([m], [sg.sum(m, axis=0), sg.argmax(m, axis=1), m.reshape((-1,)), m.T, m.shape],
         None),
        ([i], [sg.zeros((i,)), sg.arange(i), sg.eye(i)], None),
        ([x], [sg.concatenate([x, x]), sg.stack([x, x]), sg.repeat(x, 2), sg.tile(x, (2,))],
         None),
        ([x, i], [x[1:i], x[[0, 1]], sg.set_subtensor(x[1:], 0.0),
                  sg.inc_subtensor(x[[0, 1]], 1.0)], None),
        ([m, x], [sg.dot(m, x), sg.matmul(m, m), sg.tensordot(m, m, axes=1),
                  sg.linalg.det(m), sg.linalg.inv(m), sg.linalg.solve(m, x)], None),
        ([m], [sg.nnet.softmax(m), sg.nnet.log_softmax(m)], None),
        ([x, i], [sg.ifelse(i > 0, x, x * 2)], None),
        ([], [srng.normal((3,)), srng.binomial((3,), p=0.5)], None),
        ([m], [steps], None),
        ([img, k], sg.grad(sg.sum(sg.nnet.conv2d(img, k) ** 2), [img, k]), None),
        ([img], [pool_grad, sg.grad(sg.sum(pool_grad ** 2), img),
                 sg.grad(sg.sum(sg.nnet.avg_pool2d(img, (2, 2)) ** 2), img)], None),
        ([x], [], {W: W - 0.1 * sg.outer(x, x) + sg.exp(W) * 2}),
    ]


@pytest.fixture(scope="module")
def documents():
    """JSON texts of each catalogue function, as saved and as rewritten."""
    out = []
    for ins, outs, updates in _catalogue():
        f = sg.function(ins, outs, updates=updates, on_unused_input="ignore")
        out += [sg.to_json(f), sg.to_json(list(f.graph.outputs))]
    return out


def _paths(doc, seen, containers=False):
    """Paths into a JSON document, one per role not in `seen` (the keys on the way, with
    list positions left out, and the op of the node it belongs to: the 40th input id of
    the 40th node adds nothing the first did not test): of its strings and numbers, and
    with `containers` of its objects and lists too."""

    def walk(v, path, role):
        leaf = isinstance(v, (str, int, float)) and not isinstance(v, bool)
        if (leaf or containers) and role not in seen:
            seen.add(role)
            yield path
        if isinstance(v, dict):
            if "op" in v and isinstance(v["op"], str):
                role = (*role, v["op"])
            for k, item in v.items():
                yield from walk(item, (*path, k), (*role, k))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                yield from walk(item, (*path, i), (*role, "[]"))

    yield from walk(doc, (), ())


def _set(doc, path, value):
    out = copy.deepcopy(doc)
    target = out
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return out


def _payloads(marker):
    touch = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return [touch, f"0) or {touch} or (0", f"1\n    {touch}\n    #", f"float64({touch})",
            f"x\r{touch}#", f"') or {touch} or ('"]


def _exercise(loaded):
    """Everything a user does with a graph read back: print it, compile it, call it."""
    if isinstance(loaded, FunctionSpec):
        ins, outs, updates = loaded.inputs, loaded.outputs, loaded.updates
    else:
        outs = loaded if isinstance(loaded, (list, tuple)) else [loaded]
        ins, updates = free_inputs(outs), []
    sg.debugprint(list(as_list(outs)), file=io.StringIO())
    f = sg.function(ins, outs, updates=updates, on_unused_input="ignore")
    assert str(f) and f.source
    args = [np.ones([2 if d is None else d for d in v.type.shape], v.type.dtype)
            if hasattr(v.type, "dtype") else None for v in ins]
    f(*args)


def _load_and_use(text, marker):
    """from_json then use; only GraphFormatError may come out of from_json, and the
    marker must never appear whatever happens."""
    try:
        loaded = sg.from_json(text)
    except sg.GraphFormatError:
        loaded = None
    if loaded is not None:
        try:
            _exercise(loaded)
        except Exception:  # noqa: BLE001 -- a refused graph may fail any way but one
            pass
    assert not marker.exists(), f"a document ran code: {text[:300]}"
    return loaded is not None


# ---------------------------------------------------------------- the attacks


def test_the_composite_constant_exploit_runs_nothing(tmp_path):
    # The attack: a fused kernel's constant text pasted into generated source.
    marker = tmp_path / "pwned"
    x = sg.dvector("x")
    f = sg.function([x], sg.exp(x * 2.5 + 1.0))
    doc = json.loads(sg.to_json(list(f.graph.outputs)))
    (k,) = [k for k, n in enumerate(doc["nodes"]) if n["op"] == "Composite"]
    body = doc["nodes"][k]["params"]["body"]["tuple"]
    ref = next(a for step in body for a in step["tuple"][1]["tuple"]
               if a["tuple"][0] == "c")
    ref["tuple"][2] = f"0.0) or __import__('pathlib').Path({str(marker)!r}).touch() or (0"
    assert not _load_and_use(json.dumps(doc), marker)  # today: compiles, runs on the call
    with pytest.raises(sg.GraphFormatError, match=rf"node {k} \(Composite\), params\.body"
                                                  rf"\[\d\]\[1\]\[\d\]\[2\]: .* is not a "
                                                  rf"float64 number"):
        sg.from_json(json.dumps(doc))
    assert not marker.exists()


def test_a_payload_in_any_string_or_number_of_a_real_document_runs_nothing(documents,
                                                                          tmp_path):
    marker = tmp_path / "pwned"
    loaded, seen = 0, set()
    for text in documents:
        doc = json.loads(text)
        assert _load_and_use(text, marker), f"{text[:200]} does not read back untouched"
        for path in _paths(doc, seen):
            for payload in _payloads(marker):
                loaded += _load_and_use(json.dumps(_set(doc, path, payload)), marker)
    assert loaded > 0  # names are free text: those documents load, and are compiled


def _without(doc, path):
    out = copy.deepcopy(doc)
    target = out
    for p in path[:-1]:
        target = target[p]
    del target[path[-1]]
    return out


def test_any_part_of_a_real_document_replaced_or_removed_is_a_graph_format_error(
        documents, tmp_path):
    # Malformed documents raise GraphFormatError, never a bare KeyError, TypeError,
    # IndexError or RecursionError (_load_and_use lets any other error through).
    marker = tmp_path / "pwned"
    seen: set = set()
    for text in documents:
        doc = json.loads(text)
        for path in _paths(doc, seen, containers=True):
            if not path:
                continue
            for value in (None, {}, [], -1, 2**70, "x"):
                _load_and_use(json.dumps(_set(doc, path, value)), marker)
            _load_and_use(json.dumps(_without(doc, path)), marker)


def test_a_payload_in_any_parameter_of_every_registered_op_runs_nothing(tmp_path):
    # Op classes with no example in the catalogue too: one node on one input, each
    # parameter in turn a payload (or the wrong JSON type), the others their defaults.
    marker = tmp_path / "pwned"
    checked = 0
    for name, cls in sorted(OPS.items()):
        fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
        base = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
        base = json.loads(json.dumps(base, default=lambda v: None))
        for f in fields or [None]:
            for payload in [*_payloads(marker), None, [], {}, 10**30, -1, True]:
                params = dict(base)
                if f is not None:
                    params[f.name] = payload
                doc = {"format": "symgraph-graph", "version": 1, "outputs": [1],
                       "structure": "single",
                       "variables": [{"id": 0, "kind": "input", "name": "x",
                                      "dtype": "float64", "shape": [3]},
                                     {"id": 1, "kind": "computed", "name": None,
                                      "dtype": "float64", "shape": [3]}],
                       "nodes": [{"op": name, "params": params, "inputs": [0],
                                  "outputs": [1], "source": None}]}
                _load_and_use(json.dumps(doc), marker)
                checked += 1
    assert checked > 100


# ---------------------------------------------------------------- malformed documents


def _doc():
    x = sg.dvector("x")
    W = sg.shared(np.arange(3.0), "W")
    f = sg.function([x], sg.sum(sg.exp(x) * W), updates={W: W * 2})
    return json.loads(sg.to_json(f))


def _error(doc):
    with pytest.raises(sg.GraphFormatError) as info:
        sg.from_json(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(info.value)


def test_malformed_documents_say_what_and_where():
    doc = _doc()
    first_op = doc["nodes"][0]["op"]
    out_id = doc["nodes"][0]["outputs"][0]
    cases = [
        (_set(doc, ("nodes", 0, "inputs", 0), 999), r"node 0.inputs\[0\]: refers to "
                                                     r"variable 999, which the document"),
        (_set(doc, ("nodes", 0, "inputs", 0), out_id), "variable .* is used before a node "
                                                        "computes it \\(a cycle"),
        (_set(doc, ("variables", 1, "id"), doc["variables"][0]["id"]), "declared twice"),
        (_set(doc, ("variables", 0, "shape"), [2**40, 2**40]), "has more than"),
        (_set(doc, ("variables", 0, "shape"), [-3]), r"shape\[0\]: -3 is out of range"),
        (_set(doc, ("variables", 0, "dtype"), "object"), "dtype: 'object' is not one of"),
        (_set(doc, ("variables", 0, "name"), "a\nb"), "name: 'a\\\\nb' is not printable"),
        (_set(doc, ("nodes", 0), {"op": first_op}), "node 0: missing field\\(s\\) params"),
        (_set(doc, ("nodes", 0, "params"), []), "node 0.params: expected an object"),
        (_set(doc, ("function", "updates", 0), [0]), r"function.updates\[0\]: expected"),
        (_set(doc, ("function", "inputs", 0), out_id), "is not an input"),
        (_set(doc, ("nodes",), "nodes"), "graph, nodes: expected a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "symgraph-graph", "version": "1"}', "format version '1'"),
    ]
    for bad, message in cases:
        got = _error(bad)
        assert re.search(message, got), (message, got)


def test_constant_data_must_match_its_declared_dtype_and_shape():
    c = json.loads(sg.to_json(sg.dvector("x") + np.array([1.0, 2.0])))
    const = next(i for i, v in enumerate(c["variables"]) if v["kind"] == "constant")
    value = ("variables", const, "value")
    assert "not a number" in _error(_set(c, (*value, "list", 0), "nan"))
    assert "nested lists of shape" in _error(_set(c, (*value, "list"), [1.0]))
    assert "holds data of shape" in _error(_set(c, (*value, "shape"), [3]))
    big = _set(c, value, {"dtype": "float64", "shape": [2], "b64": "AAAA"})
    assert "3 bytes, a float64 array of shape [2] has 16" in _error(big)


def test_a_step_graph_containing_itself_is_refused():
    s = sg.dmatrix("s")
    steps, _ = sg.scan(lambda r, acc: sg.tanh(acc + r), sequences=[s],
                       outputs_info=[sg.zeros_like(s[0])])
    doc = json.loads(sg.to_json(steps))
    (sub,) = doc["subgraphs"]
    node = sub["nodes"][0]
    node["params"] = {"step": {"subgraph": 0}}
    node["op"] = "Scan"
    assert "subgraph 0: contains a scan of itself" in _error(doc)


def test_in_place_and_fused_ops_come_back_out_of_place():
    # In-place decisions are the compiler's: a file never makes an op overwrite a buffer.
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    W = sg.shared(np.ones((2, 2)), "W")
    g = sg.function([x, y], [], updates={W: W - 0.1 * sg.dot(x.T, y) + sg.exp(W) * 2})
    kinds = {type(n.op).__name__ for n in g.graph.apply_nodes if n.op.destroy_map}
    assert kinds, "the train step should hold in-place ops"
    back = sg.from_json(sg.to_json(list(g.graph.outputs)))
    assert not any(n.op.destroy_map for n in toposort(back))
    from symgraph.ops.composite import InplaceElemwise
    from symgraph.ops.elemwise import TABLE, Elemwise
    v = sg.dvector("v")
    (out,) = sg.from_json(sg.to_json([InplaceElemwise(TABLE["add"], 0)(v, 1.0)]))
    assert out.owner.op == Elemwise(TABLE["add"])


def test_an_op_class_that_is_not_a_public_frozen_dataclass_is_refused():
    doc = json.loads(sg.to_json(sg.exp(sg.dvector("x"))))
    doc["nodes"][0].update(op="_PoolOp", params={})
    assert "op class _PoolOp cannot be read from JSON" in _error(doc)

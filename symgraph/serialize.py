"""Graphs as JSON: `to_json(x_or_f)` and `from_json(text)`, a round trip.

The file lists every variable (leaves with their values: constants exactly, by bytes;
shared variables with their name and value; random generators with their bit-generator
state), every node (op class name, `op.to_json_params()`, input and output ids) and the
outputs. A compiled Function is saved as its graph *before* rewriting (inputs, outputs,
update pairs), so the file does not depend on which rewrites exist when it is loaded:

    spec = sg.from_json(sg.to_json(f))
    g = sg.function(spec.inputs, spec.outputs, updates=spec.updates)   # computes as f does

Reading checks the whole document before building anything (`serialize_structure.py`,
`serialize_checks.py`): a file is data and never runs code; a malformed one raises
`GraphFormatError`. Ops are rebuilt from their checked parameters and `op.make_node`.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .graph import Constant, SharedVariable, Variable, ancestors, toposort, trace_as
from .graph_view import leaf_kind, source_of, type_parts, view_of
from .ops.random import RNG_TYPE, RandomGeneratorVariable
from .ops.registry import find_op_class, op_key
from .serialize_checks import GraphFormatError, check_dict, op_from_json
from .serialize_checks import decode_array as checked_array
from .serialize_structure import check_document, parse_source
from .tensor import TensorConstant, TensorSharedVariable, TensorType

FORMAT = "symgraph-graph"
# Modules whose ops register when first imported (not by `import symgraph`): those of the
# lazy tables in symgraph/__init__.py (_LAZY) and ops/nnet.py (_ELSEWHERE) that define ops.
LAZY_OP_MODULES = ("symgraph.ops.conv", "symgraph.ops.pool", "symgraph.ops.scan",
                   "symgraph.distributed")
VERSION = 1


@dataclass
class FunctionSpec:
    """A function read back from JSON: pass its parts to `sg.function` to compile it."""

    inputs: list[Variable]
    outputs: Variable | list[Variable]
    updates: list[tuple[Variable, Variable]]
    name: str = "f"


# ---------------------------------------------------------------- values


def encode_array(a: np.ndarray) -> dict[str, Any]:
    """An array as JSON, dtype-exact: a list when small and finite, else base64 bytes."""
    a = np.asarray(a)
    out: dict[str, Any] = {"dtype": a.dtype.name, "shape": list(a.shape)}
    exact = a.dtype.kind in "biu" or (a.dtype.kind == "f" and bool(np.all(np.isfinite(a))))
    if exact and a.size <= 16:
        out["list"] = a.tolist()  # a Python float holds any float16/32/64 value exactly
        return out
    little = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    out["b64"] = base64.b64encode(little.tobytes()).decode("ascii")
    return out


def decode_array(d: dict[str, Any]) -> np.ndarray:
    """The inverse of `encode_array` (checked: GraphFormatError on malformed data)."""
    return checked_array(d, "array")


def _plain(x: Any) -> Any:
    """Bit-generator state (nested dicts, big ints, arrays) as JSON-ready values."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return {"__array__": encode_array(x)}
    if isinstance(x, np.generic):
        return x.item()
    return x


def _unplain(x: Any, where: str) -> Any:
    if isinstance(x, dict) and "__array__" in x:
        return checked_array(x["__array__"], where)
    if isinstance(x, dict):
        return {k: _unplain(v, f"{where}.{k}") for k, v in x.items()}
    return x


def _encode_generator(g: np.random.Generator) -> dict[str, Any]:
    bg = g.bit_generator
    return {"generator": type(bg).__name__, "state": _plain(bg.state)}


def _decode_generator(d: Any, where: str) -> np.random.Generator:
    d = check_dict(d, f"{where}.value", ("generator", "state"))
    name = d["generator"]
    cls = getattr(np.random, name, None) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
        raise GraphFormatError(f"from_json: {where}.value.generator: unknown bit generator "
                               f"{name!r:.80}")
    bg = cls()
    try:
        bg.state = _unplain(check_dict(d["state"], f"{where}.value.state"),
                            f"{where}.value.state")
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise GraphFormatError(f"from_json: {where}.value.state: not a {name} state "
                               f"({e})") from None
    return np.random.Generator(bg)


# ---------------------------------------------------------------- to_json


def _step_graph_class() -> type:
    from .ops.scan import StepGraph  # scan loads on first use (import symgraph stays quick)
    return StepGraph


def to_json(obj: Any, indent: int | None = None) -> str:
    """The graph of a variable, a list of variables or a compiled Function, as JSON text."""
    view = view_of(obj, "to_json", before=True)
    f = view.function
    w = _Writer()
    extra = list(f.inputs) + [s for s, _ in f.updates] if f is not None else []
    variables, nodes = w.graph(extra, view.roots)
    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION, "variables": variables,
                           "nodes": nodes}
    if w.subgraphs:
        doc["subgraphs"] = w.subgraphs
    ids = w.ids
    if f is None:
        doc["outputs"] = [ids[v] for v in view.roots]
        doc["structure"] = view.structure
    else:
        n = view.n_outputs
        doc["function"] = {
            "name": f.name, "inputs": [ids[v] for v in f.inputs],
            "outputs": [ids[v] for v in view.roots[:n]], "single": bool(f.single),
            "updates": [[ids[s], ids[v]] for (s, _), v in
                        zip(f.updates, view.roots[n:], strict=True)]}
    return json.dumps(doc, indent=indent)


class _Writer:
    """One id space for the graph and the step graphs nested in its ops (scan), so a
    variable used in both is written once and read back as one variable."""

    def __init__(self, record: Callable[[Variable, int], dict[str, Any]] | None = None
                 ) -> None:
        # How a leaf or variable is written (function_cache.py writes shared variables
        # by position, without their values).
        self.record = record or _var_record
        self.ids: dict[Variable, int] = {}
        self.subgraphs: list[dict[str, Any]] = []
        self._sub_ids: dict[int, int] = {}

    def graph(self, extra: list[Variable], roots: list[Variable]
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        variables: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []

        def add(v: Variable) -> None:
            if v not in self.ids:
                self.ids[v] = len(self.ids)
                variables.append(self.record(v, self.ids[v]))

        for v in extra:
            add(v)
        for v in ancestors(roots):
            if v.owner is None:
                add(v)
        for node in toposort(roots):
            params = self.params(node.op)
            for v in node.outputs:
                add(v)
            nodes.append({"op": op_key(type(node.op)), "params": params,
                          "inputs": [self.ids[v] for v in node.inputs],
                          "outputs": [self.ids[v] for v in node.outputs],
                          "source": source_of(node.trace)})
        return variables, nodes

    def params(self, op: Any) -> dict[str, Any]:
        params = op.to_json_params()
        # A step graph exists only once scan's module is loaded (not by `import symgraph`).
        scan = sys.modules.get("symgraph.ops.scan")
        for k, v in params.items():
            if scan is not None and isinstance(v, scan.StepGraph):
                params[k] = {"subgraph": self.subgraph(v)}
        try:
            json.dumps(params)
        except (TypeError, ValueError) as e:
            raise TypeError(f"to_json: op {op} ({type(op).__name__}) has parameters that are "
                            f"not JSON-serializable ({e}); give it to_json_params / "
                            f"from_json_params") from e
        return params

    def subgraph(self, g: Any) -> int:
        if id(g) not in self._sub_ids:
            variables, nodes = self.graph(list(g.inputs), list(g.outputs))
            self._sub_ids[id(g)] = len(self.subgraphs)
            self.subgraphs.append({"name": g.name, "variables": variables, "nodes": nodes,
                                   "inputs": [self.ids[v] for v in g.inputs],
                                   "outputs": [self.ids[v] for v in g.outputs]})
        return self._sub_ids[id(g)]


def _var_record(v: Variable, vid: int) -> dict[str, Any]:
    dtype, shape = type_parts(v)
    rec: dict[str, Any] = {"id": vid, "kind": leaf_kind(v), "name": v.name, "dtype": dtype,
                           "shape": shape}
    if isinstance(v, Constant):
        rec["value"] = encode_array(v.data)
    elif isinstance(v, SharedVariable):
        value = v.container.value
        if isinstance(value, np.random.Generator):
            rec["value"] = _encode_generator(value)
        elif isinstance(value, np.ndarray):
            rec["value"] = encode_array(value)
        else:
            raise TypeError(f"to_json: shared variable {v.name!r} holds a "
                            f"{type(value).__name__}, which cannot be saved")
    return rec


# ---------------------------------------------------------------- from_json


def from_json(text: str | bytes, shared: dict[str, Variable] | None = None) -> Any:
    """Rebuild a graph saved by `to_json`: the output variable(s), or a `FunctionSpec`.

    Shared variables are recreated with their saved values, unless `shared` maps their
    name to an existing shared variable to use instead (e.g. a model's live weights).
    A file is data: everything in it is checked before anything is built
    (`serialize_checks`), and a malformed one raises `GraphFormatError` saying what is
    wrong and where.
    """
    shared = dict(shared or {})
    for name, var in shared.items():
        if not isinstance(var, SharedVariable):
            raise TypeError(f"from_json: shared[{name!r}] is a {type(var).__name__}, not a "
                            f"shared variable")
    try:
        doc = json.loads(text)
    except RecursionError:
        raise GraphFormatError("from_json: the document is nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as e:
        raise GraphFormatError(f"from_json: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GraphFormatError(f"from_json: not a symgraph graph (no \"format\": {FORMAT!r})")
    version = doc.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION:
        raise GraphFormatError(f"from_json: the graph has format version {version!r}; this "
                               f"symgraph reads versions up to {VERSION}")
    try:
        records = check_document(doc)
        r = _Reader(doc, records, shared)
        r.graph(doc, "graph")
    except RecursionError:
        raise GraphFormatError("from_json: the graph is nested too deeply") from None
    vars_ = r.vars
    fdoc = doc.get("function")
    if fdoc is None:
        outs = [vars_[i] for i in doc["outputs"]]
        structure = doc.get("structure", "list")
        if structure == "single":
            return outs[0]
        return tuple(outs) if structure == "tuple" else outs
    outputs = [vars_[i] for i in fdoc["outputs"]]
    return FunctionSpec(inputs=[vars_[i] for i in fdoc["inputs"]],
                        outputs=outputs[0] if fdoc["single"] else outputs,
                        updates=[(vars_[s], vars_[v]) for s, v in fdoc["updates"]],
                        name=fdoc.get("name", "f"))


class _Reader:
    """Rebuilds variables in file order; step graphs when the op that holds them is read.
    The document's structure has been checked (`check_document`) before this runs."""

    def __init__(self, doc: dict[str, Any], records: dict[int, tuple[str, dict]],
                 shared: dict[str, Variable]) -> None:
        self.shared = shared
        self.subdocs: list[dict[str, Any]] = doc.get("subgraphs", [])
        self.records = {vid: rec for vid, (_, rec) in records.items()}
        _check_shared_names(self.records.values(), self.shared)
        self.vars: dict[int, Variable] = {}
        self._subs: dict[int, Any] = {}

    def graph(self, g: dict[str, Any], label: str) -> None:
        for rec in g["variables"]:
            if rec["kind"] != "computed":
                self.vars[rec["id"]] = _make_leaf(rec, self.shared)
        for k, nrec in enumerate(g["nodes"]):
            self.node(f"{label}, node {k}", nrec)

    def subgraph(self, ref: Any, where: str) -> Any:
        if not isinstance(ref, dict) or set(ref) != {"subgraph"}:
            raise GraphFormatError(f"from_json: {where}: expected {{\"subgraph\": k}}, got "
                                   f"{ref!r:.80}")
        k = ref["subgraph"]
        if k not in self._subs:
            sub = self.subdocs[k]
            self.graph(sub, f"subgraph {k}")
            self._subs[k] = _step_graph_class()([self.vars[i] for i in sub["inputs"]],
                                                [self.vars[i] for i in sub["outputs"]],
                                                sub["name"])
        return self._subs[k]

    def node(self, where: str, nrec: dict[str, Any]) -> None:
        cls_name = nrec["op"]
        cls = find_op_class(cls_name)
        if cls is None:  # ops of the modules `import symgraph` leaves for later
            import importlib
            for module in LAZY_OP_MODULES:
                importlib.import_module(module)  # the document names one of their ops
            cls = find_op_class(cls_name)
        if cls is None:
            raise GraphFormatError(f"from_json: {where} uses op class {cls_name!r}, which is "
                                   f"not registered (is the module defining it imported?)")
        where = f"{where} ({cls_name})"
        op = op_from_json(cls, nrec["params"], where, self.subgraph)
        ins = [self.vars[i] for i in nrec["inputs"]]
        try:
            with trace_as(parse_source(nrec.get("source"), f"{where}.source")):
                node = op.make_node(*ins)
        except Exception as e:
            raise GraphFormatError(f"from_json: {where}: rebuilding {op} on inputs "
                                   f"{', '.join(str(v.type) for v in ins)} failed: "
                                   f"{e}") from None
        if len(node.outputs) != len(nrec["outputs"]):
            raise GraphFormatError(f"from_json: {where}: {op} now has {len(node.outputs)} "
                                   f"outputs, the graph saved {len(nrec['outputs'])}")
        for out, vid in zip(node.outputs, nrec["outputs"], strict=True):
            rec = self.records[vid]
            merged = _merged_shape(type_parts(out), (rec["dtype"], rec["shape"]))
            if merged is None:
                raise GraphFormatError(f"from_json: {where}: {op} output {out.index} is now "
                                       f"{out.type}, the graph saved {rec['dtype']}"
                                       f"{rec['shape']}")
            if merged != list(out.type.shape if hasattr(out.type, "shape") else ()):
                out.type = out.type.with_shape(tuple(merged))
            out.name = rec["name"]
            self.vars[vid] = out


def _merged_shape(now: tuple[str, list], saved: tuple[str, list]) -> list | None:
    """The static shape that agrees with both the rebuilt and the saved type, or None.

    A rewritten graph may know less than its ops infer when rebuilt (a rewrite replaced an
    input by one with a known shape and kept the user's types downstream), or more; a
    dim known on one side only is taken from that side.
    """
    (dt_now, sh_now), (dt_saved, sh_saved) = now, saved
    if dt_now != dt_saved or len(sh_now) != len(sh_saved):
        return None
    if any(a is not None and b is not None and a != b
           for a, b in zip(sh_now, sh_saved, strict=True)):
        return None
    return [a if a is not None else b for a, b in zip(sh_now, sh_saved, strict=True)]


def _check_shared_names(records: Any, shared: dict[str, Variable]) -> None:
    seen: dict[str, int] = {}
    for rec in records:
        if rec["kind"] == "shared" and rec["name"] in shared:
            seen[rec["name"]] = seen.get(rec["name"], 0) + 1
    for name, count in seen.items():
        if count > 1:
            raise ValueError(f"from_json: {count} shared variables are named {name!r}; "
                             f"shared={{{name!r}: ...}} cannot say which one to replace")


def _make_leaf(rec: dict[str, Any], shared: dict[str, Variable]) -> Variable:
    kind, name, dtype = rec["kind"], rec["name"], rec["dtype"]
    where = f"variable {rec['id']}"
    if kind == "shared" and name in shared:
        var = shared[name]
        have_dtype, have_shape = type_parts(var)
        if have_dtype != dtype or len(have_shape) != len(rec["shape"]):
            raise TypeError(f"from_json: shared[{name!r}] is {var.type}, the graph expects "
                            f"{dtype}{rec['shape']}")
        return var
    if dtype == "rng":  # a generator: shared, or a scan step's placeholder for one
        if kind == "input":
            return RNG_TYPE.make_variable(name=name)
        return RandomGeneratorVariable(RNG_TYPE, _decode_generator(rec["value"], where), name)
    ttype = TensorType(dtype, tuple(rec["shape"]))
    if kind == "constant":
        return TensorConstant(ttype, checked_array(rec["value"], f"{where}.value", dtype,
                                                   rec["shape"]), name)
    if kind == "shared":
        return TensorSharedVariable(ttype, checked_array(rec["value"], f"{where}.value",
                                                         dtype, rec["shape"]), name)
    return ttype.make_variable(name=name)

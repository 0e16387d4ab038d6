"""Graphs as JSON: `to_json(x_or_f)` and `from_json(text)`, a round trip.

The file lists every variable (leaves with their values: constants exactly, by bytes;
shared variables with their name and value; random generators with their bit-generator
state), every node (op class name, `op.to_json_params()`, input and output ids) and the
outputs. A compiled Function is saved as its graph *before* rewriting (inputs, outputs,
update pairs), so the file does not depend on which rewrites exist when it is loaded:

    spec = sg.from_json(sg.to_json(f))
    g = sg.function(spec.inputs, spec.outputs, updates=spec.updates)   # computes as f does

Ops are rebuilt with `OPS[class_name].from_json_params(params)` and `op.make_node(...)`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .graph import Constant, SharedVariable, Variable, ancestors, toposort
from .graph_view import leaf_kind, source_of, type_parts, view_of

FORMAT = "symgraph-graph"
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
    """The inverse of `encode_array`."""
    dtype = np.dtype(d["dtype"])
    shape = tuple(d["shape"])
    if "list" in d:
        return np.array(d["list"], dtype=dtype).reshape(shape)
    raw = base64.b64decode(d["b64"])
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def _plain(x: Any) -> Any:
    """Bit-generator state (nested dicts, big ints, arrays) as JSON-ready values."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return {"__array__": encode_array(x)}
    if isinstance(x, np.generic):
        return x.item()
    return x


def _unplain(x: Any) -> Any:
    if isinstance(x, dict) and "__array__" in x:
        return decode_array(x["__array__"])
    if isinstance(x, dict):
        return {k: _unplain(v) for k, v in x.items()}
    return x


def _encode_generator(g: np.random.Generator) -> dict[str, Any]:
    bg = g.bit_generator
    return {"generator": type(bg).__name__, "state": _plain(bg.state)}


def _decode_generator(d: dict[str, Any]) -> np.random.Generator:
    cls = getattr(np.random, d["generator"], None)
    if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
        raise ValueError(f"from_json: unknown bit generator {d['generator']!r}")
    bg = cls()
    bg.state = _unplain(d["state"])
    return np.random.Generator(bg)


# ---------------------------------------------------------------- to_json


def _step_graph_class() -> type:
    from .ops.scan import StepGraph
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

    def __init__(self) -> None:
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
                variables.append(_var_record(v, self.ids[v]))

        for v in extra:
            add(v)
        for v in ancestors(roots):
            if v.owner is None:
                add(v)
        for node in toposort(roots):
            params = self.params(node.op)
            for v in node.outputs:
                add(v)
            nodes.append({"op": type(node.op).__name__, "params": params,
                          "inputs": [self.ids[v] for v in node.inputs],
                          "outputs": [self.ids[v] for v in node.outputs],
                          "source": source_of(node.trace)})
        return variables, nodes

    def params(self, op: Any) -> dict[str, Any]:
        params = op.to_json_params()
        step_graph = _step_graph_class()
        for k, v in params.items():
            if isinstance(v, step_graph):
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


def from_json(text: str, shared: dict[str, Variable] | None = None) -> Any:
    """Rebuild a graph saved by `to_json`: the output variable(s), or a `FunctionSpec`.

    Shared variables are recreated with their saved values, unless `shared` maps their
    name to an existing shared variable to use instead (e.g. a model's live weights).
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"from_json: not JSON ({e})") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"from_json: not a symgraph graph (no \"format\": {FORMAT!r})")
    if doc.get("version", 0) > VERSION:
        raise ValueError(f"from_json: the graph has format version {doc['version']}; this "
                         f"symgraph reads versions up to {VERSION}")
    r = _Reader(doc, shared)
    r.graph(doc)
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
    """Rebuilds variables in file order; step graphs when the op that holds them is read."""

    def __init__(self, doc: dict[str, Any], shared: dict[str, Variable] | None) -> None:
        self.shared = dict(shared or {})
        self.subdocs: list[dict[str, Any]] = doc.get("subgraphs", [])
        self.records: dict[int, dict[str, Any]] = {}
        for g in [doc, *self.subdocs]:
            self.records.update((rec["id"], rec) for rec in g["variables"])
        _check_shared_names(self.records.values(), self.shared)
        self.vars: dict[int, Variable] = {}
        self._subs: dict[int, Any] = {}

    def graph(self, g: dict[str, Any]) -> None:
        for rec in g["variables"]:
            if rec["kind"] != "computed":
                self.vars[rec["id"]] = _make_leaf(rec, self.shared)
        for k, nrec in enumerate(g["nodes"]):
            self.node(k, nrec)

    def subgraph(self, k: int) -> Any:
        if k not in self._subs:
            sub = self.subdocs[k]
            self.graph(sub)
            self._subs[k] = _step_graph_class()([self.vars[i] for i in sub["inputs"]],
                                                [self.vars[i] for i in sub["outputs"]],
                                                sub["name"])
        return self._subs[k]

    def node(self, k: int, nrec: dict[str, Any]) -> None:
        from .graph import trace_as
        from .ops.registry import OPS
        cls_name = nrec["op"]
        cls = OPS.get(cls_name)
        if cls is None:
            raise ValueError(f"from_json: node {k} uses op class {cls_name!r}, which is not "
                             f"registered (is the module defining it imported?)")
        params = {key: self.subgraph(v["subgraph"])
                  if isinstance(v, dict) and set(v) == {"subgraph"} else v
                  for key, v in nrec["params"].items()}
        try:
            op = cls.from_json_params(params)
        except Exception as e:
            raise ValueError(f"from_json: cannot rebuild op {cls_name} (node {k}) from its "
                             f"parameters {nrec['params']!r}: {e}") from e
        try:
            ins = [self.vars[i] for i in nrec["inputs"]]
        except KeyError as e:
            raise ValueError(f"from_json: node {k} ({op}) uses variable {e} before it is "
                             f"defined") from e
        try:
            with trace_as(_parse_source(nrec.get("source"))):
                node = op.make_node(*ins)
        except Exception as e:
            raise ValueError(f"from_json: rebuilding {op} (node {k}) on inputs "
                             f"{', '.join(str(v.type) for v in ins)} failed: {e}") from e
        if len(node.outputs) != len(nrec["outputs"]):
            raise ValueError(f"from_json: {op} (node {k}) now has {len(node.outputs)} "
                             f"outputs, the graph saved {len(nrec['outputs'])}")
        for out, vid in zip(node.outputs, nrec["outputs"], strict=True):
            rec = self.records[vid]
            merged = _merged_shape(type_parts(out), (rec["dtype"], rec["shape"]))
            if merged is None:
                raise ValueError(f"from_json: {op} (node {k}) output {out.index} is now "
                                 f"{out.type}, the graph saved {rec['dtype']}{rec['shape']}")
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
    for name, var in shared.items():
        if not isinstance(var, SharedVariable):
            raise TypeError(f"from_json: shared[{name!r}] is a {type(var).__name__}, not a "
                            f"shared variable")


def _make_leaf(rec: dict[str, Any], shared: dict[str, Variable]) -> Variable:
    from .ops.random import RNG_TYPE, RandomGeneratorVariable
    from .tensor import TensorConstant, TensorSharedVariable, TensorType
    kind, name, dtype = rec["kind"], rec["name"], rec["dtype"]
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
        return RandomGeneratorVariable(RNG_TYPE, _decode_generator(rec["value"]), name)
    ttype = TensorType(dtype, tuple(rec["shape"]))
    if kind == "constant":
        return TensorConstant(ttype, decode_array(rec["value"]), name)
    if kind == "shared":
        return TensorSharedVariable(ttype, decode_array(rec["value"]), name)
    if kind == "input":
        return ttype.make_variable(name=name)
    raise ValueError(f"from_json: variable {rec['id']} has unknown kind {kind!r}")


def _parse_source(src: str | None) -> tuple[str, int] | None:
    if not src:
        return None
    fname, _, line = src.rpartition(":")
    return (fname, int(line)) if fname and line.isdigit() else None


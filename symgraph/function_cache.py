"""Whole compiled functions on disk: a new process compiling a graph it compiled before
skips the rewrite passes.

The key is a hash of what the rewritten graph depends on: the input graph written as
`to_json` does (ops, parameters, constants by value, the user's source lines), with
shared variables by position and type, never by value; the rewrite selection (mode,
include, exclude, the registered passes and rewrites); the backend and every
`sg.config` setting; symgraph's version and a fingerprint of its source files (so editing
a rewrite invalidates old entries).

The entry (`symgraph.cache`, kind `functions`) holds the rewritten graph as a `to_json`
document, in which each shared variable is named by its position, and the rewrite log.
Loading is `from_json` with all of its checks (`serialize_checks.py`): a file is data, so
a tampered entry that tries to put code into generated source is refused like any other
malformed document, and the function is compiled from scratch as if nothing was cached.
The rebuilt graph is bound to the caller's own input and shared variables (updates
update the caller's shared variables); in-place decisions do not survive `from_json`, so
the in-place pass runs again, then code generation.

Not cached: functions compiled with `check_rewrites` or `nan_guard`, graphs holding ops
or rewrites defined outside symgraph (their code cannot be fingerprinted), graphs with
scan step graphs, and graphs whose ops have no JSON form. `sg.config.function_cache =
False` (or `SYMGRAPH_FLAGS=function_cache=0`) turns it off. `cache.STATS` counts
`function_hits`, `function_misses`, `function_stores`, `function_rejected` (an entry
refused by the checks, then rebuilt) and `function_uncacheable` (not cacheable, or the
cache folder not writable: the function compiles as if there were no cache).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from functools import cache as _once
from typing import TYPE_CHECKING, Any

from . import __version__, cache
from .config import config
from .fgraph import FunctionGraph
from .graph import Apply, Constant, SharedVariable, Variable, ancestors, toposort
from .graph_view import type_parts
from .rewrite import PASSES, PIPELINE, RewriteLog, RewriteRecord, resolve, rewrite_graph
from .serialize import FORMAT as GRAPH_FORMAT
from .serialize import VERSION as GRAPH_VERSION
from .serialize import FunctionSpec, _var_record, _Writer, from_json

if TYPE_CHECKING:
    from .function import Function

KIND = "functions"
FORMAT = "symgraph-function"
VERSION = 1
# Passes whose decisions from_json undoes (in-place ops are rebuilt out of place): run
# again on a graph loaded from the cache.
LATE_PASSES = ("inplace",)
_SHARED = "sg_shared_"  # shared variable k of the input graph is named sg_shared_k
# Settings that change neither rewriting nor code generation.
_IGNORED_SETTINGS = ("cache_dir", "function_cache", "retain_memory", "nan_guard")


@dataclasses.dataclass
class Request:
    """What one `function()` call asks for: the graph and how to rewrite it."""

    inputs: list[Variable]
    values: list[Variable]        # outputs, then update values
    updated: list[SharedVariable]  # the shared variable each update value replaces
    rewrites: Any
    include: Sequence[str]
    exclude: Sequence[str]
    backend: str
    shared: list[SharedVariable] = dataclasses.field(default_factory=list)


def rewritten(f: Function, req: Request,
              rewrite: Callable[[Sequence[str]], FunctionGraph]) -> FunctionGraph:
    """The rewritten graph of `req`: loaded from the cache when an entry exists (filling
    `f.rewrite_log`), else `rewrite(skip)` and stored. What is stored is the graph before
    the passes `skip` names (LATE_PASSES); they run here, on a stored or loaded graph
    alike, so both compile to the same code."""
    if not config.function_cache:
        return rewrite(())
    try:
        key = _key(req)
    except _Uncacheable:
        cache.STATS["function_uncacheable"] += 1
        return rewrite(())
    payload = cache.read_bytes(KIND, key)
    if payload is not None:
        try:
            fgraph = _load(f, req, payload)
        except Exception:  # noqa: BLE001 -- a bad entry is rebuilt, whatever is wrong
            fgraph = None
        if fgraph is not None:
            cache.STATS["function_hits"] += 1
            return fgraph
        cache.STATS["function_rejected"] += 1
        cache.discard(KIND, key)
        del f.rewrite_log[:]
    else:
        cache.STATS["function_misses"] += 1
    fgraph = rewrite(LATE_PASSES)
    try:
        cache.write_bytes(KIND, key, _payload(req, fgraph, f.rewrite_log))
        cache.STATS["function_stores"] += 1
    except (_Uncacheable, OSError):
        cache.STATS["function_uncacheable"] += 1
    _late(fgraph, req, f.rewrite_log)
    return fgraph


class _Uncacheable(Exception):
    """The graph or the rewrite registry cannot be fingerprinted or written."""


# ---------------------------------------------------------------- the key


def _key(req: Request) -> str:
    for node in toposort(req.values):
        if not type(node.op).__module__.startswith("symgraph."):
            raise _Uncacheable
    doc, _ = _graph_doc(req.inputs + list(req.updated), req.values, req.shared, values=False)
    selection = {"rewrites": resolve(req.rewrites), "include": sorted(req.include),
                 "exclude": sorted(req.exclude), "backend": req.backend,
                 "registry": _registry(),
                 "config": {f.name: repr(getattr(config, f.name))
                            for f in dataclasses.fields(config)
                            if f.name not in _IGNORED_SETTINGS},
                 "inputs": len(req.inputs), "updates": len(req.updated)}
    return cache.key(FORMAT, str(VERSION), _fingerprint(),
                     json.dumps(selection, sort_keys=True), json.dumps(doc, sort_keys=True))


def _registry() -> list:
    """The passes and their rewrites, by name and defining function; a rewrite defined
    outside symgraph (a test's, a user's) makes functions uncacheable."""
    out = []
    for name in PIPELINE:
        p = PASSES[name]
        fns = [(r.name, r.default, r.fn) for r in p.rewrites]
        if p.transform is not None:
            fns.append((name, True, p.transform))
        row = []
        for rname, default, fn in fns:
            mod = getattr(fn, "__module__", None) or ""
            if not mod.startswith("symgraph."):
                raise _Uncacheable
            row.append([rname, default, mod, getattr(fn, "__qualname__", "?")])
        out.append([name, row])
    return out


@_once
def _fingerprint() -> str:
    """symgraph's version and the size and modification time of every source file."""
    root = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                parts.append(f"{os.path.relpath(os.path.join(folder, name), root)}:"
                             f"{st.st_size}:{st.st_mtime_ns}")
    return cache.key(*parts)


def _graph_doc(extra: list[Variable], roots: list[Variable], shared: list[SharedVariable],
               values: bool) -> tuple[dict[str, Any], dict[Variable, int]]:
    """Variables and nodes as `to_json` writes them, each shared variable named by its
    position in `shared` (appended when new) and written without its value; and the id
    of each variable. Graphs with scan step graphs are not cached."""
    position = {v: k for k, v in enumerate(shared)}

    def record(v: Variable, vid: int) -> dict[str, Any]:
        if not isinstance(v, SharedVariable):
            return _var_record(v, vid)
        if v not in position:
            if values:  # a rewritten graph holds only the input graph's shared variables
                raise _Uncacheable
            position[v] = len(shared)
            shared.append(v)
        dtype, shape = type_parts(v)
        return {"id": vid, "kind": "shared", "name": f"{_SHARED}{position[v]}",
                "dtype": dtype, "shape": shape, "value": None}

    w = _Writer(record)
    try:
        variables, nodes = w.graph(extra, roots)
    except (TypeError, ValueError) as e:  # an op without a JSON form
        raise _Uncacheable from e
    if w.subgraphs:  # scan's step graphs
        raise _Uncacheable
    return {"format": GRAPH_FORMAT, "version": GRAPH_VERSION, "variables": variables,
            "nodes": nodes}, w.ids


# ---------------------------------------------------------------- the entry


def _payload(req: Request, fgraph: FunctionGraph, log: RewriteLog) -> bytes:
    n_out = len(req.values) - len(req.updated)
    doc, ids = _graph_doc(list(fgraph.inputs) + list(req.updated), list(fgraph.outputs),
                          req.shared, values=True)
    doc["function"] = {"name": "f", "inputs": [ids[v] for v in fgraph.inputs],
                       "outputs": [ids[v] for v in fgraph.outputs[:n_out]],
                       "single": False,
                       "updates": [[ids[s], ids[v]] for s, v in
                                   zip(req.updated, fgraph.outputs[n_out:], strict=True)]}
    records = [[r.pass_name, r.rewrite, r.before, r.after, r.source] for r in log]
    header = {"format": FORMAT, "version": VERSION, "log": records}
    return json.dumps(header).encode() + b"\n" + json.dumps(doc).encode()


def _load(f: Function, req: Request, payload: bytes) -> FunctionGraph | None:
    """The cached rewritten graph bound to the caller's variables, or None when the entry
    does not hold what this request needs. Malformed documents raise GraphFormatError."""
    head, sep, body = payload.partition(b"\n")
    header = json.loads(head)
    if not (sep and isinstance(header, dict) and header.get("format") == FORMAT
            and header.get("version") == VERSION):
        return None
    log = _log(header.get("log"))
    if log is None:
        return None
    spec = from_json(body, shared={f"{_SHARED}{k}": v for k, v in enumerate(req.shared)})
    if not isinstance(spec, FunctionSpec) or isinstance(spec.outputs, Variable):
        return None
    outputs = list(spec.outputs) + [v for _, v in spec.updates]
    if len(spec.inputs) != len(req.inputs) or len(outputs) != len(req.values) or \
            [s for s, _ in spec.updates] != list(req.updated):
        return None
    for mine, theirs in zip(req.inputs + req.values, spec.inputs + outputs, strict=True):
        (dt_a, sh_a), (dt_b, sh_b) = type_parts(mine), type_parts(theirs)
        if dt_a != dt_b or len(sh_a) != len(sh_b) or any(
                a is not None and a != b for a, b in zip(sh_a, sh_b, strict=True)):
            return None
    live = set(req.shared)
    given = set(spec.inputs)
    for v in ancestors(outputs):
        if v.owner is None and not isinstance(v, Constant) and v not in (
                live if isinstance(v, SharedVariable) else given):
            return None
    # Bind the rebuilt graph (private to this call) to the caller's input variables.
    rebind = dict(zip(spec.inputs, req.inputs, strict=True))
    nodes: list[Apply] = toposort(outputs)
    for node in nodes:
        node.inputs = [rebind.get(v, v) for v in node.inputs]
    outputs = [rebind.get(v, v) for v in outputs]
    fgraph = FunctionGraph(req.inputs, outputs, clone=False)
    n_out = len(req.values) - len(req.updated)
    fgraph.updates = {n_out + j: s for j, s in enumerate(req.updated)}
    f.rewrite_log.extend(log)
    _late(fgraph, req, f.rewrite_log)
    return fgraph


def _late(fgraph: FunctionGraph, req: Request, log: RewriteLog) -> None:
    """The LATE_PASSES the request selects, with its include/exclude of their rewrites."""
    late = [p for p in resolve(req.rewrites) if p in LATE_PASSES]
    names = {n for p in LATE_PASSES if p in PASSES for n in (p, *PASSES[p].rewrite_names())}
    rewrite_graph(fgraph, late, [n for n in req.include if n in names],
                  [n for n in req.exclude if n in names], log)


def _log(records: Any) -> list[RewriteRecord] | None:
    if not isinstance(records, list):
        return None
    out = []
    for r in records:
        if not (isinstance(r, list) and len(r) == 5 and all(
                isinstance(s, str) and s.isprintable() for s in r)):
            return None
        out.append(RewriteRecord(*r))
    return out

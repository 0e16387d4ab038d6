"""The structure of a JSON graph, checked before `from_json` builds anything.

One walk over the document: ids unique and defined before use (so no cycles and no
dangling references), step graphs referenced without cycles, variable records of known
kinds and dtypes with static shapes of sane rank and size, function inputs that are
inputs and updates of shared variables. Values are checked by `serialize_checks`.
"""

from __future__ import annotations

from typing import Any

from .serialize_checks import (
    DTYPES,
    KINDS,
    check_bool,
    check_choice,
    check_dict,
    check_int,
    check_list,
    check_shape,
    check_text,
    fail,
    show,
)


def check_document(doc: dict) -> dict[int, tuple[str, dict]]:
    """The structure of a whole document, before anything is built; returns every
    variable record by id with where it is defined.

    Each id is declared once; leaves are defined up front, computed variables by exactly
    one node, and a node may only read variables defined before it (in its own graph or
    an enclosing one), so a cycle or a dangling id is refused here. Step graphs are
    checked likewise; a step graph referring (through scans) to itself is refused.
    """
    subdocs = check_list(doc.get("subgraphs", []), "subgraphs")
    records: dict[int, tuple[str, dict]] = {}
    graphs = [("graph", doc)] + [(f"subgraph {k}", check_dict(g, f"subgraph {k}", (
        "variables", "nodes", "inputs", "outputs", "name"))) for k, g in enumerate(subdocs)]
    for label, g in graphs:
        for i, rec in enumerate(check_list(g.get("variables"), f"{label}, variables")):
            at = f"{label}, variable {i}"
            rec = check_dict(rec, at, ("id", "kind", "name", "dtype", "shape"))
            vid = check_int(rec["id"], f"{at}.id", 0)
            if vid in records:
                raise fail(f"{at}.id", f"id {vid} is declared twice")
            _check_record(rec, f"variable {vid}")
            records[vid] = (label, rec)
    defined = _check_nodes(doc, graphs, records)
    for label, g in graphs:
        check_text(g.get("name", ""), f"{label}, name")
        if label == "graph":
            continue
        for i, vid in enumerate(check_list(g["inputs"], f"{label}, inputs")):
            if records[_known(vid, records, f"{label}, inputs[{i}]")][1]["kind"] != "input":
                raise fail(f"{label}, inputs[{i}]", f"variable {vid} is not an input")
        for i, vid in enumerate(check_list(g["outputs"], f"{label}, outputs")):
            _defined(vid, records, defined, f"{label}, outputs[{i}]")
    _check_roots(doc, records, defined)
    return records


def _check_record(rec: dict, at: str) -> None:
    kind = check_choice(rec["kind"], f"{at}.kind", KINDS)
    check_text(rec["name"], f"{at}.name", optional=True)
    dtype = check_choice(rec["dtype"], f"{at}.dtype", (*DTYPES, "rng"))
    check_shape(rec["shape"], f"{at}.shape")
    if dtype == "rng" and (kind == "constant" or rec["shape"]):
        raise fail(at, "a random generator is a 0-d shared variable or input")
    if kind in ("constant", "shared") and "value" not in rec:
        raise fail(at, f"a {kind} needs a value")


def _known(vid: Any, records: dict, where: str) -> int:
    vid = check_int(vid, where, 0)
    if vid not in records:
        raise fail(where, f"refers to variable {vid}, which the document does not declare")
    return vid


def _defined(vid: Any, records: dict, defined: set[int], where: str) -> int:
    vid = _known(vid, records, where)
    if vid not in defined:
        raise fail(where, f"variable {vid} is computed by no node of the document")
    return vid


def _check_nodes(doc: dict, graphs: list[tuple[str, dict]], records: dict) -> set[int]:
    """Checks every node; returns the ids defined (leaves and node outputs)."""
    defined = {vid for vid, (_, rec) in records.items() if rec["kind"] != "computed"}
    subgraph_refs: dict[int, set[int]] = {}
    for label, g in graphs:
        for k, nrec in enumerate(check_list(g.get("nodes"), f"{label}, nodes")):
            at = f"{label}, node {k}"
            nrec = check_dict(nrec, at, ("op", "params", "inputs", "outputs"))
            check_text(nrec["op"], f"{at}.op")
            check_text(nrec.get("source"), f"{at}.source", optional=True)
            params = check_dict(nrec["params"], f"{at}.params")
            for i, vid in enumerate(check_list(nrec["inputs"], f"{at}.inputs", 1 << 20)):
                vid = _known(vid, records, f"{at}.inputs[{i}]")
                if vid not in defined:
                    raise fail(f"{at}.inputs[{i}]", f"variable {vid} is used before a node "
                                                    f"computes it (a cycle or a dangling id)")
            for i, vid in enumerate(check_list(nrec["outputs"], f"{at}.outputs", 1 << 10)):
                vid = _known(vid, records, f"{at}.outputs[{i}]")
                if records[vid][1]["kind"] != "computed" or vid in defined:
                    raise fail(f"{at}.outputs[{i}]", f"variable {vid} is not a value this "
                                                     f"node may define (a leaf, or defined "
                                                     f"twice)")
                defined.add(vid)
            owner = int(label.split()[1]) if label != "graph" else -1
            for key, v in params.items():
                if isinstance(v, dict) and "subgraph" in v:
                    ref = check_int(v["subgraph"], f"{at}.params.{key}.subgraph", 0,
                                    len(graphs) - 2)
                    subgraph_refs.setdefault(owner, set()).add(ref)
    _refuse_subgraph_cycles(subgraph_refs)
    return defined


def _refuse_subgraph_cycles(refs: dict[int, set[int]]) -> None:
    """A step graph that contains (through scans) a scan of itself would never end."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for start in refs:
        stack = [(start, iter(sorted(refs.get(start, ()))))]
        state[start] = state.get(start, 0) or 1
        if state[start] == 2:
            continue
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                raise fail(f"subgraph {nxt}", "contains a scan of itself (a cycle)")
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(refs.get(nxt, ())))))


def _check_roots(doc: dict, records: dict, defined: set[int]) -> None:
    fdoc = doc.get("function")
    if fdoc is None:
        for i, vid in enumerate(check_list(doc.get("outputs"), "outputs")):
            _defined(vid, records, defined, f"outputs[{i}]")
        if doc.get("structure", "list") not in ("single", "list", "tuple"):
            raise fail("structure", f"{show(doc.get('structure'))} is not single, list or "
                                    f"tuple")
        if doc.get("structure") == "single" and len(doc["outputs"]) != 1:
            raise fail("outputs", "a 'single' structure has exactly one output")
        return
    fdoc = check_dict(fdoc, "function", ("inputs", "outputs", "single", "updates"))
    check_text(fdoc.get("name", "f"), "function.name")
    for i, vid in enumerate(check_list(fdoc["inputs"], "function.inputs")):
        if records[_known(vid, records, f"function.inputs[{i}]")][1]["kind"] != "input":
            raise fail(f"function.inputs[{i}]", f"variable {vid} is not an input")
    outs = check_list(fdoc["outputs"], "function.outputs")
    for i, vid in enumerate(outs):
        _defined(vid, records, defined, f"function.outputs[{i}]")
    if check_bool(fdoc["single"], "function.single") and len(outs) != 1:
        raise fail("function.outputs", "a single-output function has exactly one output")
    for i, pair in enumerate(check_list(fdoc["updates"], "function.updates")):
        pair = check_list(pair, f"function.updates[{i}]", 2)
        if len(pair) != 2:
            raise fail(f"function.updates[{i}]", "expected [shared id, value id]")
        s = _known(pair[0], records, f"function.updates[{i}][0]")
        _defined(pair[1], records, defined, f"function.updates[{i}][1]")
        if records[s][1]["kind"] != "shared":
            raise fail(f"function.updates[{i}][0]", f"variable {s} is not shared")


def parse_source(src: Any, where: str) -> tuple[str, int] | None:
    """A node's 'file:line' as a trace (None when absent or not of that form)."""
    src = check_text(src, where, optional=True)
    if not src:
        return None
    fname, _, line = src.rpartition(":")
    return (fname, int(line)) if fname and line.isdigit() and len(line) < 10 else None

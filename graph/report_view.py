"""What the Markdown and HTML templates show: names instead of ids, reasons and remediation
per hop, and (HTML) a picture of the subgraph laid out by NetworkX in layers by hop count.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import networkx as nx

MAX_PICTURED_PATHS = 40
"""The picture shows the worst paths only; the text lists all of them."""

KIND_COLOURS = {
    "internet": "#c0392b",
    "instance": "#2e86c1",
    "function": "#2e86c1",
    "load_balancer": "#2e86c1",
    "identity": "#8e44ad",
    "role": "#8e44ad",
    "group": "#8e44ad",
    "bucket": "#d35400",
    "database": "#d35400",
    "secret": "#b03a2e",
    "key": "#b03a2e",
    "disk": "#7f8c8d",
    "snapshot": "#7f8c8d",
}


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _md(text: Any) -> str:
    """Markdown table-safe text."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _evidence(props: Mapping[str, Any]) -> str:
    ev = props.get("evidence")
    if not ev:
        return ""
    return json.dumps(ev, default=str)[:400]


def _picture(data: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Node and edge coordinates for an inline SVG: layers by hop count, multipartite layout."""
    H = nx.DiGraph()
    H.add_node(data["source"], layer=0)
    for path in data["paths"][:MAX_PICTURED_PATHS]:
        for i, hop in enumerate(path["hops"], start=1):
            if hop["dst"] not in H:
                H.add_node(hop["dst"], layer=i)
            else:
                H.nodes[hop["dst"]]["layer"] = min(H.nodes[hop["dst"]]["layer"], i)
            H.add_edge(hop["src"], hop["dst"], kind=hop["kind"])
    if H.number_of_nodes() == 1:
        pos = {data["source"]: (0.0, 0.0)}
    else:
        H = _ordered_by_barycentre(H)
        layout = nx.multipartite_layout(H, subset_key="layer", align="vertical")
        pos = {n: (float(x), float(y)) for n, (x, y) in layout.items()}
    layers = max(d["layer"] for _n, d in H.nodes(data=True)) + 1
    tallest = max(sum(1 for _n, d in H.nodes(data=True) if d["layer"] == k) for k in range(layers))
    width, height = max(480, 230 * layers), max(160, 64 * tallest)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]

    def scale(v: float, lo: float, hi: float, size: int) -> float:
        return 90 + (size - 180) * ((v - lo) / (hi - lo) if hi > lo else 0.5)

    coords = {
        n: (
            round(scale(x, min(xs), max(xs), width), 1),
            round(scale(y, min(ys), max(ys), height) - 50, 1),
        )
        for n, (x, y) in pos.items()
    }
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    return {
        "width": width,
        "height": height - 40,
        "nodes": [
            {
                "x": x,
                "y": y,
                "label": _short(names.get(n, n)),
                "title": n,
                "colour": KIND_COLOURS.get(str(kinds.get(n)), "#566573"),
                "kind": kinds.get(n),
            }
            for n, (x, y) in coords.items()
        ],
        "edges": [
            {
                "x1": coords[u][0],
                "y1": coords[u][1],
                "x2": coords[v][0],
                "y2": coords[v][1],
                "kind": d["kind"],
            }
            for u, v, d in H.edges(data=True)
        ],
    }


def _ordered_by_barycentre(H: nx.DiGraph) -> nx.DiGraph:
    """The same graph with each layer's nodes inserted in the mean order of their parents in
    the previous layer (the barycentre heuristic), so the layout crosses fewer edges."""
    layers: dict[int, list[str]] = {}
    for n, d in H.nodes(data=True):
        layers.setdefault(d["layer"], []).append(n)
    rank: dict[str, float] = {}
    ordered = nx.DiGraph()
    for k in sorted(layers):

        def centre(n: str) -> tuple[float, str]:
            parents = [rank[p] for p in H.pred[n] if p in rank]
            return (sum(parents) / len(parents) if parents else 0.0, n)

        for i, n in enumerate(sorted(layers[k], key=centre)):
            rank[n] = i
            ordered.add_node(n, **H.nodes[n])
    ordered.add_edges_from(H.edges(data=True))
    return ordered


def view_model(
    G: nx.MultiDiGraph, data: dict[str, Any], remediation: Mapping[str, str], *, html: bool
) -> dict[str, Any]:
    """Template context for ``report.md.j2`` / ``report.html.j2``."""
    names = {n["id"]: str(n.get("name") or n["id"]) for n in data["nodes"]}
    sens = {r["id"]: r for r in data["reachable"]}
    paths = []
    for i, path in enumerate(data["paths"], start=1):
        hops = []
        for hop in path["hops"]:
            props = hop["props"]
            hops.append(
                {
                    "src": names.get(hop["src"], hop["src"]),
                    "dst": names.get(hop["dst"], hop["dst"]),
                    "src_id": hop["src"],
                    "dst_id": hop["dst"],
                    "kind": hop["kind"],
                    "reason": str(props.get("reason") or _default_reason(hop)),
                    "evidence": _evidence(props),
                    "conditional": bool(props.get("conditional")),
                    "remediation": remediation.get(hop["kind"], ""),
                }
            )
        target = sens.get(path["target"], {})
        paths.append(
            {
                "n": i,
                "target": names.get(path["target"], path["target"]),
                "target_id": path["target"],
                "target_kind": path["target_kind"],
                "sensitivity": target.get("sensitivity", ""),
                "conditional": path["conditional"],
                "hops": hops,
            }
        )
    details = [
        {
            **n,
            "props_text": json.dumps(n["props"], indent=1, default=str, sort_keys=True),
            "findings": n.get("findings", []),
        }
        for n in data["nodes"]
    ]
    by_kind: dict[str, int] = {}
    for r in data["reachable"]:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    return {
        "d": data,
        "names": names,
        "anchor": {n["id"]: f"node-{i}" for i, n in enumerate(data["nodes"])},
        "paths": paths,
        "details": details,
        "by_kind": sorted(by_kind.items()),
        "picture": _picture(data, names) if html else None,
        "md": _md,
        "colours": KIND_COLOURS,
    }


def _default_reason(hop: Mapping[str, Any]) -> str:
    return {
        "runs_as": "the workload runs with this identity's credentials",
        "member_of": "member of the group: inherits its policies",
        "contains": "holds it",
        "attached_to": "the disk is attached to the machine",
    }.get(str(hop["kind"]), str(hop["kind"]).replace("_", " "))

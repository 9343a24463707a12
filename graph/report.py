"""A blast radius as a file: JSON (paths plus nodes), Markdown, one self-contained HTML
page, GraphML for Gephi/yEd, or BloodHound OpenGraph JSON for BloodHound CE.

Every format carries the same facts: the source, the ranked targets, each path hop by hop
with the reason for every edge and a remediation hint per edge kind, the details of the nodes
on the paths (with findings when the graph has them), and the snapshot's warnings — what
could not be read, so that an empty answer is never mistaken for a safe one.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import networkx as nx

from blastscope.graph.errors import InputError
from blastscope.graph.model import write_atomic
from blastscope.graph.paths import AttackPath, BlastRadius, radius_subgraph

FORMATS = ("json", "md", "html", "graphml", "opengraph")

REMEDIATION = {
    "exposes": "Close the port to the internet in the firewall rule, or remove the public "
    "address and put the service behind a load balancer or VPN.",
    "runs_as": "Give the workload its own least-privilege identity; on AWS require IMDSv2 "
    "(HttpTokens=required) so a request forgery cannot steal its credentials.",
    "can_access": "Narrow the allowing statement's actions and resources, or deny the "
    "principal in the resource's policy.",
    "can_assume": "Restrict the role's trust policy to the principals that need it and add "
    "conditions (MFA, source identity).",
    "can_escalate": "Remove the permission the technique needs, or cap the principal with a "
    "permissions boundary.",
    "member_of": "Remove the membership, or narrow the group's policies.",
    "network_reach": "Admit only the sources that need the port (a security-group reference "
    "or a narrow CIDR) in the target's firewall.",
    "contains": "Move the secret out of user data / environment into a secrets manager and "
    "rotate the exposed credential.",
    "attached_to": "Encrypt the volume and restrict who can snapshot or attach it.",
}


def _findings(G: nx.MultiDiGraph, node: str) -> list[dict[str, Any]]:
    out = []
    for f in G.nodes[node].get("findings") or ():
        if dataclasses.is_dataclass(f) and not isinstance(f, type):
            out.append(dataclasses.asdict(f))
        elif isinstance(f, Mapping):
            out.append(dict(f))
    return out


def _warnings(G: nx.MultiDiGraph, warnings: Iterable[Any] | None) -> list[dict[str, Any]]:
    out = []
    for w in warnings if warnings is not None else G.graph.get("warnings") or ():
        out.append(w.to_dict() if hasattr(w, "to_dict") else dict(w))
    return out


def report_data(
    G: nx.MultiDiGraph,
    radius: BlastRadius,
    *,
    paths: Sequence[AttackPath] | None = None,
    warnings: Iterable[Any] | None = None,
) -> dict[str, Any]:
    """The facts every format renders: DESIGN.md's ``paths`` JSON plus nodes and warnings."""
    chosen = list(paths) if paths is not None else [r.path for r in radius.reached]
    on_paths = dict.fromkeys([radius.source, *(h.dst for p in chosen for h in p.hops)])
    nodes = []
    for n in on_paths:
        data = G.nodes[n]
        entry = {
            "id": n,
            "kind": data.get("kind"),
            "name": data.get("name"),
            "provider": data.get("provider"),
            "region": data.get("region"),
            "props": dict(data.get("props") or {}),
        }
        found = _findings(G, n)
        if found:
            entry["findings"] = found
        nodes.append(entry)
    return {
        "source": radius.source,
        "source_name": G.nodes[radius.source].get("name"),
        "provider": G.graph.get("provider"),
        "collected_at": G.graph.get("collected_at"),
        "truncated": radius.truncated,
        "paths": [p.to_dict() for p in chosen],
        "reachable": [
            {
                "id": r.id,
                "kind": r.kind,
                "name": r.name,
                "level": r.level,
                "actions": list(r.actions),
                "sensitivity": r.sensitivity,
                "hops": r.path.length,
                "conditional": r.path.conditional,
            }
            for r in radius.reached
        ],
        "identities": list(radius.identities),
        "nodes": nodes,
        "warnings": _warnings(G, warnings),
    }


def _json(G: nx.MultiDiGraph, data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def _flat(attrs: Mapping[str, Any]) -> dict[str, str]:
    """GraphML holds scalars only: every prop becomes a string (JSON for structures)."""
    out: dict[str, str] = {}
    for key, value in attrs.items():
        if key in ("props", "findings") and value:
            items = value.items() if isinstance(value, Mapping) else [("all", value)]
            for k, v in items:
                if v is not None:
                    out[f"{key}.{k}"] = v if isinstance(v, str) else json.dumps(v, default=str)
        elif value is not None and key not in ("props", "findings"):
            out[key] = value if isinstance(value, str) else json.dumps(value, default=str)
    return out


def _graphml(G: nx.MultiDiGraph, radius: BlastRadius, paths: Sequence[AttackPath] | None) -> str:
    sub = radius_subgraph(G, paths if paths is not None else radius)
    out = nx.MultiDiGraph(
        source=radius.source,
        collected_at=str(G.graph.get("collected_at") or ""),
        provider=str(G.graph.get("provider") or ""),
    )
    for n, attrs in sub.nodes(data=True):
        flat = _flat(attrs)
        if attrs.get("findings"):
            flat["findings"] = json.dumps(_findings(sub, n), default=str)
        out.add_node(n, **flat)
    for u, v, attrs in sub.edges(data=True):
        out.add_edge(u, v, **_flat(attrs))
    return "\n".join(nx.generate_graphml(out)) + "\n"


def _og_value(value: Any) -> Any:
    """OpenGraph properties hold primitives or flat arrays of one primitive type."""
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return json.dumps(value, default=str, sort_keys=True)


def _og_kind(kind: Any) -> str:
    return "BS" + "".join(part.capitalize() for part in str(kind).split("_"))


def _opengraph(G: nx.MultiDiGraph, radius: BlastRadius, paths: Sequence[AttackPath] | None) -> str:
    """BloodHound OpenGraph generic-ingest JSON: ``{"metadata", "graph": {"nodes", "edges"}}``,
    node and edge kinds prefixed ``BS`` (e.g. ``BSInstance``, ``BSCanAccess``)."""
    sub = radius_subgraph(G, paths if paths is not None else radius)
    nodes = []
    for n, attrs in sub.nodes(data=True):
        props: dict[str, Any] = {
            "name": str(attrs.get("name") or n),
            "displayname": str(attrs.get("name") or n),
            "objectid": n,
            "provider": str(attrs.get("provider") or ""),
            "region": str(attrs.get("region") or ""),
        }
        for key, value in (attrs.get("props") or {}).items():
            if value is not None and key not in props:
                props[key] = _og_value(value)
        nodes.append({"id": n, "kinds": [_og_kind(attrs.get("kind"))], "properties": props})
    edges = []
    for u, v, attrs in sub.edges(data=True):
        props = {k: _og_value(x) for k, x in (attrs.get("props") or {}).items() if x is not None}
        edges.append(
            {
                "kind": _og_kind(attrs.get("kind")),
                "start": {"value": u, "match_by": "id"},
                "end": {"value": v, "match_by": "id"},
                "properties": props,
            }
        )
    doc = {"metadata": {"source_kind": "Blastscope"}, "graph": {"nodes": nodes, "edges": edges}}
    return json.dumps(doc, indent=1) + "\n"


def render_report(
    G: nx.MultiDiGraph,
    radius: BlastRadius,
    fmt: str,
    *,
    paths: Sequence[AttackPath] | None = None,
    warnings: Iterable[Any] | None = None,
) -> str:
    """The report as text in ``fmt`` (one of :data:`FORMATS`).

    ``paths`` replaces the shortest path per target (e.g. with k alternatives); ``warnings``
    defaults to ``G.graph["warnings"]`` when the graph carries them.

    Raises:
        InputError: an unknown format.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "graphml":
        return _graphml(G, radius, paths)
    if fmt == "opengraph":
        return _opengraph(G, radius, paths)
    data = report_data(G, radius, paths=paths, warnings=warnings)
    if fmt == "json":
        return _json(G, data)
    from blastscope.graph.report_view import view_model

    env = _environment()
    template = env.get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    return template.render(**view_model(G, data, REMEDIATION, html=fmt == "html"))


def write_report(
    G: nx.MultiDiGraph,
    radius: BlastRadius,
    fmt: str,
    path: str | os.PathLike[str],
    *,
    paths: Sequence[AttackPath] | None = None,
    warnings: Iterable[Any] | None = None,
) -> Path:
    """Render and write atomically (never half a file); returns the path written."""
    target = Path(path)
    text = render_report(G, radius, fmt, paths=paths, warnings=warnings)
    write_atomic(target, text.encode("utf-8"))
    return target


_ENV: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
    return _ENV

"""``blastscope exposed`` and ``blastscope paths``: the internet-exposed machines of a snapshot,
and what an attacker holding one of them can reach (JSON shapes in shared/DESIGN.md)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blastscope.graph.build import Graph
from blastscope.graph.focus import focused_graph
from blastscope.graph.model import NodeKind, Snapshot
from blastscope.graph.paths import (
    AttackPath,
    all_paths,
    alternative_paths,
    blast_radius,
    exposed_summaries,
    resolve_node,
)
from blastscope.graph.report import FORMATS, render_report
from blastscope.tui.commands.common import add_snapshot_argument, emit, read_snapshot

NODE_KINDS = tuple(str(k) for k in NodeKind)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


PARALLEL_AT = 20_000
"""Snapshot size (nodes) from which the analyses run in worker processes."""


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=min(os.cpu_count() or 1, 4),
        help="worker processes for the analyses of a large snapshot (default: CPUs, at"
        " most 4; each may copy part of the snapshot's memory)",
    )


def _focused(
    snapshot: Snapshot, jobs: int, sources: Callable[[Graph], list[str]] | None = None
) -> Graph:
    """The graph with the derived edges that questions from ``sources(G)`` (default: the
    exposed nodes) need — the permissions of the principals they reach, not of every one."""
    workers = jobs if len(snapshot.nodes) >= PARALLEL_AT else 1
    return focused_graph(snapshot, sources, workers=workers)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exposed = sub.add_parser("exposed", help="internet-exposed machines, worst first")
    add_snapshot_argument(exposed)
    _add_jobs(exposed)
    exposed.add_argument("--format", choices=("table", "json"), default="table")
    exposed.add_argument("-o", "--output", type=Path, help="write to a file instead")
    exposed.set_defaults(handler=run_exposed)

    paths = sub.add_parser("paths", help="what an attacker holding a node can reach, and how")
    add_snapshot_argument(paths)
    _add_jobs(paths)
    paths.add_argument(
        "--from", dest="source", required=True, help="node id, native id (i-…) or unique name"
    )
    paths.add_argument(
        "--to", dest="target", help=f"a node kind ({', '.join(NODE_KINDS)}) or a node id/name"
    )
    paths.add_argument("--max-depth", type=_positive, help="longest path, in hops")
    paths.add_argument(
        "--k", type=_positive, default=1, help="paths per target (shortest first; default 1)"
    )
    paths.add_argument(
        "--all-paths",
        action="store_true",
        help="every simple path up to --max-depth (default 6), not only the shortest",
    )
    paths.add_argument(
        "--no-conditional",
        action="store_true",
        help="leave out hops that hold only under a policy condition",
    )
    paths.add_argument("--format", choices=("table", *FORMATS), default="table")
    paths.add_argument("-o", "--output", type=Path, help="write to a file instead")
    paths.epilog = "Exit status 1 when --to names a node that is not reachable."
    paths.set_defaults(handler=run_paths)


def run_exposed(args: argparse.Namespace) -> int:
    snapshot = read_snapshot(args)
    G = _focused(snapshot, args.jobs)
    summaries = exposed_summaries(G)
    if args.format == "json":
        emit(json.dumps([s.to_dict() for s in summaries], indent=2), args.output)
        return 0
    if not summaries:
        emit("no internet-exposed nodes found" + _warned(snapshot), args.output)
        return 0
    rows = [("NAME", "KIND", "PORTS", "DANGER", "DATA", "IDENT", "WORST TARGET", "ID")]
    for s in summaries:
        worst = f"{s.worst.name} ({s.worst.kind}, {s.worst.sensitivity})" if s.worst else "-"
        rows.append(
            (
                s.name,
                s.kind,
                _ports(s.ports),
                ",".join(s.dangerous) or "-",
                str(s.data_count),
                str(s.identity_count),
                worst,
                s.id,
            )
        )
    emit(_table(rows) + _warned(snapshot), args.output)
    return 0


def run_paths(args: argparse.Namespace) -> int:
    snapshot = read_snapshot(args)
    named: dict[str, str] = {}

    def resolve(G: Graph) -> list[str]:  # as soon as the graph is built: typos fail early
        named["source"] = resolve_node(G, args.source)
        if args.target and args.target not in NODE_KINDS:
            named["target"] = resolve_node(G, args.target)
        return [named["source"]]

    G = _focused(snapshot, args.jobs, resolve)
    source, target_id = named["source"], named.get("target")
    target_kinds = None
    if target_id is not None:
        target_kinds = [str(G.nodes[target_id].get("kind"))]
    elif args.target:
        target_kinds = [args.target]
    radius = blast_radius(
        G,
        source,
        max_depth=args.max_depth,
        target_kinds=target_kinds,
        include_conditional=not args.no_conditional,
    )
    if target_id is not None:
        radius = type(radius)(
            radius.source,
            [r for r in radius.reached if r.id == target_id],
            radius.identities,
            radius.truncated,
        )
    chosen: list[AttackPath] | None = None
    if args.k > 1 or target_id is not None or args.all_paths:
        chosen = []
        for reach in radius.reached:
            if args.all_paths:
                alts = all_paths(G, source, reach.id, max_depth=args.max_depth or 6)
            else:
                alts = alternative_paths(G, source, reach.id, k=args.k, max_depth=args.max_depth)
            if args.no_conditional:
                alts = [p for p in alts if not p.conditional] or [reach.path]
            chosen.extend(alts or [reach.path])
    if args.format == "table":
        emit(_paths_table(G, radius, chosen) + _warned(snapshot), args.output)
    else:
        text = render_report(G, radius, args.format, paths=chosen, warnings=snapshot.warnings)
        emit(text, args.output)
    return 0 if radius.reached or target_id is None else 1


def _paths_table(G: Any, radius: Any, chosen: list[AttackPath] | None) -> str:
    name = G.nodes[radius.source].get("name") or radius.source
    if not radius.reached:
        cut = " (depth limit reached)" if radius.truncated else ""
        return f"nothing reachable from {name}{cut}"
    lines = [
        f"from {name}: {len(radius.reached)} reachable, "
        f"{len(radius.identities)} identities{' (truncated)' if radius.truncated else ''}"
    ]
    rows = [("#", "TARGET", "KIND", "SENS", "ACCESS", "HOPS", "PATH")]
    paths = chosen if chosen is not None else [r.path for r in radius.reached]
    reach_by_id = {r.id: r for r in radius.reached}
    for i, path in enumerate(paths, start=1):
        r = reach_by_id.get(path.target)
        via = " → ".join(
            [str(G.nodes[path.source].get("name"))]
            + [f"[{h.kind}] {G.nodes[h.dst].get('name')}" for h in path.hops]
        )
        rows.append(
            (
                str(i),
                str(G.nodes[path.target].get("name")),
                path.target_kind,
                str(r.sensitivity if r else ""),
                r.level if r else "",
                f"{path.length}{'?' if path.conditional else ''}",
                via,
            )
        )
    return "\n".join([*lines, _table(rows), "(? = conditional path)"])


def _ports(ports: list[list[int]]) -> str:
    if ports == [[0, 65535]]:
        return "all"
    text = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ports[:6])
    return text + (",…" if len(ports) > 6 else "") if text else "-"


def _table(rows: list[tuple[str, ...]]) -> str:
    last = len(rows[0]) - 1  # the last column (an id or a path) is never cut
    widths = [
        max(len(r[i]) for r in rows) if i == last else min(48, max(len(r[i]) for r in rows))
        for i in range(len(rows[0]))
    ]
    out = []
    for row in rows:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(row, widths, strict=True)]
        out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(out)


def _warned(snapshot: Any) -> str:
    if not snapshot.warnings:
        return ""
    return (
        f"\n{len(snapshot.warnings)} part(s) of the estate could not be read and are "
        "unknown (see the snapshot's warnings)"
    )

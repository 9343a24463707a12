"""``blastscope can`` and ``blastscope who-can``: ask a snapshot's IAM a question, and why.

The principal and resource are given as ids (ARNs, Azure ids, GCP names) or unique names;
the evaluator is the one of the node's provider (``evaluator_for``). ``can`` exits 0 when
allowed, 1 when denied or only conditionally allowed (a script must not read "maybe" as
"yes"); bad input exits 2 with the closest ids suggested.
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections import deque
from typing import Any

from blastscope.graph.errors import InputError
from blastscope.graph.iam import Decision, Outcome, evaluator_for
from blastscope.graph.model import PRINCIPAL_KINDS, Node, Snapshot
from blastscope.tui.commands.common import add_snapshot_argument, emit, read_snapshot

CHAIN_KINDS = ("can_assume", "can_escalate")
"""Edges who-can follows backwards to find principals that reach a direct one."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    can = sub.add_parser("can", help="may PRINCIPAL do ACTION on RESOURCE? and why")
    add_snapshot_argument(can)
    can.add_argument("principal", help="user / role / identity: id or unique name")
    can.add_argument("action", help="e.g. s3:GetObject")
    can.add_argument("resource", help="resource id (ARN...) or unique name")
    can.add_argument("--format", choices=("table", "json"), default="table")
    can.set_defaults(handler=run_can)
    who = sub.add_parser("who-can", help="every principal that may do ACTION on RESOURCE")
    add_snapshot_argument(who)
    who.add_argument("action", help="e.g. s3:GetObject")
    who.add_argument("resource", help="resource id (ARN...) or unique name")
    who.add_argument("--format", choices=("table", "json"), default="table")
    who.add_argument(
        "--direct", action="store_true", help="only principals allowed directly (no assume chains)"
    )
    who.set_defaults(handler=run_who_can)


def run_can(args: argparse.Namespace) -> int:
    snapshot = read_snapshot(args)
    nodes = snapshot.node_index()
    principal = resolve(snapshot, args.principal, principals=True)
    resource, _ = _resource(snapshot, args.resource, nodes)
    provider = nodes[principal].provider
    if provider == "demo":
        provider = _provider_of_id(principal)
    _check_action(provider, args.action)
    decision = evaluator_for(provider).evaluate(snapshot, principal, args.action, resource)
    if args.format == "json":
        emit(json.dumps(_decision_json(principal, args.action, resource, decision), indent=2), None)
    else:
        emit(_decision_text(principal, args.action, resource, decision), None)
    return 0 if decision.outcome == Outcome.ALLOW else 1


def run_who_can(args: argparse.Namespace) -> int:
    snapshot = read_snapshot(args)
    nodes = snapshot.node_index()
    resource, provider = _resource(snapshot, args.resource, nodes)
    _check_action(provider, args.action)
    direct = evaluator_for(provider).who_can(snapshot, args.action, resource)
    rows: list[dict[str, Any]] = [
        {
            "principal": pid,
            "name": nodes[pid].name if pid in nodes else pid,
            "outcome": str(d.outcome),
            "via": [],
            "reason": d.reason,
            "statements": [_ref_json(r) for r in d.statements],
        }
        for pid, d in direct
    ]
    if not args.direct and direct:
        rows.extend(_chains(snapshot, {pid: d for pid, d in direct}, nodes))
    if args.format == "json":
        emit(
            json.dumps({"action": args.action, "resource": resource, "principals": rows}, indent=2),
            None,
        )
    else:
        emit(_who_table(args.action, resource, rows), None)
    return 0


def resolve(snapshot: Snapshot, text: str, *, principals: bool = False) -> str:
    """A node id from an id or a unique name (case-insensitive); InputError with suggestions."""
    nodes = [n for n in snapshot.nodes if not principals or n.kind in PRINCIPAL_KINDS]
    ids = {n.id for n in nodes}
    if text in ids:
        return text
    named = [n.id for n in nodes if n.name.lower() == text.lower() or n.id.lower() == text.lower()]
    if len(named) == 1:
        return named[0]
    what = "principal" if principals else "node"
    if len(named) > 1:
        raise InputError(
            f"{what} {text!r} is ambiguous: {', '.join(sorted(named)[:5])}; give the id"
        )
    raise InputError(f"no {what} {text!r} in this snapshot{_suggest(text, nodes)}")


def _suggest(text: str, nodes: list[Node]) -> str:
    pool = {n.id: n.id for n in nodes} | {n.name: n.id for n in nodes if n.name}
    close = difflib.get_close_matches(text, list(pool), n=3, cutoff=0.5)
    return f" (closest: {', '.join(dict.fromkeys(pool[c] for c in close))})" if close else ""


def _resource(snapshot: Snapshot, text: str, nodes: dict[str, Node]) -> tuple[str, str]:
    """(resource id, provider): a node, or an ARN not collected as a node (an S3 object)."""
    if text.startswith("arn:") and text not in nodes:
        return text, "aws"
    if text == "*":  # every resource: who holds the action unrestricted
        return text, snapshot.provider if snapshot.provider in ("azure", "gcp") else "aws"
    rid = resolve(snapshot, text)
    provider = nodes[rid].provider
    if provider == "demo":
        provider = _provider_of_id(rid)
    return rid, provider


def _provider_of_id(node_id: str) -> str:
    if node_id.startswith("arn:") or node_id.startswith("aws:"):
        return "aws"
    if node_id.startswith("//"):
        return "gcp"
    return "azure"


def _check_action(provider: str, action: str) -> None:
    """AWS actions are checked against the catalogue; a typo is bad input, not a deny."""
    if provider != "aws":
        return
    from blastscope.graph.iam.aws_actions import action_info, service_actions

    if ":" not in action or "*" in action or "?" in action:
        raise InputError(f"action {action!r}: give one action such as s3:GetObject")
    if action_info(action) is None:
        service = action.split(":", 1)[0]
        names = [i.name for i in service_actions(service).values()]
        close = difflib.get_close_matches(action, names, n=3, cutoff=0.6)
        hint = f" (closest: {', '.join(close)})" if close else ""
        raise InputError(f"unknown AWS action {action!r}{hint}")


def _chains(
    snapshot: Snapshot, direct: dict[str, Decision], nodes: dict[str, Node]
) -> list[dict[str, Any]]:
    """Principals reaching a direct one over can_assume / can_escalate edges (shortest)."""
    from blastscope.graph.build import derived_edges

    into: dict[str, list[tuple[str, str]]] = {}
    for e in [*snapshot.edges, *derived_edges(snapshot)]:
        if str(e.kind) in CHAIN_KINDS:
            into.setdefault(e.dst, []).append((e.src, str(e.kind)))
    seen = set(direct)
    queue = deque((pid, [pid]) for pid in sorted(direct))
    rows = []
    while queue:
        current, path = queue.popleft()
        for src, kind in sorted(into.get(current, ())):
            if src in seen:
                continue
            seen.add(src)
            via = [src, *path]
            d = direct[path[-1]]
            hop = nodes[current].name if current in nodes else current
            rows.append(
                {
                    "principal": src,
                    "name": nodes[src].name if src in nodes else src,
                    "outcome": str(d.outcome),
                    "via": via[1:],
                    "reason": f"{kind} {hop}, which {d.reason}",
                    "statements": [_ref_json(r) for r in d.statements],
                }
            )
            queue.append((src, via))
    return rows


def _ref_json(ref: Any) -> dict[str, Any]:
    return {"document": ref.document, "statement": ref.index, "sid": ref.sid, "effect": ref.effect}


def _decision_json(principal: str, action: str, resource: str, d: Decision) -> dict[str, Any]:
    return {
        "principal": principal,
        "action": action,
        "resource": resource,
        "outcome": str(d.outcome),
        "allowed": d.allowed,
        "reason": d.reason,
        "statements": [_ref_json(r) for r in d.statements],
    }


def _decision_text(principal: str, action: str, resource: str, d: Decision) -> str:
    head = {"allow": "ALLOW", "conditional": "CONDITIONAL"}.get(str(d.outcome), "DENY")
    lines = [f"{head} ({d.outcome})  {principal}  {action}  {resource}", f"  {d.reason}"]
    if d.statements:
        lines.append("  deciding statements:")
        for r in d.statements:
            sid = f" ({r.sid})" if r.sid else ""
            lines.append(f"    {r.effect:<5} statement {r.index}{sid} of {r.document}")
    return "\n".join(lines)


def _who_table(action: str, resource: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"nobody may {action} on {resource}"
    width = max(len(r["principal"]) for r in rows)
    lines = [f"{'PRINCIPAL':<{width}}  {'OUTCOME':<11}  VIA"]
    for r in rows:
        via = " → ".join(r["via"]) if r["via"] else "direct"
        lines.append(f"{r['principal']:<{width}}  {r['outcome']:<11}  {via}")
    return "\n".join(lines)

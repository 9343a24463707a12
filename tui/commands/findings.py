"""``blastscope findings SNAP``: the customer-side risk checklist, worst first."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from blastscope.graph.findings import Finding, findings, parse_severity, severity_counts
from blastscope.graph.model import Snapshot
from blastscope.tui.commands.common import add_snapshot_argument, emit, read_snapshot

FORMATS = ("table", "json", "md")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("findings", help="risk findings (open ports, IMDSv1, no MFA, public data…)")
    add_snapshot_argument(p)
    p.add_argument(
        "--severity",
        default="info",
        help="show this severity and worse: critical, high, medium, low, info (default)",
    )
    p.add_argument("--rule", action="append", help="only this rule id (repeatable)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    minimum = parse_severity(args.severity)
    snapshot = read_snapshot(args)
    found = findings(snapshot, rules=args.rule, min_severity=minimum)
    names = {n.id: n.name for n in snapshot.nodes}
    if args.format == "json":
        text = json.dumps([_json(f, names) for f in found], indent=2, default=str)
    elif args.format == "md":
        text = render_markdown(found, names, snapshot)
    else:
        text = render_table(found, names)
    emit(text, args.output)
    if args.format == "table" and args.output is None:
        counts = severity_counts(found)
        print(
            ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings", file=sys.stderr
        )
    return 0


def _json(f: Finding, names: dict[str, str]) -> dict[str, object]:
    return {**f.to_dict(), "node_name": names.get(f.node, f.node)}


def plain(text: object) -> str:
    """One line, with control and bidi characters escaped: names and tags come from the cloud."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def render_table(found: list[Finding], names: dict[str, str]) -> str:
    if not found:
        return "no findings"
    rows = [
        (str(f.severity), f.rule, plain(names.get(f.node, f.node)), plain(f.title)) for f in found
    ]
    widths = [max(len(r[i]) for r in rows + [("SEVERITY", "RULE", "NODE", "")]) for i in range(3)]
    head = f"{'SEVERITY':<{widths[0]}}  {'RULE':<{widths[1]}}  {'NODE':<{widths[2]}}  TITLE"
    body = [f"{s:<{widths[0]}}  {r:<{widths[1]}}  {n:<{widths[2]}}  {t}" for s, r, n, t in rows]
    return "\n".join([head, *body])


def render_markdown(found: list[Finding], names: dict[str, str], snapshot: Snapshot) -> str:
    lines = [f"# Findings — {snapshot.provider} snapshot of {snapshot.collected_at}", ""]
    counts = severity_counts(found)
    lines.append(", ".join(f"**{n}** {s}" for s, n in counts.items() if n) or "No findings.")
    for f in found:
        lines += [
            "",
            f"## {f.severity.upper()}: {_md(f.title)}",
            "",
            f"- node: `{_md(names.get(f.node, f.node))}` (`{_md(f.node)}`)",
            f"- rule: `{f.rule}`",
            f"- evidence: `{_md(json.dumps(dict(f.evidence), default=str, sort_keys=True))}`",
            f"- remediation: {_md(f.remediation)}",
        ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return plain(text).replace("`", "'").replace("<", "&lt;").replace(">", "&gt;")

"""Customer-side risk findings: the shared-responsibility checklist, evaluated on every node.

Each rule is a small pure function over the snapshot (see ``findings_*.py``), registered in
:data:`RULES` here and nowhere else. Rules read only the props and documents listed in
``graph/MODEL.md`` ("Findings inputs"); what was not read makes no finding. ``build_graph``
attaches the result to nodes (``G.nodes[n]["findings"]``) so blast-radius ranking, reports and
the TUI can show why each step is weak.

Examples:
    >>> from blastscope.graph.model import Node, NodeKind, Partial, merge_parts
    >>> vm = Node("i-1", NodeKind.INSTANCE, "web", "aws", props={"imds_v1": True})
    >>> snap = merge_parts([Partial(nodes=[vm])], provider="aws", scope={}, collected_at="t")
    >>> [(f.id, str(f.severity)) for f in findings(snap)]
    [('imds-v1:i-1', 'medium')]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from blastscope.graph import (
    findings_admin,
    findings_compute,
    findings_data,
    findings_identity,
    findings_logging,
)
from blastscope.graph.errors import InputError
from blastscope.graph.findings_base import Finding, Index, Rule, Severity
from blastscope.graph.model import Snapshot

__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "Severity",
    "by_node",
    "findings",
    "parse_severity",
    "severity_counts",
]

RULES: Mapping[str, Rule] = {
    rule.id: rule
    for rule in (
        *findings_compute.RULES,
        *findings_identity.RULES,
        *findings_admin.RULES,
        *findings_data.RULES,
        *findings_logging.RULES,
    )
}
"""Every rule, by id, in the order they run (compute, identity, data, logging)."""


def findings(
    snapshot: Snapshot, *, rules: Iterable[str] | None = None, min_severity: Severity | None = None
) -> list[Finding]:
    """Run the rules over ``snapshot``: findings sorted worst first, then by rule and node.

    Args:
        snapshot: what was collected.
        rules: rule ids to run (default: all of :data:`RULES`).
        min_severity: drop findings less severe than this.

    Raises:
        InputError: an unknown rule id.
    """
    selected = list(RULES) if rules is None else list(rules)
    unknown = [r for r in selected if r not in RULES]
    if unknown:
        raise InputError(f"unknown findings rule(s): {', '.join(unknown)}")
    ix = Index(snapshot)
    out: dict[str, Finding] = {}
    for rule_id in selected:
        for finding in RULES[rule_id].run(ix):
            if finding.node in ix.nodes:
                out.setdefault(finding.id, finding)
    limit = min_severity.rank if min_severity is not None else len(Severity)
    ranked = [f for f in out.values() if f.severity.rank <= limit]
    return sorted(ranked, key=lambda f: (f.severity.rank, f.rule, f.node))


def by_node(found: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by the node they concern (worst first within a node)."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in found:
        grouped[f.node].append(f)
    for items in grouped.values():
        items.sort(key=lambda f: (f.severity.rank, f.rule))
    return dict(grouped)


def severity_counts(found: Iterable[Finding]) -> dict[str, int]:
    """``{"critical": n, …, "info": n}`` in severity order, zeros included."""
    counts = {str(s): 0 for s in Severity}
    for f in found:
        counts[str(f.severity)] += 1
    return counts


def parse_severity(text: str) -> Severity:
    """A severity name (any case) → :class:`Severity`.

    Raises:
        InputError: not a severity.
    """
    try:
        return Severity(text.strip().lower())
    except ValueError:
        names = ", ".join(str(s) for s in Severity)
        raise InputError(f"severity: {text!r} is not one of {names}") from None

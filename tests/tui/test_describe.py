"""The words the screens use: ages, scope lines, ports, edge reasons, statement lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from blastscope.tui.widgets.describe import (
    age,
    edge_label,
    edge_reason,
    format_ports,
    hop_explanation,
    is_stale,
    scope_line,
)
from blastscope.tui.widgets.path_picture import draw_path
from blastscope.tui.widgets.policy_view import statement_lines

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_age_and_staleness() -> None:
    assert age("2026-11-30T12:00:00Z", NOW) == "12 h ago"
    assert age("2026-11-20T00:00:00Z", NOW) == "11 d ago"
    assert age("garbage", NOW) == "age unknown"
    assert not is_stale("2026-11-30T12:00:00Z", NOW)
    assert is_stale("2026-11-20T00:00:00Z", NOW)


def test_scope_line_names_account_regions_age_and_partial() -> None:
    line = scope_line(
        "aws",
        {"account": "111122223333", "regions": ["us-east-1", "eu-west-1"]},
        "2026-11-20T00:00:00Z",
        NOW,
        partial=True,
    )
    assert line == (
        "aws 111122223333 · us-east-1 +1 · collected 2026-11-20 00:00Z, 11 d ago · STALE · PARTIAL"
    )


def test_ports_and_labels() -> None:
    assert format_ports([[22, 22], [8000, 8080]]) == "22, 8000-8080"
    assert format_ports([[0, 65535]]) == "all"
    assert edge_label("can_access", {"level": "write"}) == "can_access (write)"
    assert edge_label("exposes", {"ports": [[443, 443]]}) == "exposes 443"


def test_edge_reason_prefers_the_analysis_reason_and_falls_back_to_words() -> None:
    assert edge_reason("can_access", {"reason": "because"}, "a", "b") == "because"
    assert (
        edge_reason("runs_as", {"via": "profile/web"}, "web-01", "web-role")
        == "web-01 runs as web-role (via profile/web)"
    )


def test_hop_explanation_cites_evidence() -> None:
    lines = dict(
        hop_explanation(
            "can_access",
            {"level": "read", "conditional": True, "evidence": [{"document": "d", "statement": 2}]},
            ("role", "role"),
            ("pii", "bucket"),
        )
    )
    assert lines["evidence"] == "d statement 2"
    assert lines["condition"] == "only if a policy condition holds"


def test_statement_lines_cover_exactly_the_statement() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
            {"Sid": "B", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["x"]},
        ],
    }
    text, lines = statement_lines(doc, "B")
    shown = "\n".join(text.splitlines()[lines.start - 1 : lines.stop - 1])
    assert json.loads(shown.rstrip(",")) == doc["Statement"][1]
    assert statement_lines(doc, 1)[1] == lines
    assert statement_lines(doc, 7)[1] == range(0)
    assert statement_lines("not json {", 0) == ("not json {", range(0))


def test_draw_path_marks_the_selected_hop() -> None:
    text = draw_path([("a", "x"), ("b", "y"), ("c", "z")], ["runs_as", "can_access"], selected=1)
    assert "│ can_access" in text.plain
    styled = [span for span in text.spans if "reverse" in str(span.style)]
    assert [text.plain[s.start : s.end] for s in styled] == ["│ can_access"]

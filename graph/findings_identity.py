"""Identity findings: console users without MFA, stale or unused keys, root keys, wildcard trust.

Access keys follow MODEL.md's ``access_keys`` shape for every cloud: AWS user access keys,
GCP user-managed service-account keys and Azure application client secrets alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from blastscope.graph.findings_base import (
    PUBLIC_MEMBERS,
    Hit,
    Index,
    Rule,
    Severity,
    as_list,
    is_wildcard_principal,
    statements,
    strings,
)
from blastscope.graph.model import Node

KEY_MAX_AGE_DAYS = 90
KEY_MAX_IDLE_DAYS = 90
_KEY_NAMES = {"service_account": "service-account key", "service_principal": "client secret"}


def _active_keys(node: Node) -> list[dict[str, Any]]:
    keys = [k for k in as_list(node.props.get("access_keys")) if isinstance(k, dict)]
    return [k for k in keys if str(k.get("status") or "active").lower() in ("active", "enabled")]


def _console_without_mfa(ix: Index) -> Iterator[Hit]:
    for ident in ix.of_kind("identity"):
        props = ident.props
        if props.get("principal_type") == "root":
            continue  # root-no-mfa says it louder
        if props.get("console") is True and props.get("mfa") is False:
            yield Hit(ident.id, {"console": True, "mfa": False})


def _old_keys(ix: Index) -> Iterator[Hit]:
    for ident in ix.of_kind("identity"):
        old = []
        for key in _active_keys(ident):
            age = ix.age_days(key.get("created"))
            if age is not None and age > KEY_MAX_AGE_DAYS:
                old.append(
                    {
                        "id_suffix": key.get("id_suffix"),
                        "created": key.get("created"),
                        "age_days": age,
                    }
                )
        if old:
            what = _KEY_NAMES.get(str(ident.props.get("principal_type")), "access key")
            yield Hit(
                ident.id,
                {"keys": old, "threshold_days": KEY_MAX_AGE_DAYS},
                title=f"{what} older than {KEY_MAX_AGE_DAYS} days",
            )


def _unused_keys(ix: Index) -> Iterator[Hit]:
    for ident in ix.of_kind("identity"):
        # Only AWS reports a key's last use (GCP and Azure collectors write null: unknown).
        if ident.provider != "aws" or "access_keys.last_used" in (ident.props.get("unknown") or ()):
            continue
        idle = []
        for key in _active_keys(ident):
            if "last_used" not in key:
                continue  # not collected: unknown, not "never"
            used = ix.age_days(key.get("last_used"))
            created = ix.age_days(key.get("created"))
            never = key.get("last_used") is None and created is not None
            if (used is not None and used > KEY_MAX_IDLE_DAYS) or (
                never and created is not None and created > KEY_MAX_IDLE_DAYS
            ):
                idle.append(
                    {
                        "id_suffix": key.get("id_suffix"),
                        "last_used": key.get("last_used"),
                        "created": key.get("created"),
                    }
                )
        if idle:
            yield Hit(ident.id, {"keys": idle, "threshold_days": KEY_MAX_IDLE_DAYS})


def _roots(ix: Index) -> tuple[list[Node], list[Node]]:
    """Root identities, and account nodes whose root user has no node of its own."""
    roots = [i for i in ix.of_kind("identity") if i.props.get("principal_type") == "root"]
    covered = {str(r.props.get("account")) for r in roots}
    accounts = [
        a
        for a in ix.of_kind("account")
        if str(a.props.get("native_id") or a.props.get("account")) not in covered
    ]
    return roots, accounts


def _summary(acct: Node, key: str) -> Any:
    summary = acct.props.get("iam_summary")
    return summary.get(key) if isinstance(summary, dict) else None


def _root_access_keys(ix: Index) -> Iterator[Hit]:
    roots, accounts = _roots(ix)
    for root in roots:
        if root.props.get("access_keys_present") is True or _active_keys(root):
            keys = [k.get("id_suffix") for k in _active_keys(root)]
            yield Hit(root.id, {"access_keys_present": True, "keys": keys})
    for acct in accounts:
        count = acct.props.get("root_access_keys")
        if count is None:
            count = _summary(acct, "AccountAccessKeysPresent")
        if count is True or (isinstance(count, (int, list)) and count and count is not False):
            yield Hit(
                acct.id, {"root_access_keys": len(count) if isinstance(count, list) else count}
            )


def _root_without_mfa(ix: Index) -> Iterator[Hit]:
    roots, accounts = _roots(ix)
    for root in roots:
        if root.props.get("mfa") is False:
            yield Hit(root.id, {"mfa": False})
    for acct in accounts:
        mfa = acct.props.get("root_mfa")
        if mfa is None and isinstance(_summary(acct, "AccountMFAEnabled"), int):
            mfa = bool(_summary(acct, "AccountMFAEnabled"))
        if mfa is False:
            yield Hit(acct.id, {"root_mfa": False})


def _wildcard_trust(ix: Index) -> Iterator[Hit]:
    for node in ix.of_kind("role"):
        if node.provider == "aws":
            hit = _aws_wildcard(ix, node, node.props.get("trust_policy"), trust=True)
            if hit:
                yield hit
    for node in ix.of_kind("secret", "key", "function"):
        if node.provider == "aws":
            hit = _aws_wildcard(ix, node, node.props.get("policy"), trust=False)
            if hit:
                yield hit
    yield from _gcp_public_members(ix)


def _aws_wildcard(ix: Index, node: Node, doc_id: Any, *, trust: bool) -> Hit | None:
    grants = []
    for i, stmt in statements(ix.document(doc_id)):
        if stmt.get("Effect") == "Allow" and is_wildcard_principal(stmt.get("Principal")):
            grants.append(
                {
                    "document": doc_id,
                    "statement": stmt.get("Sid", i),
                    "conditions": _condition_keys(stmt.get("Condition")),
                }
            )
    if not grants:
        return None
    unconditional = any(not g["conditions"] for g in grants)
    if trust:
        title = 'role trust policy lets any AWS principal assume it (Principal: "*")'
        severity = Severity.CRITICAL if unconditional else Severity.MEDIUM
    else:
        title = f'{node.kind} resource policy grants access to anyone (Principal: "*")'
        severity = Severity.HIGH if unconditional else Severity.MEDIUM
    return Hit(node.id, {"grants": grants, "conditional": not unconditional}, severity, title)


def _condition_keys(condition: Any) -> list[str]:
    """The condition operators of a statement (a malformed Condition still counts as one)."""
    if isinstance(condition, dict):
        return sorted(map(str, condition))
    return ["<malformed>"] if condition else []


def _gcp_public_members(ix: Index) -> Iterator[Hit]:
    for doc_id, doc in ix.documents.items():
        if not doc_id.endswith("#iam") or not isinstance(doc, dict):
            continue
        resource = ix.nodes.get(doc_id[: -len("#iam")])
        if resource is None or resource.provider != "gcp" or resource.kind == "bucket":
            continue  # buckets: public-bucket reports them
        grants = [
            {
                "document": doc_id,
                "role": b.get("role"),
                "members": sorted(strings(b["members"]) & PUBLIC_MEMBERS),
                "condition": bool(b.get("condition")),
            }
            for b in as_list(doc.get("bindings"))
            if isinstance(b, dict)
            and isinstance(b.get("members"), list)
            and PUBLIC_MEMBERS & strings(b["members"])
        ]
        if grants:
            severity = Severity.CRITICAL if resource.kind == "account" else Severity.HIGH
            yield Hit(
                resource.id,
                {"grants": grants},
                severity,
                "IAM policy grants a role to allUsers / allAuthenticatedUsers",
            )


RULES = (
    Rule(
        "console-no-mfa",
        "identity",
        Severity.HIGH,
        "console user without MFA",
        "Enforce MFA for console sign-in (or remove the login profile if it is unused).",
        _console_without_mfa,
    ),
    Rule(
        "access-key-old",
        "identity",
        Severity.MEDIUM,
        f"access key older than {KEY_MAX_AGE_DAYS} days",
        "Rotate the key (create a new one, switch consumers, delete the old); prefer roles "
        "or workload identity over long-lived keys.",
        _old_keys,
    ),
    Rule(
        "access-key-unused",
        "identity",
        Severity.MEDIUM,
        f"access key unused for {KEY_MAX_IDLE_DAYS} days",
        "Deactivate and delete keys nobody uses.",
        _unused_keys,
    ),
    Rule(
        "root-access-keys",
        "identity",
        Severity.CRITICAL,
        "root account has access keys",
        "Delete the root user's access keys; use IAM roles for programmatic access.",
        _root_access_keys,
    ),
    Rule(
        "root-no-mfa",
        "identity",
        Severity.CRITICAL,
        "root account without MFA",
        "Enable hardware or virtual MFA on the root user and lock its credentials away.",
        _root_without_mfa,
    ),
    Rule(
        "wildcard-trust",
        "identity",
        Severity.CRITICAL,
        "policy trusts anyone",
        "Name the principals (accounts, roles, members) that need access; add conditions such "
        "as aws:PrincipalOrgID or sts:ExternalId where a wildcard is unavoidable.",
        _wildcard_trust,
    ),
)

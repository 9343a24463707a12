"""Data findings: public buckets, snapshots and databases; unencrypted stores; no rotation.

A prop that was not read (absent, or listed in ``props.unknown``) never makes a finding: an
unknown is shown as unknown elsewhere, not guessed here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from blastscope.graph.findings_base import (
    PUBLIC_MEMBERS,
    WORLD_CIDRS,
    Hit,
    Index,
    Rule,
    Severity,
    as_list,
    is_wildcard_principal,
    known,
    statements,
    strings,
)

SECRET_MAX_AGE_DAYS = 365
_PUBLIC_GRANTEES = ("allusers", "authenticatedusers", "allauthenticatedusers")


def _block(bpa: Any, flag: str) -> bool:
    return isinstance(bpa, Mapping) and bpa.get(flag) is True


def _public_buckets(ix: Index) -> Iterator[Hit]:
    for bucket in ix.of_kind("bucket"):
        props = bucket.props
        bpa = props.get("public_access_block")
        reasons: list[dict[str, Any]] = []
        if props.get("public") is True:
            reasons.append({"reason": "public", "value": True})
        if not _block(bpa, "IgnorePublicAcls"):
            for grant in as_list(props.get("acl_grants")):
                grantee = str(grant.get("grantee", "")) if isinstance(grant, dict) else ""
                if grantee.lower().rstrip("/").rsplit("/", 1)[-1] in _PUBLIC_GRANTEES:
                    reasons.append(
                        {"reason": "acl", "grantee": grantee, "permission": grant.get("permission")}
                    )
        if not _block(bpa, "RestrictPublicBuckets"):
            doc_id = props.get("policy")
            for i, stmt in statements(ix.document(doc_id)):
                if (
                    stmt.get("Effect") == "Allow"
                    and is_wildcard_principal(stmt.get("Principal"))
                    and not stmt.get("Condition")
                ):
                    reasons.append(
                        {"reason": "policy", "document": doc_id, "statement": stmt.get("Sid", i)}
                    )
        iam = ix.document(f"{bucket.id}#iam")
        for binding in as_list(iam.get("bindings") if iam else None):
            if isinstance(binding, dict) and PUBLIC_MEMBERS & strings(binding.get("members")):
                reasons.append(
                    {
                        "reason": "iam",
                        "role": binding.get("role"),
                        "members": sorted(PUBLIC_MEMBERS & strings(binding["members"])),
                    }
                )
        if reasons:
            writable = any(
                str(r.get("permission", "")).upper() in ("WRITE", "FULL_CONTROL") for r in reasons
            )
            yield Hit(
                bucket.id,
                {"reasons": reasons, "public_access_block": bpa},
                severity=Severity.CRITICAL if writable else None,
            )


def _unencrypted(ix: Index) -> Iterator[Hit]:
    for node in ix.of_kind("disk", "snapshot", "database"):
        if known(node, "encrypted") and node.props.get("encrypted") is False:
            yield Hit(node.id, {"encrypted": False}, title=f"{node.kind} is not encrypted at rest")
    for node in ix.of_kind("bucket"):
        if known(node, "encryption") and not node.props.get("encryption"):
            yield Hit(node.id, {"encryption": None}, title="bucket has no default encryption")


def _public_snapshots(ix: Index) -> Iterator[Hit]:
    for node in ix.of_kind("snapshot", "disk"):
        if node.props.get("public") is True:
            yield Hit(
                node.id,
                {"public": True, "shared_with": list(as_list(node.props.get("shared_with")))},
                title=f"{node.kind} is shared with everyone",
            )


def _public_databases(ix: Index) -> Iterator[Hit]:
    for db in ix.of_kind("database"):
        networks = [str(c) for c in as_list(db.props.get("authorized_networks"))]
        world = sorted(set(networks) & WORLD_CIDRS)
        public = db.props.get("public") is True
        if not public and not world:
            continue
        evidence = {
            "public": db.props.get("public"),
            "endpoint": db.props.get("endpoint"),
            "port": db.props.get("port"),
            "authorized_networks": networks,
        }
        severity = Severity.CRITICAL if public and world else Severity.HIGH
        yield Hit(db.id, evidence, severity)


def _rotation_off(value: Any) -> bool:
    """False, ``{"enabled": false}``, or a null that was read (not in ``unknown``): no
    rotation is configured (GCP writes its rotationPeriod, null when there is none)."""
    if isinstance(value, Mapping):
        return value.get("enabled") is False
    return value is False or value is None or value == ""


def _secrets_without_rotation(ix: Index) -> Iterator[Hit]:
    for secret in ix.of_kind("secret"):
        if secret.props.get("embedded") or not known(secret, "rotation"):
            continue
        if _rotation_off(secret.props.get("rotation")):
            age = ix.age_days(secret.props.get("last_changed"))
            yield Hit(
                secret.id,
                {"rotation": secret.props.get("rotation"), "last_changed_days": age},
                severity=Severity.MEDIUM if age is not None and age > SECRET_MAX_AGE_DAYS else None,
            )


def _keys_without_rotation(ix: Index) -> Iterator[Hit]:
    for key in ix.of_kind("key"):
        props = key.props
        if str(props.get("key_manager") or "CUSTOMER").upper() == "AWS":
            continue  # AWS-managed keys rotate themselves
        if str(props.get("state") or "enabled").lower() not in ("enabled", ""):
            continue
        if known(key, "rotation") and _rotation_off(props.get("rotation")):
            yield Hit(
                key.id, {"rotation": props.get("rotation"), "key_manager": props.get("key_manager")}
            )


RULES = (
    Rule(
        "public-bucket",
        "data",
        Severity.HIGH,
        "bucket or container readable by anyone",
        "Turn on Block Public Access / disable anonymous blob access / remove allUsers; serve "
        "public content through a CDN with an origin identity.",
        _public_buckets,
    ),
    Rule(
        "unencrypted-storage",
        "data",
        Severity.MEDIUM,
        "data store is not encrypted at rest",
        "Enable encryption (default EBS encryption, encrypted copies of snapshots and databases, "
        "bucket default encryption) with a customer-managed key where policy requires it.",
        _unencrypted,
    ),
    Rule(
        "public-snapshot",
        "data",
        Severity.CRITICAL,
        "snapshot shared with everyone",
        "Remove the all-accounts share (createVolumePermission group all); share with named "
        "accounts only.",
        _public_snapshots,
    ),
    Rule(
        "public-database",
        "data",
        Severity.HIGH,
        "database reachable from the internet",
        "Turn off public accessibility and remove 0.0.0.0/0 from authorized networks; reach it "
        "through private networking.",
        _public_databases,
    ),
    Rule(
        "secret-no-rotation",
        "data",
        Severity.LOW,
        "secret is never rotated",
        "Enable automatic rotation (Secrets Manager rotation, Key Vault rotation policy).",
        _secrets_without_rotation,
    ),
    Rule(
        "key-no-rotation",
        "data",
        Severity.MEDIUM,
        "customer-managed key without automatic rotation",
        "Enable automatic key rotation (KMS EnableKeyRotation, Key Vault / Cloud KMS rotation).",
        _keys_without_rotation,
    ),
)

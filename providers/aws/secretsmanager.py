"""A region's Secrets Manager secrets: metadata and resource policy, never a secret value.

``ListSecrets`` carries everything the node needs; ``GetResourcePolicy`` adds the policy.
``GetSecretValue`` is never called (the read-only test forbids it).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import (
    MISSING,
    Ctx,
    Gaps,
    attach_resource_policy,
    iso,
    node,
    tags,
)
from blastscope.providers.aws.kms import key_ref
from blastscope.providers.aws.session import Clients, paginate


def get_secrets(clients: Clients, ctx: Ctx, gaps: Gaps) -> list[dict[str, Any]]:
    """Secrets' metadata (paginated) with each one's resource policy (None: it has none)."""
    sm = clients.client("secretsmanager", ctx.region)
    secrets = paginate(sm, "list_secrets", "SecretList")

    def policy(secret: dict[str, Any]) -> Any:
        answer = gaps.read(
            lambda: sm.get_resource_policy(SecretId=secret["ARN"]),
            what=f"policy of secret {secret.get('Name')}",
        )
        return answer if answer is MISSING else answer.get("ResourcePolicy")

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="secrets") as pool:
        policies = list(pool.map(policy, secrets))
    return [{**s, "Policy": p} for s, p in zip(secrets, policies, strict=True)]


def transform_secrets(secrets: list[Mapping[str, Any]], ctx: Ctx) -> Partial:
    """Secrets → ``secret`` nodes; a policy under ``SECRET_ARN#policy``; ``encrypted_by`` key."""
    part = Partial()
    for secret in secrets:
        arn = secret["ARN"]
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": secret.get("Name"),
            "rotation": bool(secret.get("RotationEnabled")),
            "last_changed": iso(secret.get("LastChangedDate")),
            "last_accessed": iso(secret.get("LastAccessedDate")),
            "description": secret.get("Description") or "",
            "kms_key": secret.get("KmsKeyId"),
            "tags": tags(secret.get("Tags")),
        }
        attach_resource_policy(part, props, arn, secret.get("Policy", MISSING))
        part.nodes.append(node(arn, NodeKind.SECRET, secret.get("Name") or arn, ctx.region, props))
        # No KmsKeyId means the AWS managed key aws/secretsmanager.
        key = secret.get("KmsKeyId") or "alias/aws/secretsmanager"
        part.edges.append(Edge(arn, key_ref(key, ctx), EdgeKind.ENCRYPTED_BY))
    return part

"""A region's KMS keys: manager, state, rotation, aliases and the key policy (a document).

Other services name a key by ARN, bare key id or alias; :func:`key_ref` turns the first two
into the key's ARN, and aliases are resolved after merging from the keys' ``aliases`` prop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, known, node, policy_doc, tags
from blastscope.providers.aws.session import Clients, paginate


def key_ref(value: str, ctx: Ctx) -> str:
    """A KMS key reference as used by EBS/RDS/S3/Secrets Manager → a node id.

    ARNs stay as they are (key or alias ARN); ``alias/x`` and bare ids are made ARNs in
    ``ctx``'s region and account.
    """
    if value.startswith("arn:"):
        return value
    if value.startswith("alias/"):
        return ctx.arn("kms", value)
    return ctx.arn("kms", f"key/{value}")


def get_keys(clients: Clients, ctx: Ctx, gaps: Gaps) -> dict[str, Any]:
    """Keys (paginated) with description, policy, rotation and tags; aliases of the region."""
    kms = clients.client("kms", ctx.region)
    keys = paginate(kms, "list_keys", "Keys")
    aliases = gaps.read(lambda: paginate(kms, "list_aliases", "Aliases"), what="list_aliases")

    def one(key: dict[str, Any]) -> dict[str, Any]:
        kid = key["KeyId"]
        meta = gaps.read(lambda: kms.describe_key(KeyId=kid)["KeyMetadata"], what=f"key {kid}")
        policy = gaps.read(
            lambda: kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"],
            what=f"policy of key {kid}",
        )
        customer = meta is not MISSING and meta.get("KeyManager") == "CUSTOMER"
        # AWS managed keys rotate every year, by AWS; a customer key says for itself.
        rotation: Any = meta is not MISSING and meta.get("KeyManager") == "AWS" or None
        if customer and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
            rotation = gaps.read(
                lambda: kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"],
                what=f"rotation of key {kid}",
                absent=("UnsupportedOperationException", "KMSInvalidStateException"),
            )
        key_tags = gaps.read(
            lambda: paginate(kms, "list_resource_tags", "Tags", KeyId=kid) if customer else [],
            what=f"tags of key {kid}",
        )
        return {**key, "Metadata": meta, "Policy": policy, "Rotation": rotation, "Tags": key_tags}

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="kms") as pool:
        detailed = list(pool.map(one, keys))
    return {"Keys": detailed, "Aliases": aliases}


def transform_keys(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """Keys → ``key`` nodes (props per MODEL.md); policies under ``KEY_ARN#policy``."""
    part = Partial()
    aliases_by_key: dict[str, list[str]] = defaultdict(list)
    aliases = raw.get("Aliases", MISSING)
    for alias in [] if aliases in (MISSING, None) else aliases:
        if alias.get("TargetKeyId"):
            aliases_by_key[alias["TargetKeyId"]].append(alias["AliasArn"])
    for key in raw.get("Keys") or []:
        kid = key["KeyId"]
        arn = key.get("KeyArn") or ctx.arn("kms", f"key/{kid}")
        meta = key.get("Metadata", MISSING)
        props: dict[str, Any] = {"account": ctx.account, "native_id": kid}
        if meta is MISSING:
            for name in ("key_manager", "state", "description"):
                known(props, name, MISSING)
        else:
            props["key_manager"] = meta.get("KeyManager")
            props["state"] = meta.get("KeyState")
            props["description"] = meta.get("Description") or ""
            props["key_spec"] = meta.get("KeySpec")
            props["origin"] = meta.get("Origin")
        policy = key.get("Policy", MISSING)
        if policy is MISSING:
            known(props, "policy", MISSING)
        else:
            doc_id = f"{arn}#policy"
            part.documents[doc_id] = policy_doc(policy)
            props["policy"] = doc_id
        known(props, "rotation", key.get("Rotation"))
        key_tags = key.get("Tags", MISSING)
        known(props, "tags", MISSING if key_tags is MISSING else tags(key_tags))
        if aliases is MISSING:
            known(props, "aliases", MISSING)
        else:
            props["aliases"] = sorted(aliases_by_key.get(kid, []))
        names = [a.split(":alias/", 1)[-1] for a in props.get("aliases") or []]
        name = next((n for n in names if not n.startswith("aws/")), names[0] if names else kid)
        part.nodes.append(node(arn, NodeKind.KEY, name, ctx.region, props))
    return part

"""Storage accounts (bucket nodes): anonymous blob access, shared-key access, network rules.

``public`` means anonymous readers can get data: the account allows public blob access, a
container is set to Blob/Container access, and the network admits the internet. When the
container list cannot be read, ``public`` is unknown rather than false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import lower, props, resource_group, resource_node, rest_list
from blastscope.providers.azure.errors import attempt

SERVICE = "storage"


def get_storage(clients: Clients, region: str = "global") -> dict[str, Any]:
    """Storage accounts and each account's blob containers."""
    warnings: list[Warning] = []
    storage = clients.storage
    accounts = rest_list(storage.storage_accounts.list())
    containers: dict[str, list[dict[str, Any]] | None] = {}
    for account in accounts:
        rg, name = resource_group(account["id"]), account.get("name")
        containers[lower(account["id"])] = attempt(
            lambda rg=rg, name=name: rest_list(storage.blob_containers.list(rg, name)),
            warnings,
            SERVICE,
            region,
            f"blob containers of {name}",
        )
    return {"accounts": accounts, "containers": containers, "warnings": warnings}


def network_open(p: Mapping[str, Any]) -> bool:
    """Does the account's firewall admit the internet (all networks, or any IP rule)?"""
    if p.get("publicNetworkAccess") == "Disabled":
        return False
    acls = p.get("networkAcls") or {}
    if str(acls.get("defaultAction") or "Allow").lower() == "allow":
        return True
    return bool(acls.get("ipRules"))


def transform_storage(raw: Mapping[str, Any]) -> Partial:
    """One bucket node per storage account."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    for account in raw.get("accounts") or []:
        p = props(account)
        containers = (raw.get("containers") or {}).get(lower(account["id"]))
        acls = p.get("networkAcls") or {}
        allow_public = p.get("allowBlobPublicAccess")
        unknown: list[str] = []
        public_containers: list[str] | None
        if containers is None:
            public_containers = None
            unknown.append("public_containers")
        else:
            public_containers = sorted(
                str(c.get("name"))
                for c in containers
                if str(props(c).get("publicAccess") or "None") not in ("None", "")
            )
        # Only an explicit false on the account overrides container settings (older accounts
        # omit the switch and honour their containers' public access).
        if allow_public is False or not network_open(p):
            public: bool | None = False
        elif public_containers is None:
            public = None
            unknown.append("public")
        else:
            public = bool(public_containers)
        encryption = p.get("encryption") or {}
        part.nodes.append(
            resource_node(
                account,
                NodeKind.BUCKET,
                public=public,
                policy=None,
                acl_grants=[],
                public_access_block=None,
                encryption=encryption.get("keySource") or "Microsoft.Storage",
                allow_blob_public_access=allow_public,
                # null means allowed: Azure permits shared keys unless explicitly false
                allow_shared_key_access=p.get("allowSharedKeyAccess") is not False,
                public_network_access=p.get("publicNetworkAccess"),
                network_default_action=acls.get("defaultAction"),
                network_ip_rules=[r.get("value") for r in acls.get("ipRules") or []],
                network_open=network_open(p),
                https_only=p.get("supportsHttpsTrafficOnly"),
                public_containers=public_containers,
                kind_detail=account.get("kind"),
                unknown=unknown,
            )
        )
    return part

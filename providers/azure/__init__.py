"""Azure collector: ``PROVIDER`` reads subscriptions read-only into a Snapshot.

``SERVICES`` is the ordered registry of per-subscription readers; each module has
``get_*`` (SDK calls) → ``transform_*`` (pure REST dicts → Partial).
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Partial
from blastscope.providers.azure import (
    authorization,
    compute,
    disks,
    identities,
    keyvault,
    load_balancers,
    network,
    sql,
    storage,
)
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.collector import AzureProvider, Service


def _authorization(clients: Clients, sub: dict[str, Any]) -> Partial:
    raw = authorization.get_authorization(clients, clients.subscription, clients.subscription)
    raw["subscription_name"] = sub.get("displayName")
    return authorization.transform_authorization(raw)


def _simple(module: Any, getter: str, transformer: str) -> Any:
    def run(clients: Clients, sub: dict[str, Any]) -> Partial:
        raw = getattr(module, getter)(clients, clients.subscription)
        result: Partial = getattr(module, transformer)(raw)
        return result

    return run


SERVICES: tuple[Service, ...] = (
    Service("authorization", _authorization),
    Service("identities", _simple(identities, "get_identities", "transform_identities")),
    Service("compute", _simple(compute, "get_vms", "transform_vms")),
    Service("network", _simple(network, "get_network", "transform_network")),
    Service(
        "load_balancers", _simple(load_balancers, "get_load_balancers", "transform_load_balancers")
    ),
    Service("disks", _simple(disks, "get_disks", "transform_disks")),
    Service("storage", _simple(storage, "get_storage", "transform_storage")),
    Service("keyvault", _simple(keyvault, "get_vaults", "transform_vaults")),
    Service("sql", _simple(sql, "get_sql", "transform_sql")),
)

PROVIDER = AzureProvider(services=SERVICES)

__all__ = ["PROVIDER", "SERVICES", "AzureProvider", "Service"]

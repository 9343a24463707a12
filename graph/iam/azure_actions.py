"""Azure RBAC action strings: wildcard matching, control- vs data-plane, and the mapping
from Key Vault data actions to access-policy permissions.

Azure compares operation strings case-insensitively; ``*`` matches any run of characters,
and a role's ``actions`` never grant ``dataActions`` (Owner's ``*`` does not read blobs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_DATA_PREFIXES = (
    "microsoft.storage/storageaccounts/blobservices/containers/blobs/",
    "microsoft.storage/storageaccounts/fileservices/fileshares/files/",
    "microsoft.storage/storageaccounts/fileservices/readfilebackupsemantics/",
    "microsoft.storage/storageaccounts/fileservices/writefilebackupsemantics/",
    "microsoft.storage/storageaccounts/fileservices/takeownership/",
    "microsoft.storage/storageaccounts/queueservices/queues/messages/",
    "microsoft.storage/storageaccounts/tableservices/tables/entities/",
    "microsoft.storage/storageaccounts/datalakestorage/",
    "microsoft.compute/virtualmachines/login/",
    "microsoft.compute/virtualmachines/loginasadmin/",
    "microsoft.servicebus/namespaces/messages/",
    "microsoft.eventhub/namespaces/messages/",
    "microsoft.documentdb/databaseaccounts/readmetadata",
    "microsoft.documentdb/databaseaccounts/sqldatabases/containers/items/",
    "microsoft.documentdb/databaseaccounts/sqldatabases/containers/executequery",
    "microsoft.documentdb/databaseaccounts/sqldatabases/containers/readchangefeed",
    "microsoft.appconfiguration/configurationstores/keyvalues/",
    "microsoft.containerregistry/registries/repositories/",
)
_VAULT_DATA = re.compile(
    r"^microsoft\.keyvault/(vaults|managedhsms)/"
    r"(secrets|keys|certificates|storage|certificatecas|certificatecontacts|keyrotationpolicies)/"
)
_VAULT_CONTROL = frozenset(
    {
        "microsoft.keyvault/vaults/secrets/read",
        "microsoft.keyvault/vaults/secrets/write",
        "microsoft.keyvault/vaults/keys/write",
        "microsoft.keyvault/vaults/keys/versions/read",
    }
)
_BOTH = frozenset({"microsoft.keyvault/vaults/keys/read"})
"""Operations Azure defines on both planes (Key Vault's key metadata)."""


def planes(action: str) -> tuple[bool, bool]:
    """``(control, data)``: which permission lists can grant ``action``."""
    a = action.lower()
    if a in _BOTH:
        return True, True
    if a in _VAULT_CONTROL:
        return True, False
    if _VAULT_DATA.match(a) or a.startswith(_DATA_PREFIXES):
        return False, True
    return True, False


@lru_cache(maxsize=8192)
def pattern(text: str) -> re.Pattern[str]:
    """A compiled matcher for one action pattern.

    ``/*/`` may also stand for a single ``/``: Managed Identity Operator's
    ``userAssignedIdentities/*/assign/action`` grants ``userAssignedIdentities/assign/action``.

    Examples:
        >>> bool(pattern("Microsoft.Storage/*/read").match("microsoft.storage/accounts/read"))
        True
        >>> bool(pattern("*/read").match("microsoft.compute/virtualmachines/write"))
        False
    """
    body = ".*".join(re.escape(piece) for piece in text.strip().lower().split("*"))
    body = body.replace("/.*/", "/(?:.*/)?")
    return re.compile(f"^{body}$")


def matches(patterns: Iterable[str], action: str) -> bool:
    """Does any of ``patterns`` match ``action`` (case-insensitive, wildcards)?"""
    a = action.lower()
    return any(pattern(p).match(a) for p in patterns if isinstance(p, str))


@dataclass(frozen=True, slots=True)
class PermissionBlock:
    """One ``permissions`` entry of a role definition or deny assignment."""

    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    not_data_actions: tuple[str, ...]

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> PermissionBlock:
        def strings(key: str) -> tuple[str, ...]:
            value = raw.get(key) or []
            return tuple(v for v in value if isinstance(v, str))

        return cls(
            strings("actions"),
            strings("notActions"),
            strings("dataActions"),
            strings("notDataActions"),
        )

    def grants(self, action: str, *, control: bool, data: bool) -> bool:
        """Actions minus notActions (or the data pair); notActions are not denies."""
        if control and matches(self.actions, action) and not matches(self.not_actions, action):
            return True
        return bool(
            data
            and matches(self.data_actions, action)
            and not matches(self.not_data_actions, action)
        )


def blocks(doc: Mapping[str, Any]) -> tuple[PermissionBlock, ...]:
    """The permission blocks of a role definition or deny assignment document."""
    perms = doc.get("permissions")
    if not isinstance(perms, Sequence) or isinstance(perms, str):
        return ()
    return tuple(PermissionBlock.from_doc(p) for p in perms if isinstance(p, Mapping))


# --- Key Vault access policies (vaults whose enableRbacAuthorization is false) -------------

_POLICY_VERBS = {
    "getsecret/action": "get",
    "setsecret/action": "set",
    "readmetadata/action": "list",
    "delete": "delete",
    "backup/action": "backup",
    "restore/action": "restore",
    "recover/action": "recover",
    "purge/action": "purge",
    "update/action": "update",
    "read": "get",
    "create/action": "create",
    "import/action": "import",
    "encrypt/action": "encrypt",
    "decrypt/action": "decrypt",
    "wrap/action": "wrapKey",
    "unwrap/action": "unwrapKey",
    "sign/action": "sign",
    "verify/action": "verify",
    "release/action": "release",
    "rotate/action": "rotate",
}


def access_policy_permission(action: str) -> tuple[str, str] | None:
    """``Microsoft.KeyVault/vaults/secrets/getSecret/action`` → ``("secrets", "get")``."""
    a = action.lower()
    found = re.match(r"^microsoft\.keyvault/vaults/(secrets|keys|certificates|storage)/(.+)$", a)
    if not found or a in _VAULT_CONTROL:
        return None
    verb = _POLICY_VERBS.get(found.group(2))
    return (found.group(1), verb) if verb else None


def policy_allows(policy: Mapping[str, Any], category: str, verb: str) -> bool:
    """Does one access policy grant ``verb`` in ``category`` (``all`` grants everything)?"""
    perms = (policy.get("permissions") or {}).get(category) or []
    wanted = verb.lower()
    return any(isinstance(p, str) and p.lower() in (wanted, "all") for p in perms)

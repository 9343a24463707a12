"""The Azure management clients, built once per subscription with the same safety settings:
the ARM endpoint (``--endpoint``), bounded retries (429 honours Retry-After), timeouts, and a
guard that refuses any request other than GET/HEAD before it leaves the process.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

from blastscope.providers.azure.errors import WriteRefused

DEFAULT_ENDPOINT = "https://management.azure.com"
READ_METHODS = frozenset({"GET", "HEAD"})
RETRY = {
    "retry_total": 4,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 20,
}
"""Bounded: a throttling storm ends in a warning, not an endless wait."""
TIMEOUTS = {"connection_timeout": 10, "read_timeout": 60}


class ReadOnlyPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuse every request that is not a read (including the SDK's own provider
    auto-registration POST): the collector must never change the estate."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        method = request.http_request.method.upper()
        if method not in READ_METHODS:
            raise WriteRefused(f"refused {method} {request.http_request.url.split('?')[0]}")


class LoopbackBearerPolicy(ARMChallengeAuthenticationPolicy):
    """Bearer authentication that may send the token over plain http — only ever built for
    an endpoint on this machine (a local test server), never for a remote one."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        request.context.options["enforce_https"] = False
        super().on_request(request)


def is_loopback_http(endpoint: str) -> bool:
    """``http://`` to 127.0.0.0/8, ::1 or localhost: the only place a token may go unencrypted."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass
class Clients:
    """Lazily built management clients for one subscription."""

    credential: Any
    subscription: str
    endpoint: str = DEFAULT_ENDPOINT
    options: dict[str, Any] = field(default_factory=dict)
    """Overrides of :func:`client_options` (tests shorten the retry backoff)."""
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _make(self, name: str, cls: Any, *, with_subscription: bool = True) -> Any:
        with self._lock:
            if name not in self._cache:
                args: list[Any] = [self.credential]
                if with_subscription:
                    args.append(self.subscription)
                kwargs = {**client_options(self.endpoint, self.credential), **self.options}
                self._cache[name] = cls(*args, base_url=self.endpoint, **kwargs)
            return self._cache[name]

    @property
    def compute(self) -> Any:
        from azure.mgmt.compute import ComputeManagementClient

        return self._make("compute", ComputeManagementClient)

    @property
    def network(self) -> Any:
        from azure.mgmt.network import NetworkManagementClient

        return self._make("network", NetworkManagementClient)

    @property
    def storage(self) -> Any:
        from azure.mgmt.storage import StorageManagementClient

        return self._make("storage", StorageManagementClient)

    @property
    def keyvault(self) -> Any:
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return self._make("keyvault", KeyVaultManagementClient)

    @property
    def sql(self) -> Any:
        from azure.mgmt.sql import SqlManagementClient

        return self._make("sql", SqlManagementClient)

    @property
    def msi(self) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return self._make("msi", ManagedServiceIdentityClient)

    @property
    def authorization(self) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return self._make("authorization", AuthorizationManagementClient)


def client_options(endpoint: str, credential: Any) -> dict[str, Any]:
    """Keyword arguments every management client gets."""
    options: dict[str, Any] = {
        "credential_scopes": [scope_for(endpoint)],
        "custom_hook_policy": ReadOnlyPolicy(),
        **RETRY,
        **TIMEOUTS,
    }
    if is_loopback_http(endpoint):
        options["authentication_policy"] = LoopbackBearerPolicy(credential, scope_for(endpoint))
    return options


def scope_for(endpoint: str) -> str:
    """The token scope of an ARM endpoint (public cloud, sovereign cloud or a test server)."""
    base = endpoint.rstrip("/")
    if base == DEFAULT_ENDPOINT:
        return "https://management.azure.com/.default"
    return f"{base}/.default"


def subscription_client(
    credential: Any, endpoint: str, options: dict[str, Any] | None = None
) -> Any:
    """The subscriptions client (tenant level), with the same safety settings."""
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    kwargs = {**client_options(endpoint, credential), **(options or {})}
    return SubscriptionClient(credential, base_url=endpoint, **kwargs)

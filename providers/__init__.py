"""Collectors: read a cloud's live inventory (read-only) into a Snapshot.

Providers know clouds, not graphs: they emit nodes, structural edges and raw policy documents.
"""

from __future__ import annotations

import importlib

from blastscope.providers.base import Provider

PROVIDER_MODULES = {
    "aws": "blastscope.providers.aws",
    "azure": "blastscope.providers.azure",
    "gcp": "blastscope.providers.gcp",
}
"""Cloud name → module exposing ``PROVIDER`` (imported lazily: each pulls in its SDK)."""


def get_provider(name: str) -> Provider:
    """The collector for ``name``; its SDK is imported only now."""
    module = importlib.import_module(PROVIDER_MODULES[name])
    provider: Provider = module.PROVIDER
    return provider

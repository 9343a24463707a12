"""Where a collection can start from: local AWS profiles, the default credential chains,
and saved connections; the TUI's connect screen lists these without touching an SDK itself.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from blastscope.providers.base import Scope


@dataclass(frozen=True, slots=True)
class ConnectionChoice:
    """One way to collect: the cloud, a label for people, and the scope to collect with."""

    cloud: str
    label: str
    scope: Scope
    detail: str = ""


def aws_profiles() -> list[str]:
    """Named profiles in the local AWS config and credentials files (none if unreadable)."""
    try:
        import boto3

        return sorted(boto3.session.Session().available_profiles)
    except Exception:  # noqa: BLE001 - a broken config file means "no profiles to offer"
        return []


def _has_provider(cloud: str) -> bool:
    try:
        module = importlib.import_module(f"blastscope.providers.{cloud}")
    except ImportError:
        return False
    return hasattr(module, "PROVIDER")


def connection_choices() -> list[ConnectionChoice]:
    """Every choice, AWS first; saved connections when ``providers.credentials`` exists."""
    out = [
        ConnectionChoice("aws", "aws · default credential chain", Scope(), "AWS_PROFILE, env, SSO")
    ]
    out += [
        ConnectionChoice("aws", f"aws · profile {p}", Scope(profile=p), "~/.aws/config")
        for p in aws_profiles()
    ]
    if _has_provider("azure"):
        out.append(
            ConnectionChoice("azure", "azure · DefaultAzureCredential", Scope(), "az login, env")
        )
    if _has_provider("gcp"):
        out.append(
            ConnectionChoice("gcp", "gcp · application default credentials", Scope(), "gcloud")
        )
    try:
        from blastscope.providers.credentials import list_connections  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return out
    try:
        saved = list_connections()
    except Exception:  # noqa: BLE001 - an unreadable store hides saved connections only
        return out
    for conn in saved:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(conn.fields.items()))
        out.append(
            ConnectionChoice(
                conn.cloud, f"{conn.cloud} · saved {conn.name}", Scope(connection=conn.name), shown
            )
        )
    return out

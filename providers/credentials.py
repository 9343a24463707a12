"""Saved connections: a name for how to reach one cloud, its secret in the OS keyring.

Non-secret fields (AWS profile or role ARN, Azure tenant and client id, GCP project) live in
``connections.json`` in the user's config folder (platformdirs), written atomically; the secret
(an Azure client secret or certificate PEM, a GCP service-account key JSON) goes to the OS
keyring under service ``blastscope``, username ``<cloud>/<name>``, and nowhere else.
Collectors resolve ``scope.connection`` with :func:`get_connection`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blastscope.graph.errors import CloudError, InputError
from blastscope.graph.model import write_atomic
from blastscope.graph.redact import redact

__all__ = [
    "CLOUDS",
    "KEYRING_SERVICE",
    "Connection",
    "add_connection",
    "azure_credential",
    "config_path",
    "gcp_credentials",
    "get_connection",
    "list_connections",
    "redact",
    "remove_connection",
]

KEYRING_SERVICE = "blastscope"
CLOUDS = ("aws", "azure", "gcp")
CONFIG_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(frozen=True, slots=True)
class Connection:
    """A saved connection: which cloud, its name, its non-secret fields.

    ``fields`` keys: aws ``profile`` or ``role_arn`` (and ``region``); azure ``tenant_id``,
    ``client_id``, ``secret_kind`` (``client_secret`` or ``certificate``); gcp ``project``,
    ``client_email``.
    """

    cloud: str
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def keyring_user(self) -> str:
        """The keyring username this connection's secret is stored under."""
        return f"{self.cloud}/{self.name}"

    def secret(self) -> str | None:
        """The secret from the OS keyring; None when this cloud keeps none (AWS).

        Raises:
            CloudError: no usable keyring backend, or the secret has gone missing.
        """
        if self.cloud == "aws":
            return None
        value = _keyring_call(
            "read", lambda kr: kr.get_password(KEYRING_SERVICE, self.keyring_user)
        )
        if value is None:
            raise CloudError(
                f"connection {self.name!r}: its secret is not in the keyring "
                f"(service {KEYRING_SERVICE!r}, user {self.keyring_user!r}); add it again"
            )
        return str(value)


def config_path() -> Path:
    """Where connections are saved: ``$BLASTSCOPE_CONFIG_DIR`` or platformdirs' user config."""
    override = os.environ.get("BLASTSCOPE_CONFIG_DIR")
    if override:
        return Path(override) / "connections.json"
    import platformdirs

    return Path(platformdirs.user_config_dir("blastscope", appauthor=False)) / "connections.json"


def list_connections() -> list[Connection]:
    """Every saved connection, sorted by name (reads the config file only, never the keyring)."""
    return [
        Connection(cloud=raw["cloud"], name=name, fields=dict(raw["fields"]))
        for name, raw in sorted(_load().items())
    ]


def get_connection(name: str) -> Connection:
    """The saved connection called ``name``.

    Raises:
        InputError: no connection has that name (the message lists the saved ones).
    """
    saved = _load()
    raw = saved.get(name)
    if raw is None:
        known = ", ".join(sorted(saved)) or "none saved"
        raise InputError(f"no saved connection {name!r} (known: {known}); see `blastscope auth`")
    return Connection(cloud=raw["cloud"], name=name, fields=dict(raw["fields"]))


def add_connection(
    cloud: str,
    name: str,
    fields: Mapping[str, str | None],
    secret: str | None = None,
    *,
    replace: bool = False,
) -> Connection:
    """Validate and save a connection; the secret goes to the keyring, the rest to the config.

    The keyring is written first and rolled back when the config cannot be written, so a
    connection is never listed without its secret.

    Raises:
        InputError: unknown cloud, bad name, a missing or malformed field, a duplicate name.
        CloudError: no usable keyring backend.
    """
    if cloud not in CLOUDS:
        raise InputError(f"cloud: {cloud!r} is not one of {', '.join(CLOUDS)}")
    if not _NAME.match(name):
        raise InputError(f"connection name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
    clean = {k: v.strip() for k, v in fields.items() if v is not None and v.strip()}
    clean, secret = _VALIDATORS[cloud](clean, secret)
    saved = _load()
    if name in saved and not replace:
        raise InputError(f"connection {name!r} already exists; remove it first or pass --replace")
    conn = Connection(cloud=cloud, name=name, fields=clean)
    old = saved.get(name)
    if old is not None and old["cloud"] != cloud:
        _delete_secret(Connection(cloud=old["cloud"], name=name))
    if secret is not None:
        _keyring_call(
            "write", lambda kr: kr.set_password(KEYRING_SERVICE, conn.keyring_user, secret)
        )
    saved[name] = {"cloud": cloud, "fields": dict(clean)}
    try:
        _save(saved)
    except BaseException:
        if secret is not None:
            _delete_secret(conn)
        raise
    return conn


def remove_connection(name: str) -> Connection:
    """Forget ``name`` in both places (config and keyring).

    Raises:
        InputError: no connection has that name.
    """
    conn = get_connection(name)
    saved = _load()
    saved.pop(name, None)
    _save(saved)
    if conn.cloud != "aws":
        _delete_secret(conn)
    return conn


def azure_credential(conn: Connection) -> Any:
    """An azure-identity credential for a saved service principal: ClientSecretCredential,
    or CertificateCredential when the secret is a certificate PEM.

    Raises:
        CloudError: not an Azure connection, or its secret is missing.
    """
    if conn.cloud != "azure":
        raise CloudError(f"connection {conn.name!r} is for {conn.cloud}, not azure")
    secret = conn.secret() or ""
    tenant, client = conn.fields["tenant_id"], conn.fields["client_id"]
    if conn.fields.get("secret_kind") == "certificate":
        from azure.identity import CertificateCredential

        return CertificateCredential(tenant, client, certificate_data=secret.encode())
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(tenant, client, secret)


def gcp_credentials(conn: Connection, scopes: list[str] | None = None) -> Any:
    """google-auth service-account credentials from the key JSON held in the keyring.

    Raises:
        CloudError: not a GCP connection, its secret is missing, or the key is unusable.
    """
    if conn.cloud != "gcp":
        raise CloudError(f"connection {conn.name!r} is for {conn.cloud}, not gcp")
    from google.oauth2 import service_account

    info = json.loads(conn.secret() or "{}")
    try:
        return service_account.Credentials.from_service_account_info(
            info, scopes=scopes or ["https://www.googleapis.com/auth/cloud-platform"]
        )
    except (ValueError, KeyError) as exc:
        raise CloudError(f"connection {conn.name!r}: unusable service-account key: {exc}") from None


# --- validation per cloud ----------------------------------------------------------------


def _aws(fields: dict[str, str], secret: str | None) -> tuple[dict[str, str], str | None]:
    if secret is not None:
        raise InputError("aws: connections keep no secret; use a profile or a role ARN")
    has_profile, has_role = "profile" in fields, "role_arn" in fields
    if not (has_profile or has_role):
        raise InputError("aws: give --profile or --role-arn")
    if has_role and not _ROLE_ARN.match(fields["role_arn"]):
        raise InputError(
            f"--role-arn: {fields['role_arn']!r} is not an IAM role ARN "
            "(arn:aws:iam::123456789012:role/NAME)"
        )
    if "region" in fields and not _AWS_REGION.match(fields["region"]):
        raise InputError(f"--region: {fields['region']!r} is not an AWS region name")
    return _only(fields, ("profile", "role_arn", "region")), None


def _azure(fields: dict[str, str], secret: str | None) -> tuple[dict[str, str], str | None]:
    tenant, client = fields.get("tenant_id"), fields.get("client_id")
    if not tenant or not client:
        raise InputError("azure: give --tenant and --client-id")
    if not (_GUID.match(tenant) or _TENANT_DOMAIN.match(tenant)):
        raise InputError(f"--tenant: {tenant!r} is not a tenant id (GUID) or domain")
    if not _GUID.match(client):
        raise InputError(f"--client-id: {client!r} is not an application (client) id GUID")
    if not secret or not secret.strip():
        raise InputError("azure: the client secret or certificate is empty")
    secret = secret.strip()
    if "-----BEGIN" in secret:
        if "PRIVATE KEY-----" not in secret:
            raise InputError("azure: the certificate PEM must include its private key")
        kind = "certificate"
    else:
        if "\n" in secret:
            raise InputError("azure: a client secret is one line (a certificate is a PEM)")
        kind = "client_secret"
    return {"tenant_id": tenant, "client_id": client, "secret_kind": kind}, secret


def _gcp(fields: dict[str, str], secret: str | None) -> tuple[dict[str, str], str | None]:
    if not secret:
        raise InputError("gcp: give --key-file (a service-account key JSON)")
    try:
        info = json.loads(secret)
    except json.JSONDecodeError as exc:
        raise InputError(f"--key-file: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise InputError('--key-file: not a service-account key ("type" is not service_account)')
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise InputError(f"--key-file: the key JSON lacks {', '.join(missing)}")
    project = fields.get("project") or info.get("project_id")
    if not isinstance(project, str) or not _PROJECT.match(project):
        raise InputError(f"--project: {project!r} is not a GCP project id")
    out = {"project": project, "client_email": str(info["client_email"])}
    return out, json.dumps(info, separators=(",", ":"), sort_keys=True)


_VALIDATORS = {"aws": _aws, "azure": _azure, "gcp": _gcp}


def _only(fields: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {k: fields[k] for k in keys if k in fields}


# --- the two stores ----------------------------------------------------------------------


def _load() -> dict[str, dict[str, Any]]:
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError(f"{path}: cannot read connections: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        connections = data["connections"]
        if not isinstance(connections, dict):
            raise TypeError
        for raw in connections.values():
            if raw["cloud"] not in CLOUDS or not isinstance(raw["fields"], dict):
                raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError):
        raise InputError(f"{path}: not a blastscope connections file; fix or delete it") from None
    return {str(k): v for k, v in connections.items()}


def _save(saved: Mapping[str, Any]) -> None:
    doc = {"version": CONFIG_VERSION, "connections": dict(sorted(saved.items()))}
    path = config_path()
    try:
        write_atomic(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot write connections: {exc.strerror or exc}") from None


def _delete_secret(conn: Connection) -> None:
    import keyring.errors

    def delete(kr: Any) -> None:
        try:
            kr.delete_password(KEYRING_SERVICE, conn.keyring_user)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone: removing is idempotent

    _keyring_call("delete", delete)


def _keyring_call(what: str, fn: Any) -> Any:
    """Run ``fn(backend)``, turning "no backend" and backend failures into one-line errors."""
    import keyring
    import keyring.errors
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise CloudError(
            "no OS keyring backend is available to keep connection secrets; install one "
            "(e.g. gnome-keyring, or `pip install keyrings.alt` for a file backend) or set "
            "PYTHON_KEYRING_BACKEND"
        )
    try:
        return fn(backend)
    except keyring.errors.KeyringError as exc:
        raise CloudError(f"keyring {what} failed: {redact(exc) or type(exc).__name__}") from None

"""``blastscope auth add|list|remove``: saved connections, secrets in the OS keyring.

A secret is never a command-line argument (shell history, ``ps``): it is prompted with
getpass, or read from ``--secret-file`` / ``--key-file`` (``-`` for stdin).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from blastscope.graph.errors import InputError
from blastscope.providers.credentials import (
    Connection,
    add_connection,
    config_path,
    list_connections,
    remove_connection,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    auth = sub.add_parser("auth", help="save, list and remove named cloud connections")
    verbs = auth.add_subparsers(dest="verb", metavar="VERB", required=True)

    add = verbs.add_parser("add", help="save a connection (its secret goes to the OS keyring)")
    clouds = add.add_subparsers(dest="cloud", metavar="CLOUD", required=True)
    aws = clouds.add_parser(
        "aws", help="an AWS named profile or a role to assume", allow_abbrev=False
    )
    aws.add_argument("name")
    who = aws.add_mutually_exclusive_group(required=True)
    who.add_argument("--profile", help="AWS named profile (from ~/.aws)")
    who.add_argument("--role-arn", help="role to assume (from the default credential chain)")
    aws.add_argument("--region", help="default region for this connection")

    azure = clouds.add_parser("azure", help="an Azure service principal", allow_abbrev=False)
    azure.add_argument("name")
    azure.add_argument("--tenant", required=True, help="tenant id (GUID) or domain")
    azure.add_argument("--client-id", required=True, help="application (client) id")
    azure.add_argument(
        "--secret-file",
        type=Path,
        help="file holding the client secret or the certificate PEM with its private key "
        "('-' for stdin); default: prompt for a client secret",
    )

    gcp = clouds.add_parser("gcp", help="a GCP service-account key", allow_abbrev=False)
    gcp.add_argument("name")
    gcp.add_argument(
        "--key-file",
        type=Path,
        required=True,
        help="service-account key JSON ('-' for stdin); its contents go to the keyring, "
        "the file is not referenced afterwards (delete it)",
    )
    gcp.add_argument("--project", help="project id (default: the key's project_id)")
    # allow_abbrev=False: "--secret VALUE" must not pass as "--secret-file VALUE" and be echoed.
    for p in (aws, azure, gcp):
        p.add_argument("--replace", action="store_true", help="overwrite a connection of that name")
        p.set_defaults(handler=run_add)

    lister = verbs.add_parser("list", help="saved connections (never their secrets)")
    lister.add_argument("--format", choices=("table", "json"), default="table")
    lister.set_defaults(handler=run_list)

    remove = verbs.add_parser("remove", help="forget a connection (config and keyring)")
    remove.add_argument("name")
    remove.set_defaults(handler=run_remove)


def run_add(args: argparse.Namespace) -> int:
    secret: str | None = None
    if args.cloud == "aws":
        fields = {"profile": args.profile, "role_arn": args.role_arn, "region": args.region}
    elif args.cloud == "azure":
        fields = {"tenant_id": args.tenant, "client_id": args.client_id}
        if args.secret_file is not None:
            secret = _read_secret(args.secret_file, "--secret-file")
        else:
            secret = _prompt(f"client secret for {args.name}: ")
    else:
        fields = {"project": args.project}
        secret = _read_secret(args.key_file, "--key-file")
    conn = add_connection(args.cloud, args.name, fields, secret, replace=args.replace)
    where = "; secret in the OS keyring" if secret is not None else ""
    print(f"saved connection {conn.name} ({conn.cloud}) in {config_path()}{where}", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    connections = list_connections()
    if args.format == "json":
        doc = [{"name": c.name, "cloud": c.cloud, "fields": dict(c.fields)} for c in connections]
        print(json.dumps(doc, indent=2))
        return 0
    if not connections:
        print("no saved connections; add one with `blastscope auth add aws|azure|gcp NAME`")
        return 0
    width = max(len(c.name) for c in connections)
    for c in connections:
        print(f"{c.name:<{width}}  {c.cloud:<5}  {_describe(c)}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    conn = remove_connection(args.name)
    print(f"removed connection {conn.name} ({conn.cloud})", file=sys.stderr)
    return 0


def _describe(conn: Connection) -> str:
    return "  ".join(f"{k}={v}" for k, v in sorted(conn.fields.items()))


def _read_secret(path: Path, flag: str) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"{flag}: cannot read {path}: {reason}") from None


def _prompt(label: str) -> str:
    try:
        return getpass.getpass(label)
    except EOFError:
        raise InputError("no secret given") from None

"""The AWS collection: credentials, regions, one task per (service, region), merge.

The credentials are proven with ``sts:GetCallerIdentity`` before anything else is read, so a
missing profile or an expired token is one line and exit 3, not a snapshot of warnings. After
that a credential failure stops the run and keeps what was read (``CollectionAborted``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from blastscope.graph.errors import CloudError, InputError
from blastscope.graph.model import Partial, Snapshot, Warning, merge_parts
from blastscope.providers.aws.common import Ctx
from blastscope.providers.aws.errors import classify, error_code, is_fatal, kind_of, one_line
from blastscope.providers.aws.link import link
from blastscope.providers.aws.session import Clients, ClientSettings
from blastscope.providers.base import (
    CollectionAborted,
    ProgressCallback,
    Scope,
    Task,
    run_tasks,
)

if TYPE_CHECKING:
    from blastscope.providers.aws import Service

SessionFactory = Callable[[Scope], boto3.session.Session]
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
DEFAULT_REGION = "us-east-1"


def default_session(scope: Scope) -> boto3.session.Session:
    """The session for ``scope``: a saved connection, ``--profile``, or the standard chain
    (AWS_PROFILE, environment, SSO, instance role …).

    Raises:
        CloudError: the profile or connection does not exist, or the role cannot be assumed.
    """
    profile = scope.profile
    role_arn = None
    region = None
    if scope.connection:
        try:
            from blastscope.providers.credentials import get_connection
        except ImportError as exc:  # pragma: no cover - until saved connections land
            raise CloudError("saved connections are not available in this installation") from exc
        connection = get_connection(scope.connection)
        if connection.cloud != "aws":
            raise InputError(f"connection {scope.connection!r} is for {connection.cloud}, not aws")
        profile = connection.fields.get("profile") or profile
        role_arn = connection.fields.get("role_arn")
        region = connection.fields.get("region")
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as exc:
        raise CloudError(f"AWS profile not found: {exc.kwargs.get('profile', profile)}") from exc
    if role_arn:
        session = _assume(session, role_arn, region)
    return session


def _assume(
    base: boto3.session.Session, role_arn: str, region: str | None
) -> boto3.session.Session:
    # AssumeRole changes nothing in the account: it hands out temporary credentials.
    try:
        creds = base.client("sts", region_name=region or base.region_name or DEFAULT_REGION)
        answer = creds.assume_role(RoleArn=role_arn, RoleSessionName="blastscope")["Credentials"]
    except (ClientError, BotoCoreError) as exc:
        raise CloudError(f"cannot assume {role_arn}: {error_code(exc)}: {one_line(exc)}") from exc
    return boto3.session.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
        region_name=region or base.region_name,
    )


@dataclass(slots=True)
class AwsProvider:
    """Collects one AWS account (the credentials' own) across the requested regions."""

    name: str = "aws"
    session_factory: SessionFactory = default_session
    settings: ClientSettings | None = None
    max_workers: int = 8
    services: Sequence[Service] | None = None

    def collect(
        self,
        scope: Scope,
        progress: ProgressCallback | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Snapshot:
        """Collect ``scope``.

        Raises:
            CloudError: no or rejected credentials before anything was read.
            InputError: a malformed region name.
            CollectionAborted: credentials failed mid-way or the run was cancelled; carries
                the partial snapshot.
        """
        from blastscope.providers.aws import SERVICES

        validate_regions(scope)
        session = self.session_factory(scope)
        home = session.region_name or DEFAULT_REGION
        clients = Clients(
            session, endpoint_url=scope.endpoint, settings=self.settings, home_region=home
        )
        identity = whoami(session, clients)
        account = identity["Account"]
        partition = identity["Arn"].split(":")[1] if identity.get("Arn") else "aws"
        warnings: list[Warning] = []
        regions = resolve_regions(scope, clients, home, warnings)
        tasks: list[Task] = []
        failed: set[str] = set()
        for service in self.services if self.services is not None else SERVICES:
            for region in regions if service.per_region else ("global",):
                ctx = Ctx(account=account, region=region, partition=partition)
                tasks.append(Task(service.name, region, _runner(service, clients, ctx, failed)))
        result = run_tasks(
            tasks,
            classify=classify,
            max_workers=self.max_workers,
            progress=progress,
            cancel=cancel,
        )
        parts = [*result.parts, Partial(warnings=warnings)]
        parts.append(link(parts, failed=frozenset(failed)))
        snapshot = merge_parts(
            parts,
            provider="aws",
            scope={"account": account, "regions": list(regions), "principal": identity.get("Arn")},
            partial=result.partial,
        )
        if result.fatal is not None:
            raise CollectionAborted(f"collection stopped: {result.fatal.message}", snapshot)
        if result.cancelled:
            raise CollectionAborted("collection cancelled", snapshot)
        return snapshot


def _runner(
    service: Service, clients: Clients, ctx: Ctx, failed: set[str]
) -> Callable[[], Partial]:
    def run() -> Partial:
        try:
            return service.run(clients, ctx)
        except Exception as exc:
            if is_fatal(exc):
                raise CloudError(
                    f"AWS rejected the credentials ({error_code(exc)}) while reading "
                    f"{service.name} in {ctx.region}"
                ) from exc
            failed.add(service.name)  # the link step marks what this service describes
            raise

    return run


def whoami(session: boto3.session.Session, clients: Clients) -> dict[str, Any]:
    """``sts:GetCallerIdentity``: proves the credentials work and names the account.

    Raises:
        CloudError: no credentials, or AWS rejects them (expired, invalid), or no endpoint.
    """
    try:
        if session.get_credentials() is None:
            raise CloudError(
                "no AWS credentials found (set AWS_PROFILE, use --profile, or configure the "
                "standard credential chain)"
            )
        answer: dict[str, Any] = clients.client("sts", clients.home_region).get_caller_identity()
    except CloudError:
        raise
    except ClientError as exc:
        raise CloudError(
            f"AWS rejected the credentials: {error_code(exc)}: {one_line(exc)}"
        ) from exc
    except (BotoCoreError, OSError) as exc:
        raise CloudError(f"cannot use the AWS credentials or endpoint: {one_line(exc)}") from exc
    return answer


def validate_regions(scope: Scope) -> None:
    """Bad region names are bad input (exit 2), found before any credential is tried."""
    regions = tuple(scope.regions or ())
    if tuple(r.lower() for r in regions) == ("all",):
        return
    for region in regions:
        if region.lower() == "all":
            raise InputError("--regions: 'all' cannot be combined with region names")
        if not REGION_RE.match(region):
            raise InputError(f"--regions: {region!r} is not an AWS region name")


def resolve_regions(
    scope: Scope, clients: Clients, home: str, warnings: list[Warning]
) -> tuple[str, ...]:
    """The regions to read: the scope's list, ``all`` enabled ones, or the home region.

    A named region the account has not enabled (an opt-in region) answers every call with
    AuthFailure, which would read as bad credentials: it is left out with a warning instead.
    """
    explicit = bool(scope.regions) and tuple(r.lower() for r in scope.regions or ()) != ("all",)
    if not scope.regions:
        return (home,)
    if explicit:
        validate_regions(scope)
    try:
        answer = clients.client("ec2", home).describe_regions()
    except (ClientError, BotoCoreError) as exc:
        if is_fatal(exc):
            raise CloudError(f"AWS rejected the credentials: {error_code(exc)}") from exc
        fallback = tuple(dict.fromkeys(scope.regions)) if explicit else (home,)
        warnings.append(
            Warning(
                "ec2",
                home,
                kind_of(exc),
                f"cannot list enabled regions, reading {', '.join(fallback)}: {one_line(exc)}",
            )
        )
        return fallback
    enabled = sorted(r["RegionName"] for r in answer.get("Regions", []))
    if not explicit:
        return tuple(enabled)
    chosen = []
    for region in dict.fromkeys(scope.regions or ()):
        if region in enabled:
            chosen.append(region)
        else:
            warnings.append(
                Warning(
                    "ec2",
                    region,
                    "RegionDisabled",
                    f"{region} is not enabled for this account (or does not exist); skipped",
                )
            )
    return tuple(chosen)

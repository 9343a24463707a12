"""AWS collector (read-only): one module per service, registered in :data:`SERVICES`.

Each service is a ``get_*`` (boto3, paginated) and a pure ``transform_*``; a
:class:`Service` pairs them and says whether it runs once (``global``) or once per region.
The collection itself lives in :mod:`blastscope.providers.aws.collector`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blastscope.graph.model import Partial
from blastscope.providers.aws import (
    account,
    ebs,
    ec2_instances,
    ec2_network,
    elb,
    iam,
    kms,
    lambda_,
    rds,
    s3,
    secretsmanager,
)
from blastscope.providers.aws.common import Ctx, Gaps
from blastscope.providers.aws.session import Clients


@dataclass(frozen=True, slots=True)
class Service:
    """One collection unit: ``transform(get(clients, ctx, gaps), ctx)``, global or per region."""

    name: str
    get: Callable[[Clients, Ctx, Gaps], Any]
    transform: Callable[[Any, Ctx], Partial]
    per_region: bool = True

    def run(self, clients: Clients, ctx: Ctx) -> Partial:
        gaps = Gaps(self.name, ctx.region)
        part = self.transform(self.get(clients, ctx, gaps), ctx)
        part.warnings.extend(gaps.warnings)
        return part


def _iam_details(clients: Clients, ctx: Ctx, _gaps: Gaps) -> Any:
    return iam.get_authorization_details(clients, ctx)


def _iam_credentials(clients: Clients, _ctx: Ctx, gaps: Gaps) -> Any:
    return iam.get_user_credentials(clients, gaps)


def _account(clients: Clients, ctx: Ctx, gaps: Gaps) -> Any:
    return account.get_account(clients, ctx, gaps, clients.home_region)


SERVICES: tuple[Service, ...] = (
    Service("iam", _iam_details, iam.transform_authorization_details, per_region=False),
    Service("iam-credentials", _iam_credentials, iam.transform_user_credentials, per_region=False),
    Service("account", _account, account.transform_account, per_region=False),
    Service("s3", s3.get_buckets, s3.transform_buckets, per_region=False),
    Service("ec2-network", ec2_network.get_network, ec2_network.transform_network),
    Service("ec2-instances", ec2_instances.get_instances, ec2_instances.transform_instances),
    Service("ebs", ebs.get_storage, ebs.transform_storage),
    Service("elb", elb.get_load_balancers, elb.transform_load_balancers),
    Service("lambda", lambda_.get_functions, lambda_.transform_functions),
    Service("rds", rds.get_databases, rds.transform_databases),
    Service("kms", kms.get_keys, kms.transform_keys),
    Service("secretsmanager", secretsmanager.get_secrets, secretsmanager.transform_secrets),
)
"""Ordered registry: global services first (they are few and slow), then per-region ones."""


from blastscope.providers.aws.collector import AwsProvider  # noqa: E402 - needs SERVICES

PROVIDER = AwsProvider()
"""The AWS collector ``blastscope.providers.get_provider("aws")`` returns."""

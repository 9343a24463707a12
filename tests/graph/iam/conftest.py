"""Hand-built AWS estates following graph/MODEL.md (the provider's contract), for IAM tests."""

from __future__ import annotations

from typing import Any

import pytest

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Snapshot, merge_parts

ACCT = "111122223333"
REGION = "us-east-1"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(*principals: str, service: str | None = None, **extra: Any) -> dict[str, Any]:
    """A role trust policy allowing sts:AssumeRole to AWS principals (or a service)."""
    principal: dict[str, Any] = {}
    if principals:
        principal["AWS"] = list(principals) if len(principals) > 1 else principals[0]
    if service:
        principal["Service"] = service
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


class AwsEstate:
    """Builds a Snapshot the way the AWS collector lays it out (ids, props, documents)."""

    allow = staticmethod(allow)
    deny = staticmethod(deny)
    doc = staticmethod(doc)
    trust = staticmethod(trust)

    def __init__(self, account: str = ACCT) -> None:
        self.account = account
        self.part = Partial()
        self.scp_ids: list[Any] = []

    # --- identities -------------------------------------------------------------------
    def _inline(self, arn: str, inline: dict[str, Any] | None) -> list[str]:
        ids = []
        for name, document in (inline or {}).items():
            doc_id = f"{arn}#inline/{name}"
            self.part.documents[doc_id] = document
            ids.append(doc_id)
        return ids

    def _attach(self, arn: str, managed: list[str]) -> None:
        for policy in managed:
            self.part.edges.append(
                Edge(arn, policy, EdgeKind.HAS_POLICY, {"attachment": "managed"})
            )

    def policy(self, name: str, document: Any, *, aws_managed: bool = False) -> str:
        owner = "aws" if aws_managed else self.account
        arn = f"arn:aws:iam::{owner}:policy/{name}"
        self.part.documents[arn] = document
        props = {"document": arn, "default_version": "v1", "aws_managed": aws_managed}
        self.part.nodes.append(Node(arn, NodeKind.POLICY, name, "aws", "global", props))
        return arn

    def user(
        self,
        name: str,
        *,
        inline: dict[str, Any] | None = None,
        managed: list[str] = (),
        groups: list[str] = (),
        boundary: str | None = None,
        tags: dict[str, str] | None = None,
        console: bool | None = False,
        **props: Any,
    ) -> str:
        arn = f"arn:aws:iam::{self.account}:user/{name}"
        p = {
            "principal_type": "user",
            "inline_policies": self._inline(arn, inline),
            "permissions_boundary": boundary,
            "tags": tags or {},
            "console": console,
            "account": self.account,
            **props,
        }
        self.part.nodes.append(Node(arn, NodeKind.IDENTITY, name, "aws", "global", p))
        self._attach(arn, list(managed))
        for g in groups:
            self.part.edges.append(Edge(arn, g, EdgeKind.MEMBER_OF))
        return arn

    def group(
        self, name: str, *, inline: dict[str, Any] | None = None, managed: list[str] = ()
    ) -> str:
        arn = f"arn:aws:iam::{self.account}:group/{name}"
        p = {"inline_policies": self._inline(arn, inline), "account": self.account}
        self.part.nodes.append(Node(arn, NodeKind.GROUP, name, "aws", "global", p))
        self._attach(arn, list(managed))
        return arn

    def role(
        self,
        name: str,
        *,
        trust_policy: Any = None,
        inline: dict[str, Any] | None = None,
        managed: list[str] = (),
        boundary: str | None = None,
        tags: dict[str, str] | None = None,
        instance_profile: bool = False,
        path: str = "/",
    ) -> str:
        arn = f"arn:aws:iam::{self.account}:role{path}{name}"
        trust_id = f"{arn}#trust"
        self.part.documents[trust_id] = (
            trust_policy if trust_policy is not None else trust(service="ec2.amazonaws.com")
        )
        profiles = (
            [f"arn:aws:iam::{self.account}:instance-profile/{name}"] if instance_profile else []
        )
        p = {
            "inline_policies": self._inline(arn, inline),
            "permissions_boundary": boundary,
            "trust_policy": trust_id,
            "instance_profiles": profiles,
            "tags": tags or {},
            "account": self.account,
        }
        self.part.nodes.append(Node(arn, NodeKind.ROLE, name, "aws", "global", p))
        self._attach(arn, list(managed))
        return arn

    # --- resources --------------------------------------------------------------------
    def _resource(
        self, arn: str, kind: NodeKind, name: str, policy: Any, region: str, **props: Any
    ) -> str:
        p: dict[str, Any] = {"account": self.account, "tags": props.pop("tags", {}), **props}
        if kind in (NodeKind.BUCKET, NodeKind.KEY, NodeKind.SECRET, NodeKind.FUNCTION):
            p["policy"] = None
            if policy is not None:
                p["policy"] = f"{arn}#policy"
                self.part.documents[f"{arn}#policy"] = policy
        self.part.nodes.append(Node(arn, kind, name, "aws", region, p))
        return arn

    def bucket(self, name: str, policy: Any = None, **props: Any) -> str:
        return self._resource(
            f"arn:aws:s3:::{name}", NodeKind.BUCKET, name, policy, REGION, **props
        )

    def key(self, key_id: str, policy: Any = None, **props: Any) -> str:
        arn = f"arn:aws:kms:{REGION}:{self.account}:key/{key_id}"
        return self._resource(
            arn, NodeKind.KEY, key_id, policy, REGION, key_manager="CUSTOMER", **props
        )

    def secret(self, name: str, policy: Any = None, **props: Any) -> str:
        arn = f"arn:aws:secretsmanager:{REGION}:{self.account}:secret:{name}-AbCdEf"
        return self._resource(arn, NodeKind.SECRET, name, policy, REGION, **props)

    def database(self, name: str, **props: Any) -> str:
        arn = f"arn:aws:rds:{REGION}:{self.account}:db:{name}"
        return self._resource(
            arn, NodeKind.DATABASE, name, None, REGION, engine="postgres", **props
        )

    def volume(self, vol: str, **props: Any) -> str:
        arn = f"arn:aws:ec2:{REGION}:{self.account}:volume/{vol}"
        return self._resource(arn, NodeKind.DISK, vol, None, REGION, native_id=vol, **props)

    def function(self, name: str, *, role: str | None = None, policy: Any = None) -> str:
        arn = f"arn:aws:lambda:{REGION}:{self.account}:function:{name}"
        self._resource(
            arn, NodeKind.FUNCTION, name, policy, REGION, runtime="python3.12", url_auth=None
        )
        if role:
            self.part.edges.append(Edge(arn, role, EdgeKind.RUNS_AS, {"via": "execution role"}))
        return arn

    def instance(self, iid: str, *, role: str | None = None) -> str:
        arn = f"arn:aws:ec2:{REGION}:{self.account}:instance/{iid}"
        self.part.nodes.append(
            Node(
                arn,
                NodeKind.INSTANCE,
                iid,
                "aws",
                REGION,
                {"native_id": iid, "account": self.account, "state": "running"},
            )
        )
        if role:
            self.part.edges.append(Edge(arn, role, EdgeKind.RUNS_AS, {"via": "instance profile"}))
        return arn

    def scp(self, name: str, document: Any) -> str:
        arn = f"arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-{name}"
        self.part.documents[arn] = document
        self.scp_ids.append(arn)
        return arn

    def raw_document(self, doc_id: str, value: Any) -> None:
        self.part.documents[doc_id] = value

    def snapshot_part(self) -> Partial:
        account = Node(
            f"aws:account/{self.account}",
            NodeKind.ACCOUNT,
            self.account,
            "aws",
            "global",
            {"native_id": self.account, "scps": list(self.scp_ids)},
        )
        return Partial(
            nodes=[*self.part.nodes, account],
            edges=list(self.part.edges),
            documents=dict(self.part.documents),
        )

    def snapshot(self) -> Snapshot:
        account = Node(
            f"aws:account/{self.account}",
            NodeKind.ACCOUNT,
            self.account,
            "aws",
            "global",
            {"native_id": self.account, "scps": list(self.scp_ids)},
        )
        part = Partial(
            nodes=[*self.part.nodes, account],
            edges=list(self.part.edges),
            documents=dict(self.part.documents),
        )
        return merge_parts(
            [part], provider="aws", scope={"account": self.account}, collected_at="t"
        )


@pytest.fixture
def estate() -> AwsEstate:
    return AwsEstate()

"""Permission edges: which (src, kind, dst) exist, and the evidence each carries."""

from __future__ import annotations

from blastscope.graph.build import build_graph
from blastscope.graph.iam.aws import permission_edges
from blastscope.graph.model import Node, NodeKind

A = "111122223333"


def triples(edges, kinds=("can_access", "can_assume")):
    return {
        (e.src.rsplit(":", 1)[-1], str(e.kind), e.dst.rsplit(":", 1)[-1])
        for e in edges
        if str(e.kind) in kinds
    }


def by_pair(edges):
    return {(e.src, str(e.kind), e.dst): e for e in edges}


def test_can_access_edges_per_kind_with_levels_and_evidence(estate):
    e = estate
    reader = e.policy(
        "Reader",
        e.doc(
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::app-*", "arn:aws:s3:::app-*/*"],
            }
        ),
    )
    alice = e.user("alice", managed=[reader])
    ops = e.role("ops", inline={"admin": e.doc(e.allow("*"))})
    e.user("dba", inline={"rds": e.doc(e.allow("rds:*", f"arn:aws:rds:us-east-1:{A}:db:orders"))})
    app_a, app_b, logs = e.bucket("app-a"), e.bucket("app-b"), e.bucket("logs")
    key = e.key(
        "k1",
        policy=e.doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
    )
    e.secret("db-password")
    e.database("orders")
    e.volume("vol-1")
    e.function("fn")
    snap = e.snapshot()
    edges = permission_edges(snap)
    got = triples(edges, ("can_access",))
    assert ("user/alice", "can_access", "app-a") in got and (
        "user/alice",
        "can_access",
        "app-b",
    ) in got
    assert ("user/alice", "can_access", "logs") not in got
    assert ("user/dba", "can_access", "orders") in got
    assert not any(src == "user/dba" and dst != "orders" for src, _, dst in got)
    ops_targets = {dst for src, _, dst in got if src == "role/ops"}
    assert ops_targets == {
        "app-a",
        "app-b",
        "logs",
        "key/k1",
        "db-password-AbCdEf",
        "orders",
        "volume/vol-1",
        "fn",
    }
    pairs = by_pair(edges)
    edge = pairs[(alice, "can_access", app_a)]
    assert edge.props["actions"] == ["s3:GetObject", "s3:ListBucket"]
    assert edge.props["level"] == "read" and edge.props["conditional"] is False
    assert edge.props["evidence"] == [
        {
            "document": reader,
            "statement": 0,
            "sid": "Read",
            "effect": "Allow",
            "layer": "identity",
            "conditional": False,
        }
    ]
    assert "Reader" in edge.props["reason"] or reader in edge.props["reason"]
    assert pairs[(ops, "can_access", app_b)].props["level"] == "admin"
    key_edge = pairs[(ops, "can_access", key)]
    assert {ev["layer"] for ev in key_edge.props["evidence"]} == {"identity", "resource"}
    assert (alice, "can_access", logs) not in pairs


def test_conditional_access_edge_and_public_bucket_policy(estate):
    e = estate
    alice = e.user("alice")
    bob = e.user("bob")
    office = e.bucket(
        "office",
        policy=e.doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::office/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
            }
        ),
    )
    public = e.bucket(
        "public",
        policy=e.doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::public/*",
            }
        ),
    )
    snap = e.snapshot()
    pairs = by_pair(permission_edges(snap))
    assert pairs[(alice, "can_access", office)].props["conditional"] is True
    # Anyone may read it without credentials: one internet edge, not one per principal.
    assert (bob, "can_access", public) not in pairs
    assert pairs[("internet", "can_access", public)].props == {
        **pairs[("internet", "can_access", public)].props,
        "conditional": False,
        "actions": ["s3:GetObject"],
    }


def test_can_assume_trust_and_caller_permission(estate):
    e = estate
    alice = e.user(
        "alice", inline={"p": e.doc(e.allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/deploy"))}
    )
    bob = e.user("bob")
    carol = e.user("carol", inline={"p": e.doc(e.allow("sts:AssumeRole"))})
    deploy = e.role("deploy", trust_policy=e.trust(f"arn:aws:iam::{A}:root"))
    audit = e.role("audit", trust_policy=e.trust(f"arn:aws:iam::{A}:user/bob"))
    anyone = e.role("anyone", trust_policy=e.trust("*"))
    e.role("ec2", trust_policy=e.trust(service="ec2.amazonaws.com"))
    snap = e.snapshot()
    edges = permission_edges(snap)
    got = triples(edges, ("can_assume",))
    assert got == {
        ("user/alice", "can_assume", "role/deploy"),
        ("user/carol", "can_assume", "role/deploy"),
        ("user/bob", "can_assume", "role/audit"),
        *{
            (p, "can_assume", "role/anyone")
            for p in (
                "user/alice",
                "user/bob",
                "user/carol",
                "role/deploy",
                "role/audit",
                "role/ec2",
            )
        },
    }
    edge = by_pair(edges)[(alice, "can_assume", deploy)]
    assert {ev["layer"] for ev in edge.props["evidence"]} == {"identity", "resource"}
    assert (
        by_pair(edges)[(bob, "can_assume", audit)].props["evidence"][0]["document"]
        == f"{audit}#trust"
    )
    assert (carol, "can_assume", anyone) in by_pair(edges)


def test_only_aws_nodes_and_build_graph_integration(estate):
    e = estate
    alice = e.user("alice", inline={"p": e.doc(e.allow("s3:*"))})
    bucket = e.bucket("b")
    e.part.nodes.append(
        Node("//storage.googleapis.com/projects/_/buckets/g", NodeKind.BUCKET, "g", "gcp")
    )
    e.part.nodes.append(
        Node(
            f"arn:aws:iam::{A}:user/ghost",
            NodeKind.IDENTITY,
            "ghost",
            "azure",
            "",
            {"inline_policies": [f"{alice}#inline/p"]},
        )
    )
    snap = e.snapshot()
    G = build_graph(snap)
    kinds = {(u, d["kind"], v) for u, v, d in G.edges(data=True)}
    assert (alice, "can_access", bucket) in kinds
    assert not any(u.endswith("ghost") or v.startswith("//") for u, _, v in kinds)


def test_unreadable_policy_gives_conditional_edges_not_crash(estate):
    e = estate
    alice = e.user("alice")
    e.part.nodes[-1].props["inline_policies"].append(f"{alice}#inline/bad")
    e.raw_document(f"{alice}#inline/bad", "not json {")
    bucket = e.bucket("b")
    snap = e.snapshot()
    edge = by_pair(permission_edges(snap))[(alice, "can_access", bucket)]
    assert edge.props["conditional"] is True and "not valid JSON" in edge.props["reason"]


def test_embedded_secret_nodes_get_no_access_edges(estate):
    e = estate
    e.role("admin", inline={"p": e.doc(e.allow("*"))})
    inst = e.instance("i-0abc")
    e.part.nodes.append(
        Node(
            f"{inst}#secret/abc123",
            NodeKind.SECRET,
            "key in user data",
            "aws",
            "us-east-1",
            {
                "embedded": True,
                "finding": {
                    "type": "AWS Access Key",
                    "location": "user data",
                    "hash_prefix": "abc123",
                },
            },
        )
    )
    edges = permission_edges(e.snapshot())
    assert not any("#secret/" in x.dst for x in edges)


def test_list_level_grants_alone_reach_no_data_but_bucket_listings_do(estate):
    """``ec2:Describe*`` allows DescribeVolumeAttribute on every volume and ``kms:List*``
    ListGrants on every key: metadata, not the data. Listing a bucket enumerates its object
    keys, which are data, so it counts; other List actions are named beside real access."""
    e = estate
    e.role(
        "auditor",
        inline={"a": e.doc(e.allow(["ec2:Describe*", "kms:List*"]))},
    )
    e.role("lister", inline={"a": e.doc(e.allow("s3:ListBucket"))})
    e.role("keys", inline={"a": e.doc(e.allow(["kms:ListGrants", "kms:Decrypt"]))})
    volume, key, bucket = e.volume("vol-1"), e.key("k1"), e.bucket("b")
    edges = by_pair(permission_edges(e.snapshot()))
    access = {(src, dst) for src, kind, dst in edges if kind == "can_access"}
    auditor, lister, keys = (f"arn:aws:iam::{A}:role/{n}" for n in ("auditor", "lister", "keys"))
    assert not any(src == auditor for src, _ in access)
    assert {dst for src, dst in access if src == lister} == {bucket}
    assert edges[(lister, "can_access", bucket)].props["actions"] == ["s3:ListBucket"]
    assert edges[(keys, "can_access", key)].props["actions"] == ["kms:Decrypt", "kms:ListGrants"]
    assert (keys, volume) not in access


def test_a_bucket_anyone_may_read_is_the_internets_edge_not_every_principals(estate):
    """Holding a principal adds nothing to what anyone may do without credentials: a public
    read grant is one internet → bucket edge, and a principal keeps its own edge only when
    it may do more (write the public site). A TLS-only deny does not single callers out."""
    e = estate
    site = "arn:aws:s3:::site"
    public = e.doc(
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [site, f"{site}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{site}/*",
        },
    )
    e.bucket("site", policy=public, public=True)
    e.role("reader", inline={"a": e.doc(e.allow("s3:GetObject"))})
    e.role("deployer", inline={"a": e.doc(e.allow(["s3:GetObject", "s3:PutObject"]))})
    edges = by_pair(permission_edges(e.snapshot()))
    reader, deployer = (f"arn:aws:iam::{A}:role/{n}" for n in ("reader", "deployer"))
    assert (reader, "can_access", site) not in edges
    assert edges[(deployer, "can_access", site)].props["level"] == "write"
    anyone = edges[("internet", "can_access", site)].props
    assert anyone["actions"] == ["s3:GetObject"] and anyone["level"] == "read"
    assert [(ev["document"], ev["sid"]) for ev in anyone["evidence"]] == [
        (f"{site}#policy", "PublicRead")
    ]


def test_a_public_grant_that_a_deny_may_narrow_keeps_every_principals_edge(estate):
    e = estate
    site = "arn:aws:s3:::site"
    policy = e.doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{site}/*"},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{site}/*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": A}},
        },
    )
    e.bucket("site", policy=policy)
    e.role("reader", inline={"a": e.doc(e.allow("s3:GetObject"))})
    edges = by_pair(permission_edges(e.snapshot()))
    assert (f"arn:aws:iam::{A}:role/reader", "can_access", site) in edges
    assert ("internet", "can_access", site) not in edges


def test_grants_to_everyone_make_candidates_only_where_they_can_give_an_edge(estate):
    """A public bucket is a candidate of every principal only when its grant to everyone
    may give one more than anyone gets without credentials (here: a PrincipalOrgID
    condition). A plainly public bucket, or one RestrictPublicBuckets holds to its own
    account, is not — and no edge is lost by that: the callers' own grants still make it
    a candidate."""
    from blastscope.graph.iam.aws_edges import DataIndex
    from blastscope.graph.iam.aws_index import build_index
    from blastscope.graph.model import merge_parts

    other = type(estate)(account="444455556666")

    def site(name, *, restrict=False, condition=None):
        grant = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        grant["Resource"] = f"arn:aws:s3:::{name}/*"
        if condition:
            grant["Condition"] = condition
        block = {"RestrictPublicBuckets": True} if restrict else None
        return other.bucket(name, policy=other.doc(grant), public_access_block=block)

    public, restricted = site("public"), site("restricted", restrict=True)
    org = site("org", condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}})
    other.user("owner")
    estate.user("idle")
    estate.user("reader", inline={"p": estate.doc(estate.allow("s3:GetObject"))})
    snap = merge_parts(
        [estate.snapshot_part(), other.snapshot_part()], provider="aws", scope={}, collected_at="t"
    )
    ix = build_index(snap)
    data = DataIndex(ix)
    idle, reader = (ix.principals[f"arn:aws:iam::{A}:user/{n}"] for n in ("idle", "reader"))
    owner = ix.principals["arn:aws:iam::444455556666:user/owner"]
    assert data.candidates(idle) == {org}
    assert data.candidates(owner) == {org, restricted}
    edges = by_pair(permission_edges(snap))
    assert edges[(owner.id, "can_access", org)].props["conditional"] is True
    assert edges[(reader.id, "can_access", org)].props["conditional"] is True
    assert ("internet", "can_access", public) in edges
    assert ("internet", "can_access", restricted) not in edges  # its own account only
    # Across accounts the caller's own grant is needed too; where anyone may read, or
    # RestrictPublicBuckets refuses other accounts, there is nothing more to give.
    assert {(s, d) for s, _, d in edges if s in (idle.id, reader.id, owner.id)} == {
        (owner.id, org),
        (owner.id, restricted),
        (reader.id, org),
    }


def test_a_resource_policy_reading_the_resources_tags_is_judged_per_resource(estate):
    """Two buckets with the same policy but different tags: a Deny on
    ``aws:ResourceTag/classification`` holds for the tagged one only, so the two cannot
    share one evaluation."""
    e = estate

    def deny_secret(name):
        return e.doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
                "Condition": {"StringEquals": {"aws:ResourceTag/classification": "secret"}},
            }
        )

    vault = e.bucket("vault", policy=deny_secret("vault"), tags={"classification": "secret"})
    plain = e.bucket("plain", policy=deny_secret("plain"), tags={"classification": "public"})
    e.role("reader", inline={"a": e.doc(e.allow("s3:GetObject"))})
    reader = f"arn:aws:iam::{A}:role/reader"
    edges = by_pair(permission_edges(e.snapshot()))
    assert edges[(reader, "can_access", plain)].props["conditional"] is False
    assert (reader, "can_access", vault) not in edges

"""Security groups and network ACLs in MODEL.md's one firewall-rule shape.

Security groups only allow (``priority`` null: the union of rules decides); NACL entries are
ordered allow/deny rules (``priority`` = rule number). SG-to-SG references become
``{"firewall": <SG ARN>}`` sources, prefix lists carry their CIDRs when they could be read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, known, name_tag, node, tags

PROTOCOLS = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def _items(raw: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key, MISSING)
    return [] if value is MISSING or value is None else list(value)


def protocol_name(raw: Any) -> str:
    """AWS ``IpProtocol``/NACL ``Protocol`` (name or number, ``-1`` = all) → MODEL's name."""
    text = str(raw).lower()
    return PROTOCOLS.get(text, text)


def port_range(protocol: str, from_port: Any, to_port: Any) -> tuple[int | None, int | None]:
    """All ports (``-1`` or absent, or protocol ``all``) → (None, None)."""
    if protocol == "all" or from_port is None or from_port == -1 or to_port == -1:
        return None, None
    return int(from_port), int(to_port if to_port is not None else from_port)


def nacl(part: Partial, acl: Mapping[str, Any], ctx: Ctx) -> None:
    aid = acl["NetworkAclId"]
    rules = []
    for entry in acl.get("Entries") or []:
        protocol = protocol_name(entry.get("Protocol", "-1"))
        ports = entry.get("PortRange") or {}
        low, high = port_range(protocol, ports.get("From"), ports.get("To"))
        cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
        rules.append(
            {
                "id": str(entry.get("RuleNumber")),
                "direction": "egress" if entry.get("Egress") else "ingress",
                "action": "allow" if entry.get("RuleAction") == "allow" else "deny",
                "priority": int(entry.get("RuleNumber", 32767)),
                "protocol": protocol,
                "from_port": low,
                "to_port": high,
                "sources": [{"cidr": cidr}] if cidr else [],
                "targets": None,
                "description": "",
            }
        )
    rules.sort(key=lambda r: (r["direction"], r["priority"]))
    props = {
        "account": ctx.account,
        "native_id": aid,
        "network": ctx.ec2_arn("vpc", acl["VpcId"]),
        "is_default": bool(acl.get("IsDefault")),
        "rules": rules,
        "tags": tags(acl.get("Tags")),
    }
    part.nodes.append(
        node(
            ctx.ec2_arn("network-acl", aid),
            NodeKind.NETWORK_ACL,
            name_tag(acl.get("Tags"), aid),
            ctx.region,
            props,
        )
    )


def sg_rule(rule: Mapping[str, Any], ctx: Ctx, prefix_entries: Mapping[str, Any]) -> dict[str, Any]:
    """One ``DescribeSecurityGroupRules`` entry → MODEL's firewall rule (SGs only allow)."""
    protocol = protocol_name(rule.get("IpProtocol", "-1"))
    low, high = port_range(protocol, rule.get("FromPort"), rule.get("ToPort"))
    sources: list[dict[str, Any]] = []
    if rule.get("CidrIpv4"):
        sources.append({"cidr": rule["CidrIpv4"]})
    if rule.get("CidrIpv6"):
        sources.append({"cidr": rule["CidrIpv6"]})
    ref = rule.get("ReferencedGroupInfo") or {}
    if ref.get("GroupId"):
        owner = ref.get("UserId") or ctx.account
        sources.append(
            {
                "firewall": ctx.arn("ec2", f"security-group/{ref['GroupId']}").replace(
                    f":{ctx.account}:", f":{owner}:", 1
                )
            }
        )
    if rule.get("PrefixListId"):
        entries = prefix_entries.get(rule["PrefixListId"], MISSING)
        cidrs = (
            None if entries is MISSING or entries is None else sorted(e["Cidr"] for e in entries)
        )
        sources.append({"prefix_list": rule["PrefixListId"], "cidrs": cidrs})
    return {
        "id": rule.get("SecurityGroupRuleId"),
        "direction": "egress" if rule.get("IsEgress") else "ingress",
        "action": "allow",
        "priority": None,
        "protocol": protocol,
        "from_port": low,
        "to_port": high,
        "sources": sources,
        "targets": None,
        "description": rule.get("Description") or "",
    }


def security_groups(part: Partial, raw: Mapping[str, Any], ctx: Ctx) -> None:
    rules_missing = raw.get("SecurityGroupRules", MISSING) is MISSING
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rule in _items(raw, "SecurityGroupRules"):
        by_group[rule["GroupId"]].append(sg_rule(rule, ctx, raw.get("PrefixListEntries") or {}))
    for sg in _items(raw, "SecurityGroups"):
        gid = sg["GroupId"]
        arn = ctx.ec2_arn("security-group", gid)
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": gid,
            "scope": "instance",
            "network": ctx.ec2_arn("vpc", sg["VpcId"]) if sg.get("VpcId") else None,
            "description": sg.get("Description") or "",
            "tags": tags(sg.get("Tags")),
        }
        rules = sorted(by_group.get(gid, []), key=lambda r: (r["direction"], str(r["id"])))
        known(props, "rules", MISSING if rules_missing else rules)
        part.nodes.append(
            node(arn, NodeKind.FIREWALL, sg.get("GroupName") or gid, ctx.region, props)
        )
        if props["network"]:
            part.edges.append(Edge(arn, props["network"], EdgeKind.IN_NETWORK))

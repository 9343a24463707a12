"""A region's load balancers, v2 (ALB/NLB/GWLB) and classic: scheme, listeners, targets.

``forwards_to`` edges come from target groups' registered instance targets (v2) or the
classic ELB's instance list, with the port the balancer forwards to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, known, node
from blastscope.providers.aws.session import Clients, paginate


def get_load_balancers(clients: Clients, ctx: Ctx, gaps: Gaps) -> dict[str, Any]:
    """ELBv2 balancers with listeners and target groups' targets; classic ELBs."""
    v2 = clients.client("elbv2", ctx.region)
    balancers = gaps.read(
        lambda: paginate(v2, "describe_load_balancers", "LoadBalancers"),
        what="elbv2 describe_load_balancers",
    )
    for lb in [] if balancers is MISSING else balancers:
        arn = lb["LoadBalancerArn"]
        lb["Listeners"] = gaps.read(
            lambda a=arn: paginate(v2, "describe_listeners", "Listeners", LoadBalancerArn=a),
            what=f"listeners of {lb.get('LoadBalancerName')}",
        )
        groups = gaps.read(
            lambda a=arn: paginate(v2, "describe_target_groups", "TargetGroups", LoadBalancerArn=a),
            what=f"target groups of {lb.get('LoadBalancerName')}",
        )
        for group in [] if groups is MISSING else groups:
            group["Targets"] = gaps.read(
                lambda g=group: v2.describe_target_health(TargetGroupArn=g["TargetGroupArn"]).get(
                    "TargetHealthDescriptions", []
                ),
                what=f"targets of {group.get('TargetGroupName')}",
            )
        lb["TargetGroups"] = groups
    classic = gaps.read(
        lambda: paginate(
            clients.client("elb", ctx.region), "describe_load_balancers", "LoadBalancerDescriptions"
        ),
        what="elb describe_load_balancers",
    )
    return {"V2": balancers, "Classic": classic}


def transform_load_balancers(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """Balancers → ``load_balancer`` nodes; ``forwards_to``, ``protected_by``, ``in_subnet``."""
    part = Partial()
    sg = lambda gid: ctx.ec2_arn("security-group", gid)  # noqa: E731
    v2 = raw.get("V2", MISSING)
    for lb in [] if v2 in (MISSING, None) else v2:
        arn = lb["LoadBalancerArn"]
        groups = sorted(lb.get("SecurityGroups") or [])
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": lb.get("LoadBalancerName"),
            "type": lb.get("Type"),
            "public": lb.get("Scheme") == "internet-facing",
            "dns_name": lb.get("DNSName"),
            "firewalls": [sg(g) for g in groups],
            "network": ctx.ec2_arn("vpc", lb["VpcId"]) if lb.get("VpcId") else None,
        }
        listeners = lb.get("Listeners", MISSING)
        known(
            props,
            "listeners",
            listeners
            if listeners is MISSING
            else sorted(
                ({"port": li.get("Port"), "protocol": li.get("Protocol")} for li in listeners),
                key=lambda li: (li["port"] or 0, str(li["protocol"])),
            ),
        )
        target_groups = lb.get("TargetGroups", MISSING)
        if target_groups is MISSING or any(
            g.get("Targets", MISSING) is MISSING for g in target_groups
        ):
            known(props, "targets", MISSING)
        for group in [] if target_groups is MISSING else target_groups:
            if group.get("TargetType", "instance") != "instance":
                continue
            for target in [] if group.get("Targets") is MISSING else group.get("Targets") or []:
                desc = target.get("Target") or {}
                if desc.get("Id", "").startswith("i-"):
                    part.edges.append(
                        Edge(
                            arn,
                            ctx.ec2_arn("instance", desc["Id"]),
                            EdgeKind.FORWARDS_TO,
                            {
                                "port": desc.get("Port") or group.get("Port"),
                                "protocol": group.get("Protocol"),
                            },
                        )
                    )
        part.nodes.append(
            node(arn, NodeKind.LOAD_BALANCER, lb.get("LoadBalancerName") or arn, ctx.region, props)
        )
        for gid in groups:
            part.edges.append(Edge(arn, sg(gid), EdgeKind.PROTECTED_BY))
        for zone in lb.get("AvailabilityZones") or []:
            if zone.get("SubnetId"):
                part.edges.append(
                    Edge(arn, ctx.ec2_arn("subnet", zone["SubnetId"]), EdgeKind.IN_SUBNET)
                )
    classic = raw.get("Classic", MISSING)
    for lb in [] if classic in (MISSING, None) else classic:
        name = lb["LoadBalancerName"]
        arn = ctx.arn("elasticloadbalancing", f"loadbalancer/{name}")
        groups = sorted(lb.get("SecurityGroups") or [])
        listeners = [d.get("Listener") or {} for d in lb.get("ListenerDescriptions") or []]
        props = {
            "account": ctx.account,
            "native_id": name,
            "type": "classic",
            "public": lb.get("Scheme") == "internet-facing",
            "dns_name": lb.get("DNSName"),
            "firewalls": [sg(g) for g in groups],
            "network": ctx.ec2_arn("vpc", lb["VPCId"]) if lb.get("VPCId") else None,
            "listeners": sorted(
                (
                    {"port": li.get("LoadBalancerPort"), "protocol": li.get("Protocol")}
                    for li in listeners
                ),
                key=lambda li: (li["port"] or 0, str(li["protocol"])),
            ),
        }
        part.nodes.append(node(arn, NodeKind.LOAD_BALANCER, name, ctx.region, props))
        for instance in lb.get("Instances") or []:
            for li in listeners:
                part.edges.append(
                    Edge(
                        arn,
                        ctx.ec2_arn("instance", instance["InstanceId"]),
                        EdgeKind.FORWARDS_TO,
                        {"port": li.get("InstancePort"), "protocol": li.get("InstanceProtocol")},
                    )
                )
        for gid in groups:
            part.edges.append(Edge(arn, sg(gid), EdgeKind.PROTECTED_BY))
        for subnet in lb.get("Subnets") or []:
            part.edges.append(Edge(arn, ctx.ec2_arn("subnet", subnet), EdgeKind.IN_SUBNET))
    return part

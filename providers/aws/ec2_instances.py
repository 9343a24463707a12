"""A region's EC2 instances with their addresses, image age, IMDS setting and user data findings.

Public addresses come from the instance, every attached ENI and the Elastic IPs. User data is
read with ``DescribeInstanceAttribute`` and only scanned: the text never leaves this module,
just the findings of :func:`blastscope.providers.secrets.scan_text`, each a ``secret`` node the
instance ``contains``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, iso, known, name_tag, node, tags
from blastscope.providers.aws.session import Clients, paginate
from blastscope.providers.secrets import scan_text

IMAGE_BATCH = 100


def get_instances(clients: Clients, ctx: Ctx, gaps: Gaps) -> dict[str, Any]:
    """Instances (paginated), ENIs, EIPs, image dates and user-data findings of the region."""
    ec2 = clients.client("ec2", ctx.region)
    reservations = paginate(ec2, "describe_instances", "Reservations")
    instances = [i for r in reservations for i in r.get("Instances") or []]
    raw: dict[str, Any] = {"Instances": instances}
    raw["NetworkInterfaces"] = gaps.read(
        lambda: paginate(ec2, "describe_network_interfaces", "NetworkInterfaces"),
        what="describe_network_interfaces",
    )
    raw["Addresses"] = gaps.read(
        lambda: ec2.describe_addresses().get("Addresses", []), what="describe_addresses"
    )
    image_ids = sorted({i["ImageId"] for i in instances if i.get("ImageId")})
    images: dict[str, Any] = {}
    for start in range(0, len(image_ids), IMAGE_BATCH):
        batch = image_ids[start : start + IMAGE_BATCH]
        found = gaps.read(
            lambda b=batch: paginate(ec2, "describe_images", "Images", ImageIds=b),
            what="describe_images",
            # A deregistered AMI in the batch fails the whole call: fall back per image.
            absent=("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"),
        )
        if found is None:
            found = []
            for image_id in batch:
                one = gaps.read(
                    lambda i=image_id: ec2.describe_images(ImageIds=[i])["Images"],
                    what=f"describe_images {image_id}",
                    absent=("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"),
                )
                if one is MISSING:
                    images[image_id] = MISSING
                else:
                    found.extend(one or [])
        if found is MISSING:
            images.update(dict.fromkeys(batch, MISSING))
            continue
        for image in found:
            images[image["ImageId"]] = image.get("CreationDate")
        for image_id in batch:
            images.setdefault(image_id, None)  # not found: deregistered or not shared any more
    raw["ImageCreated"] = images

    def user_data(instance_id: str) -> Any:
        answer = gaps.read(
            lambda: ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData"),
            what=f"user data of {instance_id}",
        )
        if answer is MISSING:
            return MISSING
        value = (answer.get("UserData") or {}).get("Value")
        return scan_text(value, location="user_data") if value else []

    ids = [i["InstanceId"] for i in instances]
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="ec2-userdata") as pool:
        raw["UserDataFindings"] = dict(zip(ids, pool.map(user_data, ids), strict=True))
    return raw


def imds_v1(options: Mapping[str, Any] | None) -> bool | None:
    """IMDSv1 is reachable when the endpoint is on and tokens are optional."""
    if not options:
        return None
    if options.get("HttpEndpoint", "enabled") == "disabled":
        return False
    return options.get("HttpTokens", "optional") == "optional"


def transform_instances(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """Instances → ``instance`` nodes with ``in_subnet``/``in_network``/``protected_by``
    edges, and each user-data finding as a ``secret`` node the instance ``contains``."""
    part = Partial()
    enis = raw.get("NetworkInterfaces", MISSING)
    eips = raw.get("Addresses", MISSING)
    public_by_instance: dict[str, set[str]] = defaultdict(set)
    groups_by_instance: dict[str, set[str]] = defaultdict(set)
    for eni in [] if enis in (MISSING, None) else enis:
        owner = (eni.get("Attachment") or {}).get("InstanceId")
        if not owner:
            continue
        groups_by_instance[owner].update(g["GroupId"] for g in eni.get("Groups") or [])
        for address in eni.get("PrivateIpAddresses") or []:
            public = (address.get("Association") or {}).get("PublicIp")
            if public:
                public_by_instance[owner].add(public)
    for eip in [] if eips in (MISSING, None) else eips:
        if eip.get("InstanceId") and eip.get("PublicIp"):
            public_by_instance[eip["InstanceId"]].add(eip["PublicIp"])
    images = raw.get("ImageCreated") or {}
    findings_by_instance = raw.get("UserDataFindings") or {}
    for inst in raw.get("Instances") or []:
        iid = inst["InstanceId"]
        arn = ctx.ec2_arn("instance", iid)
        public = set(public_by_instance.get(iid, set()))
        private: set[str] = set()
        ipv6: set[str] = set()
        groups = {g["GroupId"] for g in inst.get("SecurityGroups") or []}
        groups |= groups_by_instance.get(iid, set())
        if inst.get("PublicIpAddress"):
            public.add(inst["PublicIpAddress"])
        if inst.get("PrivateIpAddress"):
            private.add(inst["PrivateIpAddress"])
        for eni in inst.get("NetworkInterfaces") or []:
            groups.update(g["GroupId"] for g in eni.get("Groups") or [])
            for address in eni.get("PrivateIpAddresses") or []:
                if address.get("PrivateIpAddress"):
                    private.add(address["PrivateIpAddress"])
                if (address.get("Association") or {}).get("PublicIp"):
                    public.add(address["Association"]["PublicIp"])
            ipv6.update(a["Ipv6Address"] for a in eni.get("Ipv6Addresses") or [])
        profile = (inst.get("IamInstanceProfile") or {}).get("Arn")
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": iid,
            "state": (inst.get("State") or {}).get("Name"),
            "instance_type": inst.get("InstanceType"),
            "public_ips": sorted(public),
            "private_ips": sorted(private),
            "ipv6_addresses": sorted(ipv6),
            "imds_v1": imds_v1(inst.get("MetadataOptions")),
            "image": inst.get("ImageId"),
            "platform": inst.get("PlatformDetails") or inst.get("Platform") or "Linux/UNIX",
            "instance_profile": profile,
            "launch_time": iso(inst.get("LaunchTime")),
            "key_name": inst.get("KeyName"),
            "tags": tags(inst.get("Tags")),
        }
        known(props, "image_created", images.get(inst.get("ImageId"), None))
        if props["image_created"] is not None:
            props["image_created"] = iso(props["image_created"])
        findings = findings_by_instance.get(iid, MISSING)
        known(props, "user_data_findings", findings)
        for finding in [] if findings is MISSING else findings:
            secret_id = f"{arn}#secret/{finding['hash_prefix']}"
            part.nodes.append(
                node(
                    secret_id,
                    NodeKind.SECRET,
                    f"{finding['type']} in {iid} user data",
                    ctx.region,
                    {"account": ctx.account, "embedded": True, "finding": finding},
                )
            )
            part.edges.append(Edge(arn, secret_id, EdgeKind.CONTAINS))
        part.nodes.append(
            node(arn, NodeKind.INSTANCE, name_tag(inst.get("Tags"), iid), ctx.region, props)
        )
        if inst.get("SubnetId"):
            part.edges.append(
                Edge(arn, ctx.ec2_arn("subnet", inst["SubnetId"]), EdgeKind.IN_SUBNET)
            )
        if inst.get("VpcId"):
            part.edges.append(Edge(arn, ctx.ec2_arn("vpc", inst["VpcId"]), EdgeKind.IN_NETWORK))
        for group in sorted(groups):
            part.edges.append(
                Edge(arn, ctx.ec2_arn("security-group", group), EdgeKind.PROTECTED_BY)
            )
    return part

"""Compute findings: management ports open to the world, IMDSv1, old images, secrets in user data.

Firewall evaluation follows MODEL.md's one rule shape: rules with a ``priority`` are decided by
the first match (lowest number; deny before allow on a tie, as GCP does), rules without one
form an allow-only union (AWS security groups). Instance-scope firewalls form one layer and
subnet-scope firewalls (Azure subnet NSGs) a second that must also admit the traffic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from blastscope.graph.findings_base import (
    WORLD_CIDRS,
    Hit,
    Index,
    Rule,
    Severity,
    as_list,
    strings,
)
from blastscope.graph.model import Node

MANAGEMENT_PORTS: Mapping[int, str] = {
    22: "ssh",
    23: "telnet",
    2375: "docker",
    2376: "docker",
    2379: "etcd",
    3389: "rdp",
    5985: "winrm",
    5986: "winrm",
    1433: "mssql",
    1521: "oracle",
    3306: "mysql",
    5432: "postgres",
    6379: "redis",
    9200: "elasticsearch",
    11211: "memcached",
    27017: "mongodb",
}
"""Ports whose service should never face the internet: remote shells, daemons, databases."""

IMAGE_MAX_AGE_DAYS = 180
"""An image older than this has likely missed half a year of OS patches."""

_TCP = {"tcp", "all", "-1", "6", "*"}


Layer = tuple[tuple[str, tuple[dict[str, Any], ...]], ...]
"""(firewall id, the rules of it that admit the world over TCP) per firewall of one layer."""


def _world_rules(ix: Index, fw: Node) -> tuple[dict[str, Any], ...]:
    """The firewall's ingress rules with a 0.0.0.0/0 or ::/0 source over TCP (cached)."""

    def build() -> tuple[dict[str, Any], ...]:
        rules = fw.props.get("rules")
        if not isinstance(rules, list):
            return ()
        out = []
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("direction", "ingress") != "ingress":
                continue
            if str(rule.get("protocol", "all")).lower() not in _TCP:
                continue
            cidr = _world_source(rule)
            if cidr is not None:
                out.append({**rule, "_cidr": cidr})
        return tuple(out)

    return ix.cached(f"world-rules:{fw.id}", build)  # type: ignore[no-any-return]


def _world_source(rule: Mapping[str, Any]) -> str | None:
    for source in as_list(rule.get("sources")):
        if isinstance(source, dict):
            for cidr in (source.get("cidr"), *as_list(source.get("cidrs"))):
                if isinstance(cidr, str) and cidr in WORLD_CIDRS:
                    return str(cidr)
    return None


def _firewall_layers(ix: Index, inst: Node) -> tuple[Layer, ...] | None:
    """The instance layer, then the subnet layer if any; None when no firewall was read."""
    layers: dict[str, list[tuple[str, tuple[dict[str, Any], ...]]]] = {"instance": [], "subnet": []}
    seen: set[tuple[str, str]] = set()
    holders = [(inst.id, "instance")] + [(s.id, "subnet") for s in ix.targets(inst.id, "in_subnet")]
    for holder, via in holders:
        for fw in ix.targets(holder, "protected_by"):
            if fw.kind != "firewall" or not isinstance(fw.props.get("rules"), list):
                continue
            # The path decides the layer (an NSG on both the NIC and the subnet is evaluated
            # twice, as Azure does); a subnet-scoped firewall linked to the instance directly
            # still belongs to the subnet layer.
            layer = "subnet" if via == "subnet" or fw.props.get("scope") == "subnet" else "instance"
            if (layer, fw.id) not in seen:
                seen.add((layer, fw.id))
                layers[layer].append((fw.id, _world_rules(ix, fw)))
    found = tuple(tuple(layer) for layer in layers.values() if layer)
    return found or None


def _targets_instance(rule: Mapping[str, Any], inst: Node) -> bool:
    targets = rule.get("targets")
    if not isinstance(targets, dict) or not (
        targets.get("network_tags") or targets.get("service_accounts")
    ):
        return True
    tags = strings(inst.props.get("network_tags"))
    accounts = strings(inst.props.get("service_accounts"))
    return bool(
        tags & strings(targets.get("network_tags"))
        or accounts & strings(targets.get("service_accounts"))
    )


def _layer_admits(layer: Layer, port: int, inst: Node) -> list[dict[str, Any]] | None:
    """The rules that let the world in on ``port`` through this layer, or None if it does not."""
    matches = []
    for fw_id, rules in layer:
        for rule in rules:
            lo, hi = rule.get("from_port"), rule.get("to_port")
            if isinstance(lo, int) and isinstance(hi, int) and lo >= 0 and not lo <= port <= hi:
                continue
            if _targets_instance(rule, inst):
                matches.append((fw_id, rule))
    if not matches:
        return None
    ordered = [m for m in matches if isinstance(m[1].get("priority"), int)]
    if ordered:
        ordered.sort(key=lambda m: (m[1]["priority"], m[1].get("action", "allow") != "deny"))
        matches = ordered[:1]
    allowed = [(f, r) for f, r in matches if r.get("action", "allow") == "allow"]
    return [{"firewall": f, "rule": r.get("id"), "cidr": r["_cidr"]} for f, r in allowed] or None


def _open_ports(layers: tuple[Layer, ...], inst: Node) -> tuple[list[int], list[dict[str, Any]]]:
    ports: list[int] = []
    rules: list[dict[str, Any]] = []
    for port in MANAGEMENT_PORTS:
        verdicts = [_layer_admits(layer, port, inst) for layer in layers]
        if all(v is not None for v in verdicts):
            ports.append(port)
            for v in verdicts:
                rules.extend(r for r in v or () if r not in rules)
    return ports, rules


def _open_management_ports(ix: Index) -> Iterator[Hit]:
    verdicts: dict[tuple[Any, ...], tuple[list[int], list[dict[str, Any]]]] = {}
    for inst in ix.of_kind("instance"):
        layers = _firewall_layers(ix, inst)
        if layers is None or not any(rules for layer in layers for _, rules in layer):
            continue
        # Instances behind the same firewalls (and GCP tags) share one verdict.
        key = (
            tuple(tuple(fw for fw, _ in layer) for layer in layers),
            tuple(sorted(map(str, as_list(inst.props.get("network_tags"))))),
            tuple(sorted(map(str, as_list(inst.props.get("service_accounts"))))),
        )
        if key not in verdicts:
            verdicts[key] = _open_ports(layers, inst)
        ports, rules = verdicts[key]
        if not ports:
            continue
        public = list(as_list(inst.props.get("public_ips")))
        services = sorted({MANAGEMENT_PORTS[p] for p in ports})
        yield Hit(
            inst.id,
            {"ports": sorted(ports), "services": services, "rules": rules, "public_ips": public},
            severity=Severity.HIGH if public else Severity.MEDIUM,
            title=f"{', '.join(services)} open to the internet (0.0.0.0/0 or ::/0)",
        )


def _imds_v1(ix: Index) -> Iterator[Hit]:
    for inst in ix.of_kind("instance"):
        if inst.props.get("imds_v1") is True:
            public = list(as_list(inst.props.get("public_ips")))
            yield Hit(
                inst.id,
                {"imds_v1": True, "public_ips": public},
                severity=Severity.HIGH if public else Severity.MEDIUM,
            )


def _old_image(ix: Index) -> Iterator[Hit]:
    for inst in ix.of_kind("instance"):
        age = ix.age_days(inst.props.get("image_created"))
        if age is not None and age > IMAGE_MAX_AGE_DAYS:
            yield Hit(
                inst.id,
                {
                    "image": inst.props.get("image"),
                    "image_created": inst.props.get("image_created"),
                    "age_days": age,
                    "threshold_days": IMAGE_MAX_AGE_DAYS,
                },
                severity=Severity.MEDIUM if age > 2 * IMAGE_MAX_AGE_DAYS else Severity.LOW,
                title=f"image is {age} days old (over {IMAGE_MAX_AGE_DAYS})",
            )


def _user_data_secrets(ix: Index) -> Iterator[Hit]:
    for holder in ix.of_kind("instance", "function"):
        found: dict[str, dict[str, Any]] = {}
        for secret in ix.targets(holder.id, "contains"):
            finding = secret.props.get("finding")
            if (
                secret.kind == "secret"
                and secret.props.get("embedded")
                and isinstance(finding, dict)
            ):
                found[str(finding.get("hash_prefix"))] = {**_safe(finding), "node": secret.id}
        for finding in as_list(holder.props.get("user_data_findings")):
            if isinstance(finding, dict):
                found.setdefault(str(finding.get("hash_prefix")), _safe(finding))
        if found:
            types = sorted({str(f.get("type")) for f in found.values()})
            yield Hit(
                holder.id,
                {"secrets": [found[k] for k in sorted(found)]},
                title=f"secrets in {'user data' if holder.kind == 'instance' else 'configuration'}"
                f": {', '.join(types)}",
            )


def _safe(finding: Mapping[str, Any]) -> dict[str, Any]:
    """Only the finding's agreed fields: never anything a collector might add by mistake."""
    return {k: finding.get(k) for k in ("type", "location", "hash_prefix")}


RULES = (
    Rule(
        "management-port-open",
        "compute",
        Severity.HIGH,
        "management port open to the internet",
        "Restrict the rule's source to known addresses or reach the machine through a bastion, "
        "SSM Session Manager / Azure Bastion / IAP.",
        _open_management_ports,
    ),
    Rule(
        "imds-v1",
        "compute",
        Severity.MEDIUM,
        "instance metadata service v1 allowed (SSRF steals the role's credentials)",
        "Require IMDSv2: modify-instance-metadata-options --http-tokens required.",
        _imds_v1,
    ),
    Rule(
        "image-old",
        "compute",
        Severity.LOW,
        "image older than the patch threshold",
        "Rebuild from a current image (or confirm the guest is patched in place).",
        _old_image,
    ),
    Rule(
        "user-data-secret",
        "compute",
        Severity.HIGH,
        "secrets embedded in user data or configuration",
        "Move the secret to a secret manager read at boot by the instance's role; rotate it.",
        _user_data_secrets,
    ),
)

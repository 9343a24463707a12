"""The pure transforms (REST dicts → nodes, edges, props), with no SDK and no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blastscope.providers.azure.compute import transform_vms
from blastscope.providers.azure.disks import exportable
from blastscope.providers.azure.network import internet_by_default, route_table_routes
from blastscope.providers.azure.nsg_rules import address_sources, nsg_rules
from blastscope.providers.azure.sql import transform_sql
from blastscope.providers.azure.storage import transform_storage

ESTATE = Path(__file__).parents[2] / "data" / "azure" / "estate"
SQL = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/db"
ACCT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"


def load(name: str) -> dict:
    return json.loads((ESTATE / name).read_text())


def test_default_rules_are_added_when_the_response_omits_them() -> None:
    rules = nsg_rules({"securityRules": []})
    assert [
        (r["id"], r["priority"], r["action"]) for r in rules if r["direction"] == "ingress"
    ] == [
        ("AllowVnetInBound", 65000, "allow"),
        ("AllowAzureLoadBalancerInBound", 65001, "allow"),
        ("DenyAllInBound", 65500, "deny"),
    ]
    out = next(r for r in rules if r["id"] == "AllowInternetOutBound")
    assert out["direction"] == "egress" and {"cidr": "0.0.0.0/0"} in out["sources"]


@pytest.mark.parametrize(
    ("prefix", "sources"),
    [
        ("Internet", [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]),
        ("*", [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]),
        ("10.1.2.3", [{"cidr": "10.1.2.3/32"}]),
        ("2001:db8::/32", [{"cidr": "2001:db8::/32"}]),
        ("AzureLoadBalancer", [{"tag": "AzureLoadBalancer"}]),
        ("Storage.WestEurope", [{"tag": "Storage.WestEurope"}]),
    ],
)
def test_service_tags_and_addresses(prefix: str, sources: list[dict[str, str]]) -> None:
    assert address_sources(prefix) == sources


def test_user_route_overrides_the_system_default_route() -> None:
    table = load("network/routeTables.json")["value"][0]
    routes = route_table_routes(table)
    v4 = [r for r in routes if r["destination"] == "0.0.0.0/0"]
    assert [(r["target"], r["target_kind"]) for r in v4] == [("10.0.9.4", "instance")]
    # IPv6 still has Azure's system route to the internet, made explicit
    assert any(r["destination"] == "::/0" and r.get("system") for r in routes)
    assert internet_by_default(table) is False
    assert internet_by_default(None) is True
    to_internet = {
        "properties": {
            "routes": [
                {
                    "name": "r",
                    "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"},
                }
            ]
        }
    }
    assert internet_by_default(to_internet) is True
    other = {
        "properties": {
            "routes": [
                {
                    "name": "r",
                    "properties": {
                        "addressPrefix": "10.9.0.0/16",
                        "nextHopType": "VirtualAppliance",
                    },
                }
            ]
        }
    }
    assert internet_by_default(other) is True


def _sql(rules: list[tuple[str, str]] | None, access: str = "Enabled") -> dict:
    server = {"id": SQL, "name": "db", "properties": {"publicNetworkAccess": access}}
    rule_docs = None
    if rules is not None:
        rule_docs = [
            {"name": f"r{i}", "properties": {"startIpAddress": a, "endIpAddress": b}}
            for i, (a, b) in enumerate(rules)
        ]
    part = transform_sql(
        {"servers": [server], "rules": {SQL.lower(): rule_docs}, "databases": {SQL.lower(): []}}
    )
    return dict(part.nodes[0].props)


def test_sql_firewall_rules_decide_public() -> None:
    everyone = _sql([("0.0.0.0", "255.255.255.255")])
    assert everyone["public"] is True and everyone["authorized_networks"] == ["0.0.0.0/0"]
    azure_only = _sql([("0.0.0.0", "0.0.0.0")])
    assert azure_only["public"] is False and azure_only["allow_azure_services"] is True
    assert _sql([("10.0.0.0", "10.0.255.255")])["public"] is False
    assert _sql([("0.0.0.0", "255.255.255.255")], access="Disabled")["public"] is False
    unknown = _sql(None)
    assert unknown["public"] is None and "public" in unknown["unknown"]


def _account(props: dict, containers: list[str] | None) -> dict:
    account = {"id": ACCT, "name": "a", "properties": props}
    docs = None
    if containers is not None:
        docs = [{"name": c, "properties": {"publicAccess": c}} for c in containers]
    part = transform_storage({"accounts": [account], "containers": {ACCT.lower(): docs}})
    return dict(part.nodes[0].props)


def test_storage_public_needs_account_switch_container_and_network() -> None:
    open_net = {"allowBlobPublicAccess": True, "networkAcls": {"defaultAction": "Allow"}}
    assert _account(open_net, ["Blob"])["public"] is True
    assert _account(open_net, ["None"])["public"] is False
    assert _account({**open_net, "allowBlobPublicAccess": False}, ["Container"])["public"] is False
    closed = {**open_net, "networkAcls": {"defaultAction": "Deny", "ipRules": []}}
    assert _account(closed, ["Blob"])["public"] is False
    # an older account without the switch honours its containers
    legacy = {"networkAcls": {"defaultAction": "Allow"}}
    assert _account(legacy, ["Container"])["public"] is True
    assert _account(legacy, ["None"])["public"] is False
    unknown = _account(open_net, None)
    assert unknown["public"] is None and "public" in unknown["unknown"]
    # shared keys are allowed unless explicitly turned off
    assert _account(open_net, [])["allow_shared_key_access"] is True
    assert (
        _account({**open_net, "allowSharedKeyAccess": False}, [])["allow_shared_key_access"]
        is False
    )


def test_disk_export_posture() -> None:
    assert exportable({"networkAccessPolicy": "AllowAll", "diskState": "ActiveSAS"})["public"]
    assert not exportable({"networkAccessPolicy": "DenyAll", "diskState": "ActiveSAS"})["public"]
    assert not exportable({"networkAccessPolicy": "AllowAll", "diskState": "Attached"})["public"]
    closed = exportable({"networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Disabled"})
    assert closed["export_open"] is False


def test_vm_with_unreadable_nics_has_unknown_addresses() -> None:
    vms = load("compute/virtualMachines.json")["value"]
    part = transform_vms(
        {"vms": vms, "states": [], "user_data": {}, "nics": None, "public_ips": None}
    )
    web = next(n for n in part.nodes if n.name == "web-1")
    assert web.props["public_ips"] is None and "public_ips" in web.props["unknown"]
    assert not any(e.kind == "in_subnet" for e in part.edges)
    assert {e.kind for e in part.edges} == {"runs_as"}


def test_load_balancer_address_pools_and_nat_rules_reach_the_vm() -> None:
    from blastscope.providers.azure.load_balancers import transform_load_balancers

    lb_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
    nic = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n"
    vm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v"
    cfg = f"{nic}/ipConfigurations/ipconfig1"
    lb = {
        "id": lb_id,
        "name": "lb",
        "properties": {
            "frontendIPConfigurations": [
                {
                    "id": f"{lb_id}/frontendIPConfigurations/f",
                    "properties": {
                        "privateIPAddress": "10.0.0.9",
                        "subnet": {"id": "/subscriptions/s/x/subnets/a"},
                    },
                }
            ],
            "backendAddressPools": [
                {
                    "id": f"{lb_id}/backendAddressPools/p",
                    "properties": {
                        "loadBalancerBackendAddresses": [
                            {
                                "name": "a",
                                "properties": {
                                    "networkInterfaceIPConfiguration": {"id": cfg.upper()}
                                },
                            }
                        ]
                    },
                }
            ],
            "loadBalancingRules": [
                {
                    "name": "r",
                    "properties": {
                        "protocol": "Tcp",
                        "frontendPort": 443,
                        "backendPort": 8443,
                        "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/p"},
                    },
                }
            ],
            "inboundNatRules": [
                {
                    "name": "ssh",
                    "properties": {
                        "protocol": "Tcp",
                        "frontendPort": 50022,
                        "backendPort": 22,
                        "backendIPConfiguration": {"id": cfg},
                    },
                }
            ],
        },
    }
    nics = [
        {
            "id": nic,
            "properties": {
                "virtualMachine": {"id": vm},
                "ipConfigurations": [{"id": cfg, "properties": {}}],
            },
        }
    ]
    part = transform_load_balancers({"load_balancers": [lb], "nics": nics, "public_ips": []})
    [node] = part.nodes
    assert node.props["public"] is False  # internal: no public frontend
    assert node.props["listeners"] == [
        {"port": 443, "protocol": "tcp"},
        {"port": 50022, "protocol": "tcp"},
    ]
    forwards = {(e.dst, e.props["port"]) for e in part.edges if e.kind == "forwards_to"}
    assert forwards == {(vm, 8443), (vm, 22)}


def test_expanded_public_ip_reference_is_read_without_the_listing() -> None:
    vm = load("compute/virtualMachines.json")["value"][0]
    nics = load("network/networkInterfaces.json")["value"]
    nic = json.loads(json.dumps(nics[0]))
    nic["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"] = {
        "id": "/subscriptions/s/pip",
        "properties": {"ipAddress": "52.1.2.3"},
    }
    part = transform_vms(
        {"vms": [vm], "states": [], "user_data": {}, "nics": [nic], "public_ips": []}
    )
    assert part.nodes[0].props["public_ips"] == ["52.1.2.3"]

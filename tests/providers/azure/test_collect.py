"""The collector, end to end in-process: real azure-mgmt clients against the HTTPS ARM fake."""

from __future__ import annotations

import json

import pytest
from fakes.azure_arm import SUBSCRIPTION as SUB
from fakes.azure_arm import ArmFake, Fault

from blastscope.graph.errors import CloudError
from blastscope.graph.model import NodeKind, Snapshot
from blastscope.providers.azure.collector import AzureProvider
from blastscope.providers.base import CollectionAborted, Scope

RG = f"/subscriptions/{SUB}/resourceGroups"
WEB = f"{RG}/prod/providers/Microsoft.Compute/virtualMachines/web-1"
DB = f"{RG}/prod/providers/Microsoft.Compute/virtualMachines/db-1"
MI = f"{RG}/prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-mi"
WEB_SYS = f"{WEB}/providers/Microsoft.ManagedIdentity/identities/default"
WEB_NSG = f"{RG}/prod/providers/Microsoft.Network/networkSecurityGroups/web-nsg"
BACK_NSG = f"{RG}/prod/providers/Microsoft.Network/networkSecurityGroups/backend-nsg"
VNET = f"{RG}/prod/providers/Microsoft.Network/virtualNetworks/prod-vnet"


def edges(snap: Snapshot, kind: str) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in snap.edges if e.kind == kind}


def test_collects_the_estate(provider: AzureProvider, scope: Scope, arm: ArmFake) -> None:
    snap = provider.collect(scope)
    nodes = snap.node_index()
    assert snap.warnings == () and not snap.partial
    kinds = {k: sum(1 for n in snap.nodes if n.kind == k) for k in NodeKind}
    assert kinds[NodeKind.INSTANCE] == 3 and kinds[NodeKind.BUCKET] == 3
    assert kinds[NodeKind.LOAD_BALANCER] == 1 and kinds[NodeKind.DATABASE] == 1
    web = nodes[WEB].props
    assert web["public_ips"] == ["20.61.10.4"] and web["private_ips"] == ["10.0.1.4"]
    assert web["state"] == "running" and nodes[DB].props["public_ips"] == []
    # VM → identities: the system-assigned one and the user-assigned one, whose reference in
    # the VM spells `resourcegroups` — unified with the identity's own listing
    assert {(WEB, WEB_SYS), (WEB, MI)} <= edges(snap, "runs_as")
    assert nodes[MI].props["principal_id"] == "5b0c3a2e-1111-4c7e-9d3a-00000000a002"
    # NIC-level NSG on the VM, subnet-level NSG on the subnet
    assert (WEB, WEB_NSG) in edges(snap, "protected_by")
    assert (f"{VNET}/subnets/backend", BACK_NSG) in edges(snap, "protected_by")
    assert nodes[WEB_NSG].props["scope"] == "instance"
    assert nodes[BACK_NSG].props["scope"] == "subnet"
    # a UDR sending 0.0.0.0/0 to an appliance overrides the system route; no table → internet
    assert nodes[f"{VNET}/subnets/backend"].props["default_internet_route"] is False
    assert nodes[f"{VNET}/subnets/frontend"].props["default_internet_route"] is True
    lb = f"{RG}/prod/providers/Microsoft.Network/loadBalancers/web-lb"
    assert nodes[lb].props["public"] is True and nodes[lb].props["public_ips"] == ["20.61.10.9"]
    assert any(e.src == lb and e.dst == DB and e.props["port"] == 8080 for e in snap.edges)
    storage = (
        f"/subscriptions/{SUB}/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s"
    )
    assert nodes[storage % ("web", "publicassets")].props["public"] is True
    assert nodes[storage % ("web", "publicassets")].props["public_containers"] == ["assets"]
    assert nodes[storage % ("data", "proddata")].props["public"] is False
    assert nodes[storage % ("data", "proddata")].props["allow_shared_key_access"] is False
    sql = nodes[f"{RG}/data/providers/Microsoft.Sql/servers/prod-sql"].props
    assert sql["public"] is True and sql["authorized_networks"] == ["203.0.113.0/24"]
    assert sql["allow_azure_services"] is True and sql["databases"] == ["orders"]
    snapshot_node = nodes[f"{RG}/prod/providers/Microsoft.Compute/snapshots/db-1-backup"]
    assert snapshot_node.props["public"] is True  # live SAS on an AllowAll snapshot
    account = nodes[f"/subscriptions/{SUB}"]
    assert account.name == "Contoso Production"
    assert account.props["management_groups"] == [
        "/providers/Microsoft.Management/managementGroups/contoso-root"
    ]
    # documents: role definitions, assignments, deny assignments, vault access policies
    docs = snap.documents
    assert sum("/roleDefinitions/" in d for d in docs) == 13
    assert sum("/roleAssignments/" in d for d in docs) == 12
    assert sum("/denyAssignments/" in d for d in docs) == 1
    # a custom role defined at the management group, fetched by id
    keyreader = "/providers/Microsoft.Management/managementGroups/contoso-root/providers/"
    keyreader += "Microsoft.Authorization/roleDefinitions/7d2f6a0e-5c1b-4f7a-9e3d-6a1b2c3d4e5f"
    assert docs[keyreader]["roleName"] == "Contoso Storage Key Reader"
    assert keyreader in {r.path for r in arm.requests}
    assignment = next(v for k, v in docs.items() if k.endswith("000000000006"))
    assert assignment["condition"].startswith("((!(ActionMatches")


def test_nsg_rules_follow_the_model(provider: AzureProvider, scope: Scope) -> None:
    snap = provider.collect(scope)
    rules = snap.node_index()[WEB_NSG].props["rules"]
    ssh = next(r for r in rules if r["id"] == "allow-ssh")
    assert ssh["sources"] == [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]  # service tag Internet
    assert (ssh["from_port"], ssh["to_port"], ssh["priority"], ssh["action"]) == (
        22,
        22,
        100,
        "allow",
    )
    web = [r for r in rules if r["id"] == "allow-web"]
    assert {(r["from_port"], r["to_port"]) for r in web} == {(80, 80), (443, 443)}
    office = [r for r in rules if r["id"] == "allow-office-mgmt"]
    # protocol Any with a port range: TCP and UDP on those ports, ICMP (portless)
    assert {(r["protocol"], r["from_port"], r["to_port"]) for r in office} == {
        ("tcp", 8000, 8100),
        ("udp", 8000, 8100),
        ("icmp", None, None),
    }
    assert office[0]["sources"] == [{"cidr": "203.0.113.0/24"}, {"cidr": "198.51.100.7/32"}]
    defaults = {(r["id"], r["priority"], r["direction"]) for r in rules if r["priority"] >= 65000}
    assert defaults == {
        ("AllowVnetInBound", 65000, "ingress"),
        ("AllowAzureLoadBalancerInBound", 65001, "ingress"),
        ("DenyAllInBound", 65500, "ingress"),
        ("AllowVnetOutBound", 65000, "egress"),
        ("AllowInternetOutBound", 65001, "egress"),
        ("DenyAllOutBound", 65500, "egress"),
    }
    vnet_rule = next(r for r in rules if r["id"] == "AllowVnetInBound")
    assert vnet_rule["sources"] == [{"tag": "VirtualNetwork"}]
    ingress = [r["priority"] for r in rules if r["direction"] == "ingress"]
    assert ingress == sorted(ingress)


def test_every_request_is_a_read_and_lists_are_paged(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    provider.collect(scope)
    methods = {r.method for r in arm.requests}
    assert methods == {"GET"}
    paged = [r for r in arm.requests if "$skiptoken" in r.query]
    # role definitions (12 over pages of 2) alone need 5 follow-ups
    assert sum("roleDefinitions" in r.path for r in paged) == 5
    assert all(r.authorization == "Bearer fake-arm-token" for r in arm.requests)


def test_user_data_secret_is_a_finding_never_the_text(
    provider: AzureProvider, scope: Scope
) -> None:
    snap = provider.collect(scope)
    found = [n for n in snap.nodes if n.kind == NodeKind.SECRET and n.props.get("embedded")]
    assert "AWS Access Key" in {n.props["finding"]["type"] for n in found}
    assert {(WEB, n.id) for n in found} <= edges(snap, "contains")
    text = json.dumps(snap.to_dict())
    assert "AKIAIOSFODNN7EXAMPLQ" not in text and "wJalrXUtnFEMI" not in text
    assert "ZXhwb3J0IEFXU19BQ0NFU1NfS0VZX0lE" not in text  # nor its base64


def test_access_denied_on_one_service_is_a_warning(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.faults.append(
        Fault(r"/providers/Microsoft\.Storage/", 403, "AuthorizationFailed", "no storage read")
    )
    snap = provider.collect(scope)
    assert [(w.service, w.error) for w in snap.warnings] == [("storage", "AccessDenied")]
    assert "AuthorizationFailed" in snap.warnings[0].message
    assert not any(n.kind == NodeKind.BUCKET for n in snap.nodes)
    assert sum(n.kind == NodeKind.INSTANCE for n in snap.nodes) == 3  # the rest is there


def test_denied_sub_read_leaves_the_resource_unknown(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.faults.append(Fault(r"publicassets/blobServices", 403, "AuthorizationFailed"))
    snap = provider.collect(scope)
    node = next(n for n in snap.nodes if n.name == "publicassets")
    assert node.props["public"] is None and "public" in node.props["unknown"]
    assert snap.warnings[0].message.startswith("blob containers of publicassets")


def test_throttling_is_retried_then_succeeds(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.faults.append(
        Fault(
            r"/providers/Microsoft\.Network/loadBalancers$",
            429,
            "TooManyRequests",
            times=2,
            headers={"Retry-After": "0"},
        )
    )
    snap = provider.collect(scope)
    assert snap.warnings == ()
    assert sum(r.path.endswith("/loadBalancers") for r in arm.requests) == 3
    assert any(n.kind == NodeKind.LOAD_BALANCER for n in snap.nodes)


def test_persistent_throttling_gives_up_with_a_warning(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.faults.append(Fault(r"/Microsoft\.Sql/servers$", 429, "TooManyRequests"))
    snap = provider.collect(scope)
    assert [(w.service, w.error) for w in snap.warnings] == [("sql", "Throttling")]
    assert sum(r.path.endswith("/Microsoft.Sql/servers") for r in arm.requests) == 4  # 1 + 3


def test_rejected_credential_is_one_line(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.token_valid = False
    with pytest.raises(CloudError) as info:
        provider.collect(scope)
    assert "\n" not in info.value.message and "ExpiredAuthenticationToken" in info.value.message
    assert not isinstance(info.value, CollectionAborted)


def test_credential_expiring_mid_run_keeps_a_partial_snapshot(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.faults.append(
        Fault(r"/Microsoft\.Compute/disks$", 401, "ExpiredAuthenticationToken", "token expired")
    )
    with pytest.raises(CollectionAborted) as info:
        provider.collect(scope)
    assert info.value.snapshot.partial
    assert "ExpiredAuthenticationToken" in info.value.message
    assert any(n.kind == NodeKind.ACCOUNT for n in info.value.snapshot.nodes)


def test_unreachable_endpoint_is_a_cloud_error(provider: AzureProvider) -> None:
    with pytest.raises(CloudError, match="cannot reach"):
        provider.collect(Scope(endpoint="https://127.0.0.1:9"))


def test_one_subscription_by_id(provider: AzureProvider, arm: ArmFake) -> None:
    snap = provider.collect(Scope(endpoint=arm.base_url, subscription=SUB))
    assert snap.scope["subscriptions"] == [SUB]
    assert f"/subscriptions/{SUB}" in {r.path for r in arm.requests}
    assert "/subscriptions" not in {r.path for r in arm.requests}


def test_write_requests_are_refused_before_leaving(provider: AzureProvider, arm: ArmFake) -> None:
    from blastscope.providers.azure.clients import Clients
    from blastscope.providers.azure.errors import WriteRefused

    clients = Clients(provider.credential_factory(Scope()), SUB, arm.base_url)
    with pytest.raises(WriteRefused):
        clients.storage.storage_accounts.list_keys("data", "proddata")
    assert not any(r.method != "GET" for r in arm.requests)


def test_hanging_endpoint_times_out_into_a_warning(arm: ArmFake, credential) -> None:
    from blastscope.providers.azure import SERVICES

    provider = AzureProvider(
        services=SERVICES,
        credential_factory=lambda scope: credential,
        client_options={
            "read_timeout": 0.3,
            "retry_total": 1,
            "retry_backoff_factor": 0.01,
        },
    )
    arm.faults.append(Fault(r"/Microsoft\.KeyVault/vaults$", 0, "", delay=1.0))
    snap = provider.collect(Scope(endpoint=arm.base_url))
    assert [(w.service, w.error) for w in snap.warnings] == [("keyvault", "Timeout")]
    assert any(n.kind == NodeKind.BUCKET for n in snap.nodes)


def test_looping_next_link_stops_with_a_warning(
    provider: AzureProvider, scope: Scope, arm: ArmFake
) -> None:
    arm.faults.append(Fault(r"/Microsoft\.Compute/snapshots$", 0, "", loop=True))
    snap = provider.collect(scope)
    assert [(w.service, w.error) for w in snap.warnings] == [("disks", "PaginationLoop")]
    assert "snapshots" in snap.warnings[0].message
    assert sum(r.path.endswith("/snapshots") for r in arm.requests) == 2


def test_an_empty_subscription_is_empty_not_an_error(
    provider: AzureProvider, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes.azure_arm import ArmFake as Fake

    from blastscope.graph.model import load_snapshot, save_snapshot

    fake = Fake("empty").start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)
    monkeypatch.setenv("SSL_CERT_FILE", fake.ca_path)
    try:
        snap = provider.collect(Scope(endpoint=fake.base_url))
    finally:
        fake.stop()
    assert snap.warnings == () and not snap.partial
    assert sorted(str(n.kind) for n in snap.nodes) == ["account", "internet"]
    assert sum("/roleDefinitions/" in d for d in snap.documents) == 12
    save_snapshot(snap, tmp_path / "s.json")
    assert load_snapshot(tmp_path / "s.json").nodes == snap.nodes


def test_cancel_stops_and_keeps_what_was_read(provider: AzureProvider, scope: Scope) -> None:
    import threading

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CollectionAborted, match="cancelled") as info:
        provider.collect(scope, cancel=cancel)
    assert info.value.snapshot.partial

"""`blastscope collect azure --endpoint …` as a user runs it: a subprocess whose unmodified
DefaultAzureCredential gets its token from the fake's managed-identity endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.azure_arm import SUBSCRIPTION, ArmFake, Fault

from blastscope.graph.build import build_graph
from blastscope.graph.model import load_snapshot
from blastscope.tui.cli import main

WEB = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod/providers/Microsoft.Compute/"
    "virtualMachines/web-1"
)
WEB_IDENTITY = f"{WEB}/providers/Microsoft.ManagedIdentity/identities/default"
PRODDATA = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/data/providers/Microsoft.Storage/"
    "storageAccounts/proddata"
)


def _cli(arm: ArmFake, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = arm.env(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "blastscope", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _in_process(arm: ArmFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The same command in this process (imports paid once): the environment is the same."""
    for key in list(os.environ):
        if key.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_")):
            monkeypatch.delenv(key)
    for key, value in arm.env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return main(list(args))


@pytest.fixture
def arm() -> ArmFake:
    fake = ArmFake().start()
    yield fake
    fake.stop()


def test_collect_writes_a_snapshot_with_the_exposed_vm_path(
    arm: ArmFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap.json"
    run = _cli(arm, tmp_path, "collect", "azure", "--endpoint", arm.base_url, "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert "wrote snapshot" in run.stderr
    # DefaultAzureCredential went to the managed-identity endpoint, then ARM with its token
    assert any(r.path == "/msi/token" for r in arm.requests)
    assert {r.method for r in arm.requests} == {"GET"}
    snap = load_snapshot(out)
    G = build_graph(snap)
    assert G.nodes[WEB]["props"]["public_ips"] == ["20.61.10.4"]
    # exposed VM → its managed identity → Storage Blob Data Reader on the storage account
    assert any(d["kind"] == "runs_as" for d in G.get_edge_data(WEB, WEB_IDENTITY).values())
    access = [d for d in G.get_edge_data(WEB_IDENTITY, PRODDATA).values()]
    assert [d["kind"] for d in access] == ["can_access"]
    assert access[0]["props"]["level"] == "read"
    assert "Storage Blob Data Reader" in access[0]["props"]["reason"]
    text = out.read_text()
    assert "fake-arm-token" not in text and "AKIAIOSFODNN7EXAMPLQ" not in text

    # the "done when": `paths --from <vm>` shows the path and `exposed` lists the VM
    assert main(["paths", str(out), "--from", WEB, "--format", "json"]) == 0
    paths = json.loads(capsys.readouterr().out)
    to_data = [p for p in paths["paths"] if p["target"] == PRODDATA]
    assert [(h["kind"], h["dst"]) for h in to_data[0]["hops"]] == [
        ("runs_as", WEB_IDENTITY),
        ("can_access", PRODDATA),
    ]
    assert main(["exposed", str(out), "--format", "json"]) == 0
    exposed = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert [22, 22] in exposed[WEB]["ports"]
    assert [3389, 3389] not in exposed[WEB]["ports"]  # deny-rdp at priority 120


def test_collect_with_a_denied_service_saves_the_rest_and_exits_incomplete(
    arm: ArmFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arm.faults.append(Fault(r"/Microsoft\.KeyVault/", 403, "AuthorizationFailed"))
    out = tmp_path / "snap.json"
    args = ("collect", "azure", "--endpoint", arm.base_url, "-o", str(out), "-q")
    assert _in_process(arm, tmp_path, monkeypatch, *args) == 4
    err = capsys.readouterr().err
    assert "keyvault" in err and "AccessDenied" in err
    data = json.loads(out.read_text())
    assert [w["service"] for w in data["warnings"]] == ["keyvault"]
    assert any(r.path == "/msi/token" for r in arm.requests)


def test_persistent_throttling_finishes_the_run_and_exits_incomplete(
    arm: ArmFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arm.faults.append(
        Fault(r"/Microsoft\.Sql/servers$", 429, "TooManyRequests", headers={"Retry-After": "0"})
    )
    out = tmp_path / "snap.json"
    args = ("collect", "azure", "--endpoint", arm.base_url, "-o", str(out), "-q")
    assert _in_process(arm, tmp_path, monkeypatch, *args) == 4
    data = json.loads(out.read_text())
    assert [(w["service"], w["error"]) for w in data["warnings"]] == [("sql", "Throttling")]
    assert any(n["kind"] == "instance" for n in data["nodes"])  # the rest was read


def test_rejected_credential_exits_3_with_one_line(
    arm: ArmFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arm.token_valid = False
    out = tmp_path / "snap.json"
    args = ("collect", "azure", "--endpoint", arm.base_url, "-o", str(out))
    assert _in_process(arm, tmp_path, monkeypatch, *args) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("blastscope: ")
    assert "ExpiredAuthenticationToken" in err and not out.exists()


def test_plain_http_to_a_remote_host_is_refused(
    arm: ArmFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a bearer token must never cross a network unencrypted
    args = ("collect", "azure", "--endpoint", "http://192.0.2.7", "-o", str(tmp_path / "s.json"))
    assert _in_process(arm, tmp_path, monkeypatch, *args) == 3
    assert "https://" in capsys.readouterr().err
    assert not arm.requests


def test_plain_http_to_a_local_test_server_collects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = ArmFake().start(plain=True)
    try:
        out = tmp_path / "snap.json"
        args = ("collect", "azure", "--endpoint", arm.base_url, "-o", str(out), "-q")
        assert arm.base_url.startswith("http://127.0.0.1:")
        assert _in_process(arm, tmp_path, monkeypatch, *args) == 0, capsys.readouterr().err
    finally:
        arm.stop()
    assert all(
        r.authorization == "Bearer fake-arm-token" for r in arm.requests if r.path != "/msi/token"
    )
    assert main(["paths", str(out), "--from", WEB, "--to", PRODDATA, "--format", "json"]) == 0
    hops = json.loads(capsys.readouterr().out)["paths"][0]["hops"]
    assert [h["dst"] for h in hops] == [WEB_IDENTITY, PRODDATA]
    assert main(["exposed", str(out), "--format", "json"]) == 0
    assert WEB in {e["id"] for e in json.loads(capsys.readouterr().out)}

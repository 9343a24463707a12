"""Faults against the fake: credentials rejected before or during the run, a hanging API,
a looping page token, project discovery, and a saved connection's key."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes.gcp_estate import service_account_key

from blastscope.graph.errors import CloudError
from blastscope.graph.model import load_snapshot
from blastscope.providers.base import CollectionAborted, Scope
from blastscope.providers.gcp import GcpProvider
from blastscope.providers.gcp.collector import discover_projects
from blastscope.providers.gcp.session import GcpSession
from blastscope.tui.cli import main


def _args(fake, out: Path) -> list[str]:
    return [
        "collect",
        "gcp",
        "--project",
        "acme-prod",
        "--endpoint",
        fake.url,
        "-o",
        str(out),
        "-q",
    ]


def test_rejected_credentials_are_one_line_exit_3(fake, gcp_env, tmp_path, capsys):
    fake.fail("/v3/projects/acme-prod", 401, times=10, message="invalid authentication credentials")
    assert main(_args(fake, tmp_path / "s.json")) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "credentials rejected" in err
    assert not (tmp_path / "s.json").exists()


def test_no_credentials_is_one_line_exit_3(gcp_env, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["collect", "gcp", "--project", "acme-prod", "-o", str(tmp_path / "s.json")]) == 3
    assert capsys.readouterr().err.startswith("blastscope: no GCP credentials")


def test_credentials_expiring_mid_run_keep_a_partial_snapshot(fake, gcp_env, tmp_path, capsys):
    fake.fail("/v1/projects/acme-prod/secrets", 401, times=50, message="token expired")
    out = tmp_path / "s.json"
    assert main(_args(fake, out)) == 3
    assert "partial snapshot kept" in capsys.readouterr().err
    snap = load_snapshot(out)
    assert snap.partial
    assert any(n.kind == "account" for n in snap.nodes)  # what was read before is kept


def test_hanging_api_times_out_as_a_warning(fake, gcp_env):
    release = threading.Event()
    original = fake.answer

    def slow(method, raw_path, authorized):
        if "/v1/projects/acme-prod/instances" in raw_path:
            release.wait(10)
        return original(method, raw_path, authorized)

    fake.answer = slow  # type: ignore[method-assign]
    try:
        start = time.monotonic()
        snap = GcpProvider(timeout=1.0).collect(Scope(project="acme-prod", endpoint=fake.url))
        assert time.monotonic() - start < 9
    finally:
        release.set()
        fake.answer = original  # type: ignore[method-assign]
    warned = {(w.service, w.error) for w in snap.warnings}
    assert ("cloudsql", "Timeout") in warned
    assert not any(n.kind == "database" for n in snap.nodes)
    assert any(n.kind == "instance" for n in snap.nodes)
    assert any(n.props.get("level") == "organization" for n in snap.nodes)  # ancestry still read


def test_looping_page_token_stops_with_a_warning(fake, gcp_env, tmp_path):
    # A server that answers page 2 with a token it already gave.
    page = json.loads(
        (Path(__file__).parents[2] / "data/gcp/compute/firewalls.page2.json").read_text()
    )
    original = fake.answer

    def looping(method, raw_path, authorized):
        status, body = original(method, raw_path, authorized)
        if "/global/firewalls" in raw_path and "pageToken=page2" in raw_path:
            body = {**page, "nextPageToken": "page2"}
        return status, body

    fake.answer = looping  # type: ignore[method-assign]
    try:
        snap = GcpProvider().collect(Scope(project="acme-prod", endpoint=fake.url))
    finally:
        fake.answer = original  # type: ignore[method-assign]
    assert any(w.service == "compute-network" and "twice" in w.message for w in snap.warnings)


def test_all_visible_projects_are_found_across_pages(fake, gcp_env):
    from google.auth import default

    creds, _ = default()
    projects, warnings = discover_projects(GcpSession(creds, endpoint=fake.url), None, None)
    assert [p["projectId"] for p in projects] == ["acme-prod", "acme-sandbox"]
    assert warnings == []


def test_saved_connection_key_is_used(fake, gcp_env, monkeypatch):
    import blastscope.providers.credentials as credentials

    key = json.dumps(service_account_key(fake.url + "/token"))
    conn = SimpleNamespace(
        cloud="gcp", name="prod", fields={"project": "acme-prod"}, secret=lambda: key
    )
    monkeypatch.setattr(credentials, "get_connection", lambda name: conn)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    snap = GcpProvider().collect(Scope(connection="prod", endpoint=fake.url))
    assert snap.scope["projects"] == ["acme-prod"]
    assert any(n.kind == "bucket" for n in snap.nodes)
    assert key not in json.dumps(snap.to_dict())


def test_a_connection_for_another_cloud_is_refused(monkeypatch):
    import blastscope.providers.credentials as credentials

    conn = SimpleNamespace(cloud="aws", name="x", fields={}, secret=lambda: None)
    monkeypatch.setattr(credentials, "get_connection", lambda name: conn)
    with pytest.raises(Exception, match="not gcp"):
        GcpProvider().collect(Scope(connection="x"))


def test_collection_aborted_carries_what_was_read(fake, gcp_env):
    fake.fail("/storage/v1/b", 401, times=50, message="expired")
    with pytest.raises(CollectionAborted) as info:
        GcpProvider().collect(Scope(project="acme-prod", endpoint=fake.url))
    assert isinstance(info.value, CloudError) and info.value.snapshot.partial


def test_unlistable_projects_fall_back_to_the_credentials_project(fake, gcp_env):
    fake.fail("/v3/projects:search", 403, times=5, message="resourcemanager.projects.list denied")
    snap = GcpProvider().collect(Scope(endpoint=fake.url))
    assert snap.scope["projects"] == ["acme-prod"]  # the key file's project_id
    assert ("resourcemanager", "PermissionDenied") in {(w.service, w.error) for w in snap.warnings}
    assert any(n.kind == "instance" for n in snap.nodes)
    assert any(n.props.get("level") == "organization" for n in snap.nodes)  # ancestry still read

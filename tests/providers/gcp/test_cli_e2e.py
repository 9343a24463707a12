"""``blastscope collect gcp`` in a subprocess against the fake, then ``paths`` and ``exposed``:
an exposed instance whose service account reads a bucket shows that path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from blastscope.tui.cli import main

WEB = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/web-1"
DATA = "//storage.googleapis.com/projects/_/buckets/acme-data"
WEB_SA = (
    "//iam.googleapis.com/projects/acme-prod/serviceAccounts/"
    + "web-sa@acme-prod.iam.gserviceaccount.com"
)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from blastscope.tui.cli import main; raise SystemExit(main())",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_collect_then_paths_and_exposed(fake, gcp_env, tmp_path: Path, capsys):
    out = tmp_path / "s.json"
    run = _cli(gcp_env, "collect", "gcp", "--project", "acme-prod", "--endpoint", fake.url,
               "-o", str(out), "-q")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "PLANTED" not in out.read_text() and "PLANTED" not in run.stderr
    # The snapshot file is the contract: read it back in-process (one interpreter start is
    # enough to prove the console path).
    assert main(["paths", str(out), "--from", WEB, "--to", DATA, "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    hops = [(h["src"], h["kind"], h["dst"]) for h in found["paths"][0]["hops"]]
    assert hops == [(WEB, "runs_as", WEB_SA), (WEB_SA, "can_access", DATA)]
    assert main(["exposed", str(out), "--format", "json"]) == 0
    listed = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert WEB in listed
    assert sorted(map(tuple, listed[WEB]["ports"])) >= [(22, 22), (80, 80), (443, 443)]
    # batch-1 has no external IP: not exposed.
    assert not any("batch-1" in i for i in listed)


def test_plain_http_test_server(tmp_path: Path, monkeypatch, capsys):
    # the "done when" drives the collector at http://127.0.0.1:PORT
    from fakes.gcp_estate import ROUTES, isolated_env, write_key
    from fakes.gcp_server import serve

    with serve(dict(ROUTES), plain=True) as plain:
        assert plain.url.startswith("http://127.0.0.1:")
        key = write_key(tmp_path / "sa-key.json", plain.url + "/token")
        env = isolated_env(dict(os.environ), key_file=key, ca_file=plain.ca_file, home=tmp_path)
        for name in list(os.environ):
            if name.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = tmp_path / "s.json"
        args = ["collect", "gcp", "--project", "acme-prod", "--endpoint", plain.url, "-o", str(out)]
        assert main([*args, "-q"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["paths", str(out), "--from", WEB, "--to", DATA, "--format", "json"]) == 0
    hops = json.loads(capsys.readouterr().out)["paths"][0]["hops"]
    assert [h["dst"] for h in hops] == [WEB_SA, DATA]
    assert main(["exposed", str(out), "--format", "json"]) == 0
    assert WEB in {e["id"] for e in json.loads(capsys.readouterr().out)}

"""``blastscope collect gcp`` in a subprocess against the fake, then ``paths`` and ``exposed``:
an exposed instance whose service account reads a bucket shows that path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_collect_then_paths_and_exposed(fake, gcp_env, tmp_path: Path):
    out = tmp_path / "s.json"
    run = _cli(gcp_env, "collect", "gcp", "--project", "acme-prod", "--endpoint", fake.url,
               "-o", str(out), "-q")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "PLANTED" not in out.read_text() and "PLANTED" not in run.stderr
    paths = _cli(gcp_env, "paths", str(out), "--from", WEB, "--to", DATA, "--format", "json")
    assert paths.returncode == 0, paths.stderr
    found = json.loads(paths.stdout)
    hops = [(h["src"], h["kind"], h["dst"]) for h in found["paths"][0]["hops"]]
    assert hops == [(WEB, "runs_as", WEB_SA), (WEB_SA, "can_access", DATA)]
    exposed = _cli(gcp_env, "exposed", str(out), "--format", "json")
    assert exposed.returncode == 0, exposed.stderr
    listed = {e["id"]: e for e in json.loads(exposed.stdout)}
    assert WEB in listed
    assert sorted(map(tuple, listed[WEB]["ports"])) >= [(22, 22), (80, 80), (443, 443)]
    # batch-1 has no external IP: not exposed.
    assert not any("batch-1" in i for i in listed)


def test_rejected_credentials_are_one_line_exit_3(fake, gcp_env, tmp_path: Path):
    fake.fail("/v3/projects/acme-prod", 401, times=10, message="invalid authentication credentials")
    run = _cli(gcp_env, "collect", "gcp", "--project", "acme-prod", "--endpoint", fake.url,
               "-o", str(tmp_path / "s.json"), "-q")  # fmt: skip
    assert run.returncode == 3
    assert run.stderr.count("\n") == 1 and "credentials rejected" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "s.json").exists()


def test_no_credentials_is_one_line_exit_3(gcp_env, tmp_path: Path):
    env = {k: v for k, v in gcp_env.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    env["HOME"] = str(tmp_path)
    run = _cli(env, "collect", "gcp", "--project", "acme-prod", "-o", str(tmp_path / "s.json"))
    assert run.returncode == 3, run.stderr
    assert run.stderr.startswith("blastscope: no GCP credentials") and "Traceback" not in run.stderr

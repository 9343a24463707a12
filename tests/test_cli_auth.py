"""``blastscope auth``: secrets prompted or read from files, never printed, never in config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.memory_keyring import MemoryKeyring

from blastscope.tui.cli import main

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0b6a3b7e-1c0d-4f6e-9d7a-5c1f8e2a4b90"
SECRET = "Qx8~Zr3.vT_clisecret-77aa"


def test_add_azure_prompts_and_never_prints_the_secret(
    ring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return SECRET

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    assert main(["auth", "add", "azure", "corp", "--tenant", TENANT, "--client-id", CLIENT]) == 0
    assert prompts == ["client secret for corp: "]
    assert main(["auth", "list"]) == 0
    assert main(["auth", "list", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    assert f"corp  azure  client_id={CLIENT}" in out.out
    listed = json.loads(out.out[out.out.index("[") :])
    assert listed == [
        {
            "name": "corp",
            "cloud": "azure",
            "fields": {"client_id": CLIENT, "secret_kind": "client_secret", "tenant_id": TENANT},
        }
    ]
    assert ring.store[("blastscope", "azure/corp")] == SECRET
    assert SECRET not in (tmp_path / "config" / "connections.json").read_text()


def test_gcp_key_file_is_not_needed_afterwards(
    ring: MemoryKeyring, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-prod-1",
                "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
                "client_email": "ro@acme-prod-1.iam.gserviceaccount.com",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    assert main(["auth", "add", "gcp", "acme", "--key-file", str(key)]) == 0
    key.unlink()
    from blastscope.providers.credentials import get_connection

    conn = get_connection("acme")
    assert json.loads(conn.secret() or "")["client_email"].startswith("ro@")
    config = (tmp_path / "config" / "connections.json").read_text()
    assert "key.json" not in config and "PRIVATE KEY" not in config
    assert "MIIE" not in capsys.readouterr().err


def test_remove_and_errors_are_one_line(
    ring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["auth", "add", "aws", "prod", "--profile", "audit"]) == 0
    assert main(["auth", "remove", "prod"]) == 0
    capsys.readouterr()
    assert main(["auth", "remove", "prod"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no saved connection 'prod'" in err
    assert main(["auth", "add", "aws", "x", "--role-arn", "nope"]) == 2
    assert main(["auth", "list"]) == 0
    assert "no saved connections" in capsys.readouterr().out


def test_secret_is_never_a_command_line_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "auth",
                "add",
                "azure",
                "x",
                "--tenant",
                TENANT,
                "--client-id",
                CLIENT,
                "--secret",
                SECRET,
            ]
        )
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def _env(tmp_path: Path, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_KEYRING", "XDG_"))}
    env.update(
        PYTHON_KEYRING_BACKEND=backend,
        BLASTSCOPE_CONFIG_DIR=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    return env


def test_headless_file_backend_end_to_end(tmp_path: Path) -> None:
    env = _env(tmp_path, "keyrings.alt.file.PlaintextKeyring")
    add = [
        sys.executable,
        "-m",
        "blastscope",
        "auth",
        "add",
        "azure",
        "ci",
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT,
        "--secret-file",
        "-",
    ]
    proc = subprocess.run(add, input=SECRET, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "blastscope", "auth", "list"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "ci" in listing.stdout and SECRET not in listing.stdout + listing.stderr
    stored = list((tmp_path / "data").rglob("keyring_pass.cfg"))
    assert len(stored) == 1, "the secret went to the file keyring named by the environment"


def test_no_backend_exits_3_with_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path, "keyring.backends.fail.Keyring")
    add = [
        sys.executable,
        "-m",
        "blastscope",
        "auth",
        "add",
        "azure",
        "ci",
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT,
        "--secret-file",
        "-",
    ]
    proc = subprocess.run(add, input=SECRET, env=env, capture_output=True, text=True)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "no OS keyring backend" in proc.stderr
    assert "Traceback" not in proc.stderr and SECRET not in proc.stderr

"""The rotation Lambda's zip: reproducible bytes, a layout whose handler imports from the zip alone,
and `infra package lambdas` through the real CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deployment_infra.lambdas import package
from tests.conftest import copy_project, run_infra
from tests.rotation.conftest import MASTER, Postgres
from tests.rotation.resp_server import Certificates, RespServer


def test_building_twice_gives_the_same_bytes_and_leaves_the_file_alone(tmp_path: Path) -> None:
    first = package.build(tmp_path / "a")
    stat = first.stat()
    again = package.build(tmp_path / "a")
    assert again == first == tmp_path / "a" / "rotate_postgres.zip"
    assert (again.stat().st_mtime_ns, again.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)  # not rewritten
    elsewhere = package.build(tmp_path / "b")
    assert elsewhere.read_bytes() == first.read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["rotate_postgres.zip"]  # no temp file left


def test_a_changed_zip_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "rotate_postgres.zip"
    path.write_bytes(b"stale")
    assert package.build(tmp_path).read_bytes() == package.zip_bytes(package.collect())


def test_zip_layout(tmp_path: Path) -> None:
    with zipfile.ZipFile(package.build(tmp_path)) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert zf.testzip() is None
    assert names == sorted(names)
    for info in infos:
        assert info.date_time == package.ZIP_DATE
        assert info.external_attr == package.ZIP_MODE
        assert info.compress_type == zipfile.ZIP_DEFLATED
    for source in package.SOURCES:
        assert f"deployment_infra/{source}" in names
    ours = [n.removeprefix("deployment_infra/") for n in names if n.startswith("deployment_infra/")]
    assert sorted(ours) == sorted(package.SOURCES)  # only what the handlers import, not package.py
    for handler in package.HANDLERS:
        assert handler.rpartition(".")[0].replace(".", "/") + ".py" in names
    for module in (
        "pg8000/native.py",
        "scramp/core.py",
        "asn1crypto/core.py",
        "dateutil/parser/_parser.py",
        "six.py",
    ):
        assert module in names
    licenses = [n for n in names if ".dist-info/" in n and "LICEN" in n.upper()]
    assert {n.split("-")[0] for n in licenses} == {"pg8000", "scramp", "asn1crypto", "python_dateutil", "six"}
    assert not [n for n in names if n.endswith((".pyc", "RECORD", "INSTALLER")) or "__pycache__" in n]
    assert not [n for n in names if n.startswith("boto")]  # the Lambda runtime has boto3


def test_the_handler_imports_from_the_zip_alone(tmp_path: Path, postgres: Postgres) -> None:
    """Extract the zip and import the handler with only the zip (and the standard library) on sys.path,
    then log in to PostgreSQL through the zip's pg8000 and scramp."""
    root = tmp_path / "lambda"
    with zipfile.ZipFile(package.build(tmp_path / "out")) as zf:
        zf.extractall(root)
    module, _, attr = package.HANDLER.rpartition(".")
    code = f"""
import importlib, json, sys
sys.path.insert(0, {str(root)!r})
mod = importlib.import_module({module!r})
handler = getattr(mod, {attr!r})
import pg8000, scramp, deployment_infra
con = mod.connect(mod.Database("127.0.0.1", {postgres.port}, "postgres", "disable"),
                  {MASTER!r}, {postgres.passwords[MASTER]!r})
print(json.dumps({{
    "callable": callable(handler),
    "files": [m.__file__ for m in (mod, pg8000, scramp, deployment_infra)],
    "select": con.run("SELECT 1"),
    "boto3_loaded": "boto3" in sys.modules,
}}))
"""
    # -I: no environment or user site; -S: no site-packages, so no editable install of the project
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["callable"] is True
    assert all(f.startswith(str(root)) for f in found["files"]), found["files"]
    assert found["select"] == [[1]]
    assert found["boto3_loaded"] is False


def test_the_redis_handler_imports_from_the_zip_alone(
    tmp_path: Path, resp_server: RespServer, tls_certificates: Certificates
) -> None:
    """The cache-token handler from the extracted zip: standard library only (no pg8000, no boto3
    until a step runs), and its AUTH check talks verified TLS to a RESP server."""
    root = tmp_path / "lambda"
    with zipfile.ZipFile(package.build(tmp_path / "out")) as zf:
        zf.extractall(root)
    token = "t0ken-for-the-zip-check-0123456789"
    resp_server.set_tokens([token])
    module, _, attr = package.REDIS_AUTH_HANDLER.rpartition(".")
    code = f"""
import importlib, json, sys
sys.path.insert(0, {str(root)!r})
mod = importlib.import_module({module!r})
handler = getattr(mod, {attr!r})
import deployment_infra
replies = mod.exchange(mod.Endpoint("localhost", {resp_server.port}), {token!r})
print(json.dumps({{
    "callable": callable(handler),
    "files": [m.__file__ for m in (mod, sys.modules["deployment_infra.lambdas.common"], deployment_infra)],
    "replies": [replies.unauthenticated_ping, replies.auth, replies.ping],
    "loaded": sorted(m for m in ("pg8000", "boto3", "botocore") if m in sys.modules),
}}))
"""
    # -I -S as above; $SSL_CERT_FILE (read by OpenSSL, not Python) makes the default store trust the CA
    env = {"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(tls_certificates.ca)}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["callable"] is True
    assert all(f.startswith(str(root)) for f in found["files"]), found["files"]
    assert found["replies"] == ["-NOAUTH Authentication required.", "+OK", "+PONG"]
    assert found["loaded"] == []


def test_cli_package_lambdas_json(tmp_path: Path) -> None:
    proj = copy_project(tmp_path / "proj")
    result = run_infra(proj, "package", "lambdas", "--json")
    assert result.returncode == 0, result.stderr
    [built] = json.loads(result.stdout)["lambdas"]
    path = proj / ".infra" / "lambdas" / "rotate_postgres.zip"
    assert built["name"] == "rotate_postgres"
    assert built["path"] == str(path)
    assert built["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert built["bytes"] == path.stat().st_size
    text = run_infra(proj, "package", "lambdas", "--out", str(tmp_path / "dist"))
    assert text.returncode == 0, text.stderr
    assert built["sha256"] in text.stdout and str(tmp_path / "dist" / "rotate_postgres.zip") in text.stdout
    assert package.HANDLER in text.stderr


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_cli_bad_out_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    proj = copy_project(tmp_path / "proj")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "sub"
    result = run_infra(proj, "package", "lambdas", "--out", str(out))
    assert result.returncode == 2, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --out"), result.stderr
    assert "Traceback" not in result.stderr
    assert blocker.read_text() == "x"


def test_the_alarm_forwarder_imports_from_the_zip_alone(tmp_path: Path) -> None:
    """The forwarder from the extracted zip: standard library only (boto3 is imported only to read a
    secret), and its urllib POST reaches an HTTP server."""
    root = tmp_path / "lambda"
    with zipfile.ZipFile(package.build(tmp_path / "out")) as zf:
        zf.extractall(root)
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(202)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    module, _, attr = package.NOTIFY_ALARM_HANDLER.rpartition(".")
    message = json.dumps({"AlarmName": "a", "AlarmDescription": "[page] d", "NewStateValue": "ALARM"})
    record = {"Sns": {"TopicArn": "arn:aws:sns:af-south-1:123456789012:t", "Message": message}}
    code = f"""
import importlib, json, sys
sys.path.insert(0, {str(root)!r})
mod = importlib.import_module({module!r})
handler = getattr(mod, {attr!r})
alarm = mod.parse_record({record!r})
url = "http://127.0.0.1:{server.server_address[1]}/v2/enqueue"
status = mod.post_json(url, mod.pagerduty_event(alarm, "k"))
print(json.dumps({{
    "callable": callable(handler),
    "file": mod.__file__,
    "status": status,
    "loaded": sorted(m for m in ("boto3", "botocore", "pg8000") if m in sys.modules),
}}))
"""
    try:
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["callable"] is True
    assert found["file"].startswith(str(root))
    assert found["status"] == 202
    assert found["loaded"] == []
    [event] = received
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "arn:aws:cloudwatch:af-south-1:123456789012:alarm:a"

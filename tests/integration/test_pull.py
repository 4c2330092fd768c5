"""`influence pull` against real servers on loopback: an HTTP server and moto's S3 server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from influence.cli import app
from influence.config import PullSettings, SourceSettings
from influence.io import sources

EXPORT = b"".join(b"u%d u%d %d RT\n" % (i, i + 1, 1_780_000_000 + i) for i in range(5000))


class Exports(ThreadingHTTPServer):
    """Serves ``files`` under /exports/ with an index page; ``breaks[name]`` answers that many
    requests with the full Content-Length but only half the body, then drops the connection."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.breaks: dict[str, int] = {}
        self.requests: dict[str, int] = {}
        self.auth: str | None = None
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/exports/"


class _Handler(BaseHTTPRequestHandler):
    server: Exports

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.server.auth and self.headers.get("Authorization") != self.server.auth:
            self.send_error(401)
            return
        name = self.path.removeprefix("/exports/")
        if name == "":
            body = "".join(f'<a href="{n}">{n}</a>\n' for n in self.server.files)
            body += '<a href="../">up</a><a href="sub/">sub</a><a href="http://elsewhere/x.txt">x</a>'
            self._send(body.encode())
            return
        if name not in self.server.files:
            self.send_error(404)
            return
        self.server.requests[name] = self.server.requests.get(name, 0) + 1
        data = self.server.files[name]
        if self.server.breaks.get(name, 0) > 0:
            self.server.breaks[name] -= 1
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(data)

    def _send(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_exports():
    server = Exports()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _settings(*source_list: SourceSettings, landing: Path, attempts: int = 3) -> PullSettings:
    return PullSettings(landing=landing, sources=source_list, attempts=attempts, backoff_seconds=0.01,
                        timeout_seconds=10)


def _landed(landing: Path) -> dict[str, bytes]:
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in landing.rglob("*") if p.is_file()}


def test_http_folder_is_pulled_once_and_a_broken_transfer_is_retried(http_exports, tmp_path):
    http_exports.files = {"day1.txt": EXPORT, "day2.txt": EXPORT[:1000]}
    http_exports.breaks = {"day1.txt": 2}  # breaks twice midway, whole on the third try
    source = SourceSettings(name="partner", kind="http", url=http_exports.url)
    report = sources.pull(_settings(source, landing=tmp_path))
    assert report.failures == []
    assert {(f.name, f.status, f.attempts) for f in report.files} == {("day1.txt", "pulled", 3), ("day2.txt", "pulled", 1)}
    # Only the two linked files, whole; no parent, subfolder or other host was followed.
    assert _landed(tmp_path) == {"partner/day1.txt": EXPORT, "partner/day2.txt": EXPORT[:1000]}

    again = sources.pull(_settings(source, landing=tmp_path))
    assert {f.status for f in again.files} == {"already there"}
    assert http_exports.requests == {"day1.txt": 3, "day2.txt": 1}


def test_a_source_that_keeps_failing_midway_lands_nothing_of_that_file(http_exports, tmp_path):
    http_exports.files = {"good.txt": EXPORT[:500], "broken.txt": EXPORT}
    http_exports.breaks = {"broken.txt": 99}
    source = SourceSettings(name="partner", kind="http", url=http_exports.url)
    report = sources.pull(_settings(source, landing=tmp_path, attempts=3))
    assert len(report.failures) == 1 and "broken.txt" in report.failures[0]
    assert "after 3 attempts" in report.failures[0]
    assert http_exports.requests["broken.txt"] == 3
    # The good file landed whole; of the broken one nothing, not even its partial download.
    assert _landed(tmp_path) == {"partner/good.txt": EXPORT[:500]}


def test_http_credentials_come_from_an_airflow_connection(http_exports, tmp_path, monkeypatch):
    http_exports.files = {"one.txt": b"a b 1780000000\n"}
    http_exports.auth = "Basic dXNlcjpzZWNyZXQ="  # user:secret
    monkeypatch.setenv("AIRFLOW_CONN_PARTNER_HTTP", json.dumps({"conn_type": "http", "login": "user",
                                                                 "password": "secret"}))
    anonymous = SourceSettings(name="anon", kind="http", url=http_exports.url + "one.txt")
    report = sources.pull(_settings(anonymous, landing=tmp_path))
    assert "HTTP 401" in report.failures[0] and not report.files
    signed = SourceSettings(name="signed", kind="http", url=http_exports.url + "one.txt", conn_id="partner_http")
    report = sources.pull(_settings(signed, landing=tmp_path))
    assert report.failures == [] and _landed(tmp_path) == {"signed/one.txt": b"a b 1780000000\n"}


def test_s3_prefix_is_pulled_through_an_airflow_connection(s3_server, tmp_path, monkeypatch):
    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="k", aws_secret_access_key="s",
                          region_name="us-east-1")
    client.create_bucket(Bucket="exports")
    client.put_object(Bucket="exports", Key="daily/2026-06-29.txt", Body=EXPORT)
    client.put_object(Bucket="exports", Key="daily/2026-06-30.csv", Body=b"x")
    client.put_object(Bucket="exports", Key="other/ignored.txt", Body=b"x")
    monkeypatch.setenv("AIRFLOW_CONN_INFLUENCE_S3", json.dumps({
        "conn_type": "aws", "login": "k", "password": "s",
        "extra": {"endpoint_url": s3_server, "region_name": "us-east-1"}}))
    source = SourceSettings(name="bucket", kind="s3", bucket="exports", prefix="daily/", conn_id="influence_s3",
                            pattern="*.txt")
    report = sources.pull(_settings(source, landing=tmp_path))
    assert report.failures == []
    assert _landed(tmp_path) == {"bucket/2026-06-29.txt": EXPORT}
    missing = SourceSettings(name="gone", kind="s3", bucket="no-such-bucket", conn_id="influence_s3")
    report = sources.pull(_settings(missing, landing=tmp_path, attempts=2))
    assert "NoSuchBucket" in report.failures[0] and "attempts" not in report.failures[0]  # not retried


def test_cli_pull_from_a_folder_reports_and_fails_on_a_bad_source(tmp_path):
    exports = tmp_path / "exports"
    (exports / "june").mkdir(parents=True)
    (exports / "june" / "a.txt").write_bytes(EXPORT[:100])
    (exports / ".b.txt.part").write_bytes(b"someone else's partial write")
    config = tmp_path / "influence.yaml"
    config.write_text(json.dumps({"pull": {"landing": str(tmp_path / "landing"), "sources": [
        {"name": "mounted", "kind": "folder", "path": str(exports)},
        {"name": "missing", "kind": "folder", "path": str(tmp_path / "nowhere")}]}}))
    result = CliRunner().invoke(app, ["pull", "--config", str(config), "--json"])
    assert result.exit_code == 1, result.output
    assert "nowhere" in result.output
    assert _landed(tmp_path / "landing") == {"mounted/june/a.txt": EXPORT[:100]}

"""The status page inside `escalate new`: a real loopback server; failure is never fatal."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.harness import run, write_answers

SUMMARY = {
    "status": {"indicator": "minor", "description": "Partially Degraded Service"},
    "incidents": [{"name": "Elevated errors for file uploads", "status": "investigating"}],
}


@pytest.fixture
def status_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(SUMMARY).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v2/summary.json"
    server.shutdown()


def _new(tmp_path: Path, url: str):
    answers = write_answers(tmp_path / "a.toml")
    return run("new", "--yes", "--no-screenshot", "--format", "md,json", "--answers", str(answers),
               "--out", str(tmp_path / "b"),
               env={"ESCALATE_OFFLINE": "", "ESCALATE_STATUS_URL": url})


def test_status_snapshot_lands_in_the_submission(tmp_path: Path, status_server: str) -> None:
    result = _new(tmp_path, status_server)
    assert result.code == 0, result.err
    md = (tmp_path / "b" / "submission.md").read_text()
    assert "Partially Degraded Service (checked 03:47 UTC)" in md.replace("\\", "")
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["status"]["incidents"] == ["Elevated errors for file uploads"]


def test_unreachable_status_page_is_noted_not_fatal(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _new(tmp_path, f"http://127.0.0.1:{port}/summary.json")
    assert result.code == 0, result.err
    md = (tmp_path / "b" / "submission.md").read_text()
    assert "could not check (offline: could not reach 127.0.0.1" in md

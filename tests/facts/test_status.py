"""fetch_status against a real HTTP server on loopback; never the internet."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from escalate.facts.status import MAX_BYTES, fetch_status
from tests.conftest import HANG_GUARD

SUMMARY = {
    "page": {"id": "abc", "name": "OpenAI", "url": "https://status.openai.com"},
    "status": {"indicator": "minor", "description": "Partially Degraded Service"},
    "components": [{"name": "ChatGPT", "status": "degraded_performance"}],
    "incidents": [
        {"name": "Elevated errors on file uploads", "status": "investigating",
         "resolved_at": None},
        {"name": "Old login issue", "status": "resolved", "resolved_at": "2025-01-01T00:00:00Z"},
        {"name": "\x1b[31mRed\x1b[0m text in name", "status": "monitoring"},
        {"status": "identified"},
    ],
}

Reply = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A loopback HTTP server whose GET handler the test chooses."""

    def __init__(self) -> None:
        self.reply: Reply = lambda h: h.send_error(404)
        self.release = threading.Event()  # wakes handlers that pretend to hang
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(dict(self.headers))
                outer.reply(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/api/v2/summary.json"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    s = Server()
    yield s
    s.close()


def send(handler: BaseHTTPRequestHandler, code: int, body: bytes,
         ctype: str = "application/json") -> None:
    handler.send_response(code)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_good_summary(server: Server) -> None:
    server.reply = lambda h: send(h, 200, json.dumps(SUMMARY).encode())
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    snap = fetch_status(server.url, timeout=3.0, now=now)
    assert snap.error is None
    assert snap.url == server.url
    assert snap.checked_at == now
    assert snap.indicator == "minor"
    assert snap.description == "Partially Degraded Service"
    assert snap.incidents == ["Elevated errors on file uploads", "Red text in name"]
    assert server.requests[0]["Accept"] == "application/json"
    assert server.requests[0]["User-Agent"].startswith("escalate/")


def test_all_clear_has_no_incidents(server: Server) -> None:
    body = {"status": {"indicator": "none", "description": "All Systems Operational"},
            "incidents": []}
    server.reply = lambda h: send(h, 200, json.dumps(body).encode())
    snap = fetch_status(server.url)
    assert (snap.indicator, snap.description, snap.incidents, snap.error) == (
        "none", "All Systems Operational", [], None)
    assert snap.checked_at.tzinfo is not None


@pytest.mark.parametrize("code", [500, 503, 404])
def test_http_error(server: Server, code: int) -> None:
    server.reply = lambda h: send(h, code, b"<html>down</html>", "text/html")
    snap = fetch_status(server.url)
    assert snap.error == f"HTTP {code}"
    assert snap.indicator is None


@pytest.mark.parametrize("body", [b"<html>login page</html>", b"\xff\xfe\x00garbage", b""])
def test_bad_json(server: Server, body: bytes) -> None:
    server.reply = lambda h: send(h, 200, body)
    assert fetch_status(server.url).error == "not a status page (bad JSON)"


@pytest.mark.parametrize("doc", [[1, 2], {"status": "ok"}, {"status": {"description": "x"}}])
def test_json_of_the_wrong_shape(server: Server, doc: object) -> None:
    server.reply = lambda h: send(h, 200, json.dumps(doc).encode())
    snap = fetch_status(server.url)
    assert snap.error == "not a status page (neither an incident.io feed nor summary.json)"
    assert snap.indicator is None


def test_oversized_response_is_capped(server: Server) -> None:
    padding = "x" * (MAX_BYTES + 10)
    body = json.dumps({"status": {"indicator": "none"}, "pad": padding}).encode()
    server.reply = lambda h: send(h, 200, body)
    snap = fetch_status(server.url)
    assert snap.error is not None and "over 1 MiB" in snap.error
    assert snap.indicator is None


def test_slow_server_times_out(server: Server) -> None:
    def hang(h: BaseHTTPRequestHandler) -> None:
        server.release.wait(10)  # released at teardown so the thread ends promptly

    server.reply = hang
    start = time.perf_counter()
    snap = fetch_status(server.url, timeout=0.5)
    elapsed = time.perf_counter() - start
    assert snap.error == "timed out after 0.5 s"
    assert elapsed > 0.4  # the timeout is honoured, not cut short
    assert elapsed < 0.5 + HANG_GUARD  # only a guard against a hang, not a speed check


def test_body_that_stalls_times_out(server: Server) -> None:
    def stall(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b'{"status": ')
        h.wfile.flush()
        server.release.wait(10)

    server.reply = stall
    start = time.perf_counter()
    snap = fetch_status(server.url, timeout=0.5)
    assert snap.error == "timed out after 0.5 s"
    assert time.perf_counter() - start < 0.5 + HANG_GUARD  # a guard against a hang only


def test_closed_port_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    snap = fetch_status(f"http://127.0.0.1:{port}/api/v2/summary.json", timeout=2.0)
    # A refused connection is "offline", not "timed out": the message shows no wait for
    # the timeout happened; the bound below only guards against a hang.
    assert snap.error == "offline: could not reach 127.0.0.1"
    assert time.perf_counter() - start < 2.0 + HANG_GUARD


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "not a url",
                                 "http://"])
def test_only_http_urls(url: str) -> None:
    snap = fetch_status(url)
    assert snap.error == "bad status URL (needs http:// or https://)"
    assert snap.url == url


def test_long_incident_names_are_cut(server: Server) -> None:
    body = {"status": {"indicator": "major", "description": "d" * 5000},
            "incidents": [{"name": f"incident {i} " + "n" * 500, "status": "investigating"}
                          for i in range(50)]}
    server.reply = lambda h: send(h, 200, json.dumps(body).encode())
    snap = fetch_status(server.url)
    assert snap.error is None
    assert snap.description is not None and len(snap.description) == 200
    assert len(snap.incidents) == 20
    assert all(len(n) <= 200 for n in snap.incidents)
    assert snap.incidents[0].startswith("incident 0 ")

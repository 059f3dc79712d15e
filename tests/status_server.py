"""A loopback status page serving the recorded feeds in tests/data/status/ by path."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data" / "status"

# The paths the real pages use: incident.io's proxy feed and its history, and Statuspage v2.
INCIDENT_IO = {
    "/proxy/status.openai.com": "incidentio-summary.json",
    "/proxy/status.openai.com/incidents": "incidentio-incidents.json",
}
STATUSPAGE = {
    "/api/v2/summary.json": "statuspage-summary.json",
    "/api/v2/incidents.json": "statuspage-incidents.json",
}


@contextmanager
def serve(routes: Mapping[str, str | bytes | Callable[[], bytes]]) -> Iterator[str]:
    """Serve ``routes`` on 127.0.0.1 and yield the base URL.

    A route is a fixture file name, raw bytes, or a function that makes the body (and may
    take its time, as a stalled server does).
    """
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            seen.append(path)
            body = routes.get(path)
            if body is None:
                self.send_error(404)
                return
            if callable(body):
                data = body()
            else:
                data = body if isinstance(body, bytes) else (DATA / body).read_bytes()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()

"""A snapshot of the public status page (Statuspage v2 ``summary.json``), offline-safe.

Support runs while things are broken, so :func:`fetch_status` never raises: no network, a
timeout, an HTTP error or a page that is not a status page all come back as a
:class:`StatusSnapshot` whose ``error`` says why in a few words.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from escalate import __version__
from escalate.model import StatusSnapshot
from escalate.text import shorten

DEFAULT_URL = "https://status.openai.com/api/v2/summary.json"
MAX_BYTES = 1 << 20  # a real summary.json is a few tens of KiB
MAX_INCIDENTS = 20
_DONE = {"resolved", "postmortem", "completed"}


class _Failure(Exception):
    """A fetch problem, already worded for the user."""


def fetch_status(url: str = DEFAULT_URL, timeout: float = 3.0,
                 now: datetime | None = None) -> StatusSnapshot:
    """Fetch and summarise the status page; failures are recorded in ``error``, never raised.

    ``timeout`` bounds the whole call, DNS included: the request runs in a daemon thread
    because a resolver stuck on a broken network ignores socket timeouts.
    """
    checked_at = now or datetime.now(UTC)
    snapshot = StatusSnapshot(url=url, checked_at=checked_at)
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["data"] = _get_json(url, timeout)
        except _Failure as exc:
            box["error"] = str(exc)
        except Exception as exc:  # any other surprise is still only a missing snapshot
            box["error"] = f"status check failed ({type(exc).__name__})"

    worker = threading.Thread(target=run, name="status-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        snapshot.error = _timed_out(timeout)
        return snapshot
    if "error" in box:
        snapshot.error = box["error"]
        return snapshot
    try:
        _fill(snapshot, box.get("data"))
    except _Failure as exc:
        snapshot.error = str(exc)
    return snapshot


def _timed_out(timeout: float) -> str:
    return f"timed out after {float(timeout)} s"


def _get_json(url: str, timeout: float) -> Any:
    """GET ``url`` and decode its JSON body, raising :class:`_Failure` with a short reason."""
    import socket
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Failure("bad status URL (needs http:// or https://)")
    host = parts.hostname

    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json", "User-Agent": f"escalate/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise _Failure(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise _Failure(_timed_out(timeout)) from None
        if _is_tls(exc.reason):
            raise _Failure(f"TLS error talking to {host}") from None
        raise _Failure(f"offline: could not reach {host}") from None
    except TimeoutError:  # a read that stalls mid-body
        raise _Failure(_timed_out(timeout)) from None
    except OSError:  # connection reset mid-body and the like
        raise _Failure(f"offline: could not reach {host}") from None
    if len(body) > MAX_BYTES:
        raise _Failure(f"not a status page (response over {MAX_BYTES // (1 << 20)} MiB)")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Failure("not a status page (bad JSON)") from None


def _is_tls(reason: object) -> bool:
    import ssl

    return isinstance(reason, ssl.SSLError | ssl.CertificateError)


def _fill(snapshot: StatusSnapshot, data: Any) -> None:
    """Copy indicator, description and open incidents from a summary.json document."""
    status = data.get("status") if isinstance(data, dict) else None
    if not isinstance(status, dict) or not isinstance(status.get("indicator"), str):
        raise _Failure("not a status page (no status.indicator)")
    snapshot.indicator = shorten(status["indicator"])
    description = status.get("description")
    snapshot.description = shorten(description) if isinstance(description, str) else None
    incidents = data.get("incidents")
    names: list[str] = []
    for incident in incidents if isinstance(incidents, list) else []:
        if not isinstance(incident, dict) or not isinstance(incident.get("name"), str):
            continue
        if str(incident.get("status", "")).lower() in _DONE or incident.get("resolved_at"):
            continue
        names.append(shorten(incident["name"]))
        if len(names) == MAX_INCIDENTS:
            break
    snapshot.incidents = names



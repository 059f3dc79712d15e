"""A snapshot of the public status page, offline-safe and bounded (3 s, 1 MiB).

The page is read in either format :mod:`escalate.facts.status_feeds` knows (incident.io's
native feed, the default for status.openai.com, or a Statuspage ``summary.json``). The
incident history is read too when it is wanted, so that an incident that overlapped the
error and has since been resolved is not lost.

Support runs while things are broken, so nothing here raises: no network, a timeout, an
HTTP error or a page that is not a status page all come back as a :class:`StatusSnapshot`
whose ``error`` says why in a few words.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from escalate import __version__
from escalate.background import Job
from escalate.facts import status_feeds as feeds
from escalate.model import StatusIncident, StatusSnapshot

DEFAULT_URL = "https://status.openai.com/proxy/status.openai.com"
MAX_BYTES = 1 << 20  # a real feed is a few tens of KiB; the history a few hundred
MAX_INCIDENTS = feeds.MAX_INCIDENTS


class _Failure(Exception):
    """A fetch problem, already worded for the user."""


@dataclass
class StatusFeed:
    """The page now, and its incident history when it was read."""

    snapshot: StatusSnapshot
    history: list[StatusIncident] | None = None
    history_error: str | None = None

    def at(self, occurred_at: datetime | None) -> StatusSnapshot:
        """The snapshot, with the past incidents that were open at ``occurred_at``."""
        snap = self.snapshot.model_copy(deep=True)
        if occurred_at is None or snap.error is not None:
            return snap
        if self.history is None:
            snap.history_error = self.history_error
            return snap
        snap.overlapping = feeds.overlapping(
            self.history, occurred_at, snap.checked_at, snap.ongoing)
        return snap


def fetch_status(url: str = DEFAULT_URL, timeout: float = 3.0, now: datetime | None = None,
                 occurred_at: datetime | None = None) -> StatusSnapshot:
    """Fetch and summarise the status page; failures are recorded in ``error``, never raised.

    With ``occurred_at``, the history is read as well and the incidents open at that moment
    are recorded in ``overlapping``.
    """
    return fetch_feed(url, timeout, now, history=occurred_at is not None).at(occurred_at)


def fetch_feed(url: str = DEFAULT_URL, timeout: float = 3.0, now: datetime | None = None,
               history: bool = True) -> StatusFeed:
    """Read the page (and its history) within ``timeout`` seconds in all, DNS included.

    The requests run in a daemon thread because a resolver stuck on a broken network
    ignores socket timeouts; what arrived before the deadline is kept.
    """
    checked_at = now or datetime.now(UTC)
    feed = StatusFeed(StatusSnapshot(url=url, checked_at=checked_at))
    deadline = time.monotonic() + timeout
    done: dict[str, Any] = {}

    def run() -> None:
        try:
            summary = feeds.read_summary(_get_json(url, deadline, timeout))
        except feeds.NotAStatusPage as exc:
            done["error"] = str(exc)
            return
        except _Failure as exc:
            done["error"] = str(exc)
            return
        except Exception as exc:  # any other surprise is still only a missing snapshot
            done["error"] = f"status check failed ({type(exc).__name__})"
            return
        done["summary"] = summary
        where = feeds.history_url(url, summary.source) if history else None
        if where is None:
            return
        try:
            done["history"] = feeds.read_history(_get_json(where, deadline, timeout), summary)
        except (feeds.NotAStatusPage, _Failure) as exc:
            done["history_error"] = str(exc)
        except Exception as exc:
            done["history_error"] = f"history check failed ({type(exc).__name__})"

    worker = Job.start(run, "status-fetch")
    worker.result(timeout, None)  # what arrived by then is in `done`; the rest is abandoned
    summary = done.get("summary")
    if summary is None:
        feed.snapshot.error = done.get("error") or _timed_out(timeout)
        return feed
    _fill(feed.snapshot, summary)
    if history:
        feed.history = done.get("history")
        if feed.history is None:
            feed.history_error = done.get("history_error") or (
                _timed_out(timeout) if worker.running else "no history")
    return feed


def _timed_out(timeout: float) -> str:
    return f"timed out after {float(timeout)} s"


def _get_json(url: str, deadline: float, timeout: float) -> Any:
    """GET ``url`` before ``deadline`` and decode its JSON, raising :class:`_Failure`."""
    import socket
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Failure("bad status URL (needs http:// or https://)")
    host = parts.hostname

    left = deadline - time.monotonic()
    if left <= 0:
        raise _Failure(_timed_out(timeout))
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json", "User-Agent": f"escalate/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=left) as response:  # noqa: S310
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


def _fill(snapshot: StatusSnapshot, summary: feeds.Summary) -> None:
    snapshot.source = summary.source
    snapshot.indicator = summary.indicator
    snapshot.description = summary.description
    snapshot.affected = summary.affected
    snapshot.ongoing = summary.ongoing
    snapshot.incidents = [i.name for i in summary.ongoing]

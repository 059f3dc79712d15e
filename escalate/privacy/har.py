"""HAR sanitising, and the request ids and failing requests support asks for.

The HAR is parsed once, scrubbed in place and streamed to the destination, so a 100 MB
export is never held twice. Every entry and its timings are kept; what can identify or
authenticate the user is replaced by the :class:`~escalate.privacy.redact.Redactor`'s
placeholders, so one session token is ``[COOKIE-1]`` in every entry:

- cookies, read as RFC 6265 writes them, in ``Cookie`` and ``Set-Cookie`` headers (several
  per line, quoted, one per line) and in ``cookies`` of any shape (a list of objects, an
  object, a header string): every value goes, every name and attribute stays. A cookie
  value that shows up again (in a URL, a ``Location`` header) is replaced there too;
- ``Authorization`` and other credential headers (the auth scheme is kept), passwords in
  URLs, and query parameters with a credential-like name;
- request and response bodies are removed, with their size and MIME type kept: they hold
  the conversation itself. ``keep_bodies`` keeps text bodies, redacted (binary ones still
  go);
- every other header, URL and browser-private field (``_initiator``...) goes through the
  redactor.
- ``OpenAI-Organization`` / ``OpenAI-Project`` ids are KEPT: they are not credentials, and
  support needs them to find the account.

Strings that end up in the summary (URLs, errors) are made :func:`~escalate.text.visible`:
a HAR is input from outside and may carry terminal escapes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from escalate.errors import EscalateError, OutputError
from escalate.facts.user_agent import Client, from_creator, parse_user_agent
from escalate.model import FailedRequest, Report
from escalate.privacy.har_scrub import Scrubber, as_dict, dicts
from escalate.privacy.redact import Redactor, counts_text
from escalate.storage.atomic import atomic_stream, unreadable
from escalate.text import counted, visible

# Response headers that carry a request id, in the order one is preferred for an entry.
REQUEST_ID_HEADERS = (
    "x-request-id",
    "openai-request-id",
    "x-openai-request-id",
    "request-id",
    "x-amzn-requestid",
    "cf-ray",
)
class HarError(EscalateError):
    """A HAR file that cannot be read or is not a HAR."""

    default_hint = (
        "export it again from the browser's developer tools (Network tab > Save all as HAR) "
        "and pass that .har file"
    )


@dataclass(frozen=True)
class HarSummary:
    """What a HAR says about the failure, and how much was scrubbed from it.

    ``request_ids`` holds one id per entry that has one (x-request-id preferred, cf-ray
    last), those of failing requests first, without repeats. ``removed`` counts what went,
    by redaction category: distinct secret values (``cookie``, ``jwt``, ``bearer_token``...)
    and whole bodies (``request_body``, ``response_body``).
    """

    entries: int
    request_ids: list[str]
    failed: list[FailedRequest]
    first_failure_at: datetime | None
    removed: dict[str, int]
    bodies_kept: bool = False
    client: Client = field(default_factory=Client)  # the browser that recorded the HAR

    def removed_text(self) -> str:
        """``"12 cookie values, 3 request bodies"``, or ``"nothing"``."""
        return counts_text(self.removed) or "nothing"


def har_attachment_line(report: Report) -> str:
    """What sanitized.har is, in the attachment list: exactly what was taken out of it."""
    removed = counts_text(report.redaction.har)
    text = f"{counted(len(report.failed_requests), 'failing request')}; "
    text += f"removed: {removed}" if removed else "nothing needed removing"
    if report.redaction.bodies_kept:
        text += "; request and response bodies kept, redacted (--keep-bodies)"
    return text


def _load(src: Path) -> dict[str, Any]:
    try:
        with src.open(encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except UnicodeDecodeError:
        raise HarError(f"{src} is not UTF-8 text, so it is not a HAR export") from None
    except json.JSONDecodeError as exc:
        raise HarError(f"{src} is not JSON (line {exc.lineno}: {exc.msg})") from None
    except OSError as exc:
        raise HarError(unreadable(src, exc, "HAR file")) from None
    log = data.get("log") if isinstance(data, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise HarError(f"{src} is JSON but not a HAR file (it has no log.entries)")
    return as_dict(data)


def _status(resp: dict[str, Any]) -> int:
    try:
        return int(resp.get("status", 0))
    except (TypeError, ValueError):
        return 0


def _request_id(resp: dict[str, Any]) -> str | None:
    found: dict[str, str] = {}
    for h in dicts(resp.get("headers")):
        name, value = str(h.get("name", "")).lower(), h.get("value")
        if name in REQUEST_ID_HEADERS and isinstance(value, str) and 0 < len(value.strip()) <= 200:
            found.setdefault(name, visible(value.strip()))
    return next((found[n] for n in REQUEST_ID_HEADERS if n in found), None)


def _started(entry: dict[str, Any]) -> datetime | None:
    raw = entry.get("startedDateTime")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _error(entry: dict[str, Any], resp: dict[str, Any], status: int) -> str | None:
    for source in (resp, entry):
        err = source.get("_error")
        if isinstance(err, str) and err:
            return err
    text = resp.get("statusText")
    if isinstance(text, str) and text:
        return f"{status} {text}"
    return None


def sanitize_har(
    src: Path, dst: Path, redactor: Redactor | None = None, keep_bodies: bool = False
) -> HarSummary:
    """Write a scrubbed copy of ``src`` to ``dst`` and summarise its failing requests.

    Bodies are removed unless ``keep_bodies``; then text bodies are kept, redacted.
    """
    try:
        return _sanitize(Path(src), Path(dst), redactor, keep_bodies)
    except RecursionError:
        # No browser nests a HAR this deep; a crafted one must not look like a bug in escalate.
        raise HarError(
            f"{src} is nested too deeply to read, so it is not a browser's HAR export"
        ) from None


def _sanitize(src: Path, dst: Path, redactor: Redactor | None, keep_bodies: bool) -> HarSummary:
    har = _load(Path(src))
    redactor = redactor or Redactor()
    before = redactor.counts
    scrub = Scrubber(redactor, keep_bodies)
    log = har["log"]
    failed: list[FailedRequest] = []
    failed_ids: list[str] = []
    other_ids: list[str] = []
    entries = log["entries"]
    client = _client(log)  # read before the headers are scrubbed
    for entry in dicts(entries):
        scrub.learn_cookies(as_dict(entry.get("request")))
        scrub.learn_cookies(as_dict(entry.get("response")))
    for entry in dicts(entries):
        req = as_dict(entry.get("request"))
        resp = as_dict(entry.get("response"))
        status = _status(resp)
        is_failed = status >= 400 or status == 0 or bool(resp.get("_error") or entry.get("_error"))
        request_id = _request_id(resp)
        scrub.request(req)
        scrub.response(resp)
        scrub.private(entry)
        from_body = as_dict(resp.get("content")).get("_requestIds")
        if not request_id and isinstance(from_body, list) and from_body:
            request_id = visible(str(from_body[0]))  # no header: the id the error body names
        if request_id:
            (failed_ids if is_failed else other_ids).append(request_id)
        if is_failed:
            error = _error(entry, resp, status)
            failed.append(
                FailedRequest(
                    method=visible(str(req.get("method", "GET")))[:20],
                    url=visible(str(req.get("url", ""))),
                    status=status,
                    started_at=_started(entry),
                    request_id=request_id,
                    error=visible(scrub.text(error)) if error else None,
                )
            )
    for page in dicts(log.get("pages")):
        if isinstance(page.get("title"), str):
            page["title"] = scrub.url(page["title"])
    _write_json(Path(dst), har, _dump_har)
    starts = [f.started_at for f in failed if f.started_at is not None]
    after = redactor.counts
    removed = {c: n - before.get(c, 0) for c, n in after.items() if n > before.get(c, 0)}
    removed.update({kind: n for kind, n in scrub.bodies.items() if n})
    return HarSummary(
        entries=len(entries),
        request_ids=list(dict.fromkeys(failed_ids + other_ids)),
        failed=failed,
        first_failure_at=min(starts, key=_utc_key) if starts else None,
        removed=removed,
        bodies_kept=keep_bodies,
        client=client,
    )


def _client(log: dict[str, Any]) -> Client:
    """The recording browser: a request's User-Agent first, then ``log.browser``."""
    for entry in dicts(log.get("entries"))[:50]:
        for header in dicts(as_dict(entry.get("request")).get("headers")):
            if str(header.get("name", "")).lower() == "user-agent":
                found = parse_user_agent(str(header.get("value", "")))
                if found.name is not None:
                    return found
    for key in ("browser", "creator"):
        info = as_dict(log.get(key))
        found = from_creator(str(info.get("name", "")), str(info.get("version", "")))
        if found.name is not None:
            return found
    return Client()


def _utc_key(value: datetime) -> float:
    # Naive timestamps (rare in HARs) are taken as UTC so they compare with aware ones.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _dump_har(har: dict[str, Any], fh: TextIO) -> None:
    """Write the HAR one entry per line with the C encoder, never as one big string.

    ``json.dump`` streams too, but through the pure-Python encoder, 4x slower on a big HAR.
    """
    log = har.pop("log")
    entries = log.pop("entries")
    log["entries"] = []  # last key of the last key: the head ends with the empty list
    har["log"] = log
    head = _json(har)
    log["entries"] = entries
    tail = "]}}"
    assert head.endswith("[" + tail)
    fh.write(head[: -len(tail)])
    for i, item in enumerate(entries):
        fh.write("\n" if i == 0 else ",\n")
        fh.write(_json(item))
    fh.write("\n" + tail + "\n")


# JSON escapes C0 controls itself; these it would write raw, and a viewer would obey them.
_JSON_ESCAPE = str.maketrans(
    {
        c: f"\\u{c:04x}"
        for c in [
            *range(0x7F, 0xA0),
            0x061C,
            0x200E,
            0x200F,
            *range(0x2028, 0x202F),
            *range(0x2066, 0x206A),
        ]
    }
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_JSON_ESCAPE)


def _write_json(dst: Path, data: Any, dump: Callable[[Any, TextIO], None]) -> None:
    """Stream ``data`` to ``dst`` with ``dump`` through the one atomic writer (0600)."""

    def write(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        dump(data, text)
        text.flush()
        text.detach()  # the writer closes the file itself

    try:
        atomic_stream(dst, write)
    except OSError as exc:  # what the writer does not name itself
        raise OutputError(f"cannot write {dst}: {exc.strerror or exc}") from None

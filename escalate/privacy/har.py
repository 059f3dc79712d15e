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

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from escalate.errors import EscalateError, OutputError
from escalate.model import FailedRequest
from escalate.privacy.cookies import value_spans
from escalate.privacy.redact import Redactor, counts_text
from escalate.privacy.rules import PLACEHOLDER_RE
from escalate.storage.atomic import unreadable
from escalate.text import visible

MASK = "[REDACTED]"

# Response headers that carry a request id, in the order one is preferred for an entry.
REQUEST_ID_HEADERS = (
    "x-request-id",
    "openai-request-id",
    "x-openai-request-id",
    "request-id",
    "x-amzn-requestid",
    "cf-ray",
)
_MASKED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "openai-api-key",
        "x-auth-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
    }
)
_COOKIE_HEADERS = {"cookie": False, "cookie2": False, "set-cookie": True, "set-cookie2": True}
_URL_HEADERS = frozenset({"referer", "location", "origin", "content-location"})
_SECRET_PARAM_PARTS = (
    "token",
    "secret",
    "passw",
    "signature",
    "session",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "auth",
    "jwt",
)
_SECRET_PARAMS = frozenset({"key", "sig", "code", "pwd", "state", "x-amz-signature"})
_BINARY_TYPES = (
    "image/",
    "audio/",
    "video/",
    "font/",
    "application/octet-stream",
    "multipart/",
    "application/zip",
    "application/pdf",
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

    def removed_text(self) -> str:
        """``"12 cookie values, 3 request bodies"``, or ``"nothing"``."""
        return counts_text(self.removed) or "nothing"


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
    return _dict(data)


class _Scrubber:
    """Sanitises one HAR in place, counting what it removed."""

    def __init__(self, redactor: Redactor, keep_bodies: bool) -> None:
        self.redactor = redactor
        self.keep_bodies = keep_bodies
        self.bodies = {"request_body": 0, "response_body": 0}

    def text(self, value: str) -> str:
        return self.redactor.redact(value).text

    def secret(self, value: str, category: str = "secret") -> str:
        """A value known to be a credential: a placeholder, unless a rule knows it better."""
        if not value or value == MASK:
            return value
        redacted = self.text(value)
        return redacted if redacted != value else self.redactor.remember(value, category)

    def param(self, name: str, value: str) -> str:
        """A query or form value: masked outright when its name says it is a credential."""
        lowered = name.lower()
        if value and (lowered in _SECRET_PARAMS or any(p in lowered for p in _SECRET_PARAM_PARTS)):
            return self.secret(value)
        return self.text(value)

    def url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user, colon, password = userinfo.partition(":")
            netloc = (
                f"{user}:{self.secret(password, 'password')}@{host}"
                if colon
                else f"{self.secret(user, 'password')}@{host}"
            )
        query = "&".join(self._query_pair(p) for p in parts.query.split("&")) if parts.query else ""
        rebuilt = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.text(rebuilt)

    def _query_pair(self, pair: str) -> str:
        name, eq, value = pair.partition("=")
        return f"{name}{eq}{self.param(name, value)}" if eq else pair

    def cookie_header(self, value: str, set_cookie: bool) -> str:
        """Every cookie value in a Cookie or Set-Cookie header replaced; names, attributes kept."""
        parts: list[str] = []
        last = 0
        for s, e in value_spans(value, set_cookie):
            parts += [value[last:s], self._cookie_value(value[s:e])]
            last = e
        return "".join(parts) + value[last:]

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in _COOKIE_HEADERS:
            return self.cookie_header(value, _COOKIE_HEADERS[lowered])
        if lowered in _MASKED_HEADERS:
            scheme, space, rest = value.partition(" ")
            if space and scheme.isalpha() and rest.strip():
                kind = "bearer_token" if scheme.lower() == "bearer" else "secret"
                return f"{scheme} {self.secret(rest.strip(), kind)}"
            return self.secret(value)
        if lowered in _URL_HEADERS:
            return self.url(value)
        return self.text(value)

    def headers(self, items: Any) -> None:
        for h in _dicts(items):
            if isinstance(h.get("value"), str):
                h["value"] = self.header(str(h.get("name", "")), h["value"])

    def cookies(self, items: Any) -> Any:
        """``cookies`` in any shape: a list of objects or strings, an object, a string."""
        if isinstance(items, str):
            return self.cookie_header(items, False)
        if isinstance(items, list):
            return [self.cookies(i) if isinstance(i, str) else self._cookie(i) for i in items]
        if isinstance(items, dict):
            if "value" in items and "name" in items:
                return self._cookie(items)
            return {k: self._cookie(v) for k, v in items.items()}
        return items

    def _cookie(self, item: Any) -> Any:
        if isinstance(item, dict):
            value = item.get("value")
            if value not in (None, "", [], {}):
                item["value"] = self._cookie_value(value)
            return item
        return self._cookie_value(item)

    def _cookie_value(self, value: Any) -> Any:
        if isinstance(value, bool) or value is None or value == "":
            return value
        if isinstance(value, dict | list):
            return self.cookies(value)
        if isinstance(value, str) and PLACEHOLDER_RE.fullmatch(value):
            return value  # replaced already (the first pass, see learn_cookies)
        return self.redactor.remember(str(value), "cookie")

    def learn_cookies(self, message: dict[str, Any]) -> None:
        """Replace every cookie value of a request or response in a first pass over the HAR,
        so that a value that an earlier entry's URL repeats is known when that URL is read."""
        for h in _dicts(message.get("headers")):
            lowered = str(h.get("name", "")).lower()
            if lowered in _COOKIE_HEADERS and isinstance(h.get("value"), str):
                h["value"] = self.cookie_header(h["value"], _COOKIE_HEADERS[lowered])
        if "cookies" in message:
            message["cookies"] = self.cookies(message["cookies"])

    def request(self, req: dict[str, Any]) -> None:
        if isinstance(req.get("url"), str):
            req["url"] = self.url(req["url"])
        self.headers(req.get("headers"))  # cookies went in the first pass
        for q in _dicts(req.get("queryString")):
            if isinstance(q.get("value"), str):
                q["value"] = self.param(str(q.get("name", "")), q["value"])
        post = req.get("postData")
        if isinstance(post, dict):
            self.post_data(post)
        self.private(req)

    def post_data(self, post: dict[str, Any]) -> None:
        text = post.get("text")
        params = _dicts(post.get("params"))
        if not self.keep_bodies or (isinstance(text, str) and _is_binary(post, text)):
            if (isinstance(text, str) and text) or params:
                size = len(text.encode("utf-8", "replace")) if isinstance(text, str) else 0
                post.pop("text", None)
                post.pop("params", None)
                post["comment"] = f"request body removed by escalate ({size} bytes)"
                self.bodies["request_body"] += 1
            return
        if isinstance(text, str) and text:
            post["text"] = self.text(text)
        for p in params:
            if isinstance(p.get("value"), str):
                p["value"] = self.param(str(p.get("name", "")), p["value"])

    def response(self, resp: dict[str, Any]) -> None:
        self.headers(resp.get("headers"))
        if isinstance(resp.get("redirectURL"), str) and resp["redirectURL"]:
            resp["redirectURL"] = self.url(resp["redirectURL"])
        content = resp.get("content")
        if isinstance(content, dict) and isinstance(content.get("text"), str):
            text = content["text"]
            binary = content.get("encoding") == "base64" or _is_binary(content, text)
            if self.keep_bodies and not binary:
                content["text"] = self.text(text)
            else:
                del content["text"]
                content.pop("encoding", None)
                content["comment"] = "response body removed by escalate"
                if text:
                    self.bodies["response_body"] += 1
        self.private(resp)

    def private(self, obj: dict[str, Any]) -> None:
        """Redact every string under browser-private ``_fields`` (initiator stacks); drop
        WebSocket messages unless bodies are kept (they are the conversation too)."""
        for key in [k for k in obj if k.startswith("_")]:
            if key == "_webSocketMessages" and not self.keep_bodies and obj[key]:
                obj[key] = []
                self.bodies["response_body"] += 1
                continue
            obj[key] = _map_strings(obj[key], self.text)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _is_binary(body: dict[str, Any], text: str) -> bool:
    mime = str(body.get("mimeType", ""))
    return mime.lower().startswith(_BINARY_TYPES) or "\x00" in text[:4096]


def _status(resp: dict[str, Any]) -> int:
    try:
        return int(resp.get("status", 0))
    except (TypeError, ValueError):
        return 0


def _request_id(resp: dict[str, Any]) -> str | None:
    found: dict[str, str] = {}
    for h in _dicts(resp.get("headers")):
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
    har = _load(Path(src))
    redactor = redactor or Redactor()
    before = redactor.counts
    scrub = _Scrubber(redactor, keep_bodies)
    log = har["log"]
    failed: list[FailedRequest] = []
    failed_ids: list[str] = []
    other_ids: list[str] = []
    entries = log["entries"]
    for entry in _dicts(entries):
        scrub.learn_cookies(_dict(entry.get("request")))
        scrub.learn_cookies(_dict(entry.get("response")))
    for entry in _dicts(entries):
        req = _dict(entry.get("request"))
        resp = _dict(entry.get("response"))
        status = _status(resp)
        is_failed = status >= 400 or status == 0 or bool(resp.get("_error") or entry.get("_error"))
        request_id = _request_id(resp)
        scrub.request(req)
        scrub.response(resp)
        scrub.private(entry)
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
    for page in _dicts(log.get("pages")):
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
    )


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
    """Stream ``data`` to ``dst`` with ``dump``, atomically, 0600, never through a symlink."""
    if dst.is_symlink():
        raise OutputError(f"{dst} is a symbolic link; refusing to write through it")
    tmp = dst.parent / f".{dst.name}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as exc:
        raise OutputError(f"cannot write {dst}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 20) as fh:
            dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o600)
        tmp.replace(dst)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {dst}: {exc.strerror or exc}") from None
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(dst.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

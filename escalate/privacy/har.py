"""HAR sanitising, and the request ids and failing requests support asks for.

The HAR is parsed once, scrubbed in place and streamed to the destination, so a 100 MB
export is never held twice. Every entry and its timings are kept; what can identify or
authenticate the user is masked:

- ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``, API-key and CSRF
  headers are masked (the auth scheme and cookie names are kept); every other header value
  goes through the :class:`~escalate.privacy.redact.Redactor`.
- ``OpenAI-Organization`` / ``OpenAI-Project`` ids are KEPT: they are not credentials, and
  support needs them to find the account (they only go through the redactor like any value).
- cookie arrays keep names and attributes, values are masked; query parameters with a
  credential-like name are masked both in ``queryString`` and in the URL itself.
- request bodies go through the redactor; binary and multipart bodies are dropped.
- response bodies of successful requests are dropped (they hold the conversation); error
  bodies (status >= 400) are kept, redacted, up to 64 KiB. ``mimeType`` and ``size`` stay.
- browser-private fields (``_initiator``, ``_webSocketMessages``...) have every string
  redacted.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from escalate.errors import EscalateError, OutputError
from escalate.facts.user_agent import Client, from_creator, parse_user_agent
from escalate.model import FailedRequest
from escalate.privacy.redact import Redactor
from escalate.storage.atomic import unreadable
from escalate.text import counted

MASK = "[REDACTED]"
ERROR_BODY_LIMIT = 64 * 1024

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
_COOKIE_HEADERS = {"cookie": "Cookie: ", "set-cookie": "Set-Cookie: "}
_URL_HEADERS = frozenset({"referer", "location", "origin", "content-location"})
_SECRET_PARAM_PARTS = ("token", "secret", "passw", "signature", "session", "apikey", "api_key",
                       "api-key", "credential", "auth", "jwt")
_SECRET_PARAMS = frozenset({"key", "sig", "code", "pwd", "state", "x-amz-signature"})
_BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/octet-stream",
                 "multipart/", "application/zip", "application/pdf")


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
    last), those of failing requests first, without repeats. ``removed`` counts by kind:
    ``auth_headers``, ``cookies``, ``query_params``, ``url_credentials``,
    ``post_bodies_dropped``, ``response_bodies``, ``private_fields`` and ``text_secrets``
    (values the redactor replaced anywhere in the HAR).
    """

    entries: int
    request_ids: list[str]
    failed: list[FailedRequest]
    first_failure_at: datetime | None
    removed: dict[str, int]
    client: Client = field(default_factory=Client)  # the browser that recorded the HAR

    def removed_text(self) -> str:
        """``"9 cookies, 1 browser-private field"``, or ``"nothing"``."""
        parts = []
        for kind, n in self.removed.items():
            if n:
                one, many = _REMOVED_LABELS.get(kind, (kind.replace("_", " "),) * 2)
                parts.append(counted(n, one, many))
        return ", ".join(parts) or "nothing"


_REMOVED_LABELS = {
    "auth_headers": ("auth header", "auth headers"),
    "cookies": ("cookie", "cookies"),
    "query_params": ("query parameter", "query parameters"),
    "url_credentials": ("password in a URL", "passwords in URLs"),
    "post_bodies_dropped": ("request body", "request bodies"),
    "response_bodies": ("response body", "response bodies"),
    "private_fields": ("browser-private field", "browser-private fields"),
    "text_secrets": ("secret in other text", "secrets in other text"),
}


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

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.removed: dict[str, int] = {}
        self.text_secrets = 0

    def count(self, kind: str, n: int = 1) -> None:
        self.removed[kind] = self.removed.get(kind, 0) + n

    def text(self, value: str) -> str:
        out = self.redactor.redact(value)
        self.text_secrets += len(out.redactions)
        return out.text

    def param(self, name: str, value: str) -> str:
        """A query or form value: masked outright when its name says it is a credential."""
        lowered = name.lower()
        if value and (lowered in _SECRET_PARAMS or any(p in lowered for p in _SECRET_PARAM_PARTS)):
            self.count("query_params")
            redacted = self.text(value)
            return redacted if redacted != value else MASK
        return self.text(value)

    def url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
            self.count("url_credentials")
        query = "&".join(self._query_pair(p) for p in parts.query.split("&")) if parts.query else ""
        rebuilt = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.text(rebuilt)

    def _query_pair(self, pair: str) -> str:
        name, eq, value = pair.partition("=")
        return f"{name}{eq}{self.param(name, value)}" if eq else pair

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in _COOKIE_HEADERS:
            self.count("cookies")
            prefix = _COOKIE_HEADERS[lowered]
            return self.text(prefix + value)[len(prefix) :] or value
        if lowered in _MASKED_HEADERS:
            self.count("auth_headers")
            redacted = self.text(f"{name}: {value}")[len(name) + 2 :]
            if redacted != value:
                return redacted
            scheme, space, _rest = value.partition(" ")
            return f"{scheme} {MASK}" if space and scheme.isalpha() else MASK
        if lowered in _URL_HEADERS:
            return self.url(value)
        return self.text(value)

    def headers(self, items: Any) -> None:
        for h in _dicts(items):
            if isinstance(h.get("value"), str):
                h["value"] = self.header(str(h.get("name", "")), h["value"])

    def cookies(self, items: Any) -> None:
        for c in _dicts(items):
            value = c.get("value")
            if isinstance(value, str) and value:
                masked = self.text(f"Cookie: {c.get('name', 'c')}={value}")
                c["value"] = masked.partition("=")[2] or MASK
                self.count("cookies")

    def request(self, req: dict[str, Any]) -> None:
        if isinstance(req.get("url"), str):
            req["url"] = self.url(req["url"])
        self.headers(req.get("headers"))
        self.cookies(req.get("cookies"))
        for q in _dicts(req.get("queryString")):
            if isinstance(q.get("value"), str):
                q["value"] = self.param(str(q.get("name", "")), q["value"])
        post = req.get("postData")
        if isinstance(post, dict):
            self.post_data(post)
        self.private(req)

    def post_data(self, post: dict[str, Any]) -> None:
        text = post.get("text")
        if isinstance(text, str) and text:
            if _is_binary(str(post.get("mimeType", "")), text):
                post["text"] = ""
                post["comment"] = "binary body removed by escalate"
                self.count("post_bodies_dropped")
            else:
                post["text"] = self.text(text)
        for p in _dicts(post.get("params")):
            if isinstance(p.get("value"), str):
                p["value"] = self.param(str(p.get("name", "")), p["value"])

    def response(self, resp: dict[str, Any], failed: bool) -> None:
        self.headers(resp.get("headers"))
        self.cookies(resp.get("cookies"))
        if isinstance(resp.get("redirectURL"), str) and resp["redirectURL"]:
            resp["redirectURL"] = self.url(resp["redirectURL"])
        content = resp.get("content")
        if isinstance(content, dict) and isinstance(content.get("text"), str):
            text = content["text"]
            binary = content.get("encoding") == "base64" or _is_binary(
                str(content.get("mimeType", "")), text
            )
            if failed and not binary:
                content["text"] = self.text(text[:ERROR_BODY_LIMIT])
            else:
                del content["text"]
                content.pop("encoding", None)
                content["comment"] = "response body removed by escalate"
                self.count("response_bodies")
        self.private(resp)

    def private(self, obj: dict[str, Any]) -> None:
        """Redact every string under browser-private ``_fields`` (initiator stacks, sockets)."""
        for key in [k for k in obj if k.startswith("_")]:
            before = self.text_secrets
            obj[key] = _map_strings(obj[key], self.text)
            if self.text_secrets != before:
                self.count("private_fields")


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


def _is_binary(mime: str, text: str) -> bool:
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
            found.setdefault(name, value.strip())
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


def sanitize_har(src: Path, dst: Path, redactor: Redactor | None = None) -> HarSummary:
    """Write a scrubbed copy of ``src`` to ``dst`` and summarise its failing requests."""
    har = _load(Path(src))
    scrub = _Scrubber(redactor or Redactor())
    log = har["log"]
    failed: list[FailedRequest] = []
    failed_ids: list[str] = []
    other_ids: list[str] = []
    entries = log["entries"]
    client = _client(log)  # read before the headers are scrubbed
    for entry in _dicts(entries):
        req = _dict(entry.get("request"))
        resp = _dict(entry.get("response"))
        status = _status(resp)
        is_failed = status >= 400 or status == 0 or bool(resp.get("_error") or entry.get("_error"))
        request_id = _request_id(resp)
        scrub.request(req)
        scrub.response(resp, is_failed)
        scrub.private(entry)
        if request_id:
            (failed_ids if is_failed else other_ids).append(request_id)
        if is_failed:
            error = _error(entry, resp, status)
            failed.append(
                FailedRequest(
                    method=str(req.get("method", "GET")),
                    url=str(req.get("url", "")),
                    status=status,
                    started_at=_started(entry),
                    request_id=request_id,
                    error=scrub.text(error) if error else None,
                )
            )
    for page in _dicts(log.get("pages")):
        if isinstance(page.get("title"), str):
            page["title"] = scrub.url(page["title"])
    _write_json(Path(dst), har, _dump_har)
    starts = [f.started_at for f in failed if f.started_at is not None]
    removed = dict(scrub.removed)
    if scrub.text_secrets:
        removed["text_secrets"] = scrub.text_secrets
    return HarSummary(
        entries=len(entries),
        request_ids=list(dict.fromkeys(failed_ids + other_ids)),
        failed=failed,
        first_failure_at=min(starts, key=_utc_key) if starts else None,
        removed=removed,
        client=client,
    )


def _client(log: dict[str, Any]) -> Client:
    """The recording browser: a request's User-Agent first, then ``log.browser``."""
    for entry in _dicts(log.get("entries"))[:50]:
        for header in _dicts(_dict(entry.get("request")).get("headers")):
            if str(header.get("name", "")).lower() == "user-agent":
                found = parse_user_agent(str(header.get("value", "")))
                if found.name is not None:
                    return found
    for key in ("browser", "creator"):
        info = _dict(log.get(key))
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
    head = json.dumps(har, ensure_ascii=False)
    log["entries"] = entries
    tail = "]}}"
    assert head.endswith("[" + tail)
    fh.write(head[: -len(tail)])
    for i, item in enumerate(entries):
        fh.write("\n" if i == 0 else ",\n")
        fh.write(json.dumps(item, ensure_ascii=False))
    fh.write("\n" + tail + "\n")


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

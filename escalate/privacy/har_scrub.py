"""Scrubbing the parts of one HAR entry in place: headers, cookies, URLs, bodies.

What goes and what stays is described in :mod:`escalate.privacy.har`; this module does it,
replacing values with the :class:`~escalate.privacy.redact.Redactor`'s placeholders and
counting the bodies it drops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from escalate.privacy.cookies import value_spans
from escalate.privacy.redact import Redactor
from escalate.privacy.rules import PLACEHOLDER_RE

MASK = "[REDACTED]"

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


class Scrubber:
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
        for h in dicts(items):
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
        for h in dicts(message.get("headers")):
            lowered = str(h.get("name", "")).lower()
            if lowered in _COOKIE_HEADERS and isinstance(h.get("value"), str):
                h["value"] = self.cookie_header(h["value"], _COOKIE_HEADERS[lowered])
        if "cookies" in message:
            message["cookies"] = self.cookies(message["cookies"])

    def request(self, req: dict[str, Any]) -> None:
        if isinstance(req.get("url"), str):
            req["url"] = self.url(req["url"])
        self.headers(req.get("headers"))  # cookies went in the first pass
        for q in dicts(req.get("queryString")):
            if isinstance(q.get("value"), str):
                q["value"] = self.param(str(q.get("name", "")), q["value"])
        post = req.get("postData")
        if isinstance(post, dict):
            self.post_data(post)
        self.private(req)

    def post_data(self, post: dict[str, Any]) -> None:
        text = post.get("text")
        params = dicts(post.get("params"))
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
                ids = [] if binary else body_request_ids(text)
                if ids:  # what support looks up goes on; the rest of the body does not
                    content["_requestIds"] = ids
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


# Request ids an error body names: OpenAI's "req_…", "request ID …" in a message,
# Cloudflare's "Ray ID: …" on an error page.
_BODY_IDS = re.compile(
    r"\b(req_[A-Za-z0-9]{10,64})\b"
    r"|request[ _-]?id[\"']?\s{0,3}[:=]?\s{0,3}[\"']?([A-Za-z0-9][A-Za-z0-9_\-]{7,63})\b"
    r"|ray id:?\s{0,3}(?:<[^<>]{0,40}>\s{0,3})?([0-9a-f]{16})\b",
    re.IGNORECASE,
)
_ID_SCAN_LIMIT = 1 << 20  # an id sits near the top of an error body, not 50 MB into a page


def body_request_ids(text: str) -> list[str]:
    """The request ids a response body mentions, in order, without repeats."""
    found = (next(g for g in m.groups() if g) for m in _BODY_IDS.finditer(text, 0, _ID_SCAN_LIMIT))
    return list(dict.fromkeys(found))


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a HAR may hold anything)."""
    return value if isinstance(value, dict) else {}


def dicts(items: Any) -> list[dict[str, Any]]:
    """The objects in ``items`` if it is a list, else none."""
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

"""HAR builders shared by the tests and the benchmarks.

``sample_har()`` is a small export with planted secrets and known failures;
``write_big_har()`` streams a large one to disk without holding it in memory;
``bench_sanitize()`` times :func:`escalate.privacy.har.sanitize_har` on a generated file.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPORTER = "me@example.com"


def header(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def entry(
    url: str,
    *,
    method: str = "GET",
    status: int = 200,
    started: str = "2025-03-05T14:22:31.000Z",
    request_headers: list[dict[str, str]] | None = None,
    response_headers: list[dict[str, str]] | None = None,
    request_cookies: list[dict[str, Any]] | None = None,
    response_cookies: list[dict[str, Any]] | None = None,
    query: list[dict[str, str]] | None = None,
    post: dict[str, Any] | None = None,
    body: str = "",
    mime: str = "application/json",
    wait: float = 120.5,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One HAR 1.2 entry with realistic fields and timings."""
    req: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "h2",
        "headers": request_headers or [],
        "queryString": query or [],
        "cookies": request_cookies or [],
        "headersSize": -1,
        "bodySize": len(post["text"]) if post and "text" in post else 0,
    }
    if post is not None:
        req["postData"] = post
    item: dict[str, Any] = {
        "startedDateTime": started,
        "time": round(wait + 31.25, 3),
        "request": req,
        "response": {
            "status": status,
            "statusText": {200: "OK", 401: "Unauthorized", 429: "Too Many Requests",
                           502: "Bad Gateway"}.get(status, ""),
            "httpVersion": "h2",
            "headers": response_headers or [],
            "cookies": response_cookies or [],
            "content": {"size": len(body), "mimeType": mime, "text": body},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(body),
        },
        "cache": {},
        "timings": {"blocked": 1.5, "dns": -1, "ssl": -1, "connect": -1, "send": 0.25,
                    "wait": wait, "receive": 29.5},
        "serverIPAddress": "104.18.32.47",
        "_priority": "High",
        "_resourceType": "fetch",
    }
    if extra:
        item.update(extra)
    return item


def wrap(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A complete HAR 1.2 document around ``entries``."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [{"startedDateTime": "2025-03-05T14:22:30.000Z", "id": "page_1",
                       "title": "https://chatgpt.com/c/abc?session_token=pg-SeSsIoN-7777",
                       "pageTimings": {"onContentLoad": 812.4, "onLoad": 1203.9}}],
            "entries": entries,
        }
    }


@dataclass
class Sample:
    """A HAR with planted secrets, and what the sanitiser must find in it."""

    har: dict[str, Any]
    secrets: list[str]
    failed_ids: list[str]
    failed_urls: list[str]
    other_ids: list[str] = field(default_factory=list)


def sample_har() -> Sample:
    """Session cookies, bearer headers, a JWT in a query, a key in a body, 3 failures."""
    session = ("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..Zm9vYmFyYmF6cXV4eHl6.Q2lwaGVy"
               "VGV4dEdvZXNIZXJlMTIzNDU2Nzg5MA.VGFnVmFsdWUxMjM0NTY")
    access_jwt = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLUFCQzEyMyIsImV4cCI6"
                  "MTc0MTE4NDU1MX0.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIzNDU2Nzg5MA")
    query_jwt = ("eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InVwbG9hZCIsImlkIjo0MjQyfQ."
                 "dG9rZW4tc2lnbmF0dXJlLTk4NzY1NDMyMTA")
    api_key = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKl"
    bearer_plain = "opaqueToken_8f3a9c2e7b1d4f6a"
    cf_clearance = "Xy9.Kq2_vB7nM3pL8zR4tW1sD6fG0hJ5-1741184551-1.2.1.1"
    did = "c2f5b7e1-9a3d-4c8e-b6f0-1d2e3f4a5b6c"
    other_email = "colleague@corp.example.org"
    secrets = [session, access_jwt, query_jwt, api_key, bearer_plain, cf_clearance, did,
               other_email, "pg-SeSsIoN-7777", "hunter2-Pa55"]
    cookie_header = (f"__Secure-next-auth.session-token={session}; cf_clearance={cf_clearance}; "
                     f"oai-did={did}")
    req_cookies: list[dict[str, Any]] = [
        {"name": "__Secure-next-auth.session-token", "value": session, "path": "/",
         "httpOnly": True, "secure": True},
        {"name": "cf_clearance", "value": cf_clearance},
        {"name": "oai-did", "value": did},
    ]
    ids = ["req_a1b2c3d4e5f60718293a4b5c6d7e8f90", "req_0f1e2d3c4b5a69788796a5b4c3d2e1f0",
           "req_77777777aaaaaaaabbbbbbbbcccccccc"]
    base_req = [header("Cookie", cookie_header), header("Authorization", f"Bearer {access_jwt}"),
                header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")]
    ok_headers = [header("x-request-id", "req_ok000000000000000000000000000001"),
                  header("cf-ray", "8a1b2c3d4e5f6789-SJC"),
                  header("content-type", "application/json")]
    entries = [
        entry("https://chatgpt.com/backend-api/me", request_headers=base_req,
              request_cookies=req_cookies, response_headers=ok_headers,
              response_cookies=[{"name": "__Secure-next-auth.session-token", "value": session,
                                 "path": "/", "httpOnly": True}],
              body=json.dumps({"email": REPORTER, "name": "Me", "phone": "+1 415 555 0132"}),
              started="2025-03-05T14:22:31.100Z", wait=88.0),
        entry(f"https://files.oaiusercontent.com/upload?access_token={query_jwt}&name=report.pdf",
              method="PUT",
              query=[header("access_token", query_jwt), header("name", "report.pdf")],
              request_headers=[header("Authorization", f"Bearer {bearer_plain}")],
              response_headers=[header("X-Request-ID", ids[0]), header("cf-ray", "8a1b-AMS")],
              status=401, body='{"detail": "token expired"}',
              started="2025-03-05T14:22:32.250Z", wait=45.75),
        entry("https://api.openai.com/v1/chat/completions", method="POST",
              request_headers=[header("Authorization", f"Bearer {api_key}"),
                               header("Content-Type", "application/json")],
              post={"mimeType": "application/json",
                    "text": json.dumps({"api_key": api_key, "cc": other_email,
                                        "password": "hunter2-Pa55", "messages": ["hi"]})},
              response_headers=[header("openai-request-id", "req_ignored_because_x_request_id"),
                                header("x-request-id", ids[1])],
              status=429, body=json.dumps({"error": {"message": f"Rate limit for key {api_key}"}}),
              started="2025-03-05T14:22:33.500Z", wait=310.0),
        entry("https://chatgpt.com/backend-api/conversation", method="POST",
              request_headers=base_req, request_cookies=req_cookies,
              post={"mimeType": "application/json", "text": '{"action": "next"}'},
              response_headers=[header("x-request-id", ids[2])], status=502,
              body="<html>Bad gateway</html>", mime="text/html",
              started="2025-03-05T14:22:34.750Z", wait=1500.0,
              extra={"_initiator": {"type": "script", "url":
                                    f"https://chatgpt.com/app.js?token={bearer_plain}"}}),
        entry("https://cdn.oaistatic.com/assets/app.css", mime="text/css",
              body="body{color:red}" * 20, started="2025-03-05T14:22:35.000Z", wait=12.0,
              response_headers=[header("cf-ray", "8a1b2c3d4e5f0000-SJC")]),
    ]
    return Sample(
        har=wrap(entries),
        secrets=secrets,
        failed_ids=ids,
        failed_urls=["files.oaiusercontent.com", "api.openai.com", "chatgpt.com/backend-api/conv"],
        other_ids=["req_ok000000000000000000000000000001", "8a1b2c3d4e5f0000-SJC"],
    )


_WORDS = ("the", "request", "failed", "with", "status", "code", "upload", "conversation", "model",
          "response", "stream", "token", "limit", "retry", "timeout", "gateway", "user",
          "assistant", "message", "content", "error")


def write_big_har(path: Path, size_mb: int, body_kb: int = 48, seed: int = 7) -> int:
    """Stream a HAR of about ``size_mb`` MB to ``path``; returns the number of entries.

    Every tenth entry fails (500) and keeps its body; bodies are ``body_kb`` KiB of words.
    """
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    body_len = body_kb * 1024
    written = 0
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        head = json.dumps(wrap([]))
        prefix, suffix = head.split('"entries": []')
        fh.write(prefix + '"entries": [\n')
        while written < target:
            words = " ".join(rng.choice(_WORDS) for _ in range(body_len // 6))
            failed = n % 10 == 9
            body = json.dumps({"n": n, "text": words, "contact": f"user{n}@example.net"})
            item = entry(
                f"https://chatgpt.com/backend-api/conversation/{n}?limit=28&token=tk-{n:08d}x",
                method="POST" if n % 3 == 0 else "GET",
                status=500 if failed else 200,
                started=f"2025-03-05T{14 + n // 3600 % 9:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
                request_headers=[header("Authorization", f"Bearer eyJhbGciOiJIUzI1NiJ9.eyJuIjo{n}."
                                        f"c2lnbmF0dXJl{n:06d}"),
                                 header("Cookie", f"__Secure-next-auth.session-token=s{n:012d}")],
                response_headers=[header("x-request-id", f"req_{n:032x}")],
                post={"mimeType": "application/json", "text": '{"q": "hello"}'} if n % 3 == 0
                else None,
                body=body,
                wait=float(n % 997),
            )
            chunk = ("" if n == 0 else ",\n") + json.dumps(item)
            fh.write(chunk)
            written += len(chunk)
            n += 1
        fh.write("\n]" + suffix)
    return n


def bench_sanitize(size_mb: int, body_kb: int = 48) -> float:
    """Seconds :func:`sanitize_har` takes on a generated HAR of ``size_mb`` MB."""
    from escalate.privacy.har import sanitize_har
    from escalate.privacy.redact import Redactor

    with tempfile.TemporaryDirectory(prefix="escalate-bench-") as tmp:
        src = Path(tmp) / "big.har"
        write_big_har(src, size_mb, body_kb)
        start = time.perf_counter()
        sanitize_har(src, Path(tmp) / "sanitized.har", Redactor(REPORTER))
        return time.perf_counter() - start


PROMPT = "Please summarise my medical results: glucose 5.4, my neighbour Ines called twice"


@dataclass
class CookieSample:
    """A HAR with cookies in every shape browsers and tools export, and the user's prompt."""

    har: dict[str, Any]
    values: list[str]
    names: list[str]
    request_ids: list[str]


def cookie_shapes_har() -> CookieSample:
    """Cookies as arrays, as objects, as strings; a multi-line Set-Cookie with a quoted value;
    cookie values repeated in a URL and in Location; a conversation POST holding a prompt."""
    sess = "Fe26.2**8d1c9b7a6e5f4d3c2b1a0918**Qm9keUlzU2VjcmV0**Zx1"
    did = "4a7c1e9f-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
    quoted = "Tm90IGEgcmVhbCBjb29raWU"
    clearance = "Kq2.vB7_nM3pL8zR4tW1sD6fG0hJ5-1741184551-1.2.1.1-aBcDeF"
    puid = "user-AbC123dEf456:1741184551-Zq9"
    legacy = "opaque91xx"
    values = [sess, did, quoted, clearance, puid, legacy]
    names = ["__Secure-next-auth.session-token", "oai-did", "__cf_bm", "cf_clearance", "_puid",
             "legacy"]
    ids = ["req_9f8e7d6c5b4a39281706f5e4d3c2b1a0", "req_0a1b2c3d4e5f60718293a4b5c6d7e8f9"]
    set_cookie = (f'__cf_bm="{quoted}"; path=/; expires=Wed, 05-Mar-25 15:00:00 GMT; '
                  f"domain=.chatgpt.com; HttpOnly; Secure; SameSite=None\n"
                  f"cf_clearance={clearance}; Path=/; Max-Age=31536000\n"
                  f"_puid={puid}; Path=/")
    entries = [
        entry("https://chatgpt.com/backend-api/conversation", method="POST", status=200,
              request_headers=[header("Cookie", f"oai-did={did}; __Secure-next-auth.session-token"
                                                f"={sess}; legacy=\"{legacy}\""),
                               header("Content-Type", "application/json")],
              request_cookies=[{"name": "oai-did", "value": did},
                               {"name": "__Secure-next-auth.session-token", "value": sess}],
              post={"mimeType": "application/json",
                    "text": json.dumps({"action": "next", "messages": [
                        {"author": {"role": "user"}, "content": {"parts": [PROMPT]}}]})},
              response_headers=[header("Set-Cookie", set_cookie),
                                header("x-request-id", ids[0])],
              body=f'data: {{"message": {{"content": {{"parts": ["{PROMPT} — sure"]}}}}}}\n\n',
              mime="text/event-stream"),
        entry(f"https://chatgpt.com/api/auth/callback?state={legacy}&did={did}", status=302,
              response_headers=[header("Location", f"https://chatgpt.com/?session={sess}"),
                                header("x-request-id", ids[1])],
              extra={"response": {"status": 302, "statusText": "Found", "httpVersion": "h2",
                                  "headers": [header("Location",
                                                     f"https://chatgpt.com/?session={sess}"),
                                              header("x-request-id", ids[1])],
                                  "cookies": {"cf_clearance": clearance, "_puid": {"value": puid}},
                                  "content": {"size": 0, "mimeType": "text/html"},
                                  "redirectURL": f"https://chatgpt.com/?session={sess}",
                                  "headersSize": -1, "bodySize": 0}}),
        entry("https://chatgpt.com/backend-api/me", status=401,
              request_cookies="oai-did=" + did + "; cf_clearance=" + clearance,  # type: ignore[arg-type]
              response_headers=[header("x-request-id", "req_ffffeeeeddddccccbbbbaaaa99998888")],
              body=json.dumps({"detail": "Unauthorized", "email": "someone.else@example.net"})),
        entry("https://chatgpt.com/backend-api/models",
              request_cookies=[f"_puid={puid}"],  # type: ignore[list-item]
              response_headers=[header("cf-ray", "8f1e2d3c4b5a6978-FRA")]),
    ]
    return CookieSample(har=wrap(entries), values=values, names=names,
                        request_ids=[*ids, "req_ffffeeeeddddccccbbbbaaaa99998888"])


def hostile_har() -> dict[str, Any]:
    """Terminal escapes in a URL, an error and a request id: a clipboard write (OSC 52), a
    screen clear (CSI 2J), a bell and a right-to-left override."""
    evil = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202egnp.exe"
    return wrap([
        entry(f"https://chatgpt.com/backend-api/{evil}", status=500,
              response_headers=[header("x-request-id", f"req_{evil}")],
              extra={"_error": f"net::ERR_{evil}"}),
    ])

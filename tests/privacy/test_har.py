"""HAR sanitising: nothing secret survives, everything else does, failures are found."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate.errors import EscalateError, OutputError
from escalate.privacy.har import HarError, HarSummary, sanitize_har
from escalate.privacy.redact import Redactor
from tests.har_factory import REPORTER, entry, header, sample_har, wrap, write_big_har


def _write(path: Path, har: dict[str, Any]) -> Path:
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


@pytest.fixture
def sanitized(tmp_path: Path) -> tuple[Any, HarSummary, bytes, dict[str, Any]]:
    sample = sample_har()
    src = _write(tmp_path / "export.har", sample.har)
    dst = tmp_path / "sanitized.har"
    summary = sanitize_har(src, dst, Redactor(reporter_email=REPORTER))
    return sample, summary, dst.read_bytes(), json.loads(dst.read_bytes())


def test_no_secret_survives_in_the_raw_bytes(sanitized: Any) -> None:
    sample, _summary, raw, _har = sanitized
    leaked = [s for s in sample.secrets if s.encode() in raw]
    assert not leaked
    # and not URL-encoded or JSON-escaped either
    assert not [s for s in sample.secrets if json.dumps(s)[1:-1].encode() in raw]


def test_every_entry_and_timing_is_kept(sanitized: Any) -> None:
    sample, summary, _raw, har = sanitized
    before = sample.har["log"]["entries"]
    after = har["log"]["entries"]
    assert har["log"]["version"] == "1.2"
    assert summary.entries == len(after) == len(before) == 5
    for b, a in zip(before, after, strict=True):
        assert a["startedDateTime"] == b["startedDateTime"]
        assert a["time"] == b["time"]
        assert a["timings"] == b["timings"]
        assert a["request"]["method"] == b["request"]["method"]
        assert a["response"]["status"] == b["response"]["status"]
        assert a["response"]["content"]["mimeType"] == b["response"]["content"]["mimeType"]
        assert a["response"]["content"]["size"] == b["response"]["content"]["size"]
        assert [h["name"] for h in a["request"]["headers"]] == [
            h["name"] for h in b["request"]["headers"]
        ]
        assert [c["name"] for c in a["request"]["cookies"]] == [
            c["name"] for c in b["request"]["cookies"]
        ]


def test_summary_lists_failures_and_request_ids_in_order(sanitized: Any) -> None:
    sample, summary, _raw, _har = sanitized
    assert summary.request_ids[:3] == sample.failed_ids
    assert summary.request_ids == sample.failed_ids + sample.other_ids
    assert [f.status for f in summary.failed] == [401, 429, 502]
    assert [f.method for f in summary.failed] == ["PUT", "POST", "POST"]
    assert [f.request_id for f in summary.failed] == sample.failed_ids
    for failure, fragment in zip(summary.failed, sample.failed_urls, strict=True):
        assert fragment in failure.url
    assert [f.error for f in summary.failed] == [
        "401 Unauthorized", "429 Too Many Requests", "502 Bad Gateway"
    ]
    assert summary.first_failure_at == datetime(2025, 3, 5, 14, 22, 32, 250000, tzinfo=UTC)
    assert summary.failed[0].started_at == summary.first_failure_at
    for failure in summary.failed:
        assert not any(s in failure.url for s in sample.secrets)


def test_what_is_masked_and_what_is_kept(sanitized: Any) -> None:
    _sample, summary, _raw, har = sanitized
    first, upload, api, conv, _css = har["log"]["entries"]
    headers = {h["name"]: h["value"] for h in first["request"]["headers"]}
    assert headers["Authorization"].startswith("Bearer [")
    assert headers["Cookie"].startswith("__Secure-next-auth.session-token=[")
    assert "; cf_clearance=[" in headers["Cookie"]
    assert headers["User-Agent"] == "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"
    assert "text" not in first["response"]["content"]  # a successful body holds the chat
    assert upload["request"]["queryString"][1] == {"name": "name", "value": "report.pdf"}
    assert upload["request"]["url"].endswith("&name=report.pdf")
    # bodies are removed by default, even of failing requests; size and type stay
    assert "text" not in upload["response"]["content"]
    assert upload["response"]["content"]["size"] == len('{"detail": "token expired"}')
    assert "text" not in api["request"]["postData"]
    assert api["request"]["postData"]["mimeType"] == "application/json"
    assert "bytes)" in api["request"]["postData"]["comment"]
    assert "[BEARER-TOKEN-1]" in conv["_initiator"]["url"]
    # the same session cookie gets the same placeholder in the header and the cookie array
    cookie_value = first["request"]["cookies"][0]["value"]
    assert headers["Cookie"].split(";")[0].endswith("=" + cookie_value)
    assert summary.removed["cookie"] == 3  # three distinct values, each seen several times
    assert summary.removed["request_body"] == 2
    assert summary.removed["response_body"] == 5
    for kind in ("jwt", "bearer_token", "openai_key"):
        assert summary.removed.get(kind, 0) > 0, kind
    assert summary.removed_text().startswith("1 API key, ")


def test_keep_bodies_keeps_them_redacted(tmp_path: Path) -> None:
    sample = sample_har()
    src = _write(tmp_path / "export.har", sample.har)
    dst = tmp_path / "sanitized.har"
    summary = sanitize_har(src, dst, Redactor(reporter_email=REPORTER), keep_bodies=True)
    raw = dst.read_text()
    assert not [s for s in sample.secrets if s in raw]
    _first, upload, api, _conv, _css = json.loads(raw)["log"]["entries"]
    assert upload["response"]["content"]["text"] == '{"detail": "token expired"}'
    body = json.loads(api["request"]["postData"]["text"])
    assert body["api_key"] == "[OPENAI-KEY-1]" and body["messages"] == ["hi"]
    assert api["response"]["content"]["text"].endswith('key [OPENAI-KEY-1]"}}')
    assert summary.bodies_kept
    assert "request_body" not in summary.removed and "response_body" not in summary.removed


def test_output_is_private_and_written_atomically(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.har", sample_har().har)
    dst = tmp_path / "out" / "sanitized.har"
    dst.parent.mkdir()
    dst.write_text("old")
    sanitize_har(src, dst)
    assert stat.S_IMODE(dst.stat().st_mode) == 0o600
    assert json.loads(dst.read_text())["log"]["entries"]
    assert sorted(p.name for p in dst.parent.iterdir()) == ["sanitized.har"]  # no temp left


def test_refuses_to_write_through_a_symlink(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.har", sample_har().har)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "sanitized.har"
    link.symlink_to(target)
    with pytest.raises(OutputError):
        sanitize_har(src, link)
    assert target.read_text() == "keep me"


def test_network_errors_and_status_zero_are_failures(tmp_path: Path) -> None:
    har = wrap([
        entry("https://chatgpt.com/a", status=0, started="2025-03-05T10:00:05Z",
              extra={"response": {"status": 0, "statusText": "", "headers": [], "cookies": [],
                                  "content": {"size": 0, "mimeType": "x-unknown"},
                                  "redirectURL": "", "headersSize": -1, "bodySize": -1,
                                  "_error": "net::ERR_CONNECTION_RESET"}}),
        entry("https://chatgpt.com/b", status=200, started="2025-03-05T10:00:01Z",
              extra={"_error": "net::ERR_HTTP2_PROTOCOL_ERROR"},
              response_headers=[header("X-Amzn-RequestId", "amzn-4f5e6d")]),
        entry("https://chatgpt.com/c", status=204,
              response_headers=[header("Request-Id", "rid-ok-1")]),
    ])
    summary = sanitize_har(_write(tmp_path / "in.har", har), tmp_path / "out.har")
    assert [f.error for f in summary.failed] == [
        "net::ERR_CONNECTION_RESET", "net::ERR_HTTP2_PROTOCOL_ERROR"
    ]
    assert [f.status for f in summary.failed] == [0, 200]
    assert summary.request_ids == ["amzn-4f5e6d", "rid-ok-1"]
    assert summary.first_failure_at == datetime(2025, 3, 5, 10, 0, 1, tzinfo=UTC)


def test_binary_bodies_dropped_and_private_fields_scrubbed(tmp_path: Path) -> None:
    secret = "sk-proj-Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNnMmLl"
    har = wrap([
        entry("https://files.example/upload", method="POST",
              post={"mimeType": "multipart/form-data; boundary=x",
                    "text": f"--x\r\nContent-Disposition: form-data; name=f\r\n\r\n\x00{secret}"},
              response_headers=[header("OpenAI-Organization", "org-AbCdEf0123456789"),
                                header("Set-Cookie", "sid=abcdef123456; Path=/; HttpOnly"),
                                header("X-Api-Key", "short")],
              body="iVBORw0KGgo" + secret, mime="image/png",
              extra={"_webSocketMessages": [{"type": "send", "time": 1.5, "opcode": 1,
                                             "data": f'{{"auth": "{secret}"}}'}]}),
    ])
    src = _write(tmp_path / "in.har", har)
    summary = sanitize_har(src, tmp_path / "out.har")
    raw = (tmp_path / "out.har").read_text()
    assert secret not in raw and "abcdef123456" not in raw
    out = json.loads(raw)["log"]["entries"][0]
    assert "text" not in out["request"]["postData"]
    assert out["_webSocketMessages"] == []  # the conversation, like a body
    headers = {h["name"]: h["value"] for h in out["response"]["headers"]}
    assert headers["OpenAI-Organization"] == "org-AbCdEf0123456789"  # kept on purpose
    assert headers["Set-Cookie"] == "sid=[COOKIE-1]; Path=/; HttpOnly"
    assert headers["X-Api-Key"] == "[SECRET-1]"
    # the other secret is the page title's session_token parameter
    assert summary.removed == {"cookie": 1, "secret": 2, "request_body": 1, "response_body": 2}
    # with --keep-bodies a binary body still goes; WebSocket frames are kept, redacted
    summary = sanitize_har(src, tmp_path / "kept.har", keep_bodies=True)
    raw = (tmp_path / "kept.har").read_text()
    assert secret not in raw
    out = json.loads(raw)["log"]["entries"][0]
    assert "text" not in out["request"]["postData"]
    assert out["_webSocketMessages"][0]["time"] == 1.5
    assert summary.removed["request_body"] == 1


def test_url_credentials_and_named_params_masked(tmp_path: Path) -> None:
    har = wrap([
        entry("https://bob:pa55word@proxy.example/x?sig=abc&code=4/0AbCd&q=hello+world&state=xyz"),
    ])
    sanitize_har(_write(tmp_path / "in.har", har), tmp_path / "out.har")
    url = json.loads((tmp_path / "out.har").read_text())["log"]["entries"][0]["request"]["url"]
    assert url == ("https://bob:[PASSWORD-1]@proxy.example/x?sig=[SECRET-1]&code=[SECRET-2]"
                   "&q=hello+world&state=[SECRET-3]")


def test_shared_redactor_gives_consistent_placeholders(tmp_path: Path) -> None:
    key = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKl"
    redactor = Redactor()
    assert redactor.redact(f"my key {key}").text == "my key [OPENAI-KEY-1]"
    har = wrap([entry("https://api.openai.com/v1/models",
                      request_headers=[header("Authorization", f"Bearer {key}")])])
    sanitize_har(_write(tmp_path / "in.har", har), tmp_path / "out.har", redactor)
    assert "Bearer [OPENAI-KEY-1]" in (tmp_path / "out.har").read_text()
    assert redactor.counts["openai_key"] == 1  # (the page title adds a session token)


# --------------------------------------------------------------------------- bad input


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    (tmp / "text.har").write_text("this is not json", encoding="utf-8")
    (tmp / "empty.har").write_bytes(b"")
    (tmp / "list.har").write_text("[1, 2, 3]", encoding="utf-8")
    (tmp / "nolog.har").write_text('{"log": {"version": "1.2"}}', encoding="utf-8")
    (tmp / "latin1.har").write_bytes('{"log": {"entries": [], "c": "café"}}'.encode("latin-1"))
    (tmp / "folder.har").mkdir()
    return {
        "missing": tmp / "nope.har",
        "not json": tmp / "text.har",
        "empty": tmp / "empty.har",
        "not a har (list)": tmp / "list.har",
        "not a har (no entries)": tmp / "nolog.har",
        "non-utf8": tmp / "latin1.har",
        "folder": tmp / "folder.har",
    }


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing", "not found"),
        ("not json", "not JSON"),
        ("empty", "not JSON"),
        ("not a har (list)", "not a HAR"),
        ("not a har (no entries)", "no log.entries"),
        ("non-utf8", "not UTF-8"),
        ("folder", "folder"),
    ],
)
def test_bad_input_raises_har_error(tmp_path: Path, case: str, words: str) -> None:
    src = _bad_inputs(tmp_path)[case]
    dst = tmp_path / "out.har"
    with pytest.raises(HarError) as info:
        sanitize_har(src, dst)
    err = info.value
    assert isinstance(err, EscalateError)
    assert words in err.message and "\n" not in err.message
    assert err.hint
    assert not dst.exists()


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    src = tmp_path / "bom.har"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps(wrap([entry("https://x.example/")])).encode())
    assert sanitize_har(src, tmp_path / "out.har").entries == 1


# --------------------------------------------------------------------------- size


def test_large_har_sanitised(tmp_path: Path) -> None:
    src = tmp_path / "big.har"
    n = write_big_har(src, size_mb=5)
    size = src.stat().st_size
    dst = tmp_path / "sanitized.har"
    # How long this takes is the bench's "sanitising a 50 MB HAR" case.
    summary = sanitize_har(src, dst, Redactor(REPORTER))
    assert summary.entries == n
    assert len(summary.failed) == n // 10
    assert summary.request_ids[: len(summary.failed)] == [f.request_id for f in summary.failed]
    raw = dst.read_bytes()
    assert b"session-token=s0000" not in raw and b"token=tk-0000" not in raw
    assert b"@example.net" not in raw
    assert len(json.loads(raw)["log"]["entries"]) == n
    assert os.stat(dst).st_size < size

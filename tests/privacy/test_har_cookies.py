"""Cookies in every shape, bodies and the counts that reach report.json and the messages."""

from __future__ import annotations

import json
from pathlib import Path

from escalate.privacy.har import sanitize_har
from escalate.privacy.redact import Redactor
from tests.har_factory import PROMPT, REPORTER, cookie_shapes_har
from tests.harness import run, write_answers

NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")


def _sanitize(tmp_path: Path, keep_bodies: bool = False) -> tuple[str, dict, object]:
    sample = cookie_shapes_har()
    src = tmp_path / "export.har"
    src.write_text(json.dumps(sample.har), encoding="utf-8")
    dst = tmp_path / "sanitized.har"
    summary = sanitize_har(src, dst, Redactor(REPORTER), keep_bodies=keep_bodies)
    raw = dst.read_text(encoding="utf-8")
    return raw, json.loads(raw), summary


def test_every_cookie_value_goes_in_every_shape(tmp_path: Path) -> None:
    sample = cookie_shapes_har()
    raw, _har, summary = _sanitize(tmp_path)
    for value in sample.values:
        assert value not in raw, value
        assert json.dumps(value)[1:-1] not in raw, value
    assert summary.removed["cookie"] == len(sample.values)  # type: ignore[attr-defined]


def test_every_cookie_name_and_attribute_stays(tmp_path: Path) -> None:
    sample = cookie_shapes_har()
    raw, har, _summary = _sanitize(tmp_path)
    for name in sample.names:
        assert name in raw, name
    first, redirect, me, models = har["log"]["entries"]
    cookie = next(h["value"] for h in first["request"]["headers"] if h["name"] == "Cookie")
    assert cookie.startswith("oai-did=[COOKIE-") and 'legacy="[COOKIE-' in cookie
    set_cookie = next(h["value"] for h in first["response"]["headers"]
                      if h["name"] == "Set-Cookie").split("\n")
    assert set_cookie[0].startswith('__cf_bm="[COOKIE-')
    assert "expires=Wed, 05-Mar-25 15:00:00 GMT; domain=.chatgpt.com; HttpOnly" in set_cookie[0]
    assert set_cookie[1].startswith("cf_clearance=[COOKIE-") and "Max-Age=31536000" in set_cookie[1]
    assert set_cookie[2].startswith("_puid=[COOKIE-")
    # an object of cookies keeps its names; a string of cookies keeps its form
    assert set(redirect["response"]["cookies"]) == {"cf_clearance", "_puid"}
    assert me["request"]["cookies"].startswith("oai-did=[COOKIE-")
    assert models["request"]["cookies"][0].startswith("_puid=[COOKIE-")


def test_a_cookie_value_in_a_url_or_location_gets_the_same_placeholder(tmp_path: Path) -> None:
    _raw, har, _summary = _sanitize(tmp_path)
    first, redirect, _me, _models = har["log"]["entries"]
    session = first["request"]["cookies"][1]["value"]
    did = first["request"]["cookies"][0]["value"]
    location = next(h["value"] for h in redirect["response"]["headers"] if h["name"] == "Location")
    assert location == f"https://chatgpt.com/?session={session}"
    assert redirect["response"]["redirectURL"] == location
    assert redirect["request"]["url"].endswith(f"&did={did}")


def test_bodies_go_with_size_and_type_kept_and_the_prompt_with_them(tmp_path: Path) -> None:
    raw, har, summary = _sanitize(tmp_path)
    assert PROMPT not in raw and "medical results" not in raw
    assert "someone.else@example.net" not in raw
    first = har["log"]["entries"][0]
    assert first["request"]["postData"]["mimeType"] == "application/json"
    assert first["request"]["bodySize"] > 0
    assert first["response"]["content"]["mimeType"] == "text/event-stream"
    assert first["response"]["content"]["size"] > 0
    assert summary.removed["request_body"] == 1  # type: ignore[attr-defined]
    assert summary.removed["response_body"] == 2  # type: ignore[attr-defined]


def test_keep_bodies_keeps_them_with_secrets_replaced(tmp_path: Path) -> None:
    sample = cookie_shapes_har()
    raw, har, summary = _sanitize(tmp_path, keep_bodies=True)
    assert PROMPT in raw  # the user asked for it
    assert not [v for v in sample.values if v in raw]
    assert "someone.else@example.net" not in raw
    assert summary.bodies_kept and "request_body" not in summary.removed  # type: ignore[attr-defined]
    assert "[EMAIL-" in har["log"]["entries"][2]["response"]["content"]["text"]


def test_request_ids_are_kept(tmp_path: Path) -> None:
    sample = cookie_shapes_har()
    raw, _har, summary = _sanitize(tmp_path)
    for rid in sample.request_ids:
        assert rid in raw
    assert summary.request_ids[: 1] == ["req_ffffeeeeddddccccbbbbaaaa99998888"]  # type: ignore[attr-defined]


def _new_with_har(tmp_path: Path, *extra: str) -> tuple[object, Path]:
    sample = cookie_shapes_har()
    har = tmp_path / "chat.har"
    har.write_text(json.dumps(sample.har), encoding="utf-8")
    answers = write_answers(tmp_path / "a.toml")
    result = run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "b"), "--har", str(har),
                 *extra)
    return result, tmp_path / "b"


def test_new_the_prompt_and_cookies_reach_no_bundle_file(tmp_path: Path) -> None:
    result, bundle = _new_with_har(tmp_path)
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    for path in bundle.iterdir():
        data = path.read_bytes()
        assert PROMPT.encode() not in data, path.name
        for value in cookie_shapes_har().values:
            assert value.encode() not in data, (path.name, value)


def test_new_report_json_counts_the_har_and_the_messages_say_so(tmp_path: Path) -> None:
    result, bundle = _new_with_har(tmp_path)
    report = json.loads((bundle / "report.json").read_text())
    counts = report["redaction"]["counts"]
    assert counts["cookie"] == 6 and counts["request_body"] == 1 and counts["response_body"] == 2
    assert report["redaction"]["har"]["cookie"] == 6
    line = next(e["description"] for e in report["evidence"] if e["name"] == "sanitized.har")
    assert line == ("1 failing request; removed: 6 cookie values, 1 other secret, 1 request body, "
                    "2 response bodies")
    assert line in (bundle / "submission.md").read_text()
    out = result.out  # type: ignore[attr-defined]
    assert "Nothing needed scrubbing" not in out
    # the other secret is the session_token in the page title
    assert "Replaced by placeholders: 6 cookie values, 1 other secret." in out
    assert "Removed from the HAR: 1 request body, 2 response bodies." in out


def test_new_keep_bodies_is_said_in_the_report(tmp_path: Path) -> None:
    result, bundle = _new_with_har(tmp_path, "--keep-bodies")
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    report = json.loads((bundle / "report.json").read_text())
    assert report["redaction"]["bodies_kept"] is True
    line = next(e["description"] for e in report["evidence"] if e["name"] == "sanitized.har")
    assert line.endswith("request and response bodies kept, redacted (--keep-bodies)")
    assert "The HAR's bodies were kept, redacted (--keep-bodies)." in result.out  # type: ignore[attr-defined]
    assert PROMPT in (bundle / "sanitized.har").read_text()


def test_har_command_keep_bodies_and_exact_removal_line(tmp_path: Path) -> None:
    sample = cookie_shapes_har()
    har = tmp_path / "chat.har"
    har.write_text(json.dumps(sample.har), encoding="utf-8")
    result = run("har", str(har))
    assert result.code == 0, result.err
    assert ("removed: 6 cookie values, 1 other secret, 1 request body, 2 response bodies"
            in result.out)
    kept = run("har", str(har), "-o", str(tmp_path / "kept.har"), "--keep-bodies")
    assert "bodies kept (--keep-bodies)" in kept.out
    assert PROMPT in (tmp_path / "kept.har").read_text()


def test_a_cookie_without_a_name_is_a_value_too(tmp_path: Path) -> None:
    from tests.har_factory import entry, header, wrap

    har = wrap([
        entry("https://shop.example/login", method="POST",
              request_headers=[header("Cookie", "N4mel3ssV4lue; b=Zz99Yy88")],
              response_headers=[header("Set-Cookie", "SECRET_COOKIE_VALUE; HttpOnly; Secure")]),
    ])
    src = tmp_path / "in.har"
    src.write_text(json.dumps(har), encoding="utf-8")
    sanitize_har(src, tmp_path / "out.har")
    raw = (tmp_path / "out.har").read_text()
    for value in ("N4mel3ssV4lue", "Zz99Yy88", "SECRET_COOKIE_VALUE"):
        assert value not in raw
    assert "; HttpOnly; Secure" in raw


def test_browser_versions_are_not_ip_addresses(tmp_path: Path) -> None:
    from tests.har_factory import entry, header, wrap

    ua = "Mozilla/5.0 (X11) AppleWebKit/537.36 HeadlessChrome/120.0.0.0 Safari/537.36"
    hints = '"Chromium";v="123", "Not:A-Brand";v="8.0.0.0"'
    har = wrap([entry("https://chatgpt.com/", request_headers=[
        header("User-Agent", ua), header("Sec-CH-UA-Full-Version-List", hints),
        header("X-Forwarded-For", "203.0.113.42")])])
    src = tmp_path / "in.har"
    src.write_text(json.dumps(har), encoding="utf-8")
    sanitize_har(src, tmp_path / "out.har")
    raw = (tmp_path / "out.har").read_text()
    assert ua in raw and "8.0.0.0" in raw
    assert "203.0.113.42" not in raw  # the client's own address goes


def test_request_ids_named_in_a_removed_body_are_kept(tmp_path: Path) -> None:
    from tests.har_factory import entry, wrap

    har = wrap([
        entry("https://api.openai.com/v1/responses", method="POST", status=429,
              body=json.dumps({"error": {"message": "Rate limit reached for gpt-4o in "
                                         "organization org-x. request ID "
                                         "req_5e4d3c2b1a0f9e8d7c6b5a49"}})),
        entry("https://chatgpt.com/", status=403, mime="text/html",
              body="<html><p>Cloudflare Ray ID: <strong>8f1e2d3c4b5a6978</strong></p></html>"),
    ])
    src = tmp_path / "in.har"
    src.write_text(json.dumps(har), encoding="utf-8")
    summary = sanitize_har(src, tmp_path / "out.har")
    out = json.loads((tmp_path / "out.har").read_text())["log"]["entries"]
    assert "text" not in out[0]["response"]["content"]  # the body itself is gone
    assert out[0]["response"]["content"]["_requestIds"] == ["req_5e4d3c2b1a0f9e8d7c6b5a49"]
    assert out[1]["response"]["content"]["_requestIds"] == ["8f1e2d3c4b5a6978"]
    assert [f.request_id for f in summary.failed] == [
        "req_5e4d3c2b1a0f9e8d7c6b5a49", "8f1e2d3c4b5a6978"
    ]

"""escalate eml: an RFC 5322 draft whose attachments are byte-identical to the bundle."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from escalate.delivery.eml import attach
from tests.delivery_bundle import digest, make_bundle, sums
from tests.harness import run


def _parse(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_eml_draft_parses_and_its_attachments_match_sha256sums(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    result = run("eml", str(bundle))
    assert result.code == 0, result.err
    out = tmp_path / "bundle.eml"
    assert f"email draft for support@openai.com with 4 attachments: {out}" in result.out
    msg = _parse(out)
    assert msg["X-Unsent"] == "1"
    assert msg["To"] == "support@openai.com"
    assert msg["From"] == "dana.kim@example.org"
    assert msg["Subject"] == ("ChatGPT support request: Data analysis session expires "
                              "within minutes")
    body = msg.get_body(("plain",))
    assert body is not None
    assert body.get_content() == (bundle / "message.txt").read_text(encoding="utf-8")
    listed = sums(bundle)
    found = {}
    for part in msg.iter_attachments():
        name = part.get_filename()
        data = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(data, bytes)
        assert digest(data) == listed[name], name
        found[name] = part.get_content_type()
    assert found == {
        "submission.pdf": "application/pdf",
        "screenshot.png": "image/png",
        "report.json": "application/json",
        "sanitized.har": "application/json",
    }


def test_eml_to_and_out(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "--format", "md,json")
    target = tmp_path / "draft.eml"
    result = run("eml", str(bundle), "--to", "helpdesk@corp.example.org", "--out", str(target))
    assert result.code == 0, result.err
    msg = _parse(target)
    assert msg["To"] == "helpdesk@corp.example.org"
    assert {p.get_filename() for p in msg.iter_attachments()} == {
        "screenshot.png", "report.json", "sanitized.har"}
    again = run("eml", str(bundle), "--out", str(target))
    assert again.code == 1 and "already exists" in again.err
    bad = run("eml", str(bundle), "--to", "not an address")
    assert bad.code == 1 and "email" in bad.err


def test_a_split_message_is_one_body_again(tmp_path: Path) -> None:
    error = "\n".join(f"line {i:04d} of a long trace: failed at step {i}" for i in range(200))
    bundle = make_bundle(tmp_path, "--chat-limit", "1000", "--format", "md,json",
                         error_text=error)
    assert not (bundle / "message.txt").exists()
    assert run("eml", str(bundle), "--out", str(tmp_path / "d.eml")).code == 0
    body = _parse(tmp_path / "d.eml").get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert error in text
    assert "(1/" not in text  # the chat-box markers are not in the mail


def test_a_changed_bundle_is_not_mailed(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "--format", "md,json")
    (bundle / "screenshot.png").write_bytes(b"not the screenshot")
    result = run("eml", str(bundle), "--out", str(tmp_path / "x.eml"))
    assert result.code == 1
    assert "screenshot.png" in result.err and "changed or missing" in result.err
    assert not (tmp_path / "x.eml").exists()


def test_non_ascii_attachment_names_use_rfc_2231() -> None:
    msg = EmailMessage()
    msg.set_content("body")
    attach(msg, "capture d’écran.png", b"\x89PNG")
    raw = msg.as_bytes()
    assert b"filename*=utf-8''capture%20d%E2%80%99%C3%A9cran.png" in raw
    parsed = email.message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == "capture d’écran.png"


def test_a_bundle_from_before_message_txt_gets_its_text_from_submission_md(
        tmp_path: Path) -> None:
    from escalate.render.bundle import write_bundle

    bundle = make_bundle(tmp_path, "--format", "md,json")
    old = tmp_path / "old"
    files = {n: (bundle / n).read_bytes() for n in ("submission.md", "report.json")}
    write_bundle(old, files)  # as escalate wrote bundles before message.txt
    result = run("eml", str(old), "--out", str(tmp_path / "old.eml"))
    assert result.code == 0, result.err
    body = _parse(tmp_path / "old.eml").get_body(("plain",))
    assert body is not None
    assert body.get_content() == (bundle / "message.txt").read_text(encoding="utf-8")

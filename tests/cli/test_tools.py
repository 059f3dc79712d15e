"""The stand-alone tools: redact, har, purge, check-file, triage, status; and HAR in `new`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.har_factory import sample_har
from tests.harness import run, write_answers

NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")


def test_redact_command(tmp_path: Path) -> None:
    src = tmp_path / "log.txt"
    key = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKl"
    src.write_text(f"key {key} from me@example.org and bob@example.net\n")
    result = run("redact", str(src), "--email", "me@example.org")
    assert result.code == 0
    assert result.out == "key [OPENAI-KEY-1] from me@example.org and [EMAIL-1]\n"
    assert "1 API key" in result.err
    missing = run("redact", str(tmp_path / "nope"))
    assert missing.code == 2 and "cannot read" in missing.err


def write_har(tmp_path: Path):
    sample = sample_har()
    path = tmp_path / "session.har"
    path.write_text(json.dumps(sample.har))
    return sample, path


def test_har_command_and_never_overwrites(tmp_path: Path) -> None:
    sample, path = write_har(tmp_path)
    result = run("har", str(path))
    assert result.code == 0, result.err
    out = tmp_path / "session.sanitized.har"
    data = out.read_bytes()
    for secret in sample.secrets:
        assert secret.encode() not in data
    for rid in sample.failed_ids:
        assert rid in result.out
    removed = result.out.strip().splitlines()[-1]
    assert removed == (
        "removed: 1 API key, 2 session tokens, 1 bearer token, 3 cookie values, 1 other secret, "
        "2 request bodies, 5 response bodies"
    ), removed
    assert "_" not in removed
    assert run("har", str(path)).code == 1  # exists: never overwritten
    bad = tmp_path / "bad.har"
    bad.write_text("{not json")
    broken = run("har", str(bad), "-o", str(tmp_path / "x.har"))
    assert broken.code == 1 and len(broken.err.strip().splitlines()) == 2


def test_new_with_har_lists_request_ids_and_bundles_sanitized_har(tmp_path: Path) -> None:
    sample, path = write_har(tmp_path)
    answers = write_answers(tmp_path / "a.toml", request_id=None)
    result = run(*NEW, "--answers", str(answers), "--har", str(path), "--out", str(tmp_path / "b"))
    assert result.code == 0, result.err
    bundle = tmp_path / "b"
    md = (bundle / "submission.md").read_text()
    for rid in sample.failed_ids:
        assert rid in md
    assert "## Failing requests" in md
    raw = (bundle / "sanitized.har").read_bytes()
    har = json.loads(raw)
    assert len(har["log"]["entries"]) == len(sample.har["log"]["entries"])
    for secret in sample.secrets:
        assert secret.encode() not in raw
        assert secret not in md
    report = json.loads((bundle / "report.json").read_text())
    assert report["request_ids"] == sample.failed_ids
    assert "sanitized.har" in (bundle / "SHA256SUMS").read_text()


def test_purge(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    assert run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "b"), "--zip").code == 0
    assert run(*NEW, "--answers", str(answers)).code == 0
    listed = json.loads(run("list", "--json").out)
    assert len(listed) == 2
    refused = run("purge", "--all")
    assert refused.code == 2 and "--yes" in refused.err
    assert run("purge", "--older-than", "30d", "--yes").out.strip() == "nothing to delete"
    done = run("purge", "--all", "--yes")
    assert done.code == 0, done.err
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.zip").exists()
    assert json.loads(run("list", "--json").out) == []
    reports = Path(os.environ["ESCALATE_HOME"]) / "data" / "reports"
    assert not list(reports.iterdir())  # the default bundle went with its report's folder
    assert "/bundle\n" not in done.out  # and is not listed twice
    assert answers.exists()
    assert run("purge", "--older-than", "soon", "--yes").code == 2


def test_check_file(tmp_path: Path) -> None:
    small = tmp_path / "data.csv"
    small.write_text("a,b\n1,2\n")
    big = tmp_path / "photo.png"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)
    result = run("check-file", str(small), str(big))
    assert result.code == 1
    assert "ok    " + str(small) in result.out
    assert "over the 20 MB image limit" in result.out
    assert "1 file will not upload" in result.err


@pytest.mark.parametrize(
    ("error", "first"),
    [
        ("Code interpreter session expired", "Code interpreter / data analysis session expired"),
        ("Your session has expired. Please log in again.", "Signed out or sign-in loop"),
        ("Error in message stream", "Answer cut off: error in the message stream"),
        ("There was an error generating a response", "Answer cut off"),
        ("The message you submitted was too long, please reload the conversation and submit "
         "something shorter.", "Message too long"),
        ("Access denied. Error code 1020", "Access blocked or unusual activity"),
        ("Unusual activity has been detected from your device. Try again later.",
         "Access blocked or unusual activity"),
        ("This content may violate our usage policies.", "Content flagged"),
        ("Too many requests in 1 hour. Try again later.", "Rate limited"),
        ("Something went wrong. If this issue persists please contact us.", "Network error"),
    ],
)
def test_triage_knows_the_common_chatgpt_errors(error: str, first: str) -> None:
    result = run("triage", error)
    assert result.code == 0
    assert result.out.startswith(first), result.out
    assert "  try: " in result.out and "  report: escalate new --template " in result.out


def test_triage_code_interpreter_is_not_a_sign_in_problem() -> None:
    assert "Signed out" not in run("triage", "Code interpreter session expired").out


def test_triage() -> None:
    result = run("triage", "Code interpreter session expired")
    assert result.code == 0
    assert "escalate new --template session-expired" in result.out
    assert "rate-limited" in run("triage", "Error 429: Too Many Requests").out
    assert "No known cause" in run("triage", "the moon is blue").out
    assert run("triage").code == 2


def test_status_command_offline() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run("status", "--url", f"http://127.0.0.1:{port}/summary.json")
    assert result.code == 1 and "status page: offline" in result.err
    assert os.environ["ESCALATE_HOME"]


def test_no_redact_is_explicit_and_recorded(tmp_path: Path) -> None:
    key = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKl"
    answers = write_answers(tmp_path / "a.toml", error_text=f"Incorrect API key provided: {key}")
    scrubbed = run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "a"))
    kept = run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "b"), "--no-redact")
    assert scrubbed.code == 0 and kept.code == 0
    assert key not in (tmp_path / "a" / "submission.md").read_text()
    assert key in (tmp_path / "b" / "submission.md").read_text()
    report_a = json.loads((tmp_path / "a" / "report.json").read_text())
    report_b = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report_a["redaction"] == {
        "enabled": True, "counts": {"openai_key": 1}, "undone": [], "har": {}, "bodies_kept": False
    }
    assert report_b["redaction"]["enabled"] is False
    # The mapping stays in the private history folder, never in the bundle.
    folder = Path(json.loads(run("list", "--json").out)[-1]["folder"])
    maps = list(folder.parent.glob("*/redaction-map.json"))
    assert len(maps) == 1 and key in maps[0].read_text()
    assert oct(maps[0].stat().st_mode & 0o777) == "0o600"
    assert not list((tmp_path / "a").glob("redaction-map*"))


def test_doctor_names_each_check_and_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run("doctor", env={"PATH": str(empty), "DISPLAY": ":99",
                                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("ok    data folder ")
    assert any(line.startswith(("ok    keyring", "warn  keyring: ")) for line in lines)
    assert any(line.startswith("warn  clipboard: no tool") for line in lines)
    assert any(line.startswith("ok    PDF engine (typst)") for line in lines)

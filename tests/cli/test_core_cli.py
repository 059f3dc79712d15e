"""`escalate new` without a terminal: bundle contents, bad input, history."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.harness import ANSWERS, run, write_answers

NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")


def new(tmp_path: Path, *extra: str, out: str = "bundle", **answers: object):
    answers_file = write_answers(tmp_path / "a.toml", **answers)
    return run(*NEW, "--answers", str(answers_file), "--out", str(tmp_path / out), *extra)


def test_new_writes_a_verifiable_bundle(tmp_path: Path) -> None:
    result = new(tmp_path)
    assert result.code == 0, result.err
    bundle = tmp_path / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == [
        "SHA256SUMS",
        "message.txt",
        "report.json",
        "submission.md",
    ]
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True)
        assert check.returncode == 0, check.stdout
    assert run("verify", str(bundle)).code == 0
    md = (bundle / "submission.md").read_text()
    assert "```text\nCode interpreter session expired\n```" in md
    assert "2026-11-20 09:15 IST (Asia/Kolkata) · 2026-11-20 03:45 UTC" in md
    report = json.loads((bundle / "report.json").read_text())
    assert report["schema_version"] == 2
    assert report["occurred_at"]["utc"].startswith("2026-11-20T03:45:00")
    assert report["request_ids"] == [ANSWERS["request_id"]]


def test_private_permissions(tmp_path: Path) -> None:
    assert new(tmp_path).code == 0
    bundle = tmp_path / "bundle"
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o700
    for f in bundle.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_error_text_is_verbatim_and_cannot_break_out(tmp_path: Path) -> None:
    hostile = (
        "Error ```` still inside\n# not a heading\n| a | b |\n<script>alert(1)</script>\n"
        "<!-- hidden --> [x](http://evil.example) **bold** \\ `tick`"
    )
    result = new(tmp_path, error_text=hostile, summary="Hostile | summary # with <b>html</b>")
    assert result.code == 0, result.err
    md = (tmp_path / "bundle" / "submission.md").read_text()
    fence = "`````"  # longer than the longest backtick run (4) inside
    assert f"{fence}text\n{hostile}\n{fence}" in md
    assert "Hostile \\| summary # with \\<b\\>html\\</b\\>" in md
    # Outside the code block there is exactly one level-1 heading.
    outside = md.split(fence)[0] + md.split(fence)[2]
    assert [line for line in outside.splitlines() if line.startswith("# ")] == [
        "# ChatGPT support request: Hostile \\| summary # with \\<b\\>html\\</b\\>"
    ]


def test_control_characters_and_ansi_are_stripped(tmp_path: Path) -> None:
    result = new(tmp_path, error_text="\x1b[31mRed error\x1b[0m\x07 \u202eevil\x00 done")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert report["error_text"] == "Red error evil done"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"email": "not-an-email"}, "email: 'not-an-email' is not a valid email address"),
        ({"email": "a@example.org\r\nBcc: x@example.org"}, "email:"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown timezone 'Mars/Olympus'"),
        ({"occurred_at": "the day before"}, "occurred_at: cannot read 'the day before' as a time"),
        ({"scope": "galaxy"}, "scope: unknown scope 'galaxy'"),
        ({"occurred_at": "2099-01-01T00:00"}, "occurred_at: '2099-01-01T00:00' is in the future"),
        # A pasted paragraph is echoed cut short, on one line, not in full.
        ({"email": "x" * 5000 + "@example.org"}, "email: 'xxxxxxxxxxxxxxxxx"),
        ({"timezone": "Europe/\x1b[2J" + "A" * 300}, "timezone: unknown timezone 'Europe/A"),
    ],
)
def test_bad_answers_get_one_line_and_exit_1(
    tmp_path: Path, override: dict[str, str], message: str
) -> None:
    result = new(tmp_path, **override)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[-2].startswith(f"escalate: error: {message}"), result.err
    assert len(lines[-2]) < 220 and "\x1b" not in result.err
    assert lines[-1].startswith("  hint: ")
    assert "Traceback" not in result.err
    assert not (tmp_path / "bundle").exists()


API_ERROR = (
    "The server had an error while processing your request. Sorry about that! You can retry "
    "your request, or contact us through our help center at help.openai.com if the error "
    "persists. (Please include the request ID 3d9c0b6a5f2e4d1c8b7a6f5e4d3c2b1a in your "
    "message.)\nRay ID: 8f3c1a2b3c4d5e6f-AMS\nreq_77aa88bb99cc00dd11ee and the x-request-id "
    "header said req_77aa88bb99cc00dd11ee again"
)


def test_request_ids_and_summary_come_from_the_error_text(tmp_path: Path) -> None:
    result = new(tmp_path, error_text=API_ERROR, request_id=None, summary=None)
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert report["request_ids"] == [
        "3d9c0b6a5f2e4d1c8b7a6f5e4d3c2b1a", "8f3c1a2b3c4d5e6f-AMS", "req_77aa88bb99cc00dd11ee"
    ]
    # The scope has a row of its own; the summary no longer repeats it.
    assert report["summary"] == "The server had an error while processing your request"


def test_given_request_ids_win_over_the_error_text(tmp_path: Path) -> None:
    result = new(tmp_path, error_text=API_ERROR, request_id="req_given12345")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert report["request_ids"] == ["req_given12345"]


@pytest.mark.parametrize(
    ("first_line", "summary"),
    [
        ("Something went wrong. If this issue persists please contact us.", "Something went wrong"),
        ("Upload failed (request ID req_9c2e7d4b1a3f5e6d0a1b)", "Upload failed"),
        ("word " * 40, "word " * 19 + "word…"),
        ("Network error", "Network error"),
        ("! Unexpected token", "! Unexpected token"),
        ("(request ID req_9c2e7d4b1a3f5e6d0a1b)", "(request ID req_9c2e7d4b1a3f5e6d0a1b)"),
    ],
)
def test_summary_default_is_a_sentence_not_a_cut(
    tmp_path: Path, first_line: str, summary: str
) -> None:
    result = new(tmp_path, error_text=first_line + "\nsecond line", summary=None)
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert report["summary"] == summary


def test_missing_answers_without_terminal_names_each_key(tmp_path: Path) -> None:
    result = new(tmp_path, email=None, scope=None, error_text=None)
    assert result.code == 1
    assert "missing required answer(s): email, error_text, scope" in result.err


def test_set_overrides_answers_file(tmp_path: Path) -> None:
    result = new(tmp_path, "--set", "scope=one-browser", "--set", "browser=Safari 18")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert (report["scope"], report["browser"]) == ("one_browser", "Safari 18")


def test_non_utf8_answers_file(tmp_path: Path) -> None:
    bad = tmp_path / "a.toml"
    bad.write_bytes(b'email = "caf\xe9@example.org"\n')
    result = run(*NEW, "--answers", str(bad), "--out", str(tmp_path / "b"))
    assert result.code == 1
    assert f"answers file {bad} is not UTF-8" in result.err


def test_missing_answers_file(tmp_path: Path) -> None:
    result = run(*NEW, "--answers", str(tmp_path / "nope.toml"))
    assert result.code == 1
    assert "answers file not found:" in result.err


def test_invalid_toml_and_json(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("email = \n")
    (tmp_path / "a.json").write_text('{"email": ')
    for name, kind in (("a.toml", "TOML"), ("a.json", "JSON")):
        result = run(*NEW, "--answers", str(tmp_path / name))
        assert result.code == 1
        assert f"is not valid {kind}" in result.err


def test_json_answers_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(ANSWERS))
    result = run(*NEW, "--answers", str(path), "--out", str(tmp_path / "b"))
    assert result.code == 0, result.err


def test_out_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("keep me")
    result = new(tmp_path, out="taken")
    assert result.code == 1
    assert "is a file, not a folder" in result.err
    assert (tmp_path / "taken").read_text() == "keep me"


def test_earlier_bundle_is_never_overwritten(tmp_path: Path) -> None:
    assert new(tmp_path).code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "bundle").iterdir()}
    result = new(tmp_path, summary="A different report")
    assert result.code == 1
    assert "already holds files" in result.err
    assert {p.name: p.read_bytes() for p in (tmp_path / "bundle").iterdir()} == before


def test_out_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    result = new(tmp_path, out="link")
    assert result.code == 1
    assert "symbolic link" in result.err


def test_zip(tmp_path: Path) -> None:
    import zipfile

    assert new(tmp_path, "--zip").code == 0
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        assert sorted(zf.namelist()) == [
            "bundle/SHA256SUMS",
            "bundle/message.txt",
            "bundle/report.json",
            "bundle/submission.md",
        ]


def test_verify_detects_tampering(tmp_path: Path) -> None:
    assert new(tmp_path).code == 0
    bundle = tmp_path / "bundle"
    (bundle / "submission.md").write_text("changed")
    result = run("verify", str(bundle))
    assert result.code == 1
    assert "submission.md: FAILED" in result.out
    (bundle / "report.json").unlink()
    assert "report.json: MISSING" in run("verify", str(bundle)).out


def test_verify_on_non_bundle(tmp_path: Path) -> None:
    result = run("verify", str(tmp_path))
    assert result.code == 1
    assert "has no SHA256SUMS" in result.err


def test_default_out_is_a_bundle_folder_in_the_history_and_list_show(tmp_path: Path) -> None:
    key = "sk-proj-" + "Ab1" * 12
    error = f"Code interpreter session expired {key}"
    answers = write_answers(tmp_path / "a.toml", error_text=error)
    result = run(*NEW, "--answers", str(answers))
    assert result.code == 0, result.err
    listed = json.loads(run("list", "--json").out)
    assert len(listed) == 1
    rid = listed[0]["id"]
    folder, bundle = Path(listed[0]["folder"]), Path(listed[0]["bundle"])
    assert bundle == folder / "bundle"
    # The bundle holds exactly what may be attached; the private files stay beside it.
    assert sorted(p.name for p in bundle.iterdir()) == [
        "SHA256SUMS", "message.txt", "report.json", "submission.md"
    ]
    private = {p.name for p in folder.iterdir()}
    assert {"answers.toml", "report.json", "bundle.json", "redaction-map.json"} <= private
    assert key in (folder / "redaction-map.json").read_text()  # kept locally, for undo
    assert all(key not in p.read_text() for p in bundle.iterdir())
    verified = run("verify", str(bundle))
    assert verified.code == 0 and "not in SHA256SUMS" not in verified.out + verified.err
    by_record = run("verify", str(folder))  # the report's folder stands for its bundle
    assert by_record.code == 0 and f"bundle {bundle} is intact" in by_record.out
    assert rid in run("list").out
    shown = run("show", rid[:15])
    assert shown.code == 0 and "Code interpreter session expired" in shown.out
    assert run("show", "last", "--json").out.count(rid) >= 1
    missing = run("show", "nope")
    assert missing.code == 1 and "no report with id 'nope'" in missing.err


def test_list_empty_and_show_last_without_reports() -> None:
    assert "no reports yet" in run("list").out
    result = run("show", "last")
    assert result.code == 1 and "no finished reports yet" in result.err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run("new", "--bogus")
    assert result.code == 2
    assert "unrecognized arguments: --bogus" in result.err
    assert run("new", "--set", "novalue").code == 2
    assert run().code == 2


def test_unknown_format(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    result = run(
        "new", "--yes", "--no-screenshot", "--answers", str(answers), "--format", "md,docx"
    )
    assert result.code == 1 and "unknown format(s) docx" in result.err


def test_huge_paste_is_refused_clearly(tmp_path: Path) -> None:
    error = tmp_path / "err.txt"
    error.write_text("x" * 10_000_001)
    answers = write_answers(tmp_path / "a.toml", error_text=None)
    result = run(*NEW, "--answers", str(answers), "--error-file", str(error))
    assert result.code == 1
    assert "error_text: is 10.0 MB; the limit is 1 MB" in result.err


def test_error_file_with_non_utf8_bytes(tmp_path: Path) -> None:
    error = tmp_path / "err.txt"
    error.write_bytes(b"Upload failed \xff\xfe for caf\xc3\xa9.csv")
    answers = write_answers(tmp_path / "a.toml", error_text=None)
    result = run(
        *NEW, "--answers", str(answers), "--error-file", str(error), "--out", str(tmp_path / "b")
    )
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["error_text"] == "Upload failed \ufffd\ufffd for café.csv"


def test_schema_command() -> None:
    result = run("schema")
    schema = json.loads(result.out)
    assert result.code == 0
    assert "error_text" in schema["properties"] and schema["title"] == "escalate report"


def test_relative_times(tmp_path: Path) -> None:
    result = new(tmp_path, occurred_at="10 minutes ago", timezone="Europe/Berlin")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    # harness clock: 2026-11-20 03:47 UTC
    assert report["occurred_at"]["utc"].startswith("2026-11-20T03:37:00")
    assert report["occurred_at"]["local"].startswith("2026-11-20T04:37:00+01:00")


def test_render_writes_a_new_folder_and_leaves_the_source(tmp_path: Path) -> None:
    assert new(tmp_path).code == 0
    source = tmp_path / "bundle"
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    result = run("render", str(source))
    assert result.code == 0, result.err
    out = tmp_path / "bundle.render-1"
    assert {"submission.md", "submission.pdf", "report.json", "SHA256SUMS"} <= {
        p.name for p in out.iterdir()
    }
    assert (out / "submission.md").read_bytes() == before["submission.md"]
    assert run("verify", str(out)).code == 0
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before
    assert run("render", str(source)).code == 0
    assert (tmp_path / "bundle.render-2").is_dir()
    taken = run("render", str(source), "--out", str(out))
    assert taken.code == 1 and "already holds files" in taken.err
    empty = run("render", str(tmp_path))
    assert empty.code == 1 and "has no report.json" in empty.err


def test_render_of_a_history_folder_uses_its_bundle(tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "shot.png"
    Image.new("RGB", (320, 200), (200, 30, 30)).save(shot)
    answers = write_answers(tmp_path / "a.toml")
    created = run("new", "--yes", "--format", "md,json", "--answers", str(answers),
                  "--screenshot-file", str(shot))
    assert created.code == 0, created.err
    folder = Path(json.loads(run("list", "--json").out)[0]["folder"])
    result = run("render", str(folder), "--format", "md,json")
    assert result.code == 0, result.err
    out = folder / "bundle.render-1"  # beside the bundle, inside the report's own folder
    assert {"submission.md", "report.json", "screenshot.png"} <= {p.name for p in out.iterdir()}
    assert len(json.loads(run("list", "--json").out)) == 1  # still one report in the history


def test_the_closing_message_says_what_was_scrubbed(tmp_path: Path) -> None:
    key = "sk-proj-" + "Zx9" * 12
    error = f"boom {key} from bob@corp.example and ann@corp.example"
    result = new(tmp_path, error_text=error)
    assert result.code == 0, result.err
    assert "Replaced by placeholders: 1 API key, 2 other emails." in result.out
    assert key not in result.out + result.err
    clean = new(tmp_path, out="clean")
    assert "Nothing needed scrubbing." in clean.out
    off = new(tmp_path, "--no-redact", out="off", error_text=error)
    assert "Scrubbing was off (--no-redact)" in off.out


def test_an_answer_that_is_one_address_is_kept_addresses_in_text_are_not(
    tmp_path: Path,
) -> None:
    result = new(tmp_path, "--set", "colleague=bob@corp.example",
                 "--set", "note=ask ann@corp.example first", error_text="carl@corp.example")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert report["extra"]["colleague"] == "bob@corp.example"
    assert report["extra"]["note"] == "ask [EMAIL-2] first"
    assert report["error_text"] == "[EMAIL-1]"


def test_error_text_from_standard_input(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml", error_text=None)
    piped = "Error in body stream\n  at  fetch (main.js:1)\n"
    result = run(*NEW, "--answers", str(answers), "--error-file", "-",
                 "--out", str(tmp_path / "b"), stdin=piped)
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["error_text"] == piped.rstrip("\n")


def test_error_text_piped_into_the_program(tmp_path: Path) -> None:
    import subprocess
    import sys

    answers = write_answers(tmp_path / "a.toml", error_text=None)
    env = {"PATH": os.environ.get("PATH", ""), "ESCALATE_HOME": str(tmp_path / "home"),
           "ESCALATE_OFFLINE": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-m", "escalate", *NEW, "--answers", str(answers), "--error-file", "-",
         "--out", str(tmp_path / "b")],
        input=b"Upload failed \xff\xfe (bytes that are not UTF-8)\n", env=env,
        capture_output=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["error_text"] == "Upload failed \ufffd\ufffd (bytes that are not UTF-8)"

"""`escalate new` in a real pseudo-terminal: every prompt answered, then Ctrl-C and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

DOWN, SPACE, ENTER, CTRL_C, CTRL_U = "\x1b[B", " ", "\r", "\x03", "\x15"
pytestmark = pytest.mark.e2e


def spawn(*args: str, home: Path, extra_env: dict[str, str] | None = None) -> pexpect.spawn:
    env = {
        "ESCALATE_HOME": str(home),
        "ESCALATE_OFFLINE": "1",
        "PATH": os.environ.get("PATH", ""),
        "TZ": "Europe/Berlin",
        "TERM": "xterm-256color",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "LANG": "C.UTF-8",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect is no terminal emulator: nobody answers CPR
        **(extra_env or {}),
    }
    child = pexpect.spawn(
        sys.executable, ["-m", "escalate", *args], env=env, encoding="utf-8",
        timeout=20, dimensions=(50, 200),
    )
    child.logfile_read = open(home / "pty.log", "a")  # noqa: SIM115 - closed with the child
    return child


def answer(child: pexpect.spawn, prompt: str, keys: str) -> None:
    child.expect_exact(prompt)
    child.send(keys)


def test_guided_capture_answers_every_prompt(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    child = spawn("new", "--no-screenshot", "--format", "md,json", "--out", str(out), home=tmp_path)
    child.expect_exact("no keyring backend is available")
    answer(child, "Account email", "dana.kim@example" + ENTER)
    child.expect_exact("is not a valid email address")
    # Asked again with the rejected answer in place: fixing the typo is enough.
    answer(child, "Account email", ".org" + ENTER)
    answer(child, "Exact error message", "Code interpreter session expired" + ENTER)
    child.send("  at line 2 with `ticks`" + ENTER + ENTER)
    # A known kind of error: the matching template is offered, and taken.
    answer(child, "This looks like: Code interpreter / data analysis session expired", "y")
    answer(child, "When did it happen?", CTRL_U + "09:15" + ENTER)
    answer(child, "Your timezone", CTRL_U + "Asia/Kolkata" + ENTER)
    answer(child, "Platform", CTRL_U + "macOS 15.1 (arm64)" + ENTER)
    answer(child, "Browser or app", CTRL_U + "Firefox 133" + ENTER)
    answer(child, "Request ID(s)", "req_4f8a9c1e2b3d4f5a6b7c8d9e0f1a2b3c" + ENTER)
    answer(child, "Where does it happen?", DOWN + ENTER)  # all_chats
    answer(child, "What have you already tried?", SPACE + DOWN + SPACE + ENTER)
    answer(child, "One-line summary", CTRL_U + "Sessions expire within minutes" + ENTER)
    answer(child, "Files you had uploaded", "sales-2025.xlsx (8 MB)" + ENTER + ENTER)
    answer(child, "What do you need back", "the cleaned CSV" + ENTER + ENTER)
    answer(child, "How long after starting", "about 10 minutes" + ENTER)
    answer(child, "What now?", ENTER)  # the first choice writes the bundle
    child.expect_exact("Written to")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    md = (out / "submission.md").read_text()
    assert "```text\nCode interpreter session expired\n  at line 2 with `ticks`\n```" in md
    report = json.loads((out / "report.json").read_text())
    assert report["email"] == "dana.kim@example.org"
    assert report["scope"] == "all_chats"
    assert report["steps_tried"] == [
        "Reloaded the page", "Re-uploaded the files and re-ran the analysis"
    ]
    assert report["template"]["name"] == "session-expired"
    assert report["extra"]["files_used"] == "sales-2025.xlsx (8 MB)"
    assert report["occurred_at"]["timezone"] == "Asia/Kolkata"
    assert report["occurred_at"]["local"].endswith("T09:15:00+05:30")
    assert report["browser"] == "Firefox 133"


def test_ctrl_c_keeps_the_draft_and_resume_picks_it_up(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    child = spawn("new", "--no-screenshot", "--format", "md,json", home=tmp_path)
    answer(child, "Account email", "dana.kim@example.org" + ENTER)
    error = "Upload failed: file too large (request ID req_9c2e7d4b1a3f5e6d0a1b)"
    answer(child, "Exact error message", error + ENTER + ENTER)
    answer(child, "This looks like: Upload failed", "n")
    answer(child, "When did it happen?", CTRL_C)
    child.expect_exact("your answers are kept in the draft")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    drafts = list((tmp_path / "data" / "drafts").glob("*.json"))
    assert len(drafts) == 1
    saved = json.loads(drafts[0].read_text())["answers"]
    assert saved["email"] == "dana.kim@example.org"
    assert saved["error_text"] == error

    child = spawn("new", "--resume", "--no-screenshot", "--format", "md,json",
                  "--out", str(out), home=tmp_path)
    # The first question asked is the first one not yet answered.
    index = child.expect_exact(["When did it happen?", "Account email"])
    assert index == 0, "resume asked the email again"
    child.send(CTRL_U + "10 minutes ago" + ENTER)
    answer(child, "Your timezone", ENTER)
    answer(child, "Platform", CTRL_U + "Ubuntu 24.04 (x86_64)" + ENTER)
    answer(child, "Browser or app", CTRL_U + "Chrome 131" + ENTER)
    answer(child, "Request ID(s)", ENTER)  # the id quoted in the error is the default
    answer(child, "Where does it happen?", ENTER)
    answer(child, "What have you already tried?", ENTER)
    answer(child, "One-line summary", ENTER)
    answer(child, "What now?", ENTER)  # the first choice writes the bundle
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = json.loads((out / "report.json").read_text())
    assert report["email"] == "dana.kim@example.org"
    assert report["error_text"] == error
    assert report["request_ids"] == ["req_9c2e7d4b1a3f5e6d0a1b"]
    assert report["summary"] == "Upload failed: file too large (one chat only)"
    assert not list((tmp_path / "data" / "drafts").glob("*.json")), "draft kept after success"


def test_team_template_from_git_through_a_pty(tmp_path: Path) -> None:
    from tests.conftest import require_tool
    from tests.harness import write_answers
    from tests.test_templates import team_repo

    require_tool("git")
    bare, _ = team_repo(tmp_path)
    add = spawn("templates", "add", f"git+file://{bare}", home=tmp_path)
    add.expect(pexpect.EOF)
    add.close()
    assert add.exitstatus == 0
    answers = write_answers(tmp_path / "a.toml")
    out = tmp_path / "bundle"
    child = spawn("new", "--template", "acme-helpdesk", "--answers", str(answers),
                  "--no-screenshot", "--format", "md", "--out", str(out), home=tmp_path)
    # Everything else comes from the answers file: only the team's question is asked.
    answer(child, "Internal ticket", "12" + ENTER)
    child.expect_exact("does not match")
    answer(child, "Internal ticket", CTRL_U + "IT-20417" + ENTER)
    answer(child, "What now?", ENTER)  # the first choice writes the bundle
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    md = (out / "submission.md").read_text()
    for needle in ("| Internal ticket | IT-20417 |", "| Workspace (Acme) | acme-prod |",
                   "| Plan (Acme) | Enterprise |", "Asked the Acme helpdesk"):
        assert needle in md, needle


def test_review_highlights_redactions_and_undoes_one(tmp_path: Path) -> None:
    from tests.harness import write_answers

    key = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKl"
    error = f"Incorrect API key provided: {key}. Ask colleague@corp.example.org"
    answers = write_answers(tmp_path / "a.toml", error_text=error)
    out = tmp_path / "bundle"
    child = spawn("new", "--answers", str(answers), "--no-screenshot", "--format", "md,json",
                  "--out", str(out), home=tmp_path)
    child.expect_exact("Removed before writing: 1 API key, 1 other email")
    assert ">>[OPENAI-KEY-1]<<" in child.before or "\x1b[7m[OPENAI-KEY-1]" in child.before
    answer(child, "What now?", DOWN + ENTER)  # Undo one redaction
    child.expect_exact("Which one is safe to keep?")
    child.expect_exact("[EMAIL-1]")
    # The list is in order of appearance: the key first, the email second.
    child.send(DOWN + ENTER)
    child.expect_exact("Removed before writing: 1 API key")
    answer(child, "What now?", ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    md = (out / "submission.md").read_text()
    assert key not in md and "[OPENAI-KEY-1]" in md
    assert "colleague@corp.example.org" in md
    report = json.loads((out / "report.json").read_text())
    assert report["redaction"]["counts"] == {"openai_key": 1}
    assert report["redaction"]["undone"] == ["[EMAIL-1]"]


def test_screenshot_is_taken_after_a_countdown(tmp_path: Path) -> None:
    import time

    from tests.conftest import require_tool
    from tests.harness import write_answers
    from tests.xvfb import message_window, xvfb

    require_tool("Xvfb", "xmessage", "xclip")
    answers = write_answers(tmp_path / "a.toml")
    out = tmp_path / "bundle"
    with xvfb(800, 600) as server, message_window(server, "Something went wrong"):
        child = spawn("new", "--answers", str(answers), "--delay", "2", "--format", "md,json",
                      "--out", str(out), home=tmp_path, extra_env={"DISPLAY": server.display})
        # The first offer leaves time to bring the failing window to the front.
        child.expect_exact("Capture in 2 seconds (switch to the window with the error)")
        child.expect_exact("No screenshot")
        started = time.monotonic()
        child.send(ENTER)
        child.expect_exact("capturing in 2")
        child.expect_exact("capturing in 1")
        answer(child, "What now?", ENTER)
        waited = time.monotonic() - started
        # With a desktop and a clipboard tool, the last offer puts the text on the clipboard.
        answer(child, "Copy the submission text to the clipboard?", "y")
        child.expect_exact("Copied to the clipboard (xclip)")
        child.expect(pexpect.EOF)
        child.close()
        pasted = subprocess.run(
            ["xclip", "-o", "-selection", "clipboard"],
            env={**os.environ, "DISPLAY": server.display}, capture_output=True, timeout=10,
        ).stdout.decode()
    assert child.exitstatus == 0
    assert waited >= 2.0
    assert pasted == (out / "message.txt").read_text()
    report = json.loads((out / "report.json").read_text())
    assert report["screenshot"]["source"] == "capture"
    assert report["screenshot"]["width"] == 800
    assert "![Screenshot of the error](screenshot.png)" in (out / "submission.md").read_text()

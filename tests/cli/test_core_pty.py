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


class Run:
    """A guided run that counts the questions the person really answers.

    Enter alone accepts what was offered (a detected default, the preselected choice or
    the Detected screen) and is not counted; anything typed or picked is.
    """

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.answered: list[str] = []

    def __call__(self, prompt: str, keys: str) -> None:
        answer(self.child, prompt, keys)
        if keys != ENTER:
            self.answered.append(prompt)

    def screen(self, *shown: str, keys: str) -> None:
        """The Detected screen: check that it shows each of ``shown``, then answer it."""
        self.child.expect_exact("Is this right?")
        for text in shown:
            self.child.expect_exact(text)
        # Picking a line only opens its question, which is counted when it is answered.
        self.child.send(keys)


def test_desktop_browser_report_in_six_answers(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    child = spawn("new", "--format", "md,json", "--out", str(out), home=tmp_path)
    ask = Run(child)
    child.expect_exact("There is no system keyring here")  # said once, in plain words
    ask("Account email", "dana.kim@example" + ENTER)
    child.expect_exact("is not a valid email address")
    # Asked again with the rejected answer in place: fixing the typo is enough.
    ask("Account email", ".org" + ENTER)
    ask("Exact error message", "Code interpreter session expired" + ENTER)
    child.send("  at line 2 with `ticks`" + ENTER + ENTER)
    # The kind of problem is read from the error; the Detected screen shows it, and
    # everything else found, before the time is asked.
    ask.screen("Kind of problem Code interpreter / data analysis session expired", keys=ENTER)
    ask("When did it happen?", CTRL_U + "about 09:15" + ENTER)
    child.expect_exact("(approximate)")
    ask("How far does it reach?", DOWN + ENTER)  # all chats
    ask("What have you already tried?", SPACE + DOWN + SPACE + ENTER)
    ask("optional details support can use", ENTER)  # the template's optional details: no
    # No display here: capture is not offered, the reasons are.
    ask("Screenshot of the error?", DOWN + ENTER)  # the error is not on screen any more
    ask("What now?", ENTER)  # the first choice writes the bundle
    child.expect_exact("Written to")
    ask("Remember dana.kim@example.org for next time?", ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # email (twice: one typo), error, time, scope, steps, screenshot
    assert len(ask.answered) - 1 <= 6, ask.answered
    md = (out / "submission.md").read_text()
    assert "```text\nCode interpreter session expired\n  at line 2 with `ticks`\n```" in md
    assert "No screenshot: the error was no longer on screen" in md
    report = json.loads((out / "report.json").read_text())
    assert report["email"] == "dana.kim@example.org"
    assert report["scope"] == "all_chats"
    assert report["surface"] == "browser"
    assert report["steps_tried"] == [
        "Re-uploaded the files and re-ran the analysis", "Reloaded the page or restarted the app"
    ]
    assert report["template"]["name"] == "session-expired"
    assert report["occurred_at"]["timezone"] == "Europe/Berlin"
    assert report["occurred_at"]["local"].endswith("T09:15:00+01:00")
    assert report["occurred_at"]["approximate"] is True
    assert report["screenshot_problem"] == "the error was no longer on screen"
    # Remembered in the private settings file, so the next report does not ask.
    settings = json.loads((tmp_path / "config" / "settings.json").read_text())
    assert settings["email"] == "dana.kim@example.org"
    assert (tmp_path / "config" / "settings.json").stat().st_mode & 0o777 == 0o600


def test_phone_app_report_in_six_answers(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    child = spawn("new", "--format", "md,json", "--out", str(out), home=tmp_path,
                  extra_env={"TZ": "Asia/Kolkata"})
    ask = Run(child)
    ask("Account email", "ravi@example.in" + ENTER)
    ask("Exact error message", "Conversation not found" + ENTER + ENTER)
    # Where it happened is the first line of the Detected screen: change it to the phone.
    ask.screen(keys=DOWN + ENTER)
    ask("Where did it happen?", DOWN + DOWN + ENTER)
    ask("ChatGPT app version", "1.2025.329" + ENTER)  # the phone's app: its version
    ask.screen("ChatGPT for iOS 1.2025.329", keys=ENTER)
    ask("When did it happen?", CTRL_U + "yesterday 21:30" + ENTER)
    child.expect_exact("= yesterday,")
    ask("How far does it reach?", ENTER)  # one chat, preselected for this kind of problem
    ask("What have you already tried?", ENTER)
    ask("Title of the conversation", "Tax questions for 2025" + ENTER)
    ask("optional details support can use", ENTER)
    ask("Screenshot of the error?", ENTER)  # it happened on another device
    ask("What now?", ENTER)
    child.expect_exact("Written to")
    ask("Remember ravi@example.in for next time?", "n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # email, error, where, the app's version, time, title (and the remember offer)
    assert len(ask.answered) - 1 <= 6, ask.answered
    report = json.loads((out / "report.json").read_text())
    assert report["surface"] == "ios_app"
    assert report["platform"] == "iOS / iPadOS"
    assert report["browser"] == "ChatGPT for iOS 1.2025.329"
    assert report["scope"] == "one_chat"
    assert report["extra"]["conversation_title"] == "Tax questions for 2025"
    assert report["screenshot_problem"] == "it happened on another device"
    # No desktop facts of this computer in a phone report.
    assert report["environment"]["browsers"] == []
    assert report["environment"]["os_name"] is None
    md = (out / "submission.md").read_text()
    assert "Locale" not in md and "Linux" not in md
    assert "| Where | ChatGPT for iOS 1.2025.329 on iOS / iPadOS |" in md
    settings = tmp_path / "config" / "settings.json"
    assert "ravi@example.in" not in settings.read_text()  # declined, and asked only once


def test_har_report_takes_its_facts_from_the_har(tmp_path: Path) -> None:
    from tests.har_factory import entry, header, wrap

    url = "https://chatgpt.com/backend-api/files"
    agent = [header("User-Agent", FIREFOX_UA)]
    entries = [
        entry(url, method="POST", status=200, request_headers=agent,
              response_headers=[header("x-request-id", "req_ok0000001")]),
        entry(url, method="POST", status=413, started="2026-11-20T08:14:05.000Z",
              request_headers=agent, response_headers=[header("x-request-id", "req_fail00001")]),
    ]
    har = tmp_path / "upload.har"
    har.write_text(json.dumps(wrap(entries)))
    out = tmp_path / "bundle"
    child = spawn("new", "--har", str(har), "--format", "md,json", "--out", str(out),
                  home=tmp_path)
    ask = Run(child)
    ask("Account email", "dana.kim@example.org" + ENTER)
    ask("Exact error message", "Upload failed: file too large" + ENTER + ENTER)
    # the HAR's own browser with its version, and the failing request's ID
    ask.screen("Firefox 153.0", "req_fail00001", keys=ENTER)
    ask("When did it happen?", ENTER)  # the failing request's time, in local time
    child.expect_exact("Fri 20 Nov, 09:14 CET, 08:14 UTC")
    ask("How far does it reach?", ENTER)
    ask("What have you already tried?", SPACE + ENTER)
    ask("optional details support can use", ENTER)
    ask("Screenshot of the error?", DOWN + ENTER)
    ask("What now?", ENTER)
    child.expect_exact("Written to")
    ask("Remember dana.kim@example.org for next time?", "n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(ask.answered) <= 6 + 1, ask.answered  # + the remember offer
    report = json.loads((out / "report.json").read_text())
    assert report["browser"] == "Firefox 153.0"
    assert report["request_ids"] == ["req_fail00001"]
    assert report["occurred_at"]["utc"].startswith("2026-11-20T08:14:05")
    assert report["template"]["name"] == "upload-failed"
    assert "sanitized.har" in [e["name"] for e in report["evidence"]]


def test_ctrl_c_keeps_the_draft_and_resume_says_what_it_kept(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    child = spawn("new", "--no-screenshot", "--format", "md,json", home=tmp_path)
    answer(child, "Account email", "dana.kim@example.org" + ENTER)
    error = "Upload failed: file too large (request ID req_9c2e7d4b1a3f5e6d0a1b)"
    answer(child, "Exact error message", error + ENTER + ENTER)
    answer(child, "Is this right?", ENTER)
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
    child.expect_exact("Resuming the draft started")
    child.expect_exact("kept email, error text")
    # The first question asked is the first one not yet answered.
    index = child.expect_exact(["When did it happen?", "Account email"])
    assert index == 0, "resume asked the email again"
    child.send(CTRL_U + "10 minutes ago" + ENTER)
    answer(child, "How far does it reach?", ENTER)
    answer(child, "What have you already tried?", ENTER)
    answer(child, "optional details support can use", ENTER)
    answer(child, "What now?", ENTER)  # the first choice writes the bundle
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = json.loads((out / "report.json").read_text())
    assert report["email"] == "dana.kim@example.org"
    assert report["error_text"] == error
    assert report["request_ids"] == ["req_9c2e7d4b1a3f5e6d0a1b"]
    assert report["summary"] == "Upload failed: file too large"
    assert not list((tmp_path / "data" / "drafts").glob("*.json")), "draft kept after success"


FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"


def test_team_template_from_git_through_a_pty(tmp_path: Path) -> None:
    from tests.conftest import require_tool
    from tests.harness import write_answers
    from tests.templating.test_templates import team_repo

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
    child.expect_exact("doesn't look right")  # in words: never the pattern itself
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

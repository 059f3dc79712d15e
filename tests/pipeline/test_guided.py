"""The guided path in-process, with a scripted prompter: every dead end, every choice.

Each test scripts the answers a person gives and checks what was asked, what was said
back, and what reached the bundle. The real terminal is covered by test_core_pty.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from escalate.model import Browser
from escalate.pipeline.questions import complete_browser
from tests.harness import ENTER, ScriptedPrompter, run, write_answers

EMAIL = "dana.kim@example.org"
NOT_ON_SCREEN = "No screenshot: the error is not on screen any more"


def guided(
    tmp_path: Path, *script: Any, args: tuple[str, ...] = ()
) -> tuple[Any, ScriptedPrompter]:
    prompter = ScriptedPrompter(*script)
    result = run(
        "new", "--format", "md,json", "--out", str(tmp_path / "bundle"), *args,
        prompter=prompter, interactive=True,
        env={"TZ": "Europe/Berlin", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    return result, prompter


def bundle(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    folder = tmp_path / "bundle"
    md = (folder / "submission.md").read_text()
    return md, json.loads((folder / "report.json").read_text())


# The answers of a typical desktop report, in the order they are asked.
def desktop(error: str = "Something went wrong", *, when: str = "09:15") -> list[Any]:
    return [
        EMAIL,  # Account email
        error,  # Exact error message
        ENTER,  # Detected screen: everything is right
        when,  # When did it happen?
        "All chats",  # How far does it reach?
        ["Started a new chat"],  # What have you already tried?
    ]


def finish(*screenshot: Any) -> list[Any]:
    return [*(screenshot or (NOT_ON_SCREEN,)), ENTER, False]  # review: write; remember: no


def test_a_typical_report_asks_six_questions(tmp_path: Path) -> None:
    result, p = guided(tmp_path, *desktop(), *finish())
    assert result.code == 0, result.err
    assert p.asked[:6] == [
        "Account email (the one you sign in to ChatGPT with)",
        "Exact error message (paste it as shown)",
        "Is this right?",
        "When did it happen?",
        "How far does it reach?",
        "What have you already tried?",
    ]
    assert p.asked[6:] == [
        "Screenshot of the error?",
        "What now?",
        f"Remember {EMAIL} for next time? It is kept in escalate's private settings file "
        "(readable by you only).",
    ]
    md, report = bundle(tmp_path)
    assert report["scope"] == "all_chats"
    assert report["steps_tried"] == ["Started a new chat"]
    assert "No screenshot: the error was no longer on screen" in md


def test_a_rejected_answer_is_asked_again_with_the_typo_in_place(tmp_path: Path) -> None:
    script = desktop()
    script[0:1] = ["dana.kim@example", f"{EMAIL}"]
    result, p = guided(tmp_path, *script, *finish())
    assert result.code == 0, result.err
    assert p.asked[0] == p.asked[1]  # the email, twice
    assert p.offered[1] == "dana.kim@example"
    assert len(p.warnings) == 1
    warning = p.warnings[0]
    assert "is not a valid email address" in warning
    assert not warning.startswith("email:")  # words, not a key name


def test_an_empty_required_answer_says_what_to_type_including_not_sure(tmp_path: Path) -> None:
    script = desktop()
    script[1:2] = ["", "Network error"]
    result, p = guided(tmp_path, *script, *finish())
    assert result.code == 0, result.err
    assert "paste the exact error message" in p.warnings[0]


def test_a_required_fact_accepts_not_sure_and_no_regex_is_shown(tmp_path: Path) -> None:
    script = [
        EMAIL, "Upload failed", ENTER, "09:15", "One chat only", [],
        True,  # add the optional details
        ENTER,  # file type: its default
        "a lot", "not sure",  # file size: unreadable, then not sure
        ENTER,  # extension: skipped
        *finish(),
    ]
    result, p = guided(tmp_path, *script)
    assert result.code == 0, result.err
    assert any("doesn't look right" in w for w in p.warnings)
    for warning in p.warnings:
        assert not re.search(r"\\[ds]|\(\?i\)|\[KMGT\]|file_size", warning), warning
    md, report = bundle(tmp_path)
    assert report["template"]["name"] == "upload-failed"
    assert report["extra"]["file_size"] == "not sure"
    assert "not checked: the size is not known" in md
    assert "- File: type not given, size not known\n- Limits:" in md  # each on its own line
    assert "size alone does not explain" not in md  # no invented facts


def test_other_lets_a_step_of_ones_own_be_typed(tmp_path: Path) -> None:
    script = desktop()
    script[5] = ["Started a new chat", "Other…"]
    result, p = guided(tmp_path, *script, "asked ChatGPT to rerun; waited an hour", *finish())
    assert result.code == 0, result.err
    assert "What else did you try?" in p.asked
    _, report = bundle(tmp_path)
    assert report["steps_tried"] == [
        "Started a new chat", "asked ChatGPT to rerun", "waited an hour"
    ]


def test_every_checklist_has_the_core_steps_and_other(tmp_path: Path) -> None:
    from escalate.templating.discovery import CORE_STEPS, load_template, search_path

    for name in ("openai-support", "session-expired", "upload-failed",
                 "conversation-not-found", "rate-limited", "api-error"):
        checklist = load_template(name, search_path(env={})).checklist
        assert set(CORE_STEPS) <= set(checklist), name


@pytest.mark.parametrize(
    ("choice", "typed", "reason"),
    [
        ("No screenshot: it happened on another device", None, "it happened on another device"),
        (NOT_ON_SCREEN, None, "the error was no longer on screen"),
        ("No screenshot: I'd rather not include one", None,
         "the reporter chose not to include one"),
        ("No screenshot, for another reason…", "it was on a work laptop",
         "it was on a work laptop"),
    ],
)
def test_a_missing_screenshot_carries_its_reason(
    tmp_path: Path, choice: str, typed: str | None, reason: str
) -> None:
    screenshot = [choice, typed] if typed else [choice]
    result, _ = guided(tmp_path, *desktop(), *finish(*screenshot))
    assert result.code == 0, result.err
    md, report = bundle(tmp_path)
    assert report["screenshot"] is None
    assert report["screenshot_problem"] == reason
    assert f"No screenshot: {reason}" in md


def test_an_attached_screenshot_file(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "phone.png"
    Image.new("RGB", (390, 844), (250, 250, 250)).save(image)
    Image.open(image).load()
    result, p = guided(tmp_path, *desktop(), *finish("Attach an image file", str(image)))
    assert result.code == 0, result.err
    assert "Image file to attach (PNG or JPEG)" in p.asked
    _, report = bundle(tmp_path)
    assert report["screenshot"]["source"] == "file"


def test_the_kind_of_problem_follows_the_error_and_can_be_changed(tmp_path: Path) -> None:
    script = [
        EMAIL, "Code interpreter session expired",
        -1, "Rate limited (429 / usage cap) (rate-limited)",  # the last line: the kind
        ENTER, "09:15", "All chats", [],
        "Plus",  # the rate-limited template's required plan
        False,  # no optional details
        *finish(),
    ]
    result, p = guided(tmp_path, *script)
    assert result.code == 0, result.err
    screen = p.choices[0]
    assert screen[-1].endswith("(template session-expired)")  # read from the error
    _, report = bundle(tmp_path)
    assert report["template"]["name"] == "rate-limited"
    assert report["extra"]["plan"] == "Plus"


def test_a_phone_report_keeps_this_computers_facts_out(tmp_path: Path) -> None:
    script = [
        EMAIL, "Something went wrong",
        1, "In the ChatGPT app on an Android phone or tablet",  # Where → Android
        ENTER,  # its version: not sure (Enter)
        3, "ChatGPT 1.2025.329",  # the Browser or app line, changed after all
        ENTER, "10 minutes ago", "All chats", [],
        ENTER,  # screenshot: it happened on another device (the default here)
        ENTER, False,
    ]
    result, p = guided(tmp_path, *script)
    assert result.code == 0, result.err
    assert p.choices[-2][0] == "No screenshot: it happened on another device"
    assert "ChatGPT app version (in the app: Settings, then About)" in p.asked
    md, report = bundle(tmp_path)
    assert report["surface"] == "android_app"
    assert report["platform"] == "Android"
    assert report["browser"] == "ChatGPT 1.2025.329"
    assert report["environment"] == {
        "os_name": None, "os_version": None, "arch": None, "timezone": None,
        "utc_offset": None, "locale": None, "browsers": [], "default_browser": None,
        "desktop_app": None, "proxy_vars": [], "vpn_interfaces": [], "python": None,
    }
    assert "Locale" not in md and "Proxy" not in md


def test_the_time_is_said_back_with_its_date_and_utc(tmp_path: Path) -> None:
    result, _ = guided(tmp_path, *desktop(when="about an hour ago"), *finish())
    assert result.code == 0, result.err
    # The frozen clock is 2026-11-20 03:47 UTC: an hour earlier in Berlin.
    assert "= today, Fri 20 Nov, 03:47 CET, 02:47 UTC (approximate)" in result.err
    md, report = bundle(tmp_path)
    assert report["occurred_at"]["approximate"] is True
    assert "| When | about 2026-11-20 03:47 CET" in md


def test_a_clock_time_still_ahead_today_is_yesterday_and_says_so(tmp_path: Path) -> None:
    result, _ = guided(tmp_path, *desktop(when="14:05"), *finish())
    assert result.code == 0, result.err
    assert "= yesterday, Thu 19 Nov, 14:05 CET, 13:05 UTC" in result.err


def test_a_time_in_the_future_is_refused(tmp_path: Path) -> None:
    script = desktop(when="today 23:00")
    script.insert(4, "09:15")
    result, p = guided(tmp_path, *script, *finish())
    assert result.code == 0, result.err
    assert p.warnings and "is in the future" in p.warnings[0]
    _, report = bundle(tmp_path)
    assert report["occurred_at"]["approximate"] is False


def test_a_typed_browser_name_gets_the_installed_version() -> None:
    installed = [Browser(name="Firefox", version="153.0"), Browser(name="Edge", version="131.0")]
    assert complete_browser("firefox", installed) == "Firefox 153.0"
    assert complete_browser("edge", installed) == "Edge 131.0"
    assert complete_browser("Firefox 128", installed) == "Firefox 128"  # as typed
    assert complete_browser("Safari", installed) == "Safari"


def test_review_edit_undo_and_write(tmp_path: Path) -> None:
    key = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKl"
    error = f"The chat shows my key {key}. Ask colleague@corp.example.org"
    script = desktop(error)
    review = [
        "Undo one redaction", 1,  # the email (second in order of appearance)
        "Edit the submission text in $EDITOR", lambda text: text + "\nAdded by hand.\n",
        "Write the bundle with exactly this content",
    ]
    result, p = guided(tmp_path, *script, NOT_ON_SCREEN, *review, False)
    assert result.code == 0, result.err
    md, report = bundle(tmp_path)
    assert key not in md and "[OPENAI-KEY-1]" in md
    assert "colleague@corp.example.org" in md
    assert md.endswith("Added by hand.\n")
    assert report["redaction"]["undone"] == ["[EMAIL-1]"]
    assert "Which one is safe to keep?" in p.asked


def test_review_stop_keeps_the_draft_and_exits_130(tmp_path: Path) -> None:
    script = [*desktop(), NOT_ON_SCREEN, "Stop here (your answers stay in the draft)"]
    result, _ = guided(tmp_path, *script)
    assert result.code == 130
    assert not (tmp_path / "bundle").exists()
    drafts = list(Path(_home(), "data", "drafts").glob("*.json"))
    assert len(drafts) == 1
    assert json.loads(drafts[0].read_text())["answers"]["email"] == EMAIL


def test_the_email_is_remembered_once_and_not_asked_again(tmp_path: Path) -> None:
    result, _ = guided(tmp_path / "one", *desktop(), NOT_ON_SCREEN, ENTER, True)
    assert result.code == 0, result.err
    result, p = guided(tmp_path / "two", *desktop()[1:], NOT_ON_SCREEN, ENTER)
    assert result.code == 0, result.err
    assert p.asked[0] == "Exact error message (paste it as shown)"  # the email is known
    assert any(line.startswith("Email") and "(remembered)" in line for line in p.choices[0])
    assert not any(q.startswith("Remember") for q in p.asked)  # offered only once
    _, report = bundle(tmp_path / "two")
    assert report["email"] == EMAIL


def test_a_draft_resumed_says_what_it_kept(tmp_path: Path) -> None:
    class Interrupting(ScriptedPrompter):
        def ask(self, question: Any, default: Any) -> Any:
            if question.key == "occurred_at":
                raise KeyboardInterrupt
            return super().ask(question, default)

    interrupting = Interrupting(EMAIL, "Network error", ENTER)
    result = run("new", "--format", "md", prompter=interrupting, interactive=True,
                 env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.code == 130
    result, p = guided(tmp_path, *desktop()[3:], NOT_ON_SCREEN, ENTER, False,
                       args=("--resume",))
    assert result.code == 0, result.err
    assert "kept email, error text, where, system" in result.err
    assert p.asked[0] == "When did it happen?"


def test_har_answers_the_api_template_without_a_question(tmp_path: Path) -> None:
    from tests.har_factory import entry, header, wrap

    url = "https://api.openai.com/v1/responses"
    entries = [
        entry(url, method="POST", status=200,
              response_headers=[header("x-request-id", "req_good0000000001")]),
        entry(url, method="POST", status=500,
              response_headers=[header("x-request-id", "req_fail0000000001")]),
    ]
    har = tmp_path / "t.har"
    har.write_text(json.dumps(wrap(entries)))
    answers = tmp_path / "a.toml"
    answers.write_text(
        'email = "dana.kim@example.org"\nerror_text = "500 Internal server error"\n'
        'scope = "all_chats"\nmodel = "gpt-5"\n'
    )
    result = run("new", "--template", "api-error", "--answers", str(answers), "--har", str(har),
                 "--yes", "--no-screenshot", "--out", str(tmp_path / "bundle"))
    assert result.code == 0, result.err
    md, report = bundle(tmp_path)
    assert report["request_ids"] == ["req_fail0000000001"]
    assert report["extra"]["endpoint"] == "POST /v1/responses"
    assert report["extra"]["status_code"] == "500"
    assert "req_fail0000000001" in md and "POST /v1/responses" in md
    assert "| HTTP status | 500 |" in md
    for name in ("submission.md", "report.json"):
        assert "req_good0000000001" not in (tmp_path / "bundle" / name).read_text()


def test_a_har_recorded_on_another_system_describes_that_device(tmp_path: Path) -> None:
    from tests.har_factory import entry, header, wrap

    edge = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.86 Safari/537.36 Edg/131.0.2903.86")
    entries = [entry("https://chatgpt.com/backend-api/files", method="POST", status=413,
                     request_headers=[header("User-Agent", edge)],
                     response_headers=[header("x-request-id", "req_fail0000000002")])]
    har = tmp_path / "t.har"
    har.write_text(json.dumps(wrap(entries)))
    answers = write_answers(tmp_path / "a.toml", surface=None, platform=None, browser=None)
    result = run("new", "--answers", str(answers), "--har", str(har), "--yes",
                 "--no-screenshot", "--format", "md,json", "--out", str(tmp_path / "bundle"),
                 env={"TZ": "UTC"})
    assert result.code == 0, result.err
    md, report = bundle(tmp_path)
    assert report["browser"] == "Edge 131.0"
    # The tests run on Linux: the HAR came from another device, whose facts are its own.
    assert report["surface"] == "other_device"
    assert report["platform"] == "Windows"
    assert report["environment"]["browsers"] == []
    assert report["environment"]["os_name"] is None
    assert "| Where | Edge 131.0 on Windows |" in md


def test_a_har_far_from_the_stated_time_is_pointed_out(tmp_path: Path) -> None:
    from tests.har_factory import entry, header, wrap

    entries = [entry("https://chatgpt.com/backend-api/conversation", method="POST", status=502,
                     started="2026-11-10T08:00:00.000Z",
                     response_headers=[header("x-request-id", "req_old0000000001")])]
    har = tmp_path / "t.har"
    har.write_text(json.dumps(wrap(entries)))
    answers = write_answers(tmp_path / "a.toml")
    result = run("new", "--answers", str(answers), "--har", str(har), "--yes",
                 "--no-screenshot", "--format", "md", "--out", str(tmp_path / "bundle"))
    assert result.code == 0, result.err
    assert "more than a day from the time you gave" in result.err
    md = (tmp_path / "bundle" / "submission.md").read_text()
    assert "| 2026-11-10 08:00:00 |" in md  # the failing request's date is shown


def _home() -> str:
    import os

    return os.environ["ESCALATE_HOME"]

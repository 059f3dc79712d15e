"""One boundary: nothing from outside reaches a terminal or submission.md as a live control.

A hostile HAR, a hostile team template and hostile answers carry a clipboard write (OSC 52),
a screen clear (CSI 2J), a bell and a right-to-left override; every surface that shows them
(``har``, ``templates list|show``, the review screen, ``show``, ``status``, error messages,
submission.md, message.txt, report.json, sanitized.har) shows them visibly instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from escalate.text import Styled, visible
from tests.har_factory import hostile_har
from tests.harness import run, write_answers

EVIL = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202egnp.exe"
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\x9d")


def assert_inert(surface: str, text: str) -> None:
    found = [repr(c) for c in RAW if c in text]
    assert not found, f"{surface}: raw {', '.join(found)} in {text!r}"


def test_visible_shows_controls_and_keeps_text() -> None:
    assert visible("a\x1b[2Jb\u202ec\x07\r\nd\te") == "a\\x1b[2Jb<U+202E>c\\x07\nd\te"
    assert visible("plain ünïcode ✓ 👩‍💻") == "plain ünïcode ✓ 👩‍💻"  # ZWJ emoji stay
    assert visible("\u200b\ufeff\x9b") == "<U+200B><U+FEFF>\\x9b"
    styled = Styled("\x1b[7m[EMAIL-1]\x1b[0m")
    assert visible(styled) is styled


def _team(root: Path) -> Path:
    folder = root / "hostile"
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text(
        'name = "hostile"\n'
        f'title = "Helpdesk {json.dumps(EVIL)[1:-1]}"\n'
        f'description = "Desc {json.dumps(EVIL)[1:-1]}"\n'
        'extends = "openai-support"\n'
        "[[questions]]\n"
        'key = "ticket"\n'
        f'prompt = "Ticket {json.dumps(EVIL)[1:-1]}"\n'
        f'help = "Help {json.dumps(EVIL)[1:-1]}"\n',
        encoding="utf-8",
    )
    (folder / "submission.md.j2").write_text(
        '{% extends "openai-support/submission.md.j2" %}\n'
        "{% block extra_rows %}\n{{ super() }}\n| Team | "
        + EVIL
        + " |\n{% endblock %}\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Path]:
    har = tmp_path / "hostile.har"
    har.write_text(json.dumps(hostile_har()), encoding="utf-8")
    answers = write_answers(
        tmp_path / "a.toml",
        error_text=f"boom {EVIL} (copied from bob@corp.example)",
        summary=f"Summary {EVIL}",
        steps_tried=[f"Reloaded {EVIL}"],
        ticket=f"IT-1 {EVIL}",
    )
    return {"har": har, "templates": _team(tmp_path / "team"), "answers": answers}


def test_har_command(hostile: dict[str, Path], tmp_path: Path) -> None:
    result = run("har", str(hostile["har"]), "-o", str(tmp_path / "s.har"))
    assert result.code == 0, result.err
    assert_inert("escalate har", result.out + result.err)
    assert "\\x1b]52;c;" in result.out  # shown, so the reader sees something odd was there
    assert_inert("sanitized.har", (tmp_path / "s.har").read_text(encoding="utf-8"))


def test_templates_list_and_show(hostile: dict[str, Path]) -> None:
    team = str(hostile["templates"])
    listed = run("templates", "--template-dir", team, "list")
    assert listed.code == 0, listed.err
    assert "hostile" in listed.out
    assert_inert("templates list", listed.out + listed.err)
    shown = run("templates", "show", "hostile", "--template-dir", team)
    assert shown.code == 0, shown.err
    assert "<U+202E>" in shown.out
    assert_inert("templates show", shown.out + shown.err)


def test_error_messages(tmp_path: Path) -> None:
    missing = tmp_path / f"no{EVIL}.har"
    result = run("har", str(missing))
    assert result.code == 1
    assert_inert("error message", result.out + result.err)


class _Prompter:
    """Answers every question with its default, writes the bundle at the review."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(self, question: Any, default: Any) -> Any:
        self.asked.append(question.key)
        return default if default not in (None, "") else "IT-2"

    def confirm(self, message: str, default: bool = True) -> bool:
        return False

    def choose(self, message: str, choices: list[str], default: str | None = None) -> str:
        return choices[0]

    def path(self, message: str) -> str:
        raise AssertionError("no path is asked")

    def edit(self, text: str) -> str:
        return text

    def warn(self, message: str) -> None:
        pass


def _new(hostile: dict[str, Path], tmp_path: Path, **env: str) -> Any:
    return run(
        "new", "--no-screenshot", "--format", "md,json", "--template", "hostile",
        "--template-dir", str(hostile["templates"]), "--answers", str(hostile["answers"]),
        "--har", str(hostile["har"]), "--out", str(tmp_path / "bundle"),
        interactive=True, prompter=_Prompter(), env=env,
    )


def test_review_screen_submission_and_show(hostile: dict[str, Path], tmp_path: Path) -> None:
    result = _new(hostile, tmp_path, NO_COLOR="1")
    assert result.code == 0, result.err
    assert "What now?" not in result.err  # (asked through the prompter, not printed)
    assert "Team | \\x1b]52;c;" in result.err  # the review screen showed the submission
    assert_inert("review screen and closing message", result.out + result.err)
    bundle = tmp_path / "bundle"
    for name in ("submission.md", "message.txt", "report.json", "sanitized.har"):
        assert_inert(name, (bundle / name).read_text(encoding="utf-8"))
    shown = run("show", "last")
    assert shown.code == 0, shown.err
    assert "Team | \\x1b]52;c;" in shown.out
    assert_inert("escalate show", shown.out + shown.err)


def test_review_colour_is_our_own_only(hostile: dict[str, Path], tmp_path: Path) -> None:
    result = _new(hostile, tmp_path)
    assert result.code == 0, result.err
    ours = result.err.replace("\x1b[7m", "").replace("\x1b[0m", "")
    assert "\x1b[7m[" in result.err  # placeholders highlighted
    assert_inert("review screen in colour", ours + result.out)


class _StatusPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({
            "status": {"indicator": f"minor{EVIL}", "description": f"Degraded {EVIL}"},
            "incidents": [{"name": f"Login errors {EVIL}", "status": "investigating"}],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def status_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _StatusPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/summary.json"
    server.shutdown()


def test_status_command(status_url: str) -> None:
    result = run("status", "--url", status_url)
    assert result.code == 0, result.err
    assert "Degraded" in result.out and "Login errors" in result.out
    assert_inert("escalate status", result.out + result.err)

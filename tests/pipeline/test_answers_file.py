"""answers.toml round-trips whatever a person typed, so `repeat` always finds it readable."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from escalate.pipeline.answers import dump_answers_toml
from escalate.storage.history import ReportStore
from escalate.storage.paths import paths
from tests.harness import run

# Characters TOML forbids raw in a string: DEL, NUL, other C0 controls, and the quote and
# backslash that a hand-written writer has to escape.
AWKWARD = 'a\x7fb \x00\x1b[31m "quoted" \\ back\tslash \u2028 é'


def test_dump_round_trips_awkward_text() -> None:
    answers = {"email": "a@example.org", "note": AWKWARD, "steps_tried": [AWKWARD, "x"]}
    data = tomllib.loads(dump_answers_toml(answers, "openai-support", "1.0"))
    assert data["answers"] == answers
    assert (data["answers_version"], data["template"], data["template_version"]) == (
        1,
        "openai-support",
        "1.0",
    )


def test_set_with_a_control_character_then_repeat_last(tmp_path: Path) -> None:
    common = ("--yes", "--no-screenshot", "--format", "md,json")
    first = run(
        "new",
        *common,
        "--set", "email=a@example.org",
        "--set", "error_text=Code interpreter session expired",
        "--set", "scope=all_chats",
        "--set", "note=a\x7fb",
        "--out", str(tmp_path / "one"),
    )  # fmt: skip
    assert first.code == 0, first.err
    (record,) = ReportStore(paths(os.environ)).all()
    saved = tomllib.loads((record.folder / "answers.toml").read_text(encoding="utf-8"))
    assert saved["answers"]["note"] == "a\x7fb"

    second = run("repeat", "last", *common, "--out", str(tmp_path / "two"))
    assert second.code == 0, second.err
    a = json.loads((tmp_path / "one" / "report.json").read_text())
    b = json.loads((tmp_path / "two" / "report.json").read_text())
    assert a["id"] != b["id"]
    assert b["extra"]["note"] == a["extra"]["note"]
    assert b["error_text"] == "Code interpreter session expired"

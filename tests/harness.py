"""In-process CLI harness: run ``escalate`` with our own streams, never patching sys.argv."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from escalate.cli.console import Console
from escalate.cli.main import main

FROZEN_NOW = datetime(2026, 11, 20, 3, 47, tzinfo=UTC)

ANSWERS = {
    "email": "dana.kim@example.org",
    "surface": "browser",
    "error_text": "Code interpreter session expired",
    "occurred_at": "2026-11-20T09:15",
    "timezone": "Asia/Kolkata",
    "platform": "macOS 15.1 (arm64)",
    "browser": "Firefox 133",
    "request_id": "req_4f8a9c1e2b3d4f5a6b7c8d9e0f1a2b3c",
    "scope": "all_chats",
    "steps_tried": ["Reloaded the page", "Started a new chat"],
    "summary": "Data analysis session expires within minutes",
}


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(
    *argv: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    prompter: Any = None,
    interactive: bool = False,
) -> Result:
    """Run escalate in-process with an isolated, offline environment."""
    full_env = {
        "ESCALATE_HOME": os.environ["ESCALATE_HOME"],
        "ESCALATE_OFFLINE": "1",
        "PATH": os.environ.get("PATH", ""),
        "TZ": "UTC",
    }
    full_env.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    console = Console(
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        env=full_env,
        clock=lambda: FROZEN_NOW,
        interactive=interactive,
        prompter_factory=(lambda c: prompter) if prompter is not None else None,
    )
    code = main(list(argv), console=console)
    return Result(code, out.getvalue(), err.getvalue())


def write_answers(path: Path, **overrides: Any) -> Path:
    """An answers TOML file with the standard answers, some overridden or removed (None)."""
    answers = {k: v for k, v in {**ANSWERS, **overrides}.items() if v is not None}
    path.write_text(tomli_w.dumps(answers), encoding="utf-8")
    return path


ENTER: Any = object()  # in a script: take what the prompt offered


class ScriptedPrompter:
    """A prompter that answers from a list and records every question it was asked.

    Each script item answers the next prompt, whatever its kind (question, choice,
    confirm, path, edit): a value, or ``ENTER`` to take what was offered. A prompt with
    no answer left is a test failure, never a hang.
    """

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []  # every prompt, in order
        self.offered: list[Any] = []  # what each prompt offered as its default
        self.warnings: list[str] = []
        self.choices: list[list[str]] = []  # the choices of each choose()

    def _next(self, prompt: str, default: Any) -> Any:
        self.asked.append(prompt)
        self.offered.append(default)
        if not self.answers:
            raise AssertionError(f"no scripted answer left for {prompt!r}; asked: {self.asked}")
        value = self.answers.pop(0)
        return default if value is ENTER else value

    def ask(self, question: Any, default: Any) -> Any:
        return self._next(question.prompt, default)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def confirm(self, message: str, default: bool = True) -> bool:
        return bool(self._next(message, default))

    def choose(self, message: str, choices: list[str], default: str | None = None) -> str:
        self.choices.append(list(choices))
        picked = self._next(message, default if default is not None else choices[0])
        if isinstance(picked, int):  # an index into the choices, as arrow keys would pick
            return choices[picked]
        if picked not in choices:
            # a prefix picks the one choice that starts with it, as a person reads it
            matches = [c for c in choices if c.startswith(str(picked))]
            assert len(matches) == 1, f"{picked!r} is not one of {choices}"
            return matches[0]
        return str(picked)

    def path(self, message: str) -> str:
        return str(self._next(message, ""))

    def edit(self, text: str) -> str:
        value = self._next("edit", text)
        return str(value(text) if callable(value) else value)

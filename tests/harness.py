"""In-process CLI harness: run ``escalate`` with our own streams, never patching sys.argv."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    from escalate.pipeline.answers import _toml_value

    answers = {**ANSWERS, **overrides}
    lines = [f"{k} = {_toml_value(v)}" for k, v in answers.items() if v is not None]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

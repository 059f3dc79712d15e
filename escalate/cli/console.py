"""The world as the CLI sees it: streams, terminal, clock, environment variables.

Tests build a :class:`Console` with their own streams and a scripted prompter; the real
one wraps ``sys`` and a questionary/prompt_toolkit prompter on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from escalate.text import visible

if TYPE_CHECKING:
    from escalate.pipeline.questions import Prompter
    from escalate.templating.manifest import Question


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Console:
    """Everything the CLI touches outside the process, in one replaceable object."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = _utcnow
    interactive: bool | None = None
    prompter_factory: Callable[[Console], Prompter] | None = None

    @property
    def is_interactive(self) -> bool:
        if self.interactive is not None:
            return self.interactive
        return _isatty(self.stdin) and _isatty(self.stdout)

    @property
    def offline(self) -> bool:
        return self.env.get("ESCALATE_OFFLINE", "") not in ("", "0")

    def prompter(self) -> Prompter:
        factory = self.prompter_factory or TerminalPrompter
        return factory(self)

    def read_input(self) -> bytes:
        """All of standard input, as bytes: a real stdin's buffer, or a test's text."""
        buffer = getattr(self.stdin, "buffer", None)
        return bytes(buffer.read()) if buffer is not None else self.stdin.read().encode()

    # The terminal boundary: whatever a command prints (a HAR's URL, a template's title, a
    # file name) shows its control and bidi characters instead of obeying them.
    def out(self, text: str = "") -> None:
        print(visible(text), file=self.stdout, flush=True)

    def err(self, text: str) -> None:
        print(visible(text), file=self.stderr, flush=True)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class TerminalPrompter:
    """Questions on a real terminal with questionary; multi-line text with prompt_toolkit."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def warn(self, message: str) -> None:
        self.console.err(f"  ! {message}")

    def ask(self, question: Question, default: Any) -> Any:
        import questionary

        if question.help:
            self.console.out(f"  ({question.help})")
        if question.type == "multiline":
            return self._multiline(question, default)
        # A team template's prompt and choices go to questionary, not out(): same boundary.
        prompt = visible(question.prompt)
        if question.type == "choice":
            choices = question.choices
            chosen = next((c for c in choices if default and c.startswith(str(default))), None)
            items = [questionary.Choice(visible(c), value=c) for c in choices]
            return questionary.select(prompt, choices=items, default=chosen).unsafe_ask()
        if question.type == "multichoice":
            picked = set(default or [])
            items = [
                questionary.Choice(visible(c), value=c, checked=c in picked)
                for c in question.choices
            ]
            return questionary.checkbox(
                prompt,
                choices=items,
                instruction="(space to tick, enter to go on)",
            ).unsafe_ask()
        if question.type == "bool":
            return questionary.confirm(prompt, default=bool(default)).unsafe_ask()
        text = ", ".join(default) if isinstance(default, list) else str(default or "")
        return questionary.text(prompt, default=text).unsafe_ask()

    def _multiline(self, question: Question, default: Any) -> str:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

        @bindings.add("enter")
        def _enter(event: Any) -> None:
            buf = event.current_buffer
            # Enter on an empty line finishes, even with nothing typed (an empty answer is
            # then said to be needed, or skips an optional question): never a dead end.
            if buf.document.current_line.strip() == "":
                buf.validate_and_handle()
            else:
                buf.insert_text("\n")

        self.console.out(f"? {question.prompt}")
        self.console.out("  (Enter on an empty line finishes; Ctrl-X Ctrl-E opens $EDITOR)")
        session: PromptSession[str] = PromptSession(
            multiline=True, key_bindings=bindings, enable_open_in_editor=True
        )
        text = session.prompt(
            "  ", default=str(default or ""), prompt_continuation=lambda width, n, soft: "  "
        )
        return text.rstrip("\n")

    def confirm(self, message: str, default: bool = True) -> bool:
        import questionary

        return bool(questionary.confirm(visible(message), default=default).unsafe_ask())

    def choose(self, message: str, choices: list[str], default: str | None = None) -> str:
        import questionary

        items = [questionary.Choice(visible(c), value=c) for c in choices]
        picked = questionary.select(visible(message), choices=items, default=default)
        return str(picked.unsafe_ask())

    def path(self, message: str) -> str:
        import questionary

        return str(questionary.path(message).unsafe_ask())

    def edit(self, text: str) -> str:
        import shlex
        import subprocess
        import tempfile
        from pathlib import Path

        editor = self.console.env.get("VISUAL") or self.console.env.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory(prefix="escalate-edit-") as tmp:
            path = Path(tmp) / "submission.md"
            path.write_text(text, encoding="utf-8")
            try:
                subprocess.run([*shlex.split(editor), str(path)], check=False)
            except OSError as exc:
                self.warn(f"cannot start the editor {editor!r}: {exc.strerror}; text unchanged")
                return text
            return path.read_text(encoding="utf-8", errors="replace")

"""Questions as a typed manifest, and the engine that asks only what is still unknown.

The engine never touches a terminal: a :class:`Prompter` is injected. Answer precedence
is explicit (``--set``) › answers file › draft › template default › detected default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from escalate.errors import InvalidAnswer, MissingAnswers
from escalate.facts.browsers import parse_browser
from escalate.model import Browser, Scope, Surface
from escalate.pipeline import answers as A
from escalate.pipeline.when import EXAMPLES, parse_occurred_at
from escalate.templating.discovery import CORE_STEPS
from escalate.templating.engine import evaluate_condition, render_string, run_validator
from escalate.templating.manifest import Question
from escalate.text import clean_text, shorten

SCOPE_CHOICES = [s.label for s in Scope]
SURFACE_CHOICES = [s.label for s in Surface]
OTHER_STEP = "Other…"


def core_questions(steps: Sequence[str] = CORE_STEPS) -> list[Question]:
    """The questions OpenAI support asks for, in the order a person thinks of them."""
    return [
        Question(
            key="email",
            type="email",
            required=True,
            prompt="Account email (the one you sign in to ChatGPT with)",
            help="support finds your account by it; escalate remembers it for next time",
        ),
        Question(
            key="error_text",
            type="multiline",
            required=True,
            prompt="Exact error message (paste it as shown)",
            help="copy the wording exactly as shown; it is kept verbatim",
        ),
        Question(
            key="surface",
            type="choice",
            required=True,
            choices=SURFACE_CHOICES,
            prompt="Where did it happen?",
            help="a phone app or another device keeps this computer's details out of the report",
        ),
        Question(
            key="timezone",
            required=True,
            prompt="Your time zone",
            help="an IANA name such as Europe/Berlin, America/Chicago or Asia/Kolkata",
        ),
        Question(
            key="platform",
            required=True,
            prompt="Operating system",
            help="e.g. Windows 11, macOS 15.1, iOS 18.2, Android 15",
        ),
        Question(
            key="browser",
            prompt="Browser or app, with its version",
            help="e.g. Firefox 153, Chrome 131, ChatGPT app 1.2025.329; 'not sure' is fine",
        ),
        Question(
            key="occurred_at",
            type="datetime",
            required=True,
            prompt="When did it happen?",
            help=EXAMPLES + "; a guess is fine",
        ),
        Question(
            key="request_id",
            prompt="Request ID(s), if the error showed one",
            help="e.g. req_4f8a9c1e… from the error or the x-request-id header; empty if none",
        ),
        Question(
            key="scope",
            type="choice",
            required=True,
            choices=SCOPE_CHOICES,
            prompt="How far does it reach?",
            help="support checks your account first when it happens everywhere",
        ),
        Question(
            key="steps_tried",
            type="multichoice",
            choices=[*steps, OTHER_STEP],
            prompt="What have you already tried?",
            help="space ticks a step, Enter goes on; Other… lets you type your own",
        ),
        Question(
            key="summary",
            required=True,
            prompt="One-line summary for support",
            help="the first line support reads",
        ),
    ]


class Prompter(Protocol):
    """What the engine needs from a terminal; tests pass a scripted one."""

    def ask(self, question: Question, default: Any) -> Any:
        """Ask one question; return the raw answer. Raises KeyboardInterrupt/EOFError."""

    def warn(self, message: str) -> None:
        """Show a validation problem before the question is asked again."""

    def confirm(self, message: str, default: bool = True) -> bool:
        """A yes/no question outside the manifest (review, overwrite...)."""

    def choose(self, message: str, choices: list[str], default: str | None = None) -> str:
        """Pick one of ``choices``."""

    def path(self, message: str) -> str:
        """Ask for a file path."""

    def edit(self, text: str) -> str:
        """Let the person edit ``text`` (in $EDITOR); returns the result."""


@dataclass
class Detected:
    """What the machine and the evidence found, offered as defaults (never forced)."""

    now: datetime
    timezone: str
    platform: str | None = None
    browser: str | None = None
    email: str | None = None
    installed: Sequence[Browser] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)  # from the HAR: request_id, …


def validate_answer(q: Question, raw: Any, answers: Mapping[str, Any], d: Detected) -> Any:
    """Normalise one raw answer for question ``q``; raises :class:`InvalidAnswer`."""
    key = q.key
    if key == "email" or q.type == "email":
        return A.parse_email(raw) if (raw or q.required) else None
    if key == "timezone":
        return A.parse_timezone(raw)
    if key == "occurred_at" or q.type == "datetime":
        tz = A.parse_timezone(answers.get("timezone") or d.timezone)
        return parse_occurred_at(raw, d.now, tz)
    if key == "scope":
        return A.parse_scope(raw)
    if key == "surface":
        return A.parse_surface(raw)
    if key == "request_id":
        ids = A.parse_request_ids("" if A.is_not_sure(raw) else raw or "")
        if q.required and not ids and not A.is_not_sure(raw):
            raise InvalidAnswer(key, "needs an answer", _empty_hint(q))
        return ids
    if key == "steps_tried":
        return [s for s in A.parse_steps(raw or []) if s != OTHER_STEP]
    if key == "error_text":
        return A.parse_error_text(raw)
    if key == "browser" and raw and not A.is_not_sure(raw):
        return complete_browser(A.parse_line(key, raw), d.installed)
    return _validate_generic(q, raw, answers)


def complete_browser(typed: str, installed: Sequence[Browser]) -> str:
    """``"firefox"`` → ``"Firefox 153.0"`` when that browser is installed; else as typed."""
    parsed = parse_browser(typed)
    if parsed.version is None:
        for browser in installed:
            if browser.name.lower() == parsed.name.lower() and browser.version:
                return browser.display
    return parsed.display if parsed.version else typed


def _empty_hint(q: Question) -> str:
    example = f"{q.help}; " if q.help else ""
    return f"{example}type 'not sure' if you don't know"


def _validate_generic(q: Question, raw: Any, answers: Mapping[str, Any]) -> Any:
    if q.type == "bool":
        return _to_bool(q.key, raw)
    if q.type == "multichoice":
        values = A.parse_steps(raw or [])
        _check_choices(q, values)
        return values
    if q.type == "multiline":
        value = clean_text(str(raw or "")).strip("\n")
    else:
        value = A.parse_line(q.key, raw or "", required=False)
    if A.is_not_sure(value):
        return A.NOT_SURE  # a fact nobody at hand knows is an answer, never a dead end
    if q.required and not value.strip():
        raise InvalidAnswer(q.key, "needs an answer", _empty_hint(q))
    if q.type == "choice" and value:
        _check_choices(q, [value])
    if q.pattern and value and not re.fullmatch(q.pattern, value):
        raise InvalidAnswer(q.key, f"{shorten(value, 60)!r} doesn't look right", _empty_hint(q))
    if value and getattr(q, "validator", None):
        problem = run_validator(q, value, answers)
        if problem:
            raise InvalidAnswer(q.key, problem, q.help or None)
    return value


def _check_choices(q: Question, values: list[str]) -> None:
    for value in values:
        if q.choices and value not in q.choices and not A.is_not_sure(value):
            raise InvalidAnswer(q.key, f"{value!r} is not one of: {', '.join(q.choices)}")


def _to_bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"y", "yes", "true", "1", "on"}:
        return True
    if text in {"n", "no", "false", "0", "off", ""}:
        return False
    raise InvalidAnswer(key, f"{raw!r} is not yes or no")


def default_for(q: Question, answers: Mapping[str, Any], d: Detected) -> Any:
    """The default offered for ``q``: template default (may use earlier answers), then
    what the evidence found (a HAR's failing request), then what this machine shows."""
    if q.default is not None:
        if isinstance(q.default, str) and "{{" in q.default:
            return render_string(q.default, dict(answers))
        return q.default
    if q.key in d.facts:
        fact = d.facts[q.key]
        if q.key == "request_id":
            from_error = A.find_request_ids(str(answers.get("error_text") or ""))
            return ", ".join(dict.fromkeys([*from_error, *fact])) or None
        return fact
    detected: dict[str, Any] = {
        "email": d.email,
        "occurred_at": "now",
        "timezone": d.timezone,
        "platform": d.platform,
        "browser": d.browser,
        "surface": Surface.BROWSER.value,
        "request_id": ", ".join(A.find_request_ids(str(answers.get("error_text") or ""))) or None,
        "summary": summary_default(answers),
    }
    return detected.get(q.key)


def summary_default(answers: Mapping[str, Any]) -> str | None:
    """The error's first sentence, without the request ids that have their own field."""
    error = str(answers.get("error_text") or "").strip()
    if not error:
        return None
    line = error.splitlines()[0].strip()
    first = line
    for rid in A.find_request_ids(line):  # the ids have their own field
        first = re.sub(rf"\s*\([^()]*{re.escape(rid)}[^()]*\)", "", first)
    return _first_sentence(first.strip(), 100) or _first_sentence(line, 100)


def _first_sentence(line: str, limit: int) -> str:
    """The line's first sentence, or its first words up to ``limit`` characters."""
    end = re.search(r"[.!?](?=\s|$)", line)
    if end and 0 < end.start() < limit:
        return line[: end.start()]
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def is_asked(q: Question, answers: Mapping[str, Any]) -> bool:
    """Evaluate ``when`` (a sandboxed Jinja expression over earlier answers)."""
    if not q.when:
        return True
    return evaluate_condition(q.when, dict(answers))


def fill(
    questions: Sequence[Question],
    answers: MutableMapping[str, Any],
    defaults: Detected,
    prompter: Prompter | None,
    on_answer: Callable[[str, Any], None] = lambda k, v: None,
    ask_all: bool = False,
) -> MutableMapping[str, Any]:
    """Validate the given answers, then ask for the missing ones (or raise MissingAnswers).

    With a prompter and ``ask_all``, every question is asked with the known value as its
    default, so a person can confirm or change it.
    """
    missing: list[str] = []
    for q in questions:
        if not is_asked(q, answers):
            continue
        given = q.key in answers and answers[q.key] not in (None, "", [])
        if given and not (ask_all and prompter):
            answers[q.key] = validate_answer(q, answers[q.key], answers, defaults)
            continue
        default = answers[q.key] if given else default_for(q, answers, defaults)
        if prompter is None:
            if default is not None:
                answers[q.key] = validate_answer(q, default, answers, defaults)
            elif q.required:
                missing.append(q.key)
            continue
        answers[q.key] = ask_until_valid(q, default, answers, defaults, prompter)
        on_answer(q.key, answers[q.key])
    if missing:
        raise MissingAnswers(missing)
    return answers


# Question types whose rejected answer comes back as the next default.
_RETYPED = frozenset({"text", "email", "datetime"})


def ask_until_valid(
    q: Question, default: Any, answers: Mapping[str, Any], d: Detected, prompter: Prompter
) -> Any:
    """Ask ``q`` until its answer validates; each problem is said in words, then asked again."""
    return ask_with_raw(q, default, answers, d, prompter)[1]


def ask_with_raw(
    q: Question, default: Any, answers: Mapping[str, Any], d: Detected, prompter: Prompter
) -> tuple[Any, Any]:
    """As :func:`ask_until_valid`, also returning what was typed (``"about 14:00"``)."""
    while True:
        raw = prompter.ask(q, default)
        try:
            return raw, validate_answer(q, raw, answers, d)
        except InvalidAnswer as problem:
            prompter.warn(f"{problem.reason} — {problem.hint}" if problem.hint else problem.reason)
            if isinstance(raw, str) and q.type in _RETYPED and "\n" not in raw:
                default = raw  # asked again with the typo in place, to fix rather than retype

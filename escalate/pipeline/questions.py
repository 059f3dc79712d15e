"""Questions as a typed manifest, and the engine that asks only what is still unknown.

The engine never touches a terminal: a :class:`Prompter` is injected. Answer precedence
is explicit (``--set``) › answers file › draft › template default › detected default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from escalate.errors import InvalidAnswer, MissingAnswers
from escalate.model import Scope
from escalate.pipeline import answers as A
from escalate.templating.engine import evaluate_condition, render_string, run_validator
from escalate.templating.manifest import Question
from escalate.text import clean_text

DEFAULT_STEPS = (
    "Reloaded the page",
    "Started a new chat",
    "Logged out and back in",
    "Cleared cache and cookies",
    "Tried another browser or the app",
    "Disabled browser extensions",
    "Tried without VPN or proxy",
    "Checked status.openai.com",
)


SCOPE_CHOICES = [f"{s.value} — {s.label}" for s in Scope]


def core_questions(steps: Sequence[str] = DEFAULT_STEPS) -> list[Question]:
    """The questions OpenAI support asks for, in the order a person thinks of them."""
    return [
        Question(
            key="email",
            type="email",
            required=True,
            prompt="Account email (the one you sign in to ChatGPT with)",
        ),
        Question(
            key="error_text",
            type="multiline",
            required=True,
            prompt="Exact error message (paste it as shown)",
            help="Copy the wording exactly as shown; it is kept verbatim.",
        ),
        Question(
            key="occurred_at",
            type="datetime",
            required=True,
            prompt="When did it happen?",
            help="e.g. 14:32, yesterday 9:05, 10 minutes ago, 2026-11-20 14:32, now",
        ),
        Question(key="timezone", required=True, prompt="Your timezone (IANA name)"),
        Question(key="platform", required=True, prompt="Platform / operating system"),
        Question(key="browser", prompt="Browser or app (name and version)"),
        Question(
            key="request_id",
            prompt="Request ID(s), if shown (empty if none)",
            help="Shown in some errors or in the x-request-id header; comma-separated",
        ),
        Question(
            key="scope",
            type="choice",
            required=True,
            choices=SCOPE_CHOICES,
            prompt="Where does it happen?",
        ),
        Question(
            key="steps_tried",
            type="multichoice",
            choices=list(steps),
            prompt="What have you already tried?",
        ),
        Question(key="summary", required=True, prompt="One-line summary for support"),
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
class Defaults:
    """Detected values offered as defaults (never forced)."""

    now: datetime
    timezone: str
    platform: str | None = None
    browser: str | None = None
    email: str | None = None


def validate_answer(q: Question, raw: Any, answers: Mapping[str, Any], d: Defaults) -> Any:
    """Normalise one raw answer for question ``q``; raises :class:`InvalidAnswer`."""
    key = q.key
    if key == "email" or q.type == "email":
        return A.parse_email(raw) if (raw or q.required) else None
    if key == "timezone":
        return A.parse_timezone(raw)
    if key == "occurred_at" or q.type == "datetime":
        tz = A.parse_timezone(answers.get("timezone") or d.timezone)
        return A.parse_occurred_at(raw, d.now, tz)
    if key == "scope":
        return A.parse_scope(str(raw).split(" ", 1)[0])
    if key == "request_id":
        ids = A.parse_request_ids(raw or "")
        if q.required and not ids:
            raise InvalidAnswer(key, "cannot be empty", q.help or "this template needs one")
        return ids
    if key == "steps_tried":
        return A.parse_steps(raw or [])
    if key == "error_text":
        return A.parse_error_text(raw)
    return _validate_generic(q, raw, answers)


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
    if q.required and not value:
        raise InvalidAnswer(q.key, "cannot be empty", q.help or None)
    if q.type == "choice" and value:
        _check_choices(q, [value])
    if q.pattern and value and not re.fullmatch(q.pattern, value):
        raise InvalidAnswer(q.key, f"{value[:60]!r} does not match {q.pattern}", q.help or None)
    if value and getattr(q, "validator", None):
        problem = run_validator(q, value, answers)
        if problem:
            raise InvalidAnswer(q.key, problem, q.help or None)
    return value


def _check_choices(q: Question, values: list[str]) -> None:
    for value in values:
        if q.choices and value not in q.choices:
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


def default_for(q: Question, answers: Mapping[str, Any], d: Defaults) -> Any:
    """The default offered for ``q``: template default (may use earlier answers), then detected."""
    if q.default is not None:
        if isinstance(q.default, str) and "{{" in q.default:
            return render_string(q.default, dict(answers))
        return q.default
    detected: dict[str, Any] = {
        "email": d.email,
        "occurred_at": "now",
        "timezone": d.timezone,
        "platform": d.platform,
        "browser": d.browser,
        "request_id": ", ".join(A.find_request_ids(str(answers.get("error_text") or ""))) or None,
        "summary": _summary_default(answers),
    }
    return detected.get(q.key)


def _summary_default(answers: Mapping[str, Any]) -> str | None:
    error = str(answers.get("error_text") or "").strip()
    if not error:
        return None
    line = error.splitlines()[0].strip()
    first = line
    for rid in A.find_request_ids(line):  # the ids have their own field
        first = re.sub(rf"\s*\([^()]*{re.escape(rid)}[^()]*\)", "", first)
    first = _first_sentence(first.strip(), 100) or _first_sentence(line, 100)
    scope = answers.get("scope")
    where = Scope(scope).label.lower() if scope in {s.value for s in Scope} else None
    return first + (f" ({where})" if where else "")


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
    defaults: Defaults,
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
        answers[q.key] = _ask_until_valid(q, default, answers, defaults, prompter)
        on_answer(q.key, answers[q.key])
    if missing:
        raise MissingAnswers(missing)
    return answers


# Question types whose rejected answer comes back as the next default.
_RETYPED = frozenset({"text", "email", "datetime"})


def _ask_until_valid(
    q: Question, default: Any, answers: Mapping[str, Any], d: Defaults, prompter: Prompter
) -> Any:
    while True:
        raw = prompter.ask(q, default)
        try:
            return validate_answer(q, raw, answers, d)
        except InvalidAnswer as problem:
            message = problem.message + (f" — {problem.hint}" if problem.hint else "")
            prompter.warn(message)
            if isinstance(raw, str) and q.type in _RETYPED and "\n" not in raw:
                default = raw  # asked again with the typo in place, to fix rather than retype

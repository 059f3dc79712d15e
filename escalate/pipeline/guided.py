"""The guided path: the few questions only the person can answer, and one "Detected" screen.

Asked, in this order, and only when not already known: the account email (remembered
after the first report), the exact error, when it happened, how far it reaches, what was
tried, and the screenshot. Everything escalate found itself (where it happened, the
system, the browser with its version, the time zone, request IDs, the summary and the
kind of problem) is shown on one screen before the time is asked, with an edit for any
line. A template's own questions come last, and only the ones support cannot act
without are required; "not sure" answers any of them.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from escalate.model import Scope, Surface
from escalate.pipeline import capture
from escalate.pipeline.answers import is_not_sure
from escalate.pipeline.evidence import PHONE_APPS
from escalate.pipeline.questions import (
    OTHER_STEP,
    Detected,
    Prompter,
    ask_until_valid,
    ask_with_raw,
    default_for,
    is_asked,
    validate_answer,
)
from escalate.pipeline.when import describe, is_approximate, resolve, zone_label
from escalate.templating.manifest import Question

Notify = Callable[[str], None]
Save = Callable[[str, Any], None]
CONTINUE = "Everything is right, continue"
# Shown on the Detected screen, in this order; the person may change any of them.
SCREEN_KEYS = ("surface", "platform", "browser", "timezone", "request_id", "summary")
LABELS = {
    "email": "Email",
    "surface": "Where",
    "platform": "System",
    "browser": "Browser or app",
    "timezone": "Time zone",
    "request_id": "Request IDs",
    "summary": "Summary",
}
# What changes with "where": a phone app has no desktop browser and no desktop system.
FOLLOWS_SURFACE = ("platform", "browser")


@dataclass
class Guide:
    """One guided run: the questions, the answers so far, and how to ask and tell."""

    questions: Sequence[Question]
    answers: MutableMapping[str, Any]
    detected: Detected
    prompter: Prompter
    notify: Notify
    save: Save
    refresh: Callable[[str], Detected]  # the detected defaults for another "where"
    typed: set[str] = field(default_factory=set)  # changed by the person on the screen
    template: tuple[str, str] = ("", "")  # name and title of the template in use
    templates: Sequence[tuple[str, str]] = ()  # every template: name and title
    switch_template: Callable[[str], Sequence[Question]] | None = None

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def ask(self, key: str, *, default: Any = None) -> Any:
        """Ask ``key``'s question (its help shown) until the answer is valid; save it."""
        q = self.question(key)
        if q is None:
            return None
        offered = default if default is not None else default_for(q, self.answers, self.detected)
        value = ask_until_valid(q, _as_default(offered), self.answers, self.detected, self.prompter)
        self.set(key, value)
        return value

    def set(self, key: str, value: Any) -> None:
        self.answers[key] = value
        self.save(key, value)

    def known(self, key: str) -> bool:
        return self.answers.get(key) not in (None, "", [])

    def value(self, key: str) -> Any:
        """The answer, or the default that would be taken for it."""
        if self.known(key):
            return self.answers[key]
        q = self.question(key)
        return default_for(q, self.answers, self.detected) if q else None


def run(guide: Guide, remembered_email: bool, after_error: Callable[[], None]) -> None:
    """Ask what only the person knows; everything else is shown on the Detected screen.

    ``after_error`` runs once the error text is known (it picks the kind of problem).
    """
    if not guide.known("email"):
        guide.ask("email")
    if not guide.known("error_text"):
        guide.ask("error_text")
    after_error()
    detected_screen(guide, remembered_email)
    ask_when(guide)
    if not guide.known("scope"):
        guide.ask("scope")
    if not guide.known("steps_tried"):
        ask_steps(guide)


def detected_screen(guide: Guide, remembered_email: bool) -> None:
    """Show what was found, one line each; a picked line is asked, then the screen again."""
    keys = [*(["email"] if remembered_email else []), *SCREEN_KEYS]
    if all(key in guide.answers for key in keys if guide.question(key) is not None):
        return  # every line was given (an answers file) or accepted before a resume
    while True:
        lines = {_line(guide, key): key for key in keys if guide.question(key) is not None}
        if guide.switch_template is not None and guide.templates:
            name, title = guide.template
            lines[f"{'Kind of problem':<15} {title} (template {name})"] = "template"
        guide.notify("Detected (pick a line to change it):")
        picked = guide.prompter.choose("Is this right?", [CONTINUE, *lines], CONTINUE)
        if picked == CONTINUE or picked not in lines:
            break
        key = lines[picked]
        if key == "template":
            _pick_template(guide)
            continue
        before = guide.value(key)
        value = guide.ask(key, default=_as_default(before))
        if key == "surface" and value != before:
            guide.detected = guide.refresh(str(value))
            for follow in FOLLOWS_SURFACE:  # re-derived for the new place, unless typed
                if follow not in guide.typed:
                    guide.answers.pop(follow, None)
            if str(value) in PHONE_APPS and "browser" not in guide.typed:
                ask_app_version(guide)
        elif key in FOLLOWS_SURFACE:
            guide.typed.add(key)
    for key in SCREEN_KEYS:  # what was shown is what was accepted, empty lines included
        q = guide.question(key)
        if q is not None and not guide.known(key):
            value = guide.value(key)
            if value not in (None, "", []):
                guide.set(key, validate_answer(q, value, guide.answers, guide.detected))
            elif q.required:
                guide.ask(key)
            else:
                guide.set(key, [] if key == "request_id" else None)


APP_VERSION = Question(
    key="app_version",
    prompt="ChatGPT app version (in the app: Settings, then About)",
    help="e.g. 1.2025.329; press Enter if you are not sure",
)


def ask_app_version(guide: Guide) -> None:
    """A phone app's version, which this computer cannot see: asked once, "not sure" is fine."""
    typed = " ".join(str(guide.prompter.ask(APP_VERSION, "") or "").split())[:60]
    if typed and not is_not_sure(typed):
        version = typed.removeprefix("ChatGPT").strip()
        guide.set("browser", f"{PHONE_APPS[str(guide.answers['surface'])]} {version}")
        guide.typed.add("browser")


def _pick_template(guide: Guide) -> None:
    labels = {f"{title} ({name})": name for name, title in guide.templates}
    current = next((label for label, n in labels.items() if n == guide.template[0]), None)
    picked = guide.prompter.choose("Which kind of problem is it?", list(labels), current)
    name = labels.get(picked)
    if name and name != guide.template[0] and guide.switch_template is not None:
        guide.questions = guide.switch_template(name)
        guide.template = (name, dict(guide.templates)[name])


def _line(guide: Guide, key: str) -> str:
    value = guide.value(key)
    if key == "surface":
        text = Surface(str(value)).label if value else "not known"
    elif key == "timezone" and value:
        now = guide.detected.now
        local = resolve(now.isoformat(), str(value))
        text = f"{value} ({zone_label(local)})"
    elif key == "request_id":
        ids = value if isinstance(value, list) else [v for v in str(value or "").split(", ") if v]
        text = ", ".join(ids) if ids else "none found (pick this line to paste one)"
    elif key == "email":
        text = f"{value} (remembered)"
    else:
        text = str(value) if value not in (None, "") else "not known (pick this line to say)"
    return f"{LABELS[key]:<15} {text}"


def _as_default(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    for enum in (Surface, Scope):  # choices show labels, answers keep values
        if isinstance(value, str) and value in {m.value for m in enum}:
            return enum(value).label
    return value


def ask_when(guide: Guide) -> None:
    """The time, read in the settled time zone and said back with its date and UTC."""
    q = guide.question("occurred_at")
    if q is None:
        return
    tz = str(guide.answers.get("timezone") or guide.detected.timezone)
    if not guide.known("occurred_at"):
        default = _local_default(default_for(q, guide.answers, guide.detected), tz)
        raw, value = ask_with_raw(q, default, guide.answers, guide.detected, guide.prompter)
        guide.set("occurred_at", value)
        if is_approximate(raw):
            guide.set("approximate", True)
    when = resolve(str(guide.answers["occurred_at"]), tz)
    mark = " (approximate)" if guide.answers.get("approximate") else ""
    guide.notify(f"  = {describe(when, tz, guide.detected.now)}{mark}")


def _local_default(value: Any, tz: str) -> Any:
    """A HAR's failure time (ISO, UTC) is offered as the wall-clock time it is in ``tz``."""
    if isinstance(value, str) and "T" in value:
        try:
            local = resolve(value, tz)
            return f"{local:%Y-%m-%d %H:%M:%S}" if local.second else f"{local:%Y-%m-%d %H:%M}"
        except ValueError:
            return value
    return value


def ask_steps(guide: Guide) -> None:
    """The checklist for this kind of problem, and "Other…" for anything else tried."""
    q = guide.question("steps_tried")
    if q is None:
        return
    picked = guide.prompter.ask(q, [])
    steps = [s for s in (picked or []) if s != OTHER_STEP]
    if OTHER_STEP in (picked or []):
        other = Question(
            key="steps_other",
            prompt="What else did you try?",
            help="a few words each; separate several with ';'",
        )
        typed = guide.prompter.ask(other, "")
        steps += [s.strip() for s in str(typed or "").split(";") if s.strip()]
    guide.set("steps_tried", validate_answer(q, steps, guide.answers, guide.detected))


def template_questions(guide: Guide, extra: Sequence[Question], title: str) -> set[str]:
    """The template's own questions: required ones asked, optional ones behind one offer.

    Returns the keys of the optional questions the person chose not to answer.
    """
    pending = [q for q in extra if not guide.known(q.key) and is_asked(q, guide.answers)]
    required = [q for q in pending if q.required]
    optional = [q for q in pending if not q.required]
    for q in required:
        guide.set(q.key, _ask_fact(guide, q))
    if not optional:
        return set()
    names = ", ".join(q.key.replace("_", " ") for q in optional)
    offer = f"Add {len(optional)} optional details support can use for {title} ({names})?"
    if not guide.prompter.confirm(offer, False):
        return {q.key for q in optional}
    skipped = set()
    for q in optional:
        if is_asked(q, guide.answers):
            value = _ask_fact(guide, q)
            if value not in (None, "", []):
                guide.set(q.key, value)
            else:
                skipped.add(q.key)
    return skipped


def _ask_fact(guide: Guide, q: Question) -> Any:
    default = default_for(q, guide.answers, guide.detected)
    return ask_until_valid(q, default, guide.answers, guide.detected, guide.prompter)


def screenshot_plan(guide: Guide, delay: float, capture_problem: str | None) -> capture.ShotPlan:
    """The last question: capture, attach, or why there is no screenshot."""
    surface = guide.answers.get("surface")
    choices = capture.choices_for(surface, delay, capture_problem)
    elsewhere = surface is not None and not Surface(str(surface)).on_this_machine
    if capture_problem and not elsewhere:
        reason = capture_problem.removeprefix("cannot take a screenshot: ")
        guide.notify(f"screen capture is not available here: {reason}")
    picked = guide.prompter.choose("Screenshot of the error?", choices, choices[0])

    def ask_text(message: str) -> str:
        if "Image file" in message:
            return guide.prompter.path(message)
        q = Question(key="screenshot_reason", prompt=message, help="e.g. it was on a work laptop")
        return str(guide.prompter.ask(q, "") or "")

    return capture.plan_from_choice(picked, delay, ask_text)


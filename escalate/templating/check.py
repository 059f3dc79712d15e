"""``templates check``: everything that can be known about a template before ``new`` uses it.

The manifest and its line numbers, symbolic links, every Jinja file compiled, every
question's ``when``, ``default`` and ``validator`` evaluated the way ``new`` evaluates them
(in order, over sample answers), and a sample report rendered in the sandbox. A template
that passes renders in ``new``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escalate.errors import InvalidAnswer, TemplateError
from escalate.model import Environment
from escalate.pipeline.assemble import build_report
from escalate.pipeline.questions import (
    Detected,
    core_questions,
    default_for,
    is_asked,
    validate_answer,
)
from escalate.render.markdown import build_context
from escalate.templating.discovery import Template, load_template
from escalate.templating.engine import make_template_environment, render, run_validator
from escalate.templating.isolation import run_limited
from escalate.templating.manifest import (
    ENTRY,
    MANIFEST,
    Problem,
    Question,
    TemplateQuestion,
    _line_of,
    lint_manifest,
)
from escalate.text import counted

SAMPLE_NOW = datetime(2026, 1, 15, 14, 40, tzinfo=UTC)
SAMPLE_ANSWERS: dict[str, Any] = {
    "email": "reporter@example.com",
    "error_text": "Something went wrong. If this issue persists please contact us.",
    "occurred_at": "2026-01-15T14:32:00+01:00",
    "timezone": "Europe/Berlin",
    "platform": "Windows 11",
    "browser": "Firefox 133",
    "request_id": ["req_0123456789abcdef"],
    "scope": "all_chats",
    "steps_tried": ["Reloaded the page"],
    "summary": "Sample report for templates check",
}


def check_template(folder: Path, search: Sequence[tuple[Path, str]]) -> list[Problem]:
    """Every problem in the template at ``folder``: manifest, links, Jinja, a sample render."""
    folder = folder.expanduser()
    if not folder.is_dir():
        raise TemplateError(f"{folder} is not a folder", "give the folder that holds template.toml")
    manifest, problems = lint_manifest(folder)
    problems += _links(folder)
    if manifest is None:
        return problems
    try:
        template = load_template(folder.name, [*search, (folder.parent, "checked")])
    except TemplateError as exc:
        path = folder / MANIFEST
        line = _extends_line(path) if "extends" in exc.message else 1
        return [*problems, Problem(path, line, exc.message.removeprefix(f"{path}: "))]
    compiled = _compile_all(template)
    problems += compiled
    questions = _evaluate_questions(template, folder / MANIFEST)
    problems += questions
    if not compiled and not questions:
        problems += _sample_render(template)
    return problems


def check_lines(folder: Path, search: Sequence[tuple[Path, str]]) -> Iterator[str]:
    """``templates check``: ``file:line: message`` per problem, or ``ok`` lines."""
    problems = check_template(folder, search)
    if problems:
        yield from (str(p) for p in problems)
        raise TemplateError(
            f"{counted(len(problems), 'problem')} in {folder}",
            "fix each file:line above and check again",
        )
    jinja = sorted(p.name for p in folder.rglob("*.j2"))
    yield f"ok  {folder / MANIFEST}: valid"
    names = f": {', '.join(jinja)}" if jinja else ""
    yield f"ok  {counted(len(jinja), 'Jinja file')} compile{names}"
    yield "ok  every question's when, default and validator evaluates on sample answers"
    yield "ok  a sample report renders in the sandbox"


def _links(folder: Path) -> list[Problem]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):  # does not follow links
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for entry in [*dirnames, *filenames]:
            path = Path(dirpath) / entry
            if path.is_symlink():
                found.append(
                    Problem(path, 1, "is a symbolic link; templates may only hold real files")
                )
    return found


def _extends_line(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((i for i, ln in enumerate(lines, 1) if re.match(r"\s*extends\s*=", ln)), 1)


def _compile_all(template: Template) -> list[Problem]:
    """Compile every ``.j2`` file of the template's own folder in the limited child."""
    folder = template.folder
    names = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*.j2")
        if not p.is_symlink() and ".git" not in p.parts
    )

    def job() -> str:
        from jinja2.exceptions import TemplateSyntaxError

        found = []
        env = make_template_environment(template)
        for name in names:
            try:
                env.get_template(name)
            except TemplateSyntaxError as exc:
                found.append([str(folder / name), exc.lineno or 1, exc.message or "syntax error"])
            except TemplateError as exc:
                found.append([str(folder / name), 1, exc.message])
        return json.dumps(found)

    try:
        return [
            Problem(Path(p), int(line), str(msg)) for p, line, msg in json.loads(run_limited(job))
        ]
    except TemplateError as exc:
        return [_problem_from(exc, folder / ENTRY)]


def _problem_from(exc: TemplateError, fallback: Path) -> Problem:
    m = re.match(r"^(.+?\.j2|<template>):(\d+): (.*)$", exc.message)
    if m:
        return Problem(Path(m.group(1)), int(m.group(2)), m.group(3))
    return Problem(fallback, 1, exc.message)


def _sample_render(template: Template) -> list[Problem]:
    try:
        report = sample_report(template)
        render(template, build_context(report, template.checklist, template.manifest.questions))
    except TemplateError as exc:
        return [_problem_from(exc, template.folder / ENTRY)]
    return []


def sample_report(template: Template) -> Any:
    """A plausible finished report for ``template``, as ``check`` renders it."""
    answers = dict(SAMPLE_ANSWERS)
    for key, value in template.manifest.defaults.items():
        answers.setdefault(key, value)
    core = {q.key for q in core_questions()}
    for q in template.manifest.questions:
        if q.key not in core:
            answers.setdefault(q.key, _sample_value(q))
    questions: list[Question] = list(template.manifest.questions)
    return build_report("2026-01-15-1440-chk0", SAMPLE_NOW, answers, template, Environment(),
                        questions)


def _evaluate_questions(template: Template, manifest: Path) -> list[Problem]:
    """Run every ``when``, ``default`` and ``validator`` as ``new`` does, in order.

    Each question sees the sample answers, the presets and the answers before it. A
    default must be a valid answer, since ``new --yes`` takes it without asking; a sample
    value may fail a validator, but the validator itself must run. Problems are reported
    for the questions this manifest declares (a parent's belong to the parent's check).
    """
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    own, _ = lint_manifest(manifest.parent)
    index = {q.key: i for i, q in enumerate(own.questions)} if own is not None else {}
    asked = {q.key for q in template.manifest.questions}
    answers = {k: v for k, v in {**SAMPLE_ANSWERS, **template.manifest.defaults}.items()
               if k not in asked}
    defaults = Detected(now=SAMPLE_NOW, timezone="Europe/Berlin", platform="Windows 11")
    problems: list[Problem] = []
    for q in template.manifest.questions:
        found = _evaluate(q, answers, defaults)
        if q.key in index:
            problems += [
                Problem(manifest, _line_of(text, ("questions", index[q.key], field)), message)
                for field, message in found
            ]
    return problems


def _evaluate(q: Question, answers: dict[str, Any], defaults: Detected) -> list[tuple[str, str]]:
    """(field, message) for each part of ``q`` that fails; records ``q``'s answer."""
    found: list[tuple[str, str]] = []
    try:
        if not is_asked(q, answers):
            return found
    except TemplateError as exc:
        found.append(("when", f"when: {exc.message}"))
    try:
        default = default_for(q, answers, defaults)
    except TemplateError as exc:
        found.append(("default", f"default: {exc.message}"))
        default = None
    given = default not in (None, "", [])
    value = default if given else _sample_value(q)
    try:
        answers[q.key] = validate_answer(q, value, answers, defaults)
    except InvalidAnswer as exc:
        if given:
            found.append(("default", f"the default {default!r} is not a valid answer: "
                                     f"{exc.message}"))
        answers[q.key] = value
    except TemplateError as exc:
        found.append(("validator", f"validator: {exc.message}"))
        return found
    if isinstance(q, TemplateQuestion) and q.validator:
        try:  # also when a pattern or type check stopped before the validator ran
            run_validator(q, answers[q.key] or value, answers)
        except TemplateError as exc:
            found.append(("validator", f"validator: {exc.message}"))
    return found


def _sample_value(q: Any) -> Any:
    if q.type == "choice":
        return q.choices[0]
    if q.type == "multichoice":
        return q.choices[:1]
    if q.type == "bool":
        return True
    if q.type == "email":
        return "someone@example.com"
    if q.type == "datetime":
        return "2026-01-15T14:32:00+01:00"
    return f"sample {q.key}"



"""``escalate new`` end to end: answers → evidence → redaction → review → render → bundle.

This is the core of the product; it talks to the world only through the injected
:class:`~escalate.cli.console.Console` and a ``notify`` callback, and returns what it wrote.
Each optional step (screenshot, HAR, status, PDF) degrades to a recorded note, never a
lost report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from escalate import __version__
from escalate.background import Job
from escalate.cli.console import Console
from escalate.errors import EscalateError, Interrupted, InvalidAnswer
from escalate.facts.environment import collect
from escalate.facts.identity import get_email
from escalate.facts.status import StatusFeed, fetch_feed
from escalate.facts.triage import triage
from escalate.model import (
    Environment,
    Evidence,
    OccurredAt,
    Report,
    ScreenshotInfo,
    TemplateRef,
)
from escalate.pipeline import answers as A
from escalate.pipeline import review
from escalate.pipeline.evidence import attach_har, attach_screenshot
from escalate.pipeline.questions import Defaults, core_questions, fill
from escalate.render.bundle import Bundle, evidence_entry, write_bundle
from escalate.render.markdown import render_markdown
from escalate.render.message import DEFAULT_CHAT_LIMIT, message_files
from escalate.render.pdf import render_pdf
from escalate.storage.atomic import atomic_write, private_dir
from escalate.storage.drafts import Draft, DraftStore
from escalate.storage.history import ReportStore
from escalate.storage.paths import BUNDLE_DIR, load_settings, new_report_id, paths
from escalate.templating.discovery import (
    DEFAULT_TEMPLATE,
    Template,
    load_template,
    merge_questions,
    search_path,
)
from escalate.templating.manifest import Question
from escalate.text import counted, decode_input

Notify = Callable[[str], None]
FORMATS = frozenset({"md", "pdf", "json"})


@dataclass
class NewOptions:
    """What the command line asked for (parsed, not yet validated against the world)."""

    template: str | None = None
    template_dirs: list[Path] = field(default_factory=list)
    answers_file: Path | None = None
    sets: dict[str, str] = field(default_factory=dict)
    error_file: Path | None = None
    screenshot: bool | None = None
    screenshot_file: Path | None = None
    monitor: int | None = None
    all_monitors: bool = False
    region: str | None = None
    delay: float = 0.0
    redact_boxes: list[str] = field(default_factory=list)
    har: Path | None = None
    out: Path | None = None
    formats: frozenset[str] = frozenset({"md", "pdf", "json"})
    make_zip: bool = False
    chat_limit: int = DEFAULT_CHAT_LIMIT
    yes: bool = False
    resume: bool = False
    status: bool | None = None
    status_url: str | None = None
    redact: bool = True
    environment_job: Job[Environment] | None = None


@dataclass
class NewResult:
    """The finished report and where its bundle went."""

    report: Report
    bundle: Bundle
    markdown: str


def template_search(console: Console, extra: list[Path]) -> list[tuple[Path, str]]:
    """The template search path for this user."""
    p = paths(console.env)
    team = [Path(d) for d in load_settings(p).get("template_dirs", [])]
    return search_path(p.user_templates, team, extra, console.env)


def gather_answers(console: Console, opts: NewOptions, draft: Draft | None) -> dict[str, Any]:
    """Merge answer sources, lowest precedence first: draft, answers file, --set."""
    merged: dict[str, Any] = dict(draft.answers) if draft else {}
    if opts.answers_file is not None:
        merged.update(A.load_answers_file(opts.answers_file))
    if opts.error_file is not None:
        try:
            from_stdin = str(opts.error_file) == "-"
            raw = console.read_input() if from_stdin else opts.error_file.read_bytes()
            merged["error_text"] = decode_input(raw)
        except OSError as exc:
            raise InvalidAnswer(
                "error_text", f"cannot read {opts.error_file}: {exc.strerror}"
            ) from None
    merged.update(opts.sets)
    return merged


def run_new(console: Console, opts: NewOptions, notify: Notify) -> NewResult:
    """Ask, collect, scrub, review, render and write one report."""
    bad = set(opts.formats) - FORMATS
    if bad:
        raise InvalidAnswer(
            "--format",
            f"unknown format(s) {', '.join(sorted(bad))}",
            "use a comma list of md, pdf, json",
        )
    p = paths(console.env)
    drafts = DraftStore(p)
    draft = drafts.latest() if opts.resume else None
    if opts.resume and draft is None:
        notify("no draft to resume; starting a new report")
    answers = gather_answers(console, opts, draft)
    from_file = answers.pop("template", None)
    answers.pop("template_version", None)
    name = opts.template or from_file or (draft.template if draft else None) or DEFAULT_TEMPLATE
    template = load_template(str(name), template_search(console, opts.template_dirs))
    for key, value in template.manifest.defaults.items():
        answers.setdefault(key, value)
    now = console.clock()
    status_job = _start_status(console, opts)
    env = _environment(opts.environment_job, notify)
    interactive = console.is_interactive and not opts.yes
    draft = draft or Draft(new_report_id(now), template.name, {}, now.isoformat())
    draft.template = template.name

    def save(key: str, value: Any) -> None:
        draft.answers = {**draft.answers, **answers, key: value}
        drafts.save(draft)

    defaults = Defaults(
        now=now,
        timezone=env.timezone or "UTC",
        platform=env.platform_display,
        browser=_default_browser(env),
        email=None if "email" in answers else _stored_email(notify),
    )
    prompter = console.prompter() if interactive else None
    if interactive:
        drafts.save(draft)
        fresh_error = not answers.get("error_text")  # a resumed draft was offered already
        first = [q for q in _questions(template) if q.key in ("email", "error_text")]
        fill(first, answers, defaults, prompter, on_answer=save)
        if fresh_error and template.name == DEFAULT_TEMPLATE and not opts.template:
            template = _offer_template(console, opts, template, answers, prompter)
            draft.template = template.name
    questions = _questions(template)
    fill(questions, answers, defaults, prompter, on_answer=save)
    report = build_report(draft.id, now, answers, template, env, questions)
    files: dict[str, bytes] = {}

    attach_screenshot(console, opts, report, files, prompter, notify)
    attach_har(opts, report, answers, files, notify)
    feed = status_job.result(5.0, None) if status_job else None
    report.status = feed.at(report.occurred_at.utc) if feed else None

    mapping = review.scrub(report, opts.redact)
    _describe_evidence(report, files, opts)
    compiled = p.compiled_templates
    if prompter is None:
        markdown = render_markdown(report, template, compiled)
    else:
        color = console.is_interactive and "NO_COLOR" not in console.env
        reviewed = review.review(
            prompter, report, lambda r: render_markdown(r, template, compiled), mapping, notify,
            color,
        )
        if reviewed is None:

            raise Interrupted("stopped before writing; your answers are kept in the draft")
        markdown = reviewed
    bundle = _write(console, opts, report, template, markdown, files, answers, mapping, notify)
    drafts.discard(draft.id)
    return NewResult(report, bundle, markdown)


def _offer_template(
    console: Console, opts: NewOptions, template: Template, answers: dict[str, Any], prompter: Any
) -> Template:
    """When the error is a known kind, offer the template that asks the right questions."""

    for symptom in triage(str(answers.get("error_text", ""))):
        if symptom.template == template.name:
            return template
        question = (
            f"This looks like: {symptom.title}. Use the {symptom.template} template, "
            "which asks what support needs for it?"
        )
        if not prompter.confirm(question, True):
            return template
        chosen = load_template(symptom.template, template_search(console, opts.template_dirs))
        for key, value in chosen.manifest.defaults.items():
            answers.setdefault(key, value)
        return chosen
    return template


def _questions(template: Template) -> list[Question]:
    steps = [s.label for s in template.manifest.steps]
    core = core_questions(steps) if steps else core_questions()

    return merge_questions(core, template.manifest.questions)


def _environment(job: Job[Environment] | None, notify: Notify) -> Environment:
    if job is None:

        job = Job.start(collect, "environment")
    env = job.result(timeout=5.0, fallback=Environment())
    if job.error is not None:  # a collector bug must not cost the report
        notify(f"could not detect the environment ({type(job.error).__name__}); asking instead")
    return env


def _default_browser(env: Environment) -> str | None:
    if env.desktop_app is not None and not env.browsers:
        return env.desktop_app.display
    if env.default_browser:
        for b in env.browsers:
            if b.name.lower() in env.default_browser.lower():
                return b.display
        return env.default_browser
    return env.browsers[0].display if env.browsers else None


def _stored_email(notify: Notify) -> str | None:

    lookup = get_email()
    if lookup.problem is not None:
        notify(f"{lookup.problem.message}; {lookup.problem.hint}")
    return lookup.email


def build_report(
    report_id: str,
    now: datetime,
    answers: dict[str, Any],
    template: Template,
    env: Environment,
    questions: list[Question],
) -> Report:
    """Assemble the validated :class:`Report` from normalised answers."""
    tz = str(answers["timezone"])
    when = datetime.fromisoformat(str(answers["occurred_at"]))
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    local = when.astimezone(ZoneInfo(tz))
    core = {q.key for q in core_questions()}
    extra = {q.key: answers.get(q.key) for q in questions if q.key not in core}
    for key, value in answers.items():  # presets and --set keys without a question
        if key not in core and key not in extra and isinstance(value, str | bool | list):
            extra[key] = value
    return Report(
        id=report_id,
        created_at=now,
        tool_version=__version__,
        template=TemplateRef(name=template.name, version=template.version),
        email=answers["email"],
        occurred_at=OccurredAt(local=local, timezone=tz, utc=local.astimezone(ZoneInfo("UTC"))),
        platform=str(answers["platform"]),
        browser=answers.get("browser") or None,
        request_ids=list(answers.get("request_id") or []),
        error_text=str(answers["error_text"]),
        scope=answers["scope"],
        steps_tried=list(answers.get("steps_tried") or []),
        summary=str(answers["summary"]),
        environment=env,
        extra=extra,
    )


def _start_status(console: Console, opts: NewOptions) -> Job[StatusFeed | None] | None:
    if opts.status is False or (opts.status is None and console.offline and not opts.status_url):
        return None
    url = opts.status_url or console.env.get("ESCALATE_STATUS_URL")

    def fetch() -> StatusFeed | None:
        now = console.clock()
        return fetch_feed(url, now=now) if url else fetch_feed(now=now)

    return Job.start(fetch, "status")


def _describe_evidence(report: Report, files: dict[str, bytes], opts: NewOptions) -> None:
    # Only the evidence files: the PDF and report.json are this report itself, and a file
    # cannot carry its own checksum.
    evidence: list[Evidence] = []
    shot = report.screenshot
    for name in files:
        if name.startswith("screenshot.") and shot is not None:
            evidence.append(evidence_entry(name, _shot_text(report, shot), files[name]))
        elif name == "sanitized.har":
            n = len(report.failed_requests)
            text = f"{counted(n, 'failing request')}; cookies, tokens and bodies removed"
            evidence.append(evidence_entry(name, text, files[name]))
    report.evidence = evidence


def _shot_text(report: Report, shot: ScreenshotInfo) -> str:
    what = "screen capture" if shot.source == "capture" else "attached image"
    text = f"{what}, {shot.width}×{shot.height}"
    if shot.redacted_regions:
        text += f", {counted(shot.redacted_regions, 'region')} blacked out"
    if shot.note:
        text += f" ({shot.note})"
    return text


def _write(
    console: Console,
    opts: NewOptions,
    report: Report,
    template: Template,
    markdown: str,
    files: dict[str, bytes],
    answers: dict[str, Any],
    mapping: dict[str, str],
    notify: Notify,
) -> Bundle:
    store = ReportStore(paths(console.env))
    record = store.folder_for(report.id)
    # The record keeps what must never be attached (the unscrubbed answers, the redaction
    # map); the bundle is a folder of its own, even by default, so "attach every file in it"
    # is always safe.
    out = opts.out if opts.out is not None else record / BUNDLE_DIR
    payload = render_files(
        report, template, files, opts.formats, notify, markdown, chat_limit=opts.chat_limit
    )
    private_dir(record)
    bundle = write_bundle(out, payload, make_zip=opts.make_zip)
    report_json = payload.get("report.json") or report.model_dump_json(indent=2).encode()
    atomic_write(record / "report.json", report_json)
    saved = {k: v for k, v in answers.items() if k != "template"}
    atomic_write(
        record / "answers.toml", A.dump_answers_toml(saved, template.name, template.version)
    )
    atomic_write(record / "bundle.json", json.dumps({"bundle": str(out.resolve())}))
    if mapping:
        atomic_write(
            record / "redaction-map.json", json.dumps(mapping, indent=2, ensure_ascii=False)
        )
    return bundle


def render_files(
    report: Report,
    template: Template,
    files: dict[str, bytes],
    formats: frozenset[str],
    notify: Notify,
    markdown: str | None = None,
    compiled: Path | None = None,
    chat_limit: int = DEFAULT_CHAT_LIMIT,
) -> dict[str, bytes]:
    """The bundle's files for ``formats``; a PDF failure is a note, never a lost bundle.

    ``compiled`` is the folder for compiled templates, used when ``markdown`` is not given.
    The plain-text message for a chat box (split at ``chat_limit``) is in every bundle.
    """

    markdown = render_markdown(report, template, compiled) if markdown is None else markdown
    report_json = report.model_dump_json(indent=2).encode()
    payload: dict[str, bytes] = {}
    if "md" in formats:
        payload["submission.md"] = markdown.encode()
    payload.update(message_files(markdown, chat_limit))
    if "json" in formats or "pdf" in formats:
        payload["report.json"] = report_json
    payload.update(files)
    if "pdf" in formats:
        pdf = _pdf(markdown, report, report_json, files, notify)
        if pdf is not None:
            payload["submission.pdf"] = pdf
    return payload


def _pdf(
    markdown: str, report: Report, report_json: bytes, files: dict[str, bytes], notify: Notify
) -> bytes | None:
    try:

        result = render_pdf(
            markdown,
            report_json=report_json,
            report_id=report.id,
            generated_at=report.created_at,
            title=f"ChatGPT support request: {report.summary}",
            author=str(report.email),
            images={k: v for k, v in files.items() if k.startswith("screenshot.")},
        )
    except EscalateError as exc:
        notify(f"PDF skipped: {exc.message}")
        return None
    except Exception as exc:  # the PDF is a convenience; the Markdown bundle still lands
        notify(f"PDF skipped: {type(exc).__name__}: {exc}")
        return None
    data = getattr(result, "data", result)
    return data if isinstance(data, bytes) else None

"""``escalate new`` end to end, in one direction.

evidence → questions → capture → scrubbing → review → render → bundle. Evidence comes
first so that a HAR, the error text or this machine can answer a question before anyone
is asked it; each later stage takes the :class:`Report` and returns a new one. The run
talks to the world only through the injected :class:`World` (the CLI's console) and a
``notify`` callback, and returns what it wrote. Each optional step (screenshot, HAR,
status, PDF) degrades to a recorded note, never a lost report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from escalate.background import Job
from escalate.capture.screenshot import preflight
from escalate.errors import CaptureError, EscalateError, Interrupted, InvalidAnswer
from escalate.facts.identity import Remembered, remembered_email
from escalate.facts.status import StatusFeed, fetch_feed
from escalate.facts.triage import triage
from escalate.model import Environment, RedactionSummary, Report
from escalate.pipeline import capture, guided, review
from escalate.pipeline.assemble import build_report, describe_evidence, render_files, write_report
from escalate.pipeline.evidence import (
    Evidence,
    HarEvidence,
    detected_browser,
    detected_platform,
    detected_surface,
    environment_of,
    given_answers,
    now_utc,
    read_har,
    recorded_elsewhere,
)
from escalate.pipeline.questions import Detected, Prompter, core_questions, fill
from escalate.render.bundle import Bundle
from escalate.render.markdown import render_markdown
from escalate.render.message import DEFAULT_CHAT_LIMIT
from escalate.storage.drafts import Draft, DraftStore
from escalate.storage.paths import Paths, load_settings, new_report_id, paths
from escalate.templating.discovery import (
    DEFAULT_TEMPLATE,
    Template,
    discover,
    load_template,
    merge_questions,
    search_path,
)
from escalate.templating.manifest import Question, read_manifest

Notify = Callable[[str], None]
FORMATS = frozenset({"md", "pdf", "json"})


class World(Protocol):
    """What the run needs from outside: the CLI's console, or a test's stand-in."""

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def is_interactive(self) -> bool: ...

    @property
    def offline(self) -> bool: ...

    @property
    def use_color(self) -> bool: ...

    def clock(self) -> datetime: ...

    def show(self, text: str, err: bool = False) -> None: ...

    def prompter(self) -> Prompter: ...


@dataclass
class NewOptions:
    """What the command line asked for (parsed, not yet validated against the world)."""

    template: str | None = None
    template_dirs: list[Path] = field(default_factory=list)
    answers_file: Path | None = None
    sets: dict[str, str] = field(default_factory=dict)
    error_file: Path | None = None
    error_input: bytes | None = None  # the error text from a pipe, read by the CLI
    screenshot: bool | None = None
    screenshot_file: Path | None = None
    monitor: int | None = None
    all_monitors: bool = False
    region: str | None = None
    delay: float = 0.0
    redact_boxes: list[str] = field(default_factory=list)
    har: Path | None = None
    keep_bodies: bool = False
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
    remember_email: bool = False  # a new email was typed: offer to keep it for next time


def template_search(env: Mapping[str, str], extra: Sequence[Path]) -> list[tuple[Path, str]]:
    """The template search path for this user."""
    p = paths(env)
    team = [Path(d) for d in load_settings(p).get("template_dirs", [])]
    return search_path(p.user_templates, team, list(extra), env)


def questions_of(template: Template) -> list[Question]:
    """The core questions, with the template's own merged in (and its checklist)."""
    return merge_questions(core_questions(template.checklist), template.manifest.questions)


def run_new(world: World, opts: NewOptions, notify: Notify) -> NewResult:
    """Collect, ask, capture, scrub, review, render and write one report."""
    bad = set(opts.formats) - FORMATS
    if bad:
        raise InvalidAnswer(
            "--format",
            f"unknown format(s) {', '.join(sorted(bad))}",
            "use a comma list of md, pdf, json",
        )
    p = paths(world.env)
    drafts = DraftStore(p)
    draft = drafts.latest() if opts.resume else None
    if opts.resume and draft is None:
        notify("no draft to resume; starting a new report")
    evidence, template = _evidence(world, opts, draft, p, notify)
    now = now_utc(world.clock)
    status_job = _start_status(world, opts)
    answers = dict(evidence.given)
    draft = draft or Draft(new_report_id(now), template.name, {}, now.isoformat())
    draft.template = template.name
    if opts.resume and draft.answers:
        notify(_kept(draft))

    def save(key: str, value: Any) -> None:
        draft.answers = {**draft.answers, **answers, key: value}
        drafts.save(draft)

    def save_template(name: str) -> None:  # a resumed draft continues with the same kind
        draft.template = name
        drafts.save(draft)

    interactive = world.is_interactive and not opts.yes
    _apply_presets(template, answers, offered=interactive)
    if interactive:
        drafts.save(draft)
        template, plan = _ask(
            world, opts, evidence, template, answers, now, (save, save_template), notify
        )
    else:
        surface = answers.get("surface") or detected_surface(evidence.environment, evidence.facts)
        detected = _detected(evidence, str(surface), now, template)
        fill(questions_of(template), answers, detected, None)
        plan = capture.plan_from_options(
            opts.screenshot, opts.screenshot_file, opts.delay, answers.get("surface")
        )
    questions = questions_of(template)  # the template may have changed on the terminal
    report = build_report(draft.id, now, answers, template, evidence.environment, questions)
    report, files = _attach_har(report, evidence.har)
    if (far := har_time_gap(report)) is not None:
        notify(far)
    report, shot = capture.take(report, plan, _capture_settings(opts), world.env, notify)
    files = {**shot, **files}
    feed = status_job.result(5.0, None) if status_job else None
    status = feed.at(report.occurred_at.utc) if feed else None
    report = report.model_copy(update={"status": status})
    report, mapping = review.scrub(report, opts.redact)
    report = describe_evidence(report, files, opts.formats)
    compiled = p.compiled_templates
    if interactive:
        reviewed = review.review(  # the review is a conversation: shown even with --quiet
            world.prompter(), report, lambda r: render_markdown(r, template, compiled),
            mapping, lambda text: world.show(text, err=True), world.use_color,
        )
        if reviewed is None:
            raise Interrupted("stopped before writing; your answers are kept in the draft")
        report, markdown = reviewed
    else:
        markdown = render_markdown(report, template, compiled)
    payload = render_files(
        report, template, files, opts.formats, notify, markdown, chat_limit=opts.chat_limit
    )
    bundle = write_report(p, opts.out, report, payload, answers, template, mapping, opts.make_zip)
    drafts.discard(draft.id)
    # Offered only for an email typed at the prompt, not one from a file or --set.
    typed_email = "email" not in evidence.given
    remember = interactive and typed_email and evidence.remembered_email != str(report.email)
    return NewResult(report, bundle, markdown, remember_email=remember)


def _evidence(
    world: World, opts: NewOptions, draft: Draft | None, p: Paths, notify: Notify
) -> tuple[Evidence, Template]:
    """Stage one: answers given, this machine, the HAR, the remembered email, the template."""
    error_bytes = opts.error_input
    if opts.error_file is not None and error_bytes is None:
        try:
            error_bytes = opts.error_file.read_bytes()
        except OSError as exc:
            raise InvalidAnswer(
                "error_text", f"cannot read {opts.error_file}: {exc.strerror}"
            ) from None
    given = given_answers(draft, opts.answers_file, error_bytes, opts.sets)
    from_file = given.pop("template", None)
    given.pop("template_version", None)
    name = opts.template or from_file or (draft.template if draft else None) or DEFAULT_TEMPLATE
    template = load_template(str(name), template_search(world.env, opts.template_dirs))
    env = environment_of(opts.environment_job, notify)
    remembered = Remembered(None)
    if "email" not in given:
        remembered = remembered_email(p)
        if remembered.notice:
            notify(remembered.notice)
    email = given.get("email") or remembered.email
    har = (
        read_har(opts.har, str(email) if email else None, notify, opts.keep_bodies)
        if opts.har
        else None
    )
    facts = {**har.facts(), **recorded_elsewhere(env, har)} if har else {}
    if remembered.email:
        given.setdefault("email", remembered.email)
    evidence = Evidence(given, env, draft, har, remembered.email, facts)
    return evidence, template


def _apply_presets(template: Template, answers: dict[str, Any], *, offered: bool) -> None:
    """A template's presets: answers, except that on a terminal a preset for a question is
    only offered as its default (a conversation-not-found report is usually one chat)."""
    asked = {q.key for q in questions_of(template)} if offered else set()
    for key, value in template.manifest.defaults.items():
        if key not in asked:
            answers.setdefault(key, value)


def _detected(evidence: Evidence, surface: str, now: datetime, template: Template) -> Detected:
    """The defaults offered: evidence first, then the template's presets, then this machine."""
    env = evidence.environment
    presets = {k: v for k, v in template.manifest.defaults.items() if k != "surface"}
    return Detected(
        now=now,
        timezone=env.timezone or "UTC",
        platform=detected_platform(env, surface),
        browser=detected_browser(env, surface, evidence.har),
        email=evidence.remembered_email,
        installed=env.browsers,
        facts={**presets, "surface": surface, **evidence.facts},
    )


def _ask(
    world: World,
    opts: NewOptions,
    evidence: Evidence,
    template: Template,
    answers: dict[str, Any],
    now: datetime,
    savers: tuple[Callable[[str, Any], None], Callable[[str], None]],
    notify: Notify,
) -> tuple[Template, capture.ShotPlan]:
    """Stage two, on a terminal: the guided path, the template's questions, the screenshot."""
    search = template_search(world.env, opts.template_dirs)
    chosen = [template]
    save, save_template = savers

    def switch(name: str) -> list[Question]:
        chosen[0] = load_template(name, search)
        save_template(name)
        _apply_presets(chosen[0], answers, offered=True)
        guide.detected = _detected(evidence, _surface(), now, chosen[0])
        return questions_of(chosen[0])

    def _surface() -> str:
        given = answers.get("surface")
        return str(given or detected_surface(evidence.environment, evidence.facts))

    # The kind of problem is read from an error typed or piped now, not from a saved answer.
    saved_error = "error_text" in evidence.given and opts.error_file is None
    saved_error = saved_error and opts.error_input is None

    def after_error() -> None:
        if opts.template or template.name != DEFAULT_TEMPLATE or saved_error:
            return
        for symptom in triage(str(answers.get("error_text", ""))):
            if symptom.template != chosen[0].name:
                guide.questions = switch(symptom.template)
                guide.template = (chosen[0].name, chosen[0].manifest.title)
            return

    preset_surface = template.manifest.defaults.get("surface")
    surface = str(preset_surface or _surface())
    guide = guided.Guide(
        questions=questions_of(template),
        answers=answers,
        detected=_detected(evidence, surface, now, template),
        prompter=world.prompter(),
        notify=notify,
        save=save,
        refresh=lambda s: _detected(evidence, s, now, chosen[0]),
        template=(template.name, template.manifest.title),
        templates=_template_titles(search),
        switch_template=switch,
    )
    guided.run(guide, evidence.remembered_email is not None, after_error)
    extra = [q for q in guide.questions if q.key not in {c.key for c in core_questions()}]
    skipped = guided.template_questions(guide, extra, chosen[0].manifest.title.lower())
    kept = [q for q in guide.questions if q.key not in skipped]
    fill(kept, answers, guide.detected, None)  # validates every answer kept
    plan = _screenshot(world, opts, guide)
    return chosen[0], plan


def _template_titles(search: list[tuple[Path, str]]) -> list[tuple[str, str]]:
    titles = []
    for name, (folder, _origin) in sorted(discover(search).items()):
        with contextlib.suppress(EscalateError):  # a broken one: `templates check` says why
            titles.append((name, read_manifest(folder).title))
    return titles


def _screenshot(world: World, opts: NewOptions, guide: guided.Guide) -> capture.ShotPlan:
    if opts.screenshot_file is not None or opts.screenshot is not None:
        surface = guide.answers.get("surface")
        return capture.plan_from_options(opts.screenshot, opts.screenshot_file, opts.delay, surface)
    problem = None
    try:
        preflight(world.env)
    except CaptureError as exc:  # say why now, rather than offer what cannot work
        problem = exc.message
    return guided.screenshot_plan(guide, opts.delay, problem)


def _attach_har(report: Report, har: HarEvidence | None) -> tuple[Report, dict[str, bytes]]:
    """The failing requests and their request IDs on the report; the sanitised HAR file."""
    if har is None:
        return report, {}
    known = list(report.request_ids)
    failing = [r.request_id for r in har.summary.failed if r.request_id]
    ids = known + [r for r in dict.fromkeys(failing) if r not in known]
    # What the HAR lost joins the redaction counts when the text is scrubbed.
    redaction = RedactionSummary(har=har.summary.removed, bodies_kept=har.summary.bodies_kept)
    update = {
        "failed_requests": list(har.summary.failed),
        "request_ids": ids,
        "redaction": redaction,
    }
    return report.model_copy(update=update), {"sanitized.har": har.sanitized}


def har_time_gap(report: Report) -> str | None:
    """A warning when the HAR's failures are more than a day from the stated time."""
    times = [
        t if t.tzinfo else t.replace(tzinfo=UTC)  # a naive HAR time is taken as UTC
        for r in report.failed_requests
        if (t := r.started_at) is not None
    ]
    if not times:
        return None
    stated = report.occurred_at.utc
    nearest = min(times, key=lambda t: abs((t - stated).total_seconds()))
    if abs(nearest - stated) <= timedelta(days=1):
        return None
    return (
        f"note: the HAR's failing requests are from {nearest:%Y-%m-%d %H:%M} UTC, more than a "
        f"day from the time you gave ({stated:%Y-%m-%d %H:%M} UTC); check both"
    )


def _capture_settings(opts: NewOptions) -> capture.CaptureSettings:
    return capture.CaptureSettings(
        monitor=opts.monitor,
        all_monitors=opts.all_monitors,
        region=opts.region,
        redact_boxes=tuple(opts.redact_boxes),
    )


def _start_status(world: World, opts: NewOptions) -> Job[StatusFeed | None] | None:
    if opts.status is False or (opts.status is None and world.offline and not opts.status_url):
        return None
    url = opts.status_url or world.env.get("ESCALATE_STATUS_URL")

    def fetch() -> StatusFeed | None:
        now = now_utc(world.clock)
        return fetch_feed(url, now=now) if url else fetch_feed(now=now)

    return Job.start(fetch, "status")


_KEPT_NAMES = {
    "email": "email",
    "error_text": "error text",
    "surface": "where",
    "occurred_at": "time",
    "timezone": "time zone",
    "platform": "system",
    "browser": "browser",
    "request_id": "request IDs",
    "scope": "scope",
    "steps_tried": "steps tried",
    "summary": "summary",
}


def _kept(draft: Draft) -> str:
    names = [_KEPT_NAMES.get(k, k.replace("_", " ")) for k, v in draft.answers.items() if v]
    return f"Resuming the draft started {draft.started_at[:16].replace('T', ' ')} UTC: kept " + (
        ", ".join(names) if names else "nothing yet"
    )

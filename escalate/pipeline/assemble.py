"""Report assembly and output: answers → the validated Report → the bundle's files.

:func:`build_report` is the one place where answers become a :class:`Report`; a phone
or another device keeps this computer's facts out of it. :func:`render_files` turns a
report into the bundle's bytes (a failed PDF is a note, never a lost bundle), and
:func:`write_report` writes the bundle and the private record beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from escalate import __version__
from escalate.errors import EscalateError
from escalate.model import (
    Environment,
    Evidence,
    OccurredAt,
    Report,
    ScreenshotInfo,
    Surface,
    TemplateRef,
)
from escalate.pipeline import answers as A
from escalate.pipeline.questions import core_questions
from escalate.privacy.har import har_attachment_line
from escalate.render.bundle import Bundle, evidence_entry, write_bundle
from escalate.render.markdown import render_markdown
from escalate.render.message import DEFAULT_CHAT_LIMIT, message_files
from escalate.render.pdf import render_pdf
from escalate.storage.atomic import atomic_write, private_dir
from escalate.storage.history import ReportStore
from escalate.storage.paths import BUNDLE_DIR, Paths
from escalate.templating.discovery import Template
from escalate.templating.manifest import Question
from escalate.text import counted

Notify = Callable[[str], None]
# Answer keys that are part of the report itself, not a template's extra field.
CORE_KEYS = frozenset({q.key for q in core_questions()} | {"approximate"})


def build_report(
    report_id: str,
    now: datetime,
    answers: Mapping[str, Any],
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
    extra = {q.key: answers.get(q.key) for q in questions if q.key not in CORE_KEYS}
    for key, value in answers.items():  # presets and --set keys without a question
        if key not in CORE_KEYS and key not in extra and isinstance(value, str | bool | list):
            extra[key] = value
    surface = Surface(answers["surface"]) if answers.get("surface") else None
    return Report(
        id=report_id,
        created_at=now,
        tool_version=__version__,
        template=TemplateRef(name=template.name, version=template.version),
        email=answers["email"],
        occurred_at=OccurredAt(
            local=local,
            timezone=tz,
            utc=local.astimezone(ZoneInfo("UTC")),
            approximate=bool(answers.get("approximate")),
        ),
        surface=surface,
        platform=str(answers["platform"]),
        browser=answers.get("browser") or None,
        request_ids=list(answers.get("request_id") or []),
        error_text=str(answers["error_text"]),
        scope=answers["scope"],
        steps_tried=list(answers.get("steps_tried") or []),
        summary=str(answers["summary"]),
        # Another device's report must not describe this computer.
        environment=env if surface is None or surface.on_this_machine else Environment(),
        extra=extra,
    )


def describe_evidence(
    report: Report, files: Mapping[str, bytes], formats: frozenset[str]
) -> Report:
    """The report with its evidence files (screenshot, HAR), each explained, sized and hashed.

    The PDF and report.json are the report itself, not evidence of it: a file cannot carry
    its own checksum, and the PDF would list itself. ``formats`` is kept for callers.
    """
    evidence: list[Evidence] = []
    shot = report.screenshot
    for name in files:
        if name.startswith("screenshot.") and shot is not None:
            evidence.append(evidence_entry(name, _shot_text(shot), files[name]))
        elif name == "sanitized.har":
            evidence.append(evidence_entry(name, har_attachment_line(report), files[name]))
    return report.model_copy(update={"evidence": evidence})


def _shot_text(shot: ScreenshotInfo) -> str:
    what = "screen capture" if shot.source == "capture" else "attached image"
    text = f"{what}, {shot.width}×{shot.height}"
    if shot.redacted_regions:
        text += f", {counted(shot.redacted_regions, 'region')} blacked out"
    if shot.note:
        text += f" ({shot.note})"
    return text


def write_report(
    paths: Paths,
    out: Path | None,
    report: Report,
    payload: Mapping[str, bytes],
    answers: Mapping[str, Any],
    template: Template,
    mapping: Mapping[str, str],
    make_zip: bool,
) -> Bundle:
    """Write the bundle, then the private record beside it (answers, redaction map)."""
    record = ReportStore(paths).folder_for(report.id)
    # The record keeps what must never be attached (the unscrubbed answers, the redaction
    # map); the bundle is a folder of its own, even by default, so "attach every file in it"
    # is always safe.
    target = out if out is not None else record / BUNDLE_DIR
    private_dir(record)
    bundle = write_bundle(target, dict(payload), make_zip=make_zip)
    report_json = payload.get("report.json") or report.model_dump_json(indent=2).encode()
    atomic_write(record / "report.json", report_json)
    saved = {k: v for k, v in answers.items() if k != "template"}
    atomic_write(
        record / "answers.toml", A.dump_answers_toml(saved, template.name, template.version)
    )
    atomic_write(record / "bundle.json", json.dumps({"bundle": str(target.resolve())}))
    if mapping:
        atomic_write(
            record / "redaction-map.json", json.dumps(dict(mapping), indent=2, ensure_ascii=False)
        )
    return bundle


def render_files(
    report: Report,
    template: Template,
    files: Mapping[str, bytes],
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
    markdown: str,
    report: Report,
    report_json: bytes,
    files: Mapping[str, bytes],
    notify: Notify,
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

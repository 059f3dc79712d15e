"""Report → plain template context → Markdown through the sandboxed template."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from escalate.model import OccurredAt, Report, Scope
from escalate.render.escape import MdSafe
from escalate.render.status_text import status_line, status_notes
from escalate.templating.discovery import Template
from escalate.templating.engine import render
from escalate.templating.manifest import Question
from escalate.text import visible


def _fmt(dt: datetime, zone: str) -> str:
    local = dt.astimezone(ZoneInfo(zone))
    abbrev = local.tzname() or ""
    # Zones without a letter abbreviation print "+0530"-style names; the offset says it.
    label = abbrev if abbrev and not abbrev.lstrip("+-").isdigit() else local.strftime("UTC%z")
    return f"{local:%Y-%m-%d %H:%M} {label}"


def _when(occurred: OccurredAt) -> str:
    """The time once: local time and zone, then UTC only when the zone is not UTC itself."""
    utc = f"{occurred.utc.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    local = occurred.utc.astimezone(ZoneInfo(occurred.timezone))
    if local.utcoffset() == timedelta(0):
        plain_utc = occurred.timezone.removeprefix("Etc/") in _UTC_NAMES
        return utc if plain_utc else f"{utc} ({occurred.timezone})"
    return f"{_fmt(occurred.utc, occurred.timezone)} ({occurred.timezone}) · {utc}"


_UTC_NAMES = {"UTC", "UCT", "GMT", "Zulu", "Universal", "Greenwich", "GMT0", "GMT+0", "GMT-0"}


def _where(report: Report) -> str:
    return f"{report.browser} on {report.platform}" if report.browser else report.platform


def build_context(
    report: Report, steps_offered: Sequence[str] = (), extra_questions: Sequence[Question] = ()
) -> dict[str, Any]:
    """Plain data only: strings, numbers, booleans, lists and dicts — nothing callable."""
    occurred = report.occurred_at
    tried = list(report.steps_tried)
    steps = [{"label": s, "done": True} for s in tried]
    steps += [{"label": s, "done": False} for s in steps_offered if s not in tried]
    return {
        "id": report.id,
        "email": str(report.email),
        "summary": report.summary,
        "error_text": report.error_text,
        "when": _when(occurred),
        "when_local": _fmt(occurred.utc, occurred.timezone),
        "approximate": occurred.approximate,
        "when_utc": f"{occurred.utc.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC",
        "timezone": occurred.timezone,
        "platform": report.platform,
        "browser": report.browser,
        "where": _where(report),
        "scope": report.scope.value,
        "scope_label": Scope(report.scope).label,
        "request_ids": list(report.request_ids),
        "steps": steps,
        "status_line": status_line(report.status),
        "status_notes": status_notes(report.status, occurred.utc),
        "screenshot": report.screenshot.model_dump(mode="json") if report.screenshot else None,
        "screenshot_problem": report.screenshot_problem,
        "screenshot_file": MdSafe(
            "screenshot.jpg"
            if report.screenshot and report.screenshot.format == "jpeg"
            else "screenshot.png"
        ),
        "failed_requests": [
            {
                **r.model_dump(mode="json"),
                "time": f"{r.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if r.started_at else "",
            }
            for r in report.failed_requests
        ],
        "attachments": [{"name": e.name, "description": e.description} for e in report.evidence],
        "environment": report.environment.model_dump(mode="json"),
        "redaction": report.redaction.model_dump(mode="json"),
        "extra": dict(report.extra),
        "extra_fields": [
            {"key": q.key, "label": q.prompt, "value": report.extra.get(q.key)}
            for q in extra_questions
            if report.extra.get(q.key) not in (None, "", [])
        ],
        "tool_version": report.tool_version,
        "template_name": report.template.name,
        "template_version": report.template.version,
        "created_utc": f"{report.created_at:%Y-%m-%d %H:%M} UTC",
    }


def render_markdown(report: Report, template: Template, cache: Path | None = None) -> str:
    """The submission Markdown for ``report`` (``cache``: a folder for compiled templates)."""
    steps = template.checklist
    context = build_context(report, steps, template.manifest.questions)
    # A team template's own text, a HAR's URL: whatever the answers' cleaning did not see is
    # shown, not obeyed, when the submission is pasted or printed.
    return visible(render(template, context, cache=cache))

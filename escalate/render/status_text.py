"""The status page in words for the submission: the state, ongoing and overlapping incidents."""

from __future__ import annotations

from datetime import UTC, datetime

from escalate.model import StatusComponent, StatusIncident, StatusSnapshot


def status_line(status: StatusSnapshot | None) -> str | None:
    """One line for the field table: the overall state and when it was checked."""
    if status is None:
        return None
    if status.error:
        return f"could not check ({status.error})"
    checked = f"{status.checked_at.astimezone(UTC):%H:%M} UTC"
    return f"{status.description or status.indicator} (checked {checked})"


def components_text(components: list[StatusComponent]) -> str:
    """``File uploads (ChatGPT), Conversations (ChatGPT)``; empty when none are named."""
    return ", ".join(c.display for c in components)


def status_notes(status: StatusSnapshot | None, occurred_utc: datetime) -> list[str]:
    """Sentences that name the incidents support should hear about, ongoing ones first."""
    if status is None or status.error:
        return []
    notes = [_ongoing(i) for i in status.ongoing]
    notes += [_overlap(i, occurred_utc) for i in status.overlapping]
    return notes


def _affecting(incident: StatusIncident) -> str:
    names = components_text(incident.components)
    return f"affecting {names}" if names else "on the status page"


def _ongoing(incident: StatusIncident) -> str:
    since = f", open since {_clock(incident.started_at)} UTC" if incident.started_at else ""
    return f"An incident {_affecting(incident)} is ongoing{since}: {incident.name}."


def _overlap(incident: StatusIncident, occurred_utc: datetime) -> str:
    span = f"open from {_clock(incident.started_at, occurred_utc)}"
    if incident.resolved_at is not None:
        span += f" to {_clock(incident.resolved_at, occurred_utc)}"
    done = " (since resolved)" if incident.resolved_at is not None else ""
    return (
        f"An incident {_affecting(incident)} was {span} UTC, when this happened: "
        f"{incident.name}{done}."
    )


def _clock(moment: datetime | None, day_of: datetime | None = None) -> str:
    """``09:00``, with the date when it is not the day of ``day_of``."""
    if moment is None:
        return "?"
    utc = moment.astimezone(UTC)
    if day_of is not None and utc.date() == day_of.astimezone(UTC).date():
        return f"{utc:%H:%M}"
    return f"{utc:%Y-%m-%d %H:%M}"

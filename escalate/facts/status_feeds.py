"""Read the two status-page formats: incident.io's native feed and Atlassian Statuspage v2.

status.openai.com is hosted on incident.io; its page is drawn from
``/proxy/status.openai.com`` (components in groups, affected components, ongoing
incidents) and ``/proxy/status.openai.com/incidents`` (the history, with the start and end
of each component impact). Its ``/api/v2/`` Statuspage shim has empty update bodies and a
short history, but other pages are still plain Statuspage, so both are read. The format is
recognised from the document itself, never from the URL.

Every reader here takes decoded JSON of unknown shape and returns models; a field that is
missing or of the wrong type is skipped, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from escalate.model import StatusComponent, StatusIncident
from escalate.text import shorten

INCIDENT_IO = "incident.io"
STATUSPAGE = "statuspage"
MAX_INCIDENTS = 20
_DONE = {"resolved", "postmortem", "completed"}
# incident.io component states, worst last; Statuspage uses the same words but "major_outage".
_SEVERITY = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 1,
    "partial_outage": 2,
    "major_outage": 3,
    "full_outage": 3,
}
_INDICATORS = ("none", "minor", "major", "critical")
_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Degraded Performance",
    "major": "Partial Outage",
    "critical": "Major Outage",
}


class NotAStatusPage(ValueError):
    """The document is neither an incident.io feed nor a Statuspage summary."""


@dataclass
class Summary:
    """What a summary document says about now."""

    source: str
    indicator: str
    description: str | None
    affected: list[StatusComponent] = field(default_factory=list)
    ongoing: list[StatusIncident] = field(default_factory=list)
    # component id → (name, group): the history names components only by id
    names: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def history_url(url: str, source: str) -> str | None:
    """Where the incident history of the page at ``url`` lives, or None."""
    base = url.split("?", 1)[0].rstrip("/")
    if source == INCIDENT_IO:
        return f"{base}/incidents"
    if base.endswith("/summary.json"):
        return base.removesuffix("summary.json") + "incidents.json"
    return None


def read_summary(data: Any) -> Summary:
    """Recognise and read a summary document; raises :class:`NotAStatusPage`."""
    if isinstance(data, dict) and isinstance(data.get("summary"), dict):
        return _incident_io(data["summary"])
    if isinstance(data, dict) and _is_incident_io(data):
        return _incident_io(data)
    status = data.get("status") if isinstance(data, dict) else None
    if isinstance(status, dict) and isinstance(status.get("indicator"), str):
        return _statuspage(data, status)
    raise NotAStatusPage("not a status page (neither an incident.io feed nor summary.json)")


def read_history(data: Any, summary: Summary) -> list[StatusIncident]:
    """Every incident in a history document, with its time span and components."""
    incidents = data.get("incidents") if isinstance(data, dict) else None
    if not isinstance(incidents, list):
        raise NotAStatusPage("not an incident history (no incidents list)")
    reader = _io_incident if summary.source == INCIDENT_IO else _sp_incident
    return [i for raw in incidents if (i := reader(raw, summary.names)) is not None]


def overlapping(history: list[StatusIncident], when: datetime, now: datetime,
                ongoing: list[StatusIncident]) -> list[StatusIncident]:
    """Incidents from ``history`` that were open at ``when`` and are not listed as ongoing."""
    current = {i.name for i in ongoing}
    found: list[StatusIncident] = []
    for incident in history:
        start, end = incident.started_at, incident.resolved_at or now
        if start is None or incident.name in current:
            continue
        if incident.resolved_at is None and incident.status in _DONE:
            continue  # closed at an unknown time: claiming it was open then would be a guess
        if start <= when <= end:
            found.append(incident)
    return found[:MAX_INCIDENTS]


def _is_incident_io(data: dict[str, Any]) -> bool:
    return any(k in data for k in ("structure", "ongoing_incidents", "affected_components"))


def _str(value: Any) -> str | None:
    return shorten(value) if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _worst(states: list[str | None]) -> str:
    level = max((_SEVERITY.get(s or "", 0) for s in states), default=0)
    return _INDICATORS[level]


# --- incident.io -------------------------------------------------------------------------


def _io_names(summary: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    names: dict[str, tuple[str, str | None]] = {}
    for comp in _list(summary.get("components")):
        if (cid := _str(comp.get("id"))) and (name := _str(comp.get("name"))):
            names[cid] = (name, None)
    structure = summary.get("structure")
    items = _list(structure.get("items")) if isinstance(structure, dict) else []
    for item in items:
        group = item.get("group")
        if isinstance(group, dict):
            group_name = _str(group.get("name"))
            for comp in _list(group.get("components")):
                cid, name = _str(comp.get("component_id")), _str(comp.get("name"))
                if cid and (name or cid in names):
                    names[cid] = (name or names[cid][0], group_name)
        single = item.get("component")
        if isinstance(single, dict):
            cid, name = _str(single.get("component_id")), _str(single.get("name"))
            if cid and name:
                names[cid] = (name, None)
    return names


def _io_components(raw: Any, names: dict[str, tuple[str, str | None]]) -> list[StatusComponent]:
    out: list[StatusComponent] = []
    seen: set[str] = set()
    for ref in _list(raw):
        cid = _str(ref.get("component_id")) or _str(ref.get("id"))
        if cid is None or cid in seen or cid not in names:
            continue
        seen.add(cid)
        name, group = names[cid]
        out.append(StatusComponent(name=name, group=group, status=_str(ref.get("status"))))
    return out


def _io_incident(raw: Any, names: dict[str, tuple[str, str | None]]) -> StatusIncident | None:
    if not isinstance(raw, dict) or (name := _str(raw.get("name"))) is None:
        return None
    impacts = _list(raw.get("component_impacts"))
    starts = [t for i in impacts if (t := _time(i.get("start_at")))]
    ends = [_time(i.get("end_at")) for i in impacts]
    status = _str(raw.get("status"))
    resolved = None
    if status in _DONE:
        closed = [t for t in ends if t is not None]
        updates = _list(raw.get("updates"))
        finals = [t for u in updates if u.get("to_status") in _DONE
                  if (t := _time(u.get("published_at")))]
        resolved = max(closed or finals, default=None)
    components = _io_components([*_list(raw.get("affected_components")), *impacts], names)
    return StatusIncident(
        name=name,
        status=status,
        started_at=min(starts, default=None) or _time(raw.get("published_at")),
        resolved_at=resolved,
        components=components,
    )


def _incident_io(summary: dict[str, Any]) -> Summary:
    names = _io_names(summary)
    affected = _io_components(summary.get("affected_components"), names)
    ongoing = [i for raw in _list(summary.get("ongoing_incidents"))
               if (i := _io_incident(raw, names)) is not None]
    for raw in _list(summary.get("scheduled_maintenances")):
        status = str(raw.get("status", ""))
        maintenance = _io_incident(raw, names) if "progress" in status else None
        if maintenance is not None:
            maintenance.name = f"Maintenance: {maintenance.name}"
            ongoing.append(maintenance)
    indicator = _worst([c.status for c in affected])
    if indicator == "none" and ongoing:
        indicator = "minor"  # an open incident whose components are not marked yet
    return Summary(INCIDENT_IO, indicator, _DESCRIPTIONS[indicator], affected,
                   ongoing[:MAX_INCIDENTS], names)


# --- Statuspage v2 -----------------------------------------------------------------------


def _sp_component(raw: dict[str, Any], groups: dict[str, str]) -> StatusComponent | None:
    name = _str(raw.get("name"))
    if name is None:
        return None
    group = groups.get(str(raw.get("group_id") or ""))
    return StatusComponent(name=name, group=group, status=_str(raw.get("status")))


def _sp_incident(raw: Any, names: dict[str, tuple[str, str | None]]) -> StatusIncident | None:
    if not isinstance(raw, dict) or (name := _str(raw.get("name"))) is None:
        return None
    components: list[StatusComponent] = []
    for comp in _list(raw.get("components")):
        known = names.get(str(comp.get("id")))
        label = known[0] if known else _str(comp.get("name"))
        if label is not None:
            components.append(StatusComponent(name=label, group=known[1] if known else None,
                                              status=_str(comp.get("status"))))
    return StatusIncident(
        name=name,
        status=_str(raw.get("status")),
        started_at=_time(raw.get("started_at")) or _time(raw.get("created_at")),
        resolved_at=_time(raw.get("resolved_at")),
        components=components,
    )


def _statuspage(data: dict[str, Any], status: dict[str, Any]) -> Summary:
    comps = _list(data.get("components"))
    groups = {str(c.get("id")): n for c in comps if c.get("group") and (n := _str(c.get("name")))}
    names: dict[str, tuple[str, str | None]] = {}
    affected: list[StatusComponent] = []
    for raw in comps:
        if raw.get("group"):
            continue
        comp = _sp_component(raw, groups)
        if comp is None:
            continue
        names[str(raw.get("id"))] = (comp.name, comp.group)
        if comp.status not in (None, "operational"):
            affected.append(comp)
    ongoing: list[StatusIncident] = []
    for raw in _list(data.get("incidents")):
        if str(raw.get("status", "")).lower() in _DONE or raw.get("resolved_at"):
            continue
        incident = _sp_incident(raw, names)
        if incident is not None:
            ongoing.append(incident)
    return Summary(STATUSPAGE, shorten(status["indicator"]), _str(status.get("description")),
                   affected, ongoing[:MAX_INCIDENTS], names)

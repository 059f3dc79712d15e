"""Which status-page components a known symptom depends on, and the incidents on them now.

During an incident, refreshing and retrying rarely help and a support ticket only waits
for the same fix; so triage says first when a component the symptom depends on has an
ongoing incident. Component names are the ones status.openai.com shows (its ChatGPT and
APIs groups); a page without them simply matches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from escalate.facts.triage import SYMPTOMS, Symptom
from escalate.model import StatusComponent, StatusIncident, StatusSnapshot

# Symptom title → the components (by name) or whole groups ("group:APIs") it depends on.
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "Upload failed": ("File uploads",),
    "Conversation not found": ("Conversations",),
    "Code interpreter / data analysis session expired": ("Code Interpreter", "Data Analysis"),
    "Answer cut off: error in the message stream": ("Conversations",),
    "Network error or 'Something went wrong'": ("Conversations", "Login"),
    "Signed out or sign-in loop": ("Login",),
    "API error": ("group:APIs", "group:API"),
}
_KNOWN = {s.title for s in SYMPTOMS}


@dataclass(frozen=True)
class IncidentMatch:
    """A symptom whose component is not operational right now, and the incident if named."""

    symptom: Symptom
    component: StatusComponent
    incident: StatusIncident | None


def depends_on(symptom: Symptom, component: StatusComponent) -> bool:
    """Whether ``symptom`` is likely caused by trouble on ``component``."""
    names = DEPENDS_ON.get(symptom.title, ())
    group = f"group:{component.group}".casefold() if component.group else None
    return any(n.casefold() in (component.name.casefold(), group) for n in names)


def matching_incidents(symptoms: Sequence[Symptom], status: StatusSnapshot | None
                       ) -> list[IncidentMatch]:
    """Ongoing incidents (or degraded components) that match ``symptoms``, first match each."""
    if status is None or status.error:
        return []
    found: list[IncidentMatch] = []
    for symptom in symptoms:
        match = next((IncidentMatch(symptom, c, i) for i in status.ongoing
                      for c in i.components if depends_on(symptom, c)), None)
        if match is None:
            match = next((IncidentMatch(symptom, c, None) for c in status.affected
                          if depends_on(symptom, c)), None)
        if match is not None:
            found.append(match)
    return found


def unknown_titles() -> list[str]:
    """Titles in :data:`DEPENDS_ON` that no symptom has (a renamed symptom; tested)."""
    return sorted(set(DEPENDS_ON) - _KNOWN)

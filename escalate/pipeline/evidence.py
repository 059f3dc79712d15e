"""The first stage of ``new``: everything known before anyone is asked anything.

The answers given (a resumed draft, an answers file, the error text from a file or a
pipe, ``--set``), this machine's environment, a HAR file and the remembered email are
gathered here, so that they can answer questions instead of the person: a HAR's failing
request fills the request ID, the endpoint, the status code and the time wherever a
template asks for them, and its recording browser is the default browser.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from escalate.background import Job
from escalate.errors import EscalateError
from escalate.facts.browsers import DESKTOP_APP
from escalate.facts.environment import collect
from escalate.facts.user_agent import Client
from escalate.model import Environment, FailedRequest, Surface
from escalate.pipeline import answers as A
from escalate.privacy.har import HarSummary, sanitize_har
from escalate.privacy.redact import Redactor
from escalate.storage.drafts import Draft
from escalate.text import counted, decode_input

Notify = Callable[[str], None]


@dataclass(frozen=True)
class HarEvidence:
    """A sanitised HAR: what it says about the failure, and the bytes for the bundle."""

    summary: HarSummary
    sanitized: bytes

    @property
    def first_failure(self) -> FailedRequest | None:
        return self.summary.failed[0] if self.summary.failed else None

    def facts(self) -> dict[str, Any]:
        """Answers this HAR gives: failing request IDs, endpoint, status code, time, browser."""
        found: dict[str, Any] = {}
        failing = [r.request_id for r in self.summary.failed if r.request_id]
        if failing:
            # only the failing requests' ids help support; cf-ray is on every response too
            found["request_id"] = list(dict.fromkeys(failing))
        first = self.first_failure
        if first is not None:
            found["endpoint"] = f"{first.method} {urlsplit(first.url).path or '/'}"
            found["status_code"] = str(first.status) if first.status else "no response"
        if self.summary.first_failure_at is not None:
            found["occurred_at"] = self.summary.first_failure_at.astimezone(UTC).isoformat()
        client: Client = self.summary.client
        if client.display:
            found["browser"] = client.display
        if client.surface is not None:
            found["surface"] = client.surface.value
        return found


@dataclass
class Evidence:
    """What is known before the questions: given answers and detected facts."""

    given: dict[str, Any]
    environment: Environment
    draft: Draft | None = None
    har: HarEvidence | None = None
    remembered_email: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def given_answers(
    draft: Draft | None,
    answers_file: Path | None,
    error_text: bytes | None,
    sets: dict[str, str],
) -> dict[str, Any]:
    """Merge answer sources, lowest precedence first: draft, answers file, error text, --set."""
    merged: dict[str, Any] = dict(draft.answers) if draft else {}
    if answers_file is not None:
        merged.update(A.load_answers_file(answers_file))
    if error_text is not None:
        merged["error_text"] = decode_input(error_text)
    merged.update(sets)
    return merged


def environment_of(job: Job[Environment] | None, notify: Notify) -> Environment:
    """This machine's facts, from the probes started at launch (or started now)."""
    job = job or Job.start(collect, "environment")
    env = job.result(timeout=5.0, fallback=Environment())
    if job.error is not None:  # a collector bug must not cost the report
        notify(f"could not detect the environment ({type(job.error).__name__}); asking instead")
    return env


def read_har(
    path: Path, reporter_email: str | None, notify: Notify, keep_bodies: bool = False
) -> HarEvidence | None:
    """Sanitise the HAR once, keep its summary; an unreadable HAR is a note, not a stop."""
    with tempfile.TemporaryDirectory(prefix="escalate-har-") as tmp:
        out = Path(tmp) / "sanitized.har"
        try:
            redactor = Redactor(reporter_email=reporter_email)
            summary = sanitize_har(path, out, redactor, keep_bodies=keep_bodies)
        except EscalateError as exc:
            notify(f"HAR skipped: {exc.message}")
            return None
        evidence = HarEvidence(summary, out.read_bytes())
    ids = {r.request_id for r in summary.failed if r.request_id}
    notify(
        f"HAR: {counted(summary.entries, 'request')}, {len(summary.failed)} failing, "
        f"{counted(len(ids), 'request ID')} of failing requests"
    )
    return evidence


# The ChatGPT app on a phone, by where it happened: named once, for the default and the
# version typed on the guided path alike.
PHONE_APPS = {
    Surface.IOS_APP.value: "ChatGPT for iOS",
    Surface.ANDROID_APP.value: "ChatGPT for Android",
}


def detected_platform(env: Environment, surface: str | None) -> str | None:
    """The platform to offer: this machine's OS, or the phone's system for an app there."""
    if surface == Surface.IOS_APP.value:
        return "iOS / iPadOS"
    if surface == Surface.ANDROID_APP.value:
        return "Android"
    if surface == Surface.OTHER_DEVICE.value:
        return None
    return env.platform_display


def detected_browser(env: Environment, surface: str | None, har: HarEvidence | None) -> str | None:
    """The browser or app to offer: the HAR's own browser first, then this machine's."""
    if surface in PHONE_APPS:
        return f"{PHONE_APPS[surface]} (version not sure)"
    if surface == Surface.API.value:
        return "API client (no browser)"
    if surface == Surface.OTHER_DEVICE.value:
        return None
    if surface == Surface.DESKTOP_APP.value:
        return env.desktop_app.display if env.desktop_app else DESKTOP_APP
    if har is not None and har.summary.client.display:
        return har.summary.client.display
    if env.default_browser:
        for b in env.browsers:
            if b.name.lower() in env.default_browser.lower():
                return b.display
        return env.default_browser
    return env.browsers[0].display if env.browsers else None


def recorded_elsewhere(env: Environment, har: HarEvidence | None) -> dict[str, str]:
    """When the HAR's browser ran on another system than this one (a Windows User-Agent on
    a Linux machine), the report describes that device, not this computer."""
    if har is None:
        return {}
    client = har.summary.client
    here = (env.os_name or "").lower()
    if not client.os_name or not here:
        return {}
    same = client.os_name.lower() in here or (client.os_name == "macOS" and "mac" in here)
    if same or client.surface not in (Surface.BROWSER, Surface.OTHER_DEVICE):
        return {}
    return {"surface": Surface.OTHER_DEVICE.value, "platform": client.os_name}


def detected_surface(env: Environment, facts: dict[str, Any]) -> str:
    """Where it most likely happened: the HAR's device, else a browser or the desktop app."""
    if "surface" in facts:
        return str(facts["surface"])
    if env.desktop_app is not None and not env.browsers:
        return Surface.DESKTOP_APP.value
    return Surface.BROWSER.value


def now_utc(clock: Callable[[], datetime]) -> datetime:
    """The clock's time as an aware UTC datetime."""
    now = clock()
    return now if now.tzinfo else now.replace(tzinfo=UTC)

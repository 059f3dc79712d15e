"""The Report and its parts: one validated shape that every stage reads and returns."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from escalate.text import clean_text

# 2: status components, incidents and overlaps; sent records. Version 1 files still load.
SCHEMA_VERSION = 2


class Scope(StrEnum):
    """How far the failure reaches; support asks for this first."""

    ONE_CHAT = "one_chat"
    ALL_CHATS = "all_chats"
    ONE_BROWSER = "one_browser"
    ONE_DEVICE = "one_device"
    EVERY_DEVICE = "every_device"

    @property
    def label(self) -> str:
        return _SCOPE_LABELS[self]


_SCOPE_LABELS = {
    Scope.ONE_CHAT: "One chat only",
    Scope.ALL_CHATS: "All chats",
    Scope.ONE_BROWSER: "One browser only (others work)",
    Scope.ONE_DEVICE: "One device only (others work)",
    Scope.EVERY_DEVICE: "Every device and browser tried",
}


class Surface(StrEnum):
    """Where the failure happened: it decides which facts of this machine belong in the report."""

    BROWSER = "browser"
    DESKTOP_APP = "desktop_app"
    IOS_APP = "ios_app"
    ANDROID_APP = "android_app"
    API = "api"
    OTHER_DEVICE = "other_device"

    @property
    def label(self) -> str:
        return _SURFACE_LABELS[self]

    @property
    def on_this_machine(self) -> bool:
        """Whether this computer's OS, browsers and locale describe where it happened."""
        return self in (Surface.BROWSER, Surface.DESKTOP_APP, Surface.API)


_SURFACE_LABELS = {
    Surface.BROWSER: "In a web browser on this computer",
    Surface.DESKTOP_APP: "In the ChatGPT app on this computer",
    Surface.IOS_APP: "In the ChatGPT app on an iPhone or iPad",
    Surface.ANDROID_APP: "In the ChatGPT app on an Android phone or tablet",
    Surface.API: "Through the OpenAI API (my own code)",
    Surface.OTHER_DEVICE: "On another computer or device",
}


class Strict(BaseModel):
    """Base for every persisted model: unknown keys are an error, not silently kept.

    Validators are built on first use, not at import: a run that never makes a
    ``StatusSnapshot`` or ``FailedRequest`` of its own never pays for one.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=False, validate_assignment=True, defer_build=True
    )


class Browser(Strict):
    """A browser or app, with its version when known."""

    name: str
    version: str | None = None
    path: str | None = None

    @property
    def display(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


class Environment(Strict):
    """Facts about this machine; anything unknown is None."""

    os_name: str | None = None
    os_version: str | None = None
    arch: str | None = None
    timezone: str | None = None
    utc_offset: str | None = None
    locale: str | None = None
    browsers: list[Browser] = Field(default_factory=list)
    default_browser: str | None = None
    desktop_app: Browser | None = None
    proxy_vars: list[str] = Field(default_factory=list)
    vpn_interfaces: list[str] = Field(default_factory=list)
    python: str | None = None

    @property
    def platform_display(self) -> str | None:
        parts = [p for p in (self.os_name, self.os_version) if p]
        if not parts:
            return None
        text = " ".join(parts)
        return f"{text} ({self.arch})" if self.arch else text


class OccurredAt(Strict):
    """When it happened: the reporter's wall clock with its IANA zone, and the UTC instant."""

    local: datetime
    timezone: str
    utc: datetime
    approximate: bool = False

    @field_validator("local", "utc")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset")
        return value


class Evidence(Strict):
    """A file in the bundle and what it is for."""

    name: str
    description: str
    sha256: str | None = None
    size: int | None = None


class ScreenshotInfo(Strict):
    """How the screenshot was obtained (never what redacted regions contained)."""

    source: str  # "capture" | "file"
    width: int
    height: int
    format: str = "png"
    redacted_regions: int = 0
    note: str | None = None


class StatusComponent(Strict):
    """A component on the status page ("File uploads") with its group ("ChatGPT")."""

    name: str
    group: str | None = None
    status: str | None = None

    @property
    def display(self) -> str:
        return f"{self.name} ({self.group})" if self.group else self.name


class StatusIncident(Strict):
    """An incident on the status page, with the components it affected."""

    name: str
    status: str | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    components: list[StatusComponent] = Field(default_factory=list)


class StatusSnapshot(Strict):
    """The public status page at report time; failure to fetch is recorded, not raised.

    ``incidents`` names the ongoing incidents (kept from schema 1); ``ongoing`` has them
    in full, ``affected`` the components not operational now, and ``overlapping`` the
    incidents from the history that were open when the error happened.
    """

    url: str
    checked_at: datetime
    source: str | None = None  # "incident.io" | "statuspage"
    indicator: str | None = None
    description: str | None = None
    incidents: list[str] = Field(default_factory=list)
    ongoing: list[StatusIncident] = Field(default_factory=list)
    affected: list[StatusComponent] = Field(default_factory=list)
    overlapping: list[StatusIncident] = Field(default_factory=list)
    history_error: str | None = None
    error: str | None = None


class FailedRequest(Strict):
    """A failing request found in a HAR file."""

    method: str
    url: str
    status: int
    started_at: datetime | None = None
    request_id: str | None = None
    error: str | None = None


class Sent(Strict):
    """One delivery of the bundle by email: to whom, when, through which server."""

    to: str
    at: datetime
    via: str


class TemplateRef(Strict):
    """Which template rendered this report."""

    name: str
    version: str


class RedactionSummary(Strict):
    """What categories were scrubbed and how many of each (never the values).

    ``counts`` is everything removed, the HAR's share included; ``har`` is that share alone
    (cookie values, tokens, request and response bodies), and ``bodies_kept`` says the HAR's
    bodies were kept, redacted (``--keep-bodies``).
    """

    enabled: bool = True
    counts: dict[str, int] = Field(default_factory=dict)
    undone: list[str] = Field(default_factory=list)
    har: dict[str, int] = Field(default_factory=dict)
    bodies_kept: bool = False

    def joined(self, enabled: bool, text_counts: dict[str, int]) -> RedactionSummary:
        """The text redactor's counts with this summary's HAR share added."""
        counts = dict(text_counts)
        for category, n in self.har.items():
            counts[category] = counts.get(category, 0) + n
        return RedactionSummary(
            enabled=enabled, counts=counts, har=dict(self.har), bodies_kept=self.bodies_kept
        )


ExtraValue = str | bool | list[str] | None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Report(Strict):
    """Everything support needs, validated."""

    schema_version: int = SCHEMA_VERSION
    id: str
    created_at: datetime = Field(default_factory=_utcnow)
    tool_version: str
    template: TemplateRef
    email: EmailStr
    occurred_at: OccurredAt
    surface: Surface | None = None
    platform: str
    browser: str | None = None
    request_ids: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    error_text: str
    scope: Scope
    steps_tried: list[str] = Field(default_factory=list)
    summary: str
    environment: Environment = Field(default_factory=Environment)
    screenshot: ScreenshotInfo | None = None
    screenshot_problem: str | None = None  # why there is no screenshot, in the reporter's words
    status: StatusSnapshot | None = None
    failed_requests: list[FailedRequest] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    redaction: RedactionSummary = Field(default_factory=RedactionSummary)
    extra: dict[str, ExtraValue] = Field(default_factory=dict)
    sent: list[Sent] = Field(default_factory=list)

    @field_validator("error_text", "summary")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"report schema {value} is newer than this escalate understands "
                f"({SCHEMA_VERSION}); upgrade escalate"
            )
        return value


def report_json_schema() -> dict[str, Any]:
    """The JSON schema of report.json."""
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "escalate report"
    return schema

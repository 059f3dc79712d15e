"""Where things live: drafts, finished reports and settings under platformdirs.

``ESCALATE_HOME`` redirects every path (tests, CI, a portable install). Folders are 0700
and files 0600, because a report holds an email address and possibly more.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from escalate.errors import NotFoundError
from escalate.fsio import atomic_write, private_dir

APP = "escalate"
BUNDLE_DIR = "bundle"  # a report's default bundle: <record>/bundle, apart from its private files
DRAFT_VERSION = 1
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class Paths:
    """The folders escalate uses; created lazily, never at import."""

    data: Path
    config: Path
    cache: Path

    @property
    def reports(self) -> Path:
        return self.data / "reports"

    @property
    def drafts(self) -> Path:
        return self.data / "drafts"

    @property
    def compiled_templates(self) -> Path:
        """Compiled built-in templates (no personal data; safe to delete)."""
        return self.cache / "templates"

    @property
    def user_templates(self) -> Path:
        return self.config / "templates"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"


def paths(env: Mapping[str, str] | None = None) -> Paths:
    """Resolve the folders, honouring ``ESCALATE_HOME``."""
    env = os.environ if env is None else env
    home = env.get("ESCALATE_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(data=root / "data", config=root / "config", cache=root / "cache")
    import platformdirs

    return Paths(
        data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
        cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
    )


def new_report_id(now: datetime) -> str:
    """A sortable, readable id such as ``2026-11-20-0315-k3f9`` (UTC time + 4 random chars)."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(4))
    return f"{now.astimezone(UTC):%Y-%m-%d-%H%M}-{suffix}"


# --- drafts -------------------------------------------------------------------------------


@dataclass
class Draft:
    """Answers typed so far, saved after every answer so nothing is lost."""

    id: str
    template: str
    answers: dict[str, Any]
    started_at: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "draft_version": DRAFT_VERSION,
                "id": self.id,
                "template": self.template,
                "answers": self.answers,
                "started_at": self.started_at,
            },
            indent=2,
            ensure_ascii=False,
        )


class DraftStore:
    """Drafts under ``data/drafts``; the newest one is what ``--resume`` picks up."""

    def __init__(self, p: Paths) -> None:
        self.dir = p.drafts

    def save(self, draft: Draft) -> Path:
        private_dir(self.dir)
        return atomic_write(self.dir / f"{draft.id}.json", draft.to_json())

    def latest(self) -> Draft | None:
        drafts = sorted(self.files(), key=lambda f: f.stat().st_mtime, reverse=True)
        for f in drafts:
            draft = _read_draft(f)
            if draft is not None:
                return draft
        return None

    def discard(self, draft_id: str) -> None:
        (self.dir / f"{draft_id}.json").unlink(missing_ok=True)

    def files(self) -> Iterator[Path]:
        """Every draft file (readable or not)."""
        if self.dir.is_dir():
            yield from self.dir.glob("*.json")


def _read_draft(f: Path) -> Draft | None:
    # A draft from a newer version or a damaged file is skipped, not crashed on.
    try:
        raw = json.loads(f.read_text(encoding="utf-8"))
        if raw.get("draft_version", 0) > DRAFT_VERSION:
            return None
        return Draft(
            id=str(raw["id"]),
            template=str(raw["template"]),
            answers=dict(raw["answers"]),
            started_at=str(raw["started_at"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


# --- finished reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoredReport:
    """A finished report in the history: its folder and the parsed report.json."""

    id: str
    folder: Path
    data: dict[str, Any]

    @property
    def bundle(self) -> Path | None:
        """Where its bundle was written (``bundle.json``), or None when that is unknown."""
        try:
            info = json.loads((self.folder / "bundle.json").read_text(encoding="utf-8"))
            return Path(str(info["bundle"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def bundle_folder(folder: Path) -> Path:
    """The bundle a folder stands for: a history record (``reports/ID``) means its bundle."""
    bundle = StoredReport(folder.name, folder, {}).bundle
    if bundle is not None and bundle != folder and bundle.is_dir():
        return bundle
    return folder


class ReportStore:
    """Finished reports under ``data/reports/<id>/``."""

    def __init__(self, p: Paths) -> None:
        self.dir = p.reports

    def folder_for(self, report_id: str) -> Path:
        private_dir(self.dir)
        return self.dir / report_id

    def all(self) -> list[StoredReport]:
        """Every readable report, newest first."""
        found: list[StoredReport] = []
        if not self.dir.is_dir():
            return found
        for folder in sorted(self.dir.iterdir(), reverse=True):
            record = _read_report(folder)
            if record is not None:
                found.append(record)
        return found

    def get(self, ref: str) -> StoredReport:
        """A report by id, unique id prefix, or ``last``."""
        reports = self.all()
        if ref == "last":
            if not reports:
                raise NotFoundError("there are no finished reports yet", "run `escalate new`")
            return reports[0]
        exact = [r for r in reports if r.id == ref]
        matches = exact or [r for r in reports if r.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(f"no report with id {ref!r}")
        raise NotFoundError(
            f"{ref!r} matches {len(matches)} reports", "give more of the id (see `escalate list`)"
        )


def _read_report(folder: Path) -> StoredReport | None:
    try:
        data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return StoredReport(id=folder.name, folder=folder, data=data)


# --- settings -----------------------------------------------------------------------------


def load_settings(p: Paths) -> dict[str, Any]:
    """User settings (non-secret); a damaged file reads as empty."""
    try:
        raw = json.loads(p.settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def save_settings(p: Paths, settings: Mapping[str, Any]) -> None:
    """Write user settings atomically, 0600."""
    private_dir(p.config)
    atomic_write(p.settings_file, json.dumps(dict(settings), indent=2, ensure_ascii=False))


# --- purge --------------------------------------------------------------------------------


def _bundle_of(record: StoredReport) -> Path | None:
    bundle = record.bundle
    if bundle is None:
        return None
    try:
        report = json.loads((bundle / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # Only a folder that still holds this very report is ours to delete.
    inside = bundle.is_relative_to(record.folder)  # goes with the record folder itself
    if inside or report.get("id") != record.id or bundle.is_symlink():
        return None
    return bundle


def _created(record: StoredReport) -> datetime | None:
    try:
        return datetime.fromisoformat(str(record.data["created_at"]))
    except (KeyError, ValueError):
        return None


def purge(p: Paths, ref: str | None, older_than: timedelta | None, now: datetime) -> list[Path]:
    """Delete reports (history, bundle, zip, redaction map) and drafts for good."""
    import shutil

    store = ReportStore(p)
    if ref is not None:
        records = [store.get(ref)]
    elif older_than is not None:
        cutoff = now - older_than
        records = [r for r in store.all() if (c := _created(r)) is not None and c < cutoff]
    else:
        records = store.all()
    removed: list[Path] = []
    for record in records:
        for folder in (_bundle_of(record), record.folder):
            if folder is None:
                continue
            zipped = folder.with_name(folder.name + ".zip")
            if zipped.is_file() and not zipped.is_symlink():
                zipped.unlink()
                removed.append(zipped)
            shutil.rmtree(folder)
            removed.append(folder)
    if ref is None:
        drafts = DraftStore(p)
        for f in list(drafts.files()):
            age = now.timestamp() - f.stat().st_mtime
            if older_than is None or age > older_than.total_seconds():
                f.unlink()
                removed.append(f)
    return removed

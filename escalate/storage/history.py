"""Finished reports: the history folder of each, its bundle, and purging them for good."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from escalate.errors import NotFoundError
from escalate.storage.atomic import private_dir
from escalate.storage.drafts import DraftStore
from escalate.storage.paths import Paths


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

    @contextlib.contextmanager
    def new_record(self, report_id: str) -> Iterator[Path]:
        """The new history folder of ``report_id``, removed again if the block fails.

        A failed run (a full disk, a read-only folder) must not leave an empty or partial
        record, which ``list``, ``show`` and ``purge`` could not see.
        """
        folder = self.folder_for(report_id)
        existed = folder.exists()
        private_dir(folder)
        try:
            yield folder
        except BaseException:
            if not existed and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
            raise

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

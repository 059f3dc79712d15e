"""Which bundle ``ID|DIR`` means, its report, and the history record to note a delivery in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from escalate.errors import NotFoundError, VerifyError
from escalate.model import Report, Sent
from escalate.render.bundle import verify
from escalate.render.message import join_parts, markdown_to_text, part_names
from escalate.storage.atomic import atomic_write
from escalate.storage.history import ReportStore, StoredReport, bundle_folder
from escalate.storage.paths import Paths
from escalate.text import counted


@dataclass(frozen=True)
class Located:
    """A bundle checked against its SHA256SUMS, with its report."""

    folder: Path
    files: list[str]
    report: Report
    record: StoredReport | None

    def message_parts(self) -> list[str]:
        """The chat-box text, one string per part, in order."""
        names = part_names(self.files)
        if names:
            return [(self.folder / n).read_text(encoding="utf-8") for n in names]
        if "submission.md" in self.files:  # a bundle from before message.txt existed
            markdown = (self.folder / "submission.md").read_text(encoding="utf-8")
            return [markdown_to_text(markdown)]
        raise NotFoundError(
            f"{self.folder} has no message.txt", "render it again: escalate render DIR"
        )

    def message(self) -> str:
        """The whole chat-box text (parts joined back together)."""
        return join_parts(self.message_parts())


def locate(p: Paths, ref: str) -> Located:
    """The bundle for a report id (prefix, ``last``) or a bundle or record folder.

    Everything it will hand on is checked against ``SHA256SUMS`` first, so what leaves is
    byte for byte what was written.
    """
    store = ReportStore(p)
    path = Path(ref).expanduser()
    record: StoredReport | None = None
    if path.is_dir():
        folder = bundle_folder(path)
    else:
        record = store.get(ref)
        folder = record.bundle or record.folder
    result = verify(folder)
    if result.bad or result.missing:
        broken = [*result.bad, *result.missing]
        raise VerifyError(f"{counted(len(broken), 'file')} in {folder} changed or missing: "
                          f"{', '.join(broken)}")
    source = folder / "report.json"
    if not source.is_file():  # a bundle without json: its history record has the report
        record = record or next(
            (r for r in store.all() if r.bundle is not None and r.bundle == folder.resolve()),
            None,
        )
        if record is not None:
            source = record.folder / "report.json"
    try:
        report = Report.model_validate_json(source.read_bytes())
    except FileNotFoundError:
        raise NotFoundError(f"{folder} has no report.json",
                            "give a report id, or a bundle written with json in --format") from None
    except ValidationError as exc:
        raise NotFoundError(f"{source}: not an escalate report ({exc.error_count()} problems)") \
            from None
    if record is None:
        record = next((r for r in store.all() if r.id == report.id), None)
    return Located(folder, result.ok, report, record)


def record_sent(located: Located, sent: Sent) -> Path | None:
    """Note a delivery in the report's history record (the bundle itself stays untouched)."""
    if located.record is None:
        return None
    target = located.record.folder / "report.json"
    report = Report.model_validate_json(target.read_bytes())
    report.sent = [*report.sent, sent]
    atomic_write(target, report.model_dump_json(indent=2).encode())
    return target

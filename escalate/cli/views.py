"""Text views of reports and bundles for the terminal (``new``, ``list``, ``show``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from escalate.model import Report
from escalate.privacy.redact import counts_text
from escalate.render.bundle import Bundle, sha256
from escalate.render.message import part_names
from escalate.storage.history import StoredReport


def _size(n: int) -> str:
    return (
        f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024**2 else f"{n / 1024**2:.1f} MB"
    )


def describe_files(bundle: Bundle) -> str:
    """One line per file written, with its size."""
    lines = [f"  {n:<16} {_size((bundle.folder / n).stat().st_size):>9}" for n in bundle.files]
    if bundle.zip_path is not None:
        lines.append(f"  zip: {bundle.zip_path}")
    return "\n".join([f"Written to {bundle.folder}/", *lines])


def bundle_json(bundle: Bundle, report: Report) -> dict[str, Any]:
    """``new --json``: the bundle folder, each file with size and sha256, what was scrubbed."""

    files = []
    for name in bundle.files:
        data = (bundle.folder / name).read_bytes()
        files.append({"name": name, "size": len(data), "sha256": sha256(data)})
    return {
        "id": report.id,
        "folder": str(bundle.folder),
        "files": files,
        "zip": str(bundle.zip_path) if bundle.zip_path is not None else None,
        "redaction": report.redaction.model_dump(mode="json"),
        "screenshot_problem": report.screenshot_problem,
    }


def describe_bundle(bundle: Bundle, report: Report) -> str:
    """What was written, and what to do with it."""
    lines = [f"Report {report.id}. " + describe_files(bundle)]
    if report.screenshot_problem:
        lines.append(f"  (no screenshot: {report.screenshot_problem})")
    lines.append(_scrubbed(report))
    parts = part_names(bundle.files)
    if len(parts) > 1:
        paste = (f"paste {parts[0]} to {parts[-1]} one at a time "
                 f"(`escalate copy {report.id} --part N`)")
    else:
        paste = f"paste {parts[0]}" if parts else "paste submission.md"
    lines += [
        "",
        "Nothing has been sent. To file it: open a chat with OpenAI support (help.openai.com),",
        f"{paste} and attach the files above. Or as an email: `escalate eml {report.id}`.",
        f"Check the files with `escalate verify {bundle.folder}`.",
    ]
    return "\n".join(lines)


def _scrubbed(report: Report) -> str:
    redaction = report.redaction
    if not redaction.enabled:
        har = counts_text(redaction.har)
        from_har = f" (from the HAR only: {har} removed)" if har else ""
        return f"Scrubbing was off (--no-redact){from_har}: read the files before you attach them."

    bodies = {c: n for c, n in redaction.counts.items() if c in _BODIES}
    replaced = counts_text({c: n for c, n in redaction.counts.items() if c not in _BODIES})
    kept = f"; {len(redaction.undone)} put back at your request" if redaction.undone else ""
    lines = []
    if replaced:
        lines.append(
            f"Replaced by placeholders: {replaced}{kept}. The originals stay on this machine."
        )
    if bodies:
        lines.append(f"Removed from the HAR: {counts_text(bodies)}.")
    if redaction.bodies_kept:
        lines.append("The HAR's bodies were kept, redacted (--keep-bodies).")
    return "\n".join(lines) or f"Nothing needed scrubbing{kept}."


_BODIES = frozenset({"request_body", "response_body"})


def _row(record: StoredReport) -> dict[str, Any]:
    data = record.data
    occurred = data.get("occurred_at") or {}
    bundle = record.bundle
    return {
        "id": record.id,
        "created_at": data.get("created_at"),
        "occurred_at_utc": occurred.get("utc"),
        "template": (data.get("template") or {}).get("name"),
        "summary": data.get("summary"),
        "scope": data.get("scope"),
        "folder": str(record.folder),
        "bundle": str(bundle) if bundle else None,
    }


def list_json(records: Sequence[StoredReport]) -> str:
    """``escalate list --json``: one object per report, newest first."""
    return json.dumps([_row(r) for r in records], indent=2, ensure_ascii=False)


def list_lines(records: Sequence[StoredReport]) -> list[str]:
    """``escalate list``: one line per report."""
    lines = []
    for r in records:
        row = _row(r)
        summary = str(row["summary"] or "")
        if len(summary) > 60:
            summary = summary[:59] + "…"
        lines.append(f"{row['id']}  {row['template'] or '?':<22} {summary}")
    return lines


def show_text(record: StoredReport, as_json: bool = False) -> str:
    """``escalate show``: the stored submission, or report.json."""
    if as_json:
        return json.dumps(record.data, indent=2, ensure_ascii=False)
    bundle = record.bundle or record.folder
    md = bundle / "submission.md"
    header = f"Report {record.id} · bundle {bundle}"
    try:
        return header + "\n\n" + md.read_text(encoding="utf-8")
    except OSError:
        return header + "\n\n" + json.dumps(record.data, indent=2, ensure_ascii=False)


def copied_line(tool: str, part: int, total: int, report_id: str) -> str:
    """What was copied, and the next part's command when there is one."""
    if total == 1:
        return f"Copied to the clipboard ({tool}): paste it into the support chat."
    line = f"Copied part {part} of {total} to the clipboard ({tool}): paste it into the chat."
    if part < total:
        line += f" Next: escalate copy {report_id} --part {part + 1}"
    return line

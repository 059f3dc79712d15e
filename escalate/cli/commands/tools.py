"""Stand-alone tools beside ``new``: redact, har, purge, check-file, triage, status."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.errors import EscalateError, ExitCode, OutputError, UsageError
from escalate.facts.incidents import matching_incidents
from escalate.facts.status import fetch_status
from escalate.facts.triage import check_file, triage
from escalate.privacy.har import sanitize_har
from escalate.privacy.redact import Redactor
from escalate.render.status_text import components_text
from escalate.storage.atomic import private_dir
from escalate.storage.history import purge
from escalate.storage.paths import paths
from escalate.templating.manifest import Question
from escalate.text import clean_text, counted, decode_input

if TYPE_CHECKING:
    from escalate.cli.console import Console


def cmd_redact(console: Console, args: argparse.Namespace) -> int:
    if args.file == "-":
        raw = console.read_input()
    else:
        try:
            raw = Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(
                f"cannot read {args.file}: {exc.strerror}", "give a text file"
            ) from None
    r = Redactor(reporter_email=args.email)
    console.stdout.write(r.redact(clean_text(decode_input(raw))).text)  # the product: never quiet
    console.err(r.summary())
    return ExitCode.OK


def cmd_har(console: Console, args: argparse.Namespace) -> int:
    out = args.out or args.file.with_name(args.file.stem + ".sanitized.har")
    if out.exists() or out.is_symlink():
        raise OutputError(f"{out} already exists; it is never overwritten", "choose -o OUT")
    if not out.parent.exists():
        private_dir(out.parent)
    summary = sanitize_har(args.file, out, keep_bodies=args.keep_bodies)
    if args.json:
        console.json(
            {
                "input": str(args.file),
                "output": str(out),
                "entries": summary.entries,
                "failed": [r.model_dump(mode="json") for r in summary.failed],
                "request_ids": summary.request_ids,
                "first_failure_at": summary.first_failure_at,
                "removed": summary.removed,
            }
        )
        return ExitCode.OK
    console.out(f"{summary.entries} requests, {len(summary.failed)} failing → {out}")
    for r in summary.failed:
        when = f"{r.started_at:%Y-%m-%d %H:%M:%S} UTC  " if r.started_at else ""
        console.out(f"  {when}{r.status} {r.method} {r.url[:80]}  {r.request_id or '-'}")
    console.out(f"removed: {summary.removed_text()}")
    if summary.bodies_kept:
        console.out("bodies kept (--keep-bodies), with secrets in them replaced")
    return ExitCode.OK


def cmd_purge(console: Console, args: argparse.Namespace) -> int:
    what = args.ref or (
        f"reports older than {args.older_than}" if args.older_than else "every report and draft"
    )
    if not args.yes:
        if not console.is_interactive:
            raise UsageError("purge deletes for good: add --yes to confirm without a terminal")
        if not console.prompter().confirm(f"Delete {what} for good?", False):
            console.out("nothing deleted")
            return ExitCode.OK
    removed = purge(paths(console.env), args.ref, args.older_than, console.clock())
    for path in removed:
        console.out(f"deleted {path}")
    console.out(f"{counted(len(removed), 'item')} deleted" if removed else "nothing to delete")
    return ExitCode.OK


def cmd_check_file(console: Console, args: argparse.Namespace) -> int:
    verdicts = [check_file(path) for path in args.paths]
    bad = sum(not v.ok for v in verdicts)
    if args.json:
        console.json(
            {
                "ok": not bad,
                "files": [
                    {"path": str(v.path), "kind": v.kind, "size": v.size, "ok": v.ok,
                     "message": v.message}
                    for v in verdicts
                ],
            }
        )
    else:
        for v in verdicts:
            console.out(f"{'ok  ' if v.ok else 'FAIL'}  {v.path}: {v.message}")
    if bad:
        raise EscalateError(
            f"{counted(bad, 'file')} will not upload as they are",
            "split or compress them, or export a smaller part",
        )
    return ExitCode.OK


def cmd_triage(console: Console, args: argparse.Namespace) -> int:
    text = args.text
    if text is None:
        if not console.is_interactive:
            raise UsageError("triage: give the error text as an argument")

        question = Question(key="error_text", type="multiline", prompt="Paste the error message")
        text = str(console.prompter().ask(question, None))
    found = triage(text)
    incidents = _incident_lines(console, args, found) if found else []
    if args.json:
        console.json(
            {
                "incidents": [line.strip() for line in incidents],
                "matches": [
                    {"title": s.title, "cause": s.cause, "steps": list(s.steps),
                     "template": s.template}
                    for s in found
                ],
            }
        )
        return ExitCode.OK
    if not found:
        console.out("No known cause matches; file a report: escalate new")
        return ExitCode.OK
    for line in incidents:
        console.out(line)
    for s in found:
        console.out(f"{s.title}\n  why: {s.cause}")
        for step in s.steps:
            console.out(f"  try: {step}")
        console.out(f"  report: escalate new --template {s.template}\n")
    return ExitCode.OK


def _incident_lines(console: Console, args: argparse.Namespace, found: list[Any]) -> list[str]:
    """An ongoing incident on a component the symptom depends on: said first, with why."""
    if not args.status or (console.offline and not args.status_url):
        return []

    url = args.status_url or console.env.get("ESCALATE_STATUS_URL")
    now = console.clock()
    snap = fetch_status(url, now=now) if url else fetch_status(now=now)
    if snap.error:
        console.err(f"status page not checked: {snap.error}")
        return []
    lines: list[str] = []
    for match in matching_incidents(found, snap):
        what = f"incident: {match.incident.name}" if match.incident else (
            f"status: {(match.component.status or 'degraded').replace('_', ' ')}")
        lines += [
            f"Ongoing {what} — on {match.component.display}, which this error depends on.",
            "  first: save your prompt and wait for recovery; repeated refreshes rarely help "
            "during an incident.",
            "  follow it on the status page; report it if it persists after the incident.\n",
        ]
    return lines


def cmd_status(console: Console, args: argparse.Namespace) -> int:
    url = args.url or console.env.get("ESCALATE_STATUS_URL")
    now = console.clock()
    snap = fetch_status(url, now=now) if url else fetch_status(now=now)
    if args.json:  # printed on a failed fetch too: its error says why
        console.json(snap.model_dump(mode="json"))
    if snap.error:
        raise EscalateError(f"status page: {snap.error}", "check your connection, or try later")
    if args.json:
        return ExitCode.OK
    console.out(f"{snap.description or snap.indicator} (indicator: {snap.indicator})")
    for incident in snap.ongoing:
        where = components_text(incident.components)
        console.out(f"  incident: {incident.name}" + (f" — affecting {where}" if where else ""))
    if snap.affected:
        console.out(f"  not operational: {components_text(snap.affected)}")
    return ExitCode.OK


HANDLERS = {
    "redact": cmd_redact,
    "har": cmd_har,
    "purge": cmd_purge,
    "check-file": cmd_check_file,
    "triage": cmd_triage,
    "status": cmd_status,
}

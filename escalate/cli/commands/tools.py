"""Stand-alone tools beside ``new``: redact, har, purge, check-file, triage, status."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.errors import EscalateError, ExitCode, UsageError

if TYPE_CHECKING:
    from escalate.cli.console import Console


def _duration(text: str) -> timedelta:
    m = re.fullmatch(r"(\d{1,5})\s*([dhw])", text.strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: give e.g. 30d, 12h or 2w")
    n, unit = int(m.group(1)), m.group(2)
    return (
        timedelta(days=n)
        if unit == "d"
        else timedelta(hours=n)
        if unit == "h"
        else timedelta(weeks=n)
    )


def add_parsers(sub: Any) -> None:
    """Add the tool subcommands to the main parser."""
    red = sub.add_parser("redact", help="scrub secrets and other people's data from text")
    red.add_argument("file", nargs="?", default="-", metavar="FILE|-", help="default: stdin")
    red.add_argument("--email", metavar="ADDRESS", help="your own email, which is kept")

    har = sub.add_parser("har", help="sanitise a HAR file and list its failing requests")
    har.add_argument("file", type=Path, metavar="FILE")
    har.add_argument(
        "-o",
        "--out",
        type=Path,
        metavar="OUT",
        help="sanitised copy (default: FILE.sanitized.har; never overwritten)",
    )
    har.add_argument(
        "--keep-bodies",
        action="store_true",
        help="keep request and response bodies, redacted (default: removed, size and type kept)",
    )

    purge = sub.add_parser("purge", help="delete reports and drafts for good")
    which = purge.add_mutually_exclusive_group(required=True)
    which.add_argument("ref", nargs="?", metavar="ID", help="one report (id, prefix or last)")
    which.add_argument("--older-than", type=_duration, metavar="AGE", help="e.g. 30d, 12h, 2w")
    which.add_argument("--all", dest="purge_all", action="store_true", help="every report")
    purge.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    check = sub.add_parser("check-file", help="check files against the upload limits")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    tri = sub.add_parser("triage", help="likely cause and next step for an error message")
    tri.add_argument("text", nargs="?", metavar="ERROR", help="the error text (default: ask)")
    tri.add_argument(
        "--status-url", metavar="URL", help="status page to check (default: status.openai.com)"
    )
    tri.add_argument(
        "--no-status", dest="status", action="store_false", help="do not check the status page"
    )

    st = sub.add_parser("status", help="the OpenAI status page right now")
    st.add_argument(
        "--url", help="another status page: an incident.io feed or a Statuspage summary.json"
    )
    st.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_redact(console: Console, args: argparse.Namespace) -> int:
    from escalate.privacy.redact import Redactor
    from escalate.text import clean_text, decode_input

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
    console.stdout.write(r.redact(clean_text(decode_input(raw))).text)
    console.err(r.summary())
    return ExitCode.OK


def cmd_har(console: Console, args: argparse.Namespace) -> int:
    from escalate.errors import OutputError
    from escalate.privacy.har import sanitize_har
    from escalate.storage.atomic import private_dir

    out = args.out or args.file.with_name(args.file.stem + ".sanitized.har")
    if out.exists() or out.is_symlink():
        raise OutputError(f"{out} already exists; it is never overwritten", "choose -o OUT")
    if not out.parent.exists():
        private_dir(out.parent)
    summary = sanitize_har(args.file, out, keep_bodies=args.keep_bodies)
    console.out(f"{summary.entries} requests, {len(summary.failed)} failing → {out}")
    for r in summary.failed:
        when = f"{r.started_at:%Y-%m-%d %H:%M:%S} UTC  " if r.started_at else ""
        console.out(f"  {when}{r.status} {r.method} {r.url[:80]}  {r.request_id or '-'}")
    console.out(f"removed: {summary.removed_text()}")
    if summary.bodies_kept:
        console.out("bodies kept (--keep-bodies), with secrets in them replaced")
    return ExitCode.OK


def cmd_purge(console: Console, args: argparse.Namespace) -> int:
    from escalate.storage.history import purge
    from escalate.storage.paths import paths
    from escalate.text import counted

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
    from escalate.facts.triage import check_file
    from escalate.text import counted

    bad = 0
    for path in args.paths:
        verdict = check_file(path)
        bad += not verdict.ok
        console.out(f"{'ok  ' if verdict.ok else 'FAIL'}  {path}: {verdict.message}")
    if bad:
        raise EscalateError(
            f"{counted(bad, 'file')} will not upload as they are",
            "split or compress them, or export a smaller part",
        )
    return ExitCode.OK


def cmd_triage(console: Console, args: argparse.Namespace) -> int:
    from escalate.facts.triage import triage

    text = args.text
    if text is None:
        if not console.is_interactive:
            raise UsageError("triage: give the error text as an argument")
        from escalate.templating.manifest import Question

        question = Question(key="error_text", type="multiline", prompt="Paste the error message")
        text = str(console.prompter().ask(question, None))
    found = triage(text)
    if not found:
        console.out("No known cause matches; file a report: escalate new")
        return ExitCode.OK
    for line in _incident_lines(console, args, found):
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
    from escalate.facts.incidents import matching_incidents
    from escalate.facts.status import fetch_status

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
    from escalate.facts.status import fetch_status
    from escalate.render.status_text import components_text

    url = args.url or console.env.get("ESCALATE_STATUS_URL")
    now = console.clock()
    snap = fetch_status(url, now=now) if url else fetch_status(now=now)
    if snap.error:
        raise EscalateError(f"status page: {snap.error}", "check your connection, or try later")
    if args.json:
        console.out(snap.model_dump_json(indent=2))
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

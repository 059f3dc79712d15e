"""The report run of ``new`` and ``repeat``: the pipeline, the bundle shown, the text copied."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from escalate.background import Job
from escalate.capture.clipboard import clipboard_command, copy_text
from escalate.cli.console import Console
from escalate.cli.views import bundle_json, copied_line, describe_bundle
from escalate.errors import ClipboardError, ExitCode, NotFoundError
from escalate.facts.identity import (
    decline_file,
    file_offer_pending,
    remember_email,
    remembered_email,
)
from escalate.model import Environment
from escalate.pipeline.run import NewOptions, NewResult, run_new
from escalate.render.message import part_names
from escalate.storage.history import ReportStore
from escalate.storage.paths import paths


def run(console: Console, args: argparse.Namespace, environment: Job[Environment]) -> int:
    """Write one report; ``environment`` is the probe job started before this import."""
    opts = NewOptions(
        template=args.template,
        template_dirs=args.template_dir,
        answers_file=getattr(args, "answers", None),
        sets=dict(args.sets),
        error_file=None if _from_stdin(args.error_file) else args.error_file,
        error_input=console.read_input() if _from_stdin(args.error_file) else None,
        screenshot=args.screenshot if args.screenshot_file is None else None,
        screenshot_file=args.screenshot_file,
        monitor=args.monitor,
        all_monitors=args.all_monitors,
        region=args.region,
        delay=args.delay,
        redact_boxes=args.redact_boxes,
        har=args.har,
        keep_bodies=args.keep_bodies,
        out=args.out,
        formats=args.format,
        make_zip=args.make_zip,
        chat_limit=args.chat_limit,
        yes=args.yes,
        resume=getattr(args, "resume", False),
        status=args.status,
        status_url=args.status_url,
        redact=args.redact,
        environment_job=environment,
    )
    if args.command == "repeat":
        opts = _repeat_options(console, args, opts)
    result = run_new(console, opts, notify=console.err)
    if args.json:
        console.json(bundle_json(result.bundle, result.report))
    else:
        console.out(describe_bundle(result.bundle, result.report))
    if result.remember_email:
        _remember(console, str(result.report.email))
    _copy(console, args, result)
    return ExitCode.OK


def _from_stdin(path: Path | None) -> bool:
    return path is not None and str(path) == "-"


def _copy(console: Console, args: argparse.Namespace, result: NewResult) -> None:
    """Put the submission on the clipboard: asked for with --copy, or offered on a terminal."""
    wanted = args.copy
    if not wanted and (args.yes or not console.is_interactive):
        return
    if not wanted:
        if clipboard_command(console.env) is None:
            return  # nothing to offer here; the closing message says where the file is
        try:
            wanted = console.prompter().confirm("Copy the submission text to the clipboard?")
        except (KeyboardInterrupt, EOFError):  # the bundle is written; this is only a "no"
            return
    if not wanted:
        return
    # The plain text for a chat box, not the Markdown, which a chat box shows as markup.
    names = part_names(result.bundle.files)
    text = (result.bundle.folder / names[0]).read_text(encoding="utf-8")
    try:
        tool = copy_text(text, console.env)
    except ClipboardError as exc:
        hint = f" — {exc.hint}" if exc.hint else ""
        console.err(f"not copied to the clipboard: {exc.message}{hint}")
        return
    say = console.err if args.json else console.out  # stdout holds only the JSON document
    say(copied_line(tool, 1, len(names), result.report.id))


def _repeat_options(console: Console, args: argparse.Namespace, opts: Any) -> Any:
    record = ReportStore(paths(console.env)).get(args.ref)
    answers_file = record.folder / "answers.toml"
    if not answers_file.is_file():
        raise NotFoundError(f"report {record.id} has no saved answers to repeat")
    opts.answers_file = answers_file
    # A repeat is a new event: fresh time, fresh screenshot; everything else is kept.
    opts.sets = {"occurred_at": "now", **opts.sets}
    return opts


def _remember(console: Console, email: str) -> None:
    """Keep a newly typed email for next time: in the keyring, else (asked once) the file."""
    p = paths(console.env)
    remembered = remembered_email(p)
    if remembered.email == email:
        return
    if remembered.keyring_works and remember_email(p, email, keyring_works=True) == "keyring":
        console.out(f"Your email is remembered in the system keyring for next time ({email}).")
        return
    if not file_offer_pending(p):
        return
    try:
        keep = console.prompter().confirm(
            f"Remember {email} for next time? It is kept in escalate's private settings "
            "file (readable by you only).",
            True,
        )
    except (KeyboardInterrupt, EOFError):  # the bundle is written; this is only a "no"
        keep = False
    if keep:
        remember_email(p, email, keyring_works=False)
        console.out("Remembered; `escalate config unset email` forgets it.")
    else:
        decline_file(p)

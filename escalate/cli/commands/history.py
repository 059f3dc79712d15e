"""Earlier reports: ``list``, ``show``, ``verify``, ``render`` and the ``schema`` of report.json."""

from __future__ import annotations

import argparse
import json

from escalate.cli.console import Console
from escalate.cli.views import describe_files, list_json, list_lines, show_text
from escalate.errors import ExitCode, VerifyError
from escalate.model import report_json_schema
from escalate.pipeline.render_existing import rerender
from escalate.render.bundle import verify
from escalate.storage.history import ReportStore, bundle_folder
from escalate.storage.paths import paths
from escalate.text import counted


def cmd_verify(console: Console, args: argparse.Namespace) -> int:
    args.folder = bundle_folder(args.folder)  # `verify reports/ID` checks that report's bundle
    result = verify(args.folder)
    for name in result.ok:
        console.out(f"{name}: OK")
    for name in result.bad:
        console.out(f"{name}: FAILED (changed since it was written)")
    for name in result.missing:
        console.out(f"{name}: MISSING")
    for name in result.unlisted:
        console.out(f"{name}: not in SHA256SUMS (not part of the bundle)")
    if result.bad or result.missing:
        raise VerifyError(
            f"{counted(len(result.bad) + len(result.missing), 'file')} in {args.folder} "
            "do not match"
        )
    console.out(f"bundle {args.folder} is intact ({len(result.ok)} files)")
    return ExitCode.OK


def cmd_list(console: Console, args: argparse.Namespace) -> int:
    reports = ReportStore(paths(console.env)).all()
    if args.json:
        console.out(list_json(reports))
    elif not reports:
        console.out("no reports yet — run `escalate new`")
    else:
        for line in list_lines(reports):
            console.out(line)
    return ExitCode.OK


def cmd_show(console: Console, args: argparse.Namespace) -> int:
    record = ReportStore(paths(console.env)).get(args.ref)
    console.out(show_text(record, as_json=args.json))
    return ExitCode.OK


def cmd_render(console: Console, args: argparse.Namespace) -> int:
    bundle = rerender(
        console, args.folder, args.out, args.format, notify=console.err,
        chat_limit=args.chat_limit,
    )
    console.out(describe_files(bundle))
    return ExitCode.OK


def cmd_schema(console: Console, args: argparse.Namespace) -> int:
    console.out(json.dumps(report_json_schema(), indent=2))
    return ExitCode.OK


HANDLERS = {
    "verify": cmd_verify,
    "list": cmd_list,
    "show": cmd_show,
    "render": cmd_render,
    "schema": cmd_schema,
}

"""Command surface only: parse, call the core, map EscalateError to a message and exit code.

Everything heavy is imported inside the command that needs it, so ``escalate --version``
stays close to a bare Python start.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from escalate.errors import EscalateError, ExitCode, UsageError

if TYPE_CHECKING:
    from escalate.console import Console
    from escalate.model import Environment

Handler = Callable[["Console", argparse.Namespace], int]


def _cmd_new(console: Console, args: argparse.Namespace) -> int:
    from escalate.background import Job

    # Browser probes run programs; start them before the heavy imports below.
    environment = Job.start(_collect_environment, "environment")
    from escalate.flow import NewOptions, run_new

    opts = NewOptions(
        template=args.template,
        template_dirs=args.template_dir,
        answers_file=getattr(args, "answers", None),
        sets=dict(args.sets),
        error_file=args.error_file,
        screenshot=args.screenshot if args.screenshot_file is None else None,
        screenshot_file=args.screenshot_file,
        monitor=args.monitor,
        all_monitors=args.all_monitors,
        region=args.region,
        delay=args.delay,
        redact_boxes=args.redact_boxes,
        har=args.har,
        out=args.out,
        formats=args.format,
        make_zip=args.make_zip,
        yes=args.yes,
        resume=getattr(args, "resume", False),
        status=args.status,
        redact=args.redact,
        environment_job=environment,
    )
    if args.command == "repeat":
        opts = _repeat_options(console, args, opts)
    result = run_new(console, opts, notify=console.err)
    from escalate.report_view import describe_bundle

    console.out(describe_bundle(result.bundle, result.report))
    _copy(console, args, result.markdown)
    return ExitCode.OK


def _copy(console: Console, args: argparse.Namespace, markdown: str) -> None:
    """Put the submission on the clipboard: asked for with --copy, or offered on a terminal."""
    wanted = args.copy
    if not wanted and (args.yes or not console.is_interactive):
        return
    from escalate.clipboard import clipboard_command, copy_text
    from escalate.errors import ClipboardError

    if not wanted:
        if clipboard_command(console.env) is None:
            return  # nothing to offer here; the closing message says where the file is
        try:
            wanted = console.prompter().confirm("Copy the submission text to the clipboard?")
        except (KeyboardInterrupt, EOFError):  # the bundle is written; this is only a "no"
            return
    if not wanted:
        return
    try:
        tool = copy_text(markdown, console.env)
    except ClipboardError as exc:
        hint = f" — {exc.hint}" if exc.hint else ""
        console.err(f"not copied to the clipboard: {exc.message}{hint}")
        return
    console.out(f"Copied to the clipboard ({tool}): paste it into the support chat.")


def _collect_environment() -> Environment:
    from escalate.environment import collect

    return collect()


def _repeat_options(console: Console, args: argparse.Namespace, opts: Any) -> Any:
    from escalate.store import ReportStore, paths

    record = ReportStore(paths(console.env)).get(args.ref)
    answers_file = record.folder / "answers.toml"
    if not answers_file.is_file():
        from escalate.errors import NotFoundError

        raise NotFoundError(f"report {record.id} has no saved answers to repeat")
    opts.answers_file = answers_file
    # A repeat is a new event: fresh time, fresh screenshot; everything else is kept.
    opts.sets = {"occurred_at": "now", **opts.sets}
    return opts


def _cmd_verify(console: Console, args: argparse.Namespace) -> int:
    from escalate.bundle import verify
    from escalate.store import bundle_folder
    from escalate.text import counted

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
        from escalate.errors import VerifyError

        raise VerifyError(
            f"{counted(len(result.bad) + len(result.missing), 'file')} in {args.folder} "
            "do not match"
        )
    console.out(f"bundle {args.folder} is intact ({len(result.ok)} files)")
    return ExitCode.OK


def _cmd_list(console: Console, args: argparse.Namespace) -> int:
    from escalate.report_view import list_json, list_lines
    from escalate.store import ReportStore, paths

    reports = ReportStore(paths(console.env)).all()
    if args.json:
        console.out(list_json(reports))
    elif not reports:
        console.out("no reports yet — run `escalate new`")
    else:
        for line in list_lines(reports):
            console.out(line)
    return ExitCode.OK


def _cmd_show(console: Console, args: argparse.Namespace) -> int:
    from escalate.report_view import show_text
    from escalate.store import ReportStore, paths

    record = ReportStore(paths(console.env)).get(args.ref)
    console.out(show_text(record, as_json=args.json))
    return ExitCode.OK


def _cmd_render(console: Console, args: argparse.Namespace) -> int:
    from escalate.report_view import describe_files
    from escalate.rerender import rerender

    bundle = rerender(console, args.folder, args.out, args.format, notify=console.err)
    console.out(describe_files(bundle))
    return ExitCode.OK


def _cmd_schema(console: Console, args: argparse.Namespace) -> int:
    import json

    from escalate.model import report_json_schema

    console.out(json.dumps(report_json_schema(), indent=2))
    return ExitCode.OK


def _cmd_config(console: Console, args: argparse.Namespace) -> int:
    from escalate.settings import config_command

    for line in config_command(console, args):
        console.out(line)
    return ExitCode.OK


def _cmd_templates(console: Console, args: argparse.Namespace) -> int:
    from escalate.template_commands import templates_command

    for line in templates_command(console, args):
        console.out(line)
    return ExitCode.OK


def _cmd_screenshot(console: Console, args: argparse.Namespace) -> int:
    from escalate import screenshot as S

    if args.list_monitors:
        for m in S.list_monitors(console.env):
            primary = "  (primary)" if m.primary else ""
            console.out(f"{m.index}: {m.width}x{m.height} at {m.left},{m.top}{primary}")
        return ExitCode.OK
    if args.out is None:
        raise UsageError("screenshot: give --out FILE or --list-monitors")
    if args.out.exists() or args.out.is_symlink():
        from escalate.errors import OutputError

        raise OutputError(f"{args.out} already exists; it is never overwritten")
    shot = S.capture(
        monitor=args.monitor,
        all_monitors=args.all_monitors,
        region=S.Region.parse(args.region) if args.region else None,
        delay=args.delay,
        countdown=lambda n: console.err(f"capturing in {n}…"),
        redact=[S.Region.parse(b) for b in args.redact_boxes],
        env=console.env,
    )
    from escalate.fsio import atomic_write

    atomic_write(args.out, shot.png)
    note = f" ({shot.note})" if shot.note else ""
    console.out(f"{args.out}: {shot.width}x{shot.height} {shot.format}{note}")
    return ExitCode.OK


def _cmd_doctor(console: Console, args: argparse.Namespace) -> int:
    from escalate.doctor import run_checks

    worst = ExitCode.OK
    for ok, line in run_checks(console):
        console.out(("ok    " if ok else "warn  ") + line)
    return worst


HANDLERS: dict[str, Handler] = {
    "new": _cmd_new,
    "repeat": _cmd_new,
    "verify": _cmd_verify,
    "list": _cmd_list,
    "show": _cmd_show,
    "render": _cmd_render,
    "schema": _cmd_schema,
    "config": _cmd_config,
    "templates": _cmd_templates,
    "screenshot": _cmd_screenshot,
    "doctor": _cmd_doctor,
}


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run escalate; returns the exit code (never raises, never calls sys.exit)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    # A pydantic plugin (tracing, observability) would see every validated value, the
    # reporter's email and pasted error included; none runs unless the user sets the variable.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    err = console.stderr if console is not None else sys.stderr
    try:
        from escalate.parser import build_parser

        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0)
        if args.command is None:
            parser.print_help(console.stdout if console is not None else sys.stdout)
            return ExitCode.USAGE
        if console is None:
            from escalate.console import Console

            console = Console()
        if args.command in HANDLERS:
            return HANDLERS[args.command](console, args)
        from escalate.tool_commands import HANDLERS as TOOLS

        return TOOLS[args.command](console, args)
    except EscalateError as exc:
        if debug:
            import traceback

            traceback.print_exc(file=err)
        print(f"escalate: error: {exc.message}", file=err)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=err)
        return int(exc.exit_code)
    except BrokenPipeError:  # the reader (``| head``) stopped early: not our failure
        return int(ExitCode.OK)
    except (KeyboardInterrupt, EOFError):
        print("\nescalate: interrupted; your answers are kept in the draft", file=err)
        print("  hint: resume with `escalate new --resume`", file=err)
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        if debug:
            raise
        print(f"escalate: internal error: {type(exc).__name__}: {exc}", file=err)
        print("  hint: run again with --debug and report the traceback", file=err)
        return int(ExitCode.USER_ERROR)


def run() -> None:
    """The ``escalate`` program: :func:`main`, then a prompt exit.

    Everything escalate writes is flushed and fsync'd before ``main`` returns, so the
    interpreter's own teardown (freeing every module, joining probe threads that are no
    longer wanted) only makes the person wait: about 30 ms after a report. It is skipped
    unless a tracer or coverage needs its exit hooks.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe: nothing more can be shown anyway.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if sys.gettrace() is not None or "coverage" in sys.modules:
        sys.exit(code)
    os._exit(code)


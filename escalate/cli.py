"""Command surface only: parse, call the core, map EscalateError to a message and exit code.

Everything heavy is imported inside the command that needs it, so ``escalate --version``
stays close to a bare Python start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate import __version__
from escalate.errors import EscalateError, ExitCode, UsageError

if TYPE_CHECKING:
    from escalate.console import Console
    from escalate.model import Environment

Handler = Callable[["Console", argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print and sys.exit(2)
        raise UsageError(f"{self.prog}: {message}")


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _formats(text: str) -> frozenset[str]:
    return frozenset(f.strip().lower() for f in text.split(",") if f.strip())


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; the CLI reference in docs/ mirrors this."""
    parser = _Parser(
        prog="escalate",
        description="Turn a ChatGPT failure into a complete, private, paste-ready support "
        "submission.",
        epilog="Exit codes: 0 ok, 1 bad input or failed step, 2 usage, 130 interrupted "
        "(draft kept). Docs: docs/user-guide.md",
    )
    parser.add_argument("--version", action="version", version=f"escalate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    new = sub.add_parser("new", help="guide through a new support report and write the bundle")
    _add_new_options(new)

    repeat = sub.add_parser("repeat", help="start a new report from an earlier one's answers")
    repeat.add_argument("ref", metavar="ID|last", help="report id (or a unique prefix), or last")
    _add_new_options(repeat, include_answers=False)

    verify = sub.add_parser("verify", help="re-check a bundle against its SHA256SUMS")
    verify.add_argument("folder", type=Path, metavar="DIR")

    lst = sub.add_parser("list", help="list finished reports, newest first")
    lst.add_argument("--json", action="store_true", help="machine-readable output")

    show = sub.add_parser("show", help="show one finished report")
    show.add_argument("ref", metavar="ID", help="report id, a unique prefix, or last")
    show.add_argument("--json", action="store_true", help="print report.json")

    render = sub.add_parser("render", help="render an existing report again (new folder)")
    render.add_argument("folder", type=Path, metavar="REPORT_DIR")
    render.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="new folder for the result (default: REPORT_DIR.render-N)",
    )
    render.add_argument(
        "--format",
        type=_formats,
        default=frozenset({"md", "pdf", "json"}),
        metavar="md,pdf,json",
        help="what to render (default all three)",
    )

    sub.add_parser("schema", help="print the JSON schema of report.json")

    cfg = sub.add_parser("config", help="show or change settings (email lives in the keyring)")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", parser_class=_Parser)
    cfg_set = cfg_sub.add_parser("set", help="set a value: email ADDRESS")
    cfg_set.add_argument("key", choices=["email"])
    cfg_set.add_argument("value")
    cfg_unset = cfg_sub.add_parser("unset", help="forget a value: email")
    cfg_unset.add_argument("key", choices=["email"])
    add_dir = cfg_sub.add_parser("add-template-dir", help="add a team template folder")
    add_dir.add_argument("path", type=Path)
    cfg_sub.add_parser("show", help="show settings and where files live")

    tpl = sub.add_parser("templates", help="list, show, create and check templates")
    tpl_sub = tpl.add_subparsers(dest="templates_command", metavar="ACTION", parser_class=_Parser)
    tpl_sub.add_parser("list", help="every template and where it comes from")
    tpl_show = tpl_sub.add_parser("show", help="a template's manifest and questions")
    tpl_show.add_argument("name")
    tpl_new = tpl_sub.add_parser("new", help="create a template that extends another")
    tpl_new.add_argument("name")
    tpl_new.add_argument("--extends", default="openai-support", metavar="NAME")
    tpl_new.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="where to create it (default: your user templates folder)",
    )
    tpl_check = tpl_sub.add_parser("check", help="lint a template folder; problems as file:line")
    tpl_check.add_argument("path", type=Path)
    tpl_add = tpl_sub.add_parser("add", help="add a team template repository (git+URL) or folder")
    tpl_add.add_argument("source", metavar="git+URL|DIR")
    tpl_sub.add_parser("update", help="pull every team template repository")
    for p in (tpl, tpl_show, tpl_new, tpl_check, tpl_add):
        p.add_argument(
            "--template-dir",
            type=Path,
            action="append",
            default=[],
            help="also search this folder (highest precedence)",
        )

    shot = sub.add_parser("screenshot", help="list monitors, or capture one screenshot to a file")
    shot.add_argument("--list-monitors", action="store_true", help="list the monitors and exit")
    shot.add_argument("--out", type=Path, metavar="FILE", help="write the capture here (new file)")
    _add_capture_options(shot)

    sub.add_parser("doctor", help="check what works on this machine (display, keyring, PDF)")
    from escalate.tool_commands import add_parsers

    add_parsers(sub)
    return parser


def _region(text: str) -> str:
    from escalate.screenshot import Region

    try:
        Region.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    return text


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError("give a delay from 0 to 60 seconds")
    return value


def _add_capture_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--monitor", type=int, metavar="N", help="monitor to capture (1 = primary)")
    p.add_argument(
        "--all", dest="all_monitors", action="store_true", help="capture all monitors as one image"
    )
    p.add_argument("--region", type=_region, metavar="X,Y,W,H", help="capture only this region")
    p.add_argument(
        "--delay",
        type=_delay,
        default=0.0,
        metavar="S",
        help="wait S seconds (with a countdown) before capturing",
    )
    p.add_argument(
        "--redact",
        dest="redact_boxes",
        type=_region,
        action="append",
        default=[],
        metavar="X,Y,W,H",
        help="black out this region of the screenshot (repeatable)",
    )


def _add_new_options(p: argparse.ArgumentParser, include_answers: bool = True) -> None:
    p.add_argument("--template", metavar="NAME", help="template to use (default openai-support)")
    p.add_argument(
        "--template-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also search this folder for templates (highest precedence)",
    )
    if include_answers:
        p.add_argument(
            "--answers",
            type=Path,
            metavar="FILE",
            help="answers from a TOML or JSON file (keys as in the docs)",
        )
        p.add_argument("--resume", action="store_true", help="continue the last unfinished draft")
    p.add_argument(
        "--set",
        dest="sets",
        type=_key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="give one answer (repeatable)",
    )
    p.add_argument(
        "--error-file", type=Path, metavar="FILE", help="read the exact error text from a file"
    )
    shot = p.add_mutually_exclusive_group()
    shot.add_argument(
        "--screenshot",
        dest="screenshot",
        action="store_true",
        default=None,
        help="capture the screen (default on a terminal: ask)",
    )
    shot.add_argument(
        "--no-screenshot", dest="screenshot", action="store_false", help="no screenshot"
    )
    shot.add_argument(
        "--screenshot-file",
        type=Path,
        metavar="PATH",
        help="attach this PNG/JPEG instead of capturing",
    )
    _add_capture_options(p)
    p.add_argument(
        "--har",
        type=Path,
        metavar="FILE",
        help="HAR file: sanitised into the bundle, request IDs extracted",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write the bundle here (a new folder; default: the report's data folder)",
    )
    p.add_argument(
        "--format",
        type=_formats,
        default=frozenset({"md", "pdf", "json"}),
        metavar="md,pdf,json",
        help="what to render (default all three)",
    )
    p.add_argument("--zip", dest="make_zip", action="store_true", help="also write DIR.zip")
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="accept the review and defaults: no prompt at all with --answers/--set",
    )
    p.add_argument(
        "--no-status",
        dest="status",
        action="store_false",
        default=None,
        help="do not check the status page",
    )
    p.add_argument(
        "--no-redact",
        dest="redact",
        action="store_false",
        help="keep secrets and other people's data (recorded in the report)",
    )


# --- command handlers ---------------------------------------------------------------------


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
    return ExitCode.OK


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
            f"{len(result.bad) + len(result.missing)} file(s) in {args.folder} do not match"
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
    err = console.stderr if console is not None else sys.stderr
    try:
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

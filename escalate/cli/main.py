"""Command surface only: parse, call the core, map EscalateError to a message and exit code.

Everything heavy is imported inside the command that needs it, so ``escalate --version``
stays close to a bare Python start.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from escalate.errors import EscalateError, ExitCode
from escalate.text import visible

if TYPE_CHECKING:
    from escalate.cli.console import Console

Handler = Callable[["Console", argparse.Namespace], int]


# Command modules are imported only when their command runs: importing all of them would
# cost `escalate --version` (measured in `nox -s bench`) the whole package.
COMMANDS: dict[str, str] = {
    "new": "escalate.cli.commands.report",
    "repeat": "escalate.cli.commands.report",
    "verify": "escalate.cli.commands.history",
    "list": "escalate.cli.commands.history",
    "show": "escalate.cli.commands.history",
    "render": "escalate.cli.commands.history",
    "schema": "escalate.cli.commands.history",
    "config": "escalate.cli.commands.config",
    "templates": "escalate.cli.commands.templates",
    "screenshot": "escalate.cli.commands.screenshot",
    "doctor": "escalate.cli.commands.doctor",
    "redact": "escalate.cli.commands.tools",
    "har": "escalate.cli.commands.tools",
    "purge": "escalate.cli.commands.tools",
    "check-file": "escalate.cli.commands.tools",
    "triage": "escalate.cli.commands.tools",
    "status": "escalate.cli.commands.tools",
    "copy": "escalate.cli.commands.delivery",
    "eml": "escalate.cli.commands.delivery",
    "send": "escalate.cli.commands.delivery",
}


def _handler(command: str) -> Handler:
    module = importlib.import_module(COMMANDS[command])
    handlers: dict[str, Handler] = module.HANDLERS
    return handlers[command]


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run escalate; returns the exit code (never raises, never calls sys.exit)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    # A pydantic plugin (tracing, observability) would see every validated value, the
    # reporter's email and pasted error included; none runs unless the user sets the variable.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    err = console.stderr if console is not None else sys.stderr
    try:
        from escalate.cli.parser import build_parser

        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0)
        if args.command is None:
            parser.print_help(console.stdout if console is not None else sys.stdout)
            return ExitCode.USAGE
        if console is None:
            from escalate.cli.console import Console

            console = Console()
        return _handler(args.command)(console, args)
    except EscalateError as exc:
        if debug:
            import traceback

            traceback.print_exc(file=err)
        # A message may quote a file name or a template's text: the terminal boundary holds.
        print(visible(f"escalate: error: {exc.message}"), file=err)
        if exc.hint:
            print(visible(f"  hint: {exc.hint}"), file=err)
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
        print(visible(f"escalate: internal error: {type(exc).__name__}: {exc}"), file=err)
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


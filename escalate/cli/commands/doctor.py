"""``escalate doctor``: what works on this machine, each with what to do when it does not."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from escalate.errors import ExitCode

if TYPE_CHECKING:
    from escalate.cli.console import Console


def run_checks(console: Console) -> Iterator[tuple[bool, str]]:
    """Yield (ok, line) per check; never raises."""
    from escalate.facts.identity import get_email
    from escalate.storage.paths import paths

    p = paths(console.env)
    yield True, f"data folder {p.data}"
    lookup = get_email()
    if lookup.problem is None:
        yield True, "keyring usable" + (" (email stored)" if lookup.email else "")
    else:
        yield False, f"keyring: {lookup.problem.message} — {lookup.problem.hint}"
    try:
        from escalate.capture.screenshot import preflight

        preflight(console.env)
        yield True, "screen capture available"
    except ImportError:
        yield False, "screen capture module missing"
    except Exception as exc:
        yield False, f"screen capture: {exc}"
    from escalate.capture.clipboard import clipboard_command

    copier = clipboard_command(console.env)
    if copier is not None:
        yield True, f"clipboard ({Path(copier[0]).name})"
    else:
        yield False, "clipboard: no tool or no desktop session — open message.txt to copy it"
    try:
        import typst  # noqa: F401

        yield True, "PDF engine (typst) installed"
    except ImportError:
        yield False, "PDF engine missing: pip install typst"


def cmd_doctor(console: Console, args: argparse.Namespace) -> int:
    worst = ExitCode.OK
    for ok, line in run_checks(console):
        console.out(("ok    " if ok else "warn  ") + line)
    return worst


HANDLERS = {"doctor": cmd_doctor}

"""``escalate doctor``: what works on this machine, each with what to do when it does not.

A check is ``ok``, ``warn`` (escalate works without it: no screenshot, no clipboard) or
``fail`` (a report cannot be written). ``doctor`` exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from escalate.capture.clipboard import clipboard_command
from escalate.capture.screenshot import preflight
from escalate.errors import EscalateError, ExitCode
from escalate.facts.identity import get_email
from escalate.storage.atomic import atomic_write, private_dir
from escalate.storage.paths import paths
from escalate.text import counted

if TYPE_CHECKING:
    from escalate.cli.console import Console

Verdict = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``."""

    name: str
    status: Verdict
    message: str


def writable(folder: Path) -> str | None:
    """None when escalate can create ``folder`` (0700) and write a file in it; else why not."""
    probe = folder / f".doctor-{secrets.token_hex(4)}"
    try:
        private_dir(folder)
        atomic_write(probe, b"")
        probe.unlink()
    except EscalateError as exc:
        return exc.message
    except OSError as exc:
        return f"{exc.filename or folder}: {exc.strerror or exc}"
    return None


def run_checks(console: Console) -> Iterator[Check]:
    """Yield one :class:`Check` per thing escalate needs; never raises."""

    p = paths(console.env)
    for name, folder in (("data folder", p.data), ("config folder", p.config)):
        problem = writable(folder)
        if problem is None:
            yield Check(name, "ok", f"{name} {folder}")
        else:
            yield Check(name, "fail", f"{name} {folder} is not usable: {problem}")
    lookup = get_email()
    if lookup.problem is None:
        yield Check("keyring", "ok", "keyring usable" + (" (email stored)" if lookup.email else ""))
    else:
        yield Check(
            "keyring", "warn", f"keyring: {lookup.problem.message} — {lookup.problem.hint}"
        )
    yield _screen(console)

    copier = clipboard_command(console.env)
    if copier is not None:
        yield Check("clipboard", "ok", f"clipboard ({Path(copier[0]).name})")
    else:
        yield Check(
            "clipboard",
            "warn",
            "clipboard: no tool or no desktop session — open message.txt to copy it",
        )
    try:
        import typst  # noqa: F401

        yield Check("pdf", "ok", "PDF engine (typst) installed")
    except ImportError:
        yield Check("pdf", "warn", "PDF engine missing: pip install typst")


def _screen(console: Console) -> Check:
    try:

        preflight(console.env)
    except ImportError:
        return Check("screen capture", "warn", "screen capture module missing")
    except Exception as exc:
        return Check("screen capture", "warn", f"screen capture: {exc}")
    return Check("screen capture", "ok", "screen capture available")


def cmd_doctor(console: Console, args: argparse.Namespace) -> int:
    checks = list(run_checks(console))
    if args.json:
        console.json({"checks": [asdict(c) for c in checks]})
    else:
        for c in checks:
            console.out(f"{c.status:<6}{c.message}")
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        raise EscalateError(
            f"{counted(len(failed), 'check')} failed: {', '.join(failed)}",
            "fix the lines marked fail above; warnings only cost a convenience",
        )
    return ExitCode.OK


HANDLERS = {"doctor": cmd_doctor}

"""``escalate screenshot``: list the monitors, or capture one screenshot to a file."""

from __future__ import annotations

import argparse

from escalate.capture import screenshot as S
from escalate.cli.console import Console
from escalate.errors import ExitCode, OutputError, UsageError
from escalate.storage.atomic import atomic_write


def cmd_screenshot(console: Console, args: argparse.Namespace) -> int:
    if args.list_monitors:
        for m in S.list_monitors(console.env):
            primary = "  (primary)" if m.primary else ""
            console.out(f"{m.index}: {m.width}x{m.height} at {m.left},{m.top}{primary}")
        return ExitCode.OK
    if args.out is None:
        raise UsageError("screenshot: give --out FILE or --list-monitors")
    if args.out.exists() or args.out.is_symlink():
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
    atomic_write(args.out, shot.png)
    note = f" ({shot.note})" if shot.note else ""
    console.out(f"{args.out}: {shot.width}x{shot.height} {shot.format}{note}")
    return ExitCode.OK


HANDLERS = {"screenshot": cmd_screenshot}

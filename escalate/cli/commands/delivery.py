"""From bundle to ticket: ``copy`` a message part, write an ``eml`` draft, ``send`` it by SMTP."""

from __future__ import annotations

import argparse
from pathlib import Path

from escalate.capture.clipboard import copy_text
from escalate.cli.console import Console
from escalate.cli.views import copied_line
from escalate.delivery.eml import build_message
from escalate.delivery.locate import Located, locate, record_sent
from escalate.delivery.smtp import load_smtp, password_for, send
from escalate.errors import ExitCode, OutputError, TemplateError, UsageError
from escalate.model import Sent
from escalate.pipeline.answers import parse_email
from escalate.pipeline.run import template_search
from escalate.storage.atomic import atomic_write
from escalate.storage.paths import paths
from escalate.templating.discovery import DEFAULT_TEMPLATE, load_template
from escalate.text import counted


def cmd_copy(console: Console, args: argparse.Namespace) -> int:
    located = locate(paths(console.env), args.ref)
    parts = located.message_parts()
    if not 1 <= args.part <= len(parts):
        raise UsageError(f"--part {args.part}: the message has {counted(len(parts), 'part')}",
                         f"give --part 1 to {len(parts)}")
    tool = copy_text(parts[args.part - 1], console.env)
    console.out(copied_line(tool, args.part, len(parts), located.report.id))
    return ExitCode.OK


def cmd_eml(console: Console, args: argparse.Namespace) -> int:
    located = locate(paths(console.env), args.ref)
    to = parse_email(args.to) if args.to else _support_address(console, located)
    out: Path = args.out or located.folder.with_name(located.folder.name + ".eml")
    if out.exists() or out.is_symlink():
        raise OutputError(f"{out} already exists; it is never overwritten", "choose --out FILE")
    msg = build_message(located, to, console.clock())
    atomic_write(out, msg.as_bytes())
    attached = sum(1 for part in msg.iter_attachments())
    console.out(f"email draft for {to} with {counted(attached, 'attachment')}: {out}")
    console.out("open it in your mail program (it opens as a draft), check it, and send")
    return ExitCode.OK


def _support_address(console: Console, located: Located) -> str:
    search = template_search(console.env, [])
    try:
        template = load_template(located.report.template.name, search)
    except TemplateError:
        template = load_template(DEFAULT_TEMPLATE, search)
    if template.manifest.support_email is None:
        raise UsageError(f"template {template.name} names no support address",
                         "give one with --to ADDRESS")
    return template.manifest.support_email


def cmd_send(console: Console, args: argparse.Namespace) -> int:
    p = paths(console.env)
    to = parse_email(args.to)
    located = locate(p, args.ref)
    settings = load_smtp(p)
    password = password_for(settings)
    now = console.clock()
    msg = build_message(located, to, now, draft=False)
    size = send(settings, password, msg, str(located.report.email), to)
    attached = sum(1 for _ in msg.iter_attachments())
    console.out(f"sent to {to} through {settings.where}: {counted(attached, 'attachment')}, "
                f"{size / 1024:.0f} KiB")
    where = record_sent(located, Sent(to=to, at=now, via=settings.where))
    if where is None:
        console.err("not recorded: this bundle has no report in the history")
    else:
        console.out(f"recorded in {where}")
    return ExitCode.OK


HANDLERS = {"copy": cmd_copy, "eml": cmd_eml, "send": cmd_send}

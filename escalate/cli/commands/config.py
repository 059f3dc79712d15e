"""``escalate config``: the email in the keyring, team template folders, where files live."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.delivery.smtp import SmtpSettings, parse_server, save_smtp
from escalate.errors import ExitCode, UsageError
from escalate.facts.identity import forget_email, get_email, remembered_email, set_email
from escalate.pipeline.answers import parse_email
from escalate.storage.paths import load_settings, paths, save_settings
from escalate.text import decode_input

if TYPE_CHECKING:
    from escalate.cli.console import Console


def config_command(console: Console, args: argparse.Namespace) -> Iterator[str]:
    """Run one ``config`` action; yields lines to print."""
    action = args.config_command or "show"
    p = paths(console.env)
    if action == "set":
        address = parse_email(args.value)
        set_email(address)
        yield f"email stored in the system keyring: {address}"
    elif action == "unset":
        yield "email removed from " + " and ".join(forget_email(p))
    elif action == "set-smtp":
        yield from _set_smtp(console, args)
    elif action == "add-template-dir":
        folder = args.path.expanduser().resolve()
        if not folder.is_dir():
            raise UsageError(f"{args.path} is not a folder", "give a folder of template folders")
        settings = load_settings(p)
        dirs = [d for d in settings.get("template_dirs", []) if d != str(folder)]
        settings["template_dirs"] = [*dirs, str(folder)]
        save_settings(p, settings)
        yield f"team templates folder added: {folder}"
    else:
        shown = settings_view(console)
        email = shown["email"] or (
            f"(not stored: {shown['email_problem']})"
            if shown["email_problem"]
            else "(not stored; `escalate config set email ADDRESS`)"
        )
        if shown["email_source"] == "file":
            email += " (in the private settings file)"
        yield f"email:          {email}"
        yield f"data folder:    {shown['data_folder']}"
        yield f"config folder:  {shown['config_folder']}"
        yield f"cache folder:   {shown['cache_folder']}  (compiled templates only; safe to delete)"
        for d in shown["template_dirs"]:
            yield f"template dir:   {d}"
        smtp = shown["smtp"]
        if smtp is not None:
            login = f", user {smtp['user']} (password in the keyring)" if smtp.get("user") else ""
            server = f"{smtp.get('host')}:{smtp.get('port')} ({smtp.get('tls')})"
            yield f"SMTP server:    {server}{login}"


def _set_smtp(console: Console, args: argparse.Namespace) -> Iterator[str]:
    host, port = parse_server(args.server, args.tls)
    password = None
    if args.user is not None:
        if not args.password_stdin:
            raise UsageError(
                "set-smtp --user needs --password-stdin",
                "pipe the password in: printf %s \"$PASS\" | escalate config set-smtp ...",
            )
        # One trailing newline is how a pipe or a typed line ends, not part of the password.
        password = decode_input(console.read_input()).removesuffix("\n").removesuffix("\r")
        if not password:
            raise UsageError("no password on standard input", "pipe it in with --password-stdin")
    cafile = str(args.cafile.expanduser().resolve()) if args.cafile else None
    if cafile is not None and not Path(cafile).is_file():
        raise UsageError(f"{args.cafile} is not a file", "give a PEM file of CA certificates")
    settings = SmtpSettings(host=host, port=port, tls=args.tls, user=args.user, cafile=cafile)
    save_smtp(paths(console.env), settings, password)
    login = f", user {args.user}; password stored in the system keyring" if args.user else ""
    yield f"SMTP server stored: {settings.where} ({args.tls}){login}"


def settings_view(console: Console) -> dict[str, Any]:
    """``config show`` as data: the remembered email (or why there is none) and the folders."""

    p = paths(console.env)
    lookup = get_email()
    kept = remembered_email(p)
    in_file = kept.source == "file"
    settings = load_settings(p)
    smtp = settings.get("smtp")
    return {
        "email": kept.email if in_file else lookup.email,
        "email_source": "file" if in_file else ("keyring" if lookup.email else None),
        "email_problem": lookup.problem.message if lookup.problem and not in_file else None,
        "data_folder": str(p.data),
        "config_folder": str(p.config),
        "cache_folder": str(p.cache),
        "template_dirs": [str(d) for d in settings.get("template_dirs", [])],
        "smtp": {k: smtp.get(k) for k in ("host", "port", "tls", "user")}
        if isinstance(smtp, dict)
        else None,
    }


def cmd_config(console: Console, args: argparse.Namespace) -> int:
    if getattr(args, "json", False):  # only `config show` has --json
        console.json(settings_view(console))
        return ExitCode.OK
    for line in config_command(console, args):
        console.out(line)
    return ExitCode.OK


HANDLERS = {"config": cmd_config}

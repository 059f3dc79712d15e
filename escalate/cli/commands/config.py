"""``escalate config``: the email in the keyring, team template folders, where files live."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from escalate.errors import ExitCode, UsageError
from escalate.storage.paths import load_settings, paths, save_settings

if TYPE_CHECKING:
    from escalate.cli.console import Console


def config_command(console: Console, args: argparse.Namespace) -> Iterator[str]:
    """Run one ``config`` action; yields lines to print."""
    action = args.config_command or "show"
    p = paths(console.env)
    if action == "set":
        from escalate.facts.identity import set_email
        from escalate.pipeline.answers import parse_email

        address = parse_email(args.value)
        set_email(address)
        yield f"email stored in the system keyring: {address}"
    elif action == "unset":
        from escalate.facts.identity import forget_email

        yield "email removed from " + " and ".join(forget_email(p))
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
        from escalate.facts.identity import get_email, remembered_email

        lookup = get_email()
        kept = remembered_email(p)
        email = (
            f"{kept.email} (in the private settings file)"
            if kept.source == "file"
            else lookup.email
            or (
                f"(not stored: {lookup.problem.message})"
                if lookup.problem
                else "(not stored; `escalate config set email ADDRESS`)"
            )
        )
        settings = load_settings(p)
        yield f"email:          {email}"
        yield f"data folder:    {p.data}"
        yield f"config folder:  {p.config}"
        yield f"cache folder:   {p.cache}  (compiled templates only; safe to delete)"
        for d in settings.get("template_dirs", []):
            yield f"template dir:   {d}"


def cmd_config(console: Console, args: argparse.Namespace) -> int:
    for line in config_command(console, args):
        console.out(line)
    return ExitCode.OK


HANDLERS = {"config": cmd_config}

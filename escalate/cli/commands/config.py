"""``escalate config``: the email in the keyring, team template folders, where files live."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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


def settings_view(console: Console) -> dict[str, Any]:
    """``config show`` as data: the remembered email (or why there is none) and the folders."""
    from escalate.facts.identity import get_email, remembered_email

    p = paths(console.env)
    lookup = get_email()
    kept = remembered_email(p)
    in_file = kept.source == "file"
    return {
        "email": kept.email if in_file else lookup.email,
        "email_source": "file" if in_file else ("keyring" if lookup.email else None),
        "email_problem": lookup.problem.message if lookup.problem and not in_file else None,
        "data_folder": str(p.data),
        "config_folder": str(p.config),
        "cache_folder": str(p.cache),
        "template_dirs": [str(d) for d in load_settings(p).get("template_dirs", [])],
    }


def cmd_config(console: Console, args: argparse.Namespace) -> int:
    if getattr(args, "json", False):  # only `config show` has --json
        console.json(settings_view(console))
        return ExitCode.OK
    for line in config_command(console, args):
        console.out(line)
    return ExitCode.OK


HANDLERS = {"config": cmd_config}

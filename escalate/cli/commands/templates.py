"""``escalate templates``: list, show, scaffold, check and add team templates."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.errors import ExitCode, TemplateError
from escalate.pipeline.run import template_search
from escalate.storage.atomic import atomic_write, private_dir
from escalate.storage.paths import load_settings, paths, save_settings
from escalate.templating.check import check_lines, check_template
from escalate.templating.discovery import Template, discover_all, load_template
from escalate.templating.git import clone, cloned_repos, parse_source, pull, repo_name
from escalate.templating.manifest import (
    ENTRY,
    MANIFEST,
    NAME_PATTERN,
    read_manifest,
)
from escalate.text import counted

if TYPE_CHECKING:
    from escalate.cli.console import Console

SearchPath = list[tuple[Path, str]]


def templates_command(console: Console, args: argparse.Namespace) -> Iterator[str]:
    """Run one ``templates`` action; yields lines to print."""

    search = template_search(console.env, list(getattr(args, "template_dir", [])))
    action = args.templates_command or "list"
    if action == "show":
        yield from _show(load_template(args.name, search))
    elif action == "new":
        yield from _new(console, args.name, args.extends, args.dir, search)
    elif action == "check":
        yield from check_lines(Path(args.path), search)
    elif action == "add":
        yield from _add(console, args.source)
    elif action == "update":
        yield from _update(console)
    else:
        yield from _list(search)


def template_rows(search: SearchPath) -> list[dict[str, Any]]:
    """``templates list`` as data: each template that wins, and the ones it overrides."""
    entries = discover_all(search)
    winners = {name: (folder, origin) for name, folder, origin in entries}
    rows = []
    for name in sorted(winners):
        folder, origin = winners[name]
        row: dict[str, Any] = {"name": name, "origin": origin, "folder": str(folder)}
        try:
            m = read_manifest(folder)
            row.update(version=m.version, title=m.title, invalid=None)
        except TemplateError as exc:
            row.update(version=None, title=None, invalid=exc.message)
        row["overrides"] = [
            {"origin": o_origin, "folder": str(o_folder)}
            for other, o_folder, o_origin in entries
            if other == name and o_folder != folder
        ]
        rows.append(row)
    return rows


def _list(search: SearchPath) -> Iterator[str]:
    for row in template_rows(search):
        name, origin = row["name"], row["origin"]
        if row["invalid"] is None:
            yield f"{name:<24} {row['version']:<6} {origin:<14} {row['title']}  ({row['folder']})"
        else:
            yield f"{name:<24} {'?':<6} {origin:<14} (invalid: {row['invalid']})"
        for o in row["overrides"]:
            yield f"{'':<24} {'':<6} {'':<14} overrides {o['origin']}: {o['folder']}"


def template_json(t: Template) -> dict[str, Any]:
    """``templates show --json``: the merged manifest of ``t``."""
    m = t.manifest
    return {
        "name": m.name,
        "version": m.version,
        "title": m.title,
        "description": m.description,
        "origin": t.origin,
        "folder": str(t.folder),
        "extends": t.names[1:],
        "defaults": m.defaults,
        "questions": [q.model_dump(mode="json", exclude_none=True) for q in m.questions],
        "steps": [s.label for s in m.steps],
    }


def _show(t: Template) -> Iterator[str]:
    m = t.manifest
    yield f"{m.name} {m.version} — {m.title}  ({t.origin}: {t.folder})"
    if m.description:
        yield m.description
    if len(t.chain) > 1:
        yield "extends: " + " → ".join(t.names[1:])
    for key, value in m.defaults.items():
        yield f"preset  {key} = {value!r}"
    for q in m.questions:
        flag = " (required)" if q.required else ""
        yield f"asks    {q.key}: {q.prompt} [{q.type}]{flag}"
    for s in m.steps:
        yield f"step    {s.label}"


# --- new ------------------------------------------------------------------------------------

_SCAFFOLD_TOML = """\
manifest_version = 1
name = "{name}"
title = "{title}"
description = "What this template is for, in one line."
version = "1.0"
extends = "{parent}"

# Presets: answers filled in for everyone who uses this template (any answer key).
[defaults]
# platform = "Windows 11 (managed laptop)"

# Extra questions, asked after the standard ones. Uncomment and adapt:
# [[questions]]
# key = "internal_ticket"
# prompt = "Internal ticket number"
# help = "From the helpdesk portal, e.g. IT-1234"
# type = "text"            # text | multiline | choice | multichoice | bool | email | datetime
# required = true
# pattern = '^IT-\\d{{4,}}$'
# when = "scope != 'one_chat'"   # ask only when this is true
"""

_SCAFFOLD_J2 = """\
{{% extends "{parent}/submission.md.j2" %}}
{{#- Blocks you can override: title, extra_rows, details. Values are escaped for you. -#}}
{{% block extra_rows %}}
{{{{ super() }}}}
{{% endblock %}}
"""


def _new(
    console: Console, name: str, parent: str, where: Path | None, search: SearchPath
) -> Iterator[str]:

    if not re.fullmatch(NAME_PATTERN, name):
        raise TemplateError(
            f"{name!r} is not a template name", "use lowercase letters, digits, - and _"
        )
    load_template(parent, search)  # the parent must exist before we extend it
    root = where if where is not None else paths(console.env).user_templates
    folder = root / name
    if folder.exists():
        raise TemplateError(f"{folder} already exists", "pick another name or edit that folder")
    private_dir(folder)
    title = name.replace("-", " ").replace("_", " ").capitalize()
    atomic_write(folder / MANIFEST, _SCAFFOLD_TOML.format(name=name, title=title, parent=parent))
    atomic_write(folder / ENTRY, _SCAFFOLD_J2.format(parent=parent))
    yield f"created {folder}"
    yield f"next: edit {folder / MANIFEST}, then run `escalate templates check {folder}`"


# --- add / update ---------------------------------------------------------------------------


def _register(console: Console, folder: Path) -> None:
    p = paths(console.env)
    settings = load_settings(p)
    dirs = [d for d in settings.get("template_dirs", []) if d != str(folder)]
    settings["template_dirs"] = [*dirs, str(folder)]
    save_settings(p, settings)


def _names_in(folder: Path) -> list[str]:
    return sorted({name for name, _, _ in discover_all([(folder, "team")])})


def _add(console: Console, source: str) -> Iterator[str]:
    if not source.startswith("git+"):
        folder = Path(source).expanduser().resolve()
        if not folder.is_dir():
            raise TemplateError(
                f"{source} is neither git+URL nor a folder", "give git+URL or a folder path"
            )
        names = _names_in(folder)
        if not names:
            raise TemplateError(f"{folder} holds no template (no */{MANIFEST})")
        _register(console, folder)
        yield f"team templates folder added: {folder}"
        yield f"templates: {', '.join(names)}"
        return

    url = parse_source(source)
    root = paths(console.env).data / "template-repos"
    dest = root / repo_name(url)
    if dest.exists():
        raise TemplateError(
            f"{dest.name} is already added ({dest})", "run `escalate templates update` to pull it"
        )
    private_dir(root)
    clone(url, dest, console.env)
    names = _names_in(dest)
    if not names:
        import shutil

        shutil.rmtree(dest, ignore_errors=True)
        raise TemplateError(
            f"{url} holds no template",
            f"a template is a folder with {MANIFEST}, at the top of the repository",
        )
    _register(console, dest)
    yield f"cloned {url} into {dest}"
    yield f"templates: {', '.join(names)}"


def _update(console: Console) -> Iterator[str]:
    repos = cloned_repos(paths(console.env).data / "template-repos")
    if not repos:
        yield "no template repositories yet; add one with `escalate templates add git+URL`"
        return
    failed: list[str] = []
    for repo in repos:
        try:
            head = pull(repo, console.env)
        except TemplateError as exc:
            failed.append(f"{repo.name}: {exc.message}")
            continue
        yield f"{repo.name}: up to date at {head}"
    if failed:
        raise TemplateError(
            "; ".join(failed), "check the repository address and your network, then retry"
        )


def _json(console: Console, args: argparse.Namespace) -> None:
    """``templates list|show|check --json``: print the document; a failed check still exits 1."""

    search = template_search(console.env, list(getattr(args, "template_dir", [])))
    action = args.templates_command or "list"
    if action == "show":
        console.json(template_json(load_template(args.name, search)))
    elif action == "check":
        folder = Path(args.path)
        problems = check_template(folder, search)
        listed = [{"file": str(p.path), "line": p.line, "message": p.message} for p in problems]
        console.json({"folder": str(folder), "ok": not problems, "problems": listed})
        if problems:
            raise TemplateError(f"{counted(len(problems), 'problem')} in {folder}")
    else:
        console.json(template_rows(search))


def cmd_templates(console: Console, args: argparse.Namespace) -> int:
    if getattr(args, "json", False):  # list, show and check have --json
        _json(console, args)
        return ExitCode.OK
    for line in templates_command(console, args):
        console.out(line)
    return ExitCode.OK


HANDLERS = {"templates": cmd_templates}

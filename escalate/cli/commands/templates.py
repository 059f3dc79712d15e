"""``escalate templates``: list, show, scaffold, check and add team templates."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.errors import ExitCode, TemplateError
from escalate.templating.discovery import Template, discover_all, load_template
from escalate.templating.engine import make_template_environment, render
from escalate.templating.manifest import (
    ENTRY,
    MANIFEST,
    NAME_PATTERN,
    Problem,
    lint_manifest,
    read_manifest,
)
from escalate.text import counted

if TYPE_CHECKING:
    from escalate.cli.console import Console

SearchPath = list[tuple[Path, str]]


def templates_command(console: Console, args: argparse.Namespace) -> Iterator[str]:
    """Run one ``templates`` action; yields lines to print."""
    from escalate.pipeline.run import template_search

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


def _list(search: SearchPath) -> Iterator[str]:
    entries = discover_all(search)
    winners = {name: (folder, origin) for name, folder, origin in entries}
    for name in sorted(winners):
        folder, origin = winners[name]
        try:
            m = read_manifest(folder)
            yield f"{name:<24} {m.version:<6} {origin:<14} {m.title}  ({folder})"
        except TemplateError as exc:
            yield f"{name:<24} {'?':<6} {origin:<14} (invalid: {exc.message})"
        for other, o_folder, o_origin in entries:
            if other == name and o_folder != folder:
                yield f"{'':<24} {'':<6} {'':<14} overrides {o_origin}: {o_folder}"


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
    from escalate.storage.atomic import atomic_write, private_dir
    from escalate.storage.paths import paths

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


# --- check ----------------------------------------------------------------------------------


def check_template(folder: Path, search: Sequence[tuple[Path, str]]) -> list[Problem]:
    """Every problem in the template at ``folder``: manifest, links, Jinja, a sample render."""
    folder = folder.expanduser()
    if not folder.is_dir():
        raise TemplateError(f"{folder} is not a folder", "give the folder that holds template.toml")
    manifest, problems = lint_manifest(folder)
    problems += _links(folder)
    if manifest is None:
        return problems
    try:
        template = load_template(folder.name, [*search, (folder.parent, "checked")])
    except TemplateError as exc:
        path = folder / MANIFEST
        line = _extends_line(path) if "extends" in exc.message else 1
        return [*problems, Problem(path, line, exc.message.removeprefix(f"{path}: "))]
    compiled = _compile_all(template)
    problems += compiled
    if not compiled:
        problems += _sample_render(template)
    return problems


def check_lines(folder: Path, search: Sequence[tuple[Path, str]]) -> Iterator[str]:
    """``templates check``: ``file:line: message`` per problem, or ``ok`` lines."""
    problems = check_template(folder, search)
    if problems:
        yield from (str(p) for p in problems)
        raise TemplateError(
            f"{counted(len(problems), 'problem')} in {folder}",
            "fix each file:line above and check again",
        )
    jinja = sorted(p.name for p in folder.rglob("*.j2"))
    yield f"ok  {folder / MANIFEST}: valid"
    names = f": {', '.join(jinja)}" if jinja else ""
    yield f"ok  {counted(len(jinja), 'Jinja file')} compile{names}"
    yield "ok  a sample report renders in the sandbox"


def _links(folder: Path) -> list[Problem]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):  # does not follow links
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for entry in [*dirnames, *filenames]:
            path = Path(dirpath) / entry
            if path.is_symlink():
                found.append(
                    Problem(path, 1, "is a symbolic link; templates may only hold real files")
                )
    return found


def _extends_line(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((i for i, ln in enumerate(lines, 1) if re.match(r"\s*extends\s*=", ln)), 1)


def _compile_all(template: Template) -> list[Problem]:
    """Compile every ``.j2`` file of the template's own folder in the limited child."""
    from escalate.templating.isolation import run_limited

    folder = template.folder
    names = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*.j2")
        if not p.is_symlink() and ".git" not in p.parts
    )

    def job() -> str:
        from jinja2.exceptions import TemplateSyntaxError

        found = []
        env = make_template_environment(template)
        for name in names:
            try:
                env.get_template(name)
            except TemplateSyntaxError as exc:
                found.append([str(folder / name), exc.lineno or 1, exc.message or "syntax error"])
            except TemplateError as exc:
                found.append([str(folder / name), 1, exc.message])
        return json.dumps(found)

    try:
        return [
            Problem(Path(p), int(line), str(msg)) for p, line, msg in json.loads(run_limited(job))
        ]
    except TemplateError as exc:
        return [_problem_from(exc, folder / ENTRY)]


def _problem_from(exc: TemplateError, fallback: Path) -> Problem:
    m = re.match(r"^(.+?\.j2|<template>):(\d+): (.*)$", exc.message)
    if m:
        return Problem(Path(m.group(1)), int(m.group(2)), m.group(3))
    return Problem(fallback, 1, exc.message)


def _sample_render(template: Template) -> list[Problem]:
    from escalate.render.markdown import build_context

    try:
        report = sample_report(template)
        render(template, build_context(report, template.checklist, template.manifest.questions))
    except TemplateError as exc:
        return [_problem_from(exc, template.folder / ENTRY)]
    return []


def sample_report(template: Template) -> Any:
    """A plausible finished report for ``template``, as ``check`` renders it."""
    from escalate.model import Environment
    from escalate.pipeline.assemble import build_report
    from escalate.pipeline.questions import core_questions
    from escalate.templating.manifest import Question

    answers: dict[str, Any] = {
        "email": "reporter@example.com",
        "error_text": "Something went wrong. If this issue persists please contact us.",
        "occurred_at": "2026-01-15T14:32:00+01:00",
        "timezone": "Europe/Berlin",
        "platform": "Windows 11",
        "browser": "Firefox 133",
        "request_id": ["req_0123456789abcdef"],
        "scope": "all_chats",
        "steps_tried": ["Reloaded the page"],
        "summary": "Sample report for templates check",
    }
    for key, value in template.manifest.defaults.items():
        answers.setdefault(key, value)
    core = {q.key for q in core_questions()}
    for q in template.manifest.questions:
        if q.key not in core:
            answers.setdefault(q.key, _sample_value(q))
    questions: list[Question] = list(template.manifest.questions)
    now = datetime(2026, 1, 15, 14, 40, tzinfo=UTC)
    return build_report("2026-01-15-1440-chk0", now, answers, template, Environment(), questions)


def _sample_value(q: Any) -> Any:
    if q.type == "choice":
        return q.choices[0]
    if q.type == "multichoice":
        return q.choices[:1]
    if q.type == "bool":
        return True
    if q.type == "email":
        return "someone@example.com"
    if q.type == "datetime":
        return "2026-01-15T14:32:00+01:00"
    return f"sample {q.key}"


# --- add / update ---------------------------------------------------------------------------


def _register(console: Console, folder: Path) -> None:
    from escalate.storage.paths import load_settings, paths, save_settings

    p = paths(console.env)
    settings = load_settings(p)
    dirs = [d for d in settings.get("template_dirs", []) if d != str(folder)]
    settings["template_dirs"] = [*dirs, str(folder)]
    save_settings(p, settings)


def _names_in(folder: Path) -> list[str]:
    return sorted({name for name, _, _ in discover_all([(folder, "team")])})


def _add(console: Console, source: str) -> Iterator[str]:
    from escalate.storage.atomic import private_dir
    from escalate.storage.paths import paths

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
    from escalate.templating.git import clone, parse_source, repo_name

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
    from escalate.storage.paths import paths
    from escalate.templating.git import cloned_repos, pull

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


def cmd_templates(console: Console, args: argparse.Namespace) -> int:
    for line in templates_command(console, args):
        console.out(line)
    return ExitCode.OK


HANDLERS = {"templates": cmd_templates}

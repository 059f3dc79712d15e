"""``escalate templates``: list and show the templates on the search path."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from escalate.templates import discover, load_template, read_manifest

if TYPE_CHECKING:
    from escalate.console import Console


def templates_command(console: Console, args: argparse.Namespace) -> Iterator[str]:
    """Run one ``templates`` action; yields lines to print."""
    from escalate.flow import template_search

    search = template_search(console, list(args.template_dir))
    action = args.templates_command or "list"
    if action == "show":
        t = load_template(args.name, search)
        m = t.manifest
        yield f"{m.name} {m.version} — {m.title}  ({t.origin}: {t.folder})"
        if m.description:
            yield m.description
        if m.extends:
            yield f"extends: {m.extends}"
        for key, value in m.defaults.items():
            yield f"preset  {key} = {value!r}"
        for q in m.questions:
            flag = " (required)" if q.required else ""
            yield f"asks    {q.key}: {q.prompt} [{q.type}]{flag}"
        for s in m.steps:
            yield f"step    {s.label}"
        return
    for name, (folder, origin) in sorted(discover(search).items()):
        try:
            m = read_manifest(folder)
            yield f"{name:<24} {m.version:<6} {origin:<13} {m.title}"
        except Exception as exc:
            yield f"{name:<24} {'?':<6} {origin:<13} (invalid: {exc})"

"""``escalate render DIR``: render an existing report again into a new bundle folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from escalate.errors import NotFoundError, TemplateError
from escalate.model import Report
from escalate.pipeline.assemble import render_files
from escalate.pipeline.run import template_search
from escalate.render.bundle import Bundle, write_bundle
from escalate.render.message import DEFAULT_CHAT_LIMIT
from escalate.storage.history import bundle_folder
from escalate.storage.paths import paths
from escalate.templating.discovery import DEFAULT_TEMPLATE, load_template

if TYPE_CHECKING:
    from escalate.cli.console import Console

Notify = Callable[[str], None]
COPIED = ("screenshot.png", "screenshot.jpg", "sanitized.har")


def _free_sibling(folder: Path) -> Path:
    n = 1
    while True:
        candidate = folder.with_name(f"{folder.name}.render-{n}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
        n += 1


def rerender(
    console: Console, folder: Path, out: Path | None, formats: frozenset[str], notify: Notify,
    chat_limit: int = DEFAULT_CHAT_LIMIT,
) -> Bundle:
    """Read ``folder/report.json`` and write a fresh bundle; the source is left untouched."""
    from pydantic import ValidationError


    folder = bundle_folder(folder)  # a history record renders its bundle (screenshot too)
    source = folder / "report.json"
    try:
        report = Report.model_validate_json(source.read_bytes())
    except FileNotFoundError:
        raise NotFoundError(
            f"{folder} has no report.json", "give a bundle or report folder"
        ) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise NotFoundError(
            f"{source}: {where}: {err['msg']}", "is this an escalate report?"
        ) from None
    search = template_search(console.env, [])
    try:
        template = load_template(report.template.name, search)
    except TemplateError as exc:
        notify(f"{exc.message}; rendering with {DEFAULT_TEMPLATE} instead")
        template = load_template(DEFAULT_TEMPLATE, search)
    files = {n: (folder / n).read_bytes() for n in COPIED if (folder / n).is_file()}
    compiled = paths(console.env).compiled_templates
    payload = render_files(
        report, template, files, formats, notify, compiled=compiled, chat_limit=chat_limit
    )
    return write_bundle(out or _free_sibling(folder), payload)

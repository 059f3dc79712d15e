"""Template discovery, the manifest model, and rendering through the hardened sandbox.

A template is a folder: ``template.toml`` (the manifest) and ``submission.md.j2``.
Search order, later wins: built-in < user dir < team dirs (settings, then
``ESCALATE_TEMPLATE_PATH``) < ``--template-dir``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from escalate import mdescape
from escalate.errors import TemplateError
from escalate.questions import Question

DEFAULT_TEMPLATE = "openai-support"
ENTRY = "submission.md.j2"
MANIFEST = "template.toml"
MANIFEST_VERSION = 1


class StepSpec(BaseModel):
    """A troubleshooting step offered in the checklist."""

    model_config = ConfigDict(extra="forbid")

    label: str
    help: str = ""


class Manifest(BaseModel):
    """``template.toml``, validated strictly so a typo is an error, not silence."""

    model_config = ConfigDict(extra="forbid")

    manifest_version: int = MANIFEST_VERSION
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    title: str
    description: str = ""
    version: str = "1.0"
    extends: str | None = None
    defaults: dict[str, str | bool | list[str]] = Field(default_factory=dict)
    questions: list[Question] = Field(default_factory=list)
    steps: list[StepSpec] = Field(default_factory=list)


@dataclass
class Template:
    """A resolved template: its manifest merged with every parent's, and its folders."""

    manifest: Manifest
    folder: Path
    origin: str
    chain: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version


def builtin_root() -> Path:
    """The built-in templates: inside the wheel, or ``templates/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def search_path(
    user_dir: Path | None = None,
    team_dirs: Sequence[Path] = (),
    extra_dirs: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> list[tuple[Path, str]]:
    """Folders to search, lowest precedence first, each with a label for ``templates list``."""
    env = os.environ if env is None else env
    found: list[tuple[Path, str]] = [(builtin_root(), "built-in")]
    if user_dir is not None:
        found.append((user_dir, "user"))
    found += [(Path(d), "team") for d in team_dirs]
    found += [(Path(d), "team") for d in env.get("ESCALATE_TEMPLATE_PATH", "").split(os.pathsep) if d]
    found += [(Path(d), "--template-dir") for d in extra_dirs]
    return found


def discover(path: Sequence[tuple[Path, str]]) -> dict[str, tuple[Path, str]]:
    """Every template folder by name; the same name later in the path wins."""
    found: dict[str, tuple[Path, str]] = {}
    for root, origin in path:
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(("_", ".")) or not (folder / MANIFEST).is_file():
                continue
            found[folder.name] = (folder, origin)
    return found


def read_manifest(folder: Path) -> Manifest:
    """Parse and validate ``template.toml``; errors name the file, key and fix."""
    import tomllib

    path = folder / MANIFEST
    if path.is_symlink():
        raise TemplateError(f"{path}: the manifest may not be a symbolic link")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"{path}: missing", f"create {MANIFEST} (see docs/templates.md)") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: {exc}") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise TemplateError(
            f"{path}: {loc}: {err['msg']}", "fix that key (see docs/templates.md for the format)"
        ) from None


def load_template(name: str, path: Sequence[tuple[Path, str]]) -> Template:
    """Resolve ``name`` and its ``extends`` chain into one :class:`Template`."""
    known = discover(path)
    chain: list[tuple[Path, str, Manifest]] = []
    current: str | None = name
    while current is not None:
        if current not in known:
            hint = "run `escalate templates list` to see the names"
            if chain:
                raise TemplateError(
                    f"{chain[-1][0] / MANIFEST}: extends unknown template {current!r}", hint
                )
            raise TemplateError(f"no template named {current!r}", hint)
        if any(m.name == current for _, _, m in chain):
            raise TemplateError(f"template {name!r} extends itself through {current!r}")
        folder, origin = known[current]
        manifest = read_manifest(folder)
        chain.append((folder, origin, manifest))
        current = manifest.extends
    return _merge(chain)


def _merge(chain: list[tuple[Path, str, Manifest]]) -> Template:
    folder, origin, child = chain[0]
    defaults: dict[str, Any] = {}
    questions: dict[str, Question] = {}
    steps: list[StepSpec] = []
    for _, _, manifest in reversed(chain):  # parents first, children override
        defaults.update(manifest.defaults)
        for q in manifest.questions:
            questions[q.key] = q
        steps = manifest.steps or steps
    merged = child.model_copy(
        update={"defaults": defaults, "questions": list(questions.values()), "steps": steps}
    )
    return Template(merged, folder, origin, chain=[f for f, _, _ in chain])


# --- rendering ----------------------------------------------------------------------------

_FILTERS = {
    "md": mdescape.escape_inline,
    "codeblock": mdescape.codeblock,
    "code": mdescape.code,
    "checkbox": mdescape.checkbox,
}


def _env(folders: Sequence[Path]) -> Any:
    from escalate.sandbox import make_environment

    return make_environment(folders, finalize=mdescape.escape_inline, filters=_FILTERS)


def render(template: Template, context: Mapping[str, Any], entry: str = ENTRY) -> str:
    """Render ``entry`` of ``template`` in the sandbox; the result is neutralised Markdown."""
    from jinja2.exceptions import TemplateNotFound, TemplateSyntaxError

    from escalate.sandbox import render_limited

    env = _env(template.chain or [template.folder])
    try:
        compiled = env.get_template(entry)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or entry}:{exc.lineno}: {exc.message}") from None
    except TemplateNotFound as exc:
        raise TemplateError(f"{template.folder}: {exc.name} not found") from None
    return mdescape.neutralise(render_limited(compiled, context))


def render_string(source: str, context: Mapping[str, Any]) -> str:
    """Render a short template string (a question default) in the sandbox, unescaped."""
    from jinja2.exceptions import TemplateError as JinjaError

    from escalate.sandbox import make_environment

    env = make_environment()
    try:
        return str(env.from_string(source).render(dict(context)))
    except JinjaError as exc:
        raise TemplateError(f"default {source!r}: {exc.message}") from None


def evaluate_condition(expression: str, context: Mapping[str, Any]) -> bool:
    """Evaluate a ``when`` expression over earlier answers; unknown names are false."""
    from jinja2 import ChainableUndefined
    from jinja2.exceptions import TemplateError as JinjaError

    from escalate.sandbox import make_environment

    env = make_environment()
    env.undefined = ChainableUndefined
    try:
        return bool(env.compile_expression(expression)(**dict(context)))
    except JinjaError as exc:
        raise TemplateError(f"when {expression!r}: {exc.message}") from None

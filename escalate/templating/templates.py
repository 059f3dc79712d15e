"""Template discovery, the manifest model, and rendering through the hardened sandbox.

A template is a folder: ``template.toml`` (the manifest) and, optionally,
``submission.md.j2`` (inherited from the parent when absent). Search order, later wins:
built-in < user dir < team dirs (settings, then ``ESCALATE_TEMPLATE_PATH``) <
``--template-dir``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from escalate.errors import TemplateError
from escalate.pipeline.questions import Question
from escalate.render import escape as mdescape

DEFAULT_TEMPLATE = "openai-support"
ENTRY = "submission.md.j2"
MANIFEST = "template.toml"
MANIFEST_VERSION = 1
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
DOCS = "see docs/templates.md"


class Problem(NamedTuple):
    """One finding of ``templates check``: where and what."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _parses(kind: str, source: str, wrap: str = "{0}") -> None:
    """Raise ValueError when ``source`` is not valid Jinja (parsing only; nothing runs)."""
    from jinja2 import Environment
    from jinja2.exceptions import TemplateSyntaxError

    try:
        Environment().parse(wrap.format(source))  # noqa: S701 (parse only, never rendered)
    except TemplateSyntaxError as exc:
        raise ValueError(f"{kind} is not valid Jinja: {exc.message}") from None


class TemplateQuestion(Question):
    """A question declared by a template: a core question plus a Jinja ``validator``.

    ``validator`` is rendered with the answers and ``value``; any non-blank output is the
    error message shown to the person (as in copier).
    """

    validator: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TemplateQuestion:
        if self.type in ("choice", "multichoice") and not self.choices:
            raise ValueError(f"type {self.type!r} needs a `choices` list")
        if self.choices and self.type not in ("choice", "multichoice"):
            raise ValueError(f"`choices` only apply to choice/multichoice, not {self.type!r}")
        templated = isinstance(self.default, str) and "{{" in self.default
        literal = isinstance(self.default, str) and not templated
        if self.type == "choice" and literal and self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of the choices")
        if self.type == "bool" and self.default is not None and not isinstance(self.default, bool):
            raise ValueError("a bool question's default must be true or false (no quotes)")
        if self.when:
            _parses("when", self.when, "{{% if {0} %}}{{% endif %}}")
        if templated:
            _parses("default", str(self.default))
        if self.validator:
            _parses("validator", self.validator)
        return self


class StepSpec(BaseModel):
    """A troubleshooting step offered in the checklist."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    label: str = Field(min_length=1, max_length=200)
    help: str = ""


class Manifest(BaseModel):
    """``template.toml``, validated strictly so a typo is an error, not silence."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    manifest_version: int = Field(default=MANIFEST_VERSION, ge=1, le=MANIFEST_VERSION)
    name: str = Field(pattern=NAME_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    version: str = Field(default="1.0", pattern=r"^[0-9A-Za-z.+-]{1,32}$")
    extends: str | None = Field(default=None, pattern=NAME_PATTERN)
    defaults: dict[str, str | bool | list[str]] = Field(default_factory=dict)
    questions: list[TemplateQuestion] = Field(default_factory=list)
    steps: list[StepSpec] = Field(default_factory=list)
    # Where `escalate eml` and `send` address the report unless --to says otherwise.
    support_email: str | None = Field(
        default=None, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
    )

    @field_validator("defaults")
    @classmethod
    def _keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.fullmatch(KEY_PATTERN, key):
                raise ValueError(f"preset key {key!r} must be lower_snake_case (a-z, 0-9, _)")
        return value

    @model_validator(mode="after")
    def _unique(self) -> Manifest:
        if self.extends == self.name:
            raise ValueError("a template cannot extend itself")
        seen: set[str] = set()
        for q in self.questions:
            if q.key in seen:
                raise ValueError(f"question key {q.key!r} is declared twice")
            seen.add(q.key)
        return self


@dataclass
class Template:
    """A resolved template: its manifest merged with every parent's, and its folders."""

    manifest: Manifest
    folder: Path
    origin: str
    chain: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def built_in(self) -> bool:
        """Every folder of the chain ships with escalate (reviewed code, not team input)."""
        root = builtin_root().resolve()
        folders = self.chain or [self.folder]
        return all(f.resolve().parent == root for f in folders)


def builtin_root() -> Path:
    """The built-in templates: inside the wheel, or ``templates/`` in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


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
    found += [
        (Path(d), "team") for d in env.get("ESCALATE_TEMPLATE_PATH", "").split(os.pathsep) if d
    ]
    found += [(Path(d), "--template-dir") for d in extra_dirs]
    return found


def discover_all(path: Sequence[tuple[Path, str]]) -> list[tuple[str, Path, str]]:
    """Every template folder on the path, lowest precedence first (duplicates kept).

    A search folder holds template folders, or is itself one (a repository that is a
    single template). Symbolic links are skipped: a shared folder must not point outside.
    """
    found: list[tuple[str, Path, str]] = []
    for root, origin in path:
        if not root.is_dir():
            continue
        if (root / MANIFEST).is_file() and not (root / MANIFEST).is_symlink():
            found.append((root.name, root, origin))
            continue
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(("_", ".")) or folder.is_symlink():
                continue
            manifest = folder / MANIFEST
            if manifest.is_file() and not manifest.is_symlink():
                found.append((folder.name, folder, origin))
    return found


def discover(path: Sequence[tuple[Path, str]]) -> dict[str, tuple[Path, str]]:
    """Every template folder by name; the same name later in the path wins."""
    return {name: (folder, origin) for name, folder, origin in discover_all(path)}


# --- the manifest ---------------------------------------------------------------------------


def lint_manifest(folder: Path) -> tuple[Manifest | None, list[Problem]]:
    """Parse and validate ``template.toml``, returning every problem with its line."""
    import tomllib

    from escalate.templating.sandbox import read_template_file

    path = folder / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None, [Problem(path, 1, f"missing; create {MANIFEST} ({DOCS})")]
    try:
        text = read_template_file(path)
    except TemplateError as exc:
        return None, [Problem(path, 1, exc.message.removeprefix(f"{path}: "))]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return None, [Problem(path, int(m.group(1)) if m else 1, f"not valid TOML: {exc}")]
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        return None, [Problem(path, _line_of(text, e["loc"]), _explain(e)) for e in exc.errors()]
    problems = []
    if manifest.name != folder.name:
        problems.append(
            Problem(
                path,
                _line_of(text, ("name",)),
                f"name {manifest.name!r} differs from the folder name {folder.name!r}; "
                "rename one so they match",
            )
        )
    return manifest, problems


def read_manifest(folder: Path) -> Manifest:
    """Parse and validate ``template.toml``; errors name the file, line, key and fix."""
    manifest, problems = lint_manifest(folder)
    if problems or manifest is None:
        first = problems[0]
        raise TemplateError(str(first), f"fix that key ({DOCS} has the format)")
    return manifest


def _explain(err: Any) -> str:
    loc = _dotted(err["loc"])
    if err["type"] == "extra_forbidden":
        parent = err["loc"][:-1]
        model: type[BaseModel] = Manifest
        if parent[:1] == ("questions",):
            model = TemplateQuestion
        elif parent[:1] == ("steps",):
            model = StepSpec
        allowed = ", ".join(model.model_fields)
        return f"unknown key {loc!r}; allowed keys here: {allowed}"
    if err["type"] == "missing":
        return f"{loc}: required key is missing; add it"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def _dotted(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(text: str, loc: Sequence[int | str]) -> int:
    """The line of ``loc`` (e.g. ``questions[2].type``) in the TOML text, best effort."""
    lines = text.splitlines()
    key_re = re.compile(r'^\s*"?([A-Za-z0-9_-]+)"?\s*=')
    table: tuple[str, int | None] = ("", None)
    counts: dict[str, int] = {}
    top = str(loc[0]) if loc else ""
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    sub = next((str(p) for p in loc[1:] if isinstance(p, str)), None)
    header_line = 0
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("[["):
            name = stripped.strip("[] ")
            counts[name] = counts.get(name, 0) + 1
            table = (name, counts[name] - 1)
        elif stripped.startswith("["):
            table = (stripped.strip("[] "), None)
        else:
            m = key_re.match(line)
            if m is None:
                continue
            if table == ("", None) and m.group(1) == top:
                header_line = header_line or number
            elif table[0] == top and table[1] == index and m.group(1) == sub:
                return number
            continue
        if table[0] == top and table[1] == index:
            header_line = number
    return header_line or 1


# --- resolving ------------------------------------------------------------------------------


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
        if any(f.name == current for f, _, _ in chain):
            raise TemplateError(f"template {name!r} extends itself through {current!r}")
        folder, origin = known[current]
        manifest = read_manifest(folder)
        chain.append((folder, origin, manifest))
        current = manifest.extends
    return _merge(chain)


def _merge(chain: list[tuple[Path, str, Manifest]]) -> Template:
    folder, origin, child = chain[0]
    defaults: dict[str, Any] = {}
    questions: dict[str, TemplateQuestion] = {}
    steps: list[StepSpec] = []
    for _, _, manifest in reversed(chain):  # parents first, children override
        defaults.update(manifest.defaults)
        for q in manifest.questions:
            questions[q.key] = q
        steps = manifest.steps or steps
    support = next((m.support_email for _, _, m in chain if m.support_email), None)
    merged = child.model_copy(
        update={"defaults": defaults, "questions": list(questions.values()), "steps": steps,
                "support_email": support}
    )
    return Template(
        merged, folder, origin, chain=[f for f, _, _ in chain], names=[f.name for f, _, _ in chain]
    )


def merge_questions(
    core: Sequence[Question], template_questions: Sequence[Question]
) -> list[Question]:
    """Core questions with any of the same key replaced in place by the template's own
    (so ``request_id`` can become required); the template's other questions follow."""
    own = {q.key: q for q in template_questions}
    merged = [own.pop(q.key, q) for q in core]
    return [*merged, *(q for q in template_questions if q.key in own)]


# --- rendering ------------------------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMGT]?i?B|bytes?|[KMGT])?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(value: object) -> int | None:
    """``"30 MB"`` → 30000000 bytes (KiB/MiB are binary); ``None`` when unreadable."""
    m = _SIZE.match(str(value or ""))
    if m is None:
        return None
    number = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or "").lower()
    if unit.endswith("ib"):
        factor = 1024 ** ("kmgt".index(unit[0]) + 1)
    else:
        factor = _UNITS.get(unit.removesuffix("b") if len(unit) == 2 else unit, 1)
    return int(number * factor)


_FILTERS = {
    "md": mdescape.escape_inline,
    "codeblock": mdescape.codeblock,
    "code": mdescape.code,
    "checkbox": mdescape.checkbox,
    "filesize": parse_size,
}


def make_template_environment(template: Template, bytecode_cache: Any = None) -> Any:
    """The sandboxed environment for ``template``: its chain of folders, our filters."""
    from escalate.templating.sandbox import make_environment

    aliases: dict[str, Path] = {}
    for name, folder in zip(template.names or [], template.chain, strict=False):
        aliases.setdefault(name, folder)
    if template.chain:
        aliases.setdefault(template.name, template.chain[0])
    return make_environment(
        template.chain or [template.folder],
        finalize=mdescape.escape_inline,
        filters=_FILTERS,
        aliases=aliases,
        bytecode_cache=bytecode_cache,
    )


def render(
    template: Template, context: Mapping[str, Any], entry: str = ENTRY, cache: Path | None = None
) -> str:
    """Render ``entry`` of ``template`` in the sandbox; the result is neutralised Markdown.

    ``cache`` is a folder for compiled templates; only escalate's own templates use it.
    """
    from escalate.templating.sandbox import bytecode_cache, check_context, produce, run_limited

    check_context(context)
    data = dict(context)

    def job(compiled: Any = None) -> str:  # compiled in the child: Jinja folds constants
        env = make_template_environment(template, compiled)
        return produce(env.get_template(entry), data)

    if template.built_in:
        # Our own templates are code we ship and test; the child process and the second,
        # parser-based check exist for team templates. Values are escaped all the same.
        compiled = bytecode_cache(cache) if cache is not None else None
        return mdescape.neutralise(job(compiled), verify=False)
    return mdescape.neutralise(run_limited(job))


def _plain_answers(context: Mapping[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in context.items():
        if isinstance(value, list | tuple):
            plain[key] = [v if isinstance(v, str | int | float | bool) else str(v) for v in value]
        elif value is None or isinstance(value, str | int | float | bool):
            plain[key] = value
        else:
            plain[key] = str(value)
    return plain


def render_string(source: str, context: Mapping[str, Any], *, chainable: bool = False) -> str:
    """Render a short template string (a question default) in the sandbox, unescaped."""
    from escalate.templating.sandbox import make_environment, produce, run_limited

    if len(source) > 4096:
        raise TemplateError(f"template expression of {len(source)} characters is too long")
    data = _plain_answers(context)

    def job() -> str:
        env = make_environment()
        if chainable:
            from jinja2 import ChainableUndefined

            env.undefined = ChainableUndefined
        return produce(env.from_string(source), data)

    try:
        return run_limited(job)
    except TemplateError as exc:
        raise TemplateError(f"{source[:80]!r}: {exc.message}", exc.hint) from None


def evaluate_condition(expression: str, context: Mapping[str, Any]) -> bool:
    """Evaluate a ``when`` expression over earlier answers; unknown names are false."""
    source = f"{{% if {expression} %}}1{{% endif %}}"
    return render_string(source, context, chainable=True).strip() == "1"


def run_validator(question: Question, value: Any, answers: Mapping[str, Any]) -> str | None:
    """The error message of ``question``'s validator for ``value``, or ``None`` if it passes."""
    source = getattr(question, "validator", None)
    if not source:
        return None
    message = render_string(source, {**answers, "value": value}).strip()
    return " ".join(message.split())[:200] or None

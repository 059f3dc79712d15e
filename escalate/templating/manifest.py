"""The template manifest (``template.toml``) and its questions, validated strictly.

A typo in a manifest is an error that names the file, the line, the key and the fix,
never silence. ``escalate templates check`` and ``new`` read manifests through here.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from escalate.errors import TemplateError
from escalate.templating.sandbox import read_template_file

QuestionType = Literal["text", "multiline", "choice", "multichoice", "bool", "email", "datetime"]
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


class Question(BaseModel):
    """One question: the same shape for built-in and team-template questions."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    prompt: str
    help: str = ""
    type: QuestionType = "text"
    choices: list[str] = Field(default_factory=list)
    required: bool = False
    default: str | bool | list[str] | None = None
    pattern: str | None = None
    when: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        return value



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


def lint_manifest(folder: Path) -> tuple[Manifest | None, list[Problem]]:
    """Parse and validate ``template.toml``, returning every problem with its line."""
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

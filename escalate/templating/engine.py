"""Rendering templates and template expressions in the hardened sandbox.

The submission template, a question's templated ``default``, its ``when`` condition and
its ``validator`` all go through here; team templates run in a limited child process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from escalate.errors import TemplateError
from escalate.render import escape as mdescape
from escalate.templating.compiled import bytecode_cache
from escalate.templating.discovery import Template
from escalate.templating.isolation import run_limited
from escalate.templating.manifest import ENTRY, Question
from escalate.templating.sandbox import check_context, make_environment, produce

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

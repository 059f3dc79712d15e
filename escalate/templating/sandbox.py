"""A hardened Jinja sandbox for untrusted team templates.

Team templates come from a shared folder or a git repository anyone in the team can push
to, so they are treated as hostile: an ``ImmutableSandboxedEnvironment`` with no callables
beyond pure helpers, no ``str.format``, capped ranges, widths, repetition and output, a
loader that cannot leave its folders, and every compile and render in a forked child with
a wall-clock and address-space limit, so a runaway template is really stopped rather than
abandoned. Compiling happens in the child too, because Jinja folds constant expressions
(``{{ 'x'|center(10**9) }}``) while it compiles.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from escalate.errors import TemplateError
from escalate.render.escape import MdSafe

MAX_TEMPLATE_BYTES = 64 * 1024
MAX_OUTPUT_CHARS = 4 * 1024 * 1024
MAX_RANGE = 10_000
MAX_SEQUENCE = 1_000_000
MAX_WIDTH = 10_000
MAX_INT_BITS = 64 * 1024
MAX_EXPONENT = 64
MAX_CONTEXT_ITEMS = 100_000
_BLOCKED_ATTRS = frozenset(
    {"format", "format_map", "mro", "gi_frame", "gi_code", "f_globals", "cr_frame", "ag_frame"}
)
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate", "slice", "batch")
_REMOVED_FILTERS = ("format", "xmlattr", "pprint", "tojson", "attr", "urlize")
# printf-style conversions: flags, width, precision. ``*`` takes the width from the args.
_PERCENT_SPEC = r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]"


def _fail(message: str) -> NoReturn:
    from jinja2.exceptions import SecurityError

    raise SecurityError(message)


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        _fail(f"range() of {len(rng)} items is over the limit of {MAX_RANGE}")
    return rng


def _plain_dict(**items: Any) -> dict[str, Any]:
    return items


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple | bytes) else None


def _check_percent(fmt: str) -> None:
    import re

    for m in re.finditer(_PERCENT_SPEC, fmt):
        for part in m.groups():
            if part == "*" or (part is not None and int(part) > MAX_WIDTH):
                _fail(f"'%' formatting width {part} is over the limit of {MAX_WIDTH}")


def _check_ints(name: str, args: Iterable[Any]) -> None:
    for value in args:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
            _fail(f"{name}() with {value} is over the width limit of {MAX_WIDTH}")


def _guard_width(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)  # keeps jinja_pass_arg, so Jinja still passes env/context
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_ints(name, [*args, *kwargs.values()])
        return fn(*args, **kwargs)

    return guarded


def _guard_replace(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> Any:
        _check_replace(str(s), str(old), str(new))
        return fn(eval_ctx, s, old, new, count)

    return guarded


def _check_replace(s: str, old: str, new: str) -> None:
    hits = len(s) + 1 if old == "" else s.count(old)
    if len(s) + hits * len(new) > MAX_OUTPUT_CHARS:
        _fail("replace() would build a string over the output limit")


def make_environment(
    folders: Sequence[Path] = (),
    finalize: Callable[[Any], Any] | None = None,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    aliases: Mapping[str, Path] | None = None,
    bytecode_cache: Any = None,
) -> Any:
    """Build the hardened environment; ``folders`` are searched for ``{% include %}``.

    ``aliases`` maps a template name to its folder so ``parent/file`` reaches a parent.
    """
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Hardened(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if attr in _BLOCKED_ATTRS:
                return False
            return bool(super().is_safe_attribute(obj, attr, value))

        def wrap_str_format(self, value: Any) -> None:
            return None  # Jinja would hand out a wrapped str.format; we refuse it outright

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            owner = getattr(__obj, "__self__", None)
            name = getattr(__obj, "__name__", "")
            if isinstance(owner, str):
                if name in _WIDTH_METHODS:
                    _check_ints(name, [*args, *kwargs.values()])
                elif name == "replace" and len(args) >= 2:
                    _check_replace(owner, str(args[0]), str(args[1]))
            result = super().call(__context, __obj, *args, **kwargs)
            size = _sized(result)
            if size is not None and size > MAX_OUTPUT_CHARS:
                _fail("a value is over the output limit")
            return result

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

    env = Hardened(
        loader=SafeLoader(folders, aliases) if folders else None,
        undefined=StrictUndefined,
        autoescape=False,
        finalize=finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[],
        cache_size=0,
        bytecode_cache=bytecode_cache,
    )
    env.globals.clear()
    env.globals.update(range=_safe_range, dict=_plain_dict)
    for name in _REMOVED_FILTERS:
        env.filters.pop(name, None)
    for name in _WIDTH_FILTERS:
        env.filters[name] = _guard_width(name, env.filters[name])
    env.filters["replace"] = _guard_replace(env.filters["replace"])
    env.filters.update(filters or {})
    return env


def _check_binop(operator: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints:
        if right > MAX_EXPONENT:
            _fail(f"exponent {right} is over the limit of {MAX_EXPONENT}")
        if left.bit_length() * max(right, 0) > MAX_INT_BITS:
            _fail("the power would be a number over the size limit")
    elif operator == "*":
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            _fail("number is over the size limit")
        for seq, n in ((left, right), (right, left)):
            size = _sized(seq)
            if size is not None and isinstance(n, int) and size * n > MAX_SEQUENCE:
                _fail(f"repetition to {size * n} items is over the limit of {MAX_SEQUENCE}")
    elif operator == "+":
        a, b = _sized(left), _sized(right)
        if a is not None and b is not None and a + b > MAX_OUTPUT_CHARS:
            _fail("concatenation is over the output limit")
    elif operator == "%" and isinstance(left, str):
        _check_percent(left)


class SafeLoader:
    """Loads ``name`` from the given folders: no symlinks, no absolute or ``..`` names,
    nothing over 64 KiB, nothing outside its folder. ``parent/file`` reaches the folder
    of template ``parent`` in the chain."""

    def __init__(self, folders: Iterable[Path], aliases: Mapping[str, Path] | None = None) -> None:
        self.folders = [Path(f) for f in folders]
        self.aliases = dict(aliases or {f.name: f for f in self.folders})

    def _locate(self, name: str) -> tuple[Path, Path]:
        parts = name.replace("\\", "/").split("/")
        if name.startswith("/") or any(p in {"", ".", ".."} for p in parts) or ":" in name:
            raise TemplateError(f"template name {name!r} is not allowed (absolute or '..')")
        candidates = [(f, f.joinpath(*parts)) for f in self.folders]
        if len(parts) > 1 and parts[0] in self.aliases:
            # ``parent/file``: the parent's folder, then its own ancestors (it may inherit).
            root = self.aliases[parts[0]]
            start = self.folders.index(root) if root in self.folders else len(self.folders)
            for folder in [root, *self.folders[start + 1 :]]:
                candidates.append((folder, folder.joinpath(*parts[1:])))
        for root, path in candidates:
            if any(p.is_symlink() for p in [*_between(path, root), path]):
                raise TemplateError(
                    f"{path}: template files may not be symbolic links",
                    "replace the link with the file itself",
                )
            if path.is_file():
                if not path.resolve().is_relative_to(root.resolve()):
                    raise TemplateError(f"{path}: resolves outside its template folder")
                return root, path
        from jinja2.exceptions import TemplateNotFound

        raise TemplateNotFound(name)

    def get_source(self, environment: Any, name: str) -> tuple[str, str, Callable[[], bool]]:
        """Read a template file without following links; Jinja's loader protocol."""
        _, path = self._locate(name)
        return read_template_file(path), str(path), lambda: False

    def load(self, environment: Any, name: str, globals: Any = None) -> Any:
        """Compile ``name`` (or take it from the bytecode cache); Jinja's loader protocol."""
        source, filename, uptodate = self.get_source(environment, name)
        cache = environment.bytecode_cache
        bucket = cache.get_bucket(environment, name, filename, source) if cache else None
        code = bucket.code if bucket is not None else None
        if code is None:
            code = environment.compile(source, name, filename)
            if bucket is not None:
                bucket.code = code
                cache.set_bucket(bucket)
        return environment.template_class.from_code(environment, code, globals or {}, uptodate)


def read_template_file(path: Path) -> str:
    """A regular, non-linked UTF-8 file of at most 64 KiB, or a :class:`TemplateError`."""
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError as exc:
        raise TemplateError(f"{path}: cannot open ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise TemplateError(f"{path}: not a regular file")
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise TemplateError(
                f"{path}: {info.st_size} bytes is over the {MAX_TEMPLATE_BYTES} byte limit",
                "split the template into smaller includes",
            )
        data = fh.read(MAX_TEMPLATE_BYTES + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: not UTF-8 text") from None


def _between(path: Path, root: Path) -> list[Path]:
    with contextlib.suppress(ValueError):
        rel = path.relative_to(root)
        return [root, *(root.joinpath(*rel.parts[: i + 1]) for i in range(len(rel.parts) - 1))]
    return []


# --- the context ------------------------------------------------------------------------------

_SCALARS = (str, int, float, bool, type(None), MdSafe)


def check_context(context: Mapping[str, Any]) -> None:
    """Refuse anything but plain data: no models, paths, callables or other objects."""
    count = 0
    stack: list[tuple[str, Any, int]] = [("", dict(context), 0)]
    while stack:
        where, value, depth = stack.pop()
        count += 1
        if count > MAX_CONTEXT_ITEMS or depth > 32:
            raise TemplateError("template context is too large or too deeply nested")
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str:
                    raise TemplateError(f"template context key {where}[{key!r}] is not a string")
                stack.append((f"{where}.{key}" if where else key, item, depth + 1))
        elif kind in (list, tuple):
            stack += [(f"{where}[{i}]", item, depth + 1) for i, item in enumerate(value)]
        else:
            raise TemplateError(
                f"template context value {where or '(top)'} is a {kind.__name__}; "
                "only strings, numbers, booleans, lists and dicts may reach a template"
            )


# --- output -----------------------------------------------------------------------------------


def produce(template: Any, context: Mapping[str, Any]) -> str:
    """Render a compiled template, stopping as soon as the output passes the limit."""
    out: list[str] = []
    size = 0
    for chunk in template.generate(dict(context)):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            _fail(f"output is over the limit of {MAX_OUTPUT_CHARS // (1024 * 1024)} MiB")
        out.append(chunk)
    return "".join(out)

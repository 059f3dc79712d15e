"""A hardened Jinja sandbox for untrusted team templates.

Team templates come from a shared folder or a git repository anyone in the team can push
to, so they are treated as hostile: an ``ImmutableSandboxedEnvironment`` with no callables
beyond pure helpers, no ``str.format``, capped ranges, repetition and output, a loader that
cannot leave its folders, and each render in a child process with a wall-clock and memory
limit, so a runaway template is really stopped rather than abandoned.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from escalate.errors import TemplateError

MAX_TEMPLATE_BYTES = 64 * 1024
MAX_OUTPUT_CHARS = 4 * 1024 * 1024
MAX_RANGE = 10_000
MAX_SEQUENCE = 1_000_000
RENDER_TIMEOUT = 2.0
RENDER_MEMORY = 256 * 1024 * 1024
_BLOCKED_ATTRS = frozenset({"format", "format_map", "mro", "gi_frame", "gi_code", "f_globals"})


def _fail(message: str) -> NoReturn:
    from jinja2.exceptions import SecurityError

    raise SecurityError(message)


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        _fail(f"range() of {len(rng)} items is over the limit of {MAX_RANGE}")
    return rng


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple | bytes) else None


def make_environment(folders: Sequence[Path] = (), finalize: Callable[[Any], Any] | None = None,
                     filters: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """Build the hardened environment; ``folders`` are searched for ``{% include %}``."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Hardened(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+"})

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if attr in _BLOCKED_ATTRS:
                return False
            return bool(super().is_safe_attribute(obj, attr, value))

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(right, int) and abs(right) > 64:
                _fail("exponent over 64 is not allowed in templates")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    size = _sized(seq)
                    if size is not None and isinstance(n, int) and size * n > MAX_SEQUENCE:
                        _fail(f"repetition to {size * n} items is over the limit")
            if operator == "+":
                a, b = _sized(left), _sized(right)
                if a is not None and b is not None and a + b > MAX_OUTPUT_CHARS:
                    _fail("concatenation is over the output limit")
            return super().call_binop(context, operator, left, right)

    env = Hardened(
        loader=SafeLoader(folders) if folders else None,
        undefined=StrictUndefined,
        autoescape=False,
        finalize=finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[],
    )
    env.globals.clear()
    env.globals.update(range=_safe_range, dict=dict)
    for name in ("format", "xmlattr", "pprint", "tojson", "attr"):
        env.filters.pop(name, None)
    env.filters.update(filters or {})
    return env


class SafeLoader:
    """Loads ``name`` from the given folders: no symlinks, no absolute or ``..`` names,
    nothing over 64 KiB. ``parent/file`` reaches a folder named ``parent`` in the chain."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [Path(f) for f in folders]

    def _locate(self, name: str) -> Path:
        parts = name.replace("\\", "/").split("/")
        if name.startswith("/") or any(p in {"", ".", ".."} for p in parts) or ":" in name:
            raise TemplateError(f"template name {name!r} is not allowed (absolute or '..')")
        candidates = [f.joinpath(*parts) for f in self.folders]
        if len(parts) > 1:
            candidates += [f.joinpath(*parts[1:]) for f in self.folders if f.name == parts[0]]
        for path in candidates:
            if path.is_symlink() or any(p.is_symlink() for p in _between(path, self.folders)):
                raise TemplateError(
                    f"{path}: template files may not be symbolic links",
                    "replace the link with the file itself",
                )
            if path.is_file():
                return path
        from jinja2.exceptions import TemplateNotFound

        raise TemplateNotFound(name)

    def get_source(self, environment: Any, name: str) -> tuple[str, str, Callable[[], bool]]:
        path = self._locate(name)
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateError(f"{path}: {size} bytes is over the {MAX_TEMPLATE_BYTES} limit")
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise TemplateError(f"{path}: not UTF-8 text") from None
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime

    def load(self, environment: Any, name: str, globals: Any = None) -> Any:  # noqa: A002
        source, filename, uptodate = self.get_source(environment, name)
        code = environment.compile(source, name, filename)
        return environment.template_class.from_code(environment, code, globals or {}, uptodate)


def _between(path: Path, roots: Sequence[Path]) -> list[Path]:
    for root in roots:
        with contextlib.suppress(ValueError):
            rel = path.relative_to(root)
            return [root.joinpath(*rel.parts[: i + 1]) for i in range(len(rel.parts) - 1)]
    return []


def render_limited(template: Any, context: Mapping[str, Any], *, timeout: float = RENDER_TIMEOUT,
                   memory: int = RENDER_MEMORY) -> str:
    """Render in a forked child with wall-clock and address-space limits (POSIX)."""

    def produce() -> str:
        out: list[str] = []
        size = 0
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                _fail(f"output is over {MAX_OUTPUT_CHARS // (1024 * 1024)} MiB")
            out.append(chunk)
        return "".join(out)

    if not hasattr(os, "fork"):
        return _explain_render(produce)
    return _in_child(lambda: _explain_render(produce), timeout, memory)


def _explain_render(produce: Callable[[], str]) -> str:
    from jinja2.exceptions import TemplateError as JinjaError

    try:
        return produce()
    except TemplateError:
        raise
    except JinjaError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise TemplateError(f"template refused: {exc.message or type(exc).__name__}{where}") from None
    except (MemoryError, RecursionError, OverflowError, ArithmeticError) as exc:
        raise TemplateError(f"template stopped: {type(exc).__name__}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise TemplateError(f"template failed: {type(exc).__name__}: {exc}") from None


def _in_child(fn: Callable[[], str], timeout: float, memory: int) -> str:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        os.close(read_fd)
        _child(fn, write_fd, memory, timeout)
    os.close(write_fd)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TemplateError(
                    f"template rendering took longer than {timeout:g} s and was stopped",
                    "remove the runaway loop or recursion from the template",
                )
            ready, _, _ = select.select([read_fd], [], [], left)
            if ready:
                data = os.read(read_fd, 1 << 16)
                if not data:
                    break
                chunks.append(data)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return _decode_child(b"".join(chunks))


def _child(fn: Callable[[], str], fd: int, memory: int, timeout: float) -> NoReturn:
    try:
        import resource

        soft = _current_vm() + memory
        resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
        signal.alarm(int(timeout) + 1)
        payload = {"ok": fn()}
    except TemplateError as exc:
        payload = {"error": exc.message, "hint": exc.hint}
    except MemoryError:
        payload = {"error": "template used more memory than allowed and was stopped"}
    except BaseException as exc:  # any failure becomes one line for the parent
        payload = {"error": f"template failed: {type(exc).__name__}"}
    try:
        data = json.dumps(payload).encode("utf-8")
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os._exit(0)


def _current_vm() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 1 << 30  # unknown (macOS): allow a generous base


def _decode_child(raw: bytes) -> str:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise TemplateError("template rendering was stopped (out of memory or crashed)") from None
    if "ok" in payload:
        return str(payload["ok"])
    raise TemplateError(str(payload["error"]), payload.get("hint"))

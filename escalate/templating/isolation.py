"""Running a template's compile and render in a forked child with time and memory limits.

A runaway template (a loop, a huge repetition, deep recursion) is really stopped rather
than abandoned: the child has an address-space limit and the parent kills it at the
deadline. Every failure comes back as one :class:`TemplateError` line.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from escalate.errors import TemplateError
from escalate.text import shorten

RENDER_TIMEOUT = 1.5
RENDER_MEMORY = 256 * 1024 * 1024


def run_limited(
    job: Callable[[], str], *, timeout: float = RENDER_TIMEOUT, memory: int = RENDER_MEMORY
) -> str:
    """Run ``job`` (compile and render) in a forked child with time and memory limits.

    Every failure comes back as a :class:`TemplateError` with a one-line message. Without
    ``fork`` (Windows) the job runs in-process with the in-sandbox limits only.
    """
    if not hasattr(os, "fork"):
        return explain(job)
    return _in_child(lambda: explain(job), timeout, memory)


def explain(job: Callable[[], str]) -> str:
    """Run ``job``, turning every template failure into a one-line TemplateError."""
    from jinja2.exceptions import TemplateError as JinjaError
    from jinja2.exceptions import TemplateNotFound, TemplateSyntaxError

    try:
        return job()
    except TemplateError as exc:  # e.g. the loader refused an include: say where
        where = _where(exc)
        if where and not exc.message.startswith(where):
            raise TemplateError(f"{where}{exc.message}", exc.hint) from None
        raise
    except TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or '<template>'}:{exc.lineno}"
        raise TemplateError(f"{where}: {shorten(exc.message or 'syntax error')}") from None
    except TemplateNotFound as exc:
        raise TemplateError(f"{_where(exc)}template {exc.name!r} not found") from None
    except JinjaError as exc:
        message = shorten(exc.message or type(exc).__name__)
        raise TemplateError(f"{_where(exc)}template refused: {message}") from None
    except (MemoryError, RecursionError, OverflowError, ArithmeticError) as exc:
        raise TemplateError(f"{_where(exc)}template stopped: {type(exc).__name__}") from None
    except Exception as exc:  # anything else a hostile template provokes is still one line
        detail = shorten(str(exc))
        raise TemplateError(
            f"{_where(exc)}template failed: {type(exc).__name__}: {detail}"
        ) from None


def _where(exc: BaseException) -> str:
    """``file:line: `` of the innermost template frame in the traceback, if any."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2") or frame.filename == "<template>":
            found = f"{frame.filename}:{frame.lineno}: "
    return found




def _in_child(fn: Callable[[], str], timeout: float, memory: int) -> str:
    import resource  # noqa: F401  (imported before fork so the child needs no import lock)
    import warnings

    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
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
        signal.alarm(int(timeout) + 1)  # a backstop if the parent is gone
        payload: dict[str, Any] = {"ok": fn()}
    except TemplateError as exc:
        payload = {"error": shorten(exc.message), "hint": exc.hint}
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

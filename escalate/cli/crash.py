"""Internal errors: the traceback goes to a private log file, and the message names it.

A bug should not spill a traceback over the person's terminal, nor be lost: the log is
written 0600 into the data folder's ``logs`` (or the system's temporary folder when that
cannot be written), and the person is told which file to attach to a bug report.
"""

from __future__ import annotations

import os
import re
import tempfile
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from escalate import __version__
from escalate.storage.atomic import atomic_write, private_dir
from escalate.storage.paths import paths

_WORD = r"[a-z][a-z-]{1,19}"  # a command or action name such as check-file, never a value


def _log_text(exc: BaseException, argv: list[str]) -> str:
    # The command line can hold an email address or error text: only the command name and
    # options are kept, never their values.
    shown = [a.split("=", 1)[0] for a in argv if a.startswith("-") or re.fullmatch(_WORD, a)]
    shown = shown[:20]
    head = f"escalate {__version__} · {datetime.now(UTC).isoformat()} · argv: {' '.join(shown)}\n"
    return head + "".join(traceback.format_exception(exc))


def save_traceback(exc: BaseException, argv: list[str], env: Mapping[str, str]) -> Path | None:
    """Write the traceback of ``exc`` to a new private log file; None when nowhere can take it."""
    text = _log_text(exc, argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")  # two crashes, two logs
    try:
        folder = private_dir(paths(env).data / "logs")
        return atomic_write(folder / f"internal-error-{stamp}-{os.getpid()}.log", text)
    except Exception:  # noqa: S110 - the data folder may be the very problem; try /tmp
        pass
    try:
        fd, name = tempfile.mkstemp(prefix="escalate-internal-error-", suffix=".log")
    except OSError:
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)  # mkstemp created it 0600
    return Path(name)

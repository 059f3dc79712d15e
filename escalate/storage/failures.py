"""Operating-system failures a person can fix, turned into one line that names the folder.

A full disk, a read-only or unwritable folder, or a quota are not bugs in escalate: the
person frees space or picks another folder. Staging and temporary files are hidden names
(``.bundle.x1y2.partial``, ``.report.json.ab12.tmp``), so the message names the first
visible folder above them, the one the person chose or can look at.
"""

from __future__ import annotations

import errno
from pathlib import Path

from escalate.errors import OutputError

_WRITE_FAILURES = {
    errno.ENOSPC: ("no space left on the device holding {folder}", "free some space, or write "
                   "elsewhere with --out DIR (and ESCALATE_HOME for escalate's own files)"),
    errno.EDQUOT: ("disk quota exceeded for {folder}", "free some space, or write elsewhere "
                   "with --out DIR"),
    errno.EROFS: ("{folder} is on a read-only file system", "write elsewhere with --out DIR, "
                  "or point ESCALATE_HOME at a writable folder"),
    errno.EACCES: ("cannot write to {folder}: permission denied", "write elsewhere with --out "
                   "DIR, or point ESCALATE_HOME at a folder you own"),
    errno.EPERM: ("cannot write to {folder}: operation not permitted", "write elsewhere with "
                  "--out DIR, or point ESCALATE_HOME at a folder you own"),
}


def _staging(name: str) -> bool:
    # Only escalate's own hidden names: a home folder such as ~/.local is what the person sees.
    return name.startswith(".") and name.endswith((".partial", ".tmp"))


def visible_folder(path: Path) -> Path:
    """The folder to name for ``path``: above any hidden staging part, never a file itself."""
    parts = path.parts
    hidden = next((i for i, part in enumerate(parts) if _staging(part)), None)
    if hidden is not None and hidden > 0:
        return Path(*parts[:hidden])
    if path.suffix and not path.is_dir():
        return path.parent  # a file: its folder is what the person can act on
    return path


def write_failure(exc: OSError, path: Path | None = None) -> OutputError | None:
    """An :class:`OutputError` for a fixable write failure, or None when it is something else.

    ``path`` names what was being written when the error itself names no file.
    """
    known = _WRITE_FAILURES.get(exc.errno or 0)
    named = exc.filename if exc.filename is not None else path
    if known is None or named is None:
        return None
    message, hint = known
    folder = visible_folder(Path(str(named)))
    return OutputError(message.format(folder=folder), hint)

"""Private, atomic file output: 0700 folders, 0600 files, temp + fsync + replace, no symlinks.

A kill -9 at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from escalate.errors import OutputError

DIR_MODE = 0o700
FILE_MODE = 0o600


def unreadable(path: Path, exc: OSError, what: str) -> str:
    """One line saying why ``path`` (a ``what``, e.g. "HAR file") cannot be read."""
    if isinstance(exc, FileNotFoundError):
        return f"{what} not found: {path}"
    if isinstance(exc, IsADirectoryError):
        article = "an" if what[:1].lower() in "aeiou" else "a"
        return f"{path} is a folder, not {article} {what}"
    if isinstance(exc, PermissionError):
        return f"cannot read {path}: permission denied"
    return f"cannot read {path}: {exc.strerror or exc}"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700 folders; refuse a symlink or a file there."""
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a folder")
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours to chmod (e.g. a shared parent): fine
        path.chmod(DIR_MODE)
    return path


def atomic_write(path: Path, data: bytes | str, mode: int = FILE_MODE) -> Path:
    """Write ``data`` to ``path`` atomically with ``mode`` permissions."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    parent = path.parent
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    tmp = parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(parent)
    return path


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible on Windows, where it is not needed.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fresh_dir(path: Path) -> Path:
    """Create ``path`` as a new, empty private folder; never reuse an earlier bundle."""
    if path.is_symlink():
        raise OutputError(f"--out {path} is a symbolic link; refusing to write through it")
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"--out {path} is a file, not a folder")
        if any(path.iterdir()):
            raise OutputError(
                f"--out {path} already holds files; an earlier bundle is never overwritten"
            )
    try:
        return private_dir(path)
    except OSError as exc:
        raise OutputError(f"cannot create {path}: {exc.strerror or exc}") from exc

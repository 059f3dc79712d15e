"""Private, atomic file output: 0700 folders, 0600 files, temp + fsync + replace, no symlinks.

A kill -9 at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from escalate.errors import OutputError
from escalate.storage.failures import write_failure

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
    # mkdir's mode covers only the last folder; every parent escalate creates (data, cache,
    # a new ESCALATE_HOME) is private too. Existing parents are not ours to change.
    missing = [path]
    while not missing[-1].parent.exists() and missing[-1].parent != missing[-1]:
        missing.append(missing[-1].parent)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
        except OSError as exc:
            raise write_failure(exc, folder) or exc from exc
        with contextlib.suppress(OSError):  # umask may have narrowed it; a shared one: fine
            folder.chmod(DIR_MODE)
    return path


def atomic_write(path: Path, data: bytes | str, mode: int = FILE_MODE) -> Path:
    """Write ``data`` to ``path`` atomically with ``mode`` permissions."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return atomic_stream(path, lambda fh: fh.write(raw), mode)


def atomic_stream(
    path: Path, write: Callable[[BinaryIO], object], mode: int = FILE_MODE
) -> Path:
    """Stream into ``path`` atomically: ``write`` fills a private temporary file, which
    replaces ``path`` only once it is whole and on disk; never through a symbolic link."""
    parent = path.parent
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    tmp = parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, mode)
    except OSError as exc:
        raise write_failure(exc, path) or exc from exc
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # A write() on a full disk names no file: name the one that was being written.
        failure = write_failure(exc, path) if isinstance(exc, OSError) else None
        if failure is not None:
            raise failure from exc
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


_PARTIAL = ".partial"


@contextlib.contextmanager
def fresh_dir(path: Path) -> Iterator[Path]:
    """A new private folder at ``path`` that appears whole or not at all.

    Files are written into a hidden staging folder beside ``path``, which is renamed into
    place when the block ends without an error; an error removes it. ``path`` must not
    exist or be an empty folder: an earlier bundle is never reused. Staging folders left
    by a killed run for the same ``path`` are removed first.
    """
    if path.is_symlink():
        raise OutputError(f"--out {path} is a symbolic link; refusing to write through it")
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"--out {path} is a file, not a folder")
        if any(path.iterdir()):
            raise OutputError(
                f"--out {path} already holds files; an earlier bundle is never overwritten"
            )
    import tempfile

    try:
        if not path.parent.is_dir():
            private_dir(path.parent)
        _remove_stale(path)
        stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=_PARTIAL, dir=path.parent))
    except OSError as exc:
        raise OutputError(f"cannot create {path}: {exc.strerror or exc}") from exc
    try:
        yield stage
        _fsync_dir(stage)
        if path.is_dir():
            path.rmdir()  # empty, as checked; rename cannot replace it on every system
        stage.rename(path)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _fsync_dir(path.parent)


def _remove_stale(path: Path) -> None:
    import glob

    for stale in path.parent.glob(f".{glob.escape(path.name)}.*{_PARTIAL}"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)

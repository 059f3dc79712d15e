"""Small, safe building blocks for machine probes: never raise, never hang.

Every probe of :mod:`escalate.facts.environment` and :mod:`escalate.facts.browsers` runs through
:func:`safe`, reads files with a size cap, and runs programs with a timeout whose whole
process group is killed when it passes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from escalate.background import Job

T = TypeVar("T")

# Long enough for a cold `chrome --version` on a slow disk, short enough to never be noticed.
PROBE_TIMEOUT = 1.5

_VERSION = re.compile(r"\d+(?:\.\d+)+|\d+")
_MAX_READ = 1 << 20  # no config or version file we read is anywhere near this

# --- small safe helpers ---------------------------------------------------------------------


def safe(probe: Callable[[], T]) -> T | None:
    """Run one probe; any failure is an unknown fact (None), never a crash."""
    try:
        return probe()
    except Exception:
        return None


def read_text(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return fh.read(_MAX_READ).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def under(root: Path, absolute: str) -> Path:
    """``/etc/os-release`` under ``root`` (the real ``/`` outside tests)."""
    return root / absolute.lstrip("/")


def first_version(text: str | None) -> str | None:
    if not text:
        return None
    m = _VERSION.search(text)
    return m.group(0) if m else None


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def run_output(argv: list[str], timeout: float | None = None) -> str | None:
    """Run ``argv`` and return its stdout when it exits 0 within ``timeout``, else None.

    The child gets its own session so a wrapper script and everything it started are
    killed together when the timeout passes.
    """
    import signal

    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=os.name == "posix",
            env={**os.environ, "LC_ALL": "C"},
        )
    except (OSError, ValueError):
        return None
    try:
        out, _ = proc.communicate(timeout=PROBE_TIMEOUT if timeout is None else timeout)
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            safe(lambda: os.killpg(proc.pid, signal.SIGKILL))
        safe(proc.kill)
        safe(lambda: proc.wait(timeout=1.0))
        return None
    return out.decode("utf-8", errors="replace") if proc.returncode == 0 else None


def run_version(argv: list[str], timeout: float | None = None) -> str | None:
    """The version token printed by ``argv`` (a ``--version`` call), or None."""
    return first_version(run_output(argv, timeout))


def which(cmd: str, env: Mapping[str, str]) -> str | None:
    path = env.get("PATH")
    return shutil.which(cmd, path=path) if path is not None else None


def concurrently(jobs: dict[str, Callable[[], str | None]]) -> dict[str, str | None]:
    """Run slow probes in threads under one deadline; a late probe counts as unknown."""
    import time

    deadline = time.monotonic() + PROBE_TIMEOUT + 0.5  # each probe also times itself out
    started = {key: Job.start(job, f"probe-{key}") for key, job in jobs.items()}
    return {
        key: job.result(deadline - time.monotonic(), None) for key, job in started.items()
    }

"""The bench's in-process cases run and measure what they say (their speed is not judged here)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "bench" / "inprocess.py"
EXPECTED: dict[str, Callable[[str], bool]] = {
    "noise-4k": lambda r: r == "'jpeg'",
    "browser-paste": lambda r: r.endswith(" b'"),  # the name, kept whole
    "template-bomb": lambda r: "template rendering took longer than" in r,
    "redact-mixed-10mb": lambda r: int(r.strip("'")) > 100_000,  # redactions made
    "collect": lambda r: int(r.strip("'")) >= 0,  # browsers found
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_runs_and_reports_seconds(name: str) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), name], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    seconds, result = done.stdout.rstrip("\n").split(" ", 1)
    assert float(seconds) > 0
    assert EXPECTED[name](result), result


def test_every_case_is_covered() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import inprocess
    finally:
        sys.path.remove(str(SCRIPT.parent))
    assert set(inprocess.CASES) == set(EXPECTED)

"""Shared fixtures: an isolated ESCALATE_HOME, frozen time, and e2e tool gating."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE_E2E = os.environ.get("ESCALATE_REQUIRE_E2E") == "1"
# Slack, in seconds, on top of a timeout under test. It only turns a hang into a failure:
# speed is never asserted in the tests (it is measured by `nox -s bench`), and a loaded
# machine must not make a test fail.
HANG_GUARD = 30.0


def require_tool(*names: str) -> None:
    """Skip (or, with ESCALATE_REQUIRE_E2E=1, fail) when a system tool is missing."""
    missing = [n for n in names if shutil.which(n) is None]
    if not missing:
        return
    reason = f"needs system tool(s): {', '.join(missing)}"
    if REQUIRE_E2E:
        pytest.fail(f"{reason} (ESCALATE_REQUIRE_E2E=1)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def escalate_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own ESCALATE_HOME so nothing touches the real user dirs."""
    home = tmp_path_factory.mktemp("escalate-home")
    monkeypatch.setenv("ESCALATE_HOME", str(home))
    monkeypatch.delenv("ESCALATE_TEMPLATE_PATH", raising=False)
    yield home

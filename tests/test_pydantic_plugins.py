"""A pydantic plugin installed beside escalate never sees a report unless the user asks.

The plugin here is found the way real ones are: a distribution on the path whose
``entry_points.txt`` names it in the ``pydantic`` group. escalate runs in its own process,
because pydantic remembers the plugins it loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import write_answers

PLUGIN = """\
import pathlib

class Spy:
    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):
        def on_enter(*args, **kwargs):
            with open(MARKER, "a", encoding="utf-8") as f:
                f.write(repr(args)[:400] + "\\n")

        handler = type("Handler", (), {"on_enter": staticmethod(on_enter)})()
        return handler, handler, handler

MARKER = pathlib.Path(__file__).with_name("seen.txt")
plugin = Spy()
"""


def _install_spy(site: Path) -> Path:
    (site / "spyplugin.py").write_text(PLUGIN, encoding="utf-8")
    dist = site / "spyplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: spyplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pydantic]\nspy = spyplugin:plugin\n")
    return site / "seen.txt"


def _new(tmp_path: Path, site: Path, out: str, **env: str) -> subprocess.CompletedProcess[str]:
    answers = write_answers(tmp_path / "answers.toml")
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "ESCALATE_HOME": str(tmp_path / "home"),
        "ESCALATE_OFFLINE": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
        **env,
    }
    argv = [sys.executable, "-m", "escalate", "new", "--answers", str(answers), "--yes",
            "--no-screenshot", "--format", "md,json", "--out", str(tmp_path / out)]
    return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


def test_plugins_are_not_loaded_by_default(tmp_path: Path, site: Path) -> None:
    seen = _install_spy(site)
    result = _new(tmp_path, site, "bundle")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bundle" / "report.json").is_file()
    assert not seen.exists(), seen.read_text()


def test_a_user_can_still_enable_them(tmp_path: Path, site: Path) -> None:
    # The same set-up with the user's own choice: the plugin runs and sees the answers,
    # which proves the test above would notice a plugin that was loaded.
    seen = _install_spy(site)
    result = _new(tmp_path, site, "bundle", PYDANTIC_DISABLE_PLUGINS="some-other-plugin")
    assert result.returncode == 0, result.stderr
    assert "dana.kim@example.org" in seen.read_text()

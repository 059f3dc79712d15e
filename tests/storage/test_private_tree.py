"""Privacy on disk: after a full run every folder escalate created is 0700, every file 0600.

The run touches every writer: a report with screenshot, HAR, PDF and zip, a user
template, a team template repository cloned with git, settings, a crash log and the
compiled-template cache. Then the test walks the whole ESCALATE_HOME.
"""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from escalate.cli.console import Console
from escalate.cli.main import main
from tests.conftest import require_tool
from tests.har_factory import sample_har
from tests.harness import FROZEN_NOW, run, write_answers
from tests.templating.test_templates import team_repo

pytestmark = pytest.mark.e2e


class _Broken(io.StringIO):
    def write(self, s: str) -> int:
        raise RuntimeError("broken on purpose")


def test_every_folder_is_0700_and_every_file_0600(tmp_path: Path) -> None:
    require_tool("git")
    home = tmp_path / "fresh-home"  # escalate creates it, and every folder in it
    env = {"ESCALATE_HOME": str(home)}
    old = os.umask(0o022)  # the common default: folders would come out 0755
    try:
        from PIL import Image

        shot = tmp_path / "shot.png"
        Image.new("RGB", (64, 48), (200, 30, 30)).save(shot)
        har = tmp_path / "in.har"
        har.write_text(json.dumps(sample_har().har))
        answers = write_answers(tmp_path / "a.toml")
        result = run("new", "--yes", "--answers", str(answers), "--screenshot-file", str(shot),
                     "--har", str(har), "--zip", env=env)
        assert result.code == 0, result.err
        assert run("templates", "new", "acme", env=env).code == 0
        bare, _ = team_repo(tmp_path)
        added = run("templates", "add", f"git+file://{bare}", env=env)
        assert added.code == 0, added.err
        assert run("config", "add-template-dir", str(tmp_path), env=env).code == 0
        console = Console(stdin=io.StringIO(), stdout=_Broken(), stderr=io.StringIO(),
                          env=env, clock=lambda: FROZEN_NOW)
        assert main(["list"], console=console) == 3  # leaves a crash log
    finally:
        os.umask(old)
    folders, files = [home], []
    for dirpath, dirnames, filenames in os.walk(home):
        folders += [Path(dirpath) / d for d in dirnames]
        files += [Path(dirpath) / f for f in filenames]
    assert len(files) > 20 and any(f.suffix == ".log" for f in files)
    assert any(f.name == "sanitized.har" for f in files)
    assert any(f.parent.name == "templates" and f.suffix == ".jinja" for f in files)
    assert any(".git" in f.parts for f in files)
    wrong = [f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}" for p in folders
             if stat.S_IMODE(p.stat().st_mode) != 0o700]
    # 0600, or 0400 where git keeps its pack files read-only: nobody else, nothing executable
    wrong += [f"{oct(stat.S_IMODE(p.lstat().st_mode))} {p}" for p in files
              if stat.S_IMODE(p.lstat().st_mode) not in (0o600, 0o400)]
    assert any(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert wrong == []

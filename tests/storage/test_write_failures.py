"""Failures a person can fix: a full disk, a read-only home, too-deep nesting.

Each gives one line naming the folder or file, exit 1, and leaves nothing half-written:
no empty report folder, no staging folder, and earlier bundles intact. The disks are real
tmpfs mounts (root only); without the right to mount, the tests skip with the reason, or
fail under ESCALATE_REQUIRE_E2E=1.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_E2E
from tests.harness import run, write_answers

NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")
pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def _tmpfs(target: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted at ``target`` for the block, then unmounted."""
    target.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(target)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        if REQUIRE_E2E:
            pytest.fail(f"{reason} (ESCALATE_REQUIRE_E2E=1)")
        pytest.skip(reason)
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB file system."""
    with _tmpfs(tmp_path / "disk", "2m") as disk:
        yield disk


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system remounted read-only (chmod does not stop root)."""
    with _tmpfs(tmp_path / "ro", "1m") as disk:
        (disk / "home").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        yield disk / "home"


def _noise_png(path: Path) -> Path:
    """A 3.6 MB PNG that does not compress: more than the small disk holds."""
    from PIL import Image

    Image.frombytes("RGB", (1200, 1000), os.urandom(1200 * 1000 * 3)).save(
        path, compress_level=1
    )
    return path


def _everything(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_full_disk_as_out(tmp_path: Path, small_disk: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    shot = _noise_png(tmp_path / "noise.png")
    earlier = run(*NEW, "--answers", str(answers), "--out", str(small_disk / "earlier"))
    assert earlier.code == 0, earlier.err
    before = {p: p.read_bytes() for p in (small_disk / "earlier").iterdir()}
    result = run("new", "--yes", "--format", "md,json", "--answers", str(answers),
                 "--screenshot-file", str(shot), "--out", str(small_disk / "big"))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"escalate: error: no space left on the device holding {small_disk}"
    )
    assert "internal error" not in result.err
    assert _everything(small_disk) == sorted(
        ["earlier", *(f"earlier/{p.name}" for p in before)]
    )
    assert {p: p.read_bytes() for p in (small_disk / "earlier").iterdir()} == before
    assert run("verify", str(small_disk / "earlier")).code == 0
    # the history holds the earlier report only: no empty or partial record
    assert len(json.loads(run("list", "--json").out)) == 1
    records = list((Path(os.environ["ESCALATE_HOME"]) / "data" / "reports").iterdir())
    assert len(records) == 1 and (records[0] / "report.json").is_file()


def test_full_disk_as_escalate_home(tmp_path: Path, small_disk: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    shot = _noise_png(tmp_path / "noise.png")
    home = small_disk / "home"
    env = {"ESCALATE_HOME": str(home)}
    assert run(*NEW, "--answers", str(answers), env=env).code == 0
    earlier = json.loads(run("list", "--json", env=env).out)
    result = run("new", "--yes", "--format", "md,json", "--answers", str(answers),
                 "--screenshot-file", str(shot), env=env)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].startswith("escalate: error: no space left on the device holding "
                               f"{home / 'data' / 'reports'}")
    assert lines[1].startswith("  hint: free some space")
    assert json.loads(run("list", "--json", env=env).out) == earlier
    reports = list((home / "data" / "reports").iterdir())
    assert [r.name for r in reports] == [earlier[0]["id"]]
    assert not [p for p in home.rglob("*") if p.name.endswith((".partial", ".tmp"))]
    assert run("verify", earlier[0]["bundle"], env=env).code == 0


def test_read_only_home_names_the_folder(tmp_path: Path, read_only: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    out = tmp_path / "bundle"
    result = run(*NEW, "--answers", str(answers), "--out", str(out),
                 env={"ESCALATE_HOME": str(read_only)})
    assert result.code == 1, result.err
    assert result.err.splitlines()[0] == (
        f"escalate: error: {read_only / 'data'} is on a read-only file system"
    )
    assert not out.exists() and not list(tmp_path.glob(".bundle.*"))
    doctor = run("doctor", env={"ESCALATE_HOME": str(read_only)})
    assert doctor.code == 1
    assert f"fail  data folder {read_only / 'data'} is not usable" in doctor.out


def test_too_deep_har_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.har"
    deep.write_text('{"log": {"entries": [' + "[" * 5000 + "]" * 5000 + "]}}")
    result = run("har", str(deep))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"escalate: error: {deep} is nested too deeply to read, so it is not a browser's "
        "HAR export"
    )
    assert not list(tmp_path.glob("*sanitized*")) and not list(tmp_path.glob(".*"))


def test_too_deep_template_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "template.toml").write_text(
        'manifest_version = 1\nname = "deep"\ntitle = "x"\nversion = "1"\nx = '
        + "[" * 3000 + "]" * 3000 + "\n"
    )
    (folder / "submission.md.j2").write_text("hi\n")
    checked = run("templates", "check", str(folder))
    assert checked.code == 1
    assert f"{folder / 'template.toml'}:1: nested too deeply to read" in checked.out
    answers = write_answers(tmp_path / "a.toml")
    result = run(*NEW, "--answers", str(answers), "--template", "deep",
                 "--template-dir", str(tmp_path), "--out", str(tmp_path / "b"))
    assert result.code == 1
    assert result.err.splitlines()[0].startswith(
        f"escalate: error: {folder / 'template.toml'}:1: nested too deeply"
    )
    assert not (tmp_path / "b").exists()


def test_full_home_with_out_elsewhere_leaves_no_bundle_without_history(
    tmp_path: Path, small_disk: Path
) -> None:
    home = small_disk / "home"
    (home / "data" / "reports").mkdir(parents=True)
    with (small_disk / "filler").open("wb", buffering=0) as fh:  # fill it to the last block
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    answers = write_answers(tmp_path / "a.toml")
    out = tmp_path / "bundle"
    result = run(*NEW, "--answers", str(answers), "--out", str(out),
                 env={"ESCALATE_HOME": str(home)})
    assert result.code == 1
    assert result.err.startswith("escalate: error: no space left on the device holding "
                                 f"{home / 'data' / 'reports'}")
    assert not out.exists() and not list(tmp_path.glob(".bundle*"))
    assert list((home / "data" / "reports").iterdir()) == []

"""kill -9 at any moment loses nothing: drafts are whole, bundles appear whole or not at all."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from escalate.render.bundle import verify
from escalate.storage.atomic import fresh_dir
from tests.conftest import HANG_GUARD
from tests.harness import write_answers

ENTER, CTRL_U = "\r", "\x15"


def _env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "ESCALATE_HOME": str(home),
        "ESCALATE_OFFLINE": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TZ": "UTC",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }


@pytest.mark.e2e
def test_kill_9_mid_questions_keeps_the_draft_and_resume_uses_it(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "escalate", "new", "--no-screenshot"],
                          env=_env(tmp_path), encoding="utf-8", timeout=20,
                          dimensions=(50, 200))
    child.expect_exact("Account email")
    child.send("dana.kim@example.org" + ENTER)
    child.expect_exact("Exact error message")
    child.send("Something went wrong" + ENTER + ENTER)
    child.expect_exact("Is this right?")
    child.send(ENTER)
    child.expect_exact("When did it happen?")
    child.send(CTRL_U + "09:15" + ENTER)
    child.expect_exact("How far does it reach?")
    os.kill(child.pid, signal.SIGKILL)  # no handler runs: only what is on disk counts
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL

    drafts = list((tmp_path / "data" / "drafts").glob("*.json"))
    assert len(drafts) == 1
    saved = json.loads(drafts[0].read_text())["answers"]
    assert saved["email"] == "dana.kim@example.org"
    assert saved["error_text"] == "Something went wrong"
    assert "T09:15" in saved["occurred_at"]

    resumed = pexpect.spawn(sys.executable, ["-m", "escalate", "new", "--resume",
                                             "--no-screenshot", "--format", "md,json",
                                             "--out", str(tmp_path / "bundle")],
                            env=_env(tmp_path), encoding="utf-8", timeout=20,
                            dimensions=(50, 200))
    assert resumed.expect_exact(["How far does it reach?", "Account email"]) == 0
    for prompt in ("How far does it reach?", "already tried", "What now?"):
        if prompt != "How far does it reach?":
            resumed.expect_exact(prompt)
        resumed.send(ENTER)
    resumed.expect(pexpect.EOF)
    resumed.close()
    assert resumed.exitstatus == 0
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert report["email"] == "dana.kim@example.org"
    assert report["occurred_at"]["local"].endswith("T09:15:00Z")


def _staging(parent: Path, out: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_kill_9_while_writing_never_leaves_half_a_bundle(tmp_path: Path) -> None:
    # Each run is killed while it writes its bundle. Whatever survives must be whole: a
    # bundle that verifies, or no bundle folder at all.
    error = "Upload failed: file too large\n" + "trace line with detail\n" * 4000
    answers = write_answers(tmp_path / "a.toml", error_text=error)

    def start(out: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "escalate", "new", "--answers", str(answers), "--yes",
             "--no-screenshot", "--format", "md,json", "--out", str(out)],
            env=_env(tmp_path / "home"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    rng = random.Random(20261124)
    killed_while_writing = 0
    for i in range(10):
        out = tmp_path / f"bundle-{i}"
        proc = start(out)
        # Wait for the first trace of the bundle (the folder, or its staging folder), then
        # kill within the next few milliseconds: right inside the writing.
        deadline = time.monotonic() + HANG_GUARD  # a guard against a hang, not a speed check
        while proc.poll() is None and not (out.exists() or _staging(tmp_path, out)):
            assert time.monotonic() < deadline, "escalate new never started writing"
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.004))
        proc.send_signal(signal.SIGKILL)
        killed_while_writing += proc.wait() == -signal.SIGKILL
        if out.exists():
            result = verify(out)
            assert not (result.bad or result.missing or result.unlisted), (i, result)
            continue
        staged = _staging(tmp_path, out)
        # A staging folder may stay behind; the next bundle written to that name removes it.
        again = start(out)
        assert again.wait(timeout=60) == 0
        assert not [p for p in staged if p.exists()]
        assert not verify(out).bad
    assert killed_while_writing >= 5, "runs finished before the kill: the test proved nothing"
    for record in (tmp_path / "home" / "data" / "reports").glob("*/*.json"):
        json.loads(record.read_text())  # every history file on disk is whole JSON


def test_a_failed_write_leaves_no_folder_and_a_rerun_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), fresh_dir(target) as stage:
        (stage / "submission.md").write_text("half")
        raise RuntimeError("disk full")
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]

    stale = tmp_path / ".out.abc123.partial"  # as a killed run leaves it
    stale.mkdir()
    (stale / "report.json").write_text("{}")
    with fresh_dir(target) as stage:
        (stage / "submission.md").write_text("whole")
    assert (target / "submission.md").read_text() == "whole"
    assert not stale.exists()
    assert os.stat(target).st_mode & 0o777 == 0o700

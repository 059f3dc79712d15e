"""The ``escalate`` program ends without the interpreter's teardown; nothing may be lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.harness import write_answers


def _escalate(*args: str, home: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "ESCALATE_HOME": str(home),
           "ESCALATE_OFFLINE": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run([sys.executable, "-m", "escalate", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False, **kwargs)


def test_all_output_arrives_and_the_exit_code_is_kept(tmp_path: Path) -> None:
    schema = _escalate("schema", home=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["title"] == "escalate report"  # every byte, through a pipe
    missing = _escalate("verify", str(tmp_path / "nope"), home=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.startswith("escalate: error: ")
    assert _escalate("no-such-command", home=tmp_path).returncode == 2


def test_a_report_is_complete_when_the_program_has_ended(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    out = tmp_path / "bundle"
    done = _escalate("new", "--answers", str(answers), "--yes", "--no-screenshot",
                     "--out", str(out), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"`escalate verify {out}`.")
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout
    assert {"submission.md", "submission.pdf", "report.json"} <= {p.name for p in out.iterdir()}


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    big = tmp_path / "log.txt"
    big.write_text("hello world line\n" * 100_000)  # far more than a pipe holds
    env = {"PATH": os.environ.get("PATH", ""), "ESCALATE_HOME": str(tmp_path)}
    shell = f"{sys.executable} -m escalate redact {big} | head -c 20"
    done = subprocess.run(["sh", "-c", shell], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.stdout == "hello world line\nhel"
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr

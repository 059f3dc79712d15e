"""The submission on the clipboard: a real X clipboard under Xvfb, and every way it can fail."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from escalate.capture.clipboard import clipboard_command, copy_text
from escalate.errors import ClipboardError
from tests.conftest import require_tool
from tests.harness import run, write_answers
from tests.xvfb import xvfb


def _new(tmp_path: Path, env: dict[str, str], *flags: str):  # type: ignore[no-untyped-def]
    answers = write_answers(tmp_path / "a.toml", error_text="Error in message stream\n  ünïcödé ✓")
    return run("new", "--yes", "--no-screenshot", "--format", "md", "--answers", str(answers),
               "--out", str(tmp_path / "b"), *flags, env=env)


@pytest.mark.e2e
def test_copy_puts_the_message_text_on_the_x_clipboard(tmp_path: Path) -> None:
    require_tool("Xvfb", "xclip")
    with xvfb(640, 480) as server:
        env = {"DISPLAY": server.display}
        result = _new(tmp_path, env, "--copy")
        assert result.code == 0, result.err
        assert "Copied to the clipboard (xclip)" in result.out
        pasted = _paste(env)
    # the chat-box text, not the Markdown
    assert pasted == (tmp_path / "b" / "message.txt").read_text(encoding="utf-8")
    assert "| ---" not in pasted and "<sub>" not in pasted
    assert "ünïcödé ✓" in pasted


def test_without_a_desktop_the_bundle_is_written_and_the_reason_given(tmp_path: Path) -> None:
    result = _new(tmp_path, {}, "--copy")
    assert result.code == 0, result.err
    assert (tmp_path / "b" / "submission.md").is_file()
    assert "not copied to the clipboard: no desktop session here" in result.err


def test_a_display_without_a_clipboard_tool_says_what_to_install(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = _new(tmp_path, {"DISPLAY": ":99", "PATH": str(empty)}, "--copy")
    assert result.code == 0, result.err
    assert "no clipboard tool found — install xclip, xsel or wl-clipboard" in result.err


def _paste(env: dict[str, str]) -> str:
    """The X clipboard's text; the copying xclip is detached and may take a moment to own it."""
    import time

    for _ in range(50):
        done = subprocess.run(["xclip", "-o", "-selection", "clipboard"],
                              env={**os.environ, **env}, capture_output=True, timeout=10)
        if done.returncode == 0:
            return done.stdout.decode("utf-8")
        time.sleep(0.1)
    raise AssertionError(f"nothing on the clipboard: {done.stderr.decode(errors='replace')}")


def _tool(folder: Path, name: str, body: str | None = None) -> Path:
    body = body or f'{shutil.which("cat")} > "$CLIP_OUT"'
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


@pytest.mark.parametrize(
    ("system", "name", "env", "encoding"),
    [
        ("Darwin", "pbcopy", {}, "utf-8"),
        ("Windows", "clip", {}, "utf-16"),
        ("Linux", "wl-copy", {"WAYLAND_DISPLAY": "wayland-0"}, "utf-8"),
        ("Linux", "xsel", {"DISPLAY": ":0"}, "utf-8"),
    ],
)
def test_each_platform_uses_its_own_tool(
    tmp_path: Path, system: str, name: str, env: dict[str, str], encoding: str
) -> None:
    # A stand-in with the platform tool's name records what it is given: this checks the
    # choice of tool and the bytes handed to it, which differ by platform.
    require_tool("sh")
    _tool(tmp_path / "bin", name)
    full = {**env, "PATH": str(tmp_path / "bin"), "CLIP_OUT": str(tmp_path / "clip")}
    assert clipboard_command(full, system) == [str(tmp_path / "bin" / name), *(
        ["--clipboard", "--input"] if name == "xsel" else [])]
    assert copy_text("Fehler ✓\n", full, system) == name
    assert (tmp_path / "clip").read_bytes().decode(encoding) == "Fehler ✓\n"


def test_pbcopy_is_told_the_text_is_utf8(tmp_path: Path) -> None:
    require_tool("sh")
    _tool(tmp_path / "bin", "pbcopy", 'printf %s "$LC_CTYPE" > "$CLIP_OUT"')
    env = {"PATH": str(tmp_path / "bin"), "CLIP_OUT": str(tmp_path / "clip"), "LC_CTYPE": "C"}
    copy_text("x", env, "Darwin")
    assert (tmp_path / "clip").read_text() == "UTF-8"


def test_a_failing_tool_is_one_line(tmp_path: Path) -> None:
    require_tool("sh")
    _tool(tmp_path / "bin", "pbcopy", "exit 3")
    with pytest.raises(ClipboardError, match=r"^pbcopy failed \(exit 3\)$"):
        copy_text("x", {"PATH": str(tmp_path / "bin")}, "Darwin")


@pytest.mark.e2e
def test_doctor_finds_the_clipboard_on_a_desktop() -> None:
    require_tool("Xvfb", "xclip")
    with xvfb(320, 240) as server:
        result = run("doctor", env={"DISPLAY": server.display})
    assert "ok    clipboard (xclip)" in result.out


@pytest.mark.e2e
def test_copy_command_puts_each_part_on_the_clipboard(tmp_path: Path) -> None:
    require_tool("Xvfb", "xclip")
    error = "\n".join(f"frame {i:03d}: upload stalled at byte {i * 4096}" for i in range(120))
    answers = write_answers(tmp_path / "a.toml", error_text=error)
    made = run("new", "--yes", "--no-screenshot", "--format", "md", "--answers", str(answers),
               "--out", str(tmp_path / "b"), "--chat-limit", "1500")
    assert made.code == 0, made.err
    parts = sorted((tmp_path / "b").glob("message-*.txt"))
    assert len(parts) >= 3
    with xvfb(640, 480) as server:
        env = {"DISPLAY": server.display}
        result = run("copy", str(tmp_path / "b"), "--part", "2", env=env)
        assert result.code == 0, result.err
        assert f"Copied part 2 of {len(parts)} to the clipboard (xclip)" in result.out
        assert "--part 3" in result.out
        pasted = _paste(env)
    assert pasted == (tmp_path / "b" / "message-2.txt").read_text(encoding="utf-8")
    assert pasted.startswith(f"(2/{len(parts)})\n\n")

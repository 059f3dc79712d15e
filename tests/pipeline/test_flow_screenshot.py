"""Screenshots inside `escalate new`: a real Xvfb; every failure still leaves a bundle."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.harness import run, write_answers
from tests.xvfb import XServer, message_window, xvfb

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def screen() -> Iterator[XServer]:
    with xvfb(1280, 800) as server:
        yield server


def new_with_screen(tmp_path: Path, env: dict[str, str], *flags: str):
    answers = write_answers(tmp_path / "a.toml")
    result = run("new", "--yes", "--format", "md,json", "--answers", str(answers),
                 "--out", str(tmp_path / "b"), *flags, env=env)
    assert result.code == 0, result.err
    return result


def assert_bundle_without_screenshot(tmp_path: Path, message: str) -> None:
    bundle = tmp_path / "b"
    assert (bundle / "submission.md").is_file() and (bundle / "report.json").is_file()
    assert not (bundle / "screenshot.png").exists()
    report = json.loads((bundle / "report.json").read_text())
    assert message in report["screenshot_problem"]
    assert "No screenshot:" in (bundle / "submission.md").read_text()
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=bundle,
                          capture_output=True).returncode == 0


def test_capture_with_redaction_lands_in_the_bundle(tmp_path: Path, screen: XServer) -> None:
    with message_window(screen, "Code interpreter session expired"):
        result = new_with_screen(tmp_path, {"DISPLAY": screen.display},
                                 "--screenshot", "--redact", "0,0,40,30")
    bundle = tmp_path / "b"
    image = Image.open(io.BytesIO((bundle / "screenshot.png").read_bytes())).convert("RGB")
    assert image.size == (1280, 800)
    box = image.crop((0, 0, 40, 30))
    assert box.getextrema() == ((0, 0), (0, 0), (0, 0))
    assert image.crop((40, 0, 400, 100)).getextrema() != ((0, 0), (0, 0), (0, 0))
    sums = (bundle / "SHA256SUMS").read_text()
    assert "  screenshot.png\n" in sums
    md = (bundle / "submission.md").read_text()
    assert "![Screenshot of the error](screenshot.png)" in md
    assert "1 region blacked out" in md
    report = json.loads((bundle / "report.json").read_text())
    assert report["screenshot"]["redacted_regions"] == 1
    assert "screenshot skipped" not in result.err


def test_blank_screen_is_rejected_and_the_rest_written(tmp_path: Path, screen: XServer) -> None:
    result = new_with_screen(tmp_path, {"DISPLAY": screen.display}, "--screenshot")
    assert "screenshot skipped: the screenshot is all black" in result.err
    assert_bundle_without_screenshot(tmp_path, "all black")


def test_no_display(tmp_path: Path) -> None:
    result = new_with_screen(tmp_path, {}, "--screenshot")
    assert "screenshot skipped: cannot take a screenshot: no display" in result.err
    assert_bundle_without_screenshot(tmp_path, "no display")


def test_wayland_without_x(tmp_path: Path) -> None:
    result = new_with_screen(tmp_path, {"WAYLAND_DISPLAY": "wayland-0",
                                        "XDG_SESSION_TYPE": "wayland"}, "--screenshot")
    assert "Wayland" in result.err and "--screenshot-file" in result.err
    assert_bundle_without_screenshot(tmp_path, "Wayland")


def test_frozen_x_server_times_out(tmp_path: Path) -> None:
    with xvfb(640, 480) as server:
        server.freeze()
        try:
            result = new_with_screen(tmp_path, {"DISPLAY": server.display,
                                                "ESCALATE_CAPTURE_TIMEOUT": "1"}, "--screenshot")
        finally:
            server.thaw()
    assert "did not finish within 1 s" in result.err
    assert_bundle_without_screenshot(tmp_path, "did not finish")


def test_attached_file(tmp_path: Path) -> None:
    src = tmp_path / "shot.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(src)
    new_with_screen(tmp_path, {}, "--screenshot-file", str(src), "--redact", "0,0,10,10")
    image = Image.open(tmp_path / "b" / "screenshot.png").convert("RGB")
    assert image.getpixel((5, 5)) == (0, 0, 0) and image.getpixel((50, 50)) == (200, 30, 30)


def test_screenshot_command_lists_monitors_and_captures(tmp_path: Path, screen: XServer) -> None:
    env = {"DISPLAY": screen.display}
    listed = run("screenshot", "--list-monitors", env=env)
    assert listed.code == 0 and "1: 1280x800 at 0,0" in listed.out
    with message_window(screen, "hello"):
        out = tmp_path / "s.png"
        assert run("screenshot", "--out", str(out), env=env).code == 0
        assert Image.open(out).size == (1280, 800)
        again = run("screenshot", "--out", str(out), env=env)
        assert again.code == 1 and "never overwritten" in again.err
    assert os.stat(out).st_mode & 0o777 == 0o600

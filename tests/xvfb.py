"""Test helper: a real Xvfb server on a free display number, and windows to put on it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from conftest import require_tool

START_TIMEOUT = 10.0

# Session variables that would make code under test think it is on a real desktop.
_DESKTOP_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XAUTHORITY")


@dataclass
class XServer:
    """A running Xvfb: its DISPLAY string, size, process, and a clean environment for it."""

    display: str
    width: int
    height: int
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def freeze(self) -> None:
        """Stop the server (SIGSTOP) so clients block, as on a hung X server."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server run again."""
        self.process.send_signal(signal.SIGCONT)


def _read_display(fd: int, process: subprocess.Popen[bytes]) -> str:
    """Xvfb writes its display number to -displayfd once it accepts connections."""
    deadline = time.monotonic() + START_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            raise RuntimeError(f"Xvfb did not start (exit code {process.poll()})")
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                raise RuntimeError(f"Xvfb closed -displayfd early (exit code {process.wait(5)})")
            data += chunk
    return ":" + data.decode().strip()


@contextmanager
def xvfb(width: int = 1920, height: int = 1080) -> Iterator[XServer]:
    """Start ``Xvfb -screen 0 WxHx24`` on a free display, wait until ready, yield, kill it."""
    require_tool("Xvfb")
    read_fd, write_fd = os.pipe()
    cmd = [
        "Xvfb",
        "-displayfd",
        str(write_fd),
        "-screen",
        "0",
        f"{width}x{height}x24",
        "-nolisten",
        "tcp",
        "-noreset",
    ]
    process = subprocess.Popen(
        cmd, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.close(write_fd)
    try:
        display = _read_display(read_fd, process)
        env = {k: v for k, v in os.environ.items() if k not in _DESKTOP_VARS}
        env["DISPLAY"] = display
        yield XServer(display, width, height, process, env)
    finally:
        os.close(read_fd)
        # A frozen server ignores SIGTERM until it runs again.
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _font_available(name: str) -> bool:
    return any(
        os.path.exists(f"/usr/share/fonts/X11/misc/{stem}.pcf.gz")
        for stem in (name, f"{name}-ISO8859-1")
    )


@contextmanager
def message_window(server: XServer, text: str, x: int = 0, y: int = 0) -> Iterator[None]:
    """Show ``text`` in an xmessage window at x,y and wait until it is mapped."""
    require_tool("xmessage", "xdotool")
    # 10x20 (xfonts-base) reads well under OCR; "fixed" is always there as a fallback.
    font = "10x20" if _font_available("10x20") else "fixed"
    window = subprocess.Popen(
        ["xmessage", "-geometry", f"+{x}+{y}", "-fn", font, text],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "xmessage"],
            env=server.env,
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )
        yield
    finally:
        window.terminate()
        window.wait(5)

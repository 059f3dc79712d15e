"""Put the submission on the system clipboard, ready to paste into the support chat.

The platform's own tool does the work (``pbcopy``, ``clip``, ``wl-copy``, ``xclip`` or
``xsel``); there is no Python clipboard library to install. A missing tool or display is
a one-line reason, never a failed report: the bundle is written before anything is copied.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from escalate.errors import ClipboardError

TIMEOUT = 5.0


def clipboard_command(env: Mapping[str, str], system: str | None = None) -> list[str] | None:
    """The command that copies stdin to the clipboard here, or None when there is none."""
    system = system or platform.system()
    path = env.get("PATH", os.defpath)
    candidates: list[list[str]]
    if system == "Darwin":
        candidates = [["pbcopy"]]
    elif system == "Windows":
        candidates = [["clip"]]
    else:
        candidates = []
        if env.get("WAYLAND_DISPLAY"):
            candidates.append(["wl-copy"])
        if env.get("DISPLAY"):
            candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    for argv in candidates:
        found = shutil.which(argv[0], path=path)
        if found:
            return [found, *argv[1:]]
    return None


def copy_text(text: str, env: Mapping[str, str], system: str | None = None) -> str:
    """Copy ``text``; returns the tool's name, or raises :class:`ClipboardError`."""
    system = system or platform.system()
    argv = clipboard_command(env, system)
    if argv is None:
        if system not in ("Darwin", "Windows") and not (
            env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
        ):
            raise ClipboardError("no desktop session here, so there is no clipboard")
        raise ClipboardError(
            "no clipboard tool found", "install xclip, xsel or wl-clipboard, or open the file"
        )
    # clip.exe reads the console code page unless the text says it is UTF-16; pbcopy reads
    # the locale's encoding, so it is told that the bytes are UTF-8.
    data = text.encode("utf-16") if system == "Windows" else text.encode("utf-8")
    run_env = {**env, "LC_CTYPE": "UTF-8"} if system == "Darwin" else dict(env)
    name = Path(argv[0]).name
    try:
        # xclip and wl-copy leave a child behind that serves the clipboard until something
        # else is copied. No pipes for its output (they would be held open and waited for),
        # and a session of its own, so closing the terminal does not take the text with it.
        done = subprocess.run(
            argv,
            input=data,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=run_env,
            timeout=TIMEOUT,
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        raise ClipboardError(f"{name} did not finish within {TIMEOUT:g} s") from None
    except OSError as exc:
        raise ClipboardError(f"cannot run {name}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise ClipboardError(f"{name} failed (exit {done.returncode})")
    return name

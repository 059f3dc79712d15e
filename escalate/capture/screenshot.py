"""Screenshots: capture with mss (or attach a file), reject blank ones, black out boxes, encode.

Every path ends in a ``Shot`` or one ``CaptureError``: the X connection runs in a daemon
thread with a timeout because mss blocks forever on a frozen X server, and a capture that is
one solid colour (macOS without Screen Recording permission, XWayland on GNOME) is refused
rather than attached as "evidence".
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from escalate.background import Job
from escalate.capture.imaging import (
    X11_BLANK_HINT,
    Region,
    Shot,
    check_not_blank,
    finish,
    load_image_file,
)
from escalate.errors import CaptureError

# Region, Shot and load_image_file are re-exported: callers capture or attach a screenshot,
# and parse regions for it, through this module alone.
__all__ = [
    "MonitorInfo",
    "Region",
    "Shot",
    "capture",
    "list_monitors",
    "load_image_file",
    "preflight",
]

if TYPE_CHECKING:
    from PIL import Image

WAYLAND_HINT = (
    "take one with your desktop's own tool (Print Screen, gnome-screenshot or grim) "
    "and attach it with --screenshot-file PATH"
)
MACOS_BLANK_HINT = (
    "allow Screen Recording for your terminal in System Settings › Privacy & Security › "
    "Screen Recording, restart the terminal and try again, or attach one with "
    "--screenshot-file PATH"
)

T = TypeVar("T")


@dataclass(frozen=True)
class MonitorInfo:
    """One monitor as the user numbers them: 1 is mss's first monitor."""

    index: int
    left: int
    top: int
    width: int
    height: int
    primary: bool


# --- checks before touching the display -------------------------------------------------


def _is_x11_platform(platform: str) -> bool:
    return not (platform == "darwin" or platform.startswith(("win", "cygwin")))


def _is_wayland(env: Mapping[str, str]) -> bool:
    return bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE", "").lower() == "wayland"


def preflight(env: Mapping[str, str], *, platform: str | None = None) -> None:
    """Raise CaptureError when a capture cannot work here (no X display, Wayland without X)."""
    platform = sys.platform if platform is None else platform
    if not _is_x11_platform(platform):
        return
    if env.get("DISPLAY"):
        return
    if _is_wayland(env):
        raise CaptureError(
            "cannot take a screenshot: this is a Wayland session with no X display to capture",
            WAYLAND_HINT,
        )
    raise CaptureError("cannot take a screenshot: no display (DISPLAY is not set)")


# --- the X connection, always behind a timeout ------------------------------------------


def _with_timeout(work: Callable[[], T], timeout: float) -> T:
    """Run ``work`` in a daemon thread; a hung display server cannot hang us."""
    try:
        return Job.start(work, "escalate-capture").wait(timeout)
    except TimeoutError:
        raise CaptureError(
            f"the screenshot did not finish within {timeout:g} s: "
            "the display server is not answering"
        ) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def _session(env: Mapping[str, str], platform: str) -> Iterator[Any]:
    """An open mss session; every X or ctypes failure comes out as one CaptureError line."""
    import mss

    kwargs: dict[str, Any] = {}
    if _is_x11_platform(platform):
        kwargs["display"] = env.get("DISPLAY")
    try:
        sct = mss.MSS(**kwargs)
    except (mss.ScreenShotError, OSError) as exc:
        where = f"the X display {kwargs['display']}" if "display" in kwargs else "the screen"
        raise CaptureError(
            f"cannot take a screenshot: cannot connect to {where} ({_one_line(exc)})"
        ) from None
    try:
        with sct:
            yield sct
    except (mss.ScreenShotError, OSError) as exc:
        raise CaptureError(f"cannot take a screenshot: {_one_line(exc)}") from None


def _monitor_infos(sct: Any) -> list[MonitorInfo]:
    monitors = sct.monitors[1:]
    marked = any(m.get("is_primary") for m in monitors)
    return [
        MonitorInfo(
            index=i,
            left=int(m["left"]),
            top=int(m["top"]),
            width=int(m["width"]),
            height=int(m["height"]),
            # mss falls back to its first monitor when none is marked; say the same.
            primary=bool(m.get("is_primary")) if marked else i == 1,
        )
        for i, m in enumerate(monitors, start=1)
    ]


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def list_monitors(env: Mapping[str, str] | None = None, timeout: float = 5.0) -> list[MonitorInfo]:
    """The monitors of this display, numbered from 1 as ``--monitor`` takes them."""
    env = _env(env)
    platform = sys.platform
    preflight(env, platform=platform)

    def work() -> list[MonitorInfo]:
        with _session(env, platform) as sct:
            return _monitor_infos(sct)

    return _with_timeout(work, timeout)


def _plan(
    sct: Any, monitor: int | None, all_monitors: bool, region: Region | None
) -> tuple[dict[str, int], str | None]:
    """The absolute box to grab, and a note when the region had to be cut to fit."""
    monitors = sct.monitors
    count = len(monitors) - 1
    if all_monitors:
        base, name = monitors[0], "all monitors"
    elif monitor is None:
        base, name = sct.primary_monitor, "the primary monitor"
    elif 1 <= monitor <= count:
        base, name = monitors[monitor], f"monitor {monitor}"
    else:
        plural = "monitor" if count == 1 else "monitors"
        raise CaptureError(
            f"monitor {monitor} does not exist: this display has {count} {plural}",
            f"choose --monitor 1 to {count}, or leave --monitor out for the primary one",
        )
    box = {k: int(base[k]) for k in ("left", "top", "width", "height")}
    if region is None:
        return box, None
    cut = region.clip(box["width"], box["height"])
    if cut is None:
        raise CaptureError(
            f"region {region} lies outside {name} ({box['width']}x{box['height']})",
            "give --region X,Y,W,H relative to the monitor's top-left corner",
        )
    grab = {"left": box["left"] + cut.x, "top": box["top"] + cut.y, "width": cut.w, "height": cut.h}
    note = None if cut == region else f"region {region} was cut to {cut} to fit {name}"
    return grab, note


def _countdown(
    delay: float, countdown: Callable[[int], None] | None, sleep: Callable[[float], None]
) -> None:
    remaining = delay
    # The epsilon stops float residue (2.7 - 0.7 ...) from adding a phantom "1".
    while remaining > 1e-6:
        whole = math.ceil(remaining)
        if countdown is not None:
            countdown(whole)
        step = remaining - (whole - 1)
        sleep(step)
        remaining -= step


def capture(
    *,
    monitor: int | None = None,
    all_monitors: bool = False,
    region: Region | None = None,
    delay: float = 0.0,
    countdown: Callable[[int], None] | None = None,
    redact: Sequence[Region] = (),
    timeout: float = 5.0,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Shot:
    """Grab the screen (primary monitor by default), check it, black out boxes and encode it."""
    if monitor is not None and all_monitors:
        raise CaptureError("choose either one monitor or all monitors, not both")
    if not math.isfinite(delay) or delay < 0:
        raise CaptureError(f"the delay must be 0 or more seconds, not {delay!r}")
    env = _env(env)
    platform = sys.platform
    preflight(env, platform=platform)

    if delay > 0:
        # Say "no such monitor" now, not after making the user wait for the countdown.
        def check() -> None:
            with _session(env, platform) as sct:
                _plan(sct, monitor, all_monitors, region)

        _with_timeout(check, timeout)
        _countdown(delay, countdown, sleep)

    def work() -> tuple[Image.Image, str | None]:
        from PIL import Image

        with _session(env, platform) as sct:
            box, note = _plan(sct, monitor, all_monitors, region)
            raw = sct.grab(box)
        # BGRX → RGB in one C pass; mss's own .rgb property makes two extra copies.
        image = Image.frombytes("RGB", (raw.width, raw.height), raw.raw, "raw", "BGRX")
        return image, note

    image, note = _with_timeout(work, timeout)
    hint = _blank_hint(env, platform)
    check_not_blank(image, hint=hint)
    notes = [note]
    if _is_x11_platform(platform) and _is_wayland(env):
        notes.append("taken through XWayland: windows of Wayland-native apps may be missing")
    return finish(image, redact, source="capture", notes=notes)


def _blank_hint(env: Mapping[str, str], platform: str) -> str:
    if platform == "darwin":
        return MACOS_BLANK_HINT
    if _is_x11_platform(platform) and _is_wayland(env):
        return WAYLAND_HINT
    return X11_BLANK_HINT

"""Screenshots: capture with mss (or attach a file), reject blank ones, black out boxes, encode.

Every path ends in a ``Shot`` or one ``CaptureError``: the X connection runs in a daemon
thread with a timeout because mss blocks forever on a frozen X server, and a capture that is
one solid colour (macOS without Screen Recording permission, XWayland on GNOME) is refused
rather than attached as "evidence".
"""

from __future__ import annotations

import io
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from escalate.errors import CaptureError

if TYPE_CHECKING:
    from pathlib import Path

    from PIL import Image

LIMIT = 20 * 1024 * 1024
PNG_LEVEL = 1  # levels 6-9 cost seconds at 4K for a few percent
JPEG_QUALITY = 85
# Max - min per channel at or below this counts as "one colour": dithering and a stray
# cursor-free wallpaper gradient of a few levels still carry no evidence.
BLANK_SPREAD = 4
FILE_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "WEBP": "WebP"}

WAYLAND_HINT = (
    "take one with your desktop's own tool (Print Screen, gnome-screenshot or grim) "
    "and attach it with --screenshot-file PATH"
)
MACOS_BLANK_HINT = (
    "allow Screen Recording for your terminal in System Settings › Privacy & Security › "
    "Screen Recording, restart the terminal and try again, or attach one with "
    "--screenshot-file PATH"
)
X11_BLANK_HINT = (
    "wake and unlock the screen and make sure the error is visible, or attach one with "
    "--screenshot-file PATH"
)

T = TypeVar("T")


@dataclass(frozen=True)
class Region:
    """A box in pixels: X,Y is the top-left corner, W,H the size."""

    x: int
    y: int
    w: int
    h: int

    @classmethod
    def parse(cls, text: str) -> Region:
        """Parse ``"X,Y,W,H"``; raise ValueError saying what to type instead."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4:
            raise ValueError(
                f"region {text!r} must be four whole numbers X,Y,W,H (e.g. 0,0,800,600)"
            )
        try:
            x, y, w, h = (int(p, 10) for p in parts)
        except ValueError:
            raise ValueError(
                f"region {text!r} must be four whole numbers X,Y,W,H (e.g. 0,0,800,600)"
            ) from None
        if x < 0 or y < 0:
            raise ValueError(f"region {text!r}: X and Y must be 0 or more")
        if w <= 0 or h <= 0:
            raise ValueError(f"region {text!r}: width and height must be 1 or more")
        return cls(x, y, w, h)

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"

    def clip(self, width: int, height: int) -> Region | None:
        """This box cut to a ``width`` x ``height`` area, or None when nothing is left."""
        x0, y0 = max(self.x, 0), max(self.y, 0)
        x1, y1 = min(self.x + self.w, width), min(self.y + self.h, height)
        if x1 <= x0 or y1 <= y0:
            return None
        return Region(x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class MonitorInfo:
    """One monitor as the user numbers them: 1 is mss's first monitor."""

    index: int
    left: int
    top: int
    width: int
    height: int
    primary: bool


@dataclass(frozen=True)
class Shot:
    """An encoded, metadata-free image ready for the bundle (``png`` may hold JPEG bytes)."""

    png: bytes
    width: int
    height: int
    format: str
    source: str
    redacted_regions: int
    note: str | None

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else "png"


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
    result: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)
        finally:
            done.set()

    # A daemon thread: if the X server never answers, the process can still exit.
    threading.Thread(target=run, name="escalate-capture", daemon=True).start()
    if not done.wait(timeout):
        raise CaptureError(
            f"the screenshot did not finish within {timeout:g} s: "
            "the display server is not answering"
        )
    if failure:
        raise failure[0]
    return result[0]


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
    return _finish(image, redact, source="capture", notes=notes)


def _blank_hint(env: Mapping[str, str], platform: str) -> str:
    if platform == "darwin":
        return MACOS_BLANK_HINT
    if _is_x11_platform(platform) and _is_wayland(env):
        return WAYLAND_HINT
    return X11_BLANK_HINT


def check_not_blank(image: Image.Image, *, hint: str | None = None) -> None:
    """Raise CaptureError when every pixel is (nearly) the same colour."""
    bands = image.getextrema()
    # getextrema gives one (min, max) pair for a single-band image, a tuple of pairs otherwise.
    pairs: list[tuple[float, float]] = [bands] if isinstance(bands[0], int | float) else list(bands)
    if image.mode in ("RGBA", "LA"):
        pairs = pairs[:-1]
    if any(hi - lo > BLANK_SPREAD for lo, hi in pairs):
        return
    if all(hi <= BLANK_SPREAD for _, hi in pairs):
        colour = "black"
    elif all(lo >= 255 - BLANK_SPREAD for lo, _ in pairs):
        colour = "white"
    else:
        colour = "a single colour"
    raise CaptureError(
        f"the screenshot is all {colour}, so it shows nothing (screen locked, off, or not allowed)",
        X11_BLANK_HINT if hint is None else hint,
    )


# --- attached files ---------------------------------------------------------------------


def load_image_file(path: Path, redact: Sequence[Region] = ()) -> Shot:
    """Attach a PNG, JPEG or WebP: re-encoded from its pixels, so no metadata survives."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                kind = FILE_FORMATS.get(opened.format or "")
                if kind is None:
                    raise CaptureError(
                        f"{path} is a {opened.format or 'unknown'} image, not PNG, JPEG or WebP",
                        "convert it to PNG, or attach a PNG or JPEG screenshot instead",
                    )
                opened.load()
                # Apply the EXIF rotation before the EXIF goes, so the image stays upright.
                image = ImageOps.exif_transpose(opened)
    except FileNotFoundError:
        raise CaptureError(f"screenshot file not found: {path}") from None
    except IsADirectoryError:
        raise CaptureError(f"{path} is a folder, not an image file") from None
    except PermissionError:
        raise CaptureError(f"cannot read {path}: permission denied") from None
    except UnidentifiedImageError:
        raise CaptureError(
            f"{path} is not an image Pillow can read",
            "attach a PNG or JPEG screenshot with --screenshot-file PATH",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CaptureError(
            f"{path} is too big to decode safely (over {Image.MAX_IMAGE_PIXELS:,} pixels)",
            "attach a smaller screenshot, e.g. one monitor instead of all",
        ) from None
    except OSError as exc:
        raise CaptureError(f"{path} is damaged or cut short: {exc}") from None
    icc = image.info.get("icc_profile")
    image = _plain_pixels(image)
    if icc:
        image.info["icc_profile"] = icc
    return _finish(image, redact, source="file", notes=[])


def _plain_pixels(image: Image.Image) -> Image.Image:
    """RGB (or RGBA when it has transparency) with no metadata at all."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    target = "RGBA" if has_alpha else "RGB"
    out = image.convert(target) if image.mode != target else image.copy()
    out.info = {}
    return out


# --- redaction and encoding -------------------------------------------------------------


def paint_boxes(image: Image.Image, boxes: Sequence[Region]) -> int:
    """Paint each box solid black in place (never blur: blur can be undone); return the count."""
    from PIL import ImageDraw

    width, height = image.size
    cut: list[Region] = []
    for box in boxes:
        clipped = box.clip(width, height)
        if clipped is None:
            # Counting a box that covered nothing would tell support something was hidden.
            raise CaptureError(
                f"redaction box {box} lies outside the {width}x{height} image",
                "give --redact X,Y,W,H in the screenshot's own pixels (0,0 is its top-left)",
            )
        cut.append(clipped)
    draw = ImageDraw.Draw(image)
    black = (0, 0, 0, 255) if image.mode == "RGBA" else (0, 0, 0)
    for r in cut:
        draw.rectangle((r.x, r.y, r.x + r.w - 1, r.y + r.h - 1), fill=black)
    return len(cut)


def _finish(
    image: Image.Image, redact: Sequence[Region], *, source: str, notes: list[str | None]
) -> Shot:
    count = paint_boxes(image, redact) if redact else 0
    data, fmt, note = encode(image)
    notes.append(note)
    width, height = _size_of(data)
    joined = "; ".join(n for n in notes if n)
    return Shot(data, width, height, fmt, source, count, joined or None)


def _size_of(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return img.size


class _TooBig(Exception):
    """Raised from inside Pillow's writer to stop an encode that passed the limit."""


class _CappedBuffer(io.BytesIO):
    """A BytesIO that gives up once it holds more than ``cap`` bytes (no wasted seconds)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.cap:
            raise _TooBig
        return super().write(data)


def _save(image: Image.Image, fmt: str, cap: int, **params: Any) -> bytes | None:
    buf = _CappedBuffer(cap)
    icc = image.info.get("icc_profile")
    if icc:
        params["icc_profile"] = icc
    # Only pixels and the ICC profile go out: Pillow would copy e.g. a JPEG comment from
    # .info, so the encoder sees an empty one.
    saved, image.info = image.info, {}
    try:
        image.save(buf, fmt, **params)
    except _TooBig:
        return None
    finally:
        image.info = saved
    return buf.getvalue()


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _png_estimate(image: Image.Image, limit: int) -> int | None:
    """The PNG size predicted from sampled strips, when it is clearly past ``limit``.

    A noisy 4K screen spends most of a second in a PNG encode that is then thrown away;
    eight strips holding a sixteenth of the rows predict it for a sixteenth of the cost.
    """
    width, height = image.size
    if width * height * len(image.getbands()) <= limit or height < 128:
        return None  # even stored raw it fits; nothing to save
    strip, step = height // 128, height // 8
    sampled = 0
    for top in range(0, 8 * step, step):
        part = image.crop((0, top, width, top + strip))
        buf = io.BytesIO()
        part.save(buf, "PNG", compress_level=PNG_LEVEL)
        sampled += len(buf.getvalue())
    estimate = sampled * height // (8 * strip)
    # The margin keeps a screen whose strips happen to be its busiest rows as PNG.
    return estimate if estimate > limit * 1.1 else None


def encode(image: Image.Image, limit: int = LIMIT) -> tuple[bytes, str, str | None]:
    """PNG at ``compress_level=1``; past ``limit``, JPEG q85, then smaller JPEGs, with a note."""
    estimate = _png_estimate(image, limit)
    if estimate is None:
        png = _save(image, "PNG", limit, compress_level=PNG_LEVEL)
        if png is not None:
            return png, "png", None
        over = f"as PNG it would pass {_mb(limit)}"
    else:
        over = f"as PNG it would be about {_mb(estimate)}, over {_mb(limit)}"
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    # 4:4:4 keeps coloured text sharp; JPEG's default 4:2:0 smears it.
    jpeg = _save(rgb, "JPEG", limit, quality=JPEG_QUALITY, subsampling=0)
    if jpeg is not None:
        return jpeg, "jpeg", f"{over}, so it is a JPEG (quality {JPEG_QUALITY}, {_mb(len(jpeg))})"
    width, height = rgb.size
    scale = 1.0
    while min(width, height) * scale >= 16:
        scale *= 0.75
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        smaller = rgb.resize(size, resample=_lanczos())
        jpeg = _save(smaller, "JPEG", limit, quality=JPEG_QUALITY)
        if jpeg is not None:
            return (
                jpeg,
                "jpeg",
                (
                    f"{over}, so it was scaled down from {width}x{height} to {size[0]}x{size[1]} "
                    f"and saved as JPEG (quality {JPEG_QUALITY}, {_mb(len(jpeg))})"
                ),
            )
    raise CaptureError(
        f"the screenshot cannot be made smaller than {_mb(limit)}",
        "capture a smaller --region, or attach a smaller image with --screenshot-file PATH",
    )


def _lanczos() -> Any:
    from PIL import Image

    return Image.Resampling.LANCZOS

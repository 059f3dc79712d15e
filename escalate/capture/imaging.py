"""Images as evidence: regions, black boxes, metadata-free encoding under the size limit.

Shared by captures and attached files: every image is re-encoded from its pixels (so EXIF,
text chunks and the like never leave the machine), redaction boxes are painted solid black
(never blurred: blur is reversible), and the result is PNG at ``compress_level=1`` unless it
would pass the 20 MB image limit, in which case JPEG or a downscale is used and said so.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from escalate.errors import CaptureError
from escalate.storage.atomic import unreadable

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

X11_BLANK_HINT = (
    "wake and unlock the screen and make sure the error is visible, or attach one with "
    "--screenshot-file PATH"
)


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
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise CaptureError(unreadable(path, exc, "image file")) from None
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
    return finish(image, redact, source="file", notes=[])


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


def finish(
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

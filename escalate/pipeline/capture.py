"""The screenshot stage of ``new``: what the person chose, carried out, or why there is none.

The choice is the last question of the guided path, so the capture (after a countdown
that leaves time to bring the error to the front) follows it at once. A failed capture is
recorded as the reason and the rest of the bundle is still written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalate.capture import screenshot as S
from escalate.errors import CaptureError
from escalate.model import Report, ScreenshotInfo, Surface

Notify = Callable[[str], None]
# The terminal is usually in front of the error: the first offer leaves time to switch.
LATER_SECONDS = 5
CAPTURE_NOW = "Capture the screen now"
ATTACH = "Attach an image file"
ATTACH_FROM_DEVICE = "Attach an image file (a screenshot sent from that device)"
ELSEWHERE = "No screenshot: it happened on another device"
GONE = "No screenshot: the error is not on screen any more"
DECLINED = "No screenshot: I'd rather not include one"
OTHER = "No screenshot, for another reason…"
# What the submission says for each choice without an image.
REASONS = {
    ELSEWHERE: "it happened on another device",
    GONE: "the error was no longer on screen",
    DECLINED: "the reporter chose not to include one",
}


@dataclass(frozen=True)
class ShotPlan:
    """What to do: capture (after ``delay`` seconds), attach ``file``, or nothing and why."""

    mode: str  # "capture" | "attach" | "none"
    delay: float = 0.0
    file: Path | None = None
    reason: str | None = None


def later_label(seconds: float) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Capture in {seconds:g} {unit} (switch to the window with the error)"


def choices_for(surface: str | None, delay: float, capture_problem: str | None) -> list[str]:
    """The screenshot offer, the likeliest first: capture on this computer, or the reason."""
    if surface is not None and not Surface(surface).on_this_machine:
        return [ELSEWHERE, ATTACH_FROM_DEVICE, DECLINED, OTHER]
    capture = [] if capture_problem else [later_label(delay or LATER_SECONDS), CAPTURE_NOW]
    return [*capture, ATTACH, GONE, ELSEWHERE, DECLINED, OTHER]


def plan_from_choice(choice: str, delay: float, ask_text: Callable[[str], str]) -> ShotPlan:
    """Turn the picked offer into a plan; ``ask_text`` asks the file or the other reason."""
    if choice.startswith("Capture in "):
        return ShotPlan("capture", delay or LATER_SECONDS)
    if choice == CAPTURE_NOW:
        return ShotPlan("capture")
    if choice in (ATTACH, ATTACH_FROM_DEVICE):
        path = ask_text("Image file to attach (PNG or JPEG)")
        return ShotPlan("attach", file=Path(path).expanduser())
    if choice == OTHER:
        reason = " ".join(ask_text("Why is there no screenshot? (a few words)").split())
        return ShotPlan("none", reason=reason[:200] or "not given")
    return ShotPlan("none", reason=REASONS.get(choice, choice))


def plan_from_options(
    screenshot: bool | None, file: Path | None, delay: float, surface: str | None
) -> ShotPlan:
    """Without questions: ``--screenshot-file``, ``--no-screenshot``, or capture."""
    if file is not None:
        return ShotPlan("attach", file=file)
    if screenshot is False:
        return ShotPlan("none", reason=REASONS[DECLINED])
    if screenshot is None and surface is not None and not Surface(surface).on_this_machine:
        return ShotPlan("none", reason=REASONS[ELSEWHERE])
    return ShotPlan("capture", delay)


@dataclass(frozen=True)
class CaptureSettings:
    """How to capture: the screen part and the boxes to black out (from the command line)."""

    monitor: int | None = None
    all_monitors: bool = False
    region: str | None = None
    redact_boxes: tuple[str, ...] = ()


def take(
    report: Report,
    plan: ShotPlan,
    settings: CaptureSettings,
    env: Mapping[str, str],
    notify: Notify,
) -> tuple[Report, dict[str, bytes]]:
    """Carry out ``plan``: the report with its screenshot facts, and the image file."""
    if plan.mode == "none":
        return report.model_copy(update={"screenshot_problem": plan.reason}), {}
    try:
        boxes = [_region(b, "--redact") for b in settings.redact_boxes]
        if plan.mode == "attach" and plan.file is not None:
            shot = S.load_image_file(plan.file, redact=boxes)
        else:
            region = _region(settings.region, "--region") if settings.region else None
            shot = S.capture(
                monitor=settings.monitor,
                all_monitors=settings.all_monitors,
                region=region,
                delay=plan.delay,
                countdown=lambda n: notify(f"capturing in {n}…"),
                redact=boxes,
                env=env,
                timeout=_capture_timeout(env),
            )
    except CaptureError as exc:
        notify(f"screenshot skipped: {exc.message}" + (f" — {exc.hint}" if exc.hint else ""))
        return report.model_copy(update={"screenshot_problem": exc.message}), {}
    if shot.note:
        notify(f"screenshot: {shot.note}")
    info = ScreenshotInfo(
        source=shot.source,
        width=shot.width,
        height=shot.height,
        format=shot.format,
        redacted_regions=shot.redacted_regions,
        note=shot.note,
    )
    name = "screenshot.png" if shot.format == "png" else "screenshot.jpg"
    return report.model_copy(update={"screenshot": info, "screenshot_problem": None}), {
        name: shot.png
    }


def _capture_timeout(env: Mapping[str, str]) -> float:
    # A frozen X server blocks mss forever; this bounds it (overridable for slow remotes).
    try:
        return max(0.1, float(env.get("ESCALATE_CAPTURE_TIMEOUT", "5")))
    except ValueError:
        return 5.0


def _region(text: str, flag: str) -> Any:
    try:
        return S.Region.parse(text)
    except ValueError as exc:
        raise CaptureError(
            f"{flag} {text!r}: {exc}", "give X,Y,W,H in pixels, e.g. 0,0,800,600"
        ) from None

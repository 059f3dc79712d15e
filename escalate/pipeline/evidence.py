"""Evidence steps of ``new``: the screenshot and the HAR file.

Each step records its outcome on the report; a failure becomes a note and the rest of the
bundle is still written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from escalate.capture import screenshot as S
from escalate.capture.screenshot import preflight
from escalate.errors import CaptureError, EscalateError
from escalate.model import Report, ScreenshotInfo
from escalate.privacy.har import sanitize_har
from escalate.privacy.redact import Redactor
from escalate.text import counted

if TYPE_CHECKING:
    from escalate.cli.console import Console
    from escalate.pipeline.run import NewOptions

Notify = Callable[[str], None]
CAPTURE, ATTACH, SKIP = "Capture the screen now", "Attach an image file", "No screenshot"
# The terminal is usually in front of the error: the first offer leaves time to switch.
LATER_SECONDS = 5


def _later(seconds: float) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Capture in {seconds:g} {unit} (switch to the window with the error)"


def _mode(
    opts: NewOptions, prompter: Any, env: Mapping[str, str], notify: Notify
) -> tuple[str, float]:
    """What to do, and the delay before a capture."""
    if opts.screenshot_file is not None:
        return ATTACH, 0.0
    if opts.screenshot is False:
        return SKIP, 0.0
    if opts.screenshot is None and prompter is not None:
        later = opts.delay or LATER_SECONDS
        choices = [_later(later), CAPTURE, ATTACH, SKIP]
        try:

            preflight(env)
        except CaptureError as exc:  # say why now, rather than offer what cannot work
            notify(f"screen capture is not available here: {exc.message}")
            choices = [ATTACH, SKIP]
        chosen = str(prompter.choose("Screenshot of the error?", choices, choices[0]))
        return (CAPTURE, later) if chosen == _later(later) else (chosen, 0.0)
    return CAPTURE, opts.delay


def attach_screenshot(
    console: Console,
    opts: NewOptions,
    report: Report,
    files: dict[str, bytes],
    prompter: Any,
    notify: Notify,
) -> None:
    """Capture or attach the screenshot; on failure record why and go on."""
    mode, delay = _mode(opts, prompter, console.env, notify)
    if mode == SKIP:
        return
    try:

        boxes = [_region(S, b, "--redact") for b in opts.redact_boxes]
        if mode == ATTACH:
            path = opts.screenshot_file
            if path is None:
                from pathlib import Path

                path = Path(prompter.path("Image file to attach (PNG or JPEG)")).expanduser()
            shot = S.load_image_file(path, redact=boxes)
        else:
            region = _region(S, opts.region, "--region") if opts.region else None

            def countdown(n: int) -> None:
                notify(f"capturing in {n}…")

            shot = S.capture(
                monitor=opts.monitor,
                all_monitors=opts.all_monitors,
                region=region,
                delay=delay,
                countdown=countdown,
                redact=boxes,
                env=console.env,
                timeout=_capture_timeout(console.env),
            )
    except CaptureError as exc:
        report.screenshot_problem = exc.message
        notify(f"screenshot skipped: {exc.message}" + (f" — {exc.hint}" if exc.hint else ""))
        return
    name = "screenshot.png" if shot.format == "png" else "screenshot.jpg"
    files[name] = shot.png
    if shot.note:
        notify(f"screenshot: {shot.note}")
    report.screenshot = ScreenshotInfo(
        source=shot.source,
        width=shot.width,
        height=shot.height,
        format=shot.format,
        redacted_regions=shot.redacted_regions,
        note=shot.note,
    )


def _capture_timeout(env: Mapping[str, str]) -> float:
    # A frozen X server blocks mss forever; this bounds it (overridable for slow remotes).
    try:
        return max(0.1, float(env.get("ESCALATE_CAPTURE_TIMEOUT", "5")))
    except ValueError:
        return 5.0


def _region(S: Any, text: str, flag: str) -> Any:
    try:
        return S.Region.parse(text)
    except ValueError as exc:
        raise CaptureError(
            f"{flag} {text!r}: {exc}", "give X,Y,W,H in pixels, e.g. 0,0,800,600"
        ) from None


def attach_har(
    opts: NewOptions,
    report: Report,
    answers: dict[str, Any],
    files: dict[str, bytes],
    notify: Notify,
) -> None:
    """Sanitise the HAR into the bundle and pre-fill request ids and failing requests."""
    if opts.har is None:
        return
    import tempfile
    from pathlib import Path


    with tempfile.TemporaryDirectory(prefix="escalate-har-") as tmp:
        out = Path(tmp) / "sanitized.har"
        try:
            summary = sanitize_har(opts.har, out, Redactor(reporter_email=str(report.email)))
        except EscalateError as exc:
            notify(f"HAR skipped: {exc.message}")
            return
        files["sanitized.har"] = out.read_bytes()
    report.failed_requests = list(summary.failed)
    known = list(report.request_ids)
    # Only the failing requests' ids help support; cf-ray is on every successful response too.
    failing = [r.request_id for r in summary.failed if r.request_id]
    report.request_ids = known + [r for r in dict.fromkeys(failing) if r not in known]
    notify(
        f"HAR: {summary.entries} requests, {len(summary.failed)} failing, "
        f"{counted(len(summary.request_ids), 'request ID')}"
    )

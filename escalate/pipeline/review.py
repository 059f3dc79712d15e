"""Scrubbing a report, and the review the reporter sees before anything is written.

The review shows the final Markdown with every placeholder highlighted and a summary of
what was removed; the reporter can write it, undo one redaction (a false positive such as
a public example key), edit the text, or stop with the draft kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from escalate.model import Report
from escalate.privacy.redact import Redactor, category_of, counts_text
from escalate.text import Styled, visible

Notify = Callable[[str], None]
WRITE = "Write the bundle with exactly this content"
UNDO = "Undo one redaction"
EDIT = "Edit the submission text in $EDITOR"
STOP = "Stop here (your answers stay in the draft)"
_PLACEHOLDER = re.compile(r"\[([A-Z]+(?:-[A-Z]+)*)-(\d+)\]")

def redaction_summary(counts: Mapping[str, int]) -> str:
    """``"Removed before writing: 1 other email, 2 API keys"`` or a plain all-clear."""

    text = counts_text(dict(counts))
    if not text:
        return "Nothing needed scrubbing: no keys, tokens or other people's data found."
    return f"Removed before writing: {text} (secrets shown as [PLACEHOLDERS])."


# A template's answer that is one address and nothing else (a manager's email, say) was
# typed into a field that asks for it: it is kept. Addresses inside text are scrubbed.
_JUST_AN_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,63}")


def _each_text(
    report: Report, fn: Callable[[str], str], answer_fn: Callable[[str], str] | None = None
) -> None:
    report.error_text = fn(report.error_text)
    report.summary = fn(report.summary)
    report.steps_tried = [fn(s) for s in report.steps_tried]
    one = answer_fn or fn
    report.extra = {
        k: one(v) if isinstance(v, str) else [one(i) for i in v] if isinstance(v, list) else v
        for k, v in report.extra.items()
    }


def scrub(report: Report, enabled: bool) -> tuple[Report, dict[str, str]]:
    """A copy with every free-text field redacted, and placeholder → original (kept locally)."""
    report = report.model_copy(deep=True)
    if not enabled:
        report.redaction = report.redaction.joined(False, {})
        return report, {}

    r = Redactor(reporter_email=str(report.email))

    def text(value: str) -> str:
        return r.redact(value).text

    def answer(value: str) -> str:
        return value if _JUST_AN_ADDRESS.fullmatch(value.strip()) else text(value)

    _each_text(report, text, answer)
    report.redaction = report.redaction.joined(True, r.counts)
    return report, dict(r.mapping)


def undo(report: Report, mapping: dict[str, str], placeholder: str) -> Report:
    """A copy with one redacted value put back everywhere and the counts updated."""
    report = report.model_copy(deep=True)
    original = mapping.pop(placeholder)
    _each_text(report, lambda text: text.replace(placeholder, original))

    counts = dict(report.redaction.counts)
    category = category_of(placeholder)
    if category in counts:
        counts[category] -= 1
        if counts[category] <= 0:
            del counts[category]
    report.redaction = report.redaction.model_copy(
        update={"counts": counts, "undone": [*report.redaction.undone, placeholder]}
    )
    return report


def highlight(markdown: str, color: bool) -> str:
    """Mark every placeholder so the reporter sees what was removed (reverse video on a tty)."""
    if color:  # our own escapes, around text that was made visible first
        return Styled(_PLACEHOLDER.sub(lambda m: f"\x1b[7m{m.group(0)}\x1b[0m", visible(markdown)))
    return _PLACEHOLDER.sub(lambda m: f">>{m.group(0)}<<", markdown)


def review(
    prompter: Any,
    report: Report,
    render: Callable[[Report], str],
    mapping: dict[str, str],
    notify: Notify,
    color: bool = False,
) -> tuple[Report, str] | None:
    """Show, then loop until the reporter writes (the report and its Markdown) or stops."""
    markdown = render(report)
    while True:
        notify("─" * 72)
        notify(highlight(markdown.rstrip(), color))
        notify("─" * 72)
        if report.redaction.enabled:
            notify(redaction_summary(report.redaction.counts))
        else:
            notify("Redaction is OFF (--no-redact): check the text above for secrets.")
        choices = [WRITE, *([UNDO] if mapping else []), EDIT, STOP]
        choice = prompter.choose("What now?", choices, WRITE)
        if choice == WRITE:
            return report, markdown
        if choice == STOP:
            return None
        if choice == UNDO:
            labels = {f"{p}  ({_preview(v)})": p for p, v in mapping.items()}
            picked = prompter.choose("Which one is safe to keep?", list(labels))
            report = undo(report, mapping, labels[picked])
            markdown = render(report)
        elif choice == EDIT:
            markdown = prompter.edit(markdown)


def _preview(value: str) -> str:
    return value if len(value) <= 24 else f"{value[:10]}…{value[-6:]}"

"""What the reporter sees before anything is written: the summary of what was scrubbed."""

from __future__ import annotations

from collections.abc import Mapping

_NAMES = {
    "openai_key": ("API key", "API keys"),
    "email": ("other email", "other emails"),
    "bearer": ("bearer token", "bearer tokens"),
    "jwt": ("session token", "session tokens"),
    "cookie": ("cookie", "cookies"),
    "password": ("password", "passwords"),
    "phone": ("phone number", "phone numbers"),
    "card": ("card number", "card numbers"),
}


def redaction_summary(counts: Mapping[str, int]) -> str:
    """``"Removed before writing: 2 API keys, 1 other email"`` or a plain all-clear."""
    parts = []
    for category, n in sorted(counts.items()):
        if n <= 0:
            continue
        one, many = _NAMES.get(
            category, (category.replace("_", " "), category.replace("_", " ") + "s")
        )
        parts.append(f"{n} {one if n == 1 else many}")
    if not parts:
        return "Nothing needed scrubbing: no keys, tokens or other people's data found."
    return (
        "Removed before writing: "
        + ", ".join(parts)
        + " (placeholders like [EMAIL-1] in the text)."
    )

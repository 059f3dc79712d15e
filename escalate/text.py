"""Terminal-safe text: what a person pastes is kept verbatim, minus what can hurt.

ANSI/OSC escape sequences, C0/C1 control characters (other than newline and tab) and
bidirectional overrides are removed before text is stored, shown or rendered. They can
repaint a terminal, hide text in a preview or spoof a file name, and carry no meaning
for support.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, and the
# 8-bit C1 forms of CSI/OSC. Each alternative is linear: no nested quantifiers.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?          # CSI
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC ... BEL | ST
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS, SOS, PM, APC ... ST
  | \x1b[@-Z\\-_]                      # other Fe escapes
  | \x9b[0-?]*[ -/]*[@-~]?             # 8-bit CSI
  | \x9d[^\x07\x9c]*[\x07\x9c]?        # 8-bit OSC
    """,
    re.VERBOSE,
)

# Bidi embedding/override/isolate controls and the BOM; zero-width joiners stay (emoji).
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\ufeff"
_CONTROL = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_C1 = "".join(chr(c) for c in range(0x80, 0xA0))
_DROP = str.maketrans("", "", _BIDI + _CONTROL + _C1)


def clean_text(text: str) -> str:
    """Strip escapes and control characters; normalise line endings; keep all else."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    return text.translate(_DROP)


def clean_line(text: str) -> str:
    """Like :func:`clean_text` for one-line answers: newlines fold to spaces, ends trimmed."""
    return " ".join(clean_text(text).split("\n")).strip()


def counted(n: int, one: str, many: str | None = None) -> str:
    """``"1 file"``, ``"3 files"``: a count with the right form of its noun."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def shorten(text: str, limit: int = 200) -> str:
    """One clean line of at most ``limit`` characters, cut with an ellipsis."""
    line = " ".join(clean_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def decode_input(raw: bytes) -> str:
    """Decode bytes from a terminal or pipe: UTF-8, with undecodable bytes replaced."""
    return raw.decode("utf-8", errors="replace")

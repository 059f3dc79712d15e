"""Terminal-safe text: what a person pastes is kept verbatim, minus what can hurt.

Two tools, for two kinds of text:

- :func:`clean_text` is for answers: ANSI/OSC escape sequences, C0/C1 control characters
  (other than newline and tab) and bidirectional overrides are removed before text is
  stored. They carry no meaning for support.
- :func:`visible` is the one boundary for everything else (a HAR, a team template, a status
  page, file names, paths): at the terminal and in the submission text, a control or bidi
  character is shown as what it is (``\\x1b``, ``<U+202E>``) instead of being acted on. A
  clipboard write (OSC 52), a cleared screen or a reversed file name then cannot happen,
  and the reader still sees that something odd was there.
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


# Shown as \xNN: C0 controls but newline and tab, DEL, and the C1 block (8-bit CSI/OSC).
_HEX_SHOWN = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_SHOW_HEX = {c: f"\\x{c:02x}" for c in _HEX_SHOWN}
# Shown as <U+XXXX>: bidi controls, invisible separators and the BOM, which reorder or hide
# text without showing themselves; zero-width joiners stay (emoji are made of them).
_INVISIBLE = [0x061C, 0x200B, 0x200E, 0x200F, *range(0x2028, 0x202F), *range(0x2060, 0x2065)]
_SHOW_CODE = {c: f"<U+{c:04X}>" for c in [*_INVISIBLE, *range(0x2066, 0x206A), 0xFEFF]}
_VISIBLE = str.maketrans({**_SHOW_HEX, **_SHOW_CODE})
_NEEDS_VISIBLE = re.compile("[" + re.escape("".join(map(chr, [*_SHOW_HEX, *_SHOW_CODE]))) + "]")


class Styled(str):
    """Text that already went through :func:`visible` and then got escapes of our own
    (reverse video for a placeholder); the console prints it as it is."""


def visible(text: str) -> str:
    """Show control, bidi and invisible characters as text; newline and tab stay.

    A CR LF pair is one line end; a lone CR (which would overwrite the line) is shown.
    """
    if isinstance(text, Styled) or _NEEDS_VISIBLE.search(text) is None:
        return text
    return text.replace("\r\n", "\n").translate(_VISIBLE)


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

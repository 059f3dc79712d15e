"""Normalising text before secret matching, with an offset map back to the original.

Pasted secrets hide behind ANSI escapes, zero-width characters, percent-escapes and line
wraps; matching runs on a copy with those undone, and every match maps back to its exact
span in the original text, which is otherwise kept verbatim.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from itertools import accumulate, chain, repeat
from operator import add, sub


class _OffsetMap:
    """Maps positions of one normalisation stage's output back to its input.

    Edit ``i`` turned ``input[src_starts[i]:src_ends[i]]`` into
    ``output[dst_starts[i]:dst_ends[i]]``; edits are sorted and do not overlap. The columns
    are arrays of machine integers: a text with millions of edits keeps 8 bytes per number.
    """

    def __init__(
        self,
        src_starts: Sequence[int],
        src_ends: Sequence[int],
        dst_starts: Sequence[int],
        dst_ends: Sequence[int],
    ) -> None:
        self.src_starts, self.src_ends = src_starts, src_ends
        self.dst_starts, self.dst_ends = dst_starts, dst_ends

    def start(self, p: int) -> int:
        """Where a span starting at ``p`` starts: after removed text, before replaced text."""
        i = bisect_right(self.dst_ends, p) - 1
        j = i + 1
        if j < len(self.dst_starts) and self.dst_starts[j] <= p < self.dst_ends[j]:
            return self.src_starts[j]
        return p if i < 0 else self.src_ends[i] + p - self.dst_ends[i]

    def end(self, p: int) -> int:
        """Where a span ending at ``p`` ends: before removed text, after replaced text."""
        i = bisect_left(self.dst_starts, p) - 1
        if i < 0:
            return p
        return self.src_ends[i] + max(0, p - self.dst_ends[i])


# A stage works on windows of the text so that its temporary lists stay small; a window never
# ends inside a match (before an ESC or "%" near its end, the next window takes it whole).
_WINDOW = 1 << 16
_GUARDS = (("\x1b", 64), ("%", 3))


def _windows(text: str) -> Iterator[tuple[int, int]]:
    start, n = 0, len(text)
    while start < n:
        end = min(n, start + _WINDOW)
        if end < n:
            for guard, reach in _GUARDS:
                found = text.rfind(guard, max(start + 1, end - reach), end)
                if found > start:
                    end = found
        yield start, end
        start = end


def _shrink(
    text: str, pattern: re.Pattern[str], ratio: int, rewrite: Callable[[str, list[str]], str]
) -> tuple[str, _OffsetMap | None]:
    """Apply ``rewrite``, which shrinks every match of ``pattern`` to ``1/ratio`` of its
    length (``ratio`` 0: deletes it), and map the result back to ``text``.

    ``pattern`` has one group around the whole match, so ``split`` hands over the kept text
    and the matches in turn: their offsets then come from ``accumulate`` and ``map`` without
    a Python step per match, and a text with millions of escapes stays fast and small.
    """
    columns = (array("q"), array("q"), array("q"), array("q"))
    out: list[str] = []
    shift = 0  # how much shorter the output is than the input, before this window
    for ws, we in _windows(text):
        piece = text[ws:we]
        parts = pattern.split(piece)
        if len(parts) == 1:
            out.append(piece)
            continue
        bounds = list(accumulate(map(len, parts)))
        starts, ends = bounds[0:-1:2], bounds[1::2]
        lengths = list(map(sub, ends, starts))
        kept = [n // ratio for n in lengths] if ratio else [0] * len(lengths)
        dst_ends = list(map(sub, ends, accumulate(map(sub, lengths, kept))))
        dst_starts = list(map(sub, dst_ends, kept))
        for column, values, base in zip(
            columns,
            (starts, ends, dst_starts, dst_ends),
            (ws, ws, ws - shift, ws - shift),
            strict=True,
        ):
            column.extend(map(add, values, repeat(base)))
        shift += sum(lengths) - sum(kept)
        out.append(rewrite(piece, parts))
    if not columns[0]:
        return text, None
    return "".join(out), _OffsetMap(*columns)


# Terminal colour escapes and invisible characters are deleted, so a key they split joins
# again. Of an OSC (title, hyperlink) only the ESC goes: its "]" and "\\" still separate
# words, and its text (a URL with a token, say) is matched like any other.
_DELETE = re.compile(
    r"(\x1b(?:\[[0-?]{0,32}+[!-/]{0,4}+[@-~]|(?=[]\\]))"
    r"|[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]++)"
)
# Percent-escapes of the characters secrets, emails and URLs are made of are decoded;
# decoding more would change nothing we match. No decoded character is "%" or a hex digit, so
# replacing them one after the other cannot create a new escape.
# The URL delimiters are decoded too, so a key inside an encoded URL ("%3Dsk-...") starts
# after a separator as it would in the plain URL.
_PERCENT = re.compile(r"((?>(?:%(?:2[DdEeBbFf6]|3[DdAaFf]|40|5[Ff]|7[Ee]))+))")
_PERCENT_CHARS = {
    "%2D": "-",
    "%2E": ".",
    "%2B": "+",
    "%40": "@",
    "%5F": "_",
    "%7E": "~",
    "%2F": "/",
    "%26": "&",
    "%3D": "=",
    "%3A": ":",
    "%3F": "?",
}


def _decode_percent(text: str, _parts: list[str]) -> str:
    for esc, char in _PERCENT_CHARS.items():
        text = text.replace(esc, char).replace(esc.lower(), char)
    return text


Edit = tuple[int, int, str]  # (start, end, replacement) in the stage's input


def _rewrite(text: str, edits: Iterator[Edit]) -> tuple[str, _OffsetMap | None]:
    parts: list[str] = []
    table: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    last = shift = 0
    for s, e, new in edits:
        parts.append(text[last:s])
        parts.append(new)
        for column, value in zip(table, (s, e, s + shift, s + shift + len(new)), strict=True):
            column.append(value)
        shift += len(new) - (e - s)
        last = e
    if not table[0]:
        return text, None
    parts.append(text[last:])
    return "".join(parts), _OffsetMap(*table)


_KEYCH = "A-Za-z0-9_.\\-"
# Secret prefixes, each of fixed width so it can sit in a lookbehind.
_PREFIXES = (
    "sk-",
    "sk_",
    "rk_",
    "gh[pousr]_",
    "github_pat_",
    "xox[abprse]-",
    "AKIA",
    "ASIA",
    "AIza",
    "eyJ",
)
_ANY_PREFIX = "(?:" + "|".join(_PREFIXES) + ")"


def token_start(prefix: str, chars: str = _KEYCH) -> str:
    """``prefix`` only where it starts a run of ``chars``: the lookbehind follows the literal."""
    return f"{prefix}(?<![{chars}]{prefix})"


# A key-like token cut by a newline and indentation: the piece before the break fills a line
# (16+ key characters) and the piece after looks random (a digit or a case change soon) and
# is neither a new key nor a log timestamp, so a key at the end of a line never swallows the
# prose, the date or the key on the next one.
@cache
def _wrapped() -> list[re.Pattern[str]]:
    return [
        re.compile(
            rf"{token_start(p)}[{_KEYCH}]*+(?>(?:(?<=[{_KEYCH}]{{16}})\r?\n[ \t]{{0,40}}+"
            rf"(?!{_ANY_PREFIX}|[0-9]{{4}}-[0-9]{{2}}-[0-9]|[0-9]{{1,2}}:[0-9]{{2}})"
            rf"(?=[{_KEYCH}]{{0,80}}?(?:[0-9]|[a-z][A-Z]|[A-Z][a-z]{{1,20}}+[A-Z]))[{_KEYCH}]++)+)"
        )
        for p in _PREFIXES
    ]


_NEWLINE_INDENT = re.compile(r"\r?\n[ \t]*+")


def _ordered(matches: Iterable[re.Match[str]]) -> list[re.Match[str]]:
    """Matches of several patterns by position, dropping any that overlap an earlier one."""
    out: list[re.Match[str]] = []
    last = -1
    for m in sorted(matches, key=lambda m: m.start()):
        if m.start() >= last:
            out.append(m)
            last = m.end()
    return out


def _wrap_edits(text: str) -> Iterator[Edit]:
    if "\n" not in text:
        return
    wrapped = chain.from_iterable(p.finditer(text) for p in _wrapped())
    for m in _ordered(wrapped):
        for nl in _NEWLINE_INDENT.finditer(text, m.start(), m.end()):
            yield nl.start(), nl.end(), ""


def _delete(_text: str, parts: list[str]) -> str:
    return "".join(parts[::2])


def normalise(text: str) -> tuple[str, list[_OffsetMap]]:
    """The text to match on, and the maps back to ``text`` (apply them in order)."""
    maps: list[_OffsetMap | None] = []
    if "\x1b" in text or not text.isascii():
        text, found = _shrink(text, _DELETE, 0, _delete)
        maps.append(found)
    if "\x07" in text:  # BEL ends an OSC: a separator, one character for one
        text = text.replace("\x07", " ")
    if "%" in text:
        text, found = _shrink(text, _PERCENT, 3, _decode_percent)
        maps.append(found)
    text, found = _rewrite(text, _wrap_edits(text))
    maps.append(found)
    return text, [m for m in reversed(maps) if m is not None]


def fold(text: str) -> str:
    """Lower-case with one character per character, so positions match ``text``."""
    # U+0130 is the only code point whose lower case is two characters long.
    return text.lower() if text.isascii() else text.replace("\u0130", "I").lower()

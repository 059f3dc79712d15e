"""Cookie headers read as RFC 6265 writes them: where every cookie's value is.

``Cookie: a=1; b="2"`` sends several cookies on one line, a value may be quoted, and
``Set-Cookie`` follows its one cookie with attributes (``Path=/``, ``Expires=Wed, 21 Oct
2015 07:28:00 GMT``, ``HttpOnly``). Browsers export several ``Set-Cookie`` headers as one
value with a line per cookie, and some tools fold them with commas. Every value is found,
every name and attribute is left as it was; what replaces a value is the caller's choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Attribute names of Set-Cookie (RFC 6265 section 5.2, and the ones browsers added since).
ATTRIBUTES = frozenset(
    {
        "path",
        "domain",
        "expires",
        "max-age",
        "secure",
        "httponly",
        "samesite",
        "partitioned",
        "priority",
        "version",
        "comment",
        "sameparty",
    }
)
# One name=value pair. A quoted value counts as quoted only when the quotes close before the
# next separator; every run is possessive and stops at a separator, so a hostile line costs
# one pass.
_PAIR = {
    False: re.compile(
        r'(?P<name>[^=;\n\r]*+)(?:=[ \t]*+(?:"(?P<q>[^"\n\r;]*+)"(?=[ \t]*+(?:[;\n\r]|\Z))'
        r"|(?P<v>[^;\n\r]*+)))?"
    ),
    True: re.compile(
        r'(?P<name>[^=;,\n\r]*+)(?:=[ \t]*+(?:"(?P<q>[^"\n\r;,]*+)"(?=[ \t]*+(?:[;,\n\r]|\Z))'
        r"|(?P<v>[^;,\n\r]*+)))?"
    ),
}
# In Set-Cookie a comma starts a new cookie only when "name=" follows it; the comma inside
# an Expires date is followed by a day number, and belongs to the attribute.
_ATTR_TAIL = re.compile(r"(?>(?:,(?![ \t]*+[^=;,\s]++[ \t]*+=)[^;,\n\r]*+)*)")
_GAP = re.compile(r"[ \t;]++")


def value_spans(
    text: str, set_cookie: bool, start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` holding cookie values (quotes excluded), in order.

    ``text[start:end]`` is a Cookie (``set_cookie`` False) or Set-Cookie header value; it may
    span lines, one cookie header per line. A cookie without a name (``Cookie: abc``, a
    Set-Cookie line that starts without "=") is a value too, as browsers store it.
    """
    return list(_spans(text, set_cookie, start, len(text) if end is None else end, True))


def _spans(
    text: str, set_cookie: bool, pos: int, end: int, nameless: bool = False
) -> Iterator[tuple[int, int]]:
    first = True  # the next pair of a Set-Cookie is a cookie, not an attribute
    pair = _PAIR[set_cookie]
    while pos < end:
        ch = text[pos]
        if ch in "\n\r" or (set_cookie and ch == ","):
            first = True
            pos += 1
            continue
        gap = _GAP.match(text, pos, end)
        if gap is not None:
            pos = gap.end()
            continue
        m = pair.match(text, pos, end)
        assert m is not None  # every group is optional
        pos = max(m.end(), pos + 1)
        quoted, plain = m.group("q"), m.group("v")
        if quoted is None and plain is None:
            # A flag such as HttpOnly, or in a header a cookie without a name; in free text,
            # words that are not a pair.
            if nameless and (first or not set_cookie):
                s, e = m.span("name")
                while e > s and text[e - 1] in " \t":
                    e -= 1
                if e > s:
                    yield s, e
            first = False
            continue
        name = m.group("name").strip(" \t").lower()
        is_cookie = first or not set_cookie or name not in ATTRIBUTES
        first = False
        if not is_cookie:
            pos = _ATTR_TAIL.match(text, pos, end).end()  # type: ignore[union-attr]
            continue
        group = "q" if quoted is not None else "v"
        s, e = m.span(group)
        while e > s and text[e - 1] in " \t":
            e -= 1
        if e > s:
            yield s, e


def _line_end(text: str, pos: int, end: int) -> int:
    m = _EOL.search(text, pos, end)
    return m.start() if m else end


_EOL = re.compile(r"[\n\r]")


# A cookie header in free text: "Cookie: ...", "set-cookie: ...", '"cookie": "..."',
# "document.cookie = '...'". The value runs to the end of the line, or to the quote that
# closes it when it was opened by one.
# It starts with the literal, so ``re`` finds it fast; what precedes it is checked after.
_HEADER = re.compile(r"cookie2?(?P<q1>[\"']?)[ \t]{0,4}+[:=][ \t]{0,4}+(?P<q2>[\"']?)")
_WORD = re.compile(r"[\w\-]")
# A line that is nothing but a cookie with attributes continues a Set-Cookie header.
_COOKIE_LINE = re.compile(r"[ \t]*+[!#$%&'*+.^_`|~0-9A-Za-z\-]++=[^\s;,]*+(?>(?:;[^\n\r]*+)?)")


def text_spans(text: str, folded: str) -> Iterator[tuple[int, int]]:
    """Spans of cookie values in free text (``folded`` is ``text`` lower-cased)."""
    last = 0
    for m in _HEADER.finditer(folded):
        start = m.end()
        if m.start() < last:
            continue  # inside the header before: "cookie" there is a name or a value
        set_cookie = folded.endswith("set-", 0, m.start())
        before = m.start() - (4 if set_cookie else 0)
        if before and _WORD.match(folded, before - 1):
            continue  # "mycookie=", "x-cookie:"

        end = _line_end(text, start, len(text))
        quote = m.group("q2") or (text[m.start() - 1] if m.start() and not m.group("q1") else "")
        if quote in ("'", '"'):
            close = _closing_quote(text, quote, start, end)
            end = close if close >= 0 else end
        if set_cookie:  # the lines after it that are cookies themselves belong to it
            while end < len(text) and text[end] == "\n":
                line = _COOKIE_LINE.match(text, end + 1)
                if line is None or line.end() != _line_end(text, end + 1, len(text)):
                    break
                end = line.end()
        last = end
        yield from _spans(text, set_cookie, start, end)


def _closing_quote(text: str, quote: str, start: int, end: int) -> int:
    pos = text.find(quote, start, end)
    while pos > 0 and text[pos - 1] == "\\":
        pos = text.find(quote, pos + 1, end)
    return pos

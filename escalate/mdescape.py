"""Markdown escaping: values from a report can never change the document's structure.

Every value a template prints is escaped for inline Markdown unless a filter here has
already made it safe (:class:`MdSafe`). ``codeblock`` picks a fence longer than any
backtick run inside, so pasted error text cannot close its block.
"""

from __future__ import annotations

import re

# Characters that can start or end Markdown constructs inline, or HTML.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\s*)(\d{1,9}(?=[.)](?:\s|$))|(?=[-+=](?:\s|$))|(?=#))")
_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+;)")
_BACKTICKS = re.compile(r"`+")
_ALLOWED_HTML = re.compile(r"</?(sub|sup|br|kbd|details|summary)\s*/?>", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class MdSafe(str):
    """Text already safe to place in Markdown (built by a filter, not by a user)."""

    __slots__ = ()


def escape_inline(value: object) -> MdSafe:
    """Escape a value for inline Markdown; new lines fold to spaces."""
    if isinstance(value, MdSafe):
        return value
    if value is None:
        return MdSafe("")
    if isinstance(value, bool):
        return MdSafe("yes" if value else "no")
    if isinstance(value, list | tuple):
        return MdSafe(", ".join(escape_inline(v) for v in value))
    text = " ".join(str(value).split("\n"))
    text = _INLINE.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&\1", text)
    # A value placed at the start of a line must not become a list item or heading rule.
    return MdSafe(_LINE_START.sub(r"\1\2\\", text, count=1))


def codeblock(value: object, lang: str = "text") -> MdSafe:
    """A fenced code block that no content can close early."""
    text = "" if value is None else str(value)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    info = re.sub(r"[^A-Za-z0-9_+-]", "", lang)
    return MdSafe(f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}")


def code(value: object) -> MdSafe:
    """An inline code span that no content can close early."""
    text = " ".join(("" if value is None else str(value)).split("\n"))
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return MdSafe(f"{ticks}{pad}{text}{pad}{ticks}")


def checkbox(done: object) -> MdSafe:
    """A task-list box."""
    return MdSafe("[x]" if done else "[ ]")


def neutralise(markdown: str) -> str:
    """Make template-authored HTML and remote images visible and inert.

    Outside code, ``<`` that starts anything but a short allow-list of tags is escaped (so
    an HTML comment or ``<img>`` shows as text) and remote images become plain links, so
    previewing the submission never loads a URL that could carry the reporter's data.
    """
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        out.append(_neutralise_line(line))
    return "\n".join(out)


def _neutralise_line(line: str) -> str:
    parts = re.split(r"(`+[^`]*?`+)", line)
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        text = parts[i]
        text = re.sub(r"!\[([^\]]*)\]\(\s*<?(?:https?:)?//[^)]*\)", r"[remote image removed: \1]", text)
        text = _escape_html(text)
        parts[i] = text
    return "".join(parts)


def _escape_html(text: str) -> str:
    result: list[str] = []
    pos = 0
    for m in re.finditer(r"(?<!\\)<", text):
        result.append(text[pos : m.start()])
        allowed = _ALLOWED_HTML.match(text, m.start())
        result.append("<" if allowed else "&lt;")
        pos = m.end()
    result.append(text[pos:])
    return "".join(result)

"""The submission as plain text for a chat box: ``message.txt``, or parts of it.

A support chat box shows Markdown as raw markup (table rules, ``<sub>``, image syntax), so
the text is drawn from the same Markdown tree the PDF uses, with none of that syntax. The
exact error stays verbatim, line for line. A chat box also has a length limit: the text is
split at paragraph boundaries (at line boundaries only inside a block longer than a part)
into parts that each start with a "(1/3)" marker, and the parts without their markers put
back together are the whole text again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from escalate.render.pdf import Node, markdown_to_tree

DEFAULT_CHAT_LIMIT = 4000
MIN_CHAT_LIMIT = 200
MESSAGE = "message.txt"
_MARKER = re.compile(r"\A\((\d+)/(\d+)\)\n\n")
_PART_NAME = re.compile(r"\Amessage-(\d+)\.txt\Z")


def markdown_to_text(markdown: str) -> str:
    """Plain text of the submission: no table rules, no HTML, no image or link syntax."""
    blocks = _blocks(markdown_to_tree(markdown))
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


def message_files(markdown: str, limit: int = DEFAULT_CHAT_LIMIT) -> dict[str, bytes]:
    """``message.txt``, or ``message-1.txt``… when the text is longer than ``limit``."""
    parts = split_message(markdown_to_text(markdown), limit)
    if len(parts) == 1:
        return {MESSAGE: parts[0].encode()}
    return {f"message-{i}.txt": part.encode() for i, part in enumerate(parts, 1)}


def part_names(names: Sequence[str]) -> list[str]:
    """The message files among ``names``, in reading order."""
    if MESSAGE in names:
        return [MESSAGE]
    numbered = [(int(m.group(1)), n) for n in names if (m := _PART_NAME.match(n))]
    return [n for _, n in sorted(numbered)]


def join_parts(parts: Sequence[str]) -> str:
    """The whole text again from its parts (their "(i/n)" markers removed)."""
    if len(parts) == 1:
        return parts[0]
    return "".join(_MARKER.sub("", p, count=1) for p in parts)


def split_message(text: str, limit: int = DEFAULT_CHAT_LIMIT) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` characters, markers included."""
    if len(text) <= limit:
        return [text]
    count = 2
    while True:  # the marker grows with the number of parts; settle on a count that fits
        room = limit - len(_marker(count, count))
        pieces = _pack(_units(text, room), room)
        if len(pieces) <= count:
            return [_marker(i, len(pieces)) + p for i, p in enumerate(pieces, 1)]
        count = len(pieces)


def _marker(index: int, total: int) -> str:
    return f"({index}/{total})\n\n"


def _units(text: str, room: int) -> list[str]:
    """Slices of ``text`` (in order, together the whole text) each at most ``room`` long.

    Paragraphs first; a paragraph that does not fit is cut after a line, and a line that
    does not fit after a space (or, when it has none, anywhere).
    """
    units: list[str] = []
    for para in _cut(text, "\n\n"):
        if len(para) <= room:
            units.append(para)
            continue
        for line in _cut(para, "\n"):
            if len(line) <= room:
                units.append(line)
                continue
            units.extend(_hard(line, room))
    return units


def _cut(text: str, sep: str) -> list[str]:
    """``text`` cut just after each ``sep``; the pieces join back to ``text``."""
    pieces = text.split(sep)
    return [p + sep for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def _hard(line: str, room: int) -> list[str]:
    out: list[str] = []
    while len(line) > room:
        cut = line.rfind(" ", 0, room) + 1 or room
        out.append(line[:cut])
        line = line[cut:]
    if line:
        out.append(line)
    return out


def _pack(units: list[str], room: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + len(unit) > room:
            parts.append(current)
            current = ""
        current += unit
    if current:
        parts.append(current)
    return parts


# --- Markdown tree → text -----------------------------------------------------------------


def _blocks(nodes: Sequence[Node], indent: str = "") -> list[str]:
    return [text for node in nodes if (text := _block(node, indent))]


def _block(node: Node, indent: str) -> str:
    kind = node["t"]
    if kind in ("heading", "para"):
        return indent + _inline(node["c"]).strip()
    if kind == "code":  # verbatim: the exact error, not one character changed
        return str(node["text"])
    if kind == "list":
        return "\n".join(_item(node, i, item, indent) for i, item in enumerate(node["items"]))
    if kind == "table":
        return "\n".join(indent + row for row in _table(node))
    if kind == "quote":
        return "\n\n".join(_blocks(node["c"], indent + "  "))
    return ""


def _item(lst: Node, index: int, item: Node, indent: str) -> str:
    bullet = f"{lst['start'] + index}." if lst["ordered"] else "-"
    box = {True: "[x] ", False: "[ ] ", None: ""}[item["task"]]
    inner = _blocks(item["c"], indent + "  ")
    first = inner[0].removeprefix(indent + "  ") if inner else ""
    return "\n".join([f"{indent}{bullet} {box}{first}", *inner[1:]])


def _table(node: Node) -> list[str]:
    head = [_inline(c).strip() for c in node["head"]]
    rows = [[_inline(c).strip() for c in row] for row in node["rows"]]
    if len(head) == 2 or not any(head):  # a field table: "Label: value"
        return [": ".join(c for c in row if c) for row in rows]
    return [" · ".join(f"{h}: {c}" if h else c for h, c in zip(head, row, strict=False) if c)
            for row in rows]


def _inline(nodes: Sequence[Node]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node["t"]
        if kind in ("text", "code"):
            out.append(str(node["text"]))
        elif kind == "br":
            out.append("\n")
        elif kind == "link":
            label = _inline(node["c"])
            href = str(node["href"]).removeprefix("mailto:")
            out.append(label if node.get("bare") or label == href else f"{label} ({href})")
        elif kind == "image":
            continue  # the attachment list names the file; the picture cannot be pasted
        elif "c" in node:
            out.append(_inline(node["c"]))
    return "".join(out)

"""Markdown escaping: values from a report can never change the document's structure.

Every value a template prints is escaped for inline Markdown unless a filter here has
already made it safe (:class:`MdSafe`). ``codeblock`` picks a fence longer than any
backtick run inside, so pasted error text cannot close its block.
"""

from __future__ import annotations

import re

from escalate.errors import TemplateError

# Characters that can start or end Markdown constructs inline, or HTML.
_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LINE_START = re.compile(r"^(\s*)(\d{1,9}(?=[.)](?:\s|$))|(?=[-+=](?:\s|$))|(?=#))")
_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+;)")
_BACKTICKS = re.compile(r"`+")
_ALLOWED_HTML = re.compile(r"</?(sub|sup|br|kbd|details|summary)\s*/?>", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A code span closes only with a backtick run of exactly the opening length.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")
_LOCAL_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
_LOCAL_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*[A-Za-z0-9][A-Za-z0-9._-]{0,200}\s*\)")
_REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?(?:[A-Za-z][A-Za-z0-9+.-]*:|//)[^)]*\)")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


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


def neutralise(markdown: str, verify: bool = True) -> str:
    """Make template-authored HTML, remote images and bidi controls visible and inert.

    Outside code, ``<`` that starts anything but a short allow-list of bare tags is escaped
    (so an HTML comment or ``<img>`` shows as text), an image may only show a file of the
    bundle (a remote one becomes visible text, so previewing the submission never loads a
    URL that could carry the reporter's data), and bidi controls are spelled out. The
    result is then parsed the way the PDF renderer parses it; if anything active is still
    there (a construct this line-based pass misread), every ``<`` and ``![`` is escaped;
    ``verify=False`` skips that parse for the built-in templates.
    """
    text = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", markdown)
    soft = _neutralise_pass(text, strict=False)
    if not verify or _is_inert(soft):
        return soft
    hard = _neutralise_pass(text, strict=True)
    if _is_inert(hard):
        return hard

    raise TemplateError("the template's output still holds active HTML or images after escaping")


def _neutralise_pass(markdown: str, strict: bool) -> str:
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        if strict:
            out.append(_neutralise_text(line))
            continue
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
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(line):
        if _escaped(line, m.start()):
            continue
        out.append(_neutralise_text(line[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(_neutralise_text(line[pos:]))
    return "".join(out)


def _neutralise_text(text: str) -> str:
    text = _REMOTE_IMAGE.sub(r"[remote image removed: \1]", text)
    result: list[str] = []
    pos = 0
    for m in re.finditer(r"<|!\[", text):
        if _escaped(text, m.start()):
            continue
        result.append(text[pos : m.start()])
        if m.group() == "<":
            result.append("<" if _ALLOWED_HTML.match(text, m.start()) else "&lt;")
        else:
            result.append("![" if _LOCAL_IMAGE.match(text, m.start()) else "!\\[")
        pos = m.end()
    result.append(text[pos:])
    return "".join(result)


def _escaped(text: str, index: int) -> bool:
    """True when the character at ``index`` follows an odd run of backslashes."""
    run = 0
    while index - run - 1 >= 0 and text[index - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _is_inert(markdown: str) -> bool:
    """Parse as the PDF renderer does: no HTML but the allow-list, no non-local image."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # cannot check: only the strict pass is trusted
        return "<" not in _ALLOWED_HTML.sub("", markdown) and "![" not in markdown
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    stack = list(md.parse(markdown))
    while stack:
        token = stack.pop()
        stack += token.children or []
        is_html = token.type in ("html_inline", "html_block")
        if is_html and "<" in _ALLOWED_HTML.sub("", token.content):
            return False
        src = str(token.attrGet("src") or "") if token.type == "image" else ""
        if token.type == "image" and not _LOCAL_TARGET.fullmatch(src):
            return False
    return True

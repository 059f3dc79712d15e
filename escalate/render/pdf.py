"""PDF from the submission Markdown: Markdown AST → JSON tree → one Typst theme → tagged PDF.

The Markdown is parsed with markdown-it-py into a tree of plain JSON nodes
(:func:`markdown_to_tree`). The tree reaches Typst only as data, through ``sys.inputs``;
no user text is ever spliced into Typst source, so pasted error text such as
``#set page(fill: red)`` is drawn, never run. ``templates/_pdf/theme.typ`` draws any tree.

Fonts: Inter (sans) and JetBrains Mono (mono) ship in ``templates/_pdf/fonts`` with their
licences, so Latin text looks the same on every machine. System fonts are ignored (a
user's own "Inter" must not change the output, and scanning hundreds of fonts costs time);
only a few well-known CJK/emoji font folders are added when present, as fallbacks for
glyphs the bundled fonts lack (Debian/Ubuntu ``fonts-noto-cjk``, Fedora, Arch, macOS
system fonts, Windows fonts). Without any of them CJK text shows as missing glyphs.

Images: only files handed in ``images`` (the bundle's own, e.g. ``screenshot.png``) are
drawn; any other image reference, local or remote, becomes the text ``[image: URL]``.
Nothing is fetched. Typst's root is a fresh temporary folder holding only the theme,
those images and ``report.json``, which the theme attaches to the PDF.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from escalate.errors import RenderError
from escalate.text import clean_text

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

Node = dict[str, Any]

#: The accessibility standard tried first; the PDF falls back to plain tagged PDF without it.
PDF_STANDARD: Final = "ua-1"

_THEME = "theme.typ"
_TASK = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")
_TAG = re.compile(r"<[^>]*>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# HTML tags that only change the size of text; everything else is dropped, never interpreted.
_SMALL_TAGS = frozenset({"sub", "sup", "small"})
_HTML_NAME = re.compile(r"^<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)\s*>$")
_RASTER_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
# Folders that hold CJK/emoji fonts on common systems: small enough to scan on each render.
_FALLBACK_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/truetype/noto",  # Debian/Ubuntu fonts-noto-color-emoji
    "/usr/share/fonts/google-noto-cjk",  # Fedora
    "/usr/share/fonts/google-noto-sans-cjk-vf-fonts",  # Fedora 39+
    "/usr/share/fonts/noto-cjk",  # Arch
    "/usr/share/fonts/truetype/wqy",  # fonts-wqy-microhei / zenhei
    "/System/Library/Fonts",  # macOS (PingFang, Hiragino, Apple Color Emoji)
    "C:/Windows/Fonts",  # Windows (Microsoft YaHei, Yu Gothic, Malgun Gothic)
)


PdfError = RenderError


@dataclass(frozen=True, slots=True)
class PdfResult:
    """A rendered PDF and the standard it claims (``"ua-1"``), or None for tagged PDF only."""

    data: bytes
    standard: str | None


def templates_root() -> Path:
    """The built-in templates folder: inside the installed package, else the dev checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def theme_dir() -> Path:
    """The folder with the Typst theme and its bundled fonts."""
    return templates_root() / "_pdf"


# ---------------------------------------------------------------------------------------
# Markdown → tree


def markdown_to_tree(markdown: str) -> list[Node]:
    """Parse Markdown (CommonMark + tables + strikethrough) into a list of plain block nodes.

    Block nodes: ``heading`` (level, c), ``para`` (c), ``list`` (ordered, start, tight,
    items: [{task: bool|None, c: blocks}]), ``table`` (align, head, rows), ``code`` (lang,
    text), ``quote`` (c), ``hr``. Inline nodes: ``text`` (text), ``strong``/``emph``/
    ``strike``/``small`` (c), ``code`` (text), ``link`` (href, c), ``image`` (src, alt),
    ``br``. Raw HTML becomes plain text with its tags removed.
    """
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    root = SyntaxTreeNode(md.parse(clean_text(markdown)))
    return _blocks(root.children)


def _blocks(nodes: Sequence[SyntaxTreeNode]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        block = _block(node)
        if block is not None:
            out.append(block)
    return out


def _block(node: SyntaxTreeNode) -> Node | None:
    kind = node.type
    if kind == "heading":
        return {"t": "heading", "level": int(node.tag[1:]), "c": _inline_of(node)}
    if kind == "paragraph":
        return {"t": "para", "c": _inline_of(node)}
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "table":
        return _table(node)
    if kind in ("fence", "code_block"):
        lang = node.info.strip().split(" ")[0] if node.info else ""
        return {"t": "code", "lang": lang, "text": node.content.removesuffix("\n")}
    if kind == "blockquote":
        return {"t": "quote", "c": _blocks(node.children)}
    if kind == "hr":
        return {"t": "hr"}
    if kind == "html_block":
        text = _strip_html(node.content).strip()
        return {"t": "para", "c": [{"t": "text", "text": text}]} if text else None
    return None


def _list(node: SyntaxTreeNode) -> Node:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    items: list[Node] = []
    tight = True
    for item in node.children:
        blocks = _blocks(item.children)
        tight = tight and all(c.hidden for c in item.children if c.type == "paragraph")
        items.append({"task": _take_task(blocks), "c": blocks})
    return {"t": "list", "ordered": ordered, "start": start, "tight": tight, "items": items}


def _take_task(blocks: list[Node]) -> bool | None:
    """Detect a GitHub task item (``[x] text``) and remove its box from the text."""
    if not blocks or blocks[0]["t"] != "para" or not blocks[0]["c"]:
        return None
    first = blocks[0]["c"][0]
    if first["t"] != "text":
        return None
    match = _TASK.match(first["text"])
    if match is None:
        return None
    first["text"] = first["text"][match.end() :]
    return match.group(1) != " "


def _table(node: SyntaxTreeNode) -> Node:
    head: list[list[Node]] = []
    rows: list[list[list[Node]]] = []
    align: list[str] = []
    for section in node.children:
        for row in section.children:
            cells = [_inline_of(cell) for cell in row.children]
            if section.type == "thead":
                head = cells
                align = [_align(cell) for cell in row.children]
            else:
                rows.append(cells)
    # Column shares by content length, so a long URL column gets the room and a status
    # column does not: auto widths cannot shrink cells made of per-character boxes.
    columns = max([len(head), *(len(r) for r in rows)], default=0)
    widths = [
        min(48, max(7, *(_plain_len(r[i]) for r in [head, *rows] if i < len(r))))
        for i in range(columns)
    ]
    return {"t": "table", "align": align, "head": head, "rows": rows, "widths": widths}


def _plain_len(nodes: Sequence[Node]) -> int:
    total = 0
    for n in nodes:
        text = n.get("text")
        total += len(text) if isinstance(text, str) else 0
        children = n.get("c")
        if isinstance(children, list):
            total += _plain_len(children)
    return total


def _align(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    for side in ("left", "center", "right"):
        if side in style:
            return side
    return "auto"


def _inline_of(node: SyntaxTreeNode) -> list[Node]:
    inline = [c for c in node.children if c.type == "inline"]
    return _inlines(inline[0].children) if inline else []


def _inlines(nodes: Sequence[SyntaxTreeNode]) -> list[Node]:
    # Raw HTML arrives as separate open/close tokens; a stack pairs the few we keep.
    out: list[Node] = []
    stack: list[tuple[str, list[Node]]] = []
    for node in nodes:
        html_tag = _html_tag(node.content) if node.type == "html_inline" else None
        if html_tag is not None:
            closing, name = html_tag
            if not closing:
                stack.append((name, out))
                out = []
            elif any(name == open_name for open_name, _ in stack):
                while stack:
                    open_name, parent = stack.pop()
                    parent.append({"t": "small", "c": out})
                    out = parent
                    if open_name == name:
                        break
            continue
        inline = _inline(node)
        if inline is not None:
            out.append(inline)
    while stack:  # unclosed tags: keep their text
        _, parent = stack.pop()
        parent.append({"t": "small", "c": out})
        out = parent
    return out


def _html_tag(raw: str) -> tuple[bool, str] | None:
    """(closing, name) for a ``<sub>``-like tag that changes text size, else None."""
    match = _HTML_NAME.match(raw.strip())
    if match is None or match.group(3) or match.group(2).lower() not in _SMALL_TAGS:
        return None
    return bool(match.group(1)), match.group(2).lower()


def _inline(node: SyntaxTreeNode) -> Node | None:
    kind = node.type
    if kind == "text":
        return {"t": "text", "text": node.content}
    if kind == "softbreak":
        return {"t": "text", "text": " "}
    if kind == "hardbreak":
        return {"t": "br"}
    if kind == "code_inline":
        return {"t": "code", "text": node.content}
    if kind in ("strong", "em", "s"):
        name = {"strong": "strong", "em": "emph", "s": "strike"}[kind]
        return {"t": name, "c": _inlines(node.children)}
    if kind == "link":
        href = str(node.attrs.get("href", ""))
        label = "".join(_plain(c) for c in node.children)
        bare = label in (href, href.removeprefix("mailto:"))
        return {"t": "link", "href": href, "bare": bare, "c": _inlines(node.children)}
    if kind == "image":
        alt = "".join(_plain(c) for c in node.children)
        return {"t": "image", "src": str(node.attrs.get("src", "")), "alt": alt}
    if kind == "html_inline":
        text = _strip_html(node.content)
        if node.content.strip().lower().startswith("<br"):
            return {"t": "br"}
        return {"t": "text", "text": text} if text else None
    return None


def _plain(node: SyntaxTreeNode) -> str:
    if node.type in ("text", "code_inline"):
        return node.content
    return "".join(_plain(c) for c in node.children)


def _strip_html(raw: str) -> str:
    return html.unescape(_TAG.sub("", _COMMENT.sub("", raw)))


# ---------------------------------------------------------------------------------------
# tree → PDF


def render_pdf(
    markdown: str,
    *,
    report_json: bytes,
    report_id: str,
    generated_at: datetime,
    title: str,
    author: str | None,
    images: Mapping[str, bytes] | None = None,
) -> PdfResult:
    """Render the submission Markdown to a tagged PDF with ``report.json`` attached.

    PDF/UA-1 is tried first; if Typst refuses it, a plain tagged PDF is made instead and
    ``PdfResult.standard`` is None. The same input always gives the same bytes: the PDF's
    dates come from ``generated_at`` (a naive datetime is taken as UTC).
    """
    import typst

    when = generated_at if generated_at.tzinfo else generated_at.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    theme = theme_dir()
    if not (theme / _THEME).is_file():
        raise PdfError(f"the PDF theme is missing: {theme / _THEME}", "reinstall escalate")
    with tempfile.TemporaryDirectory(prefix="escalate-pdf-") as tmp:
        root = Path(tmp)
        shutil.copyfile(theme / _THEME, root / _THEME)
        (root / "report.json").write_bytes(report_json)
        tree = _place_images(markdown_to_tree(markdown), images or {}, root)
        _nest_headings(tree)
        meta = {
            "title": clean_text(title).strip() or "Support submission",
            "author": clean_text(author).strip() if author else "",
            "report_id": clean_text(report_id),
            "generated": when.strftime("%Y-%m-%d %H:%M UTC"),
        }
        inputs = {
            "doc": json.dumps(tree, ensure_ascii=False),
            "meta": json.dumps(meta, ensure_ascii=False),
        }
        source = str(root / _THEME)
        fonts = [str(p) for p in _font_dirs(theme)]
        stamp = int(when.timestamp())

        def compile_pdf(standard: Literal["ua-1"] | None) -> bytes:
            return typst.compile(
                source,
                root=str(root),
                font_paths=fonts,
                ignore_system_fonts=True,
                sys_inputs=inputs,
                pdf_standards=standard,
                timestamp=stamp,
            )

        try:
            return PdfResult(compile_pdf(PDF_STANDARD), PDF_STANDARD)
        except typst.TypstError:
            pass  # the standard's extra checks failed; a tagged PDF without the claim follows
        try:
            return PdfResult(compile_pdf(None), None)
        except typst.TypstError as exc:
            raise PdfError(f"the PDF could not be rendered: {_first_line(exc)}") from exc


def _font_dirs(theme: Path) -> list[Path]:
    return [theme / "fonts", *(p for p in map(Path, _FALLBACK_FONT_DIRS) if p.is_dir())]


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "message", "") or exc)
    return message.strip().splitlines()[0] if message.strip() else type(exc).__name__


def _place_images(tree: list[Node], images: Mapping[str, bytes], root: Path) -> list[Node]:
    """Write the bundle's own images into ``root``; every other image becomes text."""
    known = {_image_key(name): data for name, data in images.items()}
    written: dict[str, str] = {}

    def visit(node: Node) -> Node:
        if node.get("t") == "image":
            src = str(node["src"])
            key = _image_key(src)
            data = known.get(key)
            ext = _raster_ext(data) if data is not None and "://" not in src else None
            if data is None or ext is None:
                return {"t": "text", "text": f"[image: {src}]"}
            if key not in written:
                written[key] = f"image-{len(written) + 1}.{ext}"
                (root / written[key]).write_bytes(data)
            return {"t": "image", "path": written[key], "alt": node["alt"] or key}
        out = dict(node)
        for field in ("c", "items"):
            if isinstance(out.get(field), list):
                out[field] = [visit(child) for child in out[field]]
        for field in ("head",):
            if isinstance(out.get(field), list):
                out[field] = [[visit(c) for c in cell] for cell in out[field]]
        if isinstance(out.get("rows"), list):
            out["rows"] = [[[visit(c) for c in cell] for cell in row] for row in out["rows"]]
        return out

    return [visit(block) for block in tree]


def _nest_headings(blocks: list[Node], previous: int = 0) -> int:
    """Keep each heading's look (``style``) but never let its level skip one (PDF/UA-1)."""
    for block in blocks:
        if block["t"] == "heading":
            block["style"] = block["level"]
            block["level"] = previous = min(block["level"], previous + 1)
        for child in block.get("c", []) if block["t"] == "quote" else []:
            previous = _nest_headings([child], previous)
        for item in block.get("items", []):
            previous = _nest_headings(item["c"], previous)
    return previous


def _image_key(name: str) -> str:
    return name.strip().removeprefix("./")


def _raster_ext(data: bytes) -> str | None:
    for magic, ext in _RASTER_MAGIC:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None

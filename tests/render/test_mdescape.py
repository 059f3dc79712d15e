"""Markdown escaping and the neutralising pass over template output."""

from __future__ import annotations

import pytest

from escalate.render.escape import _is_inert, code, codeblock, escape_inline, neutralise


def test_inline_escaping_keeps_structure() -> None:
    assert escape_inline("a | b <b> *x* [l](u)") == "a \\| b \\<b\\> \\*x\\* \\[l\\](u)"
    assert escape_inline("# head\nline") == "\\# head line"
    assert escape_inline("1. item") == "1\\. item"
    assert escape_inline("- x") == "\\- x"
    assert escape_inline(["a", "b|c"]) == "a, b\\|c"
    assert escape_inline(True) == "yes" and escape_inline(None) == ""


def test_code_cannot_be_closed_early() -> None:
    text = "x ```` y"
    assert codeblock(text) == "`````text\nx ```` y\n`````"
    assert code("a`b") == "``a`b``"
    assert code("`edge`") == "`` `edge` ``"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<!-- a@b.c -->", "&lt;!-- a@b.c -->"),
        ("\\\\<!-- x -->", "\\\\&lt;!-- x -->"),  # an escaped backslash does not escape <
        ("\\<b>", "\\<b>"),  # already escaped stays as it is
        ("![s](https://e.example/p.png?d=a@b.c)", "[remote image removed: s]"),
        ("![s](//e.example/p.png)", "[remote image removed: s]"),
        ("![s](data:image/png;base64,AAAA)", "[remote image removed: s]"),
        ("![s](screenshot.png)", "![s](screenshot.png)"),
        ("![s][r]\n\n[r]: https://e.example/x", "!\\[s][r]\n\n[r]: https://e.example/x"),
        ("`code <b>` <i>x</i>", "`code <b>` &lt;i>x&lt;/i>"),
        ("`a <!-- e --> ``", "`a &lt;!-- e --> ``"),  # unequal ticks: not a code span
        ("```text\n<script>\n```", "```text\n<script>\n```"),
        ("<sub>ok</sub> <br>", "<sub>ok</sub> <br>"),
        ('<sub onclick="x">', '&lt;sub onclick="x">'),
        ("<img src=x>", "&lt;img src=x>"),
        ("<https://e.example/?a@b.c>", "&lt;https://e.example/?a@b.c>"),
        ("x \u202eexe.txt \u2066y", "x [U+202E]exe.txt [U+2066]y"),
    ],
)
def test_neutralise(source: str, expected: str) -> None:
    assert neutralise(source) == expected
    assert _is_inert(neutralise(source))


@pytest.mark.parametrize(
    "tricky",
    [
        "`a\nb` <!-- x --> `c`",  # a code span across lines fools a line-based pass
        "``` a`b\n<!-- x -->\n```",  # not a fence: backtick in the info string
        "> ```\n<!-- x -->",
        "- item\n\n      ```\n<img src=https://e.example/x>",
    ],
)
def test_neutralise_falls_back_to_escaping_everything(tricky: str) -> None:
    out = neutralise(tricky)
    assert _is_inert(out)
    assert "&lt;" in out


def test_user_error_text_in_a_block_stays_verbatim() -> None:
    md = "## Exact error\n" + codeblock("<script>alert(1)</script> <!-- hi -->") + "\n"
    assert neutralise(md) == md

"""Compiled built-in templates are cached between runs; a bad cache never breaks a render."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from escalate.render.markdown import render_markdown
from escalate.templating.discovery import DEFAULT_TEMPLATE, load_template, search_path
from tests.cli.test_docs_golden import sample_report
from tests.harness import run, write_answers


def _render(cache: Path | None) -> str:
    template = load_template(DEFAULT_TEMPLATE, search_path())
    return render_markdown(sample_report(), template, cache)


def test_the_second_render_loads_what_the_first_compiled(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = _render(None)
    assert _render(cache) == expected
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".jinja"
    assert os.stat(cache).st_mode & 0o777 == 0o700
    # Prove the cached code is what runs: mark it, and the mark shows in the output.
    original = files[0].read_bytes()
    marked = original.replace(b"Already tried", b"Already TRIED")
    assert marked != original
    files[0].write_bytes(marked)
    assert "## Already TRIED" in _render(cache)


@pytest.mark.parametrize("damage", [b"", b"garbage", b"j2" + b"\x00" * 40])
def test_a_damaged_cache_file_is_compiled_again(tmp_path: Path, damage: bytes) -> None:
    cache = tmp_path / "cache"
    expected = _render(cache)
    entry = next(cache.iterdir())
    entry.write_bytes(damage)
    assert _render(cache) == expected
    assert entry.read_bytes() != damage  # rewritten with good code


def test_an_unusable_cache_folder_only_makes_it_slower(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    assert _render(blocker) == _render(None)
    assert blocker.read_text() == "a file where the folder should be"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert _render(link) == _render(None)
    assert not (tmp_path / "elsewhere").exists()  # no cache written through a link


def test_new_fills_the_cache_under_the_user_cache_folder(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    result = run("new", "--yes", "--no-screenshot", "--format", "md", "--answers", str(answers),
                 "--out", str(tmp_path / "b"))
    assert result.code == 0, result.err
    cache = Path(os.environ["ESCALATE_HOME"]) / "cache" / "templates"
    assert [p.suffix for p in cache.iterdir()] == [".jinja"]

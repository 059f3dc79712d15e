"""The sandbox's own guarantees: loader, plain-data context, time and memory limits."""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate.errors import TemplateError
from escalate.templating.engine import evaluate_condition, render_string
from escalate.templating.isolation import RENDER_TIMEOUT, run_limited
from escalate.templating.sandbox import (
    MAX_TEMPLATE_BYTES,
    SafeLoader,
    check_context,
    make_environment,
    produce,
)
from tests.conftest import HANG_GUARD

BOMBS = {
    "nested loops": "{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}"
    "{% endfor %}",
    # Three levels: two (10^8 empty iterations) can finish inside the limit on a fast Python.
    "silent nested loops": "{% for i in range(10000) %}{% for j in range(10000) %}"
    "{% for k in range(10000) %}{% endfor %}{% endfor %}{% endfor %}",
    "recursive macro": "{% macro r(n) %}{{ r(n + 1) }}{{ r(n + 2) }}{% endmacro %}{{ r(1) }}",
    "doubling by repetition": "{% macro m(s) %}{{ m(s * 2) }}{% endmacro %}{{ m('a') }}",
    "doubling by ~": "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}"
    "{% endif %}{% endmacro %}{{ d('ab', 60) }}",
    "join of a million": "{% set s = 'a' * 1000000 %}{{ ([s] * 1000)|join|length }}",
    "loop of growing strings": "{% for i in range(10000) %}{% for j in range(10000) %}"
    "{{ 'x' * 1000000 }}{% endfor %}{% endfor %}",
}


def rendered(source: str, **context: object) -> str:
    return run_limited(lambda: produce(make_environment().from_string(source), context))


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("name", list(BOMBS))
def test_bombs_stop_fast_with_one_line(name: str) -> None:
    before = maxrss()
    start = time.monotonic()
    with pytest.raises(TemplateError) as info:
        rendered(BOMBS[name])
    # Stopped by a limit, not run to the end (minutes or hours); how soon is the bench's
    # "template bomb" case. The bound only guards against a hang.
    assert time.monotonic() - start < RENDER_TIMEOUT + HANG_GUARD
    assert "\n" not in info.value.message
    assert maxrss() - before < 256 * 1024 * 1024  # the parent never pays for the bomb


def test_child_memory_is_really_capped() -> None:
    # 200 MB is fine inside the child's budget; 600 MB is refused by RLIMIT_AS.
    ok = rendered("{% set s = 'a' * 1000000 %}{{ ([s] * 200)|join|length }}")
    assert ok == "200000000"
    with pytest.raises(TemplateError, match=r"MemoryError|memory"):
        rendered("{% set s = 'a' * 1000000 %}{{ ([s] * 600)|join|length }}")


def test_plain_expressions_still_work() -> None:
    assert rendered("{{ 7 * 7 }} {{ '%-5s|' % 'ab' }} {{ range(3)|list }} {{ dict(a=1).a }}") == (
        "49 ab   | [0, 1, 2] 1"
    )
    assert rendered("{{ x|upper }}", x="hi") == "HI"
    with pytest.raises(TemplateError, match="undefined"):
        rendered("{{ nope }}")


def test_loader_refuses_links_escapes_and_big_files(tmp_path: Path) -> None:
    from jinja2.exceptions import TemplateNotFound

    root = tmp_path / "t"
    (root / "inc").mkdir(parents=True)
    (tmp_path / "secret").write_text("s3cret")
    (root / "ok.j2").write_text("fine")
    (root / "link.j2").symlink_to(tmp_path / "secret")
    (root / "dirlink").symlink_to(tmp_path)
    (root / "big.j2").write_text("x" * (MAX_TEMPLATE_BYTES + 1))
    (root / "latin1.j2").write_bytes(b"caf\xe9")
    os.mkfifo(root / "fifo.j2")
    loader = SafeLoader([root])
    env = make_environment([root])
    assert loader.get_source(env, "ok.j2")[0] == "fine"
    for name, needle in [
        ("link.j2", "symbolic link"),
        ("dirlink/secret", "symbolic link"),
        ("../secret", "not allowed"),
        ("/etc/passwd", "not allowed"),
        ("inc/../../secret", "not allowed"),
        ("C:/x", "not allowed"),
        ("big.j2", "byte limit"),
        ("latin1.j2", "not UTF-8"),
    ]:
        with pytest.raises(TemplateError, match=needle):
            loader.get_source(env, name)
    with pytest.raises(TemplateNotFound):
        loader.get_source(env, "fifo.j2")


def test_context_must_be_plain_data() -> None:
    from escalate.model import Environment

    check_context({"a": [1, 2.5, None, True, {"b": ("x",)}]})
    for bad, where in [
        ({"p": Path("/")}, "p"),
        ({"f": print}, "f"),
        ({"x": {"env": Environment()}}, "x.env"),
        ({"l": [datetime.now(UTC)]}, "l[0]"),
        ({"k": {1: "a"}}, "k"),
    ]:
        with pytest.raises(TemplateError, match=f"{where.replace('[', '.').replace(']', '.')}"):
            check_context(bad)


def test_question_defaults_and_conditions_run_sandboxed() -> None:
    assert render_string("{{ email.split('@')[1] }}", {"email": "a@b.org"}) == "b.org"
    assert evaluate_condition("scope == 'all_chats'", {"scope": "all_chats"}) is True
    assert evaluate_condition("missing.deeper == 1", {}) is False
    start = time.monotonic()
    with pytest.raises(TemplateError, match="longer than"):
        render_string(BOMBS["silent nested loops"], {})
    assert time.monotonic() - start < RENDER_TIMEOUT + HANG_GUARD  # a guard against a hang
    with pytest.raises(TemplateError, match="access to attribute"):
        render_string("{{ email.__class__ }}", {"email": "a@b.org"})

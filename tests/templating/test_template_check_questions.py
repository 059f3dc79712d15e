"""``templates check`` evaluates every when, default and validator as ``new`` does.

Each broken template here parses (so the manifest is valid) but fails when evaluated;
``check`` must name the manifest line, and ``new`` must indeed fail on it. A template
that passes ``check`` renders in ``new``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import run, write_answers
from tests.templating.test_templates import child_toml, make_template

QUESTION = """
[[questions]]
key = "ticket"
prompt = "Ticket"
{field}
"""

BROKEN = {
    "when": ('when = "(1 / 0) > 0"', "when:"),
    "default": ('default = "{{ summary | no_such_filter }}"', "default:"),
    "validator": ('validator = "{{ value | no_such_filter }}"', "validator:"),
    "default-vs-pattern": ("pattern = '^IT-[0-9]+$'\ndefault = \"{{ 'not a ticket' }}\"",
                           "the default 'not a ticket' is not a valid answer"),
}


def _template(tmp_path: Path, case: str) -> Path:
    field = BROKEN[case][0]
    return make_template(tmp_path / "t", "team", child_toml("team", extra=QUESTION.format(
        field=field)))


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_finds_what_new_trips_over(tmp_path: Path, case: str) -> None:
    folder = _template(tmp_path, case)
    checked = run("templates", "check", str(folder))
    assert checked.code == 1, checked.out
    toml = folder / "template.toml"
    lines = toml.read_text().splitlines()
    field = BROKEN[case][0].split(" ", 1)[0].split("\n")[-1]
    expected_line = next(i for i, ln in enumerate(lines, 1)
                         if ln.startswith(("when", "default", "validator")) and
                         (field in ln or case == "default-vs-pattern"))
    assert f"{toml}:{expected_line}: {BROKEN[case][1]}" in checked.out, checked.out
    answers = write_answers(tmp_path / "a.toml")
    # a validator runs on a given answer (typed on a terminal, or --set)
    given = ["--set", "ticket=IT-5"] if case == "validator" else []
    new = run("new", "--yes", "--no-screenshot", "--format", "md,json", "--answers",
              str(answers), "--template", "team", "--template-dir", str(tmp_path / "t"),
              "--out", str(tmp_path / "b"), *given)
    assert new.code == 1, new.out  # the check was right: new fails on it too
    assert not (tmp_path / "b").exists()


def test_a_template_that_passes_check_renders_in_new(tmp_path: Path) -> None:
    extra = QUESTION.format(field=(
        "pattern = '^IT-[0-9]+$'\n"
        "default = \"IT-{{ 1000 + (summary | length) }}\"\n"
        "validator = \"{% if value.endswith('0') %}no round numbers{% endif %}\"\n"
        "when = \"scope != 'one_chat'\""
    ))
    folder = make_template(tmp_path / "t", "team", child_toml("team", extra=extra))
    checked = run("templates", "check", str(folder))
    assert checked.code == 0, checked.out + checked.err
    assert "every question's when, default and validator evaluates" in checked.out
    answers = write_answers(tmp_path / "a.toml")
    new = run("new", "--yes", "--no-screenshot", "--format", "md,json", "--answers",
              str(answers), "--template", "team", "--template-dir", str(tmp_path / "t"),
              "--out", str(tmp_path / "b"))
    assert new.code == 0, new.err
    assert '"ticket": "IT-1044"' in (tmp_path / "b" / "report.json").read_text()


def test_a_sample_value_may_fail_a_validator(tmp_path: Path) -> None:
    extra = QUESTION.format(field="validator = \"{% if value != 'IT-1' %}say IT-1{% endif %}\"")
    folder = make_template(tmp_path / "t", "team", child_toml("team", extra=extra))
    checked = run("templates", "check", str(folder))
    assert checked.code == 0, checked.out


def test_builtin_templates_pass_the_deeper_check() -> None:
    for name in ("openai-support", "rate-limited", "api-error"):
        shown = run("templates", "show", name, "--json")
        import json

        folder = json.loads(shown.out)["folder"]
        assert run("templates", "check", folder).code == 0, name

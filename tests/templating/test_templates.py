"""Team templates: manifest, discovery, inheritance, commands, git repositories, repeat."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from escalate.errors import TemplateError
from escalate.pipeline.questions import core_questions
from escalate.render.markdown import build_context
from escalate.storage.history import ReportStore
from escalate.storage.paths import load_settings, paths
from escalate.templating.check import check_template, sample_report
from escalate.templating.discovery import (
    builtin_root,
    discover,
    load_template,
    merge_questions,
    search_path,
)
from escalate.templating.engine import parse_size, render, run_validator
from escalate.templating.manifest import Manifest, TemplateQuestion, read_manifest
from tests.conftest import require_tool
from tests.harness import ANSWERS, run, write_answers

BUILTINS = [
    "openai-support",
    "session-expired",
    "upload-failed",
    "conversation-not-found",
    "rate-limited",
    "api-error",
]
NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")

TEAM_TOML = """\
manifest_version = 1
name = "acme-helpdesk"
title = "Acme helpdesk escalation"
version = "2.1"
extends = "openai-support"

[defaults]
workspace = "acme-prod"
plan = "Enterprise"

[[questions]]
key = "internal_ticket"
prompt = "Internal ticket"
required = true
pattern = '^IT-\\d{4,}$'

[[steps]]
label = "Asked the Acme helpdesk"
"""
TEAM_J2 = """\
{% extends "openai-support/submission.md.j2" %}
{% block extra_rows %}
| Workspace (Acme) | {{ extra.workspace }} |
| Plan (Acme) | {{ extra.plan }} |
{% endblock %}
"""


PARENT_LINE = '{% extends "openai-support/submission.md.j2" %}\n'


def make_template(root: Path, name: str, toml: str, files: dict[str, str] | None = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text(toml, encoding="utf-8")
    for fname, text in (files or {}).items():
        (folder / fname).write_text(text, encoding="utf-8")
    return folder


def child_toml(name: str, parent: str = "openai-support", extra: str = "") -> str:
    return f'name = "{name}"\ntitle = "T {name}"\nextends = "{parent}"\n{extra}'


# --- manifest -------------------------------------------------------------------------------


def test_builtins_validate_and_render_a_sample() -> None:
    found = discover(search_path(env={}))
    assert set(BUILTINS) <= set(found)
    for name in BUILTINS:
        assert check_template(builtin_root() / name, search_path(env={})) == [], name


def test_manifest_errors_name_file_line_key_and_fix(tmp_path: Path) -> None:
    folder = make_template(
        tmp_path,
        "bad",
        'name = "bad"\ntitle = "x"\n\n[[questions]]\nkey = "k"\nprompt = "p"\n'
        'type = "choice"\n\n[[questions]]\nkey = "k2"\nprompt = "p"\ncolour = "red"\n',
    )
    with pytest.raises(TemplateError) as info:
        read_manifest(folder)
    assert info.value.message.startswith(f"{folder / 'template.toml'}:4: questions[0]")
    assert "needs a `choices` list" in info.value.message
    problems = check_template(folder, search_path(env={}))
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (4, "questions[0]: type 'choice' needs a `choices` list"),
        (12, "unknown key 'questions[1].colour'"),
    ]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('extends = "x"\nname2 = 1', "unknown key 'name2'"),
        ('[defaults]\nBad-Key = "x"', "lower_snake_case"),
        ('[[questions]]\nkey = "a"\nprompt = "p"\nwhen = "x =="', "when is not valid Jinja"),
        ('[[questions]]\nkey = "a"\nprompt = "p"\npattern = "("', "pattern does not compile"),
        ('[[questions]]\nkey = "a"\nprompt="p"\n[[questions]]\nkey = "a"\nprompt="q"', "twice"),
        ("manifest_version = 9", "manifest_version"),
    ],
)
def test_manifest_is_strict(tmp_path: Path, extra: str, needle: str) -> None:
    folder = make_template(tmp_path, "t", f'name = "t"\ntitle = "x"\n{extra}\n')
    with pytest.raises(TemplateError, match=r"template\.toml:"):
        read_manifest(folder)
    with pytest.raises(TemplateError) as info:
        read_manifest(folder)
    assert needle in info.value.message


def test_merge_questions_replaces_core_in_place() -> None:
    core = core_questions()
    api = load_template("api-error", search_path(env={}))
    merged = merge_questions(core, api.manifest.questions)
    keys = [q.key for q in merged]
    assert keys.count("request_id") == 1
    assert keys.index("request_id") == [q.key for q in core].index("request_id")
    assert next(q for q in merged if q.key == "request_id").required is True
    assert keys[-1] == "sdk"


def test_validator_and_size_helpers() -> None:
    q = TemplateQuestion(
        key="n", prompt="p", validator="{% if value|int < 3 %}must be at least 3{% endif %}"
    )
    assert run_validator(q, "2", {}) == "must be at least 3"
    assert run_validator(q, "5", {}) is None
    assert parse_size("30 MB") == 30_000_000
    assert parse_size("1.5 GiB") == int(1.5 * 1024**3)
    assert parse_size("850kb") == 850_000
    assert parse_size("big") is None


# --- discovery and inheritance ----------------------------------------------------------


def test_precedence_later_wins(tmp_path: Path) -> None:
    user, team, env_dir, cli = (tmp_path / d for d in ("user", "team", "env", "cli"))
    for root, title in ((user, "U"), (team, "T"), (env_dir, "E"), (cli, "C")):
        make_template(root, "shared", f'name = "shared"\ntitle = "{title}"\n')
    order = [(user, "U"), (team, "T"), (env_dir, "E"), (cli, "C")]
    for cut in range(1, 5):
        dirs = dict(order[:cut])
        path = search_path(
            user if user in dirs else None,
            [team] if team in dirs else [],
            [cli] if cli in dirs else [],
            {"ESCALATE_TEMPLATE_PATH": str(env_dir)} if env_dir in dirs else {},
        )
        assert load_template("shared", path).manifest.title == order[cut - 1][1]
    # A user template may even shadow a built-in one.
    make_template(user, "openai-support", 'name = "openai-support"\ntitle = "Mine"\n')
    assert load_template("openai-support", search_path(user, env={})).origin == "user"


def test_child_without_submission_inherits_parents_file(tmp_path: Path) -> None:
    make_template(tmp_path, "mid", child_toml("mid"), {"submission.md.j2": TEAM_J2})
    make_template(
        tmp_path, "leaf", child_toml("leaf", "mid", '[defaults]\nworkspace = "w1"\nplan = "p1"\n')
    )
    path = search_path(extra_dirs=[tmp_path], env={})
    leaf = load_template("leaf", path)
    assert [p.name for p in leaf.chain] == ["leaf", "mid", "openai-support"]
    report = sample_report(leaf)
    md = render(leaf, build_context(report))
    assert "| Workspace (Acme) | w1 |" in md and "| Plan (Acme) | p1 |" in md
    # A grandchild may extend "mid/submission.md.j2" even though mid inherits its parent's.
    make_template(
        tmp_path,
        "leaf2",
        child_toml("leaf2", "leaf"),
        {"submission.md.j2": '{% extends "leaf/submission.md.j2" %}'},
    )
    leaf2 = load_template("leaf2", path)
    assert "| Workspace (Acme) |" in render(leaf2, build_context(sample_report(leaf2)))


def test_extends_cycle_and_missing_parent(tmp_path: Path) -> None:
    make_template(tmp_path, "a", child_toml("a", "b"))
    make_template(tmp_path, "b", child_toml("b", "a"))
    make_template(tmp_path, "c", child_toml("c", "ghost"))
    path = search_path(extra_dirs=[tmp_path], env={})
    with pytest.raises(TemplateError, match="extends itself"):
        load_template("a", path)
    with pytest.raises(TemplateError, match="extends unknown template 'ghost'"):
        load_template("c", path)


# --- commands -------------------------------------------------------------------------------


def test_check_reports_each_kind_of_problem_with_file_and_line(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CHECK")
    cases = {
        "syntax": (
            child_toml("syntax"),
            {
                "submission.md.j2": PARENT_LINE
                + "{% block details %}\n{{ summary \n{% endblock %}\n"
            },
            "submission.md.j2:4: expected token 'end of print statement'",
        ),
        "unknown": (
            'name = "unknown"\ntitle = "x"\ncolour = "red"\n',
            {},
            "template.toml:3: unknown key 'colour'",
        ),
        "orphan": (
            child_toml("orphan", "ghost"),
            {},
            "template.toml:3: extends unknown template 'ghost'",
        ),
        "linked": (
            child_toml("linked"),
            {
                "submission.md.j2": PARENT_LINE
                + '{% block details %}\n{% include "footer.j2" %}\n{% endblock %}\n'
            },
            "submission.md.j2:3: ",
        ),
    }
    for name, (toml, files, expected) in cases.items():
        folder = make_template(tmp_path / "t", name, toml, files)
        if name == "linked":
            (folder / "footer.j2").symlink_to(secret)
        result = run("templates", "check", str(folder))
        assert result.code == 1, (name, result.out)
        assert expected in result.out, (name, result.out)
        assert "TOP-SECRET-CHECK" not in result.out + result.err
        for line in result.out.splitlines():
            assert line.startswith(str(folder)), line  # every problem is file:line: message
            assert line.split(":")[1].isdigit(), line
        assert "escalate: error:" in result.err
    linked = run("templates", "check", str(tmp_path / "t" / "linked")).out
    assert "footer.j2:1: is a symbolic link" in linked


def test_new_scaffolds_a_template_that_checks_clean(tmp_path: Path) -> None:
    result = run(
        "templates", "new", "acme-it", "--extends", "session-expired", "--dir", str(tmp_path)
    )
    assert result.code == 0, result.err
    folder = tmp_path / "acme-it"
    assert (
        '{% extends "session-expired/submission.md.j2" %}'
        in (folder / "submission.md.j2").read_text()
    )
    manifest = tomllib.loads((folder / "template.toml").read_text())
    assert manifest["extends"] == "session-expired"
    assert "# [[questions]]" in (folder / "template.toml").read_text()
    check = run("templates", "check", str(folder))
    assert check.code == 0 and check.out.startswith("ok "), check.out + check.err
    again = run("templates", "new", "acme-it", "--dir", str(tmp_path))
    assert again.code == 1 and "already exists" in again.err
    assert run("templates", "new", "Bad Name").code == 1
    # Without --dir it lands in the user templates folder and is listed as "user".
    assert run("templates", "new", "mine").code == 0
    listing = run("templates", "list").out
    assert any(ln.startswith("mine ") and " user " in ln for ln in listing.splitlines())


# --- git repositories -------------------------------------------------------------------


def git(*args: str, cwd: Path | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def team_repo(tmp_path: Path) -> tuple[Path, Path]:
    bare, work = tmp_path / "acme-templates.git", tmp_path / "work"
    git("init", "--quiet", "--bare", "-b", "main", str(bare))
    git("init", "--quiet", "-b", "main", str(work))
    make_template(work, "acme-helpdesk", TEAM_TOML, {"submission.md.j2": TEAM_J2})
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "team template", cwd=work)
    git("remote", "add", "origin", str(bare), cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    return bare, work


def test_team_template_from_git_end_to_end(tmp_path: Path) -> None:
    require_tool("git")
    bare, work = team_repo(tmp_path)
    added = run("templates", "add", f"git+file://{bare}")
    assert added.code == 0, added.err
    clone = paths(os.environ).data / "template-repos" / "acme-templates"
    assert (clone / "acme-helpdesk" / "template.toml").is_file()
    assert str(clone) in load_settings(paths(os.environ))["template_dirs"]
    listing = run("templates", "list").out
    assert (
        f"acme-helpdesk            2.1    team           Acme helpdesk escalation  "
        f"({clone / 'acme-helpdesk'})" in listing
    )

    answers = write_answers(tmp_path / "a.toml")
    out = tmp_path / "bundle"
    ok = run(
        *NEW,
        "--template",
        "acme-helpdesk",
        "--answers",
        str(answers),
        "--set",
        "internal_ticket=IT-20417",
        "--out",
        str(out),
    )
    assert ok.code == 0, ok.err
    md = (out / "submission.md").read_text()
    for needle in (
        "| Workspace (Acme) | acme-prod |",
        "| Plan (Acme) | Enterprise |",
        "| Internal ticket | IT-20417 |",
        ANSWERS["email"],
        ANSWERS["error_text"],
        ANSWERS["request_id"],
        ANSWERS["platform"],
        ANSWERS["browser"],
        "Asked the Acme helpdesk",
        "template acme-helpdesk 2.1",
    ):
        assert needle in md, needle
    report = json.loads((out / "report.json").read_text())
    assert report["extra"]["workspace"] == "acme-prod"
    assert report["template"] == {"name": "acme-helpdesk", "version": "2.1"}

    bad = run(
        *NEW,
        "--template",
        "acme-helpdesk",
        "--answers",
        str(answers),
        "--set",
        "internal_ticket=12",
        "--out",
        str(tmp_path / "b2"),
    )
    assert bad.code == 1 and "internal_ticket" in bad.err
    missing = run(
        *NEW,
        "--template",
        "acme-helpdesk",
        "--answers",
        str(answers),
        "--out",
        str(tmp_path / "b3"),
    )
    assert missing.code == 1 and "internal_ticket" in missing.err

    # update pulls a new commit; a repository that has gone away is one clear error.
    toml = work / "acme-helpdesk" / "template.toml"
    toml.write_text(TEAM_TOML.replace('version = "2.1"', 'version = "2.2"'))
    git("commit", "--quiet", "-am", "bump", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    updated = run("templates", "update")
    assert updated.code == 0 and updated.out.startswith("acme-templates: up to date at "), (
        updated.err
    )
    assert " 2.2 " in run("templates", "list").out
    assert run("templates", "add", f"git+file://{bare}").code == 1  # already added
    bare.rename(tmp_path / "gone.git")
    gone = run("templates", "update")
    assert gone.code == 1
    assert gone.err.startswith("escalate: error: acme-templates: git pull failed: ")
    assert len(gone.err.splitlines()) == 2  # the message and its hint


def test_add_refuses_bad_sources_and_reports_missing_git(tmp_path: Path) -> None:
    assert run("templates", "add", "git+--upload-pack=touch /tmp/x").code == 1
    assert run("templates", "add", str(tmp_path / "nowhere")).code == 1
    make_template(tmp_path / "plain", "p1", 'name = "p1"\ntitle = "x"\n')
    assert run("templates", "add", str(tmp_path / "plain")).code == 0
    assert "p1" in run("templates", "list").out
    nogit = run(
        "templates", "add", "git+https://example.invalid/t.git", env={"PATH": str(tmp_path)}
    )
    assert nogit.code == 1
    assert "git is not installed" in nogit.err


def test_git_clone_failure_leaves_nothing(tmp_path: Path) -> None:
    require_tool("git")
    result = run("templates", "add", f"git+file://{tmp_path}/missing.git")
    assert result.code == 1 and "git clone failed" in result.err
    assert not list((paths(os.environ).data / "template-repos").iterdir())


# --- repeat ---------------------------------------------------------------------------------


def test_repeat_last_reproduces_every_answer_but_time(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    first = run(
        *NEW,
        "--template",
        "upload-failed",
        "--answers",
        str(answers),
        "--set",
        "file_type=Image",
        "--set",
        "file_size=30 MB",
        "--out",
        str(tmp_path / "one"),
    )
    assert first.code == 0, first.err
    assert "**over** the 20 MB limit for images" in (tmp_path / "one" / "submission.md").read_text()
    second = run(
        "repeat",
        "last",
        "--yes",
        "--no-screenshot",
        "--format",
        "md,json",
        "--out",
        str(tmp_path / "two"),
    )
    assert second.code == 0, second.err
    a = json.loads((tmp_path / "one" / "report.json").read_text())
    b = json.loads((tmp_path / "two" / "report.json").read_text())
    assert a["id"] != b["id"]
    assert a["occurred_at"] != b["occurred_at"]
    for key in (
        "email",
        "error_text",
        "platform",
        "browser",
        "request_ids",
        "scope",
        "steps_tried",
        "summary",
        "extra",
        "template",
    ):
        assert a[key] == b[key], key
    assert b["extra"]["file_size"] == "30 MB"
    records = ReportStore(paths(os.environ)).all()
    saved = [tomllib.loads((r.folder / "answers.toml").read_text())["answers"] for r in records]
    assert [{k: v for k, v in s.items() if k != "occurred_at"} for s in saved] == [
        {k: v for k, v in saved[0].items() if k != "occurred_at"}
    ] * 2


def test_upload_failed_size_verdicts() -> None:
    t = load_template("upload-failed", search_path(env={}))
    verdicts = {}
    for kind, size in [
        ("Image", "19 MB"),
        ("Image", "25MB"),
        ("Spreadsheet or CSV", "60 MB"),
        ("Document (PDF, Word, text, code)", "600 MB"),
        ("Other", "a lot"),
    ]:
        report = sample_report(t)
        report.extra.update(file_type=kind, file_size=size)
        md = render(t, build_context(report, (), t.manifest.questions))
        verdicts[(kind, size)] = next(ln for ln in md.splitlines() if ln.startswith("| Size check"))
    assert "within the 20 MB limit for images" in verdicts[("Image", "19 MB")]
    assert "**over** the 20 MB limit for images" in verdicts[("Image", "25MB")]
    assert "**over** the 50 MB limit for spreadsheets" in verdicts[("Spreadsheet or CSV", "60 MB")]
    assert "**over** the 512 MB limit" in verdicts[("Document (PDF, Word, text, code)", "600 MB")]
    assert "could not be read" in verdicts[("Other", "a lot")]


def test_manifest_model_roundtrip() -> None:
    m = Manifest.model_validate(tomllib.loads(TEAM_TOML))
    assert m.defaults == {"workspace": "acme-prod", "plan": "Enterprise"}
    assert m.questions[0].pattern == r"^IT-\d{4,}$"


def test_api_error_requires_request_ids(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml", request_id=None)
    sets = ("--set", "endpoint=POST /v1/responses", "--set", "status_code=500")
    missing = run(*NEW, "--template", "api-error", "--answers", str(answers), *sets)
    assert missing.code == 1 and "request_id" in missing.err
    out = tmp_path / "api"
    ok = run(*NEW, "--template", "api-error", "--answers", str(answers), *sets,
             "--set", "request_id=req_abc123def456", "--out", str(out))  # fmt: skip
    assert ok.code == 0, ok.err
    md = (out / "submission.md").read_text()
    assert "# OpenAI API support request:" in md
    assert "| Endpoint | `POST /v1/responses` |" in md and "`req_abc123def456`" in md


def test_the_guide_s_team_example_works_as_written(tmp_path: Path) -> None:
    """docs/templates.md's acme-helpdesk example, copied out of the guide and used."""
    import re

    from tests.harness import run, write_answers

    guide = (Path(__file__).resolve().parents[2] / "docs" / "templates.md").read_text()
    blocks = dict(re.findall(r"`acme-helpdesk/([\w.]+)`:\n\n```\w+\n(.*?)```", guide, re.S))
    assert set(blocks) == {"template.toml", "submission.md.j2"}
    folder = tmp_path / "acme-helpdesk"
    folder.mkdir()
    for name, text in blocks.items():
        (folder / name).write_text(text, encoding="utf-8")
    checked = run("templates", "check", str(folder))
    assert checked.code == 0, checked.out + checked.err
    answers = write_answers(tmp_path / "a.toml", scope="all_chats")
    result = run("new", "--template", "acme-helpdesk", "--template-dir", str(tmp_path),
                 "--answers", str(answers), "--set", "internal_ticket=IT-20417", "--yes",
                 "--no-screenshot", "--format", "md", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    md = (tmp_path / "out" / "submission.md").read_text()
    rows = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ")]
    assert len(rows) == len(set(rows)), f"a table row twice: {rows}"
    for row in ("Internal ticket", "Which VPN profile were you on?", "Workspace", "Plan"):
        assert row in rows
    assert "| Your manager's email | manager@example.org |" in md
    assert "Ticket `IT-20417`; VPN profile: Office." in md

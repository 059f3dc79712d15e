"""The command surface: exit codes, usage errors, internal errors, --quiet, --color, doctor."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from escalate.cli.console import Console
from escalate.cli.main import main
from escalate.errors import ExitCode
from tests.harness import FROZEN_NOW, run, write_answers

NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")


def test_exit_codes_are_the_documented_ones() -> None:
    assert {c.name: c.value for c in ExitCode} == {
        "OK": 0, "USER_ERROR": 1, "USAGE": 2, "INTERNAL": 3, "INTERRUPTED": 130,
    }
    help_text = run("--help").out
    assert "0 ok, 1 user error, 2 usage, 3 internal, 130 interrupted" in " ".join(help_text.split())


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--frobnicate"], "escalate: error: unrecognized arguments: --frobnicate"),
        (["new", "--set", "oops"], "escalate: error: new: argument --set: expected KEY=VALUE"),
        (["templates", "show"], "escalate: error: templates show: the following arguments"),
        (["--color", "pink", "list"], "escalate: error: argument --color: invalid choice"),
    ],
)
def test_usage_errors_name_the_program_once(argv: list[str], expected: str) -> None:
    result = run(*argv)
    assert result.code == 2
    first = result.err.splitlines()[0]
    assert first.startswith(expected), first
    assert first.count("escalate") == 1


def test_every_subcommand_help_has_a_description() -> None:
    from escalate.cli.parser import build_parser

    def walk(parser: Any, name: str) -> None:
        import argparse

        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    full = f"{name} {sub_name}"
                    assert sub.description, full
                    text = run(*full.split()[1:], "--help")
                    # argparse wraps (also after a hyphen): compare without the whitespace
                    assert "".join(sub.description.split()) in "".join(text.out.split()), full
                    walk(sub, full)

    walk(build_parser(), "escalate")


class _Exploding(io.StringIO):
    def write(self, s: str) -> int:
        raise RuntimeError("the terminal broke in an unforeseen way")


def test_an_internal_error_saves_its_traceback_privately(escalate_home: Path) -> None:
    err = io.StringIO()
    console = Console(stdin=io.StringIO(), stdout=_Exploding(), stderr=err,
                      env={"ESCALATE_HOME": str(escalate_home)}, clock=lambda: FROZEN_NOW)
    code = main(["list"], console=console)
    assert code == ExitCode.INTERNAL == 3
    lines = err.getvalue().splitlines()
    assert lines[0] == "escalate: internal error: RuntimeError: the terminal broke in an " \
                       "unforeseen way"
    log = Path(lines[1].split("the traceback is saved in ")[1].split(";")[0])
    assert log.parent == escalate_home / "data" / "logs"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError" in text
    assert "argv: list" in text


def test_the_crash_log_keeps_no_answer_values(escalate_home: Path) -> None:
    err = io.StringIO()
    console = Console(stdin=io.StringIO(), stdout=_Exploding(), stderr=err,
                      env={"ESCALATE_HOME": str(escalate_home)}, clock=lambda: FROZEN_NOW)
    main(["check-file", "--json", "/home/dana/secret-plan.pdf"], console=console)
    main(["--color=never", "triage", "--json", "secret@example.org broke"], console=console)
    logs = sorted((escalate_home / "data" / "logs").iterdir())
    heads = [log.read_text().split("Traceback")[0] for log in logs]
    assert "argv: check-file --json\n" in heads[0] and "secret-plan" not in heads[0]
    assert "argv: --color triage --json\n" in heads[-1] and "secret@" not in heads[-1]


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    result = run("-q", *NEW, "--answers", str(answers), "--out", str(tmp_path / "b"))
    assert (result.code, result.out, result.err) == (0, "", "")
    assert (tmp_path / "b" / "submission.md").is_file()
    verified = run("--quiet", "verify", str(tmp_path / "b"))
    assert (verified.code, verified.out, verified.err) == (0, "", "")
    failing = run("-q", "verify", str(tmp_path / "nope"))
    assert failing.code == 1 and failing.out == ""
    assert failing.err.startswith("escalate: error: ")


def test_quiet_still_prints_what_json_asks_for(tmp_path: Path) -> None:
    import json

    result = run("-q", "list", "--json")
    assert result.code == 0 and json.loads(result.out) == []


class _Reviewer:
    """Accepts every default and writes at the review."""

    def ask(self, question: Any, default: Any) -> Any:
        return default

    def warn(self, message: str) -> None:
        raise AssertionError(message)

    def confirm(self, message: str, default: bool = True) -> bool:
        return False

    def choose(self, message: str, choices: list[str], default: str | None = None) -> str:
        return choices[0]


@pytest.mark.parametrize(("flag", "env", "escapes"), [
    ("always", {}, True),
    ("never", {}, False),
    ("always", {"NO_COLOR": "1"}, True),  # an explicit --color wins over the variable
    ("auto", {"NO_COLOR": "1"}, False),
])
def test_color_switch_reaches_the_review_screen(
    tmp_path: Path, flag: str, env: dict[str, str], escapes: bool
) -> None:
    answers = write_answers(tmp_path / "a.toml", error_text="failed for bob@corp.example")
    result = run("--color", flag, "new", "--no-screenshot", "--format", "md,json",
                 "--answers", str(answers), "--out", str(tmp_path / "b"),
                 env=env, prompter=_Reviewer(), interactive=True)
    assert result.code == 0, result.err
    assert ("\x1b" in result.err + result.out) is escapes
    assert "[EMAIL-1]" in result.err


def test_auto_colour_needs_a_terminal_and_no_NO_COLOR() -> None:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as tty:
        assert Console(stdout=tty, env={}).use_color
        assert not Console(stdout=tty, env={"NO_COLOR": "1"}).use_color
        assert Console(stdout=tty, env={"NO_COLOR": ""}).use_color  # empty means unset
        assert not Console(stdout=tty, env={}, color="never").use_color
    os.close(leader)
    assert not Console(stdout=io.StringIO(), env={}).use_color


def test_doctor_fails_with_an_unusable_data_folder(tmp_path: Path) -> None:
    import json

    home = tmp_path / "home"
    home.write_text("a file where the data folder should be")
    result = run("doctor", env={"ESCALATE_HOME": str(home)})
    assert result.code == 1
    assert any(line.startswith(f"fail  data folder {home / 'data'} is not usable")
               for line in result.out.splitlines())
    assert "escalate: error: 2 checks failed: data folder, config folder" in result.err
    as_json = run("doctor", "--json", env={"ESCALATE_HOME": str(home)})
    assert as_json.code == 1
    checks = {c["name"]: c for c in json.loads(as_json.out)["checks"]}
    assert checks["data folder"]["status"] == "fail"


def test_doctor_exits_0_with_only_warnings(tmp_path: Path) -> None:
    import json

    empty = tmp_path / "bin"
    empty.mkdir()
    result = run("doctor", "--json", env={"PATH": str(empty), "DISPLAY": ":99"})
    assert result.code == 0, result.err
    statuses = {c["name"]: c["status"] for c in json.loads(result.out)["checks"]}
    assert statuses["clipboard"] == "warn"
    assert statuses["data folder"] == statuses["config folder"] == "ok"


def test_bash_completion_registers(tmp_path: Path) -> None:
    script = run("completion", "bash")
    assert script.code == 0
    (tmp_path / "c.bash").write_text(script.out)
    done = subprocess.run(
        ["bash", "-c", f"source {tmp_path / 'c.bash'}; complete -p escalate"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "escalate" in done.stdout and "-F" in done.stdout


def test_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    (tmp_path / "c.bash").write_text(run("completion", "bash").out)
    probe = (
        f"source {tmp_path / 'c.bash'}; COMP_WORDS=(escalate templ); COMP_CWORD=1; "
        "COMP_LINE='escalate templ'; COMP_POINT=${#COMP_LINE}; _shtab_escalate; "
        "echo ${COMPREPLY[@]}; COMP_WORDS=(escalate doctor --j); COMP_CWORD=2; "
        "COMP_LINE='escalate doctor --j'; COMP_POINT=${#COMP_LINE}; _shtab_escalate; "
        "echo ${COMPREPLY[@]}"
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=False)
    assert done.stdout.split("\n")[:2] == ["templates", "--json"], done.stderr


def test_zsh_and_fish_scripts_name_every_command() -> None:
    from escalate.cli.main import COMMANDS

    for shell in ("zsh", "fish"):
        script = run("completion", shell)
        assert script.code == 0
        for command in COMMANDS:
            assert command in script.out, (shell, command)
    fish = run("completion", "fish").out
    assert "-n '__fish_seen_subcommand_from templates; and not __fish_seen_subcommand_from" in fish


def test_man_page_is_current_and_renders() -> None:
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "scripts"))
    from manpage import render

    page = root / "man" / "escalate.1"
    assert render() == page.read_text(), "run: python scripts/manpage.py > man/escalate.1"
    from tests.conftest import require_tool

    require_tool("man")
    shown = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                           env={**os.environ, "MANWIDTH": "100", "MANPAGER": "cat"}, check=False)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    for needle in ("ESCALATE(1)", "SYNOPSIS", "escalate new", "--quiet", "EXIT STATUS",
                   "INTERNAL", "NO_COLOR", "templates check"):
        assert needle in text, needle
    assert "warning" not in shown.stderr


def test_the_wheel_installs_the_man_page(tmp_path: Path) -> None:
    import zipfile

    pytest.importorskip("hatchling", reason="needs hatchling (in the test extra) to build")
    root = Path(__file__).resolve().parents[2]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(root)],
        capture_output=True, text=True, check=False,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("escalate-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        page = next(n for n in names if n.endswith(".data/data/share/man/man1/escalate.1"))
        installed = tmp_path / "escalate.1"
        installed.write_bytes(zf.read(page))
        assert not [n for n in names if "clidoc" in n or "manpage" in n]
    assert installed.read_text() == (root / "man" / "escalate.1").read_text()
    from tests.conftest import require_tool

    require_tool("man")
    shown = subprocess.run(["man", "-l", str(installed)], capture_output=True, text=True,
                           env={**os.environ, "MANPAGER": "cat"}, check=False)
    assert shown.returncode == 0 and "escalate completion" in shown.stdout
    # installed as pip lays it out: <prefix>/share/man/man1 beside <prefix>/bin on PATH
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "share" / "man" / "man1").mkdir(parents=True)
    installed.rename(prefix / "share" / "man" / "man1" / "escalate.1")
    env = {k: v for k, v in os.environ.items() if k != "MANPATH"}
    env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    found = subprocess.run(["man", "-w", "escalate"], capture_output=True, text=True, env=env,
                           check=False)
    assert found.stdout.strip() == str(prefix / "share" / "man" / "man1" / "escalate.1")


def test_quiet_keeps_the_review_screen_of_an_interactive_run(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    result = run("-q", "new", "--no-screenshot", "--format", "md,json", "--answers",
                 str(answers), "--out", str(tmp_path / "b"), prompter=_Reviewer(),
                 interactive=True)
    assert result.code == 0, result.err
    assert "# ChatGPT support request" in result.err  # what is about to be written
    assert "Report " not in result.out and "Written to" not in result.out


@pytest.mark.e2e
def test_zsh_registers_the_completion(tmp_path: Path) -> None:
    from tests.conftest import require_tool

    require_tool("zsh")
    script = tmp_path / "_escalate"
    script.write_text(run("completion", "zsh").out)
    probe = (f'autoload -U compinit && compinit -u -d {tmp_path / "zcd"}; '
             f'eval "$(cat {script})"; print -r -- ${{_comps[escalate]}}')
    done = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "_shtab_escalate", "")


@pytest.mark.e2e
def test_fish_completes_commands_actions_and_options(tmp_path: Path) -> None:
    from tests.conftest import require_tool

    require_tool("fish")
    script = tmp_path / "escalate.fish"
    script.write_text(run("completion", "fish").out)
    assert subprocess.run(["fish", "-n", str(script)], check=False).returncode == 0

    def complete(line: str) -> list[str]:
        done = subprocess.run(["fish", "-c", f"source {script}; complete -C'{line}'"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return [row.split("\t")[0] for row in done.stdout.splitlines()]

    assert complete("escalate templ") == ["templates"]
    assert set(complete("escalate templates ")) >= {"list", "show", "check", "add"}
    assert complete("escalate doctor --j") == ["--json"]
    assert "--color" in complete("escalate --co")


def test_the_installed_program_completes_in_bash_as_documented() -> None:
    program = Path(sys.executable).parent / "escalate"
    if not program.is_file():
        pytest.skip(f"the escalate program is not installed beside {sys.executable}")
    env = {**os.environ, "PATH": f"{program.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "-c", "source <(escalate completion bash); complete -p escalate"],
        capture_output=True, text=True, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr
    # shtab's options differ by version (-o filenames in 1.7, -o bashdefault later)
    assert re.fullmatch(r"complete( -o \w+)* -F _shtab_escalate escalate", done.stdout.strip())

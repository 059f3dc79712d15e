"""Generate the manual page escalate.1 (roff) from the argument parser and the exit codes.

``python scripts/manpage.py > man/escalate.1``; a test keeps the file in step with the code,
and the wheel installs it as share/man/man1/escalate.1.
"""

from __future__ import annotations

import argparse

from escalate import __version__
from escalate.errors import ExitCode

SEE_ALSO = "docs/user-guide.md, docs/cli.md, docs/templates.md"


def roff(text: str) -> str:
    """``text`` safe in a roff body line: backslashes, hyphens and leading control dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = [("\\&" + ln if ln.startswith((".", "'")) else ln) for ln in text.splitlines()]
    return "\n".join(lines)


def _subparsers(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> list[tuple[str, str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                full = f"{prefix}{name}"
                found.append((full, helps.get(name, ""), sub))
                found += _subparsers(sub, full + " ")
    return found


def _options(parser: argparse.ArgumentParser) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = ""
            if action.nargs != 0:
                metavar = " " + str(
                    action.metavar or ("{" + ",".join(map(str, action.choices)) + "}"
                                       if action.choices else action.dest.upper())
                )
            head = ", ".join(f"\\fB{roff(o)}\\fR{roff(metavar)}" for o in action.option_strings)
        else:
            head = f"\\fI{roff(str(action.metavar or action.dest))}\\fR"
        out += [".TP", head, roff(str(action.help or "")) or "\\&"]
    return out


def render() -> str:
    """The whole manual page as roff."""
    from escalate.cli.parser import build_parser

    parser = build_parser()
    parts = [
        f'.TH ESCALATE 1 "" "escalate {__version__}" "User Commands"',
        ".SH NAME",
        "escalate \\- " + roff(str(parser.description or "")),
        ".SH SYNOPSIS",
        ".B escalate",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]",
        ".SH DESCRIPTION",
        roff(
            "escalate asks only what it cannot find out itself, captures the evidence, scrubs "
            "what must not leave the machine, and writes a private bundle (Markdown, PDF, "
            "JSON, screenshot, sanitised HAR, SHA256SUMS) to paste into a support chat. "
            "Nothing is sent anywhere."
        ),
        ".SH OPTIONS",
        *_options(parser),
        ".SH COMMANDS",
    ]
    for name, summary, sub in _subparsers(parser):
        usage = sub.format_usage().removeprefix("usage: ").strip()
        parts += [
            f".SS {roff(name)}",
            roff(summary[:1].upper() + summary[1:] + "."),
            ".PP",
            roff(" ".join(usage.split())),
            *_options(sub),
        ]
    parts += [".SH EXIT STATUS"]
    for code in ExitCode:
        parts += [".TP", f"\\fB{code.value}\\fR", roff(f"{code.name}: {code.meaning}")]
    parts += [
        ".SH ENVIRONMENT",
        ".TP",
        "\\fBESCALATE_HOME\\fR",
        roff("keep data, config and cache under this folder instead of the platform's folders"),
        ".TP",
        "\\fBNO_COLOR\\fR",
        roff("when set and not empty, no colour (as --color never)"),
        ".TP",
        "\\fBESCALATE_OFFLINE\\fR",
        roff("when set to 1, the status page is not checked"),
        ".SH FILES",
        roff(
            "Reports, drafts and logs live in the data folder, settings and user templates in "
            "the config folder, compiled templates in the cache folder; `escalate config show` "
            "prints where. Folders are 0700, files 0600."
        ),
        ".SH SEE ALSO",
        roff(SEE_ALSO),
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")

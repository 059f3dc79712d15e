"""The command line: every command, option and help text (docs/cli.md is generated from it).

Option types validate cheaply here, so a malformed flag is a usage error (exit 2) before
any work starts.
"""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from escalate import __version__
from escalate.cli.jsonout import add_json
from escalate.errors import UsageError, exit_code_summary

PROG = "escalate"
FORMATS_DEFAULT = frozenset({"md", "pdf", "json"})
COLOR_CHOICES = ("auto", "always", "never")


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors raised to the one error boundary instead of exiting."""

    def error(self, message: str) -> Any:  # argparse would print and sys.exit(2)
        # The boundary prints "escalate: error: ..."; a subcommand adds only its own name.
        command = self.prog.removeprefix(PROG).strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _formats(text: str) -> frozenset[str]:
    return frozenset(f.strip().lower() for f in text.split(",") if f.strip())


def _add_format(p: argparse._ActionsContainer) -> None:
    p.add_argument(
        "--format",
        type=_formats,
        default=FORMATS_DEFAULT,
        metavar="md,pdf,json",
        help="what to render (default all three)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; the CLI reference in docs/ mirrors this."""
    parser = Parser(
        prog=PROG,
        description="Turn a ChatGPT failure into a complete, private, paste-ready support "
        "submission.",
        epilog=f"Exit codes: {exit_code_summary()}. Docs: docs/user-guide.md, man escalate",
    )
    parser.add_argument("--version", action="version", version=f"escalate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print errors only (and what --json asks for)"
    )
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour on a terminal (auto, the default, honours NO_COLOR)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    new = sub.add_parser("new", help="guide through a new support report and write the bundle")
    _add_new_options(new)

    repeat = sub.add_parser("repeat", help="start a new report from an earlier one's answers")
    repeat.add_argument("ref", metavar="ID|last", help="report id (or a unique prefix), or last")
    _add_new_options(repeat, include_answers=False)

    verify = sub.add_parser("verify", help="re-check a bundle against its SHA256SUMS")
    verify.add_argument("folder", type=Path, metavar="DIR")
    add_json(verify, "each file's verdict")

    lst = sub.add_parser("list", help="list finished reports, newest first")
    add_json(lst, "the reports")

    show = sub.add_parser("show", help="show one finished report")
    show.add_argument("ref", metavar="ID", help="report id, a unique prefix, or last")
    add_json(show, "report.json")

    render = sub.add_parser("render", help="render an existing report again (new folder)")
    render.add_argument("folder", type=Path, metavar="REPORT_DIR")
    render.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="new folder for the result (default: REPORT_DIR.render-N)",
    )
    _add_format(render)
    _add_chat_limit(render)

    sub.add_parser("schema", help="print the JSON schema of report.json")

    cfg = sub.add_parser("config", help="show or change settings (email lives in the keyring)")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", parser_class=Parser)
    cfg_set = cfg_sub.add_parser("set", help="set a value: email ADDRESS")
    cfg_set.add_argument("key", choices=["email"])
    cfg_set.add_argument("value")
    cfg_unset = cfg_sub.add_parser("unset", help="forget a value: email")
    cfg_unset.add_argument("key", choices=["email"])
    smtp = cfg_sub.add_parser(
        "set-smtp", help="the mail server for `escalate send` (password into the keyring)"
    )
    smtp.add_argument("server", metavar="HOST[:PORT]")
    smtp.add_argument("--user", metavar="USER", help="login name (none: send without login)")
    smtp.add_argument(
        "--tls",
        choices=["starttls", "ssl", "none"],
        default="starttls",
        help="starttls (port 587, default), ssl (port 465) or none (port 25)",
    )
    smtp.add_argument("--cafile", type=Path, metavar="PEM", help="trust this CA certificate")
    smtp.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (never give it on the command line)",
    )
    add_dir = cfg_sub.add_parser("add-template-dir", help="add a team template folder")
    add_dir.add_argument("path", type=Path)
    add_json(cfg_sub.add_parser("show", help="show settings and where files live"), "settings")

    tpl = sub.add_parser("templates", help="list, show, create and check templates")
    tpl_sub = tpl.add_subparsers(dest="templates_command", metavar="ACTION", parser_class=Parser)
    tpl_list = tpl_sub.add_parser("list", help="every template and where it comes from")
    add_json(tpl_list, "the templates")
    tpl_show = tpl_sub.add_parser("show", help="a template's manifest and questions")
    tpl_show.add_argument("name")
    add_json(tpl_show, "the template")
    tpl_new = tpl_sub.add_parser("new", help="create a template that extends another")
    tpl_new.add_argument("name")
    tpl_new.add_argument("--extends", default="openai-support", metavar="NAME")
    tpl_new.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="where to create it (default: your user templates folder)",
    )
    tpl_check = tpl_sub.add_parser("check", help="lint a template folder; problems as file:line")
    tpl_check.add_argument("path", type=Path)
    add_json(tpl_check, "the problems")
    tpl_add = tpl_sub.add_parser("add", help="add a team template repository (git+URL) or folder")
    tpl_add.add_argument("source", metavar="git+URL|DIR")
    tpl_sub.add_parser("update", help="pull every team template repository")
    for p in (tpl, tpl_show, tpl_new, tpl_check, tpl_add):
        p.add_argument(
            "--template-dir",
            type=Path,
            action="append",
            default=[],
            help="also search this folder (highest precedence)",
        )

    shot = sub.add_parser("screenshot", help="list monitors, or capture one screenshot to a file")
    shot.add_argument("--list-monitors", action="store_true", help="list the monitors and exit")
    shot.add_argument("--out", type=Path, metavar="FILE", help="write the capture here (new file)")
    _add_capture_options(shot)

    doctor = sub.add_parser(
        "doctor", help="check what works on this machine (data folder, display, keyring, PDF)"
    )
    add_json(doctor, "the checks")
    _add_tools(sub)
    _add_delivery(sub)
    comp = sub.add_parser("completion", help="print a shell completion script")
    comp.add_argument("shell", choices=["bash", "zsh", "fish"])
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand's ``--help`` its one-line summary as a description."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if sub.description is None and helps.get(name):
                    text = str(helps[name])
                    sub.description = text[:1].upper() + text[1:] + "."
                _describe(sub)


def _add_delivery(sub: Any) -> None:
    """``copy``, ``eml`` and ``send``: from bundle to ticket."""
    ref = {"metavar": "ID|DIR", "help": "report id (a unique prefix, or last), or a bundle folder"}
    cp = sub.add_parser("copy", help="put the chat-box text (message.txt or one part) on the "
                        "clipboard")
    cp.add_argument("ref", **ref)
    cp.add_argument("--part", type=int, default=1, metavar="N",
                    help="which part of a split message (default 1)")
    eml = sub.add_parser("eml", help="write the bundle as an email draft (.eml) to open and send")
    eml.add_argument("ref", **ref)
    eml.add_argument("--to", metavar="ADDRESS",
                     help="recipient (default: the template's support address)")
    eml.add_argument("--out", type=Path, metavar="FILE",
                     help="where to write it (default: submission.eml beside the bundle)")
    snd = sub.add_parser("send", help="send the bundle by email through the SMTP server set up "
                         "with `config set-smtp`")
    snd.add_argument("ref", **ref)
    snd.add_argument("--to", required=True, metavar="ADDRESS", help="recipient")


def _region(text: str) -> str:
    from escalate.capture.screenshot import Region

    try:
        Region.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    return text


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError("give a delay from 0 to 60 seconds")
    return value


def _add_chat_limit(p: argparse._ActionsContainer) -> None:
    p.add_argument(
        "--chat-limit",
        type=_chat_limit,
        default=4000,
        metavar="N",
        help="split message.txt into message-1.txt, message-2.txt… of at most N characters "
        "for a chat box (default 4000)",
    )


def _chat_limit(text: str) -> int:
    from escalate.render.message import MIN_CHAT_LIMIT

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of characters") from None
    if value < MIN_CHAT_LIMIT:
        raise argparse.ArgumentTypeError(f"give at least {MIN_CHAT_LIMIT} characters")
    return value


def _add_capture_options(p: argparse._ActionsContainer) -> None:
    p.add_argument("--monitor", type=int, metavar="N", help="monitor to capture (1 = primary)")
    p.add_argument(
        "--all", dest="all_monitors", action="store_true", help="capture all monitors as one image"
    )
    p.add_argument("--region", type=_region, metavar="X,Y,W,H", help="capture only this region")
    p.add_argument(
        "--delay",
        type=_delay,
        default=0.0,
        metavar="S",
        help="wait S seconds (with a countdown) before capturing",
    )
    p.add_argument(
        "--redact",
        dest="redact_boxes",
        type=_region,
        action="append",
        default=[],
        metavar="X,Y,W,H",
        help="black out this region of the screenshot (repeatable)",
    )


def _add_new_options(parser: argparse.ArgumentParser, include_answers: bool = True) -> None:
    p = parser.add_argument_group("answers")
    p.add_argument("--template", metavar="NAME", help="template to use (default openai-support)")
    p.add_argument(
        "--template-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also search this folder for templates (highest precedence)",
    )
    if include_answers:
        p.add_argument(
            "--answers",
            type=Path,
            metavar="FILE",
            help="answers from a TOML or JSON file (keys as in the docs)",
        )
        p.add_argument("--resume", action="store_true", help="continue the last unfinished draft")
    p.add_argument(
        "--set",
        dest="sets",
        type=_key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="give one answer (repeatable)",
    )
    p.add_argument(
        "--error-file",
        type=Path,
        metavar="FILE|-",
        help="read the exact error text from a file (- for standard input)",
    )
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="accept the review and defaults: no prompt at all with --answers/--set",
    )
    shots = parser.add_argument_group("screenshot")
    shot = shots.add_mutually_exclusive_group()
    shot.add_argument(
        "--screenshot",
        dest="screenshot",
        action="store_true",
        default=None,
        help="capture the screen (default on a terminal: ask)",
    )
    shot.add_argument(
        "--no-screenshot", dest="screenshot", action="store_false", help="no screenshot"
    )
    shot.add_argument(
        "--screenshot-file",
        type=Path,
        metavar="PATH",
        help="attach this PNG/JPEG instead of capturing",
    )
    _add_capture_options(shots)
    p = parser.add_argument_group("evidence and privacy")
    p.add_argument(
        "--har",
        type=Path,
        metavar="FILE",
        help="HAR file: sanitised into the bundle, request IDs extracted",
    )
    p.add_argument(
        "--keep-bodies",
        action="store_true",
        help="keep the HAR's request and response bodies, redacted (default: removed)",
    )
    p.add_argument(
        "--no-status",
        dest="status",
        action="store_false",
        default=None,
        help="do not check the status page",
    )
    p.add_argument(
        "--status-url",
        metavar="URL",
        help="status page to check: an incident.io feed or a Statuspage summary.json "
        "(default: status.openai.com)",
    )
    p.add_argument(
        "--no-redact",
        dest="redact",
        action="store_false",
        help="keep secrets and other people's data (recorded in the report)",
    )
    p = parser.add_argument_group("output")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write the bundle here (a new folder; default: a bundle folder in the report's "
        "data folder)",
    )
    _add_format(p)
    p.add_argument("--zip", dest="make_zip", action="store_true", help="also write DIR.zip")
    _add_chat_limit(p)
    p.add_argument(
        "--copy",
        action="store_true",
        help="copy the submission text to the clipboard when done (on a terminal: ask)",
    )
    add_json(p, "the bundle (folder, files with sizes and sha256, redaction counts)")


# --- command handlers ---------------------------------------------------------------------


def _duration(text: str) -> timedelta:
    m = re.fullmatch(r"(\d{1,5})\s*([dhw])", text.strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: give e.g. 30d, 12h or 2w")
    n, unit = int(m.group(1)), m.group(2)
    return (
        timedelta(days=n)
        if unit == "d"
        else timedelta(hours=n)
        if unit == "h"
        else timedelta(weeks=n)
    )


def _add_tools(sub: Any) -> None:
    """Add the tool subcommands to the main parser."""
    red = sub.add_parser("redact", help="scrub secrets and other people's data from text")
    red.add_argument("file", nargs="?", default="-", metavar="FILE|-", help="default: stdin")
    red.add_argument("--email", metavar="ADDRESS", help="your own email, which is kept")

    har = sub.add_parser("har", help="sanitise a HAR file and list its failing requests")
    har.add_argument("file", type=Path, metavar="FILE")
    add_json(har, "the summary")
    har.add_argument(
        "-o",
        "--out",
        type=Path,
        metavar="OUT",
        help="sanitised copy (default: FILE.sanitized.har; never overwritten)",
    )
    har.add_argument(
        "--keep-bodies",
        action="store_true",
        help="keep request and response bodies, redacted (default: removed, size and type kept)",
    )

    purge = sub.add_parser("purge", help="delete reports and drafts for good")
    which = purge.add_mutually_exclusive_group(required=True)
    which.add_argument("ref", nargs="?", metavar="ID", help="one report (id, prefix or last)")
    which.add_argument("--older-than", type=_duration, metavar="AGE", help="e.g. 30d, 12h, 2w")
    which.add_argument("--all", dest="purge_all", action="store_true", help="every report")
    purge.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    check = sub.add_parser("check-file", help="check files against the upload limits")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add_json(check, "each file's verdict")

    tri = sub.add_parser("triage", help="likely cause and next step for an error message")
    tri.add_argument("text", nargs="?", metavar="ERROR", help="the error text (default: ask)")
    tri.add_argument(
        "--status-url", metavar="URL", help="status page to check (default: status.openai.com)"
    )
    tri.add_argument(
        "--no-status", dest="status", action="store_false", help="do not check the status page"
    )
    add_json(tri, "the matches")

    st = sub.add_parser("status", help="the OpenAI status page right now")
    st.add_argument(
        "--url", help="another status page: an incident.io feed or a Statuspage summary.json"
    )
    add_json(st, "the snapshot")

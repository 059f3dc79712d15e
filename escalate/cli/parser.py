"""The command line: every command, option and help text (docs/cli.md is generated from it).

Option types validate cheaply here, so a malformed flag is a usage error (exit 2) before
any work starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from escalate import __version__
from escalate.errors import UsageError

FORMATS_DEFAULT = frozenset({"md", "pdf", "json"})


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print and sys.exit(2)
        raise UsageError(f"{self.prog}: {message}")


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
        prog="escalate",
        description="Turn a ChatGPT failure into a complete, private, paste-ready support "
        "submission.",
        epilog="Exit codes: 0 ok, 1 bad input or failed step, 2 usage, 130 interrupted "
        "(draft kept). Docs: docs/user-guide.md",
    )
    parser.add_argument("--version", action="version", version=f"escalate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    new = sub.add_parser("new", help="guide through a new support report and write the bundle")
    _add_new_options(new)

    repeat = sub.add_parser("repeat", help="start a new report from an earlier one's answers")
    repeat.add_argument("ref", metavar="ID|last", help="report id (or a unique prefix), or last")
    _add_new_options(repeat, include_answers=False)

    verify = sub.add_parser("verify", help="re-check a bundle against its SHA256SUMS")
    verify.add_argument("folder", type=Path, metavar="DIR")

    lst = sub.add_parser("list", help="list finished reports, newest first")
    lst.add_argument("--json", action="store_true", help="machine-readable output")

    show = sub.add_parser("show", help="show one finished report")
    show.add_argument("ref", metavar="ID", help="report id, a unique prefix, or last")
    show.add_argument("--json", action="store_true", help="print report.json")

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
    cfg_sub.add_parser("show", help="show settings and where files live")

    tpl = sub.add_parser("templates", help="list, show, create and check templates")
    tpl_sub = tpl.add_subparsers(dest="templates_command", metavar="ACTION", parser_class=Parser)
    tpl_sub.add_parser("list", help="every template and where it comes from")
    tpl_show = tpl_sub.add_parser("show", help="a template's manifest and questions")
    tpl_show.add_argument("name")
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

    sub.add_parser("doctor", help="check what works on this machine (display, keyring, PDF)")
    from escalate.cli.commands.tools import add_parsers

    add_parsers(sub)
    _add_delivery(sub)
    return parser


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


# --- command handlers ---------------------------------------------------------------------

"""The error tree: every failure a user can cause has a class, an exit code and a hint.

The core raises these; only ``cli.py`` turns them into a message and an exit code.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitCode(IntEnum):
    """Process exit codes; the CLI reference table is generated from this enum."""

    OK = 0
    USER_ERROR = 1
    USAGE = 2
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.USER_ERROR: "bad input or a failed step: one line saying what, one saying the fix",
    ExitCode.USAGE: "the command line itself is wrong (unknown option, missing argument)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C or end of input); the draft is kept",
}


class EscalateError(Exception):
    """Base class: a message for the user and a hint that says what to do instead."""

    exit_code: ExitCode = ExitCode.USER_ERROR
    default_hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = self.default_hint if hint is None else hint

    def __str__(self) -> str:
        return self.message


class UsageError(EscalateError):
    """The command line cannot be understood."""

    exit_code = ExitCode.USAGE
    default_hint = "run `escalate --help` for the usage"


class InvalidAnswer(EscalateError):
    """An answer does not validate (bad email, unknown timezone, unparseable time...)."""

    def __init__(self, key: str, message: str, hint: str | None = None) -> None:
        super().__init__(f"{key}: {message}", hint)
        self.key = key
        self.reason = message  # without the key: what a person at the prompt is shown


class MissingAnswers(EscalateError):
    """Required answers are missing and there is no terminal to ask on."""

    def __init__(self, keys: list[str]) -> None:
        joined = ", ".join(keys)
        super().__init__(
            f"missing required answer(s): {joined}",
            "give them with --set KEY=VALUE or in the --answers file, or run on a terminal",
        )
        self.keys = keys


class AnswersFileError(EscalateError):
    """The answers file cannot be read or parsed."""

    default_hint = "pass a UTF-8 TOML or JSON file of answer keys (see `escalate new --help`)"


class OutputError(EscalateError):
    """The output folder cannot be written (it is a file, exists, or is not writable)."""

    default_hint = "choose a new folder with --out DIR"


class NotFoundError(EscalateError):
    """A report, draft or template that was asked for does not exist."""

    default_hint = "run `escalate list` to see what there is"


class TemplateError(EscalateError):
    """A template is missing, invalid or hostile."""

    default_hint = "run `escalate templates check PATH` for the details"


class VerifyError(EscalateError):
    """A bundle does not match its SHA256SUMS."""

    default_hint = "the bundle changed after it was written; render it again"


class CaptureError(EscalateError):
    """A screenshot could not be taken; the rest of the report goes on without it."""

    default_hint = "attach one with --screenshot-file PATH, or skip it with --no-screenshot"


class ClipboardError(EscalateError):
    """The text could not be put on the clipboard; the bundle is written all the same."""

    default_hint = "open message.txt in the bundle and copy it from there"


class DeliveryError(EscalateError):
    """The bundle could not be sent (no server set up, refused login, too large, no answer)."""

    default_hint = "nothing was sent; attach the bundle's files by hand, or fix the cause and retry"


class RenderError(EscalateError):
    """The PDF could not be rendered; the Markdown and JSON are unaffected."""

    default_hint = "write the other formats with --format md,json and report this as a bug"


class Interrupted(EscalateError):
    """The user stopped the run; the draft is kept."""

    exit_code = ExitCode.INTERRUPTED
    default_hint = "resume with `escalate new --resume`"

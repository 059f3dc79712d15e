"""Answer keys, their parsing and validation, and answers files (TOML or JSON).

Every parser takes the raw answer (what a person typed, or a value from a file) and returns
the normalised value to keep, or raises :class:`InvalidAnswer` saying what to type instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

from escalate.errors import AnswersFileError, InvalidAnswer
from escalate.model import Scope, Surface
from escalate.storage.atomic import unreadable
from escalate.text import clean_line, clean_text, shorten

ANSWERS_VERSION = 1
MAX_ERROR_TEXT = 1_000_000
MAX_LINE = 2_000

_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-:.]{3,199}")


def _quoted(text: str) -> str:
    """The answer as it appears in a one-line error: quoted, cleaned and cut short."""
    return repr(shorten(text, 60))


def parse_email(raw: object) -> str:
    """A single, valid email address (no display name, no CR/LF).

    The check is pydantic's own ``EmailStr`` validator, called directly: the same rules as
    ``Report.email`` without building a second validator for one string.
    """
    from pydantic.networks import validate_email
    from pydantic_core import PydanticCustomError

    text = str(raw).strip()
    try:
        return validate_email(text)[1]
    except PydanticCustomError as exc:
        reason = exc.message().removeprefix("value is not a valid email address: ")
        raise InvalidAnswer(
            "email",
            f"{_quoted(text)} is not a valid email address ({reason})",
            "type the address you sign in to ChatGPT with, e.g. name@example.com",
        ) from None


def parse_timezone(raw: object) -> str:
    """An IANA timezone name such as ``Europe/Berlin``."""
    name = str(raw).strip()
    try:
        if not name or name.startswith("/") or ".." in name:
            raise ValueError
        ZoneInfo(name)
    # OSError: with the tzdata package (always there on Windows) a name too long for a file
    # name fails as one.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidAnswer(
            "timezone",
            f"unknown timezone {_quoted(name)}",
            "use an IANA name such as Europe/Berlin, America/New_York or Asia/Kolkata",
        ) from None
    return name


def parse_scope(raw: object) -> str:
    """One of the scope values, or its label as shown; dashes, spaces and case are forgiven."""
    return _enum_value("scope", Scope, raw)


def parse_surface(raw: object) -> str:
    """Where it happened: a :class:`Surface` value, or its label as shown."""
    return _enum_value("surface", Surface, raw)


def _enum_value(key: str, enum: type[Scope] | type[Surface], raw: object) -> str:
    label = " ".join(str(raw).split())
    for member in enum:
        if label.lower() == member.label.lower():
            return member.value
    text = label.lower().replace("-", "_").replace(" ", "_")
    try:
        return enum(text).value
    except ValueError:
        allowed = "|".join(m.value for m in enum)
        message = f"unknown {key} {_quoted(str(raw))}"
        raise InvalidAnswer(key, message, f"use one of {allowed}") from None


NOT_SURE = "not sure"
_NOT_SURE = re.compile(r"(?:not\s+sure|unsure|unknown|don'?t\s+know|dunno|n/?a|\?)[.!]?", re.I)


def is_not_sure(raw: object) -> bool:
    """Whether the answer says the person does not know ("not sure", "don't know", "?")."""
    return isinstance(raw, str) and _NOT_SURE.fullmatch(raw.strip()) is not None


def parse_request_ids(raw: object) -> list[str]:
    """Zero or more request ids, separated by commas, spaces or new lines."""
    items = raw if isinstance(raw, list) else re.split(r"[\s,;]+", str(raw))
    ids: list[str] = []
    for item in items:
        value = clean_line(str(item))
        if not value:
            continue
        if not _REQUEST_ID.fullmatch(value):
            raise InvalidAnswer(
                "request_id",
                f"{value[:60]!r} does not look like a request id",
                "copy it from the error or the x-request-id header, e.g. req_4f8a9c1e…; "
                "leave empty if you have none",
            )
        if value not in ids:
            ids.append(value)
    return ids


# "req_…" anywhere; otherwise an id-like token right after a label, as in "Please include
# the request ID 3d9c… in your message", "x-request-id: …" or Cloudflare's "Ray ID: …".
_ID_IN_TEXT = re.compile(
    r"\b(req_[A-Za-z0-9]{8,120})\b"
    r"|(?:request[ _-]?id|ray[ _-]?id|cf-ray)[\"']?[ \t]{0,3}[:=#]?[ \t]{0,3}"
    r"(?=[A-Za-z_\-]{0,99}[0-9])([A-Za-z0-9][A-Za-z0-9_\-]{7,99})\b",
    re.IGNORECASE,
)


def find_request_ids(text: str) -> list[str]:
    """Request ids quoted in an error message or log, in order, each once."""
    found = (m.group(1) or m.group(2) for m in _ID_IN_TEXT.finditer(text))
    return list(dict.fromkeys(found))


def parse_steps(raw: object) -> list[str]:
    """Steps already tried: a list, or one string split on new lines or semicolons."""
    items = raw if isinstance(raw, list) else re.split(r"[\n;]", str(raw))
    return [step for step in (clean_line(str(i))[:MAX_LINE] for i in items) if step]


def parse_line(key: str, raw: object, *, required: bool = True) -> str:
    """A one-line free-text answer."""
    value = clean_line(str(raw))
    if required and not value:
        raise InvalidAnswer(key, "cannot be empty")
    if len(value) > MAX_LINE:
        raise InvalidAnswer(key, f"is {len(value)} characters; keep it under {MAX_LINE}")
    return value


def parse_error_text(raw: object) -> str:
    """The exact error wording, verbatim but for control characters and escapes."""
    value = clean_text(str(raw)).strip("\n")
    if not value.strip():
        raise InvalidAnswer(
            "error_text",
            "cannot be empty",
            "paste the exact error message as shown, e.g. 'Code interpreter session expired'",
        )
    if len(value) > MAX_ERROR_TEXT:
        raise InvalidAnswer(
            "error_text",
            f"is {len(value) / 1e6:.1f} MB; the limit is {MAX_ERROR_TEXT / 1e6:.0f} MB",
            "paste the error message itself, not the whole log",
        )
    return value


# --- answers files ------------------------------------------------------------------------


def load_answers_file(path: Path) -> dict[str, Any]:
    """Read a TOML or JSON answers file into a plain dict (validated later, key by key)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswersFileError(unreadable(path, exc, "answers file")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswersFileError(
            f"answers file {path} is not UTF-8 (bad byte at offset {exc.start})",
            "save it as UTF-8 and try again",
        ) from None
    data = _parse_answers_text(path, text)
    version = data.pop("answers_version", ANSWERS_VERSION)
    if not isinstance(version, int) or version > ANSWERS_VERSION:
        raise AnswersFileError(
            f"answers file {path} has answers_version {version!r}; this escalate reads "
            f"up to {ANSWERS_VERSION}",
            "upgrade escalate",
        )
    return data


def _parse_answers_text(path: Path, text: str) -> dict[str, Any]:
    is_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() != ".toml" and text.lstrip().startswith("{")
    )
    try:
        data: object
        if is_json:
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        kind = "JSON" if is_json else "TOML"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnswersFileError(f"answers file {path} is not valid {kind}: {detail}") from None
    if not isinstance(data, dict):
        raise AnswersFileError(f"answers file {path} must hold a table of answer keys")
    # Saved answers files nest the answers under [answers] with metadata beside them.
    if isinstance(data.get("answers"), dict):
        meta = {k: v for k, v in data.items() if k in {"answers_version", "template"}}
        return {**data["answers"], **meta}
    return dict(data)


def dump_answers_toml(answers: Mapping[str, Any], template: str, template_version: str) -> str:
    """Serialise answers for ``answers.toml`` (no secrets ever reach this)."""
    kept = {key: _toml_value(value) for key, value in answers.items() if value is not None}
    return tomli_w.dumps(
        {
            "answers_version": ANSWERS_VERSION,
            "template": template,
            "template_version": template_version,
            "answers": kept,
        }
    )


def _toml_value(value: object) -> object:
    # TOML has no null and no tuple; anything that is not a TOML scalar is kept as its text.
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_toml_value(v) for v in value]
    return str(value)

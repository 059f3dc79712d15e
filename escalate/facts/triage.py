"""Symptom → likely cause → next step, and OpenAI's published upload limits.

Triage runs before a report: many failures have a known cause and a fix the reporter can
try first; the rest get the right template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
FILE_LIMIT = 512 * MB
IMAGE_LIMIT = 20 * MB
SPREADSHEET_LIMIT = 50 * MB  # "about 50 MB", depending on row size
TEXT_TOKEN_LIMIT = 2_000_000
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text

IMAGE = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
SPREADSHEET = {".csv", ".tsv", ".xls", ".xlsx", ".ods"}
PLAIN_TEXT = {
    ".txt",
    ".md",
    ".json",
    ".py",
    ".js",
    ".ts",
    ".html",
    ".xml",
    ".log",
    ".yaml",
    ".yml",
    ".toml",
    ".ini",
    ".sql",
    ".java",
    ".c",
    ".cpp",
    ".go",
    ".rs",
    ".rb",
}


@dataclass(frozen=True)
class Symptom:
    """A known failure: how to recognise it, why it happens, what to try, which template."""

    title: str
    pattern: re.Pattern[str]
    cause: str
    steps: tuple[str, ...]
    template: str


SYMPTOMS = (
    Symptom(
        "Code interpreter / data analysis session expired",
        re.compile(
            r"code interpreter|execution environment|(?:analysis|code|python|interpreter|"
            r"sandbox) session (?:has )?expired",
            re.I,
        ),
        "Analysis sessions end after a period of inactivity and their files are discarded.",
        (
            "Re-upload the files and ask for the analysis again in the same chat.",
            "If it expires within minutes of an upload, that is the fault to report.",
        ),
        "session-expired",
    ),
    Symptom(
        "Upload failed",
        re.compile(r"upload|file (?:is )?too large|unable to (?:read|process) (?:the )?file", re.I),
        "The file may pass a published limit (512 MB per file, 20 MB per image, about 50 MB "
        "per spreadsheet, 2M tokens per text document), or the upload was interrupted.",
        (
            "Check the file with `escalate check-file PATH`.",
            "Try a smaller export, or split the file.",
        ),
        "upload-failed",
    ),
    Symptom(
        "Conversation not found",
        re.compile(
            r"conversation not found|unable to load conversation|chat (?:was )?not found", re.I
        ),
        "The link points to a chat that was deleted, archived, or belongs to another account or "
        "workspace.",
        (
            "Check you are signed in to the right account and workspace.",
            "Look for the chat under Archived chats.",
        ),
        "conversation-not-found",
    ),
    Symptom(
        "Rate limited",
        re.compile(
            r"\b429\b|too many requests|rate limit|usage cap|reached (?:the|your) limit", re.I
        ),
        "Message or request limits for the plan were reached; they reset after a while.",
        (
            "Wait for the time shown, then try again.",
            "For the API, check your organisation's rate limits and back off on 429.",
        ),
        "rate-limited",
    ),
    Symptom(
        "API error",
        re.compile(r"\b(?:401|403|500|502|503)\b|api key|invalid_request_error|x-request-id", re.I),
        "An API request failed; support needs the request IDs to trace it.",
        (
            "Collect the x-request-id header of each failing request (a HAR file helps).",
            "Check status.openai.com for an incident.",
        ),
        "api-error",
    ),
    Symptom(
        "Message too long",
        re.compile(
            r"(?:message|prompt|input) (?:you submitted )?(?:was|is) too long|"
            r"maximum context length|context (?:length|window) (?:exceeded|is exceeded)|"
            r"too many tokens",
            re.I,
        ),
        "The message, with the conversation before it, is more than the model can take in.",
        (
            "Shorten the message, or split it over several messages.",
            "Upload long material as a file instead of pasting it.",
            "Start a new chat: a long conversation counts against the same limit.",
        ),
        "openai-support",
    ),
    Symptom(
        "Content flagged by the usage policies",
        re.compile(r"violat\w* (?:our )?(?:usage|content) polic|content polic|flagged", re.I),
        "An automatic check judged the message or the answer against the usage policies.",
        (
            "Rephrase the request; the check reads the wording, not the intent.",
            "If the flag is wrong, report it with the exact prompt (it is kept verbatim).",
        ),
        "openai-support",
    ),
    Symptom(
        "Access blocked or unusual activity",
        re.compile(
            r"access denied|error (?:code )?1020|unusual activity|suspicious activity|"
            r"verify you are (?:a )?human|blocked",
            re.I,
        ),
        "A traffic filter flagged the network or browser: a VPN, a shared or corporate IP, "
        "a proxy, or automation in the browser.",
        (
            "Turn off VPN and proxy, or try another network (e.g. a phone hotspot).",
            "Clear cookies for chatgpt.com and openai.com, then sign in again.",
            "Disable extensions that automate or rewrite pages.",
        ),
        "openai-support",
    ),
    Symptom(
        "Answer cut off: error in the message stream",
        re.compile(
            r"error in (?:the )?(?:message|body) stream|stream (?:was )?interrupted|"
            r"error (?:while )?generating (?:a )?response",
            re.I,
        ),
        "The answer streams over one long connection; a VPN, proxy, antivirus web filter or "
        "extension that buffers or cuts it breaks the stream, as does a service incident.",
        (
            "Regenerate the answer.",
            "Check status.openai.com.",
            "Try without VPN, proxy or web filter, and with extensions disabled.",
        ),
        "openai-support",
    ),
    Symptom(
        "Signed out or sign-in loop",
        re.compile(
            r"(?<!interpreter )(?<!analysis )(?<!code )session (?:has )?expired|"
            r"(?:log|sign) ?in again|unauthori[sz]ed|"
            r"authentication (?:error|failed|required)",
            re.I,
        ),
        "The sign-in session ended or its cookies were blocked or cleared.",
        (
            "Sign out, clear cookies for chatgpt.com, auth.openai.com and openai.com, and "
            "sign in again.",
            "Allow third-party cookies for those sites if the browser blocks them.",
        ),
        "openai-support",
    ),
    Symptom(
        "Network error or 'Something went wrong'",
        re.compile(r"network error|something went wrong|failed to fetch|connection", re.I),
        "Often a VPN, proxy, firewall or browser extension interrupting the connection, or an "
        "incident.",
        (
            "Check status.openai.com.",
            "Try without VPN or proxy, and with extensions disabled.",
            "Try another browser or the app, to tell a browser problem from an account one.",
        ),
        "openai-support",
    ),
)


def triage(error_text: str) -> list[Symptom]:
    """Known symptoms matching ``error_text``, most specific first."""
    return [s for s in SYMPTOMS if s.pattern.search(error_text)]


@dataclass(frozen=True)
class FileVerdict:
    """One file against the published upload limits."""

    path: Path
    kind: str
    size: int
    ok: bool
    message: str


def _mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


def check_file(path: Path) -> FileVerdict:
    """Whether ``path`` is within the upload limits; unreadable files are a verdict too."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return FileVerdict(path, "unknown", 0, False, f"cannot read: {exc.strerror}")
    if not path.is_file():
        return FileVerdict(path, "unknown", 0, False, "not a file")
    suffix = path.suffix.lower()
    if size > FILE_LIMIT:
        return FileVerdict(
            path, "file", size, False, f"{_mb(size)} is over the 512 MB limit for any file"
        )
    if suffix in IMAGE:
        ok = size <= IMAGE_LIMIT
        return FileVerdict(
            path,
            "image",
            size,
            ok,
            f"{_mb(size)} {'within' if ok else 'over'} the 20 MB image limit",
        )
    if suffix in SPREADSHEET:
        ok = size <= SPREADSHEET_LIMIT
        verdict = "within" if ok else "over"
        return FileVerdict(
            path, "spreadsheet", size, ok, f"{_mb(size)} {verdict} the ~50 MB spreadsheet/CSV limit"
        )
    if suffix in PLAIN_TEXT:
        tokens = _estimate_tokens(path, size)
        ok = tokens <= TEXT_TOKEN_LIMIT
        return FileVerdict(
            path,
            "text",
            size,
            ok,
            f"about {tokens:,} tokens, {'within' if ok else 'over'} the 2M-token "
            "limit for text documents",
        )
    return FileVerdict(path, "file", size, True, f"{_mb(size)} within the 512 MB file limit")


def _estimate_tokens(path: Path, size: int) -> int:
    # Counting characters needs a decode; past 64 MB the size is a good enough estimate.
    if size > 64 * MB:
        return size // CHARS_PER_TOKEN
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return size // CHARS_PER_TOKEN
    return len(text) // CHARS_PER_TOKEN

"""``--json``: the option, and the one way every command prints its JSON document.

A command with ``--json`` prints exactly one JSON document on stdout and nothing else
there; messages and errors stay on stderr, and the exit status is the same as without it.
The shapes are listed in docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_json(p: argparse._ActionsContainer, what: str = "the result") -> None:
    """Add ``--json`` to ``p``; ``what`` completes "print ... as one JSON document"."""
    p.add_argument("--json", action="store_true", help=f"print {what} as one JSON document")


def _plain(value: Any) -> str:
    # Dates as ISO 8601 with UTC as "Z", as pydantic writes them in report.json and in the
    # other keys of the same document; paths and anything else as their text.
    iso = getattr(value, "isoformat", None)
    if not callable(iso):
        return str(value)
    text = str(iso())
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def dumps(document: Any) -> str:
    """The JSON text of ``document``: indented, UTF-8 kept, dates ISO 8601, paths as text."""
    return json.dumps(document, indent=2, ensure_ascii=False, default=_plain)


# The documents, as docs/cli.md lists them (a test compares these keys with real output).
# "[]" after a command: the document is an array of such objects.
SHAPES: dict[str, dict[str, str]] = {
    "new": {
        "id": "the report id",
        "folder": "the bundle folder",
        "files": "[{name, size (bytes), sha256}] for every file in the bundle, SHA256SUMS last",
        "zip": "the zip written with --zip, or null",
        "redaction": "report.json's redaction: {enabled, counts: {kind: n}, undone, ...}",
        "screenshot_problem": "why there is no screenshot, or null",
    },
    "verify": {
        "folder": "the bundle folder checked",
        "intact": "true when every listed file matches (exit 0), else false (exit 1)",
        "ok": "[file] that match",
        "bad": "[file] changed since written",
        "missing": "[file] listed but absent",
        "unlisted": "[file] present but not in SHA256SUMS",
    },
    "list []": {
        "id": "report id",
        "created_at": "when the report was written (ISO 8601)",
        "occurred_at_utc": "when the failure happened (ISO 8601, UTC)",
        "template": "template name",
        "summary": "one-line summary",
        "scope": "scope key",
        "folder": "the report's history folder",
        "bundle": "its bundle folder, or null",
    },
    "show": {"...": "report.json itself (`escalate schema` prints its JSON schema)"},
    "doctor": {"checks": "[{name, status (ok, warn or fail), message}]; exit 1 when one is fail"},
    "status": {
        "url": "the status page asked",
        "checked_at": "when (ISO 8601)",
        "source": "incident.io or statuspage (recognised from the response), or null",
        "indicator": "none, minor, major or critical; or null",
        "description": "the page's own wording, or null",
        "incidents": "[name] of ongoing incidents",
        "ongoing": "[{name, status, started_at, resolved_at, components: [{name, group, "
        "status}]}] the ongoing incidents in full",
        "affected": "[{name, group, status}] components not operational now",
        "overlapping": "[incident] from the history (empty for `status`)",
        "history_error": "why the incident history could not be read, or null",
        "error": "why the page could not be read (exit 1), or null",
    },
    "templates list []": {
        "name": "template name",
        "origin": "built-in, user, team, ... (where it was found)",
        "folder": "its folder",
        "version": "manifest version, or null when invalid",
        "title": "manifest title, or null when invalid",
        "invalid": "why the manifest is invalid, or null",
        "overrides": "[{origin, folder}] of templates of the same name it hides",
    },
    "templates show": {
        "name": "template name",
        "version": "manifest version",
        "title": "title",
        "description": "description",
        "origin": "where it was found",
        "folder": "its folder",
        "extends": "[name] of its parents, nearest first",
        "defaults": "{key: value} presets",
        "questions": "[question] as in template.toml (key, prompt, type, ...)",
        "steps": "[label] of the troubleshooting checklist",
    },
    "templates check": {
        "folder": "the folder checked",
        "ok": "true when there is no problem (exit 0)",
        "problems": "[{file, line, message}]",
    },
    "triage": {
        "incidents": "[line] an ongoing incident on a component the error depends on (said "
        "first in the text), empty when none or not checked",
        "matches": "[{title, cause, steps: [text], template}], most specific first",
    },
    "check-file": {
        "ok": "true when every file fits the upload limits (exit 0)",
        "files": "[{path, kind, size, ok, message}]",
    },
    "har": {
        "input": "the HAR file read",
        "output": "the sanitised copy written",
        "entries": "number of requests",
        "failed": "[{method, url, status, started_at, request_id, error}] failing requests",
        "request_ids": "[id], failing requests' first",
        "first_failure_at": "ISO 8601, or null",
        "removed": "{kind: n} of what was scrubbed",
    },
    "config show": {
        "email": "the remembered email, or null",
        "email_source": "keyring, file (the private settings file) or null",
        "email_problem": "why the keyring could not be read, or null",
        "data_folder": "reports, drafts and logs",
        "config_folder": "settings and user templates",
        "cache_folder": "compiled templates (safe to delete)",
        "template_dirs": "[folder] of team templates",
        "smtp": "{host, port, tls, user} for `escalate send`, or null (the password stays in "
        "the keyring)",
    },
}

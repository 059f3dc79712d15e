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


def dumps(document: Any) -> str:
    """The JSON text of ``document``: indented, UTF-8 kept, paths and dates as strings."""
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)

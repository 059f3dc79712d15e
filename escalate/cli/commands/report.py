"""``escalate new`` and ``escalate repeat``: start the probes, then run the report.

This module is light on purpose. The environment probes run programs (a browser's
``--version``) and start before the pipeline is imported (pydantic and the rest, about
100 ms cold, measured in `nox -s bench`), so that the two overlap.
"""

from __future__ import annotations

import argparse
import importlib
from typing import TYPE_CHECKING

from escalate.background import Job
from escalate.facts.environment import collect

if TYPE_CHECKING:
    from escalate.cli.console import Console

# Loaded by name after the probes started: the reason for this module, see above.
REPORTING = "escalate.cli.commands.reporting"


def cmd_new(console: Console, args: argparse.Namespace) -> int:
    environment = Job.start(lambda: collect(console.env), "environment")
    reporting = importlib.import_module(REPORTING)
    code: int = reporting.run(console, args, environment)
    return code


HANDLERS = {"new": cmd_new, "repeat": cmd_new}

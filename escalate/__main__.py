"""Allow ``python -m escalate``."""

from escalate.cli import run

run()

"""Allow ``python -m escalate``."""

from escalate.cli.main import run

run()

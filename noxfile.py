"""Developer sessions: tests, lint, typecheck, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (set ESCALATE_REQUIRE_E2E=1 to fail instead of skip on missing tools)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, tests and this file."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "escalate", "tests", "scripts", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict with the pydantic plugin."""
    session.install("-e", ".", "mypy>=1.11")
    session.run("mypy", "--strict", "escalate")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Cold-process timings, and detection side by side with detect-secrets; writes the
    figures into docs/performance.md."""
    # detect-secrets is compared with, never used: it is installed here and nowhere else.
    session.install(".[test]", "detect-secrets==1.5.*")
    session.run("python", "tests/bench/run.py", "--write", "docs/performance.md", *session.posargs)
    session.run("python", "tests/bench/detectors.py", "--write", "docs/performance.md")

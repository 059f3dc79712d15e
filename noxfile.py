"""Developer sessions: tests, tests_floor, lint, typecheck, docs, bench."""

from __future__ import annotations

import runpy
from pathlib import Path

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
def tests_floor(session: nox.Session) -> None:
    """The test suite with every dependency at its lowest declared version (scripts/floor.py)."""
    floor = runpy.run_path("scripts/floor.py")["floor_constraints"]()
    # Beside the environment, not in session.create_tmp(): that would set TMPDIR, and the
    # tests' paths would grow long enough to be shortened in messages.
    constraints = Path(session.virtualenv.location) / "floor.txt"
    constraints.write_text("\n".join(floor) + "\n", encoding="utf-8")
    session.install("-c", str(constraints), "-e", ".[test]")
    session.run("python", "-m", "pip", "freeze", "--exclude-editable", silent=False)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs-material over docs/), with warnings as errors."""
    pyproject = nox.project.load_toml("pyproject.toml")
    session.install(*nox.project.dependency_groups(pyproject, "docs"))
    site = Path(session.create_tmp()) / "site"
    session.run("mkdocs", "build", "--strict", "--site-dir", str(site),
                env={"NO_MKDOCS_2_WARNING": "1"})


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

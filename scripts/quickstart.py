"""Install escalate from this clone into a private virtual environment, then start it.

    python3 scripts/quickstart.py            install into .venv, then start `escalate new`
    python3 scripts/quickstart.py --tests    install with the test tools, run the test suite

Only the standard library is used, and nothing is installed into the Python that runs this
script, so it works where that Python refuses `pip install` (PEP 668: Debian, Ubuntu,
Homebrew) and where it has no `ensurepip` (Debian without python3-venv): then pip itself is
fetched from PyPI, checked against the hash below, and installed into .venv only. The
same command works on Linux, macOS and Windows (`py scripts/quickstart.py` there too).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
MINIMUM = (3, 11)
# pip for a Python without ensurepip: a pinned release and its hash, so what runs is known.
PIP_URL = (
    "https://files.pythonhosted.org/packages/07/25/"
    "ee8c38ae72d66b844ce8eb9711ba905dba21ca1a8a0c960057c41cd23337/pip-26.3-py3-none-any.whl"
)
PIP_SHA256 = "f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13"
STAMP = "escalate-quickstart.txt"


class QuickstartError(Exception):
    """A step failed in a way the user can act on; the message says how."""


def venv_python(folder: Path) -> Path:
    """The interpreter of the virtual environment in ``folder``, on any platform."""
    if os.name == "nt":
        return folder / "Scripts" / "python.exe"
    return folder / "bin" / "python"


def venv_program(folder: Path, name: str) -> Path:
    """A console script installed in the virtual environment in ``folder``."""
    return venv_python(folder).with_name(name + (".exe" if os.name == "nt" else ""))


def _works(python: Path, *args: str) -> bool:
    if not python.exists():
        return False
    done = subprocess.run([str(python), *args], capture_output=True, check=False)
    return done.returncode == 0


def has_ensurepip() -> bool:
    """Whether this Python can put pip into a new virtual environment by itself."""
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_venv(folder: Path, *, pip_url: str = PIP_URL, pip_sha256: str = PIP_SHA256) -> Path:
    """A virtual environment with pip in ``folder`` (kept when it already works)."""
    python = venv_python(folder)
    if _works(python, "-m", "pip", "--version"):
        return python
    say(f"Creating a private virtual environment in {folder}")
    with_pip = has_ensurepip()
    try:
        venv.EnvBuilder(with_pip=with_pip, clear=True, upgrade_deps=False).create(folder)
    except (OSError, subprocess.CalledProcessError) as exc:
        message = f"could not create the virtual environment in {folder}: {exc}"
        raise QuickstartError(message) from exc
    if not with_pip:
        bootstrap_pip(python, pip_url, pip_sha256)
    if not _works(python, "-m", "pip", "--version"):
        raise QuickstartError(f"pip does not run in {folder}; delete the folder and try again")
    return python


def bootstrap_pip(python: Path, url: str, sha256: str) -> None:
    """Install pip into a virtual environment made without it, from a wheel checked by hash."""
    say("This Python has no ensurepip; fetching pip from PyPI")
    if not url.startswith(("https://", "http://127.0.0.1")):
        raise QuickstartError(f"refusing to fetch pip from {url}")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (checked above)
            data = response.read()
    except OSError as exc:
        message = f"could not download pip ({exc}); check the network connection"
        raise QuickstartError(message) from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise QuickstartError("the downloaded pip does not match its expected hash; not used")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(tmp) / url.rsplit("/", 1)[1]
        wheel.write_bytes(data)
        # A pip wheel runs from the wheel itself: the usual way to bootstrap pip.
        run(python, str(wheel / "pip"), "install", "-q", "--no-index", str(wheel))


def install(python: Path, extras: str) -> None:
    """Install this clone (editable) with ``extras``, unless it already is, unchanged."""
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    stamp = python.parent.parent / STAMP
    wanted = f"{target}\n{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()}\n"
    if stamp.exists() and wanted in stamp.read_text(encoding="utf-8").split("\n---\n"):
        return
    say(f"Installing escalate{' with its test tools' if extras else ''} into {python.parent.parent}"
        " (a minute or two the first time)")
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target)
    known = stamp.read_text(encoding="utf-8") + "\n---\n" if stamp.exists() else ""
    stamp.write_text(known + wanted, encoding="utf-8")


def run(python: Path, *args: str) -> None:
    """Run a step with the virtual environment's Python; a failure stops with its command."""
    code = hand_over([str(python), *args])
    if code != 0:
        raise QuickstartError(f"this step failed (exit {code}): python {' '.join(args)}")


def hand_over(argv: list[str], cwd: Path | None = None) -> int:
    """Run a program to its end and return its exit code.

    Ctrl-C reaches the program as well (one process group): it decides what to do, such as
    keeping escalate's draft, and this script waits for it rather than killing it.
    """
    process = subprocess.Popen(argv, cwd=cwd)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


def say(line: str) -> None:
    """One line of progress on stderr, so stdout stays escalate's own."""
    print(f"quickstart: {line}", file=sys.stderr, flush=True)


def start_escalate(folder: Path, interactive: bool) -> int:
    """Start the guided report on a terminal; elsewhere, show the version and how to start."""
    escalate = venv_program(folder, "escalate")
    activate = (
        rf"{folder}\Scripts\activate" if os.name == "nt" else f". {folder}/bin/activate"
    )
    say(f"escalate is installed: run {escalate}, or `{activate}` and then `escalate`")
    if not interactive:
        say("no terminal, so no guided report: here is `escalate --version`")
        return hand_over([str(escalate), "--version"])
    return hand_over([str(escalate), "new"])


def run_tests(python: Path, pytest_args: list[str]) -> int:
    """The test suite, with the virtual environment's pytest, from the clone's root."""
    say("Running the test suite")
    return hand_over([str(python), "-m", "pytest", *pytest_args], cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    """Install, then start escalate (or run the tests); one clear line when a step fails."""
    parser = argparse.ArgumentParser(prog="quickstart.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", action="store_true", help="install the test tools and run "
                        "the test suite (arguments after -- go to pytest)")
    args, rest = parser.parse_known_args(argv)
    if rest and rest[0] == "--":
        rest = rest[1:]
    if rest and not args.tests:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if sys.version_info < MINIMUM:
        found = ".".join(map(str, sys.version_info[:3]))
        print(f"quickstart: error: escalate needs Python 3.11 or newer; this is {found} "
              f"({sys.executable}). Install a newer Python and run this again with it.",
              file=sys.stderr)
        return 1
    try:
        python = ensure_venv(VENV)
        install(python, "test" if args.tests else "")
    except QuickstartError as exc:
        print(f"quickstart: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("quickstart: interrupted; run the same command again to go on", file=sys.stderr)
        return 130
    if args.tests:
        return run_tests(python, rest)
    return start_escalate(VENV, sys.stdin.isatty() and sys.stdout.isatty())


if __name__ == "__main__":
    sys.exit(main())

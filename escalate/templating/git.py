"""Team template repositories: clone and fast-forward them with the system ``git``.

A template repository is data, never code: git runs without hooks, without prompts, without
the ``ext::`` transport or submodules, and with a timeout, so a hostile or unreachable
remote costs one clear error line and nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from escalate.errors import TemplateError

GIT_TIMEOUT = 120.0
_SAFE_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "submodule.recurse=false",
)
_URL = re.compile(r"^(?:(?:https?|ssh|git|file)://\S+|[\w.-]+@[\w.-]+:\S+)$")


def git_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment git runs in: never asks for a password, never opens an editor."""
    env = {
        k: v
        for k, v in base.items()
        if k in {"PATH", "HOME", "LANG", "LC_ALL", "SSH_AUTH_SOCK", "TMPDIR", "USER"}
    }
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GCM_INTERACTIVE="never",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes",
        LC_ALL="C",
    )
    return env


def run_git(args: Sequence[str], env: Mapping[str, str], timeout: float = GIT_TIMEOUT) -> str:
    """Run ``git`` with the safe options; its stdout, or a one-line TemplateError."""
    git = shutil.which("git", path=env.get("PATH"))
    if git is None:
        raise TemplateError(
            "git is not installed (needed for template repositories)",
            "install git, or add a plain folder: `escalate templates add DIR`",
        )
    rest = list(args[2:]) if args[:1] == ["-C"] or tuple(args[:1]) == ("-C",) else list(args)
    verb = next((a for a in rest if not a.startswith("-")), "git")
    try:
        done = subprocess.run(
            [git, *_SAFE_CONFIG, *args],
            env=git_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            umask=0o077,  # a cloned template repository is private like the rest (0700/0600)
        )
    except subprocess.TimeoutExpired:
        raise TemplateError(
            f"git {verb} did not finish within {timeout:g} s and was stopped",
            "check the network and the repository address",
        ) from None
    except OSError as exc:
        raise TemplateError(f"cannot run git: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
        detail = (fatal or lines or [f"exit code {done.returncode}"])[0].strip()
        raise TemplateError(f"git {verb} failed: {detail}")
    return done.stdout.decode("utf-8", "replace").strip()


def parse_source(source: str) -> str:
    """``git+URL`` → URL, refusing anything that git could read as an option or a command."""
    url = source.removeprefix("git+")
    if url.startswith("-") or not _URL.match(url):
        raise TemplateError(
            f"{source!r} is not a repository address git can clone safely",
            "use git+https://…, git+ssh://…, git+file:///… or git+user@host:path",
        )
    return url


def repo_name(url: str) -> str:
    """The folder name for a clone: the last path part, without ``.git``."""
    last = re.split(r"[/:]", url.rstrip("/"))[-1].removesuffix(".git")
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", last).strip(".-") or "templates"
    return name[:64]


def clone(url: str, dest: Path, env: Mapping[str, str]) -> None:
    """Clone ``url`` into ``dest`` (which must not exist); nothing is left on failure."""
    tmp = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        # --template= copies no sample hooks: they would never run (hooksPath) and are the
        # only executable files a clone would hold.
        run_git(
            ["clone", "--quiet", "--template=", "--no-recurse-submodules", "--", url, str(tmp)],
            env,
        )
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def pull(folder: Path, env: Mapping[str, str]) -> str:
    """Fast-forward ``folder`` to its upstream; returns the new short commit id."""
    run_git(["-C", str(folder), "pull", "--ff-only", "--quiet", "--no-recurse-submodules"], env)
    return run_git(["-C", str(folder), "rev-parse", "--short", "HEAD"], env)


def cloned_repos(root: Path) -> list[Path]:
    """The repositories under ``template-repos``, by name."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / ".git").exists() and not p.is_symlink())

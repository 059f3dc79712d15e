"""The email in the keyring: a real in-memory backend, a missing one, a hanging one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from escalate.facts import identity
from tests.conftest import HANG_GUARD
from tests.harness import run, write_answers


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not stored")


class HangingKeyring(MemoryKeyring):
    """Like a Secret Service waiting for an unlock prompt nobody sees."""

    release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)


@pytest.fixture
def backend() -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_config_set_email_then_new_uses_it(tmp_path: Path, backend: None) -> None:
    mem = MemoryKeyring()
    keyring.set_keyring(mem)
    result = run("config", "set", "email", "dana.kim@example.org")
    assert result.code == 0, result.err
    assert mem.store[("escalate", "email")] == "dana.kim@example.org"
    answers = write_answers(tmp_path / "a.toml", email=None)
    result = run(
        "new",
        "--yes",
        "--no-screenshot",
        "--format",
        "md",
        "--answers",
        str(answers),
        "--out",
        str(tmp_path / "b"),
    )
    assert result.code == 0, result.err
    assert "dana.kim@example.org" in (tmp_path / "b" / "submission.md").read_text()
    assert "dana.kim@example.org" in run("config", "show").out
    assert run("config", "unset", "email").code == 0
    assert ("escalate", "email") not in mem.store


def test_config_set_rejects_a_bad_email(backend: None) -> None:
    keyring.set_keyring(MemoryKeyring())
    result = run("config", "set", "email", "nope")
    assert result.code == 1 and "not a valid email address" in result.err


def test_no_backend_warns_once_and_asks(tmp_path: Path, backend: None) -> None:
    keyring.set_keyring(fail.Keyring())
    result = run("config", "set", "email", "dana.kim@example.org")
    assert result.code == 1
    assert "no keyring backend is available" in result.err
    assert "Traceback" not in result.err
    answers = write_answers(tmp_path / "a.toml", email=None)
    result = run("new", "--yes", "--no-screenshot", "--format", "md", "--answers", str(answers))
    assert result.code == 1
    # In plain words, once: not the backend's jargon, and not again on the next run.
    notice = "There is no system keyring here"
    assert result.err.count(notice) == 1
    assert "NoKeyringError" not in result.err and "backend" not in result.err
    assert "missing required answer(s): email" in result.err
    again = run("new", "--yes", "--no-screenshot", "--format", "md", "--answers", str(answers))
    assert again.code == 1 and notice not in again.err


def test_hanging_backend_times_out(backend: None) -> None:
    keyring.set_keyring(HangingKeyring())
    start = time.monotonic()
    lookup = identity.get_email(timeout=0.3)
    assert time.monotonic() - start < 0.3 + HANG_GUARD  # the backend hangs for ever otherwise
    assert lookup.email is None and lookup.problem is not None
    assert "did not answer within 0.3 s" in lookup.problem.message
    with pytest.raises(identity.KeyringProblem, match="did not answer"):
        identity.set_email("a@example.org", timeout=0.3)
    HangingKeyring.release.set()

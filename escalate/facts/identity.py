"""The reporter's email in the system keyring: bounded in time, never a hang or a traceback.

Headless Linux often has no Secret Service, or one that blocks forever waiting for an unlock
prompt nobody sees. Every keyring call therefore runs in a daemon thread with a timeout, and
any failure becomes a :class:`KeyringProblem` with one clear sentence.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from escalate.errors import EscalateError

SERVICE = "escalate"
EMAIL_KEY = "email"
DEFAULT_TIMEOUT = 3.0

T = TypeVar("T")


class KeyringProblem(EscalateError):
    """The keyring cannot be used; the email is asked each time instead."""

    default_hint = (
        "the email will be asked each time; to store it, install a keyring backend "
        "(Secret Service, KWallet, macOS Keychain, Windows Credential Manager)"
    )


@dataclass(frozen=True)
class EmailLookup:
    """The stored email, or why there is none."""

    email: str | None
    problem: KeyringProblem | None = None


def _bounded(fn: Callable[[], T], timeout: float, what: str) -> T:
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"keyring-{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise KeyringProblem(f"the keyring did not answer within {timeout:g} s ({what})")
    if "error" in box:
        raise _explain(box["error"], what)
    return box["value"]  # type: ignore[return-value]


def _explain(exc: object, what: str) -> KeyringProblem:
    name = type(exc).__name__
    if name == "NoKeyringError":
        return KeyringProblem("no keyring backend is available on this system")
    detail = str(exc).splitlines()[0] if str(exc) else name
    return KeyringProblem(f"the keyring failed to {what}: {detail}")


def get_email(timeout: float = DEFAULT_TIMEOUT) -> EmailLookup:
    """Read the stored email; never raises."""
    try:
        return EmailLookup(get_secret(EMAIL_KEY, timeout, "read the email"))
    except KeyringProblem as problem:
        return EmailLookup(None, problem)


def set_email(address: str, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Store the email; raises :class:`KeyringProblem` when it cannot."""
    set_secret(EMAIL_KEY, address, timeout, "store the email")


def delete_email(timeout: float = DEFAULT_TIMEOUT) -> None:
    """Forget the stored email; raises :class:`KeyringProblem` when it cannot."""

    def delete() -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):  # nothing stored: already forgotten
            keyring.delete_password(SERVICE, EMAIL_KEY)

    _bounded(delete, timeout, "forget the email")


def get_secret(
    key: str, timeout: float = DEFAULT_TIMEOUT, what: str = "read a secret"
) -> str | None:
    """The value stored under ``key``, or None; raises :class:`KeyringProblem`."""

    def read() -> str | None:
        import keyring

        return keyring.get_password(SERVICE, key)

    return _bounded(read, timeout, what)


def set_secret(key: str, value: str, timeout: float = DEFAULT_TIMEOUT,
               what: str = "store a secret") -> None:
    """Store ``value`` under ``key``; raises :class:`KeyringProblem` when it cannot."""

    def write() -> None:
        import keyring

        keyring.set_password(SERVICE, key, value)

    _bounded(write, timeout, what)

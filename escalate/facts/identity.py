"""The reporter's email in the system keyring: bounded in time, never a hang or a traceback.

Headless Linux often has no Secret Service, or one that blocks forever waiting for an unlock
prompt nobody sees. Every keyring call therefore runs in a daemon thread with a timeout, and
any failure becomes a :class:`KeyringProblem` with one clear sentence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from escalate.background import Job
from escalate.errors import EscalateError
from escalate.storage.paths import Paths, load_settings, save_settings

SERVICE = "escalate"
EMAIL_KEY = "email"
DEFAULT_TIMEOUT = 3.0

T = TypeVar("T")


class KeyringProblem(EscalateError):
    """The keyring cannot be used; the email can be kept in the private settings file."""

    default_hint = (
        "escalate offers to keep the email in its private settings file instead; to use a "
        "keyring, install a backend "
        "(Secret Service, KWallet, macOS Keychain, Windows Credential Manager)"
    )


@dataclass(frozen=True)
class EmailLookup:
    """The stored email, or why there is none."""

    email: str | None
    problem: KeyringProblem | None = None


def _bounded(fn: Callable[[], T], timeout: float, what: str) -> T:
    try:
        return Job.start(fn, f"keyring-{what}").wait(timeout)
    except TimeoutError:
        raise KeyringProblem(f"the keyring did not answer within {timeout:g} s ({what})") from None
    except Exception as exc:  # any backend failure is one sentence
        raise _explain(exc, what) from None


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


# --- remembering the email between reports ---------------------------------------------------

SETTINGS_EMAIL = "email"  # in the private settings file (0600) when there is no keyring
NOTICE_SHOWN = "keyring_notice_shown"
FILE_OFFERED = "remember_email_offered"


@dataclass(frozen=True)
class Remembered:
    """The remembered email, where it came from, and what to tell the person (once)."""

    email: str | None
    source: str | None = None  # "keyring" | "file"
    keyring_works: bool = True
    notice: str | None = None


def remembered_email(paths: Paths, timeout: float = DEFAULT_TIMEOUT) -> Remembered:
    """The email from the keyring, else from the private settings file; never raises.

    Without a usable keyring, a plain notice is returned the first time only.
    """
    lookup = get_email(timeout)
    if lookup.email:
        return Remembered(lookup.email, "keyring")
    settings = load_settings(paths)
    stored = settings.get(SETTINGS_EMAIL)
    email = stored if isinstance(stored, str) and stored else None
    if lookup.problem is None:
        return Remembered(email, "file" if email else None)
    notice = None
    if not settings.get(NOTICE_SHOWN):
        notice = (
            "There is no system keyring here, so escalate cannot keep your email in one; "
            "it will offer to keep it in its own private settings file instead."
        )
        save_settings(paths, {**settings, NOTICE_SHOWN: True})
    return Remembered(email, "file" if email else None, keyring_works=False, notice=notice)


def remember_email(paths: Paths, address: str, *, keyring_works: bool) -> str | None:
    """Keep ``address`` for next time: in the keyring, or (asked first) the settings file.

    Returns where it was kept, or None when the keyring failed (the caller may then offer
    the file).
    """
    if keyring_works:
        try:
            set_email(address)
        except KeyringProblem:
            return None
        return "keyring"
    save_settings(paths, {**load_settings(paths), SETTINGS_EMAIL: address, FILE_OFFERED: True})
    return "file"


def file_offer_pending(paths: Paths) -> bool:
    """Whether keeping the email in the settings file has not been offered yet."""
    return not load_settings(paths).get(FILE_OFFERED)


def decline_file(paths: Paths) -> None:
    """Remember that the person said no, so the offer is made only once."""
    save_settings(paths, {**load_settings(paths), FILE_OFFERED: True})


def forget_email(paths: Paths) -> list[str]:
    """Forget the email everywhere it is kept; returns where it was removed from."""
    removed = []
    settings = load_settings(paths)
    if settings.pop(SETTINGS_EMAIL, None) is not None:
        save_settings(paths, settings)
        removed.append("the private settings file")
    try:
        delete_email()
        removed.append("the system keyring")
    except KeyringProblem:
        if not removed:
            raise
    return removed

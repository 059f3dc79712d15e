"""Work in a daemon thread with a timeout: the one helper for everything that may hang.

The environment probes, the status page, the keyring and the X server can each block
forever on a broken machine. A :class:`Job` runs one function in a daemon thread, so a
hung call can never keep the process alive, and is collected under a deadline:
:meth:`Job.result` returns a fallback (for conveniences that must never cost a report),
:meth:`Job.wait` raises (for callers that turn the failure into their own message).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Job(Generic[T]):
    """One function running in the background."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._fn = fn
        self._value: T | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @classmethod
    def start(cls, fn: Callable[[], T], name: str = "job") -> Job[T]:
        job = cls(fn, name)
        job._thread.start()
        return job

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the caller through .error
            self.error = exc

    @property
    def running(self) -> bool:
        """Whether the function has not returned yet."""
        return self._thread.is_alive()

    def wait(self, timeout: float) -> T:
        """The value; the job's own exception, or :class:`TimeoutError` when it is not done."""
        self._thread.join(max(0.0, timeout))
        if self._thread.is_alive():
            raise TimeoutError(f"{self._thread.name} did not finish within {timeout:g} s")
        if self.error is not None:
            raise self.error
        return self._value  # type: ignore[return-value]  # set by _run when no error

    def result(self, timeout: float, fallback: T) -> T:
        """The value, or ``fallback`` when the job failed or is not done within ``timeout``."""
        self._thread.join(timeout)
        if self._thread.is_alive() or self.error is not None or self._value is None:
            return fallback
        return self._value

"""Start slow, independent work early and collect it later (environment, status page).

A :class:`Job` runs one function in a daemon thread; :meth:`Job.result` waits a bounded
time and returns the value, or the fallback when it failed or is still running. Nothing
here ever raises into the caller: these are conveniences, never reasons to lose a report.
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

    def result(self, timeout: float, fallback: T) -> T:
        """The value, or ``fallback`` when the job failed or is not done within ``timeout``."""
        self._thread.join(timeout)
        if self._thread.is_alive() or self.error is not None or self._value is None:
            return fallback
        return self._value

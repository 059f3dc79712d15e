"""A cache of compiled built-in templates in the user's cache folder."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

from escalate import __version__
from escalate.errors import EscalateError
from escalate.storage.atomic import private_dir


def bytecode_cache(folder: Path) -> Any:
    """A cache of compiled templates in ``folder``, for escalate's own templates only.

    The key holds everything the compiled code depends on besides the source: the Jinja
    and escalate versions and the environment's compile-time settings. A cache that cannot
    be read or written is a slower render, never a failed one.
    """
    import jinja2
    from jinja2.bccache import FileSystemBytecodeCache

    class Cache(FileSystemBytecodeCache):
        def get_bucket(self, environment: Any, name: str, filename: Any, source: str) -> Any:
            flavour = repr((
                __version__, jinja2.__version__, sorted(environment.intercepted_binops),
                environment.finalize is not None, environment.trim_blocks,
                environment.lstrip_blocks, environment.keep_trailing_newline,
                sorted(environment.filters), [c.__name__ for c in type(environment).__mro__],
            ))
            key = hashlib.sha256(flavour.encode()).hexdigest()[:16]
            return super().get_bucket(environment, f"{key}|{name}", filename, source)

        def load_bytecode(self, bucket: Any) -> None:
            with contextlib.suppress(OSError, ValueError, EOFError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket: Any) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        private_dir(folder)
    except (OSError, EscalateError):  # e.g. a link or a file where the folder should be
        return None
    return Cache(str(folder), "%s.jinja")

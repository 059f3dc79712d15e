"""Where things live under platformdirs, report ids, and the user settings file.

``ESCALATE_HOME`` redirects every path (tests, CI, a portable install). Folders are 0700
and files 0600, because a report holds an email address and possibly more.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escalate.storage.atomic import atomic_write, private_dir

APP = "escalate"
BUNDLE_DIR = "bundle"  # a report's default bundle: <record>/bundle, apart from its private files
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class Paths:
    """The folders escalate uses; created lazily, never at import."""

    data: Path
    config: Path
    cache: Path

    @property
    def reports(self) -> Path:
        return self.data / "reports"

    @property
    def drafts(self) -> Path:
        return self.data / "drafts"

    @property
    def compiled_templates(self) -> Path:
        """Compiled built-in templates (no personal data; safe to delete)."""
        return self.cache / "templates"

    @property
    def user_templates(self) -> Path:
        return self.config / "templates"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"


def paths(env: Mapping[str, str] | None = None) -> Paths:
    """Resolve the folders, honouring ``ESCALATE_HOME``."""
    env = os.environ if env is None else env
    home = env.get("ESCALATE_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(data=root / "data", config=root / "config", cache=root / "cache")
    import platformdirs

    return Paths(
        data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
        cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
    )


def new_report_id(now: datetime) -> str:
    """A sortable, readable id such as ``2026-11-20-0315-k3f9`` (UTC time + 4 random chars)."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(4))
    return f"{now.astimezone(UTC):%Y-%m-%d-%H%M}-{suffix}"


def load_settings(p: Paths) -> dict[str, Any]:
    """User settings (non-secret); a damaged file reads as empty."""
    try:
        raw = json.loads(p.settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def save_settings(p: Paths, settings: Mapping[str, Any]) -> None:
    """Write user settings atomically, 0600."""
    private_dir(p.config)
    atomic_write(p.settings_file, json.dumps(dict(settings), indent=2, ensure_ascii=False))

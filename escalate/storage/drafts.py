"""Drafts: the answers typed so far, saved after every answer so nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalate.storage.atomic import atomic_write, private_dir
from escalate.storage.paths import Paths

DRAFT_VERSION = 1


@dataclass
class Draft:
    """Answers typed so far, saved after every answer so nothing is lost."""

    id: str
    template: str
    answers: dict[str, Any]
    started_at: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "draft_version": DRAFT_VERSION,
                "id": self.id,
                "template": self.template,
                "answers": self.answers,
                "started_at": self.started_at,
            },
            indent=2,
            ensure_ascii=False,
        )


class DraftStore:
    """Drafts under ``data/drafts``; the newest one is what ``--resume`` picks up."""

    def __init__(self, p: Paths) -> None:
        self.dir = p.drafts

    def save(self, draft: Draft) -> Path:
        private_dir(self.dir)
        return atomic_write(self.dir / f"{draft.id}.json", draft.to_json())

    def latest(self) -> Draft | None:
        drafts = sorted(self.files(), key=lambda f: f.stat().st_mtime, reverse=True)
        for f in drafts:
            draft = _read_draft(f)
            if draft is not None:
                return draft
        return None

    def discard(self, draft_id: str) -> None:
        (self.dir / f"{draft_id}.json").unlink(missing_ok=True)

    def files(self) -> Iterator[Path]:
        """Every draft file (readable or not)."""
        if self.dir.is_dir():
            yield from self.dir.glob("*.json")


def _read_draft(f: Path) -> Draft | None:
    # A draft from a newer version or a damaged file is skipped, not crashed on.
    try:
        raw = json.loads(f.read_text(encoding="utf-8"))
        if raw.get("draft_version", 0) > DRAFT_VERSION:
            return None
        return Draft(
            id=str(raw["id"]),
            template=str(raw["template"]),
            answers=dict(raw["answers"]),
            started_at=str(raw["started_at"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None

"""A complete bundle for delivery tests: PDF, screenshot, report.json and a sanitised HAR."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.har_factory import sample_har
from tests.harness import run, write_answers


def make_bundle(tmp_path: Path, *flags: str, out: bool = True, **answers: str) -> Path:
    """Run ``escalate new`` with every kind of attachment; returns the bundle folder."""
    from PIL import Image

    shot = tmp_path / "shot.png"
    Image.new("RGB", (320, 200), (200, 30, 30)).save(shot)
    har = tmp_path / "session.har"
    har.write_text(json.dumps(sample_har().har), encoding="utf-8")
    path = write_answers(tmp_path / "a.toml", **answers)
    where = ["--out", str(tmp_path / "bundle")] if out else []
    result = run("new", "--yes", "--answers", str(path), "--screenshot-file", str(shot),
                 "--har", str(har), *where, *flags)
    assert result.code == 0, result.err
    if out:
        return tmp_path / "bundle"
    listed = json.loads(run("list", "--json").out)
    return Path(listed[0]["bundle"])


def sums(folder: Path) -> dict[str, str]:
    """SHA256SUMS as name → digest."""
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {line[66:]: line[:64] for line in lines}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

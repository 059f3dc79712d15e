"""The bundle: one new private folder with the submission files and ``SHA256SUMS``.

Files are written atomically and 0600; ``SHA256SUMS`` is in the format ``sha256sum -c``
reads; an earlier bundle is never overwritten.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from escalate.errors import OutputError, VerifyError
from escalate.model import Evidence
from escalate.storage.atomic import atomic_write, fresh_dir

SUMS = "SHA256SUMS"
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
# Fixed order so the sums file and the zip are the same for the same content.
ORDER = (
    "submission.md",
    "message.txt",
    "submission.pdf",
    "report.json",
    "screenshot.png",
    "screenshot.jpg",
    "sanitized.har",
)


@dataclass(frozen=True)
class Bundle:
    """What was written."""

    folder: Path
    files: list[str]
    zip_path: Path | None = None


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def evidence_entry(name: str, description: str, data: bytes) -> Evidence:
    """An evidence file as report.json lists it: what it is, its size and SHA-256."""
    return Evidence(name=name, description=description, sha256=sha256(data), size=len(data))


_PART = re.compile(r"^message-(\d+)\.txt$")


def _ordered(names: list[str]) -> list[str]:
    rank = {n: i for i, n in enumerate(ORDER)}

    def key(name: str) -> tuple[int, int, str]:
        part = _PART.match(name)
        if part is not None:  # message-2.txt before message-10.txt, all where message.txt goes
            return rank["message.txt"], int(part.group(1)), name
        return rank.get(name, len(ORDER)), 0, name

    return sorted(names, key=key)


def sums_text(files: Mapping[str, bytes]) -> str:
    """``SHA256SUMS`` content for ``files``."""
    return "".join(f"{sha256(files[n])}  {n}\n" for n in _ordered(list(files)))


def write_bundle(folder: Path, files: Mapping[str, bytes], make_zip: bool = False) -> Bundle:
    """Write ``files`` plus ``SHA256SUMS`` into the new folder ``folder`` (optionally a zip)."""
    for name in files:
        if "/" in name or "\\" in name or name.startswith(".") or name == SUMS:
            raise OutputError(f"refusing to write a bundle file named {name!r}")
    zip_target = folder.with_name(folder.name + ".zip") if make_zip else None
    if zip_target is not None and (zip_target.exists() or zip_target.is_symlink()):
        raise OutputError(f"{zip_target} already exists; an earlier bundle is never overwritten")
    names = _ordered(list(files))
    entries = {**files, SUMS: sums_text(files).encode()}
    with fresh_dir(folder) as stage:
        for name in [*names, SUMS]:
            atomic_write(stage / name, entries[name])
    if zip_target is not None:
        _zip(zip_target, folder.name, [*names, SUMS], entries)
    return Bundle(folder, [*names, SUMS], zip_target)


def _zip(target: Path, top: str, names: list[str], entries: Mapping[str, bytes]) -> Path:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[name])
    return atomic_write(target, buf.getvalue())


@dataclass(frozen=True)
class VerifyResult:
    """Per-file verdicts of ``escalate verify``."""

    ok: list[str]
    bad: list[str]
    missing: list[str]
    unlisted: list[str]


def verify(folder: Path) -> VerifyResult:
    """Re-check every file listed in ``SHA256SUMS``; raises when the bundle cannot be read."""
    sums = folder / SUMS
    if not folder.is_dir():
        raise VerifyError(f"{folder} is not a folder", "give the bundle folder written by `new`")
    try:
        lines = sums.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise VerifyError(f"{folder} has no {SUMS}", "is this an escalate bundle?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyError(f"cannot read {sums}: {exc}") from None
    ok: list[str] = []
    bad: list[str] = []
    missing: list[str] = []
    listed: set[str] = set()
    for number, line in enumerate(lines, 1):
        m = _SUM_LINE.match(line)
        if not m or "/" in m.group(2) or m.group(2).startswith(".."):
            raise VerifyError(f"{sums}:{number}: not a sha256sum line")
        digest, name = m.groups()
        listed.add(name)
        path = folder / name
        if not path.is_file() or path.is_symlink():
            missing.append(name)
        elif sha256(path.read_bytes()) != digest:
            bad.append(name)
        else:
            ok.append(name)
    unlisted = sorted(
        p.name
        for p in folder.iterdir()
        if p.name not in listed and p.name != SUMS and not p.name.startswith(".")
    )
    return VerifyResult(ok, bad, missing, unlisted)

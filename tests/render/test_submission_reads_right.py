"""The submission reads right everywhere: scope and time once, a real table header (TH in
the PDF), a PDF that does not list itself, evidence entries with size and sha256."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.delivery_bundle import make_bundle


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make_bundle(tmp_path, occurred_at="2026-11-20T03:19", timezone="Etc/UTC")


def test_scope_and_time_once(bundle: Path) -> None:
    md = (bundle / "submission.md").read_text(encoding="utf-8")
    assert md.count("All chats") == 1
    assert md.count("03:19") == 1
    assert "| When | 2026-11-20 03:19 UTC |" in md
    assert "| Field | Details |" in md and "| | |" not in md


def test_time_in_another_zone_gives_local_then_utc(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "--format", "md", occurred_at="2026-11-20T09:15",
                         timezone="Asia/Kolkata")
    md = (folder / "submission.md").read_text(encoding="utf-8")
    assert "| When | 2026-11-20 09:15 IST (Asia/Kolkata) · 2026-11-20 03:45 UTC |" in md


def test_evidence_entries_carry_size_and_sha256(bundle: Path) -> None:
    report = json.loads((bundle / "report.json").read_text(encoding="utf-8"))
    names = [e["name"] for e in report["evidence"]]
    assert names == ["screenshot.png", "sanitized.har"]
    for entry in report["evidence"]:
        data = (bundle / entry["name"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.e2e
def test_pdf_has_header_cells_and_does_not_list_itself(bundle: Path, tmp_path: Path) -> None:
    require_tool("pdftotext", "qpdf")
    text = subprocess.run(["pdftotext", str(bundle / "submission.pdf"), "-"],
                          capture_output=True, check=True, timeout=60).stdout.decode()
    assert "submission.pdf" not in text
    assert "Field" in text and "Details" in text
    flat = tmp_path / "flat.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(bundle / "submission.pdf"),
                    str(flat)], check=True, timeout=60)
    tags = flat.read_bytes()
    # Field/Details, and the failing-requests table's four columns.
    assert tags.count(b"/S /TH") >= 6
    assert tags.count(b"/S /Table") == 2

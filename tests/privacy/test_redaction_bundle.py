"""The redaction corpora end to end: nothing secret in submission.md, report.json or the PDF."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from escalate.text import clean_text
from tests.conftest import require_tool
from tests.harness import run, write_answers

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [
    ROOT.parent / "shared" / "fixtures" / "redaction_cases.json",
    ROOT / "tests" / "data" / "redaction" / "cases.json",
]


def load_cases() -> list[dict[str, list[str] | str]]:
    cases = []
    for corpus in CORPORA:
        if corpus.is_file():
            cases += json.loads(corpus.read_text(encoding="utf-8"))
    return cases


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.e2e
def test_every_corpus_case_through_the_whole_bundle(tmp_path: Path) -> None:
    require_tool("pdftotext")
    cases = load_cases()
    assert len(cases) >= 40
    error = "\n".join(str(c["text"]) for c in cases)
    # The corpora's own-address cases speak for this reporter.
    answers = write_answers(tmp_path / "a.toml", error_text=error, email="me@example.com")
    result = run(
        "new", "--yes", "--no-screenshot", "--answers", str(answers), "--out", str(tmp_path / "b")
    )
    assert result.code == 0, result.err
    bundle = tmp_path / "b"
    md = (bundle / "submission.md").read_text()
    report = (bundle / "report.json").read_text()
    error_json = json.loads(report)["error_text"]
    pdf_text = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(bundle / "submission.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for case in cases:
        for secret in case["secrets"]:
            assert secret not in md, secret
            assert secret not in report, secret
            assert squash(secret) not in squash(pdf_text), secret
        for raw_keep in case["keep"]:
            keep = clean_text(str(raw_keep)).strip()  # escapes are stripped before storing
            assert keep in md, keep
            assert keep in error_json, keep
            assert squash(keep) in squash(pdf_text), keep

"""The status page inside `escalate new`: a real loopback server; failure is never fatal."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import run, write_answers
from tests.status_server import INCIDENT_IO, STATUSPAGE, serve

SUMMARY = {
    "status": {"indicator": "minor", "description": "Partially Degraded Service"},
    "incidents": [{"name": "Elevated errors for file uploads", "status": "investigating"}],
}


@pytest.fixture
def status_server() -> Iterator[str]:
    with serve({"/api/v2/summary.json": json.dumps(SUMMARY).encode()}) as base:
        yield f"{base}/api/v2/summary.json"


def _new(tmp_path: Path, url: str):
    answers = write_answers(tmp_path / "a.toml")
    return run("new", "--yes", "--no-screenshot", "--format", "md,json", "--answers", str(answers),
               "--out", str(tmp_path / "b"),
               env={"ESCALATE_OFFLINE": "", "ESCALATE_STATUS_URL": url})


def test_status_snapshot_lands_in_the_submission(tmp_path: Path, status_server: str) -> None:
    result = _new(tmp_path, status_server)
    assert result.code == 0, result.err
    md = (tmp_path / "b" / "submission.md").read_text()
    assert "Partially Degraded Service (checked 03:47 UTC)" in md.replace("\\", "")
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["status"]["incidents"] == ["Elevated errors for file uploads"]


def test_unreachable_status_page_is_noted_not_fatal(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _new(tmp_path, f"http://127.0.0.1:{port}/summary.json")
    assert result.code == 0, result.err
    md = (tmp_path / "b" / "submission.md").read_text()
    assert "could not check (offline: could not reach 127.0.0.1" in md


def _new_with(tmp_path: Path, url: str, **answers: str):
    from tests.harness import write_answers as write

    path = write(tmp_path / "answers.toml", **answers)
    return run("new", "--yes", "--no-screenshot", "--format", "md,json", "--answers", str(path),
               "--out", str(tmp_path / "b"), "--status-url", url)


@pytest.mark.parametrize("kind", ["incident.io", "statuspage"])
def test_new_report_names_the_ongoing_incident_and_component(tmp_path: Path, kind: str) -> None:
    routes, path = ((INCIDENT_IO, "/proxy/status.openai.com") if kind == "incident.io"
                    else (STATUSPAGE, "/api/v2/summary.json"))
    with serve(dict(routes)) as base:
        result = _new_with(tmp_path, base + path, error_text="Upload failed: unknown error")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["status"]["source"] == kind
    assert report["status"]["ongoing"][0]["components"][0]["name"] == "File uploads"
    assert report["status"]["affected"][0]["group"] == "ChatGPT"
    md = (tmp_path / "b" / "submission.md").read_text().replace("\\", "")
    assert ("An incident affecting File uploads (ChatGPT) is ongoing, open since "
            "2026-11-20 03:05 UTC: Elevated error rates for file uploads.") in md


@pytest.mark.parametrize("kind", ["incident.io", "statuspage"])
def test_resolved_incident_that_overlapped_is_named(tmp_path: Path, kind: str) -> None:
    routes, path = ((INCIDENT_IO, "/proxy/status.openai.com") if kind == "incident.io"
                    else (STATUSPAGE, "/api/v2/summary.json"))
    with serve(dict(routes)) as base:
        result = _new_with(tmp_path, base + path, occurred_at="2026-11-19T10:00",
                           timezone="UTC")
    assert result.code == 0, result.err
    md = (tmp_path / "b" / "submission.md").read_text().replace("\\", "")
    assert ("An incident affecting File uploads (ChatGPT) was open from 09:00 to 11:00 UTC, "
            "when this happened: Increased latency and failures uploading files "
            "(since resolved).") in md
    assert "| When | 2026-11-19 10:00 UTC |" in md  # UTC once when the zone is UTC
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["status"]["overlapping"][0]["resolved_at"].startswith("2026-11-19T11:00")

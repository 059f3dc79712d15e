"""Both status formats, recorded in their real shapes and served from 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from escalate.facts.status import fetch_feed, fetch_status
from escalate.facts.status_feeds import history_url
from tests.status_server import DATA, INCIDENT_IO, STATUSPAGE, serve

NOW = datetime(2026, 11, 20, 3, 47, tzinfo=UTC)
DURING_PAST = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)  # inside the 09:00–11:00 incident


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


FORMATS = [("incident.io", INCIDENT_IO, "/proxy/status.openai.com"),
           ("statuspage", STATUSPAGE, "/api/v2/summary.json")]


@pytest.mark.parametrize(("source", "routes", "path"), FORMATS)
def test_ongoing_incident_names_component_and_group(source: str, routes: dict[str, str | bytes],
                                                    path: str) -> None:
    with serve(dict(routes)) as base:
        snap = fetch_status(base + path, now=NOW)
    assert snap.error is None
    assert snap.source == source
    assert snap.incidents == ["Elevated error rates for file uploads"]
    [incident] = snap.ongoing
    assert [(c.name, c.group) for c in incident.components] == [("File uploads", "ChatGPT")]
    assert [(c.name, c.group, c.status) for c in snap.affected] == [
        ("File uploads", "ChatGPT", "partial_outage")]
    assert incident.started_at == datetime(2026, 11, 20, 3, 5, tzinfo=UTC)
    assert snap.indicator == "major"
    assert snap.overlapping == []  # no occurred_at: the history is not read


@pytest.mark.parametrize(("source", "routes", "path"), FORMATS)
def test_resolved_incident_that_overlapped_the_error_is_recorded(
        source: str, routes: dict[str, str | bytes], path: str) -> None:
    with serve(dict(routes)) as base:
        snap = fetch_status(base + path, now=NOW, occurred_at=DURING_PAST)
    [past] = snap.overlapping
    assert past.name == "Increased latency and failures uploading files"
    assert past.started_at == datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    assert past.resolved_at == datetime(2026, 11, 19, 11, 0, tzinfo=UTC)
    assert [c.display for c in past.components] == ["File uploads (ChatGPT)"]


@pytest.mark.parametrize(("routes", "path"), [(INCIDENT_IO, "/proxy/status.openai.com"),
                                              (STATUSPAGE, "/api/v2/summary.json")])
def test_no_overlap_outside_any_incident(routes: dict[str, str | bytes], path: str) -> None:
    quiet = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    with serve(dict(routes)) as base:
        snap = fetch_status(base + path, now=NOW, occurred_at=quiet)
    assert snap.overlapping == []
    assert snap.history_error is None


def test_ongoing_incident_is_not_repeated_as_an_overlap() -> None:
    during_now = datetime(2026, 11, 20, 3, 30, tzinfo=UTC)
    with serve(dict(INCIDENT_IO)) as base:
        snap = fetch_status(base + "/proxy/status.openai.com", now=NOW, occurred_at=during_now)
    assert snap.incidents == ["Elevated error rates for file uploads"]
    assert snap.overlapping == []


def test_missing_history_keeps_the_snapshot_and_says_why() -> None:
    routes: dict[str, str | bytes] = {"/proxy/status.openai.com": "incidentio-summary.json"}
    with serve(routes) as base:
        snap = fetch_status(base + "/proxy/status.openai.com", now=NOW, occurred_at=DURING_PAST)
    assert snap.error is None
    assert snap.incidents == ["Elevated error rates for file uploads"]
    assert snap.history_error == "HTTP 404"


def test_all_operational_incident_io_feed() -> None:
    data = json.loads((DATA / "incidentio-summary.json").read_text())
    data["summary"]["affected_components"] = []
    data["summary"]["ongoing_incidents"] = []
    with serve({"/s": json.dumps(data).encode()}) as base:
        snap = fetch_feed(base + "/s", now=NOW, history=False).snapshot
    assert (snap.indicator, snap.description) == ("none", "All Systems Operational")
    assert snap.affected == [] and snap.incidents == []


def test_history_urls() -> None:
    assert history_url("https://status.openai.com/proxy/status.openai.com/", "incident.io") == (
        "https://status.openai.com/proxy/status.openai.com/incidents")
    assert history_url("https://x.example/api/v2/summary.json", "statuspage") == (
        "https://x.example/api/v2/incidents.json")
    assert history_url("https://x.example/feed", "statuspage") is None


@pytest.mark.parametrize(("routes", "path"), [(INCIDENT_IO, "/proxy/status.openai.com"),
                                              (STATUSPAGE, "/api/v2/summary.json")])
def test_status_command_json_names_incident_and_component(
        routes: dict[str, str | bytes], path: str) -> None:
    from tests.harness import run

    with serve(dict(routes)) as base:
        result = run("status", "--json", "--url", base + path, env={"ESCALATE_OFFLINE": ""})
        text = run("status", "--url", base + path, env={"ESCALATE_OFFLINE": ""})
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["incidents"] == ["Elevated error rates for file uploads"]
    assert data["affected"][0]["name"] == "File uploads"
    assert data["affected"][0]["group"] == "ChatGPT"
    assert ("incident: Elevated error rates for file uploads — affecting File uploads (ChatGPT)"
            in text.out)


def test_schema_1_report_with_the_old_status_still_loads() -> None:
    from escalate.model import Report
    from tests.cli.test_docs_golden import sample_report

    data = json.loads(sample_report().model_dump_json())
    data["schema_version"] = 1
    del data["sent"]
    data["status"] = {"url": "https://status.openai.com/api/v2/summary.json",
                      "checked_at": "2026-11-20T03:47:00Z", "indicator": "minor",
                      "description": "Partially Degraded Service",
                      "incidents": ["Elevated errors"], "error": None}
    report = Report.model_validate(data)
    assert report.status is not None and report.status.incidents == ["Elevated errors"]
    assert report.status.ongoing == []


def test_history_over_1_mib_is_refused_and_the_snapshot_kept() -> None:
    from escalate.facts.status import MAX_BYTES

    big = b'{"incidents": [' + b" " * MAX_BYTES + b"]}"
    routes: dict[str, str | bytes] = {
        "/proxy/status.openai.com": "incidentio-summary.json",
        "/proxy/status.openai.com/incidents": big,
    }
    with serve(routes) as base:
        snap = fetch_status(base + "/proxy/status.openai.com", now=NOW, occurred_at=DURING_PAST)
    assert snap.error is None and snap.incidents
    assert snap.history_error == "not a status page (response over 1 MiB)"


def test_a_stalled_history_is_cut_at_the_overall_deadline() -> None:
    import threading

    release = threading.Event()

    def stall() -> bytes:
        release.wait(10)
        return b'{"incidents": []}'

    routes = {"/proxy/status.openai.com": "incidentio-summary.json",
              "/proxy/status.openai.com/incidents": stall}
    try:
        with serve(routes) as base:
            feed = fetch_feed(base + "/proxy/status.openai.com", timeout=0.5, now=NOW)
            snap = feed.at(DURING_PAST)
            release.set()
    finally:
        release.set()
    assert snap.error is None
    assert snap.incidents == ["Elevated error rates for file uploads"]  # what arrived is kept
    assert snap.history_error == "timed out after 0.5 s"


def test_a_resolved_incident_without_an_end_is_not_claimed() -> None:
    from escalate.facts.status_feeds import overlapping
    from escalate.model import StatusIncident

    start = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    unknown_end = StatusIncident(name="Old", status="resolved", started_at=start)
    still_open = StatusIncident(name="Open", status="monitoring", started_at=start)
    assert [i.name for i in overlapping([unknown_end, still_open], DURING_PAST, NOW, [])] == [
        "Open"]

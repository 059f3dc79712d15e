"""triage says first when the error's component has an ongoing incident (loopback feeds)."""

from __future__ import annotations

import json

import pytest

from escalate.facts.incidents import DEPENDS_ON, unknown_titles
from tests.harness import run
from tests.status_server import DATA, INCIDENT_IO, STATUSPAGE, serve

ONLINE = {"ESCALATE_OFFLINE": ""}


@pytest.mark.parametrize(("routes", "path"), [(INCIDENT_IO, "/proxy/status.openai.com"),
                                              (STATUSPAGE, "/api/v2/summary.json")])
def test_upload_error_during_an_upload_incident_says_so_first(
        routes: dict[str, str | bytes], path: str) -> None:
    with serve(dict(routes)) as base:
        result = run("triage", "Upload failed: unknown error", "--status-url", base + path,
                     env=ONLINE)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == ("Ongoing incident: Elevated error rates for file uploads — on "
                        "File uploads (ChatGPT), which this error depends on.")
    assert "save your prompt and wait for recovery" in lines[1]
    assert "repeated refreshes rarely help" in lines[1]
    assert any(line.startswith("Upload failed") for line in lines[3:])


def test_an_incident_on_another_component_is_not_claimed() -> None:
    with serve(dict(INCIDENT_IO)) as base:
        result = run("triage", "Unable to load conversation", "--status-url",
                     base + "/proxy/status.openai.com", env=ONLINE)
    assert result.code == 0, result.err
    assert result.out.startswith("Conversation not found")
    assert "Ongoing" not in result.out


def test_conversation_error_during_a_conversations_incident() -> None:
    data = json.loads((DATA / "incidentio-summary.json").read_text())
    summary = data["summary"]
    conversations = "01JMXBRMFEJ4M4CB6CA5TKRY8N"
    summary["affected_components"] = [{"component_id": conversations, "status": "full_outage"}]
    summary["ongoing_incidents"][0]["name"] = "Conversations fail to load"
    summary["ongoing_incidents"][0]["affected_components"] = [
        {"component_id": conversations, "status": "full_outage"}]
    summary["ongoing_incidents"][0]["component_impacts"] = []
    with serve({"/feed": json.dumps(data).encode()}) as base:
        result = run("triage", "Conversation not found", "--status-url", base + "/feed",
                     env=ONLINE)
    assert result.out.splitlines()[0] == ("Ongoing incident: Conversations fail to load — on "
                                          "Conversations (ChatGPT), which this error depends on.")


def test_offline_or_unreachable_status_never_blocks_triage() -> None:
    offline = run("triage", "Upload failed")
    assert offline.code == 0 and offline.out.startswith("Upload failed")
    with serve({}) as base:
        broken = run("triage", "Upload failed", "--status-url", base + "/nothing", env=ONLINE)
    assert broken.code == 0 and broken.out.startswith("Upload failed")
    assert "status page not checked: HTTP 404" in broken.err


def test_every_dependency_names_a_real_symptom() -> None:
    assert DEPENDS_ON
    assert unknown_titles() == []

"""``--json`` on every reporting command: one document on stdout that carries what the text says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate.cli.jsonout import SHAPES
from escalate.render.bundle import sha256
from tests.facts.test_identity import MemoryKeyring, backend  # noqa: F401 - the fixture
from tests.facts.test_status import SUMMARY, Server, send, server  # noqa: F401 - the fixture
from tests.har_factory import sample_har
from tests.harness import ANSWERS, run, write_answers

NEW = ("new", "--yes", "--no-screenshot", "--format", "md,json")


def _doc(*argv: str, code: int = 0, **kwargs: Any) -> Any:
    result = run(*argv, "--json", **kwargs)
    assert result.code == code, result.err
    doc = json.loads(result.out)  # exactly one document: json.loads rejects trailing text
    _documented(argv, doc)
    return doc


def _documented(argv: tuple[str, ...], doc: Any) -> None:
    """The keys are the ones docs/cli.md lists (from SHAPES)."""
    for command, keys in SHAPES.items():
        name = command.removesuffix(" []").split()
        if list(argv[: len(name)]) != name or "..." in keys:
            continue
        rows = doc if command.endswith("[]") else [doc]
        assert isinstance(rows, list)
        for row in rows:
            assert sorted(row) == sorted(keys), command
        return


def test_new_json_names_the_folder_files_hashes_and_scrubbing(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml", error_text="broke for bob@corp.example")
    doc = _doc(*NEW, "--answers", str(answers), "--out", str(tmp_path / "b"), "--zip")
    folder = tmp_path / "b"
    assert doc["folder"] == str(folder)
    assert doc["zip"] == str(tmp_path / "b.zip") and Path(doc["zip"]).is_file()
    assert [f["name"] for f in doc["files"]] == [
        "submission.md", "message.txt", "report.json", "SHA256SUMS"
    ]
    for f in doc["files"]:
        data = (folder / f["name"]).read_bytes()
        assert (f["size"], f["sha256"]) == (len(data), sha256(data))
    redaction = doc["redaction"]
    assert (redaction["enabled"], redaction["counts"], redaction["undone"]) == (
        True, {"email": 1}, []
    )
    assert doc["id"] == json.loads((folder / "report.json").read_text())["id"]
    # the text output says the same
    text = run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "c")).out
    assert "Replaced by placeholders: 1 other email" in text


def test_verify_json_matches_the_bundle_and_keeps_the_exit_status(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    assert run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "b")).code == 0
    doc = _doc("verify", str(tmp_path / "b"))
    assert doc["intact"] is True and doc["bad"] == doc["missing"] == []
    assert sorted(doc["ok"]) == ["message.txt", "report.json", "submission.md"]
    (tmp_path / "b" / "submission.md").write_text("changed")
    (tmp_path / "b" / "extra.txt").write_text("x")
    broken = run("verify", str(tmp_path / "b"), "--json")
    assert broken.code == 1 and "do not match" in broken.err
    doc = json.loads(broken.out)
    assert doc["intact"] is False and doc["bad"] == ["submission.md"]
    assert doc["unlisted"] == ["extra.txt"]


def test_list_and_show_json(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.toml")
    assert run(*NEW, "--answers", str(answers), "--out", str(tmp_path / "b")).code == 0
    rows = _doc("list")
    assert len(rows) == 1 and rows[0]["summary"] == ANSWERS["summary"]
    shown = _doc("show", rows[0]["id"])
    assert shown["id"] == rows[0]["id"] and shown["email"] == ANSWERS["email"]


def test_status_json_from_a_loopback_server(server: Server) -> None:  # noqa: F811
    server.reply = lambda h: send(h, 200, json.dumps(SUMMARY).encode())
    doc = _doc("status", "--url", server.url)
    assert doc["indicator"] == "minor" and doc["error"] is None
    assert "Elevated errors on file uploads" in doc["incidents"]
    text = run("status", "--url", server.url).out
    assert "Partially Degraded Service (indicator: minor)" in text
    server.reply = lambda h: h.send_error(503)
    failed = run("status", "--url", server.url, "--json")
    assert failed.code == 1 and json.loads(failed.out)["error"]


def test_templates_list_show_check_json(tmp_path: Path) -> None:
    rows = {r["name"]: r for r in _doc("templates", "list")}
    assert rows["openai-support"]["origin"] == "built-in"
    assert rows["openai-support"]["invalid"] is None
    shown = _doc("templates", "show", "rate-limited")
    assert shown["name"] == "rate-limited" and shown["extends"] == ["openai-support"]
    assert all("key" in q and "prompt" in q for q in shown["questions"])
    checked = _doc("templates", "check", shown["folder"])
    assert checked == {"folder": shown["folder"], "ok": True, "problems": []}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.toml").write_text('manifest_version = 1\nname = "bad"\ntitle = 3\n')
    (bad / "submission.md.j2").write_text("{{ oops")
    failed = run("templates", "check", str(bad), "--json")
    assert failed.code == 1
    doc = json.loads(failed.out)
    assert doc["ok"] is False and doc["problems"]
    assert all(p["file"].startswith(str(bad)) and p["line"] >= 1 for p in doc["problems"])


def test_triage_and_check_file_json(tmp_path: Path) -> None:
    doc = _doc("triage", "Code interpreter session expired")
    assert doc["matches"] and doc["matches"][0]["template"] == "session-expired"
    assert _doc("triage", "nothing known here") == {"incidents": [], "matches": []}
    small = tmp_path / "notes.txt"
    small.write_text("hello")
    assert _doc("check-file", str(small)) == {
        "ok": True,
        "files": [{"path": str(small), "kind": "text", "size": 5, "ok": True,
                   "message": _doc("check-file", str(small))["files"][0]["message"]}],
    }
    missing = run("check-file", str(tmp_path / "nope"), "--json")
    assert missing.code == 1 and json.loads(missing.out)["ok"] is False


def test_har_json(tmp_path: Path) -> None:
    sample = sample_har()
    src = tmp_path / "in.har"
    src.write_text(json.dumps(sample.har))
    doc = _doc("har", str(src))
    assert doc["output"] == str(tmp_path / "in.sanitized.har")
    assert [r["request_id"] for r in doc["failed"]] == sample.failed_ids
    assert doc["removed"]["cookie"] > 0 and doc["removed"]["response_body"] > 0
    text = run("har", str(src), "-o", str(tmp_path / "again.har")).out
    assert f"{doc['entries']} requests, {len(doc['failed'])} failing" in text
    first = doc["first_failure_at"]
    assert first == min(r["started_at"] for r in doc["failed"] if r["started_at"])
    assert "T" in first  # ISO 8601, as in report.json
    assert Path(doc["output"]).is_file()
    raw = Path(doc["output"]).read_text()
    assert not any(secret in raw for secret in sample.secrets)


def test_config_show_json(tmp_path: Path, backend: None) -> None:  # noqa: F811
    import keyring
    from keyring.backends import fail

    team = tmp_path / "team"
    team.mkdir()
    assert run("config", "add-template-dir", str(team)).code == 0
    keyring.set_keyring(fail.Keyring())
    doc = _doc("config", "show")
    assert doc["template_dirs"] == [str(team.resolve())]
    assert doc["data_folder"].endswith("/data") and doc["email"] is None
    assert "no keyring backend" in doc["email_problem"]
    keyring.set_keyring(MemoryKeyring())
    assert run("config", "set", "email", "dana.kim@example.org").code == 0
    doc = _doc("config", "show")
    assert (doc["email"], doc["email_problem"]) == ("dana.kim@example.org", None)
    assert "dana.kim@example.org" in run("config", "show").out


@pytest.mark.parametrize("argv", [["doctor"], ["templates", "list"], ["triage", "x"],
                                  ["config", "show"], ["list"]])
def test_quiet_does_not_silence_json(argv: list[str]) -> None:
    result = run("-q", *argv, "--json")
    json.loads(result.out)


def test_doctor_json_lists_each_check() -> None:
    doc = _doc("doctor")
    names = [c["name"] for c in doc["checks"]]
    assert names[:2] == ["data folder", "config folder"]
    text = run("doctor").out.splitlines()
    assert [c["message"] for c in doc["checks"]] == [line[6:] for line in text]


def test_triage_json_says_the_ongoing_incident_as_the_text_does() -> None:
    from tests.status_server import INCIDENT_IO, serve

    online = {"ESCALATE_OFFLINE": ""}
    with serve(dict(INCIDENT_IO)) as base:
        url = base + "/proxy/status.openai.com"
        doc = _doc("triage", "Upload failed: unknown error", "--status-url", url, env=online)
        text = run("triage", "Upload failed: unknown error", "--status-url", url, env=online)
    assert doc["incidents"][0] == text.out.splitlines()[0]
    assert doc["incidents"][0].startswith("Ongoing incident: Elevated error rates for file "
                                          "uploads")
    assert doc["matches"][0]["title"] in text.out.splitlines()

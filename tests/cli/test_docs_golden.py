"""Golden files: the CLI reference and a submission rendered with time frozen."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate.model import Browser, Environment, OccurredAt, Report, TemplateRef
from escalate.render.markdown import render_markdown
from escalate.templating.discovery import load_template, search_path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="argparse help text differs by version")
def test_cli_reference_is_generated_from_the_parser() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from clidoc import render

    expected = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert render() == expected, "run: python scripts/clidoc.py > docs/cli.md"


def sample_report() -> Report:
    utc = datetime(2026, 11, 20, 3, 45, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    return Report(
        id="2026-11-20-0347-k3f9",
        created_at=datetime(2026, 11, 20, 3, 47, tzinfo=UTC),
        tool_version="0.1.0",
        template=TemplateRef(name="openai-support", version="1.0"),
        email="dana.kim@example.org",
        occurred_at=OccurredAt(
            local=utc.astimezone(ZoneInfo("Asia/Kolkata")), timezone="Asia/Kolkata", utc=utc
        ),
        platform="macOS 15.1 (arm64)",
        browser="Firefox 133",
        request_ids=["req_4f8a9c1e2b3d4f5a6b7c8d9e0f1a2b3c"],
        error_text="Code interpreter session expired",
        scope="all_chats",
        steps_tried=["Reloaded the page", "Started a new chat"],
        summary="Data analysis session expires within minutes",
        environment=Environment(
            os_name="macOS", os_version="15.1", arch="arm64", timezone="Asia/Kolkata",
            locale="en_IN", browsers=[Browser(name="Firefox", version="133")],
        ),
    )


def test_submission_markdown_golden() -> None:
    template = load_template("openai-support", search_path(env={}))
    markdown = render_markdown(sample_report(), template)
    golden = GOLDEN / "openai-support.md"
    if not golden.exists():
        golden.write_text(markdown, encoding="utf-8")
        pytest.fail(f"wrote {golden}; review it and commit it")
    assert markdown == golden.read_text(encoding="utf-8")

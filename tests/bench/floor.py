"""The stack floor of ``escalate new``: what the design's own parts cost, nothing else.

One cold process that imports the pydantic ``Report`` (``EmailStr`` pulls in
email-validator), validates one report, renders the built-in template through the Jinja
sandbox and serialises report.json — no command line, no environment probes, no
redaction, no files. ``nox -s bench`` times it next to the real command, so the gap
between the two is what escalate's own work adds. Like the program, it ends with
``os._exit`` once done.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as the CLI does


def main() -> None:
    from escalate.model import Report
    from escalate.render.markdown import render_markdown
    from escalate.templating.discovery import DEFAULT_TEMPLATE, load_template, search_path

    template = load_template(DEFAULT_TEMPLATE, search_path())
    now = datetime(2026, 11, 20, 3, 47, tzinfo=UTC)
    report = Report(
        id="20261120-034700-floor",
        created_at=now,
        tool_version="bench",
        template={"name": template.name, "version": template.version},
        email="dana.kim@example.org",
        occurred_at={"local": now, "timezone": "UTC", "utc": now},
        platform="macOS 15.1 (arm64)",
        browser="Firefox 133",
        request_ids=["req_4f8a9c1e2b3d4f5a6b7c8d9e0f1a2b3c"],
        error_text="Code interpreter session expired",
        scope="all_chats",
        steps_tried=["Reloaded the page"],
        summary="Data analysis session expires within minutes",
    )
    markdown = render_markdown(report, template)
    payload = report.model_dump_json(indent=2)
    assert "Code interpreter session expired" in markdown and payload


if __name__ == "__main__":
    main()
    os._exit(0)  # as the escalate program ends: without the interpreter's teardown

"""The wheel as a user gets it: licence, metadata, built-in templates, and no developer scripts."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build backend comes from the test environment, not the network.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("escalate-*.whl")
    return zipfile.ZipFile(built)


def _metadata(wheel: zipfile.ZipFile) -> tuple[str, dict[str, list[str]]]:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    message = Parser().parsestr(wheel.read(name).decode())
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return name.rsplit("/", 1)[0], fields


def test_licence_is_in_the_wheel_and_in_the_metadata(wheel: zipfile.ZipFile) -> None:
    dist_info, fields = _metadata(wheel)
    assert fields["License-Expression"] == ["MIT"]
    assert fields["License-File"] == ["LICENSE"]
    shipped = wheel.read(f"{dist_info}/licenses/LICENSE").decode()
    assert shipped == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert shipped.startswith("MIT License\n")
    assert "Copyright (c) 2026 escalate contributors" in shipped


def test_metadata_names_its_links_and_classifiers(wheel: zipfile.ZipFile) -> None:
    _, fields = _metadata(wheel)
    labels = {url.split(",", 1)[0] for url in fields["Project-URL"]}
    assert {"Homepage", "Documentation", "Changelog", "Issues", "Source"} <= labels
    assert all(url.split(", ", 1)[1].startswith("https://") for url in fields["Project-URL"])
    classifiers = set(fields["Classifier"])
    assert "Environment :: Console" in classifiers
    assert "Typing :: Typed" in classifiers
    # PEP 639: with a licence expression, a licence classifier is not allowed as well.
    assert not [c for c in classifiers if c.startswith("License ::")]
    requires = fields["Requires-Dist"]
    assert any(r.startswith("tomli-w") for r in requires)


def test_wheel_holds_the_package_and_templates_but_no_developer_scripts(
    wheel: zipfile.ZipFile,
) -> None:
    names = wheel.namelist()
    assert "escalate/py.typed" in names
    assert "escalate/templates/openai-support/template.toml" in names
    assert not [n for n in names if "clidoc" in n or n.startswith(("scripts/", "tests/"))]
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith((".dist-info", ".data"))} == {"escalate"}


def test_ci_runs_the_readme_quick_start_verbatim_with_the_system_python() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    quick_start = ["python3 scripts/quickstart.py", "python3 scripts/quickstart.py --tests"]
    assert commands[:2] == quick_start
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert 'SYSTEM_PATH="/usr/bin:$PATH"' in ci
    for command in commands[:2]:
        assert f'PATH="$SYSTEM_PATH" {command}' in ci
    assert "export ESCALATE_REQUIRE_E2E=1" in ci

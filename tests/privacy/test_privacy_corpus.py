"""Redaction against shapes from public scanner test suites, benign strings, and hostile size.

``data/redaction/scanner_cases.json`` holds our own strings, written from the shapes that
gitleaks, detect-secrets, trufflehog and presidio publish in their tests: each case lists
the secrets (and parts of them, so a half-removed value fails) and the text that must stay.
``data/redaction/benign.json`` holds strings that must come out unchanged: vendor hosts,
request ids, Ray IDs, UUIDs, hashes, versions, timestamps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from escalate.privacy.redact import Redactor

DATA = Path(__file__).parents[1] / "data" / "redaction"
REPORTER = "me@example.com"


def _cases() -> list[Any]:
    cases = json.loads((DATA / "scanner_cases.json").read_text(encoding="utf-8"))
    return [pytest.param(c, id=f"{c['source']}-{i}") for i, c in enumerate(cases)]


@pytest.mark.parametrize("case", _cases())
def test_scanner_shape_is_removed_whole(case: dict[str, Any]) -> None:
    out = Redactor(reporter_email=REPORTER).redact(case["text"]).text
    leaked = [s for s in case["secrets"] if s in out]
    lost = [k for k in case["keep"] if k not in out]
    assert not leaked and not lost, f"leaked={leaked} lost={lost}\noutput={out!r}"


def test_benign_strings_are_unchanged() -> None:
    benign = json.loads((DATA / "benign.json").read_text(encoding="utf-8"))
    redactor = Redactor(reporter_email=REPORTER)
    changed = [(b, redactor.redact(b).text) for b in benign if redactor.redact(b).text != b]
    assert not changed


def test_corpus_covers_every_shape_the_issue_names() -> None:
    sources = {c["source"] for c in json.loads((DATA / "scanner_cases.json").read_text())}
    for family in ("gitleaks", "detect-secrets", "trufflehog", "presidio", "rfc6265"):
        assert any(s.startswith(family) for s in sources), family


def test_several_cards_on_one_line_each_checked_with_luhn() -> None:
    out = Redactor().redact("4111 1111 1111 1111, 4111 1111 1111 1112, 5555555555554444").text
    assert out == "[CARD-1], 4111 1111 1111 1112, [CARD-2]"  # the middle one fails Luhn


def test_a_secret_seen_once_is_scrubbed_where_it_recurs() -> None:
    r = Redactor()
    assert r.redact("Cookie: sid=Zq81mWx0Lp").text == "Cookie: sid=[COOKIE-1]"
    # no rule knows this shape; the redactor remembers the value
    assert r.redact("GET /resume?s=Zq81mWx0Lp&x=1").text == "GET /resume?s=[COOKIE-1]&x=1"
    # six characters with a digit are a value too; a short word is not remembered
    cookie = r.redact("Cookie: k=a1b2c3; theme=enable").text
    assert cookie == "Cookie: k=[COOKIE-2]; theme=[COOKIE-3]"
    assert r.redact("/cb?k=a1b2c3&theme=enable").text == "/cb?k=[COOKIE-2]&theme=enable"
    assert r.remember("opaque-value-1234", "secret") == "[SECRET-1]"
    assert r.redact("Location: /cb#opaque-value-1234").text == "Location: /cb#[SECRET-1]"


def test_a_long_paste_is_cut_only_where_no_secret_spans() -> None:
    key = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(["QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"] * 4)
    key += "\n-----END PRIVATE KEY-----"
    filler = "log line with nothing secret in it\n" * 8000  # past one piece (256K characters)
    text = filler + key + "\n" + filler + "Cookie: a=Vv91kLmZq0; b=Ww82jKnYp1\n"
    out = Redactor().redact(text).text
    assert "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" not in out
    assert "Vv91kLmZq0" not in out and "Ww82jKnYp1" not in out
    assert out.count("log line with nothing secret in it") == 16000


# The child's own peak. On Linux ru_maxrss starts from the parent's size at fork (a pytest
# process that ran the suite is hundreds of MiB); VmHWM belongs to the program after exec.
_CHILD = textwrap.dedent(
    """
    import re, resource, sys
    from pathlib import Path
    from escalate.privacy.redact import Redactor
    text = sys.stdin.read()
    Redactor().redact(text)
    status = Path("/proc/self/status")
    m = re.search(r"VmHWM:\\s+(\\d+) kB", status.read_text()) if status.exists() else None
    print(m.group(1) if m else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)

_HOSTILE = {
    "zero-width only": "\u200b" * (10 * 2**20 // 3),
    "zero-width between letters": "a\u200b" * (10 * 2**20 // 4),
    "ANSI escapes": "\x1b[0m" * (10 * 2**20 // 4),
    "one address after another": "a@b.co " * (10 * 2**20 // 7),
    "one long cookie header": "Cookie: " + "a=1; " * (10 * 2**20 // 5),
    "key=value without end": 'password="' * (10 * 2**20 // 10),
}


@pytest.mark.parametrize("shape", list(_HOSTILE))
def test_memory_stays_flat_on_10_mb_of_hostile_input(shape: str) -> None:
    # Memory, not speed: the child's own peak RSS (timings are in `nox -s bench`).
    child = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=_HOSTILE[shape],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    peak_mib = int(child.stdout.strip()) / 1024
    assert peak_mib <= 256, f"{shape}: {peak_mib:.0f} MiB"

"""Side by side: escalate's redactor and detect-secrets 1.5 on the same corpus.

For ``nox -s bench`` (the only place detect-secrets is installed). On our corpus
(``tests/data/redaction``) each tool's findings are removed from every case's text:

- recall: the share of secrets (cases) with nothing of the secret left, parts included;
- false positives: the share of benign strings (request ids, hashes, versions...) in which
  the tool flags anything;
- MB/s: detection over a realistic support text (log lines, errors, headers, a few
  secrets) of about 2 MB, best of three.

detect-secrets scans files (``scan_file``), as it does in a repository; its findings are
exact values, which are then replaced in the text like ours. Results go to stdout and, with
``--write``, into docs/performance.md between their own markers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]
DATA = ROOT / "tests" / "data" / "redaction"
START, END = "<!-- detectors:start -->", "<!-- detectors:end -->"

Scrub = Callable[[str], str]


def escalate_scrub() -> Scrub:
    from escalate.privacy.redact import Redactor

    return lambda text: Redactor("me@example.com").redact(text).text


def detect_secrets_scrub() -> Scrub:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    def scrub(text: str) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "paste.txt"
            path.write_text(text, encoding="utf-8")
            with default_settings():
                found = {s.secret_value for s in scan_file(str(path)) if s.secret_value}
        for value in sorted(found, key=len, reverse=True):
            text = text.replace(value, "[X]")
        return text

    return scrub


def realistic_text(size: int = 2 * 1024 * 1024) -> str:
    rng = random.Random(12)
    cases = json.loads((DATA / "scanner_cases.json").read_text(encoding="utf-8"))
    benign = json.loads((DATA / "benign.json").read_text(encoding="utf-8"))
    lines = [
        "2025-03-05T14:22:31.123Z INFO request completed status=200 duration_ms=118",
        "Something went wrong while generating the response. Please try again.",
        "GET https://chatgpt.com/backend-api/conversation/67a1c2d3 HTTP/2 429",
        "I reloaded the page, cleared the cache and tried another browser; same error.",
    ]
    out: list[str] = []
    total = 0
    while total < size:
        pick = rng.random()
        line = (
            rng.choice(cases)["text"] if pick < 0.02 else rng.choice(benign) if pick < 0.4
            else rng.choice(lines)
        )
        out.append(line)
        total += len(line) + 1
    return "\n".join(out)


def measure(name: str, scrub: Scrub) -> dict[str, float | str]:
    cases = json.loads((DATA / "scanner_cases.json").read_text(encoding="utf-8"))
    benign = json.loads((DATA / "benign.json").read_text(encoding="utf-8"))
    caught = sum(
        not any(s in scrub(c["text"]) for s in c["secrets"]) for c in cases
    )
    flagged = sum(scrub(b) != b for b in benign)
    text = realistic_text()
    best = min(_timed(scrub, text) for _ in range(3))
    return {
        "tool": name,
        "recall": caught / len(cases),
        "cases": len(cases),
        "false_positives": flagged / len(benign),
        "benign": len(benign),
        "mb_per_s": len(text.encode()) / 1e6 / best,
    }


def _timed(scrub: Scrub, text: str) -> float:
    start = time.perf_counter()
    scrub(text)
    return time.perf_counter() - start


def table(rows: list[dict[str, float | str]]) -> str:
    import platform

    head = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; corpus: {rows[0]['cases']} secret cases, "
        f"{rows[0]['benign']} benign strings (tests/data/redaction).\n\n"
        "| tool | recall (secret removed whole) | false positives (benign flagged) | MB/s |\n"
        "|---|---:|---:|---:|\n"
    )
    body = "".join(
        f"| {r['tool']} | {float(r['recall']):.0%} | {float(r['false_positives']):.0%} "
        f"| {float(r['mb_per_s']):.1f} |\n"
        for r in rows
    )
    return head + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="update this Markdown file between markers")
    args = parser.parse_args()
    rows = [measure("escalate", escalate_scrub())]
    try:
        rows.append(measure("detect-secrets 1.5", detect_secrets_scrub()))
    except ImportError:
        print("detect-secrets is not installed (it is, in `nox -s bench`)", file=sys.stderr)
    text = table(rows)
    print(text)
    if args.write:
        doc = args.write.read_text(encoding="utf-8")
        before, _, rest = doc.partition(START)
        _, _, after = rest.partition(END)
        args.write.write_text(f"{before}{START}\n{text}{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

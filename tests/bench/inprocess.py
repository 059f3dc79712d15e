"""In-process timings that used to be asserted in the tests: `python tests/bench/inprocess.py NAME`.

Each case sets up in the child, then times only the work; it prints the seconds first (the
harness reads them as the case's inner time), then what it measured. These were budgets in
tests/ and made the suite flaky on a loaded machine; here they are measured and reported in
docs/performance.md instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def noise_4k() -> Callable[[], object]:
    """Encoding a 4K screen of noise: PNG is predicted too big, so JPEG it is."""
    from PIL import Image

    from escalate.capture.imaging import encode

    noise = Image.frombytes("RGB", (3840, 2160), os.urandom(3840 * 2160 * 3))
    return lambda: encode(noise)[1]


def collect_environment() -> Callable[[], object]:
    """Everything escalate learns about this machine (browsers, OS, timezone)."""
    from escalate.facts.environment import collect

    return lambda: len(collect().browsers)


def browser_paste() -> Callable[[], object]:
    """A 100 kB paste as the browser answer: the parser must stay linear."""
    from escalate.facts.browsers import parse_browser

    text = "a" + " " * 100_000 + "b"
    return lambda: parse_browser(text).name


def template_bomb() -> Callable[[], object]:
    """A team template of silent nested loops: how soon the sandbox stops it."""
    from escalate.errors import TemplateError
    from escalate.templating.engine import render_string

    # Three levels: two (10^8 empty iterations) can finish inside the limit on a fast Python.
    source = (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )

    def job() -> object:
        try:
            return render_string(source, {})
        except TemplateError as exc:
            return exc.message

    return job


def redact_mixed_10mb() -> Callable[[], object]:
    """10 MB of realistic log lines (keys, cookies, emails, request IDs)."""
    import random

    from escalate.privacy.redact import Redactor

    rng = random.Random(3)
    lines = [
        "2025-03-05T14:22:31.123Z INFO request x-request-id=req_3cfb8508bc184d1e125e3a8ed513a40f",
        "openai-processing-ms: 1873 status=429 retry-after: 20",
        "ERROR Incorrect API key provided: sk-proj-" + "Ab1" * 40,
        "Cookie: __Secure-next-auth.session-token=eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn",
        "the quick brown fox jumps over the lazy dog, user@corp.example.org wrote",
    ]
    text = "\n".join(rng.choice(lines) for _ in range(10 * 2**20 // 60))
    return lambda: len(Redactor().redact(text).redactions)


CASES: dict[str, Callable[[], Callable[[], object]]] = {
    "noise-4k": noise_4k,
    "collect": collect_environment,
    "browser-paste": browser_paste,
    "template-bomb": template_bomb,
    "redact-mixed-10mb": redact_mixed_10mb,
}


def main(argv: list[str]) -> int:
    """Set up the named case, time its work once, print ``SECONDS RESULT``."""
    (name,) = argv
    work = CASES[name]()
    start = time.perf_counter()
    result = work()
    print(f"{time.perf_counter() - start:.6f} {str(result)[-80:]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Cold-process benchmark harness for ``nox -s bench``.

Every case is a fresh process (no warm imports), timed over several runs; the median is
compared with a bare ``python -c pass`` measured in the same run, so the budgets hold
on a slower or faster machine alike. Results go to stdout and, with ``--write``, into
docs/performance.md between the bench markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
ANSWERS = """\
email = "dana.kim@example.org"
error_text = "Code interpreter session expired"
occurred_at = "2026-11-20T09:15"
timezone = "Asia/Kolkata"
platform = "macOS 15.1 (arm64)"
browser = "Firefox 133"
request_id = "req_4f8a9c1e2b3d4f5a6b7c8d9e0f1a2b3c"
scope = "all_chats"
steps_tried = ["Reloaded the page"]
summary = "Data analysis session expires within minutes"
"""


@dataclass
class Case:
    name: str
    argv: Callable[[int], list[str]]
    budget: float | None = None  # multiple of bare Python, or None
    budget_seconds: float | None = None
    runs: int = 10


@dataclass
class Timing:
    case: Case
    median: float
    best: float
    worst: float


def escalate_bin() -> str:
    found = shutil.which("escalate", path=str(Path(sys.executable).parent))
    return found or shutil.which("escalate") or "escalate"


def time_case(case: Case, env: dict[str, str]) -> Timing:
    samples = []
    subprocess.run(case.argv(-1), env=env, capture_output=True, check=False)  # disk cache
    for i in range(case.runs):
        argv = case.argv(i)
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{case.name} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return Timing(case, statistics.median(samples), min(samples), max(samples))


def cases(work: Path) -> list[Case]:
    exe = escalate_bin()
    answers = work / "answers.toml"
    answers.write_text(ANSWERS, encoding="utf-8")
    py = sys.executable
    found = [
        Case("bare `python -c pass`", lambda i: [py, "-c", "pass"]),
        Case("`escalate --version`", lambda i: [exe, "--version"], budget=5.0),
        Case(
            "`escalate new` non-interactive, Markdown only",
            lambda i: [exe, "new", "--answers", str(answers), "--yes", "--no-screenshot",
                       "--format", "md", "--out", str(work / f"md-{i}")],
            budget=15.0,
        ),
    ]
    extra = ROOT / "tests" / "bench" / "extra_cases.py"
    if extra.is_file():  # cases of later features: screenshot, PDF, redaction, HAR
        namespace: dict[str, object] = {}
        exec(compile(extra.read_text(), str(extra), "exec"), namespace)  # noqa: S102
        found += namespace["extra_cases"](work, exe, answers, Case)  # type: ignore[operator]
    return found


def table(timings: list[Timing]) -> str:
    bare = timings[0].median
    rows = [
        "| case | median | best | worst | × bare Python | budget | within |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for t in timings:
        ratio = t.median / bare
        if t.case.budget is not None:
            budget, ok = f"≤ {t.case.budget:g}× bare", ratio <= t.case.budget
        elif t.case.budget_seconds is not None:
            budget, ok = f"≤ {t.case.budget_seconds:g} s", t.median <= t.case.budget_seconds
        else:
            budget, ok = "—", True
        rows.append(
            f"| {t.case.name} | {t.median * 1000:.0f} ms | {t.best * 1000:.0f} ms | "
            f"{t.worst * 1000:.0f} ms | {ratio:.1f}× | {budget} | {'yes' if ok else '**no**'} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="update this Markdown file between markers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="escalate-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "ESCALATE_HOME": str(work / "home"), "ESCALATE_OFFLINE": "1",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        timings = [time_case(c, env) for c in cases(work)]
    uname = os.uname()
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {uname.sysname} {uname.machine}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; median of cold runs."
    )
    text = f"{header}\n\n{table(timings)}\n"
    print(text)
    if args.write:
        doc = args.write.read_text(encoding="utf-8") if args.write.exists() else f"{START}\n{END}\n"
        before, _, rest = doc.partition(START)
        _, _, after = rest.partition(END)
        args.write.write_text(f"{before}{START}\n{text}{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

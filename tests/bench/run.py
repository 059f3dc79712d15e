"""Cold-process benchmark harness for ``nox -s bench``.

Every case is a fresh process (no warm imports), timed over several runs; the median is
compared with a bare ``python -c pass`` measured in the same run, so the budgets hold on a
slower or faster machine alike. Peak memory is the child's own max RSS (``os.wait4``).
Results go to stdout and, with ``--write``, into docs/performance.md between the markers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
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
    budget: float | None = None  # multiple of bare Python
    budget_seconds: float | None = None
    budget_mib: float | None = None
    budget_inner: float | None = None  # seconds of the work itself, as the script reports
    env: dict[str, str] = field(default_factory=dict)
    runs: int = 20
    reports_inner: bool = False


@dataclass
class Timing:
    case: Case
    median: float
    best: float
    worst: float
    peak_mib: float
    inner: float | None = None


def escalate_bin() -> str:
    found = shutil.which("escalate", path=str(Path(sys.executable).parent))
    return found or shutil.which("escalate") or "escalate"


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err[-800:]}")
    return elapsed, usage.ru_maxrss / 1024, out  # KiB on Linux


def time_cases(cases: list[Case], env: dict[str, str]) -> list[Timing]:
    """Time every case, interleaved: run k of each case before run k+1 of any.

    A shared machine speeds up and slows down over a minute; interleaving gives bare Python
    and each command the same conditions, so the ratios hold even when the times drift.
    """
    envs = [{**env, **c.env} for c in cases]
    for case, case_env in zip(cases, envs, strict=True):
        run_once(case.argv(-1), case_env)  # warm the disk cache, not the process
    samples: list[list[float]] = [[] for _ in cases]
    peaks: list[list[float]] = [[] for _ in cases]
    inner: list[list[float]] = [[] for _ in cases]
    for i in range(max(c.runs for c in cases)):
        for k, case in enumerate(cases):
            if i >= case.runs:
                continue
            elapsed, peak, out = run_once(case.argv(i), envs[k])
            samples[k].append(elapsed)
            peaks[k].append(peak)
            if case.reports_inner:  # the script prints its own in-process seconds first
                inner[k].append(float(out.split()[0]))
    return [
        Timing(case, statistics.median(s), min(s), max(s), max(p),
               statistics.median(n) if n else None)
        for case, s, p, n in zip(cases, samples, peaks, inner, strict=True)
    ]


@contextlib.contextmanager
def screen(width: int, height: int) -> Iterator[str | None]:
    """A real Xvfb with a message window, or None when Xvfb is not installed."""
    if not (shutil.which("Xvfb") and shutil.which("xmessage")):
        yield None
        return
    from tests.xvfb import message_window, xvfb

    with xvfb(width, height) as server, message_window(server, "Code interpreter session expired"):
        yield server.display


def in_child(code: str) -> None:
    """Run set-up code in its own process, so this harness stays small.

    A child's max RSS (from ``wait4``) starts at the parent's size at fork, so the harness
    must not grow: images and big files are made by throw-away processes.
    """
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def sample_screenshot(path: Path) -> Path:
    in_child(
        "from PIL import Image, ImageDraw\n"
        "image = Image.linear_gradient('L').resize((1920, 1080)).convert('RGB')\n"
        "draw = ImageDraw.Draw(image)\n"
        "for y in range(40, 1040, 40):\n"
        "    draw.text((40, y), 'Code interpreter session expired ' * 6, fill=(20, 20, 20))\n"
        f"image.save({str(path)!r})\n"
    )
    return path


def base_cases(work: Path, exe: str) -> list[Case]:
    answers = work / "answers.toml"
    answers.write_text(ANSWERS, encoding="utf-8")
    py = sys.executable
    return [
        Case("bare `python -c pass`", lambda i: [py, "-c", "pass"]),
        Case("`escalate --version`", lambda i: [exe, "--version"], budget=5.0),
        Case(
            "`escalate new` non-interactive, Markdown only",
            lambda i: [exe, "new", "--answers", str(answers), "--yes", "--no-screenshot",
                       "--format", "md", "--out", str(work / f"md-{i}")],
            budget=15.0,
        ),
        Case(
            "stack floor: validate one `Report`, render the built-in template (no CLI)",
            lambda i: [py, str(ROOT / "tests" / "bench" / "floor.py")],
        ),
    ]


def pdf_cases(work: Path, exe: str, env: dict[str, str]) -> list[Case]:
    shot = sample_screenshot(work / "shot.png")
    source = work / "with-shot"
    subprocess.run(
        [exe, "new", "--answers", str(work / "answers.toml"), "--yes", "--screenshot-file",
         str(shot), "--format", "md,json", "--out", str(source)],
        env=env, check=True, capture_output=True,
    )
    return [
        Case(
            "`escalate render` to PDF, 1080p screenshot",
            lambda i: [exe, "render", str(source), "--format", "pdf", "--out",
                       str(work / f"pdf-{i}")],
            budget_seconds=0.5,
        ),
        Case(
            "`escalate eml` of that bundle (message.txt, screenshot, report.json)",
            lambda i: [exe, "eml", str(source), "--out", str(work / f"draft-{i}.eml")],
        ),
    ]


def hostile_text(path: Path, size: int = 10 * 1024 * 1024) -> Path:
    """10 MB built from the shapes that make naive secret regexes backtrack."""
    shapes = ["sk-" * 400, "a@" * 400, "4242 " * 200, "eyJ." * 300, "Bearer " * 200,
              "=" * 800, "%2D%40x" * 150, "token=" * 200, "+1 " * 300, "\u200bab" * 300,
              "Cookie: " * 150, "user@example.org sk-proj-" + "A" * 120 + " "]
    chunk = "\n".join(shapes) + "\n"
    path.write_text((chunk * (size // len(chunk) + 1))[:size], encoding="utf-8")
    return path


def privacy_cases(work: Path, exe: str) -> list[Case]:
    text = hostile_text(work / "hostile.txt")
    invisible = work / "zero-width.txt"
    invisible.write_text("a\u200b" * (10 * 1024 * 1024 // 4), encoding="utf-8")
    har = work / "big.har"
    in_child(f"from tests.har_factory import write_big_har; write_big_har(__import__('pathlib')"
             f".Path({str(har)!r}), 50)")
    return [
        Case(
            "`escalate redact` on 10 MB of hostile text",
            lambda i: [exe, "redact", str(text)],
            budget_seconds=2.0,
            runs=3,
        ),
        Case(
            "`escalate redact` on 10 MB of zero-width characters (between letters)",
            lambda i: [exe, "redact", str(invisible)],
            budget_seconds=3.0,
            budget_mib=256,
            runs=3,
        ),
        Case(
            "`escalate har` sanitising a 50 MB HAR",
            lambda i: [exe, "har", str(har), "-o", str(work / f"har-{i}.har")],
            runs=3,
        ),
    ]


def screenshot_case(label: str, display: str, budget: float) -> Case:
    script = ROOT / "tests" / "bench_screenshot.py"
    return Case(
        f"capture + encode + write, {label}, cold process",
        lambda i: [sys.executable, str(script)],
        budget_seconds=budget,
        budget_mib=150,
        env={"DISPLAY": display},
        reports_inner=True,
    )


def inprocess_cases() -> list[Case]:
    """Work timed inside one process: set-up is done first, so only the work is measured."""
    script = str(ROOT / "tests" / "bench" / "inprocess.py")
    budgets = [
        ("noise-4k", "encode a 4K screen of noise (PNG predicted too big, JPEG)", 1.0),
        ("collect", "environment facts (`facts.environment.collect`)", 1.0),
        ("browser-paste", "a 100 kB paste parsed as the browser answer", 0.5),
        ("template-bomb", "a template of silent nested loops, until stopped", 2.0),
        ("redact-mixed-10mb", "redaction of 10 MB of realistic log lines", 2.0),
    ]
    return [
        Case(f"in-process: {label}", lambda i, name=name: [sys.executable, script, name],
             budget_inner=budget, runs=5, reports_inner=True)
        for name, label, budget in budgets
    ]


def table(timings: list[Timing]) -> str:
    bare = timings[0].median
    rows = [
        "| case | median | best | worst | × bare Python | peak RSS | budget | within |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for t in timings:
        ratio = t.median / bare
        budgets, ok = [], True
        if t.case.budget is not None:
            budgets.append(f"≤ {t.case.budget:g}× bare")
            ok &= ratio <= t.case.budget
        if t.case.budget_seconds is not None:
            budgets.append(f"≤ {t.case.budget_seconds:g} s")
            ok &= t.median <= t.case.budget_seconds
        if t.case.budget_inner is not None and t.inner is not None:
            budgets.append(f"≤ {t.case.budget_inner:g} s inside")
            ok &= t.inner <= t.case.budget_inner
        if t.case.budget_mib is not None:
            budgets.append(f"≤ {t.case.budget_mib:g} MiB")
            ok &= t.peak_mib <= t.case.budget_mib
        rows.append(
            f"| {t.case.name} | {t.median * 1000:.0f} ms | {t.best * 1000:.0f} ms | "
            f"{t.worst * 1000:.0f} ms | {ratio:.1f}× | {t.peak_mib:.0f} MiB | "
            f"{', '.join(budgets) or '—'} | {'yes' if ok else '**no**'} |"
        )
    notes = [
        f"- {t.case.name}: {t.inner * 1000:.0f} ms of it inside the process"
        + ("" if t.case.budget_inner else " (capture, encode, write)")
        for t in timings if t.inner is not None
    ]
    return "\n".join(rows + (["", *notes] if notes else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="update this Markdown file between markers")
    parser.add_argument("--quick", action="store_true", help="3 runs per case")
    args = parser.parse_args()
    exe = escalate_bin()
    with tempfile.TemporaryDirectory(prefix="escalate-bench-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ, "ESCALATE_HOME": str(work / "home"), "ESCALATE_OFFLINE": "1",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        env.pop("DISPLAY", None)
        cases = base_cases(work, exe) + pdf_cases(work, exe, env) + privacy_cases(work, exe)
        cases += inprocess_cases()
        with screen(1920, 1080) as hd, screen(3840, 2160) as uhd:
            if hd and uhd:
                cases += [screenshot_case("1080p", hd, 0.3), screenshot_case("4K", uhd, 1.0)]
            else:
                print("Xvfb/xmessage missing: screenshot cases skipped", file=sys.stderr)
            for case in cases:
                case.runs = min(3, case.runs) if args.quick else case.runs
            timings = time_cases(cases, env)
    uname = os.uname()
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {uname.sysname} {uname.machine}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; median of "
        f"{timings[0].case.runs} cold runs per case (3 for the redaction and HAR cases, 5 for "
        "the in-process ones), "
        "interleaved across cases."
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

"""No test asserts how fast something is: speed is measured by `nox -s bench`.

An upper bound on a duration is allowed only as a guard against a hang, and then it says so
by using ``HANG_GUARD`` (directly, or through a ``deadline`` built from it). Lower bounds
(a timeout that must not fire early, a countdown that must really wait) are behaviour and
stay.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
CLOCKS = {"perf_counter", "monotonic", "time", "process_time"}
DURATIONS = {"elapsed", "seconds", "waited", "took", "duration"}


def _names(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _upper_bound_on_time(test: ast.expr) -> bool:
    for compare in (n for n in ast.walk(test) if isinstance(n, ast.Compare)):
        # The smaller side of a `<` chain is the one being bounded: a clock or a duration.
        sides = [compare.left, *compare.comparators]
        for op, small, large in zip(compare.ops, sides[:-1], sides[1:], strict=True):
            bounded = small if isinstance(op, ast.Lt | ast.LtE) else None
            if isinstance(op, ast.Gt | ast.GtE):
                bounded = large
            if bounded is not None and _names(bounded) & (CLOCKS | DURATIONS):
                return True
    return False


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assert)
            and _upper_bound_on_time(node.test)
            and not _names(node.test) & {"HANG_GUARD", "deadline"}
        ):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node.test)}")
        if isinstance(node, ast.Assign) and "deadline" in _names(node.targets[0]):
            value = _names(node.value)
            if not value & {"HANG_GUARD"} and not [v for v in value if v.endswith("_TIMEOUT")]:
                found.append(f"{path.name}:{node.lineno}: deadline = {ast.unparse(node.value)}")
    return found


def test_no_speed_budget_is_asserted_in_the_tests() -> None:
    files = [p for p in TESTS.rglob("*.py") if "bench" not in p.parts and p != Path(__file__)]
    assert len(files) > 20
    offences = [o for path in sorted(files) for o in _offences(path)]
    assert offences == []


def test_the_checker_catches_a_budget(tmp_path: Path) -> None:
    budget = tmp_path / "test_fast.py"
    budget.write_text(
        "import time\n"
        "def test_fast():\n"
        "    start = time.perf_counter()\n"
        "    elapsed = time.perf_counter() - start\n"
        "    assert elapsed < 0.5\n"
        "    assert 0.4 < elapsed < 0.9\n"
        "    assert time.perf_counter() - start < 2\n"
        "    assert 1.0 > elapsed\n"
        "    deadline = time.monotonic() + 5\n"
        "    assert elapsed > 0.4\n"
        "    assert elapsed < 1 + HANG_GUARD\n"
    )
    assert [o.split(":")[1] for o in _offences(budget)] == ["5", "6", "7", "8", "9"]

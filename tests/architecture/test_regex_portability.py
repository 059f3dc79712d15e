"""No possessive quantifier on a group: Python 3.11.0 to 3.11.4 match those wrongly.

CPython gh-106052: ``(?:ab?c)*+`` could match where ``(?:ab?c)*`` does not, whenever the
repeated part can backtrack; 3.11.5 fixed it by treating ``X*+`` as ``(?>X*)``. Debian 12's
python3 is 3.11.2, so escalate writes the atomic group itself. There it let a key wrapped
across lines swallow the next line of prose. A quantifier on a single character or class
(``[a-z]++``) cannot backtrack and stays.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "escalate"
# A group's closing parenthesis (not an escaped one), a quantifier, then the possessive `+`;
# `{{m,n}}` is how an f-string writes a counted quantifier.
POSSESSIVE_GROUP = re.compile(r"(?<!\\)\)(?:[*+?]|\{\d*,?\d*\}|\{\{\d*,?\d*\}\})\+")


def _offences(text: str, name: str) -> list[str]:
    return [
        f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}"
        for m in POSSESSIVE_GROUP.finditer(text)
    ]


def test_no_possessive_quantifier_on_a_group() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    found = [o for p in files for o in _offences(p.read_text(encoding="utf-8"), p.name)]
    assert found == [], "write (?>(?:...)+) instead of (?:...)++ (CPython gh-106052)"


def test_the_check_sees_every_form() -> None:
    bad = r'"(?:a|b)++" "(x)*+" "(?:y)?+" "(?:z){1,6}+" rf"(?:w){{6,14}}+"'
    assert len(_offences(bad, "x")) == 5
    good = r'"(?>(?:a|b)+)" "[a-z]++" "\)?+" "\d{1,3}+" "(?>(?:z){1,6})"'
    assert _offences(good, "x") == []


def test_atomic_groups_match_as_intended_on_this_python() -> None:
    # The example from the CPython report: the atomic form never matches more than the
    # greedy one, on any 3.11 or later.
    assert re.fullmatch(r"(?>(?:ab?c)*)", "a") is None
    assert re.fullmatch(r"(?:ab?c)*", "a") is None

"""Pin every declared dependency to its lowest declared version, as pip constraints.

``python scripts/floor.py > floor.txt`` writes ``name==version`` for each runtime and test
dependency in pyproject.toml (extras dropped: a constraint names a package, not an extra).
``nox -s tests_floor`` installs with these constraints, so the suite runs against the
versions the package claims to support. pip has no "lowest" resolution of its own.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
EXTRAS = ("test",)


class NoFloor(ValueError):
    """A dependency declares no lowest version (``>=`` or ``==``)."""


def floor_of(requirement: str) -> str:
    """``name==X`` for ``name[extra]>=X,<Y``; raises :class:`NoFloor` without a lower bound."""
    parsed = Requirement(requirement)
    lows = [s.version for s in parsed.specifier if s.operator in {">=", "==", "~="}]
    if len(lows) != 1:
        raise NoFloor(f"{requirement!r} needs exactly one lowest version (>=, == or ~=)")
    return f"{parsed.name}=={lows[0]}"


def floor_constraints(pyproject: Path = PYPROJECT) -> list[str]:
    """The constraints for every runtime dependency and those of the test extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in EXTRAS:
        declared += project["optional-dependencies"][extra]
    return [floor_of(r) for r in declared]


def main() -> int:
    """Print the constraints, one a line; a dependency without a floor is an error."""
    try:
        print("\n".join(floor_constraints()))
    except NoFloor as exc:
        print(f"floor.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

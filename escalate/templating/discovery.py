"""Finding templates on the search path and resolving a name and its ``extends`` chain.

A template is a folder: ``template.toml`` (the manifest) and, optionally,
``submission.md.j2`` (inherited from the parent when absent). Search order, later wins:
built-in < user dir < team dirs (settings, then ``ESCALATE_TEMPLATE_PATH``) <
``--template-dir``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalate.errors import TemplateError
from escalate.templating.manifest import (
    MANIFEST,
    Manifest,
    Question,
    StepSpec,
    TemplateQuestion,
    read_manifest,
)

DEFAULT_TEMPLATE = "openai-support"
# Offered by every template after its own steps, so each checklist starts from the same core.
CORE_STEPS = (
    "Reloaded the page or restarted the app",
    "Started a new chat",
    "Logged out and back in",
    "Tried another browser or device",
    "Checked status.openai.com",
)


@dataclass
class Template:
    """A resolved template: its manifest merged with every parent's, and its folders."""

    manifest: Manifest
    folder: Path
    origin: str
    chain: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def checklist(self) -> list[str]:
        """The steps offered as "already tried": the template's own, then the core ones."""
        return list(dict.fromkeys([*(s.label for s in self.manifest.steps), *CORE_STEPS]))

    @property
    def built_in(self) -> bool:
        """Every folder of the chain ships with escalate (reviewed code, not team input)."""
        root = builtin_root().resolve()
        folders = self.chain or [self.folder]
        return all(f.resolve().parent == root for f in folders)


def builtin_root() -> Path:
    """The built-in templates: inside the wheel, or ``templates/`` in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


def search_path(
    user_dir: Path | None = None,
    team_dirs: Sequence[Path] = (),
    extra_dirs: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> list[tuple[Path, str]]:
    """Folders to search, lowest precedence first, each with a label for ``templates list``."""
    env = os.environ if env is None else env
    found: list[tuple[Path, str]] = [(builtin_root(), "built-in")]
    if user_dir is not None:
        found.append((user_dir, "user"))
    found += [(Path(d), "team") for d in team_dirs]
    found += [
        (Path(d), "team") for d in env.get("ESCALATE_TEMPLATE_PATH", "").split(os.pathsep) if d
    ]
    found += [(Path(d), "--template-dir") for d in extra_dirs]
    return found


def discover_all(path: Sequence[tuple[Path, str]]) -> list[tuple[str, Path, str]]:
    """Every template folder on the path, lowest precedence first (duplicates kept).

    A search folder holds template folders, or is itself one (a repository that is a
    single template). Symbolic links are skipped: a shared folder must not point outside.
    """
    found: list[tuple[str, Path, str]] = []
    for root, origin in path:
        if not root.is_dir():
            continue
        if (root / MANIFEST).is_file() and not (root / MANIFEST).is_symlink():
            found.append((root.name, root, origin))
            continue
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(("_", ".")) or folder.is_symlink():
                continue
            manifest = folder / MANIFEST
            if manifest.is_file() and not manifest.is_symlink():
                found.append((folder.name, folder, origin))
    return found


def discover(path: Sequence[tuple[Path, str]]) -> dict[str, tuple[Path, str]]:
    """Every template folder by name; the same name later in the path wins."""
    return {name: (folder, origin) for name, folder, origin in discover_all(path)}


def load_template(name: str, path: Sequence[tuple[Path, str]]) -> Template:
    """Resolve ``name`` and its ``extends`` chain into one :class:`Template`."""
    known = discover(path)
    chain: list[tuple[Path, str, Manifest]] = []
    current: str | None = name
    while current is not None:
        if current not in known:
            hint = "run `escalate templates list` to see the names"
            if chain:
                raise TemplateError(
                    f"{chain[-1][0] / MANIFEST}: extends unknown template {current!r}", hint
                )
            raise TemplateError(f"no template named {current!r}", hint)
        if any(f.name == current for f, _, _ in chain):
            raise TemplateError(f"template {name!r} extends itself through {current!r}")
        folder, origin = known[current]
        manifest = read_manifest(folder)
        chain.append((folder, origin, manifest))
        current = manifest.extends
    return _merge(chain)


def _merge(chain: list[tuple[Path, str, Manifest]]) -> Template:
    folder, origin, child = chain[0]
    defaults: dict[str, Any] = {}
    questions: dict[str, TemplateQuestion] = {}
    steps: list[StepSpec] = []
    for _, _, manifest in reversed(chain):  # parents first, children override
        defaults.update(manifest.defaults)
        for q in manifest.questions:
            questions[q.key] = q
        steps = manifest.steps or steps
    support = next((m.support_email for _, _, m in chain if m.support_email), None)
    merged = child.model_copy(
        update={"defaults": defaults, "questions": list(questions.values()), "steps": steps,
                "support_email": support}
    )
    return Template(
        merged, folder, origin, chain=[f for f, _, _ in chain], names=[f.name for f, _, _ in chain]
    )


def merge_questions(
    core: Sequence[Question], template_questions: Sequence[Question]
) -> list[Question]:
    """Core questions with any of the same key replaced in place by the template's own
    (so ``request_id`` can become required); the template's other questions follow."""
    own = {q.key: q for q in template_questions}
    merged = [own.pop(q.key, q) for q in core]
    return [*merged, *(q for q in template_questions if q.key in own)]

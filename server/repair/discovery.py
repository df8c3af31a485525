"""Which Python files a folder holds, skipping what the project ignores.

Inside a git work tree ``git check-ignore --stdin`` decides (git's own rules, every
``.gitignore``, ``.git/info/exclude`` and the global excludes). Elsewhere, or without git, the
common ``.gitignore`` patterns are applied by :class:`GitignoreMatcher`: globs, ``dir/``,
anchored ``/path`` and ``**``; negation (``!``) is not supported and such lines are skipped.
``.git``, ``.venv``, ``__pycache__`` and the like are always skipped. Symlinks found while walking
are not followed (they could leave the tree or loop); a symlink named explicitly is.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ALWAYS_SKIPPED = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache",
     ".pytest_cache", ".tox", ".nox", "node_modules"}
)  # fmt: skip
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class _Pattern:
    base: Path
    glob: str
    directory_only: bool
    anchored: bool

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self.directory_only and not is_dir:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        if self.anchored:
            return fnmatch.fnmatchcase(relative, self.glob)
        return fnmatch.fnmatchcase(path.name, self.glob) or fnmatch.fnmatchcase(
            relative, f"*/{self.glob}"
        )


@dataclass
class GitignoreMatcher:
    """The common subset of ``.gitignore`` rules, for folders outside any git work tree."""

    patterns: list[_Pattern] = field(default_factory=list)

    def add_file(self, gitignore: Path) -> None:
        """Read one ``.gitignore``; its patterns are relative to its folder."""
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        for raw in lines:
            line = raw.rstrip()
            if not line or line.startswith(("#", "!")):
                continue
            directory_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            line = line.lstrip("/")
            if line.startswith("**/"):
                line, anchored = line[3:], "/" in line[3:]
            self.patterns.append(_Pattern(gitignore.parent, line, directory_only, anchored))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether any pattern read so far ignores ``path``."""
        return any(pattern.matches(path, is_dir) for pattern in self.patterns)


def _git_root(folder: Path) -> Path | None:
    if shutil.which("git") is None:
        return None
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def _git_ignored(root: Path, paths: list[Path]) -> set[Path]:
    if not paths:
        return set()
    data = "\0".join(str(path) for path in paths) + "\0"
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--stdin", "-z"],
            input=data,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    # 0: some ignored, 1: none ignored; anything else (error) ignores nothing rather than all.
    if result.returncode not in (0, 1):
        return set()
    return {Path(item) for item in result.stdout.split("\0") if item}


def python_files(folder: Path) -> Iterator[Path]:
    """Python files under ``folder`` in sorted order, minus ignored ones."""
    root = _git_root(folder)
    matcher = None if root is not None else GitignoreMatcher()
    found: list[Path] = []
    for current, dirs, files in os.walk(folder, followlinks=False):
        here = Path(current)
        if matcher is not None and ".gitignore" in files:
            matcher.add_file(here / ".gitignore")
        kept = []
        for name in sorted(dirs):
            path = here / name
            if name in ALWAYS_SKIPPED or path.is_symlink():
                continue
            if matcher is not None and matcher.ignored(path, is_dir=True):
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            if not name.endswith(PYTHON_SUFFIXES) or path.is_symlink():
                continue
            if matcher is not None and matcher.ignored(path, is_dir=False):
                continue
            found.append(path)
    if root is not None:
        ignored = _git_ignored(root, [path.absolute() for path in found])
        found = [path for path in found if path.absolute() not in ignored]
    yield from sorted(found)

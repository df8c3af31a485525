"""Where things are: the project root, a module's import name, where its tests go.

The generated file must import the module under plain ``pytest`` run from the project root,
without a conftest.py. pytest (default "prepend" import mode) puts only the test file's
*basedir* (the first folder upwards without ``__init__.py``) on ``sys.path``; the project root
itself is there only with ``python -m pytest``, a ``pythonpath`` setting or an installed package.
So the test file gets a two-line ``sys.path`` insert of the module's import root exactly when
none of those already provide it. We prefer this over writing a conftest.py because it keeps
the generated file self-contained and never changes how the user's other tests import.
"""

from __future__ import annotations

import os
import sys
import tomllib
from configparser import ConfigParser
from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@dataclass(frozen=True)
class ModuleLocation:
    """A source file as Python imports it."""

    path: Path  # absolute
    module: str  # dotted import name
    import_root: Path  # the folder that must be on sys.path
    project_root: Path


def project_root(path: Path) -> Path:
    """The nearest folder above ``path`` with a project marker; else the file's folder."""
    start = path.resolve().parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


def locate(path: Path) -> ModuleLocation:
    """Import name and import root: climb while the folder is a package (has __init__.py)."""
    path = path.resolve()
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ModuleLocation(path, ".".join(parts) or path.parent.name, folder, project_root(path))


def default_test_path(location: ModuleLocation) -> Path:
    """``<project>/tests/test_<module>.py``: where pytest users look first."""
    return location.project_root / "tests" / f"test_{location.module.split('.')[-1]}.py"


def pytest_basedir(test_path: Path) -> Path:
    """The folder pytest's prepend import mode puts on sys.path for ``test_path``."""
    folder = test_path.resolve().parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def configured_pythonpath(root: Path) -> list[Path]:
    """``pythonpath`` entries from pyproject.toml or pytest.ini / setup.cfg / tox.ini."""
    entries: list[str] = []
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            value = (
                data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("pythonpath", [])
            )
            entries += [value] if isinstance(value, str) else list(value)
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
            pass
    for name, section in (
        ("pytest.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
        ("tox.ini", "pytest"),
    ):
        config = ConfigParser()
        try:
            config.read(root / name, encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if config.has_option(section, "pythonpath"):
            entries += config.get(section, "pythonpath").split()
    return [(root / entry).resolve() for entry in entries]


def path_insert(location: ModuleLocation, test_path: Path) -> str | None:
    """The expression for the folder to put on sys.path, relative to the test file; or None.

    None when plain pytest from the project root already imports the module: its import root is
    pytest's basedir for the test file, a configured ``pythonpath``, or on this interpreter's
    ``sys.path`` (an installed package).
    """
    root = location.import_root.resolve()
    if root == pytest_basedir(test_path):
        return None
    if root in configured_pythonpath(location.project_root):
        return None
    if any(entry and Path(entry).resolve() == root for entry in sys.path[1:]):
        return None
    test_folder = test_path.resolve().parent
    if root in test_folder.parents:
        levels = list(test_folder.parents).index(root)
        return f"Path(__file__).resolve().parents[{levels + 1}]"
    relative = Path(os.path.relpath(root, test_folder)).as_posix()
    return f"Path(__file__).resolve().parent / {relative!r}"

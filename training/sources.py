"""Where corpus files come from: the manifest, the standard library, PyPI archives, local folders.

Only ``.py`` files are read, as bytes, and nothing is ever installed or run: PyPI packages are
fetched with ``pip download --no-deps`` (a wheel when there is one, else the sdist; with
``sdist = true`` the other way round) into a cache
and read straight out of the archive. Each reader caps a file at ``max_bytes + 1`` bytes, enough
for the filters to call it too large without holding a huge blob in memory.
"""

from __future__ import annotations

import email.parser
import fnmatch
import logging
import os
import platform
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from codegpt.training.documents import RawFile

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
# Folders that never hold source someone wrote for this project.
SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "node_modules",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        "build",
        "dist",
        ".eggs",
    }
)


class ManifestError(ValueError):
    """The sources manifest is missing or malformed; the message says what to fix."""


@dataclass(frozen=True)
class PypiSource:
    """One pinned PyPI release."""

    name: str
    version: str
    max_mb: float | None = None  # cap on the source read from this package (sympy is huge)
    exclude: tuple[str, ...] = ()  # glob patterns on paths inside the archive
    sdist: bool = False  # prefer the sdist: unlike most wheels it carries the project's tests

    @property
    def requirement(self) -> str:
        """The pip requirement string."""
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class StdlibSource:
    """The running Python's standard library, one "package" per top-level module."""

    include: bool = True
    exclude: tuple[str, ...] = ()  # glob patterns on paths relative to the stdlib folder
    # When set, only paths matching one of these globs (or under a matching folder) are read:
    # ``only = ["test"]`` takes CPython's regression suite alone, for a train-only extension.
    only: tuple[str, ...] = ()

    def record(self) -> dict:
        """What was read, for a corpus manifest: this interpreter's version and the globs."""
        return {
            "python": platform.python_version(),
            "include": self.include,
            "exclude": list(self.exclude),
            "only": list(self.only),
        }


@dataclass(frozen=True)
class SourceManifest:
    """The parsed ``sources.toml``."""

    stdlib: StdlibSource = StdlibSource()
    pypi: tuple[PypiSource, ...] = ()
    local: tuple[str, ...] = ()
    max_package_mb: float | None = None  # default cap for every package


@dataclass
class DownloadResult:
    """What happened to one PyPI source: the archive on success, else an error."""

    source: PypiSource
    archive: Path | None = None
    error: str = ""
    cached: bool = False
    license: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def load_manifest(path: Path) -> SourceManifest:
    """Parse and validate the manifest; raises ManifestError with a helpful message."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestError(f"cannot read manifest {path}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ManifestError(f"manifest {path} is not valid TOML: {error}") from error
    unknown = set(data) - {"corpus", "stdlib", "pypi", "local"}
    if unknown:
        raise ManifestError(f"manifest {path}: unknown sections {sorted(unknown)}")
    try:
        stdlib_table = data.get("stdlib", {"include": False})
        stdlib = StdlibSource(
            include=bool(stdlib_table.get("include", True)),
            exclude=tuple(str(item) for item in stdlib_table.get("exclude", ())),
            only=tuple(str(item) for item in stdlib_table.get("only", ())),
        )
        packages = []
        for entry in data.get("pypi", []):
            if not isinstance(entry, dict) or "name" not in entry or "version" not in entry:
                raise ManifestError(f"manifest {path}: each [[pypi]] needs name and version")
            packages.append(
                PypiSource(
                    name=str(entry["name"]),
                    version=str(entry["version"]),
                    max_mb=float(entry["max_mb"]) if "max_mb" in entry else None,
                    exclude=tuple(str(item) for item in entry.get("exclude", ())),
                    sdist=bool(entry.get("sdist", False)),
                )
            )
        names = [package.name.lower() for package in packages]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ManifestError(f"manifest {path}: packages listed twice: {duplicates}")
        local = tuple(str(item) for item in data.get("local", {}).get("paths", ()))
        cap = data.get("corpus", {}).get("max_package_mb")
    except (AttributeError, TypeError, ValueError) as error:
        if isinstance(error, ManifestError):
            raise
        raise ManifestError(f"manifest {path}: malformed entry ({error})") from error
    return SourceManifest(
        stdlib=stdlib,
        pypi=tuple(packages),
        local=local,
        max_package_mb=float(cap) if cap is not None else None,
    )


def excluded(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``path`` or one of its parent folders matches a glob pattern."""
    pure = PurePosixPath(path)
    candidates = [str(pure), *(str(parent) for parent in pure.parents if str(parent) != ".")]
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates for pattern in patterns)


def read_capped(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of a file."""
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def walk_python_files(root: Path) -> Iterator[Path]:
    """``.py`` files under ``root`` in a stable order, skipping symlinks and tool folders."""
    if root.is_file():
        if root.suffix == ".py" and not root.is_symlink():
            yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if name.endswith(".py") and not path.is_symlink():
                yield path


def collect_collection(
    root: Path, prefix: str, exclude: tuple[str, ...], max_bytes: int, only: tuple[str, ...] = ()
) -> Iterator[RawFile]:
    """A folder whose top-level entries are packages (the stdlib, a local folder)."""
    for entry in sorted(root.iterdir()):
        if only and not any(fnmatch.fnmatchcase(entry.name, p.split("/")[0]) for p in only):
            continue  # a whole top-level entry outside ``only``: not even walked
        if entry.name in SKIPPED_DIRS or entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix != ".py":
            continue
        package = f"{prefix}/{entry.name.removesuffix('.py')}"
        for path in walk_python_files(entry):
            relative = path.relative_to(root).as_posix()
            if excluded(relative, exclude) or (only and not excluded(relative, only)):
                continue
            try:
                data = read_capped(path, max_bytes)
            except OSError as error:
                log.warning("cannot read %s: %s", path, error)
                continue
            yield RawFile(package=package, path=relative, data=data)


def stdlib_root() -> Path:
    """The running interpreter's standard library folder."""
    return Path(sysconfig.get_paths()["stdlib"])


def collect_stdlib(source: StdlibSource, max_bytes: int) -> Iterator[RawFile]:
    """The standard library as ``stdlib/<module>`` packages."""
    if source.include:
        root = stdlib_root()
        yield from collect_collection(root, "stdlib", source.exclude, max_bytes, source.only)


def collect_local(folder: Path, max_bytes: int) -> Iterator[RawFile]:
    """A local folder as ``<folder name>/<entry>`` packages."""
    yield from collect_collection(folder, folder.resolve().name, (), max_bytes)


def archive_members(archive: Path, max_bytes: int) -> Iterator[tuple[str, bytes]]:
    """``(path, bytes)`` of the ``.py`` members of a wheel, zip or tar sdist."""
    strip_top = not archive.name.endswith(".whl")  # an sdist wraps everything in name-version/
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as handle:
            for info in sorted(handle.infolist(), key=lambda info: info.filename):
                if info.is_dir() or not info.filename.endswith(".py"):
                    continue
                with handle.open(info) as member:
                    yield member_path(info.filename, strip_top), member.read(max_bytes + 1)
        return
    with tarfile.open(archive) as handle:
        for info in sorted(handle.getmembers(), key=lambda info: info.name):
            if not info.isfile() or not info.name.endswith(".py"):
                continue
            member = handle.extractfile(info)
            if member is not None:
                yield member_path(info.name, strip_top), member.read(max_bytes + 1)


def member_path(name: str, strip_top: bool) -> str:
    """The member's path inside the project, without an sdist's top folder."""
    parts = PurePosixPath(name).parts
    if strip_top and len(parts) > 1:
        parts = parts[1:]
    return "/".join(part for part in parts if part not in ("", ".", ".."))


def collect_archive(result: DownloadResult, max_bytes: int) -> Iterator[RawFile]:
    """The ``.py`` files of one downloaded PyPI package."""
    assert result.archive is not None, "only successful downloads are read"
    for path, data in archive_members(result.archive, max_bytes):
        if not excluded(path, result.source.exclude) and "__pycache__" not in path.split("/"):
            yield RawFile(package=result.source.name, path=path, data=data)


def cached_archive(folder: Path, prefer_sdist: bool = False) -> Path | None:
    """The archive already downloaded into ``folder``, if any (a wheel first, unless told)."""
    if not folder.is_dir():
        return None
    archives = sorted(p for p in folder.iterdir() if p.name.endswith(ARCHIVE_SUFFIXES))
    wheels = [p for p in archives if p.name.endswith(".whl")]
    sdists = [p for p in archives if not p.name.endswith(".whl")]
    preferred = (sdists, wheels) if prefer_sdist else (wheels, sdists)
    return (preferred[0] or preferred[1] or [None])[0]


def pip_download(source: PypiSource, folder: Path, binary: bool) -> str:
    """Run ``pip download`` for one release; returns pip's error text, empty on success."""
    only = ["--only-binary", ":all:"] if binary else ["--no-binary", ":all:"]
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
        "--quiet", *only, "--dest", str(folder), source.requirement,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode == 0:
        return ""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"pip exited with {done.returncode}"


def fetch(source: PypiSource, cache: Path, allow_download: bool) -> DownloadResult:
    """The archive of one release: from the cache, else a wheel, else the sdist.

    With ``sdist = true`` the other way round: a cached wheel alone is used only when downloads
    are off, else the sdist is fetched first.
    """
    folder = cache / f"{source.name}-{source.version}"
    archive = cached_archive(folder, source.sdist)
    only_a_wheel = archive is not None and source.sdist and archive.name.endswith(".whl")
    if archive is not None and not (only_a_wheel and allow_download):
        return describe(DownloadResult(source, archive=archive, cached=True))
    if not allow_download:
        return DownloadResult(source, error="not in the download cache and downloads are off")
    folder.mkdir(parents=True, exist_ok=True)
    order = (False, True) if source.sdist else (True, False)
    try:
        error = pip_download(source, folder, binary=order[0])
        if error:
            log.info("%s: first choice failed (%s); trying the other", source.requirement, error)
            error = pip_download(source, folder, binary=order[1])
    except (OSError, subprocess.TimeoutExpired) as failure:
        error = str(failure)
    archive = cached_archive(folder, source.sdist)
    if archive is None:
        return DownloadResult(source, error=error or "pip saved no archive")
    return describe(DownloadResult(source, archive=archive))


def fetch_all(
    sources: tuple[PypiSource, ...],
    cache: Path,
    allow_download: bool,
    jobs: int = 4,
    show_progress: bool = True,
) -> list[DownloadResult]:
    """Fetch every release in parallel threads (pip is I/O bound); failures are reported."""
    results: dict[str, DownloadResult] = {}
    with (
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
        tqdm(total=len(sources), desc="download", unit="pkg", disable=not show_progress) as bar,
    ):
        futures = {pool.submit(fetch, source, cache, allow_download): source for source in sources}
        for future in as_completed(futures):
            source = futures[future]
            try:
                result = future.result()
            except Exception as error:  # a broken archive must not stop the other packages
                result = DownloadResult(source, error=f"{type(error).__name__}: {error}")
            if result.error:
                log.warning("skipping %s: %s", source.requirement, result.error)
            results[source.name] = result
            bar.set_postfix_str(source.name)
            bar.update()
    return [results[source.name] for source in sources]


def describe(result: DownloadResult) -> DownloadResult:
    """Fill in the licence and metadata from the archive's METADATA or PKG-INFO."""
    assert result.archive is not None, "only successful downloads are described"
    try:
        text = read_metadata(result.archive)
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as error:
        result.error = f"unreadable archive {result.archive.name}: {error}"
        result.archive = None
        return result
    message = email.parser.Parser().parsestr(text or "")
    classifiers = [c.split("::")[-1].strip() for c in message.get_all("Classifier", []) if
                   c.startswith("License ::")]  # fmt: skip
    expression = message.get("License-Expression", "") or ""
    license_field = (message.get("License", "") or "").strip().splitlines()
    first_line = license_field[0][:100] if license_field else ""
    result.license = expression or "; ".join(classifiers) or first_line or "UNKNOWN"
    result.metadata = {
        "license_expression": expression,
        "license_field": first_line,
        "license_classifiers": "; ".join(classifiers),
        "archive": result.archive.name,
        "archive_bytes": str(result.archive.stat().st_size),
    }
    return result


def read_metadata(archive: Path) -> str | None:
    """The core metadata text of a wheel (``*.dist-info/METADATA``) or sdist (``PKG-INFO``)."""
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as handle:
            names = sorted(handle.namelist(), key=len)
            for name in names:
                if name.endswith((".dist-info/METADATA", "PKG-INFO")):
                    return handle.read(name).decode("utf-8", "replace")
        return None
    with tarfile.open(archive) as handle:
        members = sorted(
            (m for m in handle.getmembers() if m.name.endswith("PKG-INFO")),
            key=lambda m: len(m.name),
        )
        for member in members:
            extracted = handle.extractfile(member)
            if extracted is not None:
                return extracted.read().decode("utf-8", "replace")
    return None

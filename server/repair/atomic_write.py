"""Replace a file's content all at once, or not at all.

The new content goes to a temporary file in the same folder (same file system, so the rename is
atomic), is fsynced, gets the original's permission bits, and only then replaces the original
with ``os.replace``. A crash or kill at any point leaves either the old file or the new one,
never a mix; at worst a stray ``.NAME.*.codegpt-tmp`` file remains beside it.

Right before the replace the file is read again: if it no longer holds what we fixed (an editor
saved meanwhile), nothing is written and :class:`FileChanged` says so.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from pathlib import Path

# Test hook: seconds to sleep between writing the temporary file and replacing the original,
# so tests can kill the process or change the file inside that window. Never set in real use.
PAUSE_ENV = "CODEGPT_TEST_PAUSE_BEFORE_REPLACE_S"
TEMP_SUFFIX = ".codegpt-tmp"


class FileChanged(RuntimeError):
    """The file on disk differs from the content the fix was computed for."""


def atomic_replace(path: Path, data: bytes, expected: bytes | None = None) -> Path:
    """Write ``data`` to ``path`` atomically; returns the file actually written.

    A symlink is followed: its target gets the content and the link stays a link. When
    ``expected`` is given, the file must still hold exactly those bytes or nothing is written.
    """
    target = path.resolve(strict=True)
    mode = stat.S_IMODE(target.stat().st_mode)
    descriptor, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        pause = os.environ.get(PAUSE_ENV)
        if pause:
            time.sleep(float(pause))
        if expected is not None and target.read_bytes() != expected:
            raise FileChanged(f"{path} changed while it was being fixed; not written")
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(target.parent)
    return target


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder, which is fine."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

"""How every benchmark hands its result over: JSON on stdout, and the same in ``--out``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(result: dict[str, Any], out: Path | None) -> None:
    """Print ``result`` as indented JSON and write it to ``out`` (folders made) when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")

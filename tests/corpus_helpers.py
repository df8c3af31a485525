"""The corpus fixture built through the real CLI, and decoding of token shards, for the tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer

from codegpt.main import main
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.training.tokenizer import decode

DATA = Path(__file__).parent / "data" / "corpus"


def copy_fixture(target: Path) -> Path:
    """The fixture folder with its ``.py.txt`` files renamed to ``.py``.

    They are stored as ``.txt`` so that pytest does not collect them and ruff does not lint them
    (some are broken on purpose).
    """
    shutil.copytree(DATA / "src", target)
    for path in list(target.rglob("*.py.txt")):
        path.rename(path.with_suffix(""))
    return target


def build_fixture_corpus(root: Path, out_name: str = "out") -> tuple[Path, Path]:
    """The fixture corpus built through the CLI (tiny vocabulary, no downloads): (out, source)."""
    source = copy_fixture(root / "src")
    out = root / out_name
    argv = ["corpus", "--manifest", str(DATA / "manifest.toml"), "--local", str(source),
            "--out", str(out), "--cache", str(root / "cache"), "--vocab-size", "512",
            "--no-download", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    return out, source


def split_documents(ids: Iterable[int], tokenizer: Tokenizer) -> list[str]:
    """Token ids split at END_OF_TEXT, each piece decoded."""
    docs: list[str] = []
    current: list[int] = []
    for token in ids:
        if token == END_OF_TEXT_ID:
            docs.append(decode(tokenizer, current))
            current = []
        else:
            current.append(token)
    return docs

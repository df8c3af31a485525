"""Corruption generator and repair training pairs."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from codegpt.model.tokens import END_OF_TEXT, REPAIR_BROKEN, REPAIR_FIXED
from codegpt.server.repair.verify import compile_error
from codegpt.training.corrupt import KINDS, NotPython, _apply, corrupt, repair_window
from codegpt.training.repair_data import (
    RepairDataConfig,
    SourceDocument,
    documents_by_split,
    format_pair,
    formatted_examples,
    main,
    read_pairs,
)
from codegpt.training.splits import SplitConfig

DATA = Path(__file__).parent / "data" / "repair"
FILES = sorted(DATA.glob("*.py"))
SHAPES = (DATA / "shapes.py").read_text()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_really_breaks_the_code(kind: str) -> None:
    rng = random.Random(0)
    for path in FILES:
        corruption = corrupt(path.read_text(), kind, rng)
        assert corruption is not None, f"{kind} found no site in {path.name}"
        assert corruption.kinds == (kind,)
        assert compile_error(corruption.broken) is not None
        assert corruption.broken == _apply(corruption.original, corruption.edits)
        error = compile_error(corruption.broken)
        assert corruption.error_line == error.lineno


def test_realistic_kinds_look_like_their_names() -> None:
    rng = random.Random(3)
    colon = corrupt(SHAPES, "missing_colon", rng)
    (edit,) = colon.edits
    assert SHAPES[edit.start : edit.end] == ":" and edit.new_text == ""
    typo = corrupt(SHAPES, "misspelled_keyword", rng)
    (edit,) = typo.edits
    assert SHAPES[edit.start : edit.end] in {
        "def",
        "return",
        "if",
        "for",
        "class",
        "raise",
        "elif",
        "else",
        "import",
        "in",
        "is",
        "not",
    }
    assert edit.new_text != SHAPES[edit.start : edit.end]
    eq = corrupt(SHAPES, "assign_for_eq", rng)
    (edit,) = eq.edits
    assert SHAPES[edit.start : edit.end] == "==" and edit.new_text == "="


def test_corruption_is_deterministic_per_seed() -> None:
    first = corrupt(SHAPES, KINDS, random.Random(42), n_errors=2)
    second = corrupt(SHAPES, KINDS, random.Random(42), n_errors=2)
    assert first == second


@pytest.mark.parametrize("n_errors", [1, 2, 3])
def test_window_pairs_undo_exactly_the_edits_inside_them(n_errors: int) -> None:
    rng = random.Random(n_errors)
    for path, _ in itertools.product(FILES, range(10)):
        original = path.read_text()
        corruption = corrupt(original, KINDS, rng, n_errors=n_errors)
        assert corruption is not None
        broken_window, fixed_window = repair_window(corruption)
        assert broken_window in corruption.broken and fixed_window in original
        assert broken_window != fixed_window
        assert len(broken_window.splitlines()) <= 17 + 6 * n_errors
        start = corruption.broken.index(broken_window)
        rebuilt = (
            corruption.broken[:start]
            + fixed_window
            + corruption.broken[start + len(broken_window) :]
        )
        # the result is the original with only the edits outside the window still applied
        assert any(
            _apply(original, subset) == rebuilt
            for size in range(n_errors)
            for subset in itertools.combinations(corruption.edits, size)
        )


def test_invalid_input_and_unknown_kinds_are_refused() -> None:
    with pytest.raises(NotPython):
        corrupt("def f(:\n", "missing_colon", random.Random(0))
    with pytest.raises(ValueError, match="unknown corruption kind"):
        corrupt(SHAPES, "nonsense", random.Random(0))
    assert corrupt("x = 1\n", "missing_colon", random.Random(0)) is None


def test_pairs_are_formatted_as_the_repair_prompt() -> None:
    documents = [SourceDocument("shapes", "shapes.py", SHAPES)]
    examples = list(formatted_examples(documents, RepairDataConfig(pairs_per_document=5)))
    assert len(examples) == 5
    for example in examples:
        assert example.startswith(REPAIR_BROKEN) and example.endswith(END_OF_TEXT)
        broken, fixed = example[len(REPAIR_BROKEN) : -len(END_OF_TEXT)].split(REPAIR_FIXED)
        assert broken != fixed and fixed in SHAPES
    assert format_pair("a", "b") == f"{REPAIR_BROKEN}a{REPAIR_FIXED}b{END_OF_TEXT}"


def test_folder_input_is_held_out_by_package(tmp_path: Path) -> None:
    for package in ("alpha", "beta", "gamma", "delta", "epsilon"):
        for index, path in enumerate(FILES):
            target = tmp_path / package / f"m{index}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    by_split = documents_by_split(tmp_path, SplitConfig())
    assert by_split["val"] and by_split["test"] and by_split["train"]
    packages = {split: {doc.package for doc in docs} for split, docs in by_split.items()}
    assert not packages["train"] & packages["val"]
    assert not packages["train"] & packages["test"]
    assert not packages["val"] & packages["test"]


def test_main_writes_jsonl_per_split_from_a_corpus_folder(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for split in ("val", "test"):
        with (corpus / f"{split}.jsonl").open("w") as handle:
            for path in FILES:
                record = {"package": f"{split}-pkg", "path": path.name, "text": path.read_text()}
                handle.write(json.dumps(record) + "\n")
    out = tmp_path / "repair"
    assert main(["--input", str(corpus), "--out", str(out), "--pairs-per-document", "2"]) == 0
    val = list(read_pairs(out / "val.jsonl"))
    assert len(val) == 2 * len(FILES)
    assert all(text.startswith(REPAIR_BROKEN) for text in val)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["test"]["pairs"] == 2 * len(FILES)
    assert not (out / "train.jsonl").exists()
    assert main(["--input", str(tmp_path / "missing"), "--out", str(out)]) == 2


def test_worker_processes_give_the_same_pairs_in_the_same_order():
    from codegpt.training.repair_shards import pairs_with_progress

    documents = [SourceDocument("pkg", path.name, path.read_text()) for path in FILES]
    config = RepairDataConfig(pairs_per_document=3)
    alone = [pair.text for pair in pairs_with_progress(documents, config, "test")]
    pooled = [pair.text for pair in pairs_with_progress(documents, config, "test", jobs=2)]
    assert alone and pooled == alone

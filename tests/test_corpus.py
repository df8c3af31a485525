import json
from pathlib import Path

import pytest
from corpus_helpers import DATA, build_fixture_corpus, copy_fixture, split_documents

from codegpt.main import main
from codegpt.model.fim import recover_document
from codegpt.model.tokens import END_OF_TEXT_ID, FIM_PREFIX_ID
from codegpt.training.dedup import NearDupConfig, exact_dedup, near_dedup
from codegpt.training.documents import Document
from codegpt.training.filters import check_source
from codegpt.training.shards import read_shard
from codegpt.training.sources import ManifestError, load_manifest
from codegpt.training.splits import SplitConfig, assign_splits
from codegpt.training.tokenizer import load_tokenizer

GOOD_CODE = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture corpus built once through the real CLI, tiny vocabulary, no downloads."""
    out, source = build_fixture_corpus(tmp_path_factory.mktemp("corpus"))
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8")), source


def jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def documents_in(shard, tokenizer):
    """Split a shard at END_OF_TEXT and decode each document."""
    ids = read_shard(shard).tolist()
    assert ids[-1] == END_OF_TEXT_ID, "every document, the last too, ends with END_OF_TEXT"
    return split_documents(ids, tokenizer)


def test_filter_and_dedup_counts(built):
    _, manifest, _ = built
    counts = manifest["counts"]
    assert counts["files_seen"] == 16  # README.md is not Python
    filtered = {reason: n for reason, n in counts["filtered"].items() if n}
    assert filtered == {
        "binary": 1, "not_utf8": 1, "syntax": 1, "generated": 1, "long_lines": 1, "empty": 1,
    }  # fmt: skip
    assert counts["exact_duplicates"] == 1
    assert counts["near_duplicates"] == 1
    assert counts["after_filters"] == 10
    assert counts["documents"] == 8


def test_the_original_is_kept_and_the_copies_dropped(built):
    out, manifest, _ = built
    kept = {(p, info["files_kept"]) for p, info in manifest["packages"].items()}
    assert ("src/beta", 2) in kept  # stack.py and test_stack.py
    assert ("src/delta", 1) in kept  # graph.py; minified.py is filtered
    assert manifest["packages"]["src/gamma"]["files_kept"] == 1  # text.py; the copy is gone
    assert manifest["packages"]["src/epsilon"]["filtered"] == {"not_utf8": 1}


def test_splits_are_disjoint_by_package_and_non_empty(built):
    out, manifest, _ = built
    packages = {
        split: set(manifest["splits"][split]["packages"]) for split in ("train", "val", "test")
    }
    assert all(packages.values())
    assert not packages["train"] & packages["val"]
    assert not packages["train"] & packages["test"]
    assert not packages["val"] & packages["test"]
    for split in ("val", "test"):
        records = jsonl(out / f"{split}.jsonl")
        assert {r["package"] for r in records} == packages[split]
        for record in records:
            assert manifest["packages"][record["package"]]["split"] == split


def test_val_and_test_shards_decode_to_the_raw_documents(built):
    out, manifest, _ = built
    tokenizer = load_tokenizer(out / "tokenizer.json")
    assert tokenizer.get_vocab_size() <= 512
    for split in ("val", "test"):
        texts = [r["text"] for r in jsonl(out / f"{split}.jsonl")]
        assert documents_in(out / f"{split}.bin", tokenizer) == texts
        stats = manifest["splits"][split]
        assert stats["tokens"] == len(read_shard(out / f"{split}.bin"))
        assert stats["bytes"] == sum(len(t.encode("utf-8")) for t in texts)
        assert stats["documents"] == len(texts)


def test_train_shard_holds_every_train_document_once_some_as_fim(built):
    out, manifest, source = built
    tokenizer = load_tokenizer(out / "tokenizer.json")
    examples = documents_in(out / "train.bin", tokenizer)
    train_packages = set(manifest["splits"]["train"]["packages"])
    expected = sorted(
        p.read_text(encoding="utf-8")
        for p in source.rglob("*.py")
        if f"src/{p.parent.name}" in train_packages
        and p.name not in {"binary.py", "latin1.py", "broken.py", "minified.py", "thing_pb2.py",
                           "__init__.py", "stack_copy.py", "graph_fork.py"}
    )  # fmt: skip
    assert sorted(recover_document(e) for e in examples) == expected
    assert manifest["splits"]["train"]["documents"] == len(expected)
    ids = read_shard(out / "val_fim.bin")
    assert len(ids) > 0 and ids[-1] == END_OF_TEXT_ID
    assert (read_shard(out / "val.bin") != FIM_PREFIX_ID).all()


def test_manifest_records_sources_and_bytes_per_token(built):
    out, manifest, _ = built
    assert manifest["format"]["token_dtype"] == "<u2"
    assert manifest["format"]["end_of_text_id"] == END_OF_TEXT_ID
    assert manifest["config"]["vocab_size"] <= 512
    assert manifest["bytes_per_token_test"] > 1.0
    assert manifest["sources"]["stdlib"]["include"] is False
    assert set(manifest["durations_s"]) >= {"read_filter", "near_dedup", "tokenizer", "total"}


def test_rebuild_is_identical(built, tmp_path):
    out, _, _ = built
    again = tmp_path / "again"
    source = copy_fixture(tmp_path / "src")
    argv = ["corpus", "--manifest", str(DATA / "manifest.toml"), "--local", str(source),
            "--out", str(again), "--cache", str(tmp_path / "cache"), "--vocab-size", "512",
            "--no-download", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    for name in ("train.bin", "val.bin", "test.bin", "val_fim.bin", "tokenizer.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_missing_local_folder_is_a_usage_error(tmp_path, capsys):
    argv = ["corpus", "--manifest", str(DATA / "manifest.toml"), "--local", str(tmp_path / "nope"),
            "--out", str(tmp_path / "out"), "--no-download", "--quiet"]  # fmt: skip
    assert main(argv) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_manifest_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[pypi]]\nname = 'requests'\n", encoding="utf-8")
    assert main(["corpus", "--manifest", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "name and version" in capsys.readouterr().err


def test_shipped_manifest_parses_and_pins_versions():
    manifest = load_manifest(Path(__file__).parents[1] / "training" / "sources.toml")
    assert manifest.stdlib.include
    assert len(manifest.pypi) >= 25
    assert all(source.version[0].isdigit() for source in manifest.pypi)
    extra = load_manifest(Path(__file__).parents[1] / "training" / "sources_extra.toml")
    assert not extra.stdlib.include and all(source.sdist for source in extra.pypi)
    names = {source.name for source in manifest.pypi}
    assert not names & {source.name for source in extra.pypi}, "extend refuses known packages"
    tests = load_manifest(Path(__file__).parents[1] / "training" / "sources_stdlib_tests.toml")
    assert tests.stdlib.include and tests.stdlib.only == ("test",) and not tests.pypi
    assert "test" in manifest.stdlib.exclude, "the base build leaves Lib/test to the extension"


def test_unknown_manifest_section_is_rejected(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("[stdlb]\ninclude = true\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="unknown sections"):
        load_manifest(path)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"x" * 1_000_001, "too_large"),
        (b"x = 1\n\0", "binary"),
        (b"name = '\xe9'\n", "not_utf8"),
        (b"x = '<|endoftext|>'\n" + GOOD_CODE.encode(), "special_token"),
        (b"\n\n  \n", "empty"),
        (b"x = [" + b"1, " * 400 + b"]\n", "long_lines"),
        (b"# Code generated by protoc. DO NOT EDIT.\n" + GOOD_CODE.encode(), "generated"),
        (b"DATA = [\n" + b"    31, 46, 61, 76, 91, 106,\n" * 20 + b"]\n", "low_alpha"),
        (b"def f(:\n    pass\n", "syntax"),
        (b"x = " + b"[alpha,\n" * 300 + b"]\n" * 300, "syntax"),  # too deeply nested to parse
    ],
)
def test_filters_name_the_reason(data, reason):
    assert check_source(data) == (None, reason)


def test_filters_keep_and_normalise_good_code():
    text, reason = check_source(b"\xef\xbb\xbf" + GOOD_CODE.replace("\n", "\r\n").encode())
    assert (text, reason) == (GOOD_CODE, "")


def test_near_dedup_keeps_unrelated_files():
    docs = [
        Document("a", f"m{i}.py", f"def f{i}(x):\n    return x * {i} + {i * i}\n")
        for i in range(20)
    ]
    kept, removed = near_dedup(docs, NearDupConfig(), show_progress=False)
    assert removed == 0 and kept == docs


def test_dedup_prefers_the_original_over_a_vendored_copy():
    original = Document("requests", "requests/api.py", GOOD_CODE)
    vendored = Document("pip", "pip/_vendor/requests/api.py", GOOD_CODE)
    kept, removed = exact_dedup([vendored, original])
    assert kept == [original] and removed == 1


def test_split_assignment_is_stable_and_avoids_giants():
    sizes = {f"pkg{i}": 1000 for i in range(100)} | {"giant": 50_000}
    first = assign_splits(sizes, SplitConfig())
    assert first == assign_splits(dict(reversed(list(sizes.items()))), SplitConfig())
    assert first["giant"] == "train"
    for split in ("val", "test"):
        share = sum(sizes[p] for p, s in first.items() if s == split) / sum(sizes.values())
        assert 0.03 < share <= 0.05

"""`codegpt corpus --extend`: sources added to the train split of a built corpus."""

import json
from collections import Counter
from pathlib import Path

import pytest
from corpus_helpers import DATA, build_fixture_corpus, split_documents

from codegpt.main import main
from codegpt.model.fim import recover_document
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.training.shards import TOKEN_DTYPE, read_shard
from codegpt.training.sources import (
    PypiSource,
    StdlibSource,
    cached_archive,
    collect_stdlib,
    fetch,
    load_manifest,
)
from codegpt.training.tokenizer import load_tokenizer

HELD_OUT = ("tokenizer.json", "val.bin", "test.bin", "val_fim.bin", "val.jsonl", "test.jsonl")

CLAMP = '''"""Small numeric helpers."""


def clamp(value, low, high):
    """Return value limited to the closed range [low, high]."""
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(value, high))


def mean(values):
    """Return the arithmetic mean of a non-empty sequence."""
    return sum(values) / len(values)
'''

TEST_CLAMP = """from kappa.clamp import clamp, mean


def test_clamp_keeps_values_inside():
    assert clamp(5, 0, 10) == 5
    assert clamp(-1, 0, 10) == 0
    assert clamp(11, 0, 10) == 10


def test_mean_of_three_numbers():
    assert mean([1, 2, 3]) == 2
"""


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    """A base corpus and its extension by one new package that also copies two held-out files."""
    root = tmp_path_factory.mktemp("extend")
    base, _ = build_fixture_corpus(root, "base")
    more = root / "more"
    (more / "kappa").mkdir(parents=True)
    (more / "kappa" / "clamp.py").write_text(CLAMP, encoding="utf-8")
    (more / "kappa" / "test_clamp.py").write_text(TEST_CLAMP, encoding="utf-8")
    test_doc = jsonl(base / "test.jsonl")[0]["text"]
    val_doc = jsonl(base / "val.jsonl")[0]["text"]
    (more / "kappa" / "vendored.py").write_text(test_doc + "\n\n", encoding="utf-8")  # exact
    near = val_doc.replace("\n", "\n# vendored copy\n", 1)
    (more / "kappa" / "vendored_near.py").write_text(near, encoding="utf-8")
    out = root / "extended"
    argv = ["corpus", "--extend", str(base), "--manifest", str(DATA / "manifest.toml"),
            "--local", str(more), "--out", str(out), "--repeat", "3", "--no-download",
            "--cache", str(root / "cache"), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return base, out, manifest, root


def test_tokenizer_and_held_out_files_are_the_bases_byte_for_byte(extended):
    base, out, _, _ = extended
    for name in HELD_OUT:
        assert (out / name).read_bytes() == (base / name).read_bytes(), name


def test_train_shard_is_the_base_then_each_added_file_repeat_times(extended):
    base, out, manifest, _ = extended
    base_bytes = (base / "train.bin").read_bytes()
    combined = (out / "train.bin").read_bytes()
    assert combined.startswith(base_bytes)
    tail = read_shard(out / "train.bin")[len(base_bytes) // TOKEN_DTYPE.itemsize :].tolist()
    assert tail[-1] == END_OF_TEXT_ID
    examples = split_documents(tail, load_tokenizer(out / "tokenizer.json"))
    assert Counter(recover_document(e) for e in examples) == Counter({CLAMP: 3, TEST_CLAMP: 3})
    assert any(e != recover_document(e) for e in examples), "about half are FIM examples"
    assert manifest["splits"]["train"]["tokens"] == len(read_shard(out / "train.bin"))


def test_copies_of_held_out_files_are_dropped_and_counted(extended):
    _, _, manifest, _ = extended
    extension = manifest["extensions"][-1]
    assert extension["counts"]["held_out_copies"] == 2
    assert extension["counts"]["documents"] == 2
    assert extension["repeat"] == 3
    assert manifest["packages"]["more/kappa"]["split"] == "train"
    assert manifest["packages"]["more/kappa"]["files_kept"] == 2
    assert "more/kappa" in manifest["splits"]["train"]["packages"]
    for split in ("val", "test"):
        assert "more/kappa" not in manifest["splits"][split]["packages"]


def test_model_card_says_what_was_added(extended):
    from codegpt.training.model_card import render

    _, _, manifest, _ = extended
    card = render({"model": {}}, manifest, [], None, [], {})
    assert "codegpt corpus --extend" in card
    assert "2 documents of 1 packages, each in 3 FIM draws" in card
    assert "2 copies of validation or test files dropped" in card


def test_a_package_already_in_the_base_is_refused(extended, tmp_path, capsys):
    base, _, _, root = extended
    argv = ["corpus", "--extend", str(base), "--manifest", str(DATA / "manifest.toml"),
            "--local", str(root / "src"), "--out", str(tmp_path / "x"), "--no-download",
            "--quiet"]  # fmt: skip
    assert main(argv) == 2
    assert "already in the base corpus" in capsys.readouterr().err
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_a_pypi_source_named_like_a_base_package_is_refused_before_download(
    extended, tmp_path, capsys
):
    base, _, _, root = extended
    manifest = tmp_path / "m.toml"
    manifest.write_text('[[pypi]]\nname = "src/beta"\nversion = "1.0"\n', encoding="utf-8")
    argv = ["corpus", "--extend", str(base), "--manifest", str(manifest), "--out",
            str(tmp_path / "x"), "--cache", str(tmp_path / "cache"), "--quiet"]  # fmt: skip
    assert main(argv) == 2
    assert "already in the base corpus" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists(), "nothing was fetched"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "BASE"], "its own folder"),
        (["--out", "OUT", "--extend", "NOWHERE"], "not a finished corpus build"),
    ],
)
def test_bad_extension_arguments_are_usage_errors(extended, tmp_path, capsys, extra, message):
    base, _, _, root = extended
    argv = ["corpus", "--extend", str(base), "--manifest", str(DATA / "manifest.toml"),
            "--local", str(root / "more"), "--no-download", "--quiet"]  # fmt: skip
    names = {"BASE": str(base), "OUT": str(tmp_path / "o"), "NOWHERE": str(tmp_path / "none")}
    assert main(argv + [names.get(item, item) for item in extra]) == 2
    assert message in capsys.readouterr().err


def test_repeat_without_extend_is_a_usage_error(tmp_path, capsys):
    argv = ["corpus", "--manifest", str(DATA / "manifest.toml"), "--out", str(tmp_path / "o"),
            "--repeat", "2", "--no-download", "--quiet"]  # fmt: skip
    assert main(argv) == 2
    assert "--repeat needs --extend" in capsys.readouterr().err


def test_sdist_preference_in_the_manifest_and_the_cache(tmp_path):
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        '[[pypi]]\nname = "demo"\nversion = "1.0"\nsdist = true\n\n'
        '[[pypi]]\nname = "other"\nversion = "2.0"\n',
        encoding="utf-8",
    )
    demo, other = load_manifest(manifest).pypi
    assert demo.sdist and not other.sdist
    folder = tmp_path / "cache" / "demo-1.0"
    folder.mkdir(parents=True)
    wheel = folder / "demo-1.0-py3-none-any.whl"
    sdist = folder / "demo-1.0.tar.gz"
    wheel.write_bytes(b"")
    assert cached_archive(folder, prefer_sdist=True) == wheel  # the only one there
    sdist.write_bytes(b"")
    assert cached_archive(folder, prefer_sdist=True) == sdist
    assert cached_archive(folder) == wheel


def test_sdist_source_with_only_a_cached_wheel_uses_it_when_offline(tmp_path):
    import zipfile

    folder = tmp_path / "demo-1.0"
    folder.mkdir()
    with zipfile.ZipFile(folder / "demo-1.0-py3-none-any.whl", "w") as archive:
        archive.writestr("demo-1.0.dist-info/METADATA", "Name: demo\nLicense-Expression: MIT\n")
        archive.writestr("demo/__init__.py", "X = 1\n")
    result = fetch(PypiSource("demo", "1.0", sdist=True), tmp_path, allow_download=False)
    assert result.archive is not None and result.archive.name.endswith(".whl")
    assert result.license == "MIT"
    missing = fetch(PypiSource("nothing", "1.0", sdist=True), tmp_path, allow_download=False)
    assert missing.archive is None and "downloads are off" in missing.error


def test_stdlib_only_reads_the_named_entries_alone():
    source = StdlibSource(only=("json", "colorsys.py"), exclude=("json/tool.py",))
    files = list(collect_stdlib(source, max_bytes=1_000_000))
    assert {raw.package for raw in files} == {"stdlib/json", "stdlib/colorsys"}
    paths = {raw.path for raw in files}
    assert {"json/decoder.py", "json/__init__.py", "colorsys.py"} <= paths
    assert "json/tool.py" not in paths
    assert all(path.startswith("json/") or path == "colorsys.py" for path in paths)


def test_an_extension_from_the_standard_library_is_recorded(extended, tmp_path):
    from codegpt.training.model_card import render

    base, _, _, _ = extended
    manifest_file = tmp_path / "stdlib.toml"
    manifest_file.write_text('[stdlib]\ninclude = true\nonly = ["colorsys.py"]\n', "utf-8")
    out = tmp_path / "out"
    argv = ["corpus", "--extend", str(base), "--manifest", str(manifest_file), "--out",
            str(out), "--no-download", "--cache", str(tmp_path / "cache"), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    extension = manifest["extensions"][-1]
    assert extension["packages"] == ["stdlib/colorsys"]
    assert extension["stdlib"]["only"] == ["colorsys.py"]
    assert manifest["packages"]["stdlib/colorsys"]["split"] == "train"
    card = render({"model": {}}, manifest, [], None, [], {})
    assert "standard library, `colorsys.py` only): 1 documents of 1 packages" in card


def test_added_files_pass_the_filters_the_base_was_built_with(extended, tmp_path, capsys):
    base, _, _, root = extended
    strict = tmp_path / "strict"
    strict.mkdir()
    for name in ("manifest.json", *HELD_OUT, "train.bin"):
        (strict / name).write_bytes((base / name).read_bytes())
    manifest = json.loads((strict / "manifest.json").read_text(encoding="utf-8"))
    manifest["config"]["filters"]["max_line_chars"] = 20  # every kappa file has a longer line
    (strict / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    argv = ["corpus", "--extend", str(strict), "--manifest", str(DATA / "manifest.toml"),
            "--local", str(root / "more"), "--out", str(tmp_path / "o"), "--no-download",
            "--quiet"]  # fmt: skip
    assert main(argv) == 2
    assert "no added source file survived" in capsys.readouterr().err
    manifest["config"]["filters"]["max_line_chars_typo"] = 20
    (strict / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(argv) == 2
    assert "settings this version cannot read" in capsys.readouterr().err

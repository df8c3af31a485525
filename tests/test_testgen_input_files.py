"""A reader is tested on a file written as its body parses it: JSON keys, CSV columns, lines."""

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest
from testgen_helpers import generated_tests

from codegpt.server.testgen.analysis import analyze_source
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.input_files import (
    file_parameters,
    input_files,
    is_empty_input,
    with_input_files,
    written_input,
)
from codegpt.server.testgen.proposals import Proposal
from codegpt.server.testgen.usage_types import usage_type

DATA = Path(__file__).parent / "data" / "testgen"


def _function(source: str, name: str | None = None):
    functions = analyze_source(source).functions
    return next(f for f in functions if name is None or f.name == name)


def test_the_parameters_a_body_opens_are_file_parameters():
    source = (
        "def f(path, mode, other):\n"
        "    with open(path) as handle:\n"
        "        return handle.read(), mode, other\n"
        "def g(folder, name):\n"
        "    return (folder / name).read_text()\n"
        "def h(source: Path):\n"
        "    return source.read_text()\n"
        "def k(handle):\n"
        "    return json.load(handle)\n"
    )
    assert file_parameters(_function(source, "f")) == ["path"]
    assert file_parameters(_function(source, "g")) == []  # a joined path is not a parameter
    assert file_parameters(_function(source, "h")) == ["source"]
    assert file_parameters(_function(source, "k")) == []  # an open file, not a path


def test_a_parameter_passed_to_open_is_text_not_a_descriptor():
    assert usage_type("path", "def f(path):\n    return open(path).read()\n") == "str"
    assert usage_type("p", "def f(p):\n    return pathlib.Path(p).name\n") == "str"


def test_json_files_hold_the_keys_looked_up_with_values_unlike_the_defaults():
    source = (
        "def load_service(path):\n"
        "    with open(path) as handle:\n"
        "        data = json.load(handle)\n"
        "    data.setdefault('debug', False)\n"
        "    return data['name'], int(data['port']), data.get('workers', 4)\n"
    )
    full, empty = input_files(_function(source))
    assert full.name == "service.json" and empty.name == "service.json"
    assert json.loads(full.text) == {"debug": True, "name": "abc", "port": 3, "workers": 6}
    assert json.loads(empty.text) == {}


def test_a_json_list_of_records_leaves_the_defaults_out_of_its_second():
    source = (
        "def load_tasks(path):\n"
        "    tasks = json.loads(Path(path).read_text())\n"
        "    return [t['title'] for t in tasks if not t.get('done', False)]\n"
    )
    full, empty = input_files(_function(source))
    assert full.name == "tasks.json"
    assert json.loads(full.text) == [{"title": "abc", "done": True}, {"title": "xyz"}]
    assert json.loads(empty.text) == []


def test_csv_files_have_the_columns_read_and_numbers_where_converted():
    source = (
        "def read_prices(path):\n"
        "    with open(path, newline='') as handle:\n"
        "        return {r['name']: float(r['price']) for r in csv.DictReader(handle)}\n"
    )
    full, empty = input_files(_function(source))
    rows = list(csv.DictReader(io.StringIO(full.text)))
    assert rows == [{"name": "abc", "price": "2.5"}, {"name": "xyz", "price": "10.0"}]
    assert empty.text == "name,price\n" and is_empty_input(empty.name, empty.text)
    positional = (
        "def read_scores(path):\n"
        "    rows = csv.reader(open(path), delimiter=';')\n"
        "    next(rows)\n"
        "    return [(row[0], int(row[2])) for row in rows]\n"
    )
    full, _ = input_files(_function(positional))
    header, *rows = list(csv.reader(io.StringIO(full.text), delimiter=";"))
    assert len(header) == 3 and all(len(row) == 3 for row in rows)
    assert [int(row[2]) for row in rows] == [3, 10]


def test_toml_files_are_valid_toml():
    source = (
        "def read_config(path):\n"
        "    with open(path, 'rb') as handle:\n"
        "        config = tomllib.load(handle)\n"
        "    return config['name'], config.get('retries', 2), config.get('verbose', False)\n"
    )
    full, _ = input_files(_function(source))
    assert tomllib.loads(full.text) == {"name": "abc", "retries": 4, "verbose": True}


def test_text_lines_are_split_as_the_body_splits_them_with_a_comment_and_a_blank():
    source = (
        "def read_hosts(path):\n"
        "    for line in open(path):\n"
        "        line = line.strip()\n"
        "        if not line or line.startswith('#'):\n"
        "            continue\n"
        "        name, _, address = line.partition('=')\n"
    )
    full, empty = input_files(_function(source))
    assert full.text == "abc=2.5\n# note\n\nxyz=3\n" and empty.text == ""


def test_each_reader_call_is_made_again_with_its_file_written_first():
    source = "def read(path: Path, limit: int = 3):\n    return path.read_text()[:limit]\n"
    target = _function(source)
    missing = [Proposal(("pathlib.Path('notes')", "2"), imports=("pathlib",))]
    made = with_input_files(target, missing)
    assert len(made) == 2 and {p.origin for p in made} == {"input file"}
    for proposal in made:
        assert proposal.args == ("pathlib.Path('input.txt')", "2")
        assert written_input(proposal.prepare[-1])[0] == "input.txt"
        assert "pathlib" in proposal.imports
    assert with_input_files(target, []) == []


@pytest.fixture(scope="module")
def readers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readers")
    (folder / "readers.py").write_text((DATA / "readers.py").read_text())
    return generate_tests(folder / "readers.py", None, TestGenOptions())


def test_every_reader_gets_a_verified_test_on_a_file_it_parses(readers):
    tests = generated_tests(readers.text)
    for report in readers.functions:
        # Before, each met only missing files: one FileNotFoundError test, a line or two.
        assert report.coverage is not None and report.coverage.lines == 1.0, report
        name = report.qualname
        reading = [b for n, b in tests.items() if n.startswith(f"test_{name}_")]
        reading = [b for b in reading if "write_text" in b]
        assert any("== {}" not in b and "== []" not in b for b in reading), (name, reading)
    assert "assert read_hosts('hosts.txt') == {'abc': '2.5', 'xyz': '3'}" in readers.text
    assert "assert load_tasks('tasks.json') == ['xyz']" in readers.text


def test_no_reader_is_given_a_file_descriptor(readers):
    # read_hosts(0) read stdin; read_hosts(1) closed pytest's stdout, and no test survived.
    for body in generated_tests(readers.text).values():
        call = body.strip().splitlines()[-1]
        assert not any(f"({n})" in call for n in ("0", "1", "2", "-1", "10")), body


def test_tests_on_empty_files_say_so(readers):
    names = generated_tests(readers.text)
    assert "test_read_prices_of_empty_prices_csv_returns_empty_dict" in names
    assert "test_load_settings_of_empty_settings_json_returns_2_item_dict" in names

"""Functions typed with the module's own classes get instances of them, not ints.

A generated test that pins the interpreter's answer to a wrong-typed argument (``'int' object
has no attribute 'x'``) tests nothing the author wrote; one that pins a ``raise`` does.
"""

import ast
import shutil
from pathlib import Path

import pytest

from codegpt.server.testgen.analysis import analyze_file
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.proposals import (
    module_constructors,
    parameter_candidates,
    values_for_annotation,
)

DATA = Path(__file__).parent / "data" / "testgen"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copy(DATA / "geometry.py", root / "geometry.py")
    return generate_tests(root / "geometry.py", None, TestGenOptions())


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copy(DATA / "inventory.py", root / "inventory.py")
    return generate_tests(root / "inventory.py", None, TestGenOptions())


def function_tests(text: str, function: str) -> dict[str, str]:
    """Test name -> its source, for the tests of one function."""
    tree = ast.parse(text)
    return {
        node.name: ast.get_source_segment(text, node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith(f"test_{function}")
    }


def test_lists_of_a_module_class_hold_instances():
    analysis = analyze_file(DATA / "geometry.py")
    constructors = module_constructors(analysis.classes)
    target = analysis.find("centroid")
    candidates = parameter_candidates(target.parameters[0], target, constructors)
    assert "[]" in candidates
    non_empty = [c for c in candidates if c != "[]"]
    assert non_empty and all(c.startswith("[Point(") for c in non_empty), candidates


def test_classes_resolve_inside_unions_and_forward_references():
    classes = {"Point": ["Point(1, 2)", "Point(0, 0)"]}
    optional = values_for_annotation(ast.parse("Point | None", mode="eval").body, classes=classes)
    assert optional == ["Point(1, 2)", "Point(0, 0)", "None"]
    quoted = values_for_annotation(ast.parse("list['Point']", mode="eval").body, classes=classes)
    assert "[Point(1, 2)]" in quoted


def test_constructors_build_the_module_classes_they_take():
    constructors = module_constructors(analyze_file(DATA / "geometry.py").classes)
    segments = constructors["Segment"]
    assert all(s.startswith("Segment(Point(") for s in segments), segments
    # The first receiver's two points differ: a segment of length 0 shows little.
    first = ast.parse(segments[0], mode="eval").body
    assert ast.unparse(first.args[0]) != ast.unparse(first.args[1])


def test_generated_tests_call_with_instances_and_pin_results(generated):
    centroid = function_tests(generated.text, "centroid")
    assert any("centroid([Point(" in t and "== Point(x=" in t for t in centroid.values())
    assert "test_centroid_of_one_point_returns_point" in centroid
    lengths = function_tests(generated.text, "segment_length")
    assert any("approx(0.0)" not in t for t in lengths.values()), lengths
    longest = function_tests(generated.text, "longest")
    # A segment holding points is written down whole, Point imported from the module.
    assert any("== Segment(start=Point(" in t for t in longest.values()), longest
    assert "from geometry import" in generated.text and " Point" in generated.text


def test_wrong_type_errors_from_the_interpreter_are_not_pinned(generated):
    for function in ("centroid", "point_distance", "segment_length", "longest"):
        for name, text in function_tests(generated.text, function).items():
            assert "raises(AttributeError" not in text and "raises(TypeError" not in text, name


def test_errors_raised_on_purpose_are_pinned(generated):
    scale = function_tests(generated.text, "scale")
    assert any("raises(TypeError, match='factor must be a number')" in t for t in scale.values())
    centroid = function_tests(generated.text, "centroid")
    assert any("raises(ValueError, match='no points')" in t for t in centroid.values())
    assert all(report.coverage.lines == 1.0 for report in generated.functions)


def test_enum_members_are_the_values_of_an_enum_parameter():
    analysis = analyze_file(DATA / "inventory.py")
    assert analysis.enums == {"Category": ("FOOD", "TOOL")}
    constructors = module_constructors(analysis.classes, analysis.enums)
    assert constructors["Category"] == ["Category.FOOD", "Category.TOOL"]
    # Item's optional category gets the member that is not its default, never an int.
    assert any("Category.FOOD" in call for call in constructors["Item"])
    assert not any(call.endswith(", 0)") for call in constructors["Item"])


def test_classes_used_only_in_arguments_are_imported(tmp_path):
    shutil.copy(DATA / "inventory.py", tmp_path / "inventory.py")
    only_add = generate_tests(tmp_path / "inventory.py", "Inventory.add", TestGenOptions())
    add = function_tests(only_add.text, "inventory_add")
    # Item appears only inside the call (add returns None): without its import the test
    # failed under pytest and was dropped.
    assert add and any("instance.add(Item(" in t for t in add.values())
    (line,) = [x for x in only_add.text.splitlines() if x.startswith("from inventory import")]
    assert "Item" in line.split("import", 1)[1].split("#")[0].replace(",", " ").split()


def test_dataclass_results_with_enum_fields_are_written_whole(inventory):
    cheapest = function_tests(inventory.text, "inventory_cheapest")
    assert any("== Item(name=" in t and "category=Category." in t for t in cheapest.values())


STDLIB_TYPED = """\
from datetime import date, timedelta
from pathlib import Path


def next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def stem(path: Path) -> str:
    return path.name.split(".")[0]
"""


def test_standard_library_types_get_their_values_and_imports(tmp_path):
    (tmp_path / "calendar_tools.py").write_text(STDLIB_TYPED)
    result = generate_tests(tmp_path / "calendar_tools.py", None, TestGenOptions())
    weekday = function_tests(result.text, "next_weekday")
    # A Friday and a Saturday: the loop runs, every line and branch is covered, no TypeError.
    assert any("next_weekday(datetime.date(2024, 1, 6)) ==" in t for t in weekday.values())
    assert not any("raises(" in t for t in weekday.values())
    assert any("stem(pathlib.Path(" in t for t in function_tests(result.text, "stem").values())
    assert "import datetime\n" in result.text and "import pathlib\n" in result.text
    assert all(report.coverage.lines == 1.0 for report in result.functions)


def test_names_the_test_imports_itself_are_not_taken_from_the_module(tmp_path):
    # The call is `asyncio.run(double(3))`: asyncio is the test's own import, and the module
    # under test does not import it, so `from coroutines import asyncio` would fail.
    (tmp_path / "coroutines.py").write_text("async def double(x: int) -> int:\n    return 2 * x\n")
    result = generate_tests(tmp_path / "coroutines.py", None, TestGenOptions())
    assert result.functions[0].tests_kept >= 1
    assert "import asyncio\n" in result.text and "asyncio.run(double(" in result.text
    assert "from coroutines import double  #" in result.text

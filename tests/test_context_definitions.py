import os

from context_helpers import DATA, offset_of, read, split_cursor

from codegpt.server.context import ContextBudget, extract_context, extract_context_at_offset
from codegpt.server.context_definitions import DefinitionQuery
from codegpt.server.context_text import SourceText
from codegpt.server.context_window import WindowBudget
from codegpt.server.workspace_index import WorkspaceIndex, document_path

APP = read("app.py")
SHAPES = read("pkg/shapes.py")
DECODER = read("json_decoder.py")
APP_PATH = str(DATA / "app.py")
SHAPES_PATH = str(DATA / "pkg" / "shapes.py")
TINY = ContextBudget(window=WindowBudget(prefix=40, suffix=10))


def context(text, cursor, **kwargs):
    return extract_context_at_offset(text, cursor, **kwargs)


def by_name(definitions):
    return {d.qualified_name: d for d in definitions}


def test_same_file_definitions_outside_the_window():
    budget = ContextBudget(window=WindowBudget(prefix=300, suffix=100))
    cursor = offset_of(DECODER, "obj, end = self.raw_decode(s, idx=_w(s, 0).end())")
    found = by_name(context(DECODER, cursor, budget=budget).definitions)
    raw = found["JSONDecoder.raw_decode"]
    assert raw.kind == "method"
    assert raw.signature == "def raw_decode(self, s, idx=0):"
    assert raw.docstring.startswith("Decode a JSON document from ``s``")
    assert raw.origin == "current" and raw.path is None
    assert DECODER.splitlines()[raw.line].lstrip().startswith("def raw_decode")
    assert "JSONDecodeError" in found  # used on the line below the cursor


def test_definitions_already_in_the_window_are_left_out():
    cursor = offset_of(DECODER, "obj, end = self.raw_decode(s, idx=_w(s, 0).end())")
    found = by_name(context(DECODER, cursor).definitions)  # the default window holds the class
    assert "JSONDecoder.raw_decode" not in found


def test_workspace_imports_absolute_aliased_and_reexported():
    cursor = offset_of(APP, "    return ring")
    found = by_name(context(APP, cursor, document=APP_PATH, workspace_root=DATA).definitions)
    circle = found["Circle"]  # ``from pkg import Circle``: re-exported by pkg/__init__.py
    assert circle.origin == "workspace" and circle.path == SHAPES_PATH
    assert circle.signature == "class Circle(Shape):"
    assert circle.docstring == "A circle of some radius."
    clamp = found["clamp"]  # ``from pkg import clamp_value`` is ``clamp as clamp_value``
    assert clamp.path.endswith(os.path.join("pkg", "util", "helpers.py"))
    assert clamp.signature == "def clamp(value: float, low: float, high: float) -> float:"
    assert "ONE" in found  # ``pkg.util.helpers.ONE`` through ``import pkg.util.helpers``
    assert found["ONE"].kind == "variable"


def test_relative_imports_resolve_in_package():
    cursor = offset_of(SHAPES, "return Circle(util.helpers.ONE)")
    found = by_name(context(SHAPES, cursor, document=SHAPES_PATH, workspace_root=DATA).definitions)
    assert found["ONE"].path.endswith("helpers.py")  # ``from . import util`` then util.helpers
    cursor = offset_of(SHAPES, "self.radius = clamp(radius, 0.0, 1e6)")
    found = by_name(context(SHAPES, cursor, document=SHAPES_PATH, workspace_root=DATA).definitions)
    assert found["clamp"].docstring == "Limit ``value`` to the closed interval [low, high]."


def test_module_alias_attribute():
    cursor = offset_of(APP, "limit = h.clamp(")
    found = by_name(context(APP, cursor, document=APP_PATH, workspace_root=DATA).definitions)
    assert found["clamp"].path.endswith("helpers.py")


def test_open_document_overrides_disk_and_is_searched():
    edited = SHAPES.replace("class Circle(Shape):", "class Circle(Shape, Sized):")
    cursor = offset_of(APP, "    return ring")
    found = by_name(
        context(
            APP,
            cursor,
            document=APP_PATH,
            workspace_root=DATA,
            open_documents={SHAPES_PATH: edited},
        ).definitions
    )
    assert found["Circle"].signature == "class Circle(Shape, Sized):"
    assert found["Circle"].origin == "open_document"


def test_open_documents_without_workspace_by_uri():
    helper_uri = "file:///tmp/project/tools.py"
    text, cursor = split_cursor("from tools import slugify\n\nx = slugify(name)‸\n")
    tools = 'def slugify(text: str) -> str:\n    """Make a URL slug."""\n    return text\n'
    found = by_name(
        context(
            text,
            cursor,
            document="file:///tmp/project/main.py",
            open_documents={helper_uri: tools},
        ).definitions
    )
    assert found["slugify"].path == helper_uri
    assert found["slugify"].docstring == "Make a URL slug."


def test_name_found_in_unrelated_open_document():
    text, cursor = split_cursor("result = render_page(request)‸\n")
    other = "def render_page(request):\n    return request\n"
    found = by_name(context(text, cursor, open_documents={"/tmp/views.py": other}).definitions)
    assert found["render_page"].origin == "open_document"


def test_ranking_receiver_chain_first_and_limit():
    text, cursor = split_cursor(
        "def far():\n    pass\n\n"
        "def near():\n    pass\n\n"
        "class Box:\n    size: int = 3\n\n"
        + "\n" * 400
        + "far()\n"
        + "\n" * 10
        + "near()\nbox = Box()\nbox.size.‸"
    )
    budget = ContextBudget(
        window=WindowBudget(prefix=50, suffix=10),
        definitions=DefinitionQuery(limit=2, lines_before=30),
    )
    definitions = context(text, cursor, budget=budget).definitions
    assert [d.qualified_name for d in definitions] == ["Box.size", "Box"]
    budget = ContextBudget(
        window=WindowBudget(prefix=50, suffix=10),
        definitions=DefinitionQuery(limit=4, lines_before=30),
    )
    definitions = context(text, cursor, budget=budget).definitions
    assert [d.qualified_name for d in definitions] == ["Box.size", "Box", "near", "far"]


def test_annotated_and_plain_assignments():
    text = "LIMIT: int = 10\nNAME = 'x'\n" + "\n" * 300 + "print(LIMIT, NAME)\n"
    found = by_name(context(text, len(text), budget=TINY).definitions)
    assert found["LIMIT"].annotation == "int" and found["LIMIT"].signature == "LIMIT: int = 10"
    assert found["NAME"].annotation is None


def test_huge_and_non_utf8_files_are_skipped(tmp_path):
    (tmp_path / "big.py").write_text("def big():\n    pass\n" + "#" * 1_100_000, encoding="utf-8")
    (tmp_path / "latin.py").write_bytes(b"def latin():\n    return '\xe9'\n")
    (tmp_path / "good.py").write_text("def good():\n    pass\n", encoding="utf-8")
    text = "from big import big\nfrom latin import latin\nfrom good import good\n"
    text += "big(); latin(); good()\n"
    names = [d.name for d in context(text, len(text), workspace_root=tmp_path).definitions]
    assert names == ["good"]


def test_workspace_cache_sees_file_changes(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("def f():\n    pass\n", encoding="utf-8")
    index = WorkspaceIndex(tmp_path)
    first = index.table(module)
    assert index.table(module) is first
    module.write_text("def f(changed):\n    pass\n\n", encoding="utf-8")
    second = index.table(module)
    assert second is not first
    assert second.definition(second.lookup("f")[0]).signature == "def f(changed):"


def test_workspace_resolution_stays_inside_root(tmp_path):
    index = WorkspaceIndex(tmp_path)
    assert index.resolve("os") is None
    assert index.resolve("x", level=3, importer=tmp_path / "a.py") is None


def test_document_path_from_uri():
    assert document_path("file:///tmp/a%20b/c.py") == document_path("/tmp/a b/c.py")
    assert document_path("untitled:Untitled-1") is None


def test_utf16_definition_column():
    text = "x = 'é😀'; LIMIT = 1\n" + "\n" * 100 + "LIMIT\n"
    found = by_name(extract_context(text, 102, 0, budget=TINY).definitions)
    assert found["LIMIT"].line == 0
    assert found["LIMIT"].character == SourceText(text).position_at(text.index("LIMIT"))[1]

import pytest
from context_helpers import offset_of, read, split_cursor

from codegpt.server.context_scopes import enclosing_scopes
from codegpt.server.parsing import parse

TEXTWRAP = read("textwrap_copy.py")
DECODER = read("json_decoder.py")
HELPERS = read("pkg/util/helpers.py")
SHAPES = read("pkg/shapes.py")


def scopes_at(text: str, cursor: int):
    return enclosing_scopes(text, parse(text), cursor)


def test_method_in_class_outermost_first_with_docstrings():
    cursor = offset_of(DECODER, "obj, end = self.raw_decode(s, idx=_w(s, 0).end())")
    scopes = scopes_at(DECODER, cursor)
    assert [(s.kind, s.name) for s in scopes] == [("class", "JSONDecoder"), ("method", "decode")]
    assert scopes[0].signature == "class JSONDecoder(object):"
    assert scopes[0].docstring.startswith("Simple JSON <https://json.org> decoder")
    assert scopes[1].signature == "def decode(self, s, _w=WHITESPACE.match):"
    assert scopes[1].docstring.startswith("Return the Python representation of ``s``")
    assert DECODER[scopes[1].start :].startswith("def decode(")


def test_multi_line_signature_kept_as_written():
    cursor = offset_of(DECODER, "chunks = []")
    (scope,) = scopes_at(DECODER, cursor)
    assert scope.name == "py_scanstring" and scope.kind == "function"
    assert scope.signature == (
        "def py_scanstring(s, end, strict=True,\n        _b=BACKSLASH, _m=STRINGCHUNK.match):"
    )


def test_nested_function_in_function():
    cursor = offset_of(TEXTWRAP, "yield (prefix + line if predicate(line) else line)")
    scopes = scopes_at(TEXTWRAP, cursor)
    assert [s.name for s in scopes] == ["indent", "prefixed_lines"]
    assert [s.kind for s in scopes] == ["function", "function"]
    assert scopes[1].docstring is None


def test_decorated_async_function_with_keyword_only_parameters():
    cursor = offset_of(HELPERS, "return default")
    (scope,) = scopes_at(HELPERS, cursor)
    assert scope.is_async
    assert scope.signature.startswith("async def fetch_limit(\n    name: str,")
    assert scope.signature.endswith(") -> float:")
    assert scope.docstring == "Look a limit up (asynchronously, as a real service would)."


def test_property_decorator_reported():
    cursor = offset_of(SHAPES, "return 2 * self.radius")
    scopes = scopes_at(SHAPES, cursor)
    assert [s.name for s in scopes] == ["Circle", "diameter"]
    assert scopes[1].decorators == ("@property",)
    assert SHAPES[scopes[1].start :].startswith("@property")


def test_nested_classes():
    text, cursor = split_cursor(
        "class Outer:\n    class Inner:\n        def method(self):\n            return 1‸\n"
    )
    assert [(s.kind, s.name) for s in scopes_at(text, cursor)] == [
        ("class", "Outer"),
        ("class", "Inner"),
        ("method", "method"),
    ]


@pytest.mark.parametrize(
    ("marked", "names"),
    [
        # Indented blank line after the last statement: still inside by indentation.
        ("def f(x):\n    y = x\n    ‸\n", ["f"]),
        # Same line at column 0: back at module level.
        ("def f(x):\n    y = x\n‸\n", []),
        # Dedented to the class level after a method.
        ("class A:\n    def f(self):\n        pass\n    ‸\n", ["A"]),
        # Empty body being typed.
        ("class A:\n    def f(self):\n        ‸", ["A", "f"]),
        # Cursor in the header is not in the body yet.
        ("def f(a, b‸):\n    pass\n", []),
        # Inside a docstring whose continuation line is at column 0.
        ('def f():\n    """Doc\nmore‸\n    """\n', ["f"]),
        # Broken code inside the body.
        ("def f(x):\n    y = g(x,\n    ‸", ["f"]),
    ],
)
def test_scopes_by_indentation_and_broken_code(marked, names):
    text, cursor = split_cursor(marked)
    assert [s.name for s in scopes_at(text, cursor)] == names


def test_module_level_and_empty_document():
    assert scopes_at("", 0) == ()
    cursor = offset_of(TEXTWRAP, "_whitespace = ")
    assert scopes_at(TEXTWRAP, cursor) == ()

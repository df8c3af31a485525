from context_helpers import read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegpt.server.context import ContextBudget, extract_context, extract_context_at_offset
from codegpt.server.context_text import SourceText
from codegpt.server.context_window import WindowBudget, cut_window
from codegpt.server.parsing import parse

SNIPPETS = [
    "def f(x):\n    ",
    'class A:\n    def g(self, a,\n          b) -> int:\n        """Doc."""\n',
    "x = obj.attr.",
    "s = '''unclosed\n",
    "y = 'abc\n",
    "import a.b as c\nfrom ..x import (y,\n",
    "# comment é😀\n",
    "\r\n",
    "\r",
    '    return f"{a.b}"\n',
    "@decorator\nasync def h():\n    pass\n",
    "if x:\n\telse:\n",
    "\x00\ufeff",
]
python_like = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=20)), max_size=12).map(
    "".join
)
quick = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(text=python_like, line=st.integers(-2, 40), character=st.integers(-2, 80))
def test_extract_never_raises_and_without_cuts_covers_the_text(text, line, character):
    budget = ContextBudget(window=WindowBudget(prefix=10**9, suffix=10**9))
    context = extract_context(text, line, character, budget=budget)
    window = context.window
    assert window.prefix + window.suffix == text
    assert window.prefix_start == 0 and window.suffix_end == len(text)
    assert 0 <= context.offset <= len(text)
    assert SourceText(text).offset_at(context.line, context.character) == context.offset


@quick
@given(
    text=python_like,
    offset=st.integers(-5, 400),
    prefix=st.integers(0, 60),
    suffix=st.integers(0, 60),
    anchor=st.booleans(),
)
def test_budgets_respected_and_cuts_at_the_right_places(text, offset, prefix, suffix, anchor):
    budget = ContextBudget(
        window=WindowBudget(prefix=prefix, suffix=suffix, anchor_to_definition=anchor)
    )
    context = extract_context_at_offset(text, offset, budget=budget)
    window = context.window
    cursor = context.offset
    assert text[window.prefix_start : cursor] == window.prefix
    assert text[cursor : window.suffix_end] == window.suffix
    source = SourceText(text)
    line = source.line_of(cursor)
    # The cursor's line is never cut; beyond it, lines are whole and the budget holds.
    assert window.prefix_start <= source.line_start(line)
    assert window.suffix_end >= source.line_end(line, with_break=True)
    assert window.prefix_start in source.line_starts
    assert window.suffix_end in source.line_starts or window.suffix_end == len(text)
    if window.prefix_start < source.line_start(line):
        assert len(window.prefix) <= prefix
    if window.suffix_end > source.line_end(line, with_break=True):
        assert len(window.suffix) <= suffix


@quick
@given(text=python_like, offset=st.integers(0, 400), budget=st.integers(0, 40))
def test_token_budget_respected(text, offset, budget):
    # Windows are costed line by line, so the property holds for counters whose joined count
    # never exceeds the sum of the lines' counts, as with our BPE (see ``span_cost``).
    def count(piece: str) -> int:
        return len(piece.split()) + piece.count("\n")

    offset = min(offset, len(text))
    sizes = WindowBudget(prefix=budget, suffix=budget)
    window = cut_window(text, offset, sizes, count_tokens=count)
    source = SourceText(text)
    line = source.line_of(offset)
    if window.prefix_start < source.line_start(line):
        assert count(window.prefix) <= budget
    if window.suffix_end > source.line_end(line, with_break=True):
        assert count(window.suffix) <= budget


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(0, 20000))
def test_real_file_any_offset_with_shared_tree(offset):
    text = read("textwrap_copy.py")
    context = extract_context_at_offset(text, offset, tree=TEXTWRAP_TREE)
    assert (
        context.window.prefix + context.window.suffix
        == text[context.window.prefix_start : context.window.suffix_end]
    )
    for scope in context.scopes:
        assert scope.start <= context.offset


TEXTWRAP_TREE = parse(read("textwrap_copy.py"))


def _all_nodes(tree) -> list:
    found, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


@quick
@given(
    text=python_like,
    start=st.integers(0, 300),
    length=st.integers(0, 300),
    head=st.integers(0, 300),
    pick=st.integers(0, 10**6),
)
def test_region_children_are_the_held_children_found_without_visiting_the_rest(
    text, start, length, head, pick
):
    from codegpt.server.context_focus import ByteRegion

    tree = parse(text)
    parents = [tree.root_node, *(node for node in _all_nodes(tree) if node.child_count)]
    region = ByteRegion(start, start + length, head)
    for parent in (tree.root_node, parents[pick % len(parents)]):
        for named in (True, False):
            children = parent.named_children if named else parent.children
            expected = [node.id for node in children if region.holds(node)]
            assert [node.id for node in region.children(parent, named=named)] == expected


@quick
@given(text=python_like)
def test_tree_rows_and_node_lines_agree_with_a_scan(text):
    source = SourceText(text)
    for offset in range(0, len(text) + 1, max(1, len(text) // 25)):
        assert source.tree_row(offset) == text.count("\n", 0, offset)
    for node in _all_nodes(parse(text))[:60]:
        expected = source.line_of(source.str_offset(node.start_byte))
        assert source.line_of_byte(node.start_byte, node.start_point.row) == expected


@quick
@given(text=python_like, offset=st.integers(0, 400))
def test_orphan_triple_quotes_are_the_ones_a_query_over_the_prefix_finds(text, offset):
    from tree_sitter import Query, QueryCursor

    from codegpt.server.context_position import _orphan_string_starts
    from codegpt.server.parsing import python_language

    tree = parse(text)
    byte = min(offset, len(text.encode("utf-8", "surrogatepass")))
    cursor = QueryCursor(Query(python_language(), "(ERROR (string_start) @start)"))
    cursor.set_byte_range(0, byte)
    expected = {
        n.id for n in cursor.captures(tree.root_node).get("start", []) if n.end_byte <= byte
    }
    assert {node.id for node in _orphan_string_starts(tree.root_node, byte)} == expected

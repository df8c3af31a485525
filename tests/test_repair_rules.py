"""Repair rules beyond the single-edit search: each golden case is code a person breaks this way.

Every case is a real-looking snippet, the broken text the fixer gets and the exact text it must
give back (no model: the edit search with its prior costs and plausibility checks decides).
"""

from __future__ import annotations

import pytest

from codegpt.server.repair.fixer import Fixer
from codegpt.server.repair.plausibility import oddities
from codegpt.server.repair.verify import check

# name -> (broken, exact expected repair)
GOLDEN = {
    # A hanging bracket whose closing line was lost: closed on its own line, where it was.
    "closer_on_its_own_line": (
        "class Config:\n"
        "    def load(self):\n"
        "        self.items = dict(\n"
        "            alpha=1,\n"
        "            beta=2,\n"
        "        \n"
        "        self.ready = True\n"
        "        return self.items\n"
        "\n"
        "    def names(self):\n"
        "        return sorted(\n"
        "            self.items\n"
        "        )\n",
        "class Config:\n"
        "    def load(self):\n"
        "        self.items = dict(\n"
        "            alpha=1,\n"
        "            beta=2,\n"
        "        )\n"
        "        self.ready = True\n"
        "        return self.items\n"
        "\n"
        "    def names(self):\n"
        "        return sorted(\n"
        "            self.items\n"
        "        )\n",
    ),
    # ')' does not match '[': the list display ends right before the call's closer.
    "closer_before_mismatched_closer": (
        'raw = "".join([str(v) for v in values)\n',
        'raw = "".join([str(v) for v in values])\n',
    ),
    # Both places parse; a string literal is no context manager.
    "closer_before_with_as": (
        "def load(path):\n    with open(path, 'rb' as handle:\n        return handle.read()\n",
        "def load(path):\n    with open(path, 'rb') as handle:\n        return handle.read()\n",
    ),
    # 'arch' or 'any' is a constant; the subscript ends after 'arch'.
    "closer_before_constant_or": (
        "def arch(info):\n    return info['arch' or 'any'\n",
        "def arch(info):\n    return info['arch'] or 'any'\n",
    ),
    # str has no .close(): the call ends before it.
    "closer_before_missing_method": (
        "def touch(path):\n    open(path, 'wb'.close()\n",
        "def touch(path):\n    open(path, 'wb').close()\n",
    ),
    # len() of a bool is a TypeError: the call ends before the comparison.
    "closer_before_comparison": (
        "def check(cmd):\n    assert len(cmd.get_outputs() == 2\n",
        "def check(cmd):\n    assert len(cmd.get_outputs()) == 2\n",
    ),
    # The wrong closing quote: replaced, not a new quote at the end of the line.
    "mismatched_quote_before_operator": (
        "def slash(joined, name):\n    return joined + '/\" * name.endswith('/')\n",
        "def slash(joined, name):\n    return joined + '/' * name.endswith('/')\n",
    ),
    "mismatched_quote_before_comma": (
        "logging.basicConfig(style='{\", level=logging.DEBUG)\n",
        "logging.basicConfig(style='{', level=logging.DEBUG)\n",
    ),
    # A lost closing quote inside a list: no two string literals side by side.
    "unterminated_quote_in_list": (
        "preferred = [',', '\\t', ';, ' ', ':']\n",
        "preferred = [',', '\\t', ';', ' ', ':']\n",
    ),
    # One space too many after a raise: back to the block's level, not after the raise.
    "indent_slip_after_raise": (
        "def unique(items, seen):\n"
        "    for k in items:\n"
        "        if k in seen:\n"
        "            raise ValueError(k)\n"
        "         seen.add(k)\n"
        "        yield k\n",
        "def unique(items, seen):\n"
        "    for k in items:\n"
        "        if k in seen:\n"
        "            raise ValueError(k)\n"
        "        seen.add(k)\n"
        "        yield k\n",
    ),
    # 'else' aligns with the 'if' it belongs to.
    "else_aligned_with_its_if": (
        "def f(a, b):\n"
        "    if a:\n"
        "        if b:\n"
        "            x = 1\n"
        "       else:\n"
        "            x = 2\n"
        "    return x\n",
        "def f(a, b):\n"
        "    if a:\n"
        "        if b:\n"
        "            x = 1\n"
        "        else:\n"
        "            x = 2\n"
        "    return x\n",
    ),
    # A method aligns with the methods before it.
    "def_aligned_with_previous_def": (
        "class A:\n    def f(self):\n        return 1\n\n   def g(self):\n        return 2\n",
        "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n",
    ),
    # A tab typed for one level in a file indented with spaces.
    "tab_for_one_level": (
        "def f(items):\n    for item in items:\n\t    name = item.name\n        print(name)\n",
        "def f(items):\n    for item in items:\n        name = item.name\n        print(name)\n",
    ),
    # Reported after the docstring; the slip is where the block began.
    "overindented_docstring": (
        'def f(x):\n        """\n    Return x.\n    """\n    return x\n',
        'def f(x):\n    """\n    Return x.\n    """\n    return x\n',
    ),
    # A header sits one level left of its body.
    "header_left_of_its_body": (
        "def run(modules):\n"
        "    if not modules:\n"
        "        return\n"
        "\n"
        "      if modules:\n"
        "        build(modules)\n",
        "def run(modules):\n"
        "    if not modules:\n"
        "        return\n"
        "\n"
        "    if modules:\n"
        "        build(modules)\n",
    ),
    # Other languages' (and Python 2's) spellings: deleting the odd token also parses, but
    # changes what the code means (`if !done` -> `if done`, `a && b` -> `a & b`).
    "else_if": (
        "def sign(n):\n    if n > 0:\n        return 1\n    else if n < 0:\n        return -1\n"
        "    return 0\n",
        "def sign(n):\n    if n > 0:\n        return 1\n    elif n < 0:\n        return -1\n"
        "    return 0\n",
    ),
    "print_statement": (
        'def greet(name):\n    print "hello", name  # say it\n',
        'def greet(name):\n    print("hello", name)  # say it\n',
    ),
    # Python 2's print over a continuation line is rewritten whole; its trailing comma (no
    # newline) becomes end=" ", as 2to3 writes it.
    "print_statement_continued": (
        'def report(total, count):\n    print "total:", total, \\\n        "count:", count\n'
        "    return total\n",
        'def report(total, count):\n    print("total:", total, \\\n        "count:", count)\n'
        "    return total\n",
    ),
    "print_trailing_comma": (
        "def row(cells):\n    for cell in cells:\n        print cell,\n    print\n",
        'def row(cells):\n    for cell in cells:\n        print(cell, end=" ")\n    print\n',
    ),
    "print_then_semicolon": (
        "def shout(word):\n    print word.upper(); return word\n",
        "def shout(word):\n    print(word.upper()); return word\n",
    ),
    "exec_in_namespace": (
        "def run(source, scope):\n    exec source in scope\n    return scope\n",
        "def run(source, scope):\n    exec(source, scope)\n    return scope\n",
    ),
    # The ``in`` on a continuation line still names the namespace (not ``exec(code in ns)``).
    "exec_in_namespace_continued": (
        "def run(name, scope):\n    exec load(name,\n              'exec') in scope\n    return\n",
        "def run(name, scope):\n    exec(load(name,\n              'exec'), scope)\n    return\n",
    ),
    # A try without a handler gets the one clause that keeps its behaviour, after the body
    # (a nested try that has its handler is passed over; the body's comment stays in it).
    "try_without_handler": (
        "def parse(text):\n    try:\n        try:\n            value = int(text)\n"
        "        except ValueError:\n            value = 0\n        # done\n\n    return value\n",
        "def parse(text):\n    try:\n        try:\n            value = int(text)\n"
        "        except ValueError:\n            value = 0\n        # done\n    finally:\n"
        "        pass\n\n    return value\n",
    ),
    "try_without_handler_tabs": (
        'def read(path):\n\ttry:\n\t\tdata = open(path).read()\n\t\ttext = """\nend\n"""\n'
        "\treturn data\n",
        'def read(path):\n\ttry:\n\t\tdata = open(path).read()\n\t\ttext = """\nend\n"""\n'
        "\tfinally:\n\t\tpass\n\treturn data\n",
    ),
    "try_without_handler_crlf": (
        "def close(handle):\r\n    try:\r\n        handle.flush()\r\n    handle.close()\r\n",
        "def close(handle):\r\n    try:\r\n        handle.flush()\r\n    finally:\r\n"
        "        pass\r\n    handle.close()\r\n",
    ),
    "try_misspelled_except": (
        "def load(path):\n    try:\n        return open(path).read()\n    excpet OSError:\n"
        "        return ''\n",
        "def load(path):\n    try:\n        return open(path).read()\n    except OSError:\n"
        "        return ''\n",
    ),
    "double_ampersand": (
        "def both(a, b):\n    if a&&b:\n        return 1\n    return 0\n",
        "def both(a, b):\n    if a and b:\n        return 1\n    return 0\n",
    ),
    "double_pipe": (
        "def either(a, b):\n    return a || b\n",
        "def either(a, b):\n    return a or b\n",
    ),
    "bang_for_not": (
        "def idle(done):\n    if !done:\n        return 1\n    return 0\n",
        "def idle(done):\n    if not done:\n        return 1\n    return 0\n",
    ),
    "increment": (
        "def step(i):\n    i++\n    return i\n",
        "def step(i):\n    i += 1\n    return i\n",
    ),
    # An f-string's replacement field left open: closed, not the whole string deleted.
    "fstring_open_brace": (
        'def hello(name, mood):\n    return f"hi {name}, you look {mood!r"\n',
        'def hello(name, mood):\n    return f"hi {name}, you look {mood!r}"\n',
    ),
    # Deleting a line's last token leaves no trailing blank behind.
    "dangling_operator": (
        "def total(x):\n    return x +\n",
        "def total(x):\n    return x\n",
    ),
    # With another error earlier in the file, the string is closed where its statement becomes
    # whole (after the `!`), not after `"Hello`, which also moves the file's first error.
    "unterminated_string_after_another_error": (
        "def f(n):\n    if n = 0:\n        return 1\n    return 2\n\n\n"
        'def greet(name):\n    message = "Hello, " + name + "!\n    return message\n',
        "def f(n):\n    if n == 0:\n        return 1\n    return 2\n\n\n"
        'def greet(name):\n    message = "Hello, " + name + "!"\n    return message\n',
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_rule_restores_the_broken_snippet_exactly(name: str) -> None:
    broken, expected = GOLDEN[name]
    assert not check(broken).compiles, "the golden input must be broken"
    result = Fixer().fix(broken)
    assert result.parses
    assert result.text == expected


def test_hanging_closer_follows_the_files_style() -> None:
    broken = "values = compute(\n    alpha,\n    beta,\nprint(values)\n"
    own_lines = "limits = dict(\n    low=1,\n)\n" + broken
    fixed = Fixer().fix(own_lines).text
    assert fixed.endswith("values = compute(\n    alpha,\n    beta,\n)\nprint(values)\n")
    # A file that never puts a closer on its own line gets one after the last item.
    assert Fixer().fix(broken).text == "values = compute(\n    alpha,\n    beta,)\nprint(values)\n"


def test_a_bracket_with_its_own_closer_is_not_closed_twice() -> None:
    broken = 'files = {\n    "a": {"b": {"c": ""},\n    "d": 1,\n}\n'
    result = Fixer().fix(broken)
    assert result.parses
    assert result.text.count("}") == broken.count("}") + 1
    assert result.text.count("\n") == broken.count("\n"), "no closer line of its own"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("with open(p), 'rb' as f:", 1),
        ("with open(p, 'rb') as f:", 0),
        ("x = f('wb'.close())", 1),
        ("x = ', '.join(items)", 0),
        ("a = info['arch' or 'any']", 1),
        ("a = info['arch'] or 'any'", 0),
        ("msg = ok and 'yes' or 'no'", 0),
        ("p = '/' / 'init.py'", 1),
        ("line = '-' * 40", 0),
        ("r = ''.join([str](v) for v in xs)", 1),
        ("y = [a, b][0]", 0),
        ("xs = ['a' 'b']", 1),
        ("for n, (_), v in pairs:", 1),
        ("f(a, b,)", 1),
        ("point = (x,)", 0),
        ("s = '{\", level=1'", 1),
        ('s = "it\'s"', 0),
        ("assert len(cmd.outputs() == 2)", 1),
        ("assert len(cmd.outputs()) == 2", 0),
        ("ok = any(x == 2 for x in xs)", 0),
        ("n = len(cmd).get_outputs()", 1),
        ("n = len(cmd)()", 1),
        ("n = len(cmd).bit_length()", 0),
        ("ok = f(a )== 2", 1),
        ("ok = f( a) == 2", 1),
        ("ok = f(a) == 2", 0),
    ],
)
def test_oddities_count_code_nobody_writes(line: str, expected: int) -> None:
    assert oddities(line) == expected

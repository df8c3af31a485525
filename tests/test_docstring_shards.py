"""The documented-function shard: which functions become examples, and that they stand alone."""

from __future__ import annotations

import ast

from codegpt.model.fim import is_fim, recover_document
from codegpt.model.tokens import END_OF_TEXT
from codegpt.training.docstring_shards import DocFunctionConfig, documented_functions, examples

SOURCE = (
    '''\
import functools


def undocumented(a, b):
    x = a
    return x + b


def documented(a, b):
    """Return the sum of a and b."""
    return a + b


class Shape:
    """A shape."""

    @functools.cache
    def area(self):
        """The area, computed once."""
        width = self.width
        return width * self.height

    def stub(self):
        """Subclasses say."""


def too_long(n):
    """Count up."""
    total = 0
'''
    + "".join(f"    total += {i}\n" for i in range(60))
    + "    return total\n"
)


def test_only_short_documented_functions_with_a_body_are_taken() -> None:
    found = list(documented_functions(SOURCE, DocFunctionConfig()))
    names = [ast.parse(text).body[0].name for text in found]
    assert names == ["documented", "area"]


def test_methods_are_dedented_with_their_decorators_and_parse_alone() -> None:
    area = list(documented_functions(SOURCE, DocFunctionConfig()))[1]
    assert area.startswith("@functools.cache\ndef area(self):\n")
    assert area.endswith("return width * self.height\n")
    ast.parse(area)


def test_unparsable_source_gives_nothing() -> None:
    assert list(documented_functions("def broken(:\n    '''Doc.'''\n", DocFunctionConfig())) == []


def test_per_document_cap() -> None:
    many = "".join(f'def f{i}(x):\n    """Doc {i}."""\n    return x + {i}\n\n\n' for i in range(20))
    config = DocFunctionConfig(min_lines=1, max_per_document=5)
    assert len(list(documented_functions(many, config))) == 5


def test_examples_keep_each_function_once_and_are_recoverable() -> None:
    config = DocFunctionConfig(fim_rate=0.5, seed=7)
    many = "".join(f'def f{i}(x):\n    """Doc {i}."""\n    return x + {i}\n\n\n' for i in range(10))
    made = examples([many, many, SOURCE], config)
    assert all(text.endswith(END_OF_TEXT) for text in made)
    bodies = [recover_document(text.removesuffix(END_OF_TEXT)) for text in made]
    assert len(bodies) == len(set(bodies)) == 12  # ten f*, documented, area; the copy adds none
    assert any(is_fim(text) for text in made) and not all(is_fim(text) for text in made)
    for body in bodies:
        ast.parse(body)

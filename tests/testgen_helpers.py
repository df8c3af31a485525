"""Shared by the test-generation tests: the generated file's test functions by name."""

import ast


def generated_tests(text: str) -> dict[str, str]:
    """``test_...`` name -> its source, for each test function of a generated test file."""
    tree = ast.parse(text)
    return {
        node.name: ast.get_source_segment(text, node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }

"""A function that prints is tested on what it printed (pytest's capsys), not on ``is None``."""

from testgen_helpers import generated_tests

from codegpt.server.testgen.assertions import loosened
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.mutation import detects
from codegpt.server.testgen.proposals import Proposal
from codegpt.server.testgen.sandbox import CallOutcome
from codegpt.server.testgen.selection import Observation

REPORT = """\
import sys


def greet(name: str) -> None:
    print(f"Hello, {name}!")


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def shout(text: str) -> str:
    print("shouting")
    return text.upper()


def dump(count: int) -> None:
    print("x" * 1000)
"""


def test_what_a_function_prints_is_checked(tmp_path):
    (tmp_path / "report.py").write_text(REPORT)
    result = generate_tests(tmp_path / "report.py", None, TestGenOptions())
    tests = generated_tests(result.text)
    greet = tests["test_greet_of_abc_prints_hello_abc"]
    assert greet.startswith("def test_greet_of_abc_prints_hello_abc(capsys):")
    printed = "    captured = capsys.readouterr()\n    assert captured.out == 'Hello, abc!\\n'"
    assert printed in greet
    assert any("assert captured.err == 'warning: abc\\n'" in b for b in tests.values())
    # A result and a print: both checked.
    assert any(
        "assert shout('abc') == 'ABC'" in b and "captured.out == 'shouting\\n'" in b
        for b in tests.values()
    ), result.text
    # Too long to read in a test: not checked, and no capsys.
    assert not any("capsys" in b for n, b in tests.items() if n.startswith("test_dump")), tests


def test_a_mutant_that_prints_otherwise_is_caught_and_loosening_forgets_the_output():
    none = {"kind": "exact", "source": "None"}
    original = CallOutcome(0, "returned", none, output=("Hello, abc!\n", ""))
    assert detects(original, CallOutcome(0, "returned", none, output=("Hello abc\n", "")))
    assert not detects(original, CallOutcome(0, "returned", none, output=("Hello, abc!\n", "")))
    silent = CallOutcome(0, "returned", none)
    assert not detects(silent, CallOutcome(0, "returned", none, output=("noise\n", "")))
    loose = loosened(Observation(0, Proposal(), original))
    assert loose is not None and loose.outcome.output == ("", "")

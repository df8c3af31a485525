"""Mutant-guided selection: which calls catch which mutants, in the real sandbox, and the choice."""

import threading

import pytest

from codegpt.server.testgen.analysis import analyze_file
from codegpt.server.testgen.calls import calls_for
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.mutation import MutationConfig, detects, mutant_kills
from codegpt.server.testgen.proposals import Proposal
from codegpt.server.testgen.sandbox import CallOutcome, Cancelled, Sandbox, SandboxLimits
from codegpt.server.testgen.selection import Observation, select

MODULE = """\
def scale(x):
    return x * 2


def countdown(n):
    while n > 0:
        n -= 1
    return n
"""


def _returned(source: str, kind: str = "exact", **extra) -> CallOutcome:
    return CallOutcome(0, "returned", value={"source": source, "kind": kind, **extra})


def _raised(name: str, message: str = "", stable: bool = True) -> CallOutcome:
    exception = {"name": name, "message": message, "message_stable": stable}
    return CallOutcome(0, "raised", exception=exception)


# --- detects: does the assertion written from the original fail on the mutant? ----------------


def test_exact_values_compare_with_equality_not_text():
    assert detects(_returned("8"), _returned("6"))
    assert not detects(_returned("8"), _returned("8"))
    assert not detects(_returned("1"), _returned("1.0"))  # 1 == 1.0: the test passes
    assert detects(_returned("None"), _returned("0"))  # ``is None``
    assert detects(_returned("True"), _returned("1"))  # ``is True``


def test_approx_values_use_pytest_tolerance():
    assert not detects(_returned("0.1", "approx"), _returned("0.10000000001", "approx"))
    assert detects(_returned("[0.5, 1.5]", "approx"), _returned("[0.5, 1.6]", "approx"))


def test_exceptions_compare_type_and_stable_message():
    assert detects(_raised("ValueError", "bad"), _returned("1"))
    assert detects(_returned("1"), _raised("ValueError", "bad"))
    assert detects(_raised("ValueError", "bad"), _raised("KeyError", "bad"))
    assert detects(_raised("ValueError", "too small"), _raised("ValueError", "too large"))
    unstable = _raised("ValueError", "at 0x7f", stable=False)  # no ``match=``: type only
    assert not detects(unstable, _raised("ValueError", "at 0x8e"))


def test_opaque_values_compare_type_and_length():
    original = _returned(None, "opaque", type={"qualname": "Node"}, len=2)
    assert not detects(original, _returned(None, "opaque", type={"qualname": "Node"}, len=2))
    assert detects(original, _returned(None, "opaque", type={"qualname": "Node"}, len=3))


def test_hangs_count_and_skipped_calls_do_not():
    assert detects(_returned("1"), CallOutcome(0, "timeout"))
    assert not detects(_returned("1"), CallOutcome(0, "skipped"))


# --- the sandbox batch --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = root / "numbers_demo.py"
    path.write_text(MODULE)
    return path


def _observe(sandbox: Sandbox, path, name: str, args_list: list[str]):
    target = analyze_file(path).find(name)
    proposals = [Proposal((a,), origin="edge") for a in args_list]
    calls = calls_for(target, proposals, 0)
    batch = sandbox.run_calls(path, path.stem, [str(path.parent)], calls)
    observations = [Observation(i, p, batch.outcomes[i]) for i, p in enumerate(proposals)]
    return target, calls, observations


def _kills(sandbox, path, name, args_list, config=None):
    target, calls, observations = _observe(sandbox, path, name, args_list)
    return mutant_kills(
        sandbox,
        target,
        path.read_text(),
        (path, path.stem, [str(path.parent)]),
        {c.id: c for c in calls},
        observations,
        config or MutationConfig(),
    )


def test_a_zero_input_catches_fewer_mutants_than_a_telling_one(module_file):
    with Sandbox(SandboxLimits(call_timeout=2.0)) as sandbox:
        kills = _kills(sandbox, module_file, "scale", ["0", "4"])
    # Mutants of ``x * 2``: x // 2, x * 3, x * 1, return None. scale(0) is 0 on all but the last.
    assert len(kills[1]) == 4
    assert len(kills[0]) == 1 and kills[0] < kills[1]


def test_a_mutant_that_loops_forever_is_timed_out_and_caught(module_file):
    with Sandbox(SandboxLimits(call_timeout=2.0)) as sandbox:
        kills = _kills(sandbox, module_file, "countdown", ["3"])
    # ``n -= 1`` -> ``n += 1`` never ends; the batch still finishes and credits the call.
    assert kills and len(kills[0]) >= 3


def test_disabled_or_out_of_time_measures_nothing(module_file):
    with Sandbox() as sandbox:
        assert _kills(sandbox, module_file, "scale", ["4"], MutationConfig(enabled=False)) == {}
        late = _kills(sandbox, module_file, "scale", ["4"], MutationConfig(seconds=0.0))
    assert late == {}


def test_cancel_stops_the_mutant_batch(module_file):
    cancel = threading.Event()
    with Sandbox(cancel=cancel) as sandbox:
        target, calls, observations = _observe(sandbox, module_file, "scale", ["4"])
        cancel.set()
        with pytest.raises(Cancelled):
            mutant_kills(
                sandbox,
                target,
                MODULE,
                (module_file, module_file.stem, [str(module_file.parent)]),
                {c.id: c for c in calls},
                observations,
                MutationConfig(),
            )


# --- selection ----------------------------------------------------------------------------------


def test_selection_adds_the_call_that_catches_what_the_others_missed(module_file):
    with Sandbox() as sandbox:
        target, _calls, observations = _observe(sandbox, module_file, "scale", ["3", "4", "5"])
    # Same lines and same kind of result for all three: without kills, the first two are kept.
    assert [o.index for o in select(observations, target, 2)] == [0, 1]
    kills = {0: frozenset({0}), 1: frozenset({0}), 2: frozenset({1, 2})}
    assert [o.index for o in select(observations, target, 2, kills)] == [0, 2]
    assert [o.index for o in select(observations, target, 1, kills)] == [0]  # the cap holds


def test_generation_pins_values_that_catch_mutants(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = tmp_path / "ranking.py"
    path.write_text(
        "def rank_words(text: str) -> str:\n"
        "    order = {'zero': 0, 'one': 1, 'two': 2, 'three': 3}\n"
        "    return ' '.join(sorted(text.split(), key=lambda w: order[w]))\n"
    )
    result = generate_tests(path, "rank_words", TestGenOptions(verify=False))
    # The words of the body, in reverse: only such an input tells ``'one': 1 -> 2`` apart.
    assert "rank_words('three two one zero') == 'zero one two three'" in result.text


def test_more_values_prefer_a_result_role_not_shown_yet(tmp_path):
    path = tmp_path / "pick.py"
    path.write_text("def larger(a, b):\n    return a if a > b else b\n")
    pairs = [("3", "0"), ("1", "0"), ("2", "0"), ("4", "0"), ("0", "5")]
    target = analyze_file(path).find("larger")
    proposals = [Proposal(pair, origin="edge") for pair in pairs]
    with Sandbox() as sandbox:
        batch = sandbox.run_calls(path, "pick", [str(tmp_path)], calls_for(target, proposals, 0))
    observations = [Observation(i, p, batch.outcomes[i]) for i, p in enumerate(proposals)]
    assert [o.outcome.equals_argument for o in observations] == [(0,)] * 4 + [(1,)]
    # Four calls return `a`, one returns `b`: the one returning `b` is pinned before more `a`s.
    chosen = [o.proposal.args for o in select(observations, target, 3)]
    assert ("0", "5") in chosen and len(chosen) == 3


def test_a_passed_through_argument_is_not_pinned_once_per_type(tmp_path):
    path = tmp_path / "peek.py"
    path.write_text("def first(items, default=None):\n    return items[0] if items else default\n")
    args = [("[1]",), ("[]", "0"), ("[]", "''"), ("[]", "[]"), ("[]", "2.5"), ("[]", "True"),
            ("[]", "'x'"), ("[]", "(1,)")]  # fmt: skip
    target = analyze_file(path).find("first")
    proposals = [Proposal(a, origin="edge") for a in args]
    with Sandbox() as sandbox:
        batch = sandbox.run_calls(path, "peek", [str(tmp_path)], calls_for(target, proposals, 0))
    observations = [Observation(i, p, batch.outcomes[i]) for i, p in enumerate(proposals)]
    chosen = select(observations, target, 8)
    # Seven calls return `default` as it came, each of another type or truthiness: showing
    # that once or twice says it; the cap on extra values (5 tests) holds.
    assert len(chosen) <= 5
    assert ("[1]",) in [o.proposal.args for o in chosen]

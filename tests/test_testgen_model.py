"""Model-sampled proposals, with a real exported model (never a stand-in).

``model/default`` is used when it is there; otherwise a tiny model is trained for a few seconds
on test-style documents (a function, then ``assert name(args) == value``), so that sampling
really produces argument lists and the parsing and filtering are exercised on model output.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from codegpt.model import paths
from codegpt.model.healing import heal
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.server.testgen.analysis import analyze_source
from codegpt.server.testgen.model_proposals import (
    ModelProposalConfig,
    ModelProposalSource,
    argument_text,
    build_prompt,
    proposals_from_completions,
    uses_only_literals,
)

FUNCTIONS = {
    "clamp": "def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n"
    "        return hi\n    return x\n",
    "add": "def add(a, b):\n    return a + b\n",
    "scale": "def scale(x, factor):\n    return x * factor\n",
    "smallest": "def smallest(a, b):\n    return a if a < b else b\n",
}


def _test_style_docs(count: int, seed: int) -> list[str]:
    """Documents shaped like a module and its test: what the prompt looks like."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        name = rng.choice(sorted(FUNCTIONS))
        arity = FUNCTIONS[name].split("(")[1].split(")")[0].count(",") + 1
        lines = [FUNCTIONS[name], "", f"def test_{name}():"]
        for _ in range(3):
            args = ", ".join(str(rng.randint(-5, 20)) for _ in range(arity))
            lines.append(f"    assert {name}({args}) == {rng.randint(-5, 20)}")
        docs.append("\n".join(lines) + "\n")
    return docs


def build_test_style_model(work: Path) -> Path:
    """Train and export a tiny model on test-style documents; returns the model folder."""
    from tiny_corpus import tiny_train_config

    from codegpt.model.configs import model_config
    from codegpt.model.export import export_checkpoint
    from codegpt.training.tokenizer import train_tokenizer
    from codegpt.training.train import train

    data = work / "corpus"
    data.mkdir(parents=True, exist_ok=True)
    docs = _test_style_docs(400, seed=0)
    tokenizer = train_tokenizer(docs, 512, show_progress=False)
    tokenizer.save(str(data / paths.TOKENIZER_FILE))
    for name, subset in (("train.bin", docs[:360]), ("val.bin", docs[360:])):
        ids: list[int] = []
        for doc in subset:
            ids += [*tokenizer.encode(doc).ids, END_OF_TEXT_ID]
        np.asarray(ids, dtype=np.uint16).tofile(data / name)
    config = tiny_train_config(
        data, work / "run", max_steps=100, eval_interval=100, batch_size=8, warmup_steps=10
    )
    train(config, model_config("tiny"))
    checkpoint = next((work / "run").glob("*.pt"))
    out = work / "model"
    export_checkpoint(checkpoint, out)
    return out


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A tiny real model trained here on test-shaped code (about a minute).

    These tests check that sampled calls flow into proposals and tests, so they need a model
    that reliably writes calls; whether the shipped model does is a quality question for the
    benchmark, not a plumbing test.
    """
    return build_test_style_model(tmp_path_factory.mktemp("testgen-model"))


@pytest.fixture(scope="module")
def model(model_dir):
    from codegpt.model.runtime import CodeModel, RuntimeOptions

    return CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1))


def _target(name: str, source: str | None = None):
    return analyze_source(source or FUNCTIONS[name]).find(name)


# --- pure logic ----------------------------------------------------------------------------------


def test_prompt_is_the_source_then_a_test_calling_the_function():
    prompt = build_prompt(_target("clamp"))
    assert prompt.startswith("def clamp(x, lo, hi):\n    if x < lo:")
    assert prompt.endswith("\n\n\ndef test_clamp():\n    assert clamp(")


def test_prompt_for_a_method_is_dedented_and_calls_it_on_an_instance():
    source = (
        "class Box:\n    def grow(self, n):\n        if n > 3:\n            return 1\n"
        "        return 2\n"
    )
    prompt = build_prompt(analyze_source(source).find("Box.grow"))
    assert prompt.startswith("def grow(self, n):\n    if n > 3:\n        return 1\n")
    assert prompt.endswith("def test_grow():\n    obj = Box()\n    assert obj.grow(")


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("1, 2, 3) == 2", "1, 2, 3"),
        ("'a)b', (1, 2)) == 'x'", "'a)b', (1, 2)"),
        ("max(1, 2), x=[3]) is None", "max(1, 2), x=[3]"),
        ("1, 2", None),  # never closed
        ("1 2) == 3", None),  # not an argument list
    ],
)
def test_argument_text_stops_at_the_matching_parenthesis(completion, expected):
    assert argument_text(completion) == expected


def test_only_literals_and_builtins_are_kept():
    assert uses_only_literals("[1, 2], key=float('inf')")
    assert not uses_only_literals("xs, 2")  # a free variable: NameError in the test
    assert not uses_only_literals("lambda: 1")
    assert not uses_only_literals("os.sep")


def test_completions_become_distinct_proposals_that_fit_the_signature():
    target = _target("clamp")
    completions = [
        "1, 2, 3) == 2",
        "1, 2, 3) == 2",  # duplicate
        "1, 2) == 1",  # missing a required argument
        "1, 2, 3, 4) == 1",  # too many
        "5, lo=0, hi=3) == 3",
        "5, 0, lo=1) == 3",  # lo twice
        "y, 1, 2) == 1",  # free name
        "garbage",
    ]
    proposals = proposals_from_completions(target, completions, limit=10)
    assert [(p.args, p.kwargs) for p in proposals] == [
        (("1", "2", "3"), ()),
        (("5",), (("lo", "0"), ("hi", "3"))),
    ]
    assert all(p.origin == "model" for p in proposals)
    assert len(proposals_from_completions(target, completions, limit=1)) == 1


# --- with the real model -------------------------------------------------------------------------


def test_the_model_samples_usable_calls_deterministically(model):
    target = _target("clamp")
    source = ModelProposalSource(model)
    completions = source.completions(target)
    config = ModelProposalConfig()
    assert len(completions) == config.samples_per_seed * len(config.seeds)
    proposals = source(target, 16)
    assert proposals, f"no usable call among {completions!r}"
    assert all(len(p.args) + len(p.kwargs) == 3 for p in proposals)
    assert [p.args for p in source(target, 16)] == [p.args for p in proposals]


class _Recording:
    """The real model, with each generate call's prompt and options kept for the test to read."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls: list = []

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def generate(self, ids, options):
        self.calls.append((list(ids), options))
        return self.model.generate(ids, options)


@pytest.mark.parametrize("healing", [True, False])
def test_the_open_paren_is_healed_so_it_can_merge_with_the_first_argument(model, healing):
    recording = _Recording(model)
    config = ModelProposalConfig(seeds=(0,), token_healing=healing)
    completions = ModelProposalSource(recording, config).completions(_target("clamp"))
    (ids, options), *_ = recording.calls
    assert model.decode(ids).endswith("assert clamp(")
    # Healed, "(" is spelled by the first new token: "([", "('" and "()" become possible.
    assert heal(ids, model.vocabulary).healed == "("
    assert options.heal_prompt is healing and options.healed == ""
    assert len(completions) == config.samples_per_seed


def test_a_set_cancel_event_stops_sampling(model):
    import threading

    cancel = threading.Event()
    cancel.set()
    assert ModelProposalSource(model, cancel=cancel).completions(_target("add")) == []


def test_generation_with_model_proposals_emits_passing_tests(model, tmp_path):
    from codegpt.server.testgen.generate import TestGenOptions, generate_tests

    module = tmp_path / "clamping.py"
    module.write_text(FUNCTIONS["clamp"], encoding="utf-8")
    seen = []

    def recording(target, limit):
        found = ModelProposalSource(model)(target, limit)
        seen.extend(found)
        return found

    options = TestGenOptions(proposal_sources=(recording,))
    result = generate_tests(module, "clamp", options)
    assert seen, "the model source was not asked or proposed nothing"
    assert result.cases and result.functions[0].coverage.lines == 1.0


def test_cli_uses_the_model_given_and_degrades_without_one(model_dir, tmp_path):
    import subprocess
    import sys

    module = tmp_path / "clamping.py"
    module.write_text(FUNCTIONS["clamp"], encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    command = [sys.executable, "-m", "codegpt", "tests", str(module), "--stdout", "--model"]
    for model, note in ((str(model_dir), False), (str(tmp_path / "missing"), True)):
        run = subprocess.run(
            [*command, model], capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        assert run.returncode == 0, run.stderr
        assert "def test_clamp" in run.stdout
        assert ("no model-sampled inputs (model folder not found" in run.stderr) is note

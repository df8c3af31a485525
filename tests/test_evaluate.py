"""`codegpt eval`'s documented-returns tasks and how the model card shows them."""

from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.training.evaluate import EvalConfig, complete_line, docstring_return_tasks
from codegpt.training.model_card import render

SOURCE = '''"""Módulo de ejemplo: π and other non-ASCII text before the functions."""


def add_two_numbers(a, b):
    """Return the sum of a and b."""
    return a + b


def undocumented(a):
    return a


class Box:
    def area(self):
        """Width times height."""
        return self.width * self.height

    def spread(self):
        """Spans two lines."""
        return (
            self.width
        )


async def fetch(client):
    """Await one response."""
    return await client.get()


def two_statements(x):
    """Not a one-liner."""
    y = x
    return y


def bare():
    """Returns nothing."""
    return
'''


def test_documented_one_line_returns_are_cut_after_the_keyword():
    tasks = docstring_return_tasks([SOURCE, "def broken(:\n"], EvalConfig(return_samples=10))
    truths = sorted(task.truth for task in tasks)
    assert truths == [" a + b", " await client.get()", " self.width * self.height"]
    for task in tasks:
        assert task.prefix.endswith("return") and SOURCE.find(task.prefix) >= 0
        assert task.prefix + task.truth + task.suffix in SOURCE
        assert task.suffix.startswith("\n")


def test_sample_is_capped_and_deterministic():
    config = EvalConfig(return_samples=2, suffix_chars=5, prefix_chars=20)
    first = docstring_return_tasks([SOURCE], config)
    assert len(first) == 2 and first == docstring_return_tasks([SOURCE], config)
    assert all(len(task.prefix) <= 20 and len(task.suffix) <= 5 for task in first)


def test_token_healing_continues_a_word_cut_mid_token():
    """Healed, the cut token is spelled again and left out of the prediction, as in the editor."""
    model = CodeModel.load(RuntimeOptions(threads=1))  # the bundled model
    ids = model.encode("with open(path) as f:\n    data = f.rea")
    assert model.decode(ids[-1:]) == "rea"  # the cut ends mid-token
    healed = complete_line(model, ids, EvalConfig(), healing=True)
    assert healed.startswith("d(")  # "rea" + "d(" : the word goes on, "rea" is not repeated


def test_model_card_shows_the_documented_returns_and_healed_rows_when_evaluated():
    result = {"samples": 200, "exact_match": 12.5, "edit_similarity": 40.25}
    line = {"samples": 500, "exact_match": 7.0, "edit_similarity": 38.0}
    evaluation = {
        "bits_per_byte": 0.8,
        "tokens_scored": 50000,
        "line_completion_prefix_only": line,
        "line_completion_with_suffix": line,
        "docstring_returns": result,
    }
    card = render({"model": {}}, {}, [], evaluation, [], {})
    assert "| documented returns (FIM) | 200 | 12.50 | 40.25 |" in card
    assert "cut healed |" not in card and "*Cut healed*" not in card
    evaluation["line_completion_prefix_only_healed"] = {**line, "exact_match": 19.75}
    evaluation["line_completion_with_suffix_healed"] = {**line, "edit_similarity": 54.125}
    card = render({"model": {}}, {}, [], evaluation, [], {})
    assert "| prefix only, cut healed | 500 | 19.75 | 38.00 |" in card
    assert "| prefix + suffix (FIM), cut healed | 500 | 7.00 | 54.12 |" in card
    assert "*Cut healed*" in card
    del evaluation["docstring_returns"]  # an evaluation written before the row existed
    assert "documented returns (FIM) |" not in render({"model": {}}, {}, [], evaluation, [], {})


def test_model_card_gives_the_hardware_as_the_last_runs() -> None:
    rows = [{"step": 10, "tokens": 40960, "elapsed_s": 7200.0, "train_loss": 2.0, "val_loss": 2.5}]
    hardware = {
        "cpu": "AMD EPYC (family 26, model 2)",
        "machine": "x86_64",
        "processes": 1,
        "threads": 2,
        "precision": "bf16 autocast",
    }
    card = render({"model": {}}, {}, rows, None, [], {}, hardware)
    assert (
        "- wall time: 2.00 h in all; the last run on AMD EPYC (family 26, model 2) (x86_64), "
        "1 process, 2 threads, bf16 autocast\n" in card
    )

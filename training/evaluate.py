"""Evaluate an exported model on the test split: bits per byte and line completion.

Besides CodeXGLUE-style lines cut at a random point, it scores one everyday kind of
completion on its own: the one-line ``return`` of a documented function, completed right after
the ``return`` keyword with the rest of the file as suffix (how the editor asks). That tells
whether the model turns a docstring into code, on hundreds of held-out functions rather than
on a single example.

Runs through the torch-free runtime, so the numbers describe exactly what users get (the int8
ONNX model and its tokenizer), not the training checkpoint.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from codegpt.model.fim import format_spm_prompt
from codegpt.model.runtime import CodeModel, GenerateOptions
from codegpt.model.tokens import END_OF_TEXT
from codegpt.server.line_index import line_starts
from codegpt.training.line_metrics import edit_similarity, exact_match

log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    """What to evaluate and how much of it (the defaults take a few minutes on 2 cores)."""

    data_dir: Path = Path("data/corpus")
    split: str = "test"
    bpb_tokens: int = 100_000  # tokens of the split scored for bits per byte
    bpb_window: int = 512  # tokens per scored window (shorter than max context: CPU time)
    line_samples: int = 300  # lines cut at a random point and completed
    return_samples: int = 200  # one-line returns of documented functions, cut after `return`
    prefix_chars: int = 2000  # characters of prefix given before the cut
    suffix_chars: int = 1000  # characters of suffix given in the FIM variant
    max_new_tokens: int = 48
    seed: int = 1234


@dataclass
class LineCompletionResult:
    """CodeXGLUE-style line completion numbers for one prompt variant."""

    samples: int
    exact_match: float
    edit_similarity: float
    seconds_per_sample: float


@dataclass
class EvalResult:
    """Everything ``codegpt eval`` reports, written as JSON next to the model card."""

    split: str
    bits_per_byte: float
    tokens_scored: int
    bytes_per_token: float
    line_completion_prefix_only: LineCompletionResult
    line_completion_with_suffix: LineCompletionResult
    docstring_returns: LineCompletionResult | None = None
    # The same random cuts, token-healed as the editor heals them (``complete_line``); absent
    # in evaluations written before these rows existed.
    line_completion_prefix_only_healed: LineCompletionResult | None = None
    line_completion_with_suffix_healed: LineCompletionResult | None = None
    config: dict = field(default_factory=dict)
    # The fixed probes of ``EXAMPLES``: prompt, what a sensible model writes, what this one did.
    examples: list[dict] = field(default_factory=list)


# Everyday Python whose next line any competent assistant gets right: a smoke test a reader can
# check at a glance, next to the test-split numbers. The first is the model issue's own example.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ('def add_two_numbers(a, b):\n    """Return the sum of a and b."""\n    return', " a + b"),
    ("def is_even(n):\n    return n %", " 2 == 0"),
    ("class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y =", " y"),
    ("with open(path) as f:\n    data = f.", "read()"),
    ('if __name__ == "__main__":\n    ', "main()"),
    ("for i, item in enumerate(items):\n    print(i,", " item)"),
)


def read_documents(path: Path) -> list[str]:
    """Raw documents of a split (``{split}.jsonl`` written by the corpus build)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def bits_per_byte(model: CodeModel, documents: list[str], config: EvalConfig) -> tuple[float, int]:
    """Cross-entropy of the documents in bits per UTF-8 byte, over windows of whole documents.

    Each window starts at a document start, so every scored token has its real left context;
    bytes are counted from the decoded text of the scored tokens, which makes the number
    independent of the tokenizer.
    """
    total_nats = 0.0
    total_bytes = 0
    total_tokens = 0
    end_id = model.encode(END_OF_TEXT)[0]
    window_size = min(config.bpb_window, model.max_context - 1)
    progress = tqdm(total=config.bpb_tokens, desc="bits/byte", unit="tok", leave=False)
    for text in documents:
        ids = [end_id, *model.encode(text)]
        for start in range(0, len(ids) - 1, window_size):
            window = ids[start : start + window_size + 1]
            if len(window) < 2:
                break
            logprobs = model.score(window[:1], window[1:])
            total_nats -= float(np.sum(logprobs))
            total_bytes += len(model.decode(window[1:]).encode("utf-8"))
            total_tokens += len(window) - 1
            progress.update(len(window) - 1)
            if total_tokens >= config.bpb_tokens:
                break
        if total_tokens >= config.bpb_tokens:
            break
    progress.close()
    if total_bytes == 0:
        return float("nan"), 0
    return total_nats / math.log(2) / total_bytes, total_tokens


@dataclass
class LineTask:
    """One line cut at a random point: the text before, the rest of the line, the text after."""

    prefix: str
    truth: str
    suffix: str


def sample_line_tasks(documents: list[str], config: EvalConfig) -> Iterator[LineTask]:
    """Cut random non-trivial lines at a random point inside their code (deterministic)."""
    rng = random.Random(config.seed)
    candidates: list[tuple[int, int]] = []
    for doc_index, text in enumerate(documents):
        offset = 0
        for line in text.split("\n"):
            stripped = line.strip()
            if len(stripped) >= 4 and not stripped.startswith("#"):
                candidates.append((doc_index, offset))
            offset += len(line) + 1
    rng.shuffle(candidates)
    for doc_index, line_start in candidates[: config.line_samples]:
        text = documents[doc_index]
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        indent = len(line) - len(line.lstrip())
        cut = line_start + rng.randint(indent + 1, len(line) - 1)
        yield LineTask(
            prefix=text[max(0, cut - config.prefix_chars) : cut],
            truth=text[cut:line_end],
            suffix=text[line_end : line_end + config.suffix_chars],
        )


def docstring_return_tasks(documents: list[str], config: EvalConfig) -> list[LineTask]:
    """Functions whose body is a docstring and a one-line ``return <expr>``, cut after ``return``.

    The truth is the rest of that line (``" a + b"``); documents that do not parse are skipped.
    A deterministic sample of ``config.return_samples``.
    """
    tasks = []
    for text in documents:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        starts = line_starts(text)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or len(node.body) != 2:
                continue
            docstring, statement = node.body
            if not (
                isinstance(docstring, ast.Expr)
                and isinstance(docstring.value, ast.Constant)
                and isinstance(docstring.value.value, str)
                and isinstance(statement, ast.Return)
                and statement.value is not None
                and statement.lineno == statement.end_lineno
            ):
                continue
            line_start = starts[statement.lineno - 1]
            line_end = text.find("\n", line_start)
            line_end = len(text) if line_end < 0 else line_end
            line = text[line_start:line_end]
            # col_offset counts UTF-8 bytes; the statement begins after the indentation.
            cut = line_start + len(line) - len(line.lstrip()) + len("return")
            if text[cut - len("return") : cut] != "return":
                continue
            tasks.append(
                LineTask(
                    prefix=text[max(0, cut - config.prefix_chars) : cut],
                    truth=text[cut:line_end],
                    suffix=text[line_end : line_end + config.suffix_chars],
                )
            )
    random.Random(config.seed + 1).shuffle(tasks)
    return tasks[: config.return_samples]


def fitted_prompt(
    model: CodeModel,
    task: LineTask,
    with_suffix: bool,
    budget: int,
    fim_format: Callable[[str, str], str] = format_spm_prompt,
) -> list[int]:
    """Prompt ids within ``budget`` tokens: the suffix keeps at most a third, the prefix the rest.

    Text is cut at the far ends (the start of the prefix, the end of the suffix), the way the
    server's prompt builder keeps the text nearest the cursor. ``fim_format`` orders the parts
    (SPM, as the server does; benchmarks/bench_fim_order.py also tries PSM).
    """
    prefix, suffix = task.prefix, task.suffix if with_suffix else ""
    while True:
        prompt = fim_format(prefix, suffix) if with_suffix else prefix
        ids = model.encode(prompt)
        if len(ids) <= budget:
            return ids
        if with_suffix and len(model.encode(suffix)) > budget // 3:
            suffix = suffix[: int(len(suffix) * 0.8)]
        else:
            prefix = prefix[len(prefix) // 5 + 1 :]


def complete_line(
    model: CodeModel, prompt_ids: list[int], config: EvalConfig, healing: bool = False
) -> str:
    """Greedy completion of the rest of the line.

    With ``healing`` the prompt's partial word is taken off and the first new tokens must spell
    it again, as the editor does (``codegpt.model.healing``): a random cut often ends inside a
    token, and the unhealed prompt is then tokenized unlike any training text. The historical
    rows stay unhealed so that numbers compare across the model card's history.
    """
    options = GenerateOptions(
        max_new_tokens=config.max_new_tokens,
        temperature=0.0,
        stop_strings=("\n",),
        heal_prompt=healing,
    )
    generations = model.generate(prompt_ids, options)
    return generations[0].text.split("\n", 1)[0] if generations else ""


def line_completion(
    model: CodeModel,
    tasks: list[LineTask],
    config: EvalConfig,
    with_suffix: bool,
    label: str = "",
    healing: bool = False,
) -> LineCompletionResult:
    """Exact match and edit similarity over the tasks, with or without the FIM suffix."""
    matches = 0
    similarity = 0.0
    started = time.perf_counter()
    if not label:
        label = ("lines+suffix" if with_suffix else "lines") + (" healed" if healing else "")
    budget = model.max_context - config.max_new_tokens
    for task in tqdm(tasks, desc=label, unit="line", leave=False):
        ids = fitted_prompt(model, task, with_suffix, budget)
        prediction = complete_line(model, ids, config, healing)
        matches += exact_match(prediction, task.truth)
        similarity += edit_similarity(prediction, task.truth)
    count = max(len(tasks), 1)
    return LineCompletionResult(
        samples=len(tasks),
        exact_match=100.0 * matches / count,
        edit_similarity=similarity / count,
        seconds_per_sample=(time.perf_counter() - started) / count,
    )


def example_completions(model: CodeModel, config: EvalConfig) -> list[dict]:
    """Greedy completions of ``EXAMPLES`` in the editor's prompt format (SPM, empty suffix)."""
    results = []
    for prompt, expected in EXAMPLES:
        ids = model.encode(format_spm_prompt(prompt, ""))
        got = complete_line(model, ids, config)
        results.append(
            {"prompt": prompt, "expected": expected, "completion": got, "match": got == expected}
        )
    return results


def evaluate(model: CodeModel, config: EvalConfig) -> EvalResult:
    """Run every metric on one split."""
    documents = read_documents(config.data_dir / f"{config.split}.jsonl")
    if not documents:
        raise ValueError(f"{config.data_dir / (config.split + '.jsonl')} holds no documents")
    bpb, tokens = bits_per_byte(model, documents, config)
    sample_text = "".join(documents[:50])
    bytes_per_token = len(sample_text.encode("utf-8")) / max(len(model.encode(sample_text)), 1)
    tasks = list(sample_line_tasks(documents, config))
    plain = line_completion(model, tasks, config, with_suffix=False)
    fim = line_completion(model, tasks, config, with_suffix=True)
    plain_healed = line_completion(model, tasks, config, with_suffix=False, healing=True)
    fim_healed = line_completion(model, tasks, config, with_suffix=True, healing=True)
    returns = docstring_return_tasks(documents, config)
    docstring_returns = (
        line_completion(model, returns, config, with_suffix=True, label="returns")
        if returns
        else None
    )
    config_dict = {key: str(value) for key, value in asdict(config).items()}
    examples = example_completions(model, config)
    return EvalResult(
        split=config.split,
        bits_per_byte=bpb,
        tokens_scored=tokens,
        bytes_per_token=bytes_per_token,
        line_completion_prefix_only=plain,
        line_completion_with_suffix=fim,
        docstring_returns=docstring_returns,
        line_completion_prefix_only_healed=plain_healed,
        line_completion_with_suffix_healed=fim_healed,
        config=config_dict,
        examples=examples,
    )

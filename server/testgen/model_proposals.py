"""Calls sampled from the code model: the function's source, then a test that starts calling it.

The model has read many test files, so after ``def test_clamp(): assert clamp(`` it tends
to write arguments a person would pick (in range, near the edges, matching the docstring). We
sample a few completions, keep the ones whose argument list parses and uses only literals and
builtins (a sampled name the test file would not define is a NameError, not a behaviour), and
hand them to the pipeline as ordinary proposals: the sandbox decides whether they are useful.

Plain code prompts, not the ``TESTS_FOR``/``TESTS_BODY`` task tokens: the model is not trained
on those yet, and an untrained special token only confuses it.
"""

from __future__ import annotations

import ast
import builtins
import logging
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from codegpt.model.generation import GenerateOptions
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.proposals import Proposal, proposal_from_call_text

if TYPE_CHECKING:
    from codegpt.model.runtime import CodeModel

logger = logging.getLogger(__name__)

#: Builtins an argument expression may use; anything else would not exist in the test file.
SAFE_BUILTINS = frozenset(
    {
        "None", "True", "False", "float", "int", "str", "bytes", "list", "tuple", "dict", "set",
        "frozenset", "range", "complex", "bool", "len", "abs", "min", "max", "sum", "sorted",
        "reversed", "bytearray",
    }
)  # fmt: skip
MAX_ARGUMENT_CHARS = 200  # longer argument lists are unreadable in a test


@dataclass(frozen=True)
class ModelProposalConfig:
    """How much to sample: a handful of completions, a few seeds, a hard time budget."""

    samples_per_seed: int = 3
    seeds: tuple[int, ...] = (0, 1, 2)  # fixed seeds: the same function gets the same calls
    temperature: float = 0.8  # enough variety between samples, still mostly plausible code
    top_p: float = 0.95
    max_new_tokens: int = 40  # an argument list plus "== expected" fits in well under 40 tokens
    time_budget_s: float = 4.0  # per seed; the built-in sources already give a usable result
    max_source_chars: int = 3000  # long functions are cut from the top; the call site matters
    # The prompt ends in "(", which BPE merges with what follows in training text ("([", "('",
    # "()"): healed, the first token may be one of those, so lists and strings come first as
    # often as in real tests instead of only after an unnatural lone "(".
    token_healing: bool = True


def callee_for(target: FunctionTarget) -> tuple[str, str]:
    """(setup line or "", callee text) for calling ``target`` inside a test function."""
    if target.kind == "method":
        return "obj = " + (target.class_name or "obj") + "()\n    ", f"obj.{target.name}"
    if target.class_name:
        return "", f"{target.class_name}.{target.name}"
    return "", target.name


def build_prompt(target: FunctionTarget, max_source_chars: int = 3000) -> str:
    """The function's source followed by the start of a pytest test that calls it."""
    source = _dedented(target.source) if target.source else f"def {target.name}():"
    if len(source) > max_source_chars:
        source = source[-max_source_chars:]
        source = source[source.find("\n") + 1 :]
    setup, callee = callee_for(target)
    test_name = target.name.strip("_") or "it"
    return f"{source}\n\n\ndef test_{test_name}():\n    {setup}assert {callee}("


def _dedented(source: str) -> str:
    """A method's source as ``ast.get_source_segment`` gives it (``def`` line not indented)."""
    first, _, rest = source.partition("\n")
    indents = [len(line) - len(line.lstrip()) for line in rest.splitlines() if line.strip()]
    if indents and not first.startswith((" ", "\t")):
        first = " " * max(0, min(indents) - 4) + first
    return textwrap.dedent(f"{first}\n{rest}").rstrip()


def argument_text(completion: str) -> str | None:
    """The argument list at the start of ``completion`` up to its closing ``)``; None if none.

    Tries each ``)`` in turn and keeps the first prefix that parses as a call, so parentheses
    inside strings or nested calls are handled by Python's own parser.
    """
    limit = min(len(completion), MAX_ARGUMENT_CHARS + 1)
    for index in range(limit):
        if completion[index] != ")":
            continue
        text = completion[:index]
        try:
            node = ast.parse(f"f({text})", mode="eval").body
        except SyntaxError:
            continue
        if isinstance(node, ast.Call):
            return text
    return None


def uses_only_literals(arguments: str) -> bool:
    """Whether every name in the arguments is a safe builtin (no free variables, no lambdas)."""
    try:
        tree = ast.parse(f"f({arguments})", mode="eval")
    except SyntaxError:
        return False
    call = tree.body
    assert isinstance(call, ast.Call), "argument_text only returns call argument lists"
    for node in ast.walk(ast.Module([ast.Expr(a) for a in call.args], [])):
        if isinstance(node, ast.Name) and (
            node.id not in SAFE_BUILTINS or not hasattr(builtins, node.id)
        ):
            return False
        if isinstance(node, ast.Lambda | ast.NamedExpr | ast.Await | ast.Yield | ast.Attribute):
            return False
    for keyword in call.keywords:
        if keyword.arg is None or not uses_only_literals(ast.unparse(keyword.value)):
            return False
    return True


def fits_signature(target: FunctionTarget, proposal: Proposal) -> bool:
    """Whether the call binds to the parameters (a TypeError at the call shows no behaviour)."""
    kinds = [p.kind for p in target.parameters]
    positional = [
        p for p in target.parameters if p.kind in ("positional_only", "positional_or_keyword")
    ]
    if len(proposal.args) > len(positional) and "var_positional" not in kinds:
        return False
    by_keyword = {p.name for p in target.parameters if p.kind != "positional_only"}
    given = {p.name for p in positional[: len(proposal.args)]}
    for key, _value in proposal.kwargs:
        if key in given or (key not in by_keyword and "var_keyword" not in kinds):
            return False
        given.add(key)
    return all(p.name in given for p in target.parameters if p.required)


def proposals_from_completions(
    target: FunctionTarget, completions: Sequence[str], limit: int
) -> list[Proposal]:
    """Distinct usable proposals from raw completions (the text after ``name(``)."""
    found: list[Proposal] = []
    seen: set[tuple] = set()
    for completion in completions:
        arguments = argument_text(completion)
        if arguments is None or not uses_only_literals(arguments):
            continue
        proposal = proposal_from_call_text(target, f"{target.name}({arguments})", origin="model")
        if proposal is None or not fits_signature(target, proposal):
            continue
        key = (proposal.args, proposal.kwargs)
        if key in seen:
            continue
        seen.add(key)
        found.append(proposal)
        if len(found) >= limit:
            break
    return found


class ModelProposalSource:
    """A ``ProposalSource`` backed by a loaded ``CodeModel``; safe to call from worker threads."""

    def __init__(
        self,
        model: CodeModel,
        config: ModelProposalConfig | None = None,
        cancel: threading.Event | None = None,
        runner: Callable[[Callable[[], Any]], Any] | None = None,
    ) -> None:
        self.model = model
        self.config = config or ModelProposalConfig()
        self.cancel = cancel
        # Where inference runs: the server passes its single inference thread; default: here.
        self.runner = runner or (lambda function: function())

    def completions(self, target: FunctionTarget) -> list[str]:
        """Raw sampled continuations of the prompt, in seed order."""
        config = self.config
        prompt = build_prompt(target, config.max_source_chars)
        ids = [END_OF_TEXT_ID, *self.model.encode(prompt)]
        room = self.model.max_context - config.max_new_tokens
        if room < 8:
            return []
        ids = ids[-room:]  # keep the call site; the source's start matters least
        texts: list[str] = []
        for seed in config.seeds:
            if self.cancel is not None and self.cancel.is_set():
                break
            options = GenerateOptions(
                max_new_tokens=config.max_new_tokens,
                temperature=config.temperature,
                top_p=config.top_p,
                num_return_sequences=config.samples_per_seed,
                stop_strings=("\n",),
                time_budget_s=config.time_budget_s,
                seed=seed,
                heal_prompt=config.token_healing,
            )
            generations = self.runner(partial(self.model.generate, ids, options))
            texts += [g.text for g in generations]
        return texts

    def __call__(self, target: FunctionTarget, limit: int) -> list[Proposal]:
        """At most ``limit`` model-sampled proposals for ``target``."""
        proposals = proposals_from_completions(target, self.completions(target), limit)
        logger.info("model proposed %d calls for %s", len(proposals), target.qualname)
        return proposals

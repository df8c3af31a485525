"""``codegpt doctor``: what is installed, what actually runs, and what is wrong.

Each check returns a ``Check``; the report prints them and the exit code says whether any
failed (1) or the environment itself is unusable (2), so CI and bug reports can rely on it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from codegpt import __version__
from codegpt.exit_codes import OK, PROBLEMS_FOUND, USAGE_ERROR

if TYPE_CHECKING:
    from codegpt.model.runtime import CodeModel

HELP = (
    "report versions, the onnxruntime package and providers, the model, its speed here and the "
    "grammar"
)

CORE_PACKAGES = ("pygls", "lsprotocol", "tree-sitter", "tree-sitter-python", "tokenizers", "numpy")
# A cold inline suggestion is a full prefill of its prompt plus a decode step per token: at the
# default budgets the prompt is up to ~350 tokens, 151 on average on the test split, and a
# single-line suggestion takes ~5 steps (benchmarks/bench_prompt_budget.py). 256 + 8 is a
# typical cold request; the server runs one onnxruntime thread by default.
SPEED_PROMPT_TOKENS = 256
SPEED_DECODE_STEPS = 8
SPEED_REPEATS = 3
COLD_TARGET_MS = 30.0  # the completion target, p50 of cold positions


@dataclass
class Check:
    """One line of the report: ``status`` is ok, warn, fail or env (environment unusable)."""

    name: str
    status: str
    detail: str


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_packages() -> list[Check]:
    """Core dependencies are present (a broken install shows here first)."""
    checks = [Check("codegpt", "ok", f"{__version__} (Python {platform.python_version()})")]
    for name in CORE_PACKAGES:
        version = package_version(name)
        if version is None:
            checks.append(Check(name, "env", "not installed: reinstall codegpt"))
        else:
            checks.append(Check(name, "ok", version))
    return checks


def check_onnxruntime() -> Check:
    """Exactly one of onnxruntime / onnxruntime-gpu: they share one import folder."""
    from codegpt.model.runtime import installed_onnxruntime_distributions

    installed = installed_onnxruntime_distributions()
    if not installed:
        return Check(
            "onnxruntime",
            "env",
            "neither onnxruntime nor onnxruntime-gpu is installed: "
            "pip install 'codegpt[cpu]' (or 'codegpt[gpu]')",
        )
    if len(installed) > 1:
        return Check(
            "onnxruntime",
            "env",
            "both onnxruntime and onnxruntime-gpu are installed and break each other: "
            "uninstall both, then install exactly one",
        )
    dist = installed[0]
    try:
        import onnxruntime

        available = ", ".join(onnxruntime.get_available_providers())
    except ImportError as error:
        return Check("onnxruntime", "env", f"{dist} is installed but does not import: {error}")
    return Check("onnxruntime", "ok", f"{dist} {package_version(dist)}; available: {available}")


def check_model(model_path: str | None) -> list[Check]:
    """Load the model the server would load and say which providers really run it."""
    from codegpt.model.paths import default_model_dir
    from codegpt.model.runtime import CodeModel, ModelLoadError, RuntimeOptions
    from codegpt.server.settings import ModelSettings

    model_dir = Path(model_path) if model_path else default_model_dir()
    server = ModelSettings()  # threads as the server runs them by default
    options = RuntimeOptions(
        model_dir=model_dir, threads=server.threads, prefill_threads=server.prefill_thread_count()
    )
    try:
        model = CodeModel.load(options)
    except ModelLoadError as error:
        return [Check("model", "fail", f"{model_dir}: {error}")]
    n_params = model.config.get("n_params")
    size = f", {n_params / 1e6:.1f}M parameters" if n_params else ""
    return [
        Check("model", "ok", f"{model_dir}{size}, context {model.max_context} tokens"),
        Check("execution providers", "ok", ", ".join(model.providers) + " (actually running)"),
        check_speed(model),
    ]


def check_speed(model: CodeModel) -> Check:
    """What a cold suggestion costs on this machine, against the completion target.

    The defaults were sized on a fast x86 core; on an older or AVX2-only CPU the same prompt can
    take twice as long, and the user should hear it here, with what to change.
    """
    import numpy as np

    from codegpt.model.runtime import filler_prompt

    model.warm_up()
    size = min(SPEED_PROMPT_TOKENS, model.max_context - SPEED_DECODE_STEPS - 1)
    ids = filler_prompt(size)
    step = np.asarray([ids[-1]], dtype=np.int64)
    prefills, decodes = [], []
    for _ in range(SPEED_REPEATS):
        started = time.perf_counter()
        past, _ = model.prefill(ids)
        prefilled = time.perf_counter()
        for _ in range(SPEED_DECODE_STEPS):
            _, past = model.decode_step(step, past)
        prefills.append(1000 * (prefilled - started))
        decodes.append(1000 * (time.perf_counter() - prefilled) / SPEED_DECODE_STEPS)
    prefill_ms, decode_ms = statistics.median(prefills), statistics.median(decodes)
    cold_ms = prefill_ms + SPEED_DECODE_STEPS * decode_ms
    detail = (
        f"{size}-token prefill {prefill_ms:.0f} ms, {decode_ms:.1f} ms per generated token: "
        f"a cold suggestion takes about {cold_ms:.0f} ms (target {COLD_TARGET_MS:.0f} ms)"
    )
    if cold_ms <= COLD_TARGET_MS:
        return Check("speed", "ok", detail)
    threads = (
        "model.prefillThreads 2 cuts it by about a fifth (a second core busy while a prompt "
        "runs), and "
        if model.prefill_session is model.session
        else ""
    )
    return Check(
        "speed",
        "warn",
        f"{detail}; {threads}smaller prompts cut it by about a quarter at some cost in exact "
        "match: completion.prefixTokens 192 and suffixTokens 48",
    )


def check_grammar() -> Check:
    """The tree-sitter grammar loads and parses (an ABI mismatch shows here)."""
    try:
        from codegpt.server.parsing import parse, python_language

        tree = parse("def f(x):\n    return x\n")
        language = python_language()
        abi = getattr(language, "abi_version", None) or getattr(language, "version", "?")
    except Exception as error:  # any failure here means the grammar is unusable
        return Check("tree-sitter grammar", "env", f"does not load: {error}")
    if tree.root_node.has_error:
        return Check("tree-sitter grammar", "fail", "parses valid Python with errors")
    return Check(
        "tree-sitter grammar",
        "ok",
        f"python (ABI {abi}), tree-sitter-python {package_version('tree-sitter-python')}",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the report."""
    parser.add_argument("--model", metavar="PATH", help="check this model folder instead")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    """Run every check; 0 all ok, 1 a problem found, 2 the environment is unusable."""
    checks = check_packages()
    runtime_check = check_onnxruntime()
    checks.append(runtime_check)
    checks.append(check_grammar())
    if runtime_check.status == "ok":
        checks.extend(check_model(args.model))
    if args.json:
        json.dump([asdict(check) for check in checks], sys.stdout, indent=2)
        print()
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            print(f"{check.status:>4}  {check.name:<{width}}  {check.detail}")
    statuses = {check.status for check in checks}
    if "env" in statuses:
        return USAGE_ERROR
    if "fail" in statuses:
        return PROBLEMS_FOUND
    return OK

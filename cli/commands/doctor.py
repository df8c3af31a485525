"""``codegpt doctor``: what is installed, what actually runs, and what is wrong.

Each check returns a ``Check``; the report prints them and the exit code says whether any
failed (1) or the environment itself is unusable (2), so CI and bug reports can rely on it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from codegpt import __version__
from codegpt.exit_codes import OK, PROBLEMS_FOUND, USAGE_ERROR

HELP = "report versions, the onnxruntime package and providers, the model and the grammar"

CORE_PACKAGES = ("pygls", "lsprotocol", "tree-sitter", "tree-sitter-python", "tokenizers", "numpy")


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

    model_dir = Path(model_path) if model_path else default_model_dir()
    try:
        model = CodeModel.load(RuntimeOptions(model_dir=model_dir))
    except ModelLoadError as error:
        return [Check("model", "fail", f"{model_dir}: {error}")]
    n_params = model.config.get("n_params")
    size = f", {n_params / 1e6:.1f}M parameters" if n_params else ""
    return [
        Check("model", "ok", f"{model_dir}{size}, context {model.max_context} tokens"),
        Check("execution providers", "ok", ", ".join(model.providers) + " (actually running)"),
    ]


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

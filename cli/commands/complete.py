"""``codegpt complete FILE --line L --col C``: the server's completion, from a shell.

Runs exactly the code the language server runs for ``textDocument/inlineCompletion`` (and, with
``--list``, ``textDocument/completion``), for scripting and for debugging a suggestion.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from codegpt.exit_codes import OK, PROBLEMS_FOUND, USAGE_ERROR

HELP = "complete code at a position (1-based line and column) with the model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """File, position, output format and model."""
    parser.add_argument("file", metavar="FILE", type=Path, help="a Python file")
    parser.add_argument("--line", type=int, required=True, help="1-based line of the cursor")
    parser.add_argument(
        "--col", type=int, required=True, help="1-based column (characters) of the cursor"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--list", action="store_true", help="also rank completion-list entries")
    parser.add_argument("--model", metavar="PATH", help="model folder (default: the bundled one)")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0 = auto)")
    parser.add_argument("--no-multi-line", action="store_true", help="single-line suggestions only")
    parser.add_argument(
        "--alternatives",
        type=int,
        default=1,
        metavar="N",
        help="up to N different suggestions, best first (a beam search; default 1)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the suggestion (or JSON); exit 1 when there is nothing to suggest."""
    from codegpt.server.completion.engine import CompletionEngine
    from codegpt.server.completion.service import document_view
    from codegpt.server.documents import Document
    from codegpt.server.model_service import ModelService, resolve_model_key
    from codegpt.server.positions import UTF16
    from codegpt.server.settings import CompletionSettings, ModelSettings

    if args.line < 1 or args.col < 1:
        print("codegpt complete: --line and --col count from 1", file=sys.stderr)
        return USAGE_ERROR
    try:
        text = args.file.read_bytes().decode("utf-8")
    except OSError as error:
        print(f"codegpt complete: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return USAGE_ERROR
    except UnicodeDecodeError as error:
        print(f"codegpt complete: {args.file} is not UTF-8 text ({error.reason})", file=sys.stderr)
        return USAGE_ERROR

    model_settings = ModelSettings(path=args.model, threads=max(0, args.threads))
    service = ModelService(lambda: resolve_model_key(model_settings, None))
    model = service.load_sync()
    if model is None:
        print(f"codegpt complete: {service.load_error}", file=sys.stderr)
        return USAGE_ERROR

    uri = args.file.resolve().as_uri()
    document = Document(uri, text, language_id="python", encoding=UTF16)
    line = min(args.line - 1, document.line_count() - 1)
    line_text = document.line_text(line)
    column = min(args.col - 1, len(line_text))
    if (line, column) != (args.line - 1, args.col - 1):
        print(
            f"codegpt complete: line {args.line}, column {args.col} is past the end of "
            f"{'the file' if line < args.line - 1 else 'the line'} "
            f"({document.line_count()} lines; line {line + 1} has {len(line_text)} characters):"
            f" completing at line {line + 1}, column {column + 1}",
            file=sys.stderr,
        )
    offset = document.offset_at((line, 0)) + column
    view = document_view(document, offset, workspace_root=root_of(args.file))
    settings = CompletionSettings(multi_line=not args.no_multi_line)
    engine = CompletionEngine()
    started = time.perf_counter()
    answer = engine.complete_inline(
        model,
        view,
        offset,
        settings,
        time_budget_s=settings.time_budget_ms / 1000,
        alternatives=max(1, args.alternatives),
    )
    latency_ms = 1000 * (time.perf_counter() - started)
    ranked = None
    if args.list:
        ranked = engine.complete_list(model, view, offset, settings)

    if args.json:
        payload = {
            "file": str(args.file),
            "line": line + 1,
            "col": column + 1,
            "suggestions": answer.texts,
            "mode": answer.mode.value if answer.mode else None,
            "source": answer.source,
            "reason": answer.reason,
            "meanLogprob": answer.mean_logprob,
            "promptTokens": answer.prompt_tokens,
            "latencyMs": round(latency_ms, 1),
            "model": str(model.model_dir),
        }
        if ranked is not None:
            payload["list"] = [
                {"word": c.word, "logprob": round(c.logprob, 3), "source": c.source}
                for c in ranked.candidates
            ]
        print(json.dumps(payload, indent=2))
    else:
        for suggestion in answer.texts:
            print(suggestion)
        if ranked is not None:
            for candidate in ranked.candidates:
                print(f"{candidate.logprob:8.3f}  {candidate.word}")
        if not answer.texts:
            print(f"codegpt complete: no suggestion ({answer.reason})", file=sys.stderr)
    return OK if answer.texts else PROBLEMS_FOUND


def root_of(path: Path) -> str | None:
    """The folder that holds the file: its sibling modules resolve like a workspace's."""
    return None if not path.parent.is_dir() else str(path.resolve().parent)

"""Write the model card and loss curve that ship next to the model.

Everything on the card is read from artifacts (the run's metrics.csv, the corpus manifest, the
exported config, the evaluation JSON), never typed by hand, so the card cannot drift from the
model it describes. Run: ``python -m codegpt.training.model_card --run runs/small
--corpus data/corpus --eval runs/small/eval.json --out model/default``.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
from pathlib import Path
from typing import Any

from codegpt.training.hardware import cpu_name, read_run_hardware

CODEXGLUE_ANCHOR = {"model": "CodeGPT-adapted (124M)", "exact_match": 42.37, "edit_sim": 71.59}


def read_metrics(path: Path) -> list[dict[str, float]]:
    """The run's CSV log as floats (empty cells become None)."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append({key: float(value) if value else None for key, value in row.items()})
    return rows


def plot_loss(rows: list[dict[str, Any]], out: Path) -> None:
    """Train and validation loss against tokens seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4), dpi=120)
    tokens = [row["tokens"] / 1e6 for row in rows]
    axis.plot(tokens, [row["train_loss"] for row in rows], label="train", linewidth=1)
    series = (
        ("val_loss", "validation"),
        ("val_fim_loss", "validation (FIM)"),
        ("val_mix_loss", "validation (repair pairs)"),
        ("val_ctxfim_loss", "validation (context-level FIM)"),
    )
    for key, label in series:
        points = [(row["tokens"] / 1e6, row[key]) for row in rows if row.get(key) is not None]
        if points:
            axis.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)
    axis.set_xlabel("tokens seen (millions)")
    axis.set_ylabel("cross-entropy (nats/token)")
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(out)
    plt.close(figure)


def licence_table(manifest: dict[str, Any]) -> list[str]:
    """One row per source package: version, licence, split, files kept."""
    packages = manifest.get("packages", {})
    lines = ["| source | version | licence | split | files |", "| --- | --- | --- | --- | --- |"]
    stdlib = manifest.get("sources", {}).get("stdlib", {})
    if stdlib:
        kept = sum(
            info.get("files_kept", 0)
            for info in packages.values()
            if info.get("source") == "stdlib"
        )
        lines.append(
            f"| Python standard library | {stdlib.get('python', '?')} | PSF-2.0 | by module "
            f"| {kept} |"
        )
    for source in manifest.get("sources", {}).get("pypi", []):
        info = packages.get(source["name"], {})
        licence = str(source.get("license") or "?").replace("|", "/")[:60]
        lines.append(
            f"| {source['name']} | {source.get('version', '?')} | {licence} | "
            f"{info.get('split', '-')} | {info.get('files_kept', 0)} |"
        )
    return lines


def render(
    config: dict[str, Any],
    manifest: dict[str, Any],
    rows: list[dict[str, Any]],
    evaluation: dict[str, Any] | None,
    commands: list[str],
    extra: dict[str, Any],
    hardware: dict[str, Any] | None = None,
) -> str:
    """The card's Markdown; ``hardware`` is the run's ``hardware.json`` (None: not recorded)."""
    last = rows[-1] if rows else {}
    vals = [row for row in rows if row.get("val_loss") is not None]
    hours = (last.get("elapsed_s") or 0) / 3600
    splits = manifest.get("splits", {})
    counts = manifest.get("counts", {})
    model = config.get("model", config)
    lines = [
        "# codegpt default model",
        "",
        "A small GPT decoder for Python, trained from scratch by `training/` on permissively",
        "licensed Python source with fill-in-the-middle, exported to ONNX (int8) and run by",
        "onnxruntime. It serves completion, repair and test-generation prompts in codegpt.",
        "",
        "## Model",
        "",
        "| field | value |",
        "| --- | --- |",
    ]
    for key in ("n_layer", "n_head", "n_embd", "block_size", "vocab_size", "dropout", "rope_theta"):
        if key in model:
            lines.append(f"| {key} | {model[key]} |")
    if config.get("n_params"):
        lines.append(f"| parameters | {config['n_params'] / 1e6:.2f}M |")
    for key, value in extra.items():
        lines.append(f"| {key} | {value} |")
    lines += [
        "",
        "Positions are rotary (RoPE); embeddings are tied; pre-norm blocks; causal attention",
        "through `scaled_dot_product_attention`.",
        "",
        "## Data",
        "",
        f"{counts.get('documents', '?')} documents kept of {counts.get('files_seen', '?')} files "
        f"seen; filtered: {json.dumps(counts.get('filtered', {}))}; exact duplicates "
        f"{counts.get('exact_duplicates', '?')}, near duplicates "
        f"{counts.get('near_duplicates', '?')}. Splits are by package (never one package in two).",
        "",
        "| split | packages | documents | tokens | bytes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in ("train", "val", "test"):
        split = splits.get(name, {})
        lines.append(
            f"| {name} | {len(split.get('packages', []))} | {split.get('documents', '?')} | "
            f"{split.get('tokens', '?')} | {split.get('bytes', '?')} |"
        )
    for extension in manifest.get("extensions", []):
        added = extension.get("counts", {})
        stdlib = extension.get("stdlib")
        only = ", ".join(f"`{glob}`" for glob in stdlib.get("only", [])) if stdlib else ""
        read = f"; the Python {stdlib.get('python', '?')} standard library" if stdlib else ""
        read += f", {only} only" if only else ""
        lines += [
            "",
            f"Added to the train split afterwards (`codegpt corpus --extend`, "
            f"{extension.get('manifest', '?')}{read}): {added.get('documents', '?')} documents of "
            f"{len(extension.get('packages', []))} packages, each in "
            f"{extension.get('repeat', 1)} FIM draws "
            f"({extension.get('train_added', {}).get('tokens', '?')} tokens, included above); "
            f"{added.get('held_out_copies', '?')} copies of validation or test files dropped. "
            "The tokenizer, validation and test files are the base build's.",
        ]
    lines += [
        "",
        f"Tokenizer: byte-level BPE, {manifest.get('config', {}).get('vocab_size', '?')} tokens, "
        f"**{manifest.get('bytes_per_token_test', '?')} bytes per token** on the test split.",
        "About half of the training documents are fill-in-the-middle examples (PSM and SPM).",
        "",
        "### Sources and licences",
        "",
        *licence_table(manifest),
        "",
        "## Training",
        "",
        f"- tokens seen: {int(last.get('tokens') or 0):,} in {int(last.get('step') or 0):,} steps",
        # A model continued over sessions trained on several machines; hardware.json is the last's.
        f"- wall time: {hours:.2f} h in all; the last run on {hardware_line(hardware)}",
        f"- last train loss {last.get('train_loss')}, "
        f"last validation loss {vals[-1]['val_loss'] if vals else '?'} "
        f"(FIM: {vals[-1].get('val_fim_loss') if vals else '?'}) nats/token",
        "",
        "![loss curve](loss.png)",
        "",
        "## Evaluation (test split, through the int8 ONNX runtime)",
        "",
    ]
    if evaluation:
        plain = evaluation["line_completion_prefix_only"]
        fim = evaluation["line_completion_with_suffix"]
        lines += [
            f"- bits per byte: **{evaluation['bits_per_byte']:.3f}** "
            f"({evaluation['tokens_scored']:,} tokens)",
            "",
            "| line completion | samples | exact match | edit similarity |",
            "| --- | --- | --- | --- |",
            f"| prefix only | {plain['samples']} | {plain['exact_match']:.2f} | "
            f"{plain['edit_similarity']:.2f} |",
            f"| prefix + suffix (FIM) | {fim['samples']} | {fim['exact_match']:.2f} | "
            f"{fim['edit_similarity']:.2f} |",
            *healed_rows(evaluation),
            *returns_row(evaluation.get("docstring_returns")),
            f"| anchor: {CODEXGLUE_ANCHOR['model']} on PY150 | - | "
            f"{CODEXGLUE_ANCHOR['exact_match']} | {CODEXGLUE_ANCHOR['edit_sim']} |",
            "",
            "The anchor is a 124M-parameter model on a different test set (PY150); it shows the",
            "distance to a well-trained model, not a like-for-like comparison. *Documented",
            "returns*: functions of the test split whose body is a docstring and a one-line",
            "`return`, completed right after `return` with the rest of the file as suffix.",
            *healed_note(evaluation),
            *example_table(evaluation.get("examples", [])),
        ]
    else:
        lines.append("Not evaluated yet.")
    lines += ["", "## Commands that produced this model", "", "```sh", *commands, "```", ""]
    return "\n".join(lines)


def healed_rows(evaluation: dict[str, Any]) -> list[str]:
    """The token-healed line-completion rows (absent in older evaluations)."""
    rows = []
    for key, name in (
        ("line_completion_prefix_only_healed", "prefix only, cut healed"),
        ("line_completion_with_suffix_healed", "prefix + suffix (FIM), cut healed"),
    ):
        result = evaluation.get(key)
        if result:
            rows.append(
                f"| {name} | {result['samples']} | {result['exact_match']:.2f} | "
                f"{result['edit_similarity']:.2f} |"
            )
    return rows


def healed_note(evaluation: dict[str, Any]) -> list[str]:
    """What *cut healed* means, when those rows are shown."""
    if not evaluation.get("line_completion_prefix_only_healed"):
        return []
    return [
        "*Cut healed*: the same cuts with token healing, as the editor completes them (the",
        "partial word the prompt ends in is taken off, up to 3 tokens, and the completion must",
        "spell it again): a cut at a random character mostly ends inside a token, which no",
        "training text did.",
    ]


def returns_row(result: dict[str, Any] | None) -> list[str]:
    """The documented-returns row of the line-completion table (absent in older evaluations)."""
    if not result:
        return []
    return [
        f"| documented returns (FIM) | {result['samples']} | {result['exact_match']:.2f} | "
        f"{result['edit_similarity']:.2f} |"
    ]


def example_table(examples: list[dict]) -> list[str]:
    """Markdown rows for the fixed example prompts (greedy, the editor's prompt format)."""
    if not examples:
        return []
    matched = sum(bool(example["match"]) for example in examples)
    rows = [
        "",
        f"Fixed examples (greedy, rest of the line): {matched} of {len(examples)} as expected.",
        "",
        "| prompt (last line) | expected | completion |",
        "| --- | --- | --- |",
    ]
    for example in examples:
        last_line = example["prompt"].rsplit("\n", 1)[-1]
        cells = [last_line, example["expected"], example["completion"]]
        shown = [f"`{cell!r}`".replace("|", "\\|") for cell in cells]  # quotes show the spaces
        rows.append("| " + " | ".join(shown) + " |")
    return rows


def hardware_line(hardware: dict[str, Any] | None) -> str:
    """Where the (last) run trained and in what precision, as its hardware.json recorded."""
    if hardware is None:
        return f"{cpu_name()} ({platform.machine()}) (the card's machine; the run did not record)"
    parts = [hardware.get("gpu") or f"{hardware.get('cpu', '?')} ({hardware.get('machine', '?')})"]
    parts.append(_count(hardware.get("processes", 1), "process", "processes"))
    if not hardware.get("gpu"):
        parts.append(_count(hardware.get("threads", 0), "thread", "threads"))
    parts.append(str(hardware.get("precision", "precision not recorded")))
    return ", ".join(parts)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def main() -> None:
    """Read the artifacts and write MODEL_CARD.md and loss.png into the model folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", type=Path, required=True, help="training run folder")
    parser.add_argument("--corpus", type=Path, required=True, help="corpus folder")
    parser.add_argument("--eval", type=Path, help="codegpt eval --out JSON")
    parser.add_argument("--out", type=Path, required=True, help="model folder")
    parser.add_argument("--commands", type=Path, help="text file: the commands, one per line")
    parser.add_argument("--extra", type=Path, help="JSON object of extra facts for the table")
    args = parser.parse_args()
    rows = read_metrics(args.run / "metrics.csv")
    config = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    evaluation = json.loads(args.eval.read_text(encoding="utf-8")) if args.eval else None
    commands = args.commands.read_text(encoding="utf-8").splitlines() if args.commands else []
    extra = json.loads(args.extra.read_text(encoding="utf-8")) if args.extra else {}
    plot_loss(rows, args.out / "loss.png")
    card = render(config, manifest, rows, evaluation, commands, extra, read_run_hardware(args.run))
    (args.out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


if __name__ == "__main__":
    main()

"""One command, one GPU, under 10 minutes: local corpus -> train -> export -> eval -> ``$OUT``.

Made for the device machine of issue 3 (one H200, 16 cores, no network, no ``codegpt``
installed, at most 8 files of <= 16 MiB and 64 MiB in all come back from ``$OUT``). Every phase
runs the ordinary CLI (``python -m codegpt corpus|train|export|eval``) in a child process with a
deadline, so the whole run checks the clock and never outlives ``--total-s``:

1. corpus (``--corpus-s``, 150 s): the Python sources already on the machine (its standard
   library and site-packages: torch, transformers, jax, scipy, ...), copyleft distributions left
   out, at most ``--package-mb`` per package, sampled by a stable hash and pre-filtered with
   ``check_source`` on all cores into a staging folder. Staging stops when the projected serial
   build time (measured filter cost x SERIAL_FACTOR, plus tokenizer core-seconds per MB) would
   overrun the phase; then ``codegpt corpus --no-download`` builds from a manifest naming only
   the staged folders.
2. mix (``--mix-s``, 60 s, three children side by side): repair pairs
   (``training/repair_shards.py``), context-level FIM examples
   (``training/context_fim_shards.py``) and short documented functions
   (``training/docstring_shards.py``) from ``--mix-documents`` train documents each. The
   shipped model serves repair (its quick fixes are scored with the repair tokens) and completes
   with the suffix in view; whole-file FIM in 512-token windows teaches neither (the suffix a
   middle needs lies thousands of tokens back). A signature and a docstring with the body to
   come is the shape of most completions (the model issue's own probe), a small part of a long
   file in the corpus. Mixed in at ``--mix-fraction``; if a child fails or runs late, training
   goes on without its part and the summary says so.
3. train (``--train-s``, 270 s plus whatever the corpus and mix left): ``codegpt train
   --max_time_s`` in bf16, with ``--peak_flops`` so metrics.csv gets an ``mfu`` column.
4. export + eval (``--export-s``, 90 s): int8 ONNX for the CPU, then ``codegpt eval``.

Why ``small`` and not ``base`` by default: what comes back is capped at 64 MiB. ``base`` (12 x
768, vocabulary 16384) has 97.5M parameters: 195 MB of fp16 weights and ~98 MB of int8 ONNX,
more than the cap even split; it can be trained here (``--config base``) but only its numbers
come back. ``small`` (6 x 256, 8.9M parameters: int8 ONNX ~9.5 MB, fp16 weights 17.8 MB = 2
files) comes back whole and is the shape the CPU default serves within its latency targets, so
the GPU run can ship a better default without making it slower. Its 6N + attention = 63
MFLOPs/token let 5 H200 minutes see hundreds of millions of tokens, against ~10M in a 2-hour
CPU run.

Files in ``$OUT`` (priority order; whatever breaks the limits is left out and logged): run.log,
summary.json (timings, MFU, train and eval numbers, corpus manifest, licences), metrics.csv,
config.json, tokenizer.json, model.onnx (int8), weights.safetensors or weights.partN.safetensors
(fp16, split below 16 MiB; ``--merge-weights DIR`` joins them into ``weights.safetensors``).

Arithmetic for ``small``: 16384 x 256 + 6 x (12 x 256^2 + 2 x 256) + 256 = 8.92M parameters;
fp16 weights 17.8 MB = 17.0 MiB, so two parts; int8 ONNX ~9 MB; ~29 MB back in all.

Device command (``run`` tool; nothing to carry, the working tree travels; 570 s by default)::

    command: PYTHONUNBUFFERED=1 bash training/gpu_run.sh --out "$OUT" --config small
             --peak-flops 7.9e14
    timeout_s: 600
    carry: []

Afterwards, here: ``python training/gpu_run.py --merge-weights DIR`` on the fetched folder.

CPU check (tests/test_gpu_run.py does this with a few stdlib packages)::

    bash training/gpu_run.sh --out /tmp/out --config tiny --device cpu --no-stdlib
        --no-site-packages --source DIR --total-s 90 --corpus-s 25 --train-s 15 --export-s 40
"""

from __future__ import annotations

import argparse
import csv
import email.parser
import hashlib
import json
import logging
import multiprocessing
import os
import platform
import re
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# pyproject's package-dir mapping, rebuilt as symlinks where no codegpt is installed.
PACKAGE_DIRS = {"server": "server", "model": "model", "training": "training"}

MIB = 1024 * 1024
OUT_MAX_FILES = 8
OUT_MAX_FILE_BYTES = 16 * MIB
OUT_MAX_TOTAL_BYTES = 64 * MIB
WEIGHT_PART_BYTES = 15 * MIB  # below the per-file limit with room for the safetensors header

# The serial corpus pipeline re-runs the filters and adds MinHash, whose cost is about the
# filters' again, plus dedup and FIM: 2.3x the staged filter CPU time, measured.
SERIAL_FACTOR = 2.5
# BPE training plus tokenizing the shards: 3.9-4.7 core-seconds per MB measured on our 2-core
# machine; the BPE merge phase is serial, so at most 8 cores are counted. Both constants were
# checked against a whole-stdlib build here: 33 s projected, 28 s taken.
TOKENIZE_CORE_S_PER_MB = 4.5
CHILD_START_S = 8.0  # python + imports of one child process
COPYLEFT = re.compile(r"\b(A?GPL|LGPL|MPL|EPL|GNU|Mozilla|Eclipse)\b", re.IGNORECASE)

# Training settings per model size; anything can be overridden with --train-arg KEY=VALUE.
PRESETS: dict[str, dict[str, str]] = {
    "tiny": {
        "batch_size": "8",
        "learning_rate": "1e-3",
        "min_lr": "1e-4",
        "warmup_steps": "10",
        "eval_interval": "50",
        "eval_iters": "2",
        "log_interval": "5",
    },
    # 256 x 512 = 131k tokens a step: enough to keep an H200 busy with a 256-wide model, and a
    # small model tolerates a higher peak learning rate than GPT-3's 6e-4 for 124M parameters.
    "small": {
        "batch_size": "256",
        "learning_rate": "1e-3",
        "min_lr": "1e-4",
        "warmup_steps": "200",
        "eval_interval": "500",
        "eval_iters": "10",
        "log_interval": "50",
    },
    "base": {
        "batch_size": "64",
        "learning_rate": "6e-4",
        "min_lr": "6e-5",
        "warmup_steps": "200",
        "eval_interval": "250",
        "eval_iters": "10",
        "log_interval": "25",
    },
}

log = logging.getLogger("gpu_run")


class RunError(RuntimeError):
    """A phase failed or ran out of time; the message says which and why."""


# ------------------------------------------------------------------------------- set-up


def source_tree_path(work: Path) -> Path:
    """A folder where ``import codegpt`` finds this source tree, installed or not.

    ``cli/`` is the package itself, so its files are linked one by one into a fresh
    ``codegpt/`` folder (nothing is added to ``cli/``), and the other folders as subpackages.
    """
    root = work / "src-path"
    package = root / "codegpt"
    if package.exists():
        shutil.rmtree(root)
    package.mkdir(parents=True)
    for entry in (REPO / "cli").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in PACKAGE_DIRS.items():
        (package / name).symlink_to(REPO / folder)
    return root


class Clock:
    """Seconds since the run started, against its hard end."""

    def __init__(self, total_s: float) -> None:
        self.start = time.monotonic()
        self.total_s = total_s

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def left(self) -> float:
        """Seconds until the hard end."""
        return self.total_s - self.elapsed()


class ElapsedFormatter(logging.Formatter):
    """Prefix each line with the run's elapsed seconds: timings read straight off the log."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def format(self, record: logging.LogRecord) -> str:
        """``[  12.3s] message``."""
        return f"[{self.clock.elapsed():7.1f}s] {record.getMessage()}"


def setup_logging(clock: Clock, log_path: Path) -> None:
    """Log to stderr and to run.log (flushed per line, so a killed run keeps its log)."""
    formatter = ElapsedFormatter(clock)
    handlers: list[logging.Handler] = [
        logging.StreamHandler(sys.stderr),
        logging.FileHandler(log_path),
    ]
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


# ------------------------------------------------------------------------------- sources


@dataclass
class SourceRoot:
    """A folder whose top-level entries are packages (the stdlib, a site-packages, ...)."""

    label: str
    path: Path
    exclude: tuple[str, ...] = ()
    licences: dict[str, str] = field(default_factory=dict)  # package -> licence, if known


def dist_licences(site_dir: Path) -> dict[str, str]:
    """Top-level package name -> licence, read from the ``*.dist-info/METADATA`` files."""
    licences: dict[str, str] = {}
    for info in sorted(site_dir.glob("*.dist-info")):
        try:
            message = email.parser.Parser().parsestr(
                (info / "METADATA").read_text(encoding="utf-8", errors="replace")
            )
        except OSError:
            continue
        classifiers = [
            c.split("::")[-1].strip()
            for c in message.get_all("Classifier", [])
            if c.startswith("License ::")
        ]
        first = (message.get("License", "") or "").strip().splitlines()
        licence = (
            message.get("License-Expression", "")
            or "; ".join(classifiers)
            or (first[0][:100] if first else "")
            or "UNKNOWN"
        )
        for name in top_level_names(info):
            licences.setdefault(name, licence)
    return licences


def top_level_names(info: Path) -> set[str]:
    """The top-level modules a distribution installs (top_level.txt, else its RECORD)."""
    top_level = info / "top_level.txt"
    if top_level.is_file():
        return {line.strip() for line in top_level.read_text().splitlines() if line.strip()}
    names = set()
    record = info / "RECORD"
    if record.is_file():
        for line in record.read_text(errors="replace").splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith((".dist-info", ".data")) and first != "..":
                names.add(first.removesuffix(".py"))
    return names


def default_roots(stdlib: bool, site_packages: bool) -> list[SourceRoot]:
    """The running interpreter's standard library and site-packages folders."""
    from codegpt.training.corpus import DEFAULT_MANIFEST
    from codegpt.training.sources import load_manifest, stdlib_root

    roots = []
    if stdlib:
        exclude = load_manifest(DEFAULT_MANIFEST).stdlib.exclude
        roots.append(SourceRoot("stdlib", stdlib_root(), exclude))
    if site_packages:
        candidates = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
        candidates.append(sysconfig.get_paths()["platlib"])
        seen: set[Path] = set()
        for candidate in candidates:
            path = Path(candidate).resolve()
            if path.is_dir() and path not in seen:
                seen.add(path)
                label = "site" if len(seen) == 1 else f"site{len(seen)}"
                roots.append(SourceRoot(label, path, licences=dist_licences(path)))
    return roots


@dataclass
class Candidate:
    """One file to check, and where it goes in the staging folder if it passes."""

    package: str  # "<label>/<entry>"
    source: Path
    target: Path
    size: int


def candidates(roots: list[SourceRoot], stage: Path, package_mb: float, seed: int) -> tuple:
    """Files of every package up to ``package_mb``, in a stable pseudo-random global order.

    Returns ``(candidates, skipped_packages)``: copyleft packages are skipped and listed.
    """
    from codegpt.training.filters import FilterConfig
    from codegpt.training.sources import SKIPPED_DIRS, excluded, walk_python_files

    max_bytes = FilterConfig().max_bytes
    chosen: list[Candidate] = []
    skipped: dict[str, str] = {}
    for root in roots:
        for entry in sorted(root.path.iterdir()):
            name = entry.name
            if name in SKIPPED_DIRS or name.startswith(".") or name.endswith("-info"):
                continue
            if entry.is_file() and entry.suffix != ".py":
                continue
            package = f"{root.label}/{name.removesuffix('.py')}"
            licence = root.licences.get(name.removesuffix(".py"), "")
            if COPYLEFT.search(licence):
                skipped[package] = licence
                continue
            members = []
            for path in walk_python_files(entry):
                relative = path.relative_to(root.path).as_posix()
                if excluded(relative, root.exclude):
                    continue
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if size <= max_bytes:
                    members.append((stable_key(seed, relative), path, relative, size))
            budget = package_mb * 1_000_000
            for _, path, relative, size in sorted(members):
                if size > budget:
                    continue
                budget -= size
                target = stage / root.label / relative
                chosen.append(Candidate(package, path, target, size))
    chosen.sort(key=lambda c: stable_key(seed, str(c.target)))
    return chosen, skipped


def stable_key(seed: int, text: str) -> str:
    """A position that does not depend on Python's salted hash."""
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def check_and_copy(task: tuple[str, str]) -> tuple[bool, str, float]:
    """Worker: run the corpus filters on one file, copy it to staging if it passes.

    Returns ``(kept, reason, cpu seconds of the check)``.
    """
    from codegpt.training.filters import check_source

    source, target = task
    try:
        data = Path(source).read_bytes()
    except OSError:
        return False, "unreadable", 0.0
    start = time.process_time()
    text, reason = check_source(data)
    spent = time.process_time() - start
    if text is None:
        return False, reason, spent
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_bytes(data)
    return True, "", spent


@dataclass
class StageStats:
    """What the staging step kept and its projection of the build's time."""

    files_checked: int = 0
    files_kept: int = 0
    bytes_kept: int = 0
    filter_cpu_s: float = 0.0
    projected_build_s: float = 0.0
    stopped_by: str = "sources exhausted"
    rejected: dict[str, int] = field(default_factory=dict)
    packages: int = 0


def projected_build_s(stats: StageStats, jobs: int) -> float:
    """Seconds the serial ``codegpt corpus`` build should take on what is staged so far."""
    megabytes = stats.bytes_kept / 1e6
    tokenize = megabytes * TOKENIZE_CORE_S_PER_MB / min(jobs, 8)
    return CHILD_START_S + SERIAL_FACTOR * stats.filter_cpu_s + tokenize


def stage_sources(
    chosen: list[Candidate], budget_s: float, max_mb: float, jobs: int, clock: Clock
) -> StageStats:
    """Check candidates on all cores, copying the kept ones, until the budget or size is hit."""
    stats = StageStats()
    rejected: dict[str, int] = defaultdict(int)
    packages: set[str] = set()
    deadline = clock.elapsed() + budget_s
    batch = max(64, 16 * jobs)
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        for start in range(0, len(chosen), batch):
            part = chosen[start : start + batch]
            tasks = [(str(c.source), str(c.target)) for c in part]
            for candidate, (kept, reason, spent) in zip(
                part, pool.map(check_and_copy, tasks, chunksize=4), strict=True
            ):
                stats.files_checked += 1
                stats.filter_cpu_s += spent
                if kept:
                    stats.files_kept += 1
                    stats.bytes_kept += candidate.size
                    packages.add(candidate.package)
                else:
                    rejected[reason] += 1
            stats.projected_build_s = projected_build_s(stats, jobs)
            if stats.bytes_kept >= max_mb * 1e6:
                stats.stopped_by = f"--corpus-mb {max_mb:g}"
                break
            if clock.elapsed() + stats.projected_build_s >= deadline:
                stats.stopped_by = "time budget"
                break
    stats.rejected = dict(rejected)
    stats.packages = len(packages)
    return stats


def write_manifest(path: Path, folders: list[Path], package_mb: float) -> None:
    """A sources manifest naming only local folders: nothing is downloaded."""
    paths = ", ".join(json.dumps(str(folder)) for folder in folders)
    path.write_text(
        "# Written by training/gpu_run.py: staged local sources only.\n"
        f"[corpus]\nmax_package_mb = {package_mb}\n\n"
        "[stdlib]\ninclude = false\n\n"
        f"[local]\npaths = [{paths}]\n",
        encoding="utf-8",
    )


# ------------------------------------------------------------------------------- children


def run_child(
    name: str,
    args: list[str],
    deadline_s: float,
    clock: Clock,
    heartbeat: Path | None = None,
    verbose: bool = True,
    module: str = "codegpt",
) -> float:
    """Run ``python -m codegpt ARGS`` (or ``-m module``), logging its output; returns its time.

    Past ``deadline_s`` (seconds on the run's clock) it gets SIGTERM (train stops at the next
    step with a checkpoint), then SIGKILL 20 s later; a child that was stopped and did not exit
    cleanly is a RunError. ``verbose`` adds ``-v`` (INFO logs: the corpus step timings).
    """
    command = [sys.executable, "-m", module, *(["-v"] if verbose else []), *args]
    log.info("[%s] $ %s (deadline at %.0f s)", name, " ".join(command[1:]), deadline_s)
    started = clock.elapsed()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        cwd=REPO,
    )

    def pump() -> None:
        assert process.stdout is not None, "stdout is a pipe"
        for line in process.stdout:
            for piece in line.rstrip("\n").split("\r"):
                if piece.strip():
                    log.info("[%s] %s", name, piece.rstrip())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    last_beat = clock.elapsed()
    terminated_at = None
    while process.poll() is None:
        time.sleep(0.5)
        now = clock.elapsed()
        if heartbeat is not None and now - last_beat >= 30:
            last_beat = now
            log.info("[%s] %s", name, latest_metrics(heartbeat))
        if terminated_at is None and now >= deadline_s:
            log.warning("[%s] past its deadline: SIGTERM", name)
            process.send_signal(signal.SIGTERM)
            terminated_at = now
        elif terminated_at is not None and now >= terminated_at + 20:
            log.warning("[%s] still running: SIGKILL", name)
            process.kill()
    reader.join(timeout=5)
    spent = clock.elapsed() - started
    log.info("[%s] exit %s after %.1f s", name, process.returncode, spent)
    if terminated_at is not None and process.returncode != 0:
        raise RunError(f"{name} ran past its deadline and was stopped")
    if process.returncode != 0:
        raise RunError(f"{name} failed with exit code {process.returncode}")
    return spent


def read_metrics(path: Path) -> list[dict[str, str]]:
    """metrics.csv rows (empty when the file is not there yet)."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def latest_metrics(path: Path) -> str:
    """One line about the newest training-log row."""
    rows = [r for r in read_metrics(path) if r.get("tokens_per_s")]
    if not rows:
        return "no metrics yet"
    row = rows[-1]
    mfu = f", MFU {float(row['mfu']):.1%}" if row.get("mfu") else ""
    return (
        f"step {row['step']}, {int(row['tokens']):,} tokens, loss {row['train_loss']}, "
        f"{float(row['tokens_per_s']):,.0f} tokens/s{mfu}"
    )


def train_summary(path: Path, flops_note: dict) -> dict:
    """Final numbers of the run from metrics.csv: the median logged rate and MFU."""
    rows = read_metrics(path)
    if not rows:
        return {}
    rates = sorted(float(r["tokens_per_s"]) for r in rows if r.get("tokens_per_s"))
    mfus = sorted(float(r["mfu"]) for r in rows if r.get("mfu"))
    evaluated = [r for r in rows if r.get("val_loss")]
    last = rows[-1]
    return {
        "steps": int(last["step"]),
        "tokens_seen": int(last["tokens"]),
        "train_loss": float(last["train_loss"]),
        "val_loss": float(evaluated[-1]["val_loss"]) if evaluated else None,
        **{
            key: float(evaluated[-1][key]) if evaluated and evaluated[-1].get(key) else None
            for key in ("val_fim_loss", "val_mix_loss", "val_ctxfim_loss")
        },
        "train_s": float(last["elapsed_s"]),
        "median_tokens_per_s": rates[len(rates) // 2] if rates else None,
        "median_mfu": mfus[len(mfus) // 2] if mfus else None,
        **flops_note,
    }


# ------------------------------------------------------------------------------- artifacts


def split_weights(weights: Path, folder: Path, part_bytes: int = WEIGHT_PART_BYTES) -> list[Path]:
    """The fp16 weights as one file if it fits the per-file limit, else as several parts."""
    if weights.stat().st_size <= OUT_MAX_FILE_BYTES:
        return [weights]
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(weights))
    parts: list[dict] = [{}]
    sizes = [0]
    for name in sorted(tensors, key=lambda n: -tensors[n].nbytes):
        size = tensors[name].nbytes
        index = next((i for i, used in enumerate(sizes) if used + size <= part_bytes), None)
        if index is None:
            parts.append({})
            sizes.append(0)
            index = len(parts) - 1
        parts[index][name] = tensors[name]
        sizes[index] += size
    paths = []
    for index, part in enumerate(parts):
        path = folder / f"weights.part{index}.safetensors"
        save_file(part, str(path))
        paths.append(path)
    return paths


def merge_weights(folder: Path) -> Path:
    """Join ``weights.partN.safetensors`` back into ``weights.safetensors`` (for shipping)."""
    from safetensors.numpy import load_file, save_file

    merged: dict = {}
    for part in sorted(folder.glob("weights.part*.safetensors")):
        merged.update(load_file(str(part)))
    if not merged:
        raise RunError(f"no weights.part*.safetensors in {folder}")
    out = folder / "weights.safetensors"
    save_file(merged, str(out))
    return out


def publish(files: list[Path], out: Path, reserve: int = 0) -> tuple[list[dict], list[str]]:
    """Copy files into ``out`` in priority order within the device tool's limits.

    ``reserve`` file slots stay free (summary.json is written last but must come back).
    """
    published, left_out = [], []
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    count = sum(1 for p in out.iterdir() if p.is_file())
    for path in files:
        if not path.is_file():
            continue
        size = path.stat().st_size
        target = out / path.name
        if target.exists():  # already there (run.log): counted above
            published.append({"file": path.name, "bytes": size})
            continue
        if size > OUT_MAX_FILE_BYTES:
            left_out.append(f"{path.name} ({size / MIB:.1f} MiB > 16 MiB)")
        elif count + 1 > OUT_MAX_FILES - reserve:
            left_out.append(f"{path.name} (more than {OUT_MAX_FILES} files)")
        elif total + size > OUT_MAX_TOTAL_BYTES:
            left_out.append(f"{path.name} (over 64 MiB in all)")
        else:
            shutil.copyfile(path, target)
            total += size
            count += 1
            published.append({"file": path.name, "bytes": size})
    return published, left_out


# ------------------------------------------------------------------------------- the run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Budgets, sources, model and outputs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="artifact folder (default: $OUT)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument("--config", default="small", help="model config (tiny, small, base)")
    parser.add_argument("--device", default="cuda", help="cuda or cpu")
    parser.add_argument("--peak-flops", type=float, default=7.9e14, help="per-device peak FLOP/s")
    parser.add_argument("--total-s", type=float, default=570.0, help="hard end of the whole run")
    parser.add_argument("--corpus-s", type=float, default=150.0, help="corpus phase share")
    parser.add_argument("--train-s", type=float, default=270.0, help="training time share")
    parser.add_argument("--export-s", type=float, default=90.0, help="export + eval share")
    parser.add_argument(
        "--mix-s", type=float, default=60.0, help="repair, FIM and docstring shards share"
    )
    parser.add_argument(
        "--mix-documents", type=int, default=1500, help="train documents per mixed shard (0: none)"
    )
    parser.add_argument(
        "--mix-fraction", type=float, default=0.3, help="share of training rows from the mix"
    )
    parser.add_argument("--corpus-mb", type=float, default=600.0, help="cap on staged source")
    parser.add_argument("--package-mb", type=float, default=12.0, help="cap per package")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--no-stdlib", dest="stdlib", action="store_false")
    parser.add_argument("--no-site-packages", dest="site_packages", action="store_false")
    parser.add_argument(
        "--source", type=Path, action="append", default=[], help="extra folder of packages"
    )
    parser.add_argument("--eval-lines", type=int, default=100, help="line-completion samples")
    parser.add_argument("--bpb-tokens", type=int, default=50_000, help="tokens for bits/byte")
    parser.add_argument("--fp16", action="store_true", help="also export model.fp16.onnx")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument(
        "--train-arg", action="append", default=[], metavar="KEY=VALUE", help="train override"
    )
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--merge-weights", type=Path, metavar="DIR", help="only merge parts")
    return parser.parse_args(argv)


@dataclass
class Summary:
    """summary.json: everything a later session needs to judge and ship the run."""

    args: dict
    environment: dict = field(default_factory=dict)
    phases_s: dict = field(default_factory=dict)
    staging: dict = field(default_factory=dict)
    skipped_copyleft: dict = field(default_factory=dict)
    licences: dict = field(default_factory=dict)
    corpus: dict = field(default_factory=dict)
    mix: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    eval: dict = field(default_factory=dict)
    artifacts: list = field(default_factory=list)
    left_out: list = field(default_factory=list)
    error: str = ""


def environment() -> dict:
    """Python, CPU count and GPU name (without importing torch here)."""
    gpu = ""
    if shutil.which("nvidia-smi"):
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=False,
        )
        gpu = done.stdout.strip()
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "gpu": gpu}


def run(args: argparse.Namespace, out: Path, work: Path, clock: Clock, summary: Summary) -> None:
    """The four phases; artifacts are published as soon as they exist."""
    from codegpt.model.configs import model_config

    model_cfg = model_config(args.config)
    summary.environment = environment()
    log.info("environment: %s", summary.environment)

    # ---------------------------------------------------------------- 1. corpus
    phase_start = clock.elapsed()
    roots = default_roots(args.stdlib, args.site_packages)
    roots += [SourceRoot(folder.resolve().name, folder.resolve()) for folder in args.source]
    labels = [root.label for root in roots]
    if len(set(labels)) != len(labels):
        raise RunError(f"two source folders share a name: {labels}")
    for root in roots:
        if not root.path.is_dir():
            raise RunError(f"source folder {root.path} does not exist")
        log.info("source %s: %s", root.label, root.path)
    stage = work / "stage"
    chosen, skipped = candidates(roots, stage, args.package_mb, args.seed)
    summary.skipped_copyleft = skipped
    summary.licences = {
        f"{root.label}/{name}": licence
        for root in roots
        for name, licence in sorted(root.licences.items())
    }
    log.info(
        "%d candidate files (%.0f MB); %d copyleft packages left out: %s",
        len(chosen),
        sum(c.size for c in chosen) / 1e6,
        len(skipped),
        ", ".join(sorted(skipped)) or "none",
    )
    stage_budget = args.corpus_s - (clock.elapsed() - phase_start)
    stats = stage_sources(chosen, stage_budget, args.corpus_mb, args.jobs, clock)
    summary.staging = asdict(stats)
    log.info(
        "staged %d files (%.1f MB, %d packages) of %d checked in %.1f s, stopped by %s; "
        "projected build %.0f s",
        stats.files_kept,
        stats.bytes_kept / 1e6,
        stats.packages,
        stats.files_checked,
        clock.elapsed() - phase_start,
        stats.stopped_by,
        stats.projected_build_s,
    )
    if not stats.files_kept:
        raise RunError("no source file passed the filters: nothing to train on")
    manifest = work / "sources.toml"
    staged = sorted({stage / root.label for root in roots if (stage / root.label).is_dir()})
    write_manifest(manifest, staged, args.package_mb)
    corpus = work / "corpus"
    # The corpus may overrun its share by half before the run gives up on it.
    corpus_deadline = phase_start + 1.5 * args.corpus_s
    run_child(
        "corpus",
        [
            "corpus", "--manifest", str(manifest), "--out", str(corpus), "--no-download",
            "--cache", str(work / "downloads"), "--vocab-size", str(model_cfg.vocab_size),
            "--seed", str(args.seed), "--quiet",
        ],
        corpus_deadline,
        clock,
    )  # fmt: skip
    manifest_data = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    summary.corpus = manifest_data
    summary.phases_s["corpus"] = round(clock.elapsed() - phase_start, 1)
    splits = manifest_data["splits"]
    log.info(
        "corpus: %d documents, train %s tokens, val %s, test %s, %.2f bytes/token (test)",
        manifest_data["counts"]["documents"],
        f"{splits['train']['tokens']:,}",
        f"{splits['val']['tokens']:,}",
        f"{splits['test']['tokens']:,}",
        manifest_data["bytes_per_token_test"],
    )

    # ---------------------------------------------------------------- 2. mix
    phase_start = clock.elapsed()
    mix_settings = build_mix(args, corpus, work / "mix", phase_start + args.mix_s, clock, summary)
    summary.phases_s["mix"] = round(clock.elapsed() - phase_start, 1)

    # ---------------------------------------------------------------- 3. train
    phase_start = clock.elapsed()
    unused = max(0.0, args.corpus_s - summary.phases_s["corpus"])
    unused += max(0.0, args.mix_s - summary.phases_s["mix"])
    train_overhead = CHILD_START_S + 25  # imports, CUDA start, final evaluation and checkpoint
    max_time = min(
        args.train_s + unused, clock.left() - args.export_s - train_overhead - 5
    )  # fmt: skip
    if max_time < 5:
        raise RunError(f"only {max_time:.0f} s left for training: raise --total-s")
    settings = dict(PRESETS.get(args.config, PRESETS["small"]))
    settings.update(
        {
            "data_dir": str(corpus),
            "out_dir": str(work / "run"),
            "device": args.device,
            "max_time_s": f"{max_time:.0f}",
            "peak_flops": f"{args.peak_flops:g}",
            "bf16": "true",
            "progress": "false",
            "seed": str(args.seed),
            "compile": "true" if args.compile else "false",
        }
    )
    settings.update(mix_settings)
    for item in args.train_arg:
        key, _, value = item.partition("=")
        settings[key.removeprefix("--")] = value
    train_args = ["train", "--config", args.config]
    train_args += [f"--{key}={value}" for key, value in settings.items()]
    metrics = work / "run" / "metrics.csv"
    run_child("train", train_args, phase_start + max_time + train_overhead, clock, metrics)
    summary.phases_s["train"] = round(clock.elapsed() - phase_start, 1)
    summary.train = train_summary(
        metrics,
        {
            "max_time_s": round(max_time),
            "settings": settings,
            "flops_per_token": 6 * model_params(model_cfg)
            + 12 * model_cfg.n_layer * model_cfg.n_embd * model_cfg.block_size,
            "parameters": model_params(model_cfg),
            "peak_flops": args.peak_flops,
        },
    )
    log.info("train: %s", latest_metrics(metrics))
    publish([metrics], out, reserve=1)

    # ---------------------------------------------------------------- 4. export + eval
    phase_start = clock.elapsed()
    model_dir = work / "model"
    export_args = ["export", "--checkpoint", str(work / "run" / "ckpt.pt"), "--out", str(model_dir)]
    if args.fp16:
        export_args.append("--fp16")
    # Not verbose: the quantizer logs every tensor at INFO.
    export_deadline = min(clock.total_s - 15, phase_start + args.export_s)
    run_child("export", export_args, export_deadline, clock, verbose=False)
    summary.phases_s["export"] = round(clock.elapsed() - phase_start, 1)
    model_files = [model_dir / name for name in ("config.json", "tokenizer.json", "model.onnx")]
    weights = split_weights(model_dir / "weights.safetensors", work)
    fp16 = [model_dir / "model.fp16.onnx"] if args.fp16 else []
    published, left_out = publish(model_files + weights + fp16, out, reserve=1)
    summary.artifacts += published
    summary.left_out += left_out
    eval_start = clock.elapsed()
    eval_json = work / "eval.json"
    run_child(
        "eval",
        [
            "eval", "--model", str(model_dir), "--data", str(corpus), "--lines",
            str(args.eval_lines), "--returns", str(args.eval_lines), "--bpb-tokens",
            str(args.bpb_tokens), "--out", str(eval_json),
        ],
        min(clock.total_s - 5, phase_start + args.export_s),
        clock,
    )  # fmt: skip
    summary.phases_s["eval"] = round(clock.elapsed() - eval_start, 1)
    summary.eval = json.loads(eval_json.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class MixPart:
    """One shard kind of the mix: the module that builds it and the files train reads."""

    module: str
    train_shard: str
    val_shard: str | None = None  # None: the part is trained on, not measured
    val_setting: str | None = None  # the train option that measures it on its val shard


MIX_PARTS = {
    "repair": MixPart(
        "codegpt.training.repair_shards", "repair_train.bin", "repair_val.bin", "mix_val_data"
    ),
    "ctxfim": MixPart(
        "codegpt.training.context_fim_shards",
        "ctxfim_train.bin",
        "ctxfim_val.bin",
        "ctxfim_val_data",
    ),
    "docfuncs": MixPart("codegpt.training.docstring_shards", "docfuncs_train.bin"),
}


def build_mix(
    args: argparse.Namespace,
    corpus: Path,
    folder: Path,
    deadline_s: float,
    clock: Clock,
    summary: Summary,
) -> dict[str, str]:
    """Repair, context-level FIM and documented-function shards, side by side; their mix settings.

    A part whose child fails or runs late is left out (logged in ``summary.mix``): the run
    still trains and ships a model, only without that skill.
    """
    if args.mix_documents <= 0 or args.mix_fraction <= 0:
        summary.mix = {"parts": [], "note": "no mix (--mix-documents 0 or --mix-fraction 0)"}
        return {}
    documents, held_out = str(args.mix_documents), str(max(1, args.mix_documents // 10))
    flags = {
        # Corrupting compiles every candidate: all cores but the one the FIM child takes.
        "repair": ["--held-out-documents", held_out, "--jobs", str(max(1, args.jobs - 1))],
        "ctxfim": ["--val-documents", held_out],
        "docfuncs": ["--syntax-rate", "0.7"],  # as in the CPU model's last stretch
    }
    errors: dict[str, str] = {}

    def build(name: str) -> None:
        common = ["--corpus", str(corpus), "--out", str(folder / name), "--seed", str(args.seed)]
        command = [*common, "--train-documents", documents, *flags[name]]
        module = MIX_PARTS[name].module
        try:
            run_child(name, command, deadline_s, clock, verbose=False, module=module)
        except RunError as error:
            errors[name] = str(error)

    threads = [threading.Thread(target=build, args=(name,)) for name in MIX_PARTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parts = [name for name in MIX_PARTS if name not in errors]
    for name, error in errors.items():
        log.warning("mix: %s left out: %s", name, error)
    summary.mix = {"parts": parts, "errors": errors, "tokens": {}}
    if not parts:
        return {}
    mix_train = folder / "mix_train.bin"
    settings = {"mix_data": str(mix_train), "mix_fraction": f"{args.mix_fraction:g}"}
    with mix_train.open("wb") as joined:
        for name in parts:
            part = MIX_PARTS[name]
            shard = folder / name / part.train_shard
            summary.mix["tokens"][name] = shard.stat().st_size // 2  # uint16 tokens
            with shard.open("rb") as handle:
                shutil.copyfileobj(handle, joined)
            if part.val_shard is not None and part.val_setting is not None:
                settings[part.val_setting] = str(folder / name / part.val_shard)
    log.info("mix: %s tokens in %s", summary.mix["tokens"], mix_train)
    return settings


def model_params(config: object) -> int:
    """Parameters of a GPT with tied embeddings and no biases (as model/gpt.py builds it)."""
    c = config
    per_layer = 2 * c.n_embd + 4 * c.n_embd * c.n_embd + 2 * c.mlp_ratio * c.n_embd * c.n_embd
    return c.vocab_size * c.n_embd + c.n_layer * per_layer + c.n_embd


def main(argv: list[str] | None = None) -> int:
    """Run everything; exit 0 when a model, its numbers and the log are in ``$OUT``."""
    args = parse_args(argv)
    if args.merge_weights:
        print(merge_weights(args.merge_weights))
        return 0
    clock = Clock(args.total_s)
    out = args.out or (Path(os.environ["OUT"]) if os.environ.get("OUT") else None)
    if out is None:
        print("gpu_run: give --out DIR (or set OUT)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="codegpt-gpu-run-"))
    work.mkdir(parents=True, exist_ok=True)
    setup_logging(clock, out / "run.log")
    path = source_tree_path(work)
    sys.path.insert(0, str(path))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(path), os.environ.get("PYTHONPATH", "")) if p
    )
    os.environ.update(PYTHONUNBUFFERED="1", TQDM_DISABLE="1", TOKENIZERS_PARALLELISM="true")
    summary = Summary(args={k: str(v) for k, v in vars(args).items()})
    log.info("gpu_run: %s; work folder %s; hard end at %.0f s", args.config, work, args.total_s)
    status = 0
    try:
        run(args, out, work, clock, summary)
    except RunError as error:
        log.error("gpu_run: %s", error)
        summary.error = str(error)
        status = 1
    summary.phases_s["total"] = round(clock.elapsed(), 1)
    (work / "summary.json").write_text(json.dumps(summary.__dict__, indent=2) + "\n")
    if (out / "summary.json").exists():
        (out / "summary.json").unlink()
    published, left_out = publish([work / "summary.json"], out)
    metrics = work / "run" / "metrics.csv"
    if metrics.is_file():
        shutil.copyfile(metrics, out / "metrics.csv")  # the final rows, over the early copy
    log.info("phases (s): %s", summary.phases_s)
    log.info("in %s: %s", out, ", ".join(sorted(p.name for p in out.iterdir())))
    if summary.left_out or left_out:
        log.warning("left out of %s: %s", out, "; ".join(summary.left_out + left_out))
    if summary.train.get("median_mfu") is not None:
        log.info(
            "MFU %.1f%% (median of logged intervals) at %s tokens/s",
            100 * summary.train["median_mfu"],
            f"{summary.train['median_tokens_per_s']:,.0f}",
        )
    return status


if __name__ == "__main__":
    # Run as a script, sys.path[0] is training/, whose modules (config, train, ...) would
    # shadow top-level names: the package is imported through source_tree_path() instead.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.exit(main())

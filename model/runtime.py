"""The one model interface every feature uses: onnxruntime + tokenizers + numpy, never torch.

``CodeModel.load()`` opens a model folder (``model.onnx``, ``tokenizer.json``, ``config.json``);
any missing or corrupt file is a one-line ``ModelLoadError`` naming it, so the server can answer
without suggestions instead of dying.

Prefill runs the prompt in position-aligned chunks of ``RuntimeOptions.prefill_chunk`` tokens
(0..63, 64..127, ...). A ``KVCache`` that shares a prefix with the new prompt is reused up to the
last chunk boundary inside that prefix; the chunks after it are recomputed exactly as a fresh
run computes them, so cached and fresh runs give bit-identical logits (int8 dynamic quantization
scales each call's activations as a whole, so a different split would change the last bits).

The graph's cache is one key and one value array per layer (``codegpt.model.kv_cache.Past``); a
model file exported before that layout is refused at load with a one-line error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from codegpt.model import paths
from codegpt.model.generation import (
    GenerateOptions,
    Generation,
    PrefillCancelled,
    generate,
    log_softmax,
)
from codegpt.model.healing import Vocabulary
from codegpt.model.kv_cache import KVCache, Past, past_input_names, present_output_names
from codegpt.model.tokens import END_OF_TEXT_ID, SPECIAL_TOKENS

logger = logging.getLogger(__name__)

ONNXRUNTIME_DISTRIBUTIONS = ("onnxruntime", "onnxruntime-gpu")
FP16_MODEL_FILE = "model.fp16.onnx"


class ModelLoadError(RuntimeError):
    """The model folder cannot be used; the one-line message names the file and the reason."""


def expected_inputs(n_layer: int) -> tuple[str, ...]:
    """The inputs of a model file this runtime can drive (``codegpt export`` writes them)."""
    return ("input_ids", "logits_index", *past_input_names(n_layer))


def installed_onnxruntime_distributions() -> list[str]:
    """Which of 'onnxruntime' and 'onnxruntime-gpu' are installed (both at once is a mistake)."""
    found = []
    for name in ONNXRUNTIME_DISTRIBUTIONS:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(name)
    return found


def import_onnxruntime() -> Any:
    """Import onnxruntime, or raise ModelLoadError with the install command."""
    try:
        import onnxruntime
    except ImportError:
        raise ModelLoadError(
            "neither onnxruntime nor onnxruntime-gpu is installed: pip install 'codegpt[cpu]' "
            "(or 'codegpt[gpu]'); install exactly one"
        ) from None
    return onnxruntime


@dataclass
class RuntimeOptions:
    """Where the model is and how to run it."""

    # Model folder; None = the one shipped in the package (codegpt.model.paths).
    model_dir: Path | None = None
    # onnxruntime execution providers in order of preference; None = CUDA first when available.
    providers: tuple[str, ...] | None = None
    # Intra-op threads (0 = onnxruntime's default: one per core).
    threads: int = 0
    # Prefill chunk in tokens: smaller re-runs fewer tokens per keystroke, larger prefills a cold
    # prompt in fewer calls (benchmarks/bench_generation.py measures both). With the shipped
    # model, 64 prefilled a cold 484-token prompt in 41 ms of CPU against 53 ms with 32, while
    # typing completions took the same (23 ms p50 either way): a keystroke's completion is
    # mostly decode steps, so re-running up to 32 more prompt tokens hardly shows.
    prefill_chunk: int = 64
    # Intra-op threads for prefill chunks of at least PARALLEL_PREFILL_TOKENS tokens, on a second
    # session (1 = the one session does everything). A cold prompt is mostly prefill, which two
    # threads speed up; decode steps and a keystroke's few new tokens are too small to gain and
    # stay on the first session. Through the server on a 2-core Zen 3 (benchmarks/
    # bench_completion.py --prefill-threads 1 / 2, two runs each): cold p50 48.9 / 46.0 -> 39.9 /
    # 36.5 ms, p95 69.0 / 65.5 -> 64.9 / 52.1 ms, the first request after opening a file 58 / 53
    # -> 39 / 46 ms; typing and member lists within noise; the same suggestions.
    prefill_threads: int = 1


# Prefill chunks shorter than this run on the decode session: waking a second thread for a
# keystroke's few tokens costs more than it saves.
PARALLEL_PREFILL_TOKENS = 16


def filler_prompt(size: int) -> list[int]:
    """``size`` ordinary token ids after END_OF_TEXT: a prompt for warming up and timing only."""
    return [END_OF_TEXT_ID] + [len(SPECIAL_TOKENS) + i for i in range(size - 1)]


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelLoadError(f"model config not found: {path}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        model = config["model"]
        for key in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            int(model[key])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise ModelLoadError(f"corrupt model config {path}: {error!r}") from None
    return config


def _read_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    if not path.is_file():
        raise ModelLoadError(f"tokenizer not found: {path}")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as error:  # noqa: BLE001 - tokenizers raises plain Exception subclasses
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelLoadError(f"corrupt tokenizer {path}: {reason}") from None
    for expected, token in enumerate(SPECIAL_TOKENS):
        if tokenizer.token_to_id(token) != expected:
            raise ModelLoadError(f"tokenizer {path} does not have {token} at id {expected}")
    return tokenizer


def _session(ort: Any, model_file: Path, providers: list[str], threads: int) -> Any:
    """An onnxruntime session of ``model_file`` with ``threads`` intra-op threads."""
    session_options = ort.SessionOptions()
    session_options.intra_op_num_threads = max(0, threads)
    session_options.inter_op_num_threads = 1
    session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session_options.log_severity_level = 3
    try:
        return ort.InferenceSession(
            str(model_file), sess_options=session_options, providers=providers
        )
    except Exception as error:  # noqa: BLE001 - onnxruntime raises several exception types
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelLoadError(f"corrupt model file {model_file}: {reason}") from None


def _choose_providers(ort: Any, requested: tuple[str, ...] | None) -> list[str]:
    available = ort.get_available_providers()
    if requested is None:
        preferred = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        return [p for p in preferred if p in available] or ["CPUExecutionProvider"]
    unknown = [p for p in requested if p not in available]
    if unknown:
        raise ModelLoadError(
            f"execution provider(s) {', '.join(unknown)} not available; this onnxruntime has "
            f"{', '.join(available)}"
        )
    return list(requested)


class CodeModel:
    """A loaded model: tokenizer, onnxruntime session, and generation/scoring on top."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        config: dict[str, Any],
        model_dir: Path,
        model_file: Path,
        options: RuntimeOptions,
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.config = config
        self.model_dir = model_dir
        self.model_file = model_file
        self.providers: list[str] = list(session.get_providers())
        shape = config["model"]
        self.max_context: int = int(shape["block_size"])
        self.model_vocab_size: int = int(shape["vocab_size"])
        # Only tokenizer ids can be generated (the model may have spare embedding rows).
        self.vocab_size: int = min(tokenizer.get_vocab_size(), self.model_vocab_size)
        self.n_layer = int(shape["n_layer"])
        self.n_head = int(shape["n_head"])
        self.head_dim = int(shape["n_embd"]) // self.n_head
        self._vocabulary: Vocabulary | None = None
        # Asked for by name: ``Past`` relies on the order of the present keys and values.
        self._outputs = ["logits", *present_output_names(self.n_layer)]
        self.prefill_chunk = max(1, options.prefill_chunk)
        self.special_token_ids: dict[str, int] = {t: i for i, t in enumerate(SPECIAL_TOKENS)}
        self.eos_token_id = END_OF_TEXT_ID
        self._last_index = np.zeros(1, dtype=np.int64)
        self._no_index = np.zeros(0, dtype=np.int64)
        # A second session with more threads for long prefill chunks (RuntimeOptions).
        self.prefill_session: Any = session

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, options: RuntimeOptions | None = None) -> CodeModel:
        """Open a model folder; raises ModelLoadError naming the file that is missing or bad."""
        options = options or RuntimeOptions()
        model_dir = Path(options.model_dir) if options.model_dir else paths.default_model_dir()
        if not model_dir.is_dir():
            raise ModelLoadError(f"model folder not found: {model_dir}")
        ort = import_onnxruntime()
        config = _read_config(model_dir / paths.CONFIG_FILE)
        tokenizer = _read_tokenizer(model_dir / paths.TOKENIZER_FILE)
        providers = _choose_providers(ort, options.providers)
        model_file = model_dir / paths.MODEL_FILE
        if providers[0] == "CUDAExecutionProvider" and (model_dir / FP16_MODEL_FILE).is_file():
            model_file = model_dir / FP16_MODEL_FILE
        if not model_file.is_file():
            raise ModelLoadError(f"model file not found: {model_file}")
        session = _session(ort, model_file, providers, options.threads)
        inputs = tuple(i.name for i in session.get_inputs())
        expected = expected_inputs(int(config["model"]["n_layer"]))
        if inputs != expected:
            shown = ", ".join(inputs[:4]) + (", ..." if len(inputs) > 4 else "")
            raise ModelLoadError(
                f"model file {model_file} has inputs ({shown}), not the per-layer cache "
                f"({', '.join(expected[:4])}, ...) this version runs: re-export it with "
                "codegpt export"
            )
        model = cls(session, tokenizer, config, model_dir, model_file, options)
        if 0 < options.threads < options.prefill_threads:  # threads 0: onnxruntime takes all
            model.prefill_session = _session(ort, model_file, providers, options.prefill_threads)
        logger.info("loaded %s on %s", model_file, ", ".join(model.providers))
        return model

    # ------------------------------------------------------------------ text
    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (special-token spellings become their ids)."""
        return self.tokenizer.encode(text).ids

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``, special tokens included."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)

    @property
    def vocabulary(self) -> Vocabulary:
        """Every token's text, for token healing and other constraints (built on first use)."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(self.tokenizer, self.vocab_size)
        return self._vocabulary

    # ------------------------------------------------------------------ forward passes
    def empty_past(self, batch: int = 1) -> Past:
        """A zero-length key/value cache."""
        return Past.empty(self.n_layer, self.n_head, self.head_dim, batch)

    def _run(
        self,
        input_ids: np.ndarray,
        past: Past,
        logits_index: np.ndarray,
        session: Any | None = None,
    ) -> tuple[np.ndarray, Past]:
        feeds = past.feeds()
        feeds["input_ids"] = input_ids
        feeds["logits_index"] = logits_index
        logits, *present = (session or self.session).run(self._outputs, feeds)
        return logits, Past(tuple(present))

    def _logprobs(self, logits: np.ndarray) -> np.ndarray:
        return log_softmax(logits[..., : self.vocab_size].astype(np.float32))

    def _check_length(self, n_tokens: int) -> None:
        if n_tokens > self.max_context:
            raise ValueError(
                f"{n_tokens} tokens exceed the model's context of {self.max_context}: "
                "shorten the prompt"
            )

    def _prefill_chunks(
        self,
        ids: Sequence[int],
        start: int,
        past: Past,
        want: range,
        cache: KVCache | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[Past, dict[int, np.ndarray]]:
        """Run ``ids[start:]`` in aligned chunks; logits for absolute positions in ``want``.

        ``cancelled`` is asked before each chunk: a cold prompt takes several, and a request
        superseded by the next keystroke should stop at once. The chunks already run go into
        ``cache``, so the next request continues from them.
        """
        logits_at: dict[int, np.ndarray] = {}
        chunk = self.prefill_chunk
        position = start
        while position < len(ids):
            if cancelled is not None and cancelled():
                if cache is not None and position > start:
                    cache.computed_tokens += position - start
                    cache.store(ids[:position], past, None)
                raise PrefillCancelled
            end = min(len(ids), (position // chunk + 1) * chunk)
            wanted = [p for p in range(position, end) if p in want]
            index = (
                np.asarray([p - position for p in wanted], dtype=np.int64)
                if wanted
                else self._no_index
            )
            input_ids = np.asarray([ids[position:end]], dtype=np.int64)
            long = end - position >= PARALLEL_PREFILL_TOKENS
            logits, past = self._run(
                input_ids, past, index, self.prefill_session if long else self.session
            )
            for k, p in enumerate(wanted):
                logits_at[p] = logits[0, k]
            position = end
        return past, logits_at

    def _reusable(self, cache: KVCache | None, ids: Sequence[int], limit: int) -> tuple[int, Past]:
        """How many tokens to take from ``cache`` (at most ``limit``) and their keys/values."""
        if cache is None or cache.past is None:
            return 0, self.empty_past()
        start = min(cache.reuse_length(ids, self.prefill_chunk), limit)
        start = (start // self.prefill_chunk) * self.prefill_chunk
        if start == 0:
            return 0, self.empty_past()
        return start, cache.past.prefix(start)

    def prefill(
        self,
        prompt_ids: Sequence[int],
        cache: KVCache | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[Past, np.ndarray]:
        """Keys/values of the prompt and the log-probs of the next token, via ``cache``.

        Raises ``PrefillCancelled`` when ``cancelled()`` turns True between two chunks.
        """
        if not prompt_ids:
            raise ValueError("the prompt is empty: start it with END_OF_TEXT at least")
        self._check_length(len(prompt_ids))
        ids = list(prompt_ids)
        if cache is not None and cache.next_logprobs is not None and cache.token_ids == ids:
            cache.reused_tokens += len(ids)
            return cache.past, cache.next_logprobs
        last = len(ids) - 1
        start, past = self._reusable(cache, ids, last)  # the last token always runs
        past, logits_at = self._prefill_chunks(
            ids, start, past, range(last, last + 1), cache, cancelled
        )
        next_logprobs = self._logprobs(logits_at[last])
        if cache is not None:
            cache.reused_tokens += start
            cache.computed_tokens += len(ids) - start
            cache.store(ids, past, next_logprobs)
        return past, next_logprobs

    def decode_step(self, tokens: np.ndarray, past: Past) -> tuple[np.ndarray, Past]:
        """Feed one token per sequence (B,); returns next-token log-probs (B, V) and the cache."""
        logits, present = self._run(tokens.reshape(-1, 1), past, self._last_index)
        return self._logprobs(logits[:, 0]), present

    def warm_up(self) -> None:
        """Build the token table and run one prefill chunk and one decode step, results unused.

        A fresh session's first calls set up onnxruntime's buffers (~20 ms more than later
        calls) and the first healed prompt builds ``vocabulary`` (~50 ms): a server does this
        while the user reads the file, not on the first keystroke.
        """
        _ = self.vocabulary
        ids = filler_prompt(min(self.prefill_chunk, self.max_context - 1))
        past, _ = self.prefill(ids)
        self.decode_step(np.asarray([ids[-1]], dtype=np.int64), past)

    # ------------------------------------------------------------------ public API
    def next_token_logprobs(
        self, prompt_ids: Sequence[int], cache: KVCache | None = None
    ) -> np.ndarray:
        """Log-softmax over the vocabulary for the token after ``prompt_ids``."""
        return self.prefill(prompt_ids, cache)[1]

    def generate(
        self,
        prompt_ids: Sequence[int],
        options: GenerateOptions | None = None,
        cache: KVCache | None = None,
    ) -> list[Generation]:
        """Continue ``prompt_ids``; see GenerateOptions for greedy, sampling and n-best."""
        return generate(self, prompt_ids, options or GenerateOptions(), cache)

    def score(
        self,
        context_ids: Sequence[int],
        continuation_ids: Sequence[int],
        cache: KVCache | None = None,
    ) -> list[float]:
        """Log-probability of each continuation token given the context and the tokens before."""
        if not context_ids:
            raise ValueError("the context is empty: start it with END_OF_TEXT at least")
        ids = list(context_ids) + list(continuation_ids)
        self._check_length(len(ids))
        first = len(context_ids) - 1  # logits here predict the first continuation token
        want = range(first, len(ids))
        start, past = self._reusable(cache, ids, first)
        past, logits_at = self._prefill_chunks(ids, start, past, want)
        positions = list(want)
        logprobs = self._logprobs(np.stack([logits_at[p] for p in positions]))
        scores = [float(logprobs[k, t]) for k, t in enumerate(continuation_ids)]
        if cache is not None:
            cache.reused_tokens += start
            cache.computed_tokens += len(ids) - start
            cache.store(ids, past, logprobs[-1])
        return scores

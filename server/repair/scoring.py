"""What the model adds to repair: a likelihood for ranking fixes and n-best proposals of its own.

The fixer depends only on the two protocols here, so it works without any model (edit search
ranked by prior cost) and with ours, whose runtime (``codegpt.model.runtime``, onnxruntime, no
torch) is imported only when a model is actually loaded. The repair prompt is the fine-tune's
format: ``REPAIR_BROKEN broken-window REPAIR_FIXED fixed-window END_OF_TEXT``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from codegpt.model.paths import MODEL_FILE, default_model_dir
from codegpt.model.tokens import END_OF_TEXT, END_OF_TEXT_ID, REPAIR_BROKEN_ID, REPAIR_FIXED_ID

log = logging.getLogger(__name__)


class Scorer(Protocol):
    """Ranks fixed windows: higher is more plausible as the repair of ``broken_window``."""

    def score(self, broken_window: str, fixed_windows: Sequence[str]) -> list[float]:
        """One log-likelihood per fixed window (``-inf`` when it cannot be scored)."""
        ...


class Proposer(Protocol):
    """Writes whole fixed windows itself (the model's repair output)."""

    def propose(self, broken_window: str, n: int, time_budget_s: float) -> list[str]:
        """Up to ``n`` candidate fixed windows, best first; may be empty."""
        ...


class ModelUnavailable(RuntimeError):
    """No model could be loaded; the message says which file or why."""


@dataclass
class ModelRepairer:
    """Scorer and Proposer over a loaded ``codegpt.model.runtime.CodeModel``."""

    model: Any
    max_new_tokens: int = 512

    def _prompt(self, broken_window: str) -> list[int]:
        return [REPAIR_BROKEN_ID, *self.model.encode(broken_window), REPAIR_FIXED_ID]

    def _fits(self, length: int) -> bool:
        limit = getattr(self.model, "max_context", None)
        return limit is None or length <= int(limit)

    def score(self, broken_window: str, fixed_windows: Sequence[str]) -> list[float]:
        """Sum of the fixed window's token log-probs (END_OF_TEXT included) after the prompt."""
        prompt = self._prompt(broken_window)
        scores = []
        for fixed in fixed_windows:
            continuation = [*self.model.encode(fixed), END_OF_TEXT_ID]
            if not self._fits(len(prompt) + len(continuation)):
                scores.append(-math.inf)
                continue
            scores.append(float(sum(self.model.score(prompt, continuation))))
        return scores

    def propose(self, broken_window: str, n: int, time_budget_s: float) -> list[str]:
        """n-best greedy/beam outputs that ended with END_OF_TEXT (truncated ones are dropped)."""
        from codegpt.model.runtime import GenerateOptions

        prompt = self._prompt(broken_window)
        room = len(prompt) + 32
        if not self._fits(len(prompt) + 1):
            return []
        options = GenerateOptions(
            max_new_tokens=min(self.max_new_tokens, room),
            temperature=0,
            num_return_sequences=n,
            stop_token_ids=[END_OF_TEXT_ID],
            time_budget_s=time_budget_s,
        )
        proposals: list[str] = []
        for generation in self.model.generate(prompt, options):
            finished = generation.finish_reason == "stop" or (
                generation.token_ids and generation.token_ids[-1] == END_OF_TEXT_ID
            )
            if not finished:
                continue
            text = generation.text.split(END_OF_TEXT, 1)[0]
            if text not in proposals:
                proposals.append(text)
        return proposals


def default_model_path() -> Path | None:
    """The bundled model folder when it holds a model, else None."""
    folder = default_model_dir()
    return folder if (folder / MODEL_FILE).is_file() else None


def load_model_repairer(model_dir: Path) -> ModelRepairer:
    """Load the ONNX model for repair; raises :class:`ModelUnavailable` with the reason."""
    if not (model_dir / MODEL_FILE).is_file():
        raise ModelUnavailable(f"no {MODEL_FILE} in {model_dir}")
    try:
        from codegpt.model.runtime import CodeModel, ModelLoadError, RuntimeOptions
    except ImportError as error:
        raise ModelUnavailable(f"the model runtime is not available: {error}") from error
    try:
        model = CodeModel.load(RuntimeOptions(model_dir=model_dir))
    except ModelLoadError as error:
        raise ModelUnavailable(f"{model_dir}: {error}") from error
    log.info("repair uses the model in %s", model_dir)
    return ModelRepairer(model)

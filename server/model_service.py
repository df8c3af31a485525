"""The one shared holder of the model for every feature: load once, run inference off the loop.

Completion, repair and test generation all call :meth:`ModelService.model` and
:meth:`ModelService.run`. The model is loaded lazily, in the inference thread, the first time a
feature needs it; a missing or corrupt model gives ``None`` (features then answer with nothing)
and exactly one ``window/showMessage`` per model location, not one per keystroke. Inference runs
on a single worker thread: the machine's few cores go to onnxruntime's own threads, and two
requests never fight over them. When ``model.path``, ``providers`` or ``threads`` change, the next
request loads the model again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types

from codegpt.model import paths
from codegpt.model.runtime import CodeModel, ModelLoadError, RuntimeOptions
from codegpt.server.settings import ModelSettings

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "codegpt/status"
# Completion reports its latency at most this often: once per burst of keystrokes.
STATUS_DELAY_S = 0.1
T = TypeVar("T")


@dataclass(frozen=True)
class ModelKey:
    """What identifies a loaded model: a change to any field means loading again."""

    model_dir: str
    providers: tuple[str, ...] | None
    threads: int
    prefill_threads: int = 1

    def options(self) -> RuntimeOptions:
        """The runtime options this key stands for."""
        return RuntimeOptions(
            model_dir=Path(self.model_dir),
            providers=self.providers,
            threads=self.threads,
            prefill_threads=self.prefill_threads,
        )


def resolve_model_key(settings: ModelSettings, cli_path: str | None) -> ModelKey:
    """The client's ``model.path``, else ``codegpt serve --model``, else the bundled model."""
    chosen = settings.path or cli_path
    model_dir = Path(chosen).expanduser() if chosen else paths.default_model_dir()
    providers = tuple(settings.providers) if settings.providers else None
    return ModelKey(str(model_dir), providers, settings.threads, settings.prefill_thread_count())


def _files_signature(key: ModelKey) -> tuple[float, ...]:
    """Modification times of the model's files: a failed load is retried once they change."""
    folder = Path(key.model_dir)
    stamps = []
    for name in (paths.MODEL_FILE, paths.CONFIG_FILE, paths.TOKENIZER_FILE):
        try:
            stamps.append(os.stat(folder / name).st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)


class ModelService:
    """Loads the model on first need and runs every inference call on one worker thread.

    ``notify`` sends a notification to the client and ``show_error`` shows a message; both are
    callables so the CLI can use the same service without a server.
    """

    def __init__(
        self,
        key_source: Callable[[], ModelKey],
        *,
        show_error: Callable[[str], None] | None = None,
        notify: Callable[[str, Any], None] | None = None,
    ) -> None:
        self._key_source = key_source
        self._show_error = show_error
        self._notify = notify
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codegpt-model")
        self._model: CodeModel | None = None
        self._key: ModelKey | None = None
        self._failure: tuple[ModelKey, tuple[float, ...], str] | None = None
        self._reported: set[ModelKey] = set()
        self._load_lock = asyncio.Lock()
        self._pending_error: str | None = None
        self._pending_status = False
        self._status_timer: asyncio.TimerHandle | None = None
        self.last_latency_ms: float | None = None
        self.load_error: str | None = None
        self.generation = 0  # bumped on every (re)load: caches tied to the old model are stale

    @property
    def loaded(self) -> CodeModel | None:
        """The model if it is loaded for the current settings (never loads)."""
        return self._model if self._key == self._key_source() else None

    def load_sync(self) -> CodeModel | None:
        """Load (or reuse) the model for the current settings in the calling thread."""
        key = self._key_source()
        if self._model is not None and self._key == key:
            return self._model
        signature = _files_signature(key)
        if self._failure is not None and self._failure[:2] == (key, signature):
            return None
        self._model, self._key = None, None
        started = time.perf_counter()
        try:
            model = CodeModel.load(key.options())
        except ModelLoadError as error:
            self._failure = (key, signature, str(error))
            self.load_error = str(error)
            log.warning("no completions: %s", error)
            if key not in self._reported:
                self._reported.add(key)
                self._pending_error = (
                    f"codegpt: model unavailable ({error}); completions are off, repair and test "
                    "generation go on without the model."
                )
            return None
        self._failure, self.load_error = None, None
        self._model, self._key = model, key
        self.generation += 1
        log.info(
            "model %s loaded in %.0f ms", key.model_dir, 1000 * (time.perf_counter() - started)
        )
        self._pending_status = True
        return model

    async def model(self) -> CodeModel | None:
        """The model for the current settings, loading it in the worker thread if needed."""
        key = self._key_source()
        if self._model is not None and self._key == key:
            return self._model
        async with self._load_lock:
            if self._model is not None and self._key == self._key_source():
                # Loaded while this request waited for the lock: going through the inference
                # thread again would queue it behind other requests' inference.
                return self._model
            loop = asyncio.get_running_loop()
            model = await loop.run_in_executor(self._executor, self.load_sync)
        # Messages go out from the event loop's thread: the transport is not thread-safe.
        if self._pending_error is not None and self._show_error is not None:
            self._show_error(self._pending_error)
        self._pending_error = None
        if self._pending_status:
            self._pending_status = False
            self.send_status()
        return model

    async def preload(self) -> None:
        """Load the model and warm it up now, so the first keystroke waits for neither.

        Loading takes 130-250 ms, a fresh session's first calls and the healing vocabulary ~70 ms
        more (``CodeModel.warm_up``): on a Zen 3 core the first request a second after opening a
        file took 255 ms median before, 61 ms after (``benchmarks/bench_completion.py``,
        ``first_request_after_pause_ms``).
        """
        if self.loaded is not None:
            return  # loaded and warmed already: settings changed, but not the model's
        model = await self.model()
        if model is not None:
            await self.run(model.warm_up)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` on the inference thread without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    def status(self) -> dict[str, Any]:
        """What the status bar shows: model name, execution provider, last latency."""
        model = self._model
        return {
            "model": Path(model.model_dir).name if model is not None else None,
            "provider": model.providers[0] if model is not None else None,
            "latencyMs": None if self.last_latency_ms is None else round(self.last_latency_ms, 1),
        }

    def send_status(self) -> None:
        """Send ``codegpt/status`` (cheap: a few fields, no work)."""
        if self._notify is not None:
            try:
                self._notify(STATUS_NOTIFICATION, self.status())
            except Exception:  # a closed transport must not fail a completion
                log.debug("could not send %s", STATUS_NOTIFICATION, exc_info=True)

    def send_status_soon(self) -> None:
        """Send ``codegpt/status`` shortly, once for a burst of calls (from the event loop).

        Completion calls this as it answers: sent at once, the notification would reach the
        editor ahead of the answer it describes and be parsed first; a status bar updated
        ``STATUS_DELAY_S`` later, once per burst of keystrokes, looks the same to the user.
        """
        if self._status_timer is not None:
            return

        def send() -> None:
            self._status_timer = None
            self.send_status()

        self._status_timer = asyncio.get_running_loop().call_later(STATUS_DELAY_S, send)

    def shutdown(self) -> None:
        """Stop the worker thread (pending inference is abandoned)."""
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None
        self._executor.shutdown(wait=False, cancel_futures=True)


def server_model_service(server: Any) -> ModelService:
    """The service for a ``CodegptServer``, created on first use and stored on the server."""
    service = getattr(server, "model_service", None)
    if service is None:

        def show_error(message: str) -> None:
            server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=message)
            )

        def notify(method: str, params: Any) -> None:
            server.protocol.notify(method, params)

        service = ModelService(
            lambda: resolve_model_key(server.settings.model, server.model_path),
            show_error=show_error,
            notify=notify,
        )
        server.model_service = service
    return service

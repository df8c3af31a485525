"""Settings: camelCase JSON into dataclasses; bad values warn by key and keep defaults."""

from __future__ import annotations

import asyncio

from lsp_helpers import (
    change_document,
    document_state,
    open_document,
    start_session,
    wait_for_diagnostics,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from codegpt.server.settings import Settings, camel_case, settings_from_json


def test_defaults_without_options():
    settings, warnings = settings_from_json(None)
    assert settings == Settings() and warnings == []


def test_camel_case_keys_fill_nested_fields_under_codegpt_or_top_level():
    data = {
        "diagnostics": {"enable": False, "debounceMs": 300},
        "completion": {"maxTokens": 16, "multiLine": False, "confidenceThreshold": -1},
        "model": {
            "path": "/m",
            "providers": ["CPUExecutionProvider"],
            "threads": 2,
            "prefillThreads": 3,
        },
        "tests": {"maxTests": 3, "timeoutS": 5},
        "logLevel": "debug",
    }
    for wrapped in (data, {"codegpt": data}):
        settings, warnings = settings_from_json(wrapped)
        assert warnings == []
        assert settings.diagnostics.enable is False and settings.diagnostics.debounce_ms == 300
        assert settings.completion.max_tokens == 16 and settings.completion.multi_line is False
        assert settings.completion.confidence_threshold == -1.0
        assert settings.model.providers == ["CPUExecutionProvider"] and settings.model.threads == 2
        assert settings.model.prefill_threads == 3
        assert settings.tests.timeout_s == 5.0 and settings.log_level == "debug"


def test_each_bad_value_is_named_and_keeps_the_default():
    settings, warnings = settings_from_json(
        {
            "diagnostics": {"debounceMs": "fast", "enable": 1},
            "completion": {"maxTokens": 5000, "confidenceThreshold": 0.5},
            "model": {"providers": "CPU", "path": 3},
            "logLevel": "loud",
            "colour": "blue",
            "repair": "yes",
        }
    )
    assert settings == Settings()
    named = " | ".join(warnings)
    for key in [
        "diagnostics.debounceMs",
        "diagnostics.enable",
        "completion.maxTokens",
        "completion.confidenceThreshold",
        "model.providers",
        "model.path",
        "logLevel",
        "unknown setting colour",
        "repair must be an object",
    ]:
        assert key in named
    assert len(warnings) == 9


def test_an_update_keeps_earlier_values_and_does_not_mutate_them():
    first, _ = settings_from_json({"completion": {"maxTokens": 10}})
    second, _ = settings_from_json({"diagnostics": {"debounceMs": 5}}, base=first)
    assert second.completion.max_tokens == 10 and second.diagnostics.debounce_ms == 5
    assert first.diagnostics.debounce_ms == 150


def test_camel_case():
    assert camel_case("time_budget_ms") == "timeBudgetMs" and camel_case("enable") == "enable"


async def test_invalid_initialization_options_show_a_warning(request, fresh_client: LanguageClient):
    client_name = request.node.callspec.params["fresh_client"]
    await start_session(
        fresh_client, client_name, {"codegpt": {"completion": {"maxTokens": -3}, "bogus": 1}}
    )
    async with asyncio.timeout(10):
        while not fresh_client.messages:
            await asyncio.sleep(0.02)
    (message,) = fresh_client.messages
    assert message.type == types.MessageType.Warning
    assert "completion.maxTokens" in message.message and "bogus" in message.message


async def test_valid_options_show_nothing_and_change_behaviour(
    request, fresh_client: LanguageClient
):
    client_name = request.node.callspec.params["fresh_client"]
    await start_session(fresh_client, client_name, {"diagnostics": {"enable": False}})
    uri = "file:///off.py"
    open_document(fresh_client, uri, "x = (\n")
    for version in range(2, 6):
        change_document(fresh_client, uri, version, [((0, 5), (0, 5), "1")])
    await asyncio.sleep(0.1)  # well past the debounce a check would wait for
    assert await document_state(fresh_client, uri) is not None  # every edit has been applied
    # With diagnostics off the server publishes nothing: no error, and no empty list per edit.
    assert uri not in fresh_client.diagnostics
    assert fresh_client.messages == []


async def test_did_change_configuration_applies_and_warns(client: LanguageClient):
    uri = "file:///toggle.py"
    open_document(client, uri, "x = (\n")
    await wait_for_diagnostics(client, uri, lambda d: len(d) == 1)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"codegpt": {"diagnostics": {"enable": False, "debounceMs": "soon"}}}
        )
    )
    assert await wait_for_diagnostics(client, uri, lambda d: len(d) == 0) == []
    async with asyncio.timeout(10):
        while not client.messages:
            await asyncio.sleep(0.02)
    assert "diagnostics.debounceMs" in client.messages[-1].message


def test_prefill_threads_zero_means_two_only_with_four_or_more_cores():
    from codegpt.server.model_service import resolve_model_key
    from codegpt.server.settings import ModelSettings

    auto = ModelSettings(prefill_threads=0)
    assert auto.prefill_thread_count(cpus=2) == 1 and auto.prefill_thread_count(cpus=4) == 2
    assert ModelSettings(prefill_threads=3).prefill_thread_count(cpus=2) == 3
    key = resolve_model_key(ModelSettings(threads=1, prefill_threads=2), None)
    assert key.options().prefill_threads == 2  # and a change of it loads the model again
    assert key != resolve_model_key(ModelSettings(threads=1, prefill_threads=1), None)

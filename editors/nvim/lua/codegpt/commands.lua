-- Buffer-local commands that run the server's workspace commands on the current buffer.
--
-- The server answers with a workspace/applyEdit (the fixed file, the new test file), which
-- Neovim's client applies itself; these commands only send the request and report failures.
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

---@param client vim.lsp.Client
---@param bufnr integer
---@param command lsp.Command
local function run(client, bufnr, command)
  if not M.server_offers(client, command.command) then
    vim.notify(
      ('codegpt: this server does not offer %s; update codegpt (pip install -U codegpt)'):format(
        command.command
      ),
      vim.log.levels.WARN
    )
    return
  end
  if client.exec_cmd then -- Neovim 0.11+
    client:exec_cmd(command, { bufnr = bufnr }, report)
  else
    client.request('workspace/executeCommand', command, report, bufnr)
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
  })
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

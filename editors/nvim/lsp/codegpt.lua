-- codegpt language server: completion, syntax repair and pytest generation for Python.
--
-- Neovim 0.11+ reads this file for `vim.lsp.enable('codegpt')`; override any field with
-- `vim.lsp.config('codegpt', { ... })` (for example `cmd` for a virtual environment).
-- Settings mirror the server's camelCase settings; unset ones keep the server's defaults.

---@type vim.lsp.Config
return {
  cmd = { 'codegpt', 'serve' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', '.git' },
  -- The server reads these at start-up, and the same table again through
  -- workspace/configuration (section "codegpt") when settings change.
  init_options = require('codegpt.config').server_settings(),
  settings = { codegpt = require('codegpt.config').server_settings() },
  on_attach = function(client, bufnr)
    require('codegpt').on_attach(client, bufnr)
  end,
}

-- codegpt for Neovim: starts the codegpt language server for Python buffers and wires
-- completion, quick fixes and test generation to Neovim's built-in LSP client.
--
-- Everything the server does arrives through standard LSP, so this plugin only chooses the
-- completion UI, adds buffer-local commands and keymaps, and starts the server on Neovim 0.10
-- (0.11+ starts it from lsp/codegpt.lua through `vim.lsp.enable`).
local config = require('codegpt.config')

local M = {}

M.name = 'codegpt'

--- The shipped client configuration (lsp/codegpt.lua), the one source for cmd, filetypes,
--- root markers and settings, also on Neovim versions that do not read `lsp/` themselves.
---@return vim.lsp.Config
function M.base_config()
  local path = vim.api.nvim_get_runtime_file('lsp/codegpt.lua', false)[1]
  assert(path, 'codegpt: lsp/codegpt.lua is not on the runtimepath; is the plugin installed?')
  return dofile(path)
end

--- Called for every buffer the server attaches to (from lsp/codegpt.lua's on_attach).
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  if vim.b[bufnr].codegpt_client_id == client.id then
    return
  end
  vim.b[bufnr].codegpt_client_id = client.id
  local options = config.options
  require('codegpt.commands').attach(client, bufnr, options.keymaps)
  vim.b[bufnr].codegpt_completion = require('codegpt.completion').attach(client, bufnr, options)
end

-- Neovim 0.10 has neither vim.lsp.config nor vim.lsp.enable: start the client ourselves.
local function start_on_filetype(base)
  local group = vim.api.nvim_create_augroup('codegpt', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = base.filetypes,
    callback = function(args)
      local root = vim.fs.root(args.buf, base.root_markers)
      vim.lsp.start({
        name = M.name,
        cmd = base.cmd,
        root_dir = root,
        init_options = base.init_options,
        settings = base.settings,
        on_attach = base.on_attach,
      }, { bufnr = args.buf })
    end,
  })
end

--- Configure and enable the server; call once from your config. See :help codegpt / README.
---@param opts codegpt.Options|nil
function M.setup(opts)
  local options = config.apply(opts)
  local overrides = {}
  if options.cmd then
    overrides.cmd = options.cmd
  end
  if next(options.settings) ~= nil then
    overrides.init_options = config.server_settings()
    overrides.settings = { codegpt = config.server_settings() }
  end
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    if next(overrides) ~= nil then
      vim.lsp.config(M.name, overrides)
    end
    vim.lsp.enable(M.name)
  else
    start_on_filetype(vim.tbl_extend('force', M.base_config(), overrides))
  end
end

return M

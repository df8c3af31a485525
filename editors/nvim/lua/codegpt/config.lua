-- Options of the Neovim plugin and the server settings it sends.
--
-- Plugin options (keymaps, which completion UI) stay in Neovim; `settings` is passed to the
-- server verbatim as initializationOptions, so its keys are the server's camelCase names.
local M = {}

---@class codegpt.Keymaps
---@field accept string|false     insert mode: accept the inline suggestion (falls through when none)
---@field next string|false       insert mode: next inline suggestion
---@field prev string|false       insert mode: previous inline suggestion
---@field complete string|false   insert mode: open the completion list (Neovim without inline completion)
---@field fix_file string|false   normal mode: :LspCodegptFix
---@field tests string|false      normal mode: :LspCodegptTests

---@class codegpt.Options
---@field cmd string[]|nil        server command; nil keeps lsp/codegpt.lua's `codegpt serve`
---@field completion 'auto'|'inline'|'list'|false  'auto': inline where Neovim has it (0.12+)
---@field autotrigger boolean     completion list opens on the server's trigger characters
---@field open_tests boolean      :LspCodegptTests opens the test file in a split when it is not shown
---@field keymaps codegpt.Keymaps|false
---@field settings table          server settings (camelCase), e.g. { completion = { maxTokens = 32 } }

---@type codegpt.Options
M.defaults = {
  cmd = nil,
  completion = 'auto',
  autotrigger = true,
  open_tests = true,
  keymaps = {
    accept = '<Tab>',
    next = '<M-]>',
    prev = '<M-[>',
    complete = '<C-Space>',
    fix_file = '<leader>cf',
    tests = '<leader>ct',
  },
  settings = {},
}

---@type codegpt.Options
M.options = vim.deepcopy(M.defaults)

--- Merge user options over the defaults; `keymaps = false` turns every mapping off.
---@param opts codegpt.Options|nil
---@return codegpt.Options
function M.apply(opts)
  opts = opts or {}
  if type(opts) ~= 'table' then
    error(('codegpt: setup() takes a table of options, got %s'):format(type(opts)))
  end
  local merged = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  if opts.keymaps == false then
    merged.keymaps = false
  end
  local modes = { auto = true, inline = true, list = true }
  if merged.completion ~= false and not modes[merged.completion] then
    error(("codegpt: completion must be 'auto', 'inline', 'list' or false, got %s"):format(
      vim.inspect(merged.completion)
    ))
  end
  M.options = merged
  return merged
end

-- JSON has objects and arrays, Lua only tables: an empty table would go out as `[]`, which
-- the server rejects as a settings section. Only `providers` is a list.
local function as_json_objects(value, key)
  if type(value) ~= 'table' or key == 'providers' then
    return value
  end
  if next(value) == nil then
    return vim.empty_dict()
  end
  local out = {}
  for k, v in pairs(value) do
    out[k] = as_json_objects(v, k)
  end
  return out
end

--- The settings sent to the server: the user's `settings`, nothing invented here, so the
--- server's own defaults (documented in the README) apply to every key left out.
---@return table
function M.server_settings()
  return as_json_objects(vim.deepcopy(M.options.settings))
end

return M

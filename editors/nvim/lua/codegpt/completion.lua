-- Which completion UI a buffer gets: ghost text through vim.lsp.inline_completion where the
-- running Neovim has it (0.12+), otherwise the completion list through vim.lsp.completion
-- (0.11), otherwise the omnifunc Neovim sets for every LSP buffer (<C-x><C-o>).
local M = {}

---@param bufnr integer
---@param keymaps codegpt.Keymaps|false
local function enable_inline(bufnr, keymaps)
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  if not keymaps then
    return
  end
  if keymaps.accept then
    vim.keymap.set('i', keymaps.accept, function()
      -- get() accepts the shown suggestion; with none, the key does what it always did.
      if not vim.lsp.inline_completion.get() then
        return keymaps.accept
      end
    end, { buffer = bufnr, expr = true, replace_keycodes = true, desc = 'codegpt: accept suggestion' })
  end
  for key, count in pairs({ next = 1, prev = -1 }) do
    if keymaps[key] then
      vim.keymap.set('i', keymaps[key], function()
        vim.lsp.inline_completion.select({ count = count })
      end, { buffer = bufnr, desc = ('codegpt: %s suggestion'):format(key) })
    end
  end
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param options codegpt.Options
local function enable_list(client, bufnr, options)
  vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = options.autotrigger })
  local keymaps = options.keymaps
  if keymaps and keymaps.complete then
    vim.keymap.set('i', keymaps.complete, vim.lsp.completion.get, {
      buffer = bufnr,
      desc = 'codegpt: show completions',
    })
  end
end

--- Turn on completion for one buffer; returns the UI chosen: 'inline', 'list', 'omnifunc'
--- or 'off' (recorded in b:codegpt_completion for :checkhealth and tests).
---@param client vim.lsp.Client
---@param bufnr integer
---@param options codegpt.Options
---@return string
function M.attach(client, bufnr, options)
  local mode = options.completion
  if mode == false then
    return 'off'
  end
  local caps = client.server_capabilities
  local neovim_inline = vim.lsp.inline_completion ~= nil
  if mode ~= 'list' and neovim_inline and caps.inlineCompletionProvider then
    enable_inline(bufnr, options.keymaps)
    return 'inline'
  end
  if mode == 'inline' and not neovim_inline then
    vim.notify_once(
      'codegpt: inline completion needs Neovim 0.12+; using the completion list',
      vim.log.levels.WARN
    )
  end
  if not caps.completionProvider then
    return 'off'
  end
  if vim.lsp.completion ~= nil and vim.lsp.completion.enable ~= nil then
    enable_list(client, bufnr, options)
    return 'list'
  end
  return 'omnifunc'
end

return M

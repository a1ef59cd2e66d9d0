-- Driven by test_neovim_lsp.py: a headless Neovim opens a boot tree's menu, then a script it chains from
-- a subfolder (no root marker anywhere), and reports the second buffer's diagnostics and client roots.
local result = {}

local function finish()
  local file = io.open(os.getenv("IPXE_RESULT"), "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  require("ipxescript").setup({ cmd = { os.getenv("IPXE_PYTHON"), "-m", "ipxescript", "lsp" } })
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("IPXE_TREE") .. "/sub/linux.ipxe"))
  local bufnr = vim.api.nvim_get_current_buf()
  -- the lint of the tree cites the menu that chains this script
  result.linted = vim.wait(60000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.message:find("via ", 1, true) or d.message:find("never set", 1, true) then
        return true
      end
    end
    return false
  end, 50)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, d.message)
  end
  result.roots = {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    table.insert(result.roots, client.config.root_dir)
  end
  result.format = type(vim.lsp.buf.format) == "function" and "format" or "formatting"
end)
if not ok then
  result.error = tostring(err)
end
finish()
